/**
 * The `backup` section with its defaults applied: what the `backup` layer (lib/k8s/vault-backup.ts)
 * and the `vault-backup-aws` stack (lib/terraform/vault-backup-storage.ts) both build from, so the
 * two sides agree on the cluster, the namespace, the bucket and the key by construction.
 *
 * The defaults are named here once, and `check-backup.ts` checks against the same constants.
 */
import { defaultBackupBucketName } from '../util/names.js';
import { compareVersions, parseExactVersion } from '../util/validators.js';
import type { ClusterConfig, PlatformConfig, VaultEngine } from './types.js';

/** Namespace of the backup jobs when `backup.namespace` is omitted. */
export const DEFAULT_BACKUP_NAMESPACE = 'vault-backup';
/** Nightly, at 04:00 UTC: after the day's changes, before the working day. */
export const DEFAULT_BACKUP_SCHEDULE = '0 4 * * *';
/** Weekly, Sunday 06:00 UTC: two hours after that night's snapshot. */
export const DEFAULT_VERIFY_SCHEDULE = '0 6 * * 0';
/** A day between snapshots, plus two hours for a late or retried run. */
export const DEFAULT_MAX_AGE_HOURS = 26;
/** A month in S3 Standard, where the verification can read them, then Glacier Flexible Retrieval. */
export const DEFAULT_GLACIER_AFTER_DAYS = 30;
/** Glacier's 90-day minimum after the 30 days in Standard. */
export const DEFAULT_EXPIRE_AFTER_DAYS = 120;
/**
 * A month of nightly snapshots no one can delete or overwrite (Object Lock, governance mode): as
 * long as they stay in S3 Standard, where the restore verification reads them.
 */
export const DEFAULT_OBJECT_LOCK_DAYS = 30;
/** The AWS CLI image that uploads and fetches snapshots (v2: Pod Identity, `--checksum-algorithm`). */
export const DEFAULT_AWS_CLI_IMAGE = 'amazon/aws-cli:2.31.0';

/**
 * Days an object must stay in S3 Glacier Flexible Retrieval before it may be deleted without an
 * early-deletion charge: expiration comes at least this long after the transition.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
 */
export const GLACIER_MINIMUM_STORAGE_DAYS = 90;

/** First Vault release whose CLI has `operator raft snapshot inspect` (OpenBao's documents `save` and `restore` only). */
export const SNAPSHOT_INSPECT_MIN_VAULT_VERSION = '1.15.0';

/** Default repositories of the snapshot image, by engine; the tag is `vaultCluster.version`. */
export const VAULT_IMAGE_REPOSITORIES: Readonly<Record<VaultEngine, string>> = {
  vault: 'hashicorp/vault',
  openbao: 'openbao/openbao',
};

/** `backup`, every default applied. */
export interface ResolvedBackup {
  /** The cluster that runs the jobs. */
  readonly cluster: ClusterConfig;
  /** Region of that cluster: the bucket, its key and the Pod Identity association live there. */
  readonly region: string;
  readonly namespace: string;
  readonly schedule: string;
  readonly verifySchedule: string;
  readonly maxAgeHours: number;
  readonly bucketName: string;
  readonly glacierAfterDays: number;
  readonly expireAfterDays: number;
  /** Days each snapshot version is locked, governance mode. */
  readonly objectLockDays: number;
  /** The copy in `vaultCluster.disasterRecovery.region`; `undefined`: no replica. */
  readonly replica?: { readonly region: string; readonly bucketName: string };
  /** Roles that may decrypt the snapshots by hand for a restore: `vaultCluster.unsealKey.breakGlassRoleArn` when set. */
  readonly restoreRoleArns: readonly string[];
  /** The snapshot agent's AppRole role id. */
  readonly roleId: string;
  /** Mount path of the AppRole auth method (`vault.auth.appRole.path`, or `approle`). */
  readonly appRoleMount: string;
  readonly vaultImage: string;
  readonly awsCliImage: string;
  /** Which CLI the snapshot image holds: `vault`, or `bao` for OpenBao. */
  readonly engine: VaultEngine;
  /** Whether that CLI has `operator raft snapshot inspect` (Vault 1.15 and later). */
  readonly snapshotInspect: boolean;
}

/**
 * `backup` with its defaults, or `undefined` when the platform takes no backups. Expects a
 * configuration that passed validation.
 */
export function resolveBackup(config: PlatformConfig): ResolvedBackup | undefined {
  const backup = config.backup;
  if (backup === undefined) {
    return undefined;
  }
  const clusterName = backup.cluster ?? config.clusters[0]!.name;
  const cluster = config.clusters.find((c) => c.name === clusterName);
  if (cluster === undefined) {
    throw new Error(`backup.cluster names "${clusterName}", which is not a declared cluster`);
  }
  const region = cluster.region ?? config.aws.region;
  const vaultImage = backup.images?.vault ?? defaultVaultImage(config);
  const engine = config.vaultCluster?.engine ?? engineOfImage(vaultImage);
  const version = leadingVersion(config.vaultCluster?.version ?? imageTag(vaultImage));
  return {
    cluster,
    region,
    namespace: backup.namespace ?? DEFAULT_BACKUP_NAMESPACE,
    schedule: backup.schedule ?? DEFAULT_BACKUP_SCHEDULE,
    verifySchedule: backup.verifySchedule ?? DEFAULT_VERIFY_SCHEDULE,
    maxAgeHours: backup.maxAgeHours ?? DEFAULT_MAX_AGE_HOURS,
    bucketName: backup.bucketName ?? defaultBackupBucketName(config.aws.accountId, region),
    glacierAfterDays: backup.glacierAfterDays ?? DEFAULT_GLACIER_AFTER_DAYS,
    expireAfterDays: backup.expireAfterDays ?? DEFAULT_EXPIRE_AFTER_DAYS,
    objectLockDays: backup.objectLockDays ?? DEFAULT_OBJECT_LOCK_DAYS,
    replica: replicaOf(config, backup.bucketName),
    restoreRoleArns: config.vaultCluster?.unsealKey?.breakGlassRoleArn === undefined ? [] : [config.vaultCluster.unsealKey.breakGlassRoleArn],
    roleId: backup.appRole.roleId,
    appRoleMount: config.vault.auth?.appRole?.path ?? 'approle',
    vaultImage,
    awsCliImage: backup.images?.awsCli ?? DEFAULT_AWS_CLI_IMAGE,
    engine,
    snapshotInspect: engine === 'vault' && version !== undefined
      && compareVersions(version, parseExactVersion(SNAPSHOT_INSPECT_MIN_VAULT_VERSION, '')!) >= 0,
  };
}

/**
 * The snapshots' copy in the disaster-recovery Region: the default name of that Region's bucket
 * when `backup.bucketName` is the default, `<bucketName>-dr` otherwise.
 */
function replicaOf(config: PlatformConfig, bucketName: string | undefined): ResolvedBackup['replica'] {
  const region = config.vaultCluster?.disasterRecovery?.region;
  if (region === undefined) return undefined;
  return { region, bucketName: bucketName === undefined ? defaultBackupBucketName(config.aws.accountId, region) : `${bucketName}${REPLICA_BUCKET_SUFFIX}` };
}

/** Suffix of the replica bucket's name when `backup.bucketName` is given. */
export const REPLICA_BUCKET_SUFFIX = '-dr';
/** Suffix of the access-log bucket's name: `<bucketName>-logs`. */
export const ACCESS_LOG_BUCKET_SUFFIX = '-logs';

/** `hashicorp/vault:<version>` or `openbao/openbao:<version>`, from `vaultCluster`. */
function defaultVaultImage(config: PlatformConfig): string {
  const cluster = config.vaultCluster;
  if (cluster === undefined) {
    throw new Error('backup.images.vault is required when there is no vaultCluster section');
  }
  return `${VAULT_IMAGE_REPOSITORIES[cluster.engine ?? 'vault']}:${cluster.version}`;
}

/** Without `vaultCluster`, the engine an image holds: OpenBao when its repository says so. */
export function engineOfImage(image: string): VaultEngine {
  const repository = image.split('@')[0]!.replace(/:[^/]*$/, '');
  return /openbao/i.test(repository) ? 'openbao' : 'vault';
}

/** The tag of an image reference (`1.21.1` of `hashicorp/vault:1.21.1@sha256:…`), if it has one. */
function imageTag(image: string): string | undefined {
  return /:([^/@]+)(@|$)/.exec(image)?.[1];
}

/** The `MAJOR.MINOR.PATCH` a version or tag starts with (`1.21.1`, `1.21.1-ent`, `v2.4.1`), if any. */
function leadingVersion(text: string | undefined) {
  const match = text === undefined ? null : /^v?(\d+\.\d+\.\d+)/.exec(text);
  return match ? parseExactVersion(match[1]!, '') : undefined;
}
