/**
 * `vault.setup.appRoleRotation`, resolved: which AppRole secret ids a cluster rotates, when, with
 * which images, and the ages at which its alerts fire. Read by the Kubernetes side (the CronJobs,
 * their alerts), the cluster's AWS stack (the rotation role) and the Vault configuration (the AWS
 * auth role and its policy), so that the three agree.
 */
import { longestGapMinutes, parseCronSchedule } from '../util/cron.js';
import { CERT_MANAGER_APPROLE, SNAPSHOT_APPROLE } from '../util/names.js';
import { DEFAULT_AWS_CLI_IMAGE, resolveBackup, VAULT_IMAGE_REPOSITORIES } from './backup.js';
import type { ClusterConfig, PlatformConfig, VaultEngine } from './types.js';
import { APPROLE_DEFAULTS, appRoleSettings, goDurationSeconds } from './vault-setup.js';

/** Mondays 05:17 UTC: weekly, off the hour, outside the nightly snapshot window. */
export const DEFAULT_ROTATION_SCHEDULE = '17 5 * * 1';

/** A secret id this close to the end of its `secretIdTtl` pages: a week to repair the rotation. */
export const ROTATION_EXPIRY_MARGIN_SECONDS = 7 * 86_400;

/** Slack on top of two runs' wait before the late warning: a run takes minutes, and may be retried. */
export const ROTATION_LATE_SLACK_SECONDS = 3600;

/** One AppRole whose secret id a cluster rotates. */
export interface RotatedAppRole {
  /** Role name in Vault (`cert-manager`, `vault-snapshot`). */
  readonly name: string;
  /** Mount path of the AppRole auth method. */
  readonly mount: string;
  /** The role's `secret_id_ttl`, in seconds. */
  readonly secretIdTtlSeconds: number;
}

/** `vault.setup.appRoleRotation` for one cluster, every default applied. */
export interface AppRoleRotationSettings {
  readonly schedule: string;
  /** Longest wait between two runs of `schedule`, in seconds. */
  readonly longestGapSeconds: number;
  readonly vaultImage: string;
  readonly awsCliImage: string;
  /** Which CLI the Vault image holds. */
  readonly engine: VaultEngine;
  /** The AppRoles of this cluster, in a fixed order (cert-manager's, then the snapshot agent's). */
  readonly appRoles: readonly RotatedAppRole[];
}

/**
 * The AppRoles a cluster rotates, or `undefined` when it rotates none: rotation is off, the platform
 * has no `vaultCluster` (the job logs in with Vault's AWS auth, which runs on ours), or the cluster
 * receives no AppRole secret id. Expects a configuration that passed validation.
 */
export function appRoleRotationSettings(config: PlatformConfig, cluster: ClusterConfig): AppRoleRotationSettings | undefined {
  const rotation = config.vault.setup?.appRoleRotation ?? {};
  const vaultCluster = config.vaultCluster;
  if (rotation.enabled === false || vaultCluster === undefined) return undefined;
  const appRoles: RotatedAppRole[] = [];
  const certManager = appRoleSettings(config);
  if (certManager) {
    appRoles.push({ name: CERT_MANAGER_APPROLE, mount: certManager.path, secretIdTtlSeconds: goDurationSeconds(certManager.secretIdTtl) });
  }
  const backup = resolveBackup(config);
  if (backup && backup.cluster.name === cluster.name) {
    appRoles.push({
      name: SNAPSHOT_APPROLE,
      mount: backup.appRoleMount,
      secretIdTtlSeconds: goDurationSeconds(config.backup!.appRole.secretIdTtl ?? APPROLE_DEFAULTS.secretIdTtl),
    });
  }
  if (appRoles.length === 0) return undefined;
  const schedule = rotation.schedule ?? DEFAULT_ROTATION_SCHEDULE;
  const parsed = parseCronSchedule(schedule);
  const gap = 'schedule' in parsed ? longestGapMinutes(parsed.schedule) : undefined;
  if (gap === undefined) throw new Error(`vault.setup.appRoleRotation.schedule "${schedule}" is not a schedule that runs (validation refuses it)`);
  const engine = vaultCluster.engine ?? 'vault';
  return {
    schedule,
    longestGapSeconds: gap * 60,
    vaultImage: rotation.images?.vault ?? backup?.vaultImage ?? `${VAULT_IMAGE_REPOSITORIES[engine]}:${vaultCluster.version}`,
    awsCliImage: rotation.images?.awsCli ?? backup?.awsCliImage ?? DEFAULT_AWS_CLI_IMAGE,
    engine,
    appRoles,
  };
}

/**
 * The ages of a secret id (time since its rotation last succeeded) at which the alerts fire:
 * `late` after two runs missed, `expiring` a week before the end of its lifetime.
 */
export function rotationAlertAges(settings: Pick<AppRoleRotationSettings, 'longestGapSeconds'>, appRole: RotatedAppRole): { late: number; expiring: number } {
  return { late: rotationLateAfterSeconds(settings.longestGapSeconds), expiring: appRole.secretIdTtlSeconds - ROTATION_EXPIRY_MARGIN_SECONDS };
}

/** Seconds without a successful rotation after which it is late: two runs' wait, and some slack. */
export function rotationLateAfterSeconds(longestGapSeconds: number): number {
  return 2 * longestGapSeconds + ROTATION_LATE_SLACK_SECONDS;
}
