/**
 * `backup`: Raft snapshots to S3 (stack `vault-backup-aws`, layer `backup`).
 */
import { type ClusterSummary, type Mapping, type Problems, section, type ValidAws } from './rules.js';
import type { ValidVaultCluster } from './check-vault-cluster.js';

const BACKUP_FIELDS = [
  'cluster', 'namespace', 'schedule', 'verifySchedule', 'maxAgeHours', 'bucketName', 'glacierAfterDays', 'expireAfterDays', 'appRole', 'images',
] as const;

/** What {@link checkBackup} needs from the sections before it. */
export interface BackupContext {
  readonly aws: ValidAws;
  readonly clusters: ClusterSummary;
  /** `undefined` when there is no `vaultCluster` section. */
  readonly vaultCluster?: ValidVaultCluster;
}

/** Checks `backup` (optional). */
export function checkBackup(problems: Problems, raw: Mapping, _context: BackupContext): void {
  section(problems, raw, [], 'backup', BACKUP_FIELDS, true);
}
