/**
 * `backup`: Raft snapshots to S3 (stack `vault-backup-aws`, layer `backup`).
 *
 * Each field alone first, then the fields that must agree, each given or default:
 *
 * | relation                                                   | why                                                           |
 * |------------------------------------------------------------|---------------------------------------------------------------|
 * | `maxAgeHours` > the longest wait between two `schedule` runs | otherwise the stale alert fires between two good runs       |
 * | `glacierAfterDays` × 24 > `maxAgeHours`                    | the verification downloads the newest snapshot: still in S3 Standard |
 * | `expireAfterDays` ≥ `glacierAfterDays` + 90                | Glacier Flexible Retrieval bills 90 days at least             |
 * | `objectLockDays` ≤ `expireAfterDays`                       | a locked version outlives its expiry, billed until unlocked   |
 *
 * A relation is reported on the field the user gave (the other being a default), on the field
 * named first in its row when both are given, and not at all when either is invalid or when both
 * are defaults (the defaults agree).
 */
import { longestGapMinutes, parseCronSchedule } from '../util/cron.js';
import { DEFAULT_GATEWAYS_NAMESPACE } from '../util/names.js';
import { PLATFORM_NAMESPACES, SYSTEM_NAMESPACES } from './check-ownership.js';
import { isDnsLabel, isIpAddress } from '../util/validators.js';
import {
  ACCESS_LOG_BUCKET_SUFFIX, DEFAULT_BACKUP_SCHEDULE, DEFAULT_EXPIRE_AFTER_DAYS, DEFAULT_GLACIER_AFTER_DAYS, DEFAULT_MAX_AGE_HOURS, DEFAULT_OBJECT_LOCK_DAYS, engineOfImage,
  GLACIER_MINIMUM_STORAGE_DAYS, REPLICA_BUCKET_SUFFIX,
} from './backup.js';
import type { ValidVaultCluster } from './check-vault-cluster.js';
import {
  type ClusterSummary, DNS_LABEL, expectedGot, field, integerRule, isMapping, type Mapping, own, type Problems, quoted,
  ROLE_ID, section, stringRule, type ValidAws, checkCidrList,
} from './rules.js';
import { SECRET_ID_TTL } from './check-vault-setup.js';
import { CRON_SCHEDULE, PINNED_IMAGE } from './job-rules.js';

const BACKUP_FIELDS = [
  'cluster', 'namespace', 'schedule', 'verifySchedule', 'maxAgeHours', 'bucketName', 'glacierAfterDays', 'expireAfterDays', 'objectLockDays',
  'appRole', 'images',
] as const;
const APPROLE_FIELDS = ['roleId', 'tokenBoundCidrs', 'secretIdBoundCidrs', 'secretIdTtl'] as const;
const IMAGES_FIELDS = ['vault', 'awsCli'] as const;

/**
 * Fewest and most hours `backup.maxAgeHours` may be: below 2, a snapshot still being taken would
 * count as stale; beyond 90 days, a backup that old is no longer a recovery point.
 */
export const MAX_AGE_HOURS_MIN = 2;
export const MAX_AGE_HOURS_MAX = 2160;

/** Fewest and most days of `backup.glacierAfterDays` and `backup.expireAfterDays` (10 years). */
export const LIFECYCLE_DAYS_MIN = 1;
export const LIFECYCLE_DAYS_MAX = 3650;

/** Shortest and longest S3 bucket name. */
export const BUCKET_NAME_MIN_LENGTH = 3;
export const BUCKET_NAME_MAX_LENGTH = 63;

/** Prefixes and suffixes S3 reserves for its own bucket names. */
const BUCKET_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const BUCKET_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/**
 * Namespaces the platform (or Kubernetes) already owns: a `backup.namespace` among them would have
 * two layers manage one Namespace object. cert-manager's, the exporter's and Flux's names are the
 * constructs' defaults (lib/k8s); the backup cluster's gateways namespace is added from its config.
 */
const RESERVED_NAMESPACES = [...SYSTEM_NAMESPACES, ...Object.keys(PLATFORM_NAMESPACES)];

/** What {@link checkBackup} needs from the sections before it. */
export interface BackupContext {
  readonly aws: ValidAws;
  readonly clusters: ClusterSummary;
  /** `undefined` when there is no `vaultCluster` section. */
  readonly vaultCluster?: ValidVaultCluster;
}

const SECONDS_PER_HOUR = 3600;

const BUCKET_NAME_EXPECTED = `an S3 bucket name: ${BUCKET_NAME_MIN_LENGTH} to ${BUCKET_NAME_MAX_LENGTH} lowercase letters, digits and '-', `
  + 'starting and ending with a letter or digit, such as "123456789012-eu-west-3-vault-snapshots"';

/**
 * An S3 general purpose bucket name, without dots: S3 accepts them, but a dotted name does not match
 * the `*.s3.<region>.amazonaws.com` certificate of virtual-hosted requests.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export const BUCKET_NAME = stringRule(BUCKET_NAME_EXPECTED, isBucketName, (value) => {
  if (value !== value.toLowerCase() && isBucketName(value.toLowerCase())) return 'write it in lowercase';
  if (value.includes('.')) return 'a dot breaks TLS verification of virtual-hosted S3 requests; use "-"';
  const prefix = BUCKET_RESERVED_PREFIXES.find((p) => value.startsWith(p));
  if (prefix !== undefined) return `S3 reserves names starting with ${JSON.stringify(prefix)}`;
  const suffix = BUCKET_RESERVED_SUFFIXES.find((s) => value.endsWith(s));
  if (suffix !== undefined) return `S3 reserves names ending with ${JSON.stringify(suffix)}`;
  if (value.length < BUCKET_NAME_MIN_LENGTH || value.length > BUCKET_NAME_MAX_LENGTH) return `${value.length} characters`;
  return undefined;
});

function isBucketName(value: string): boolean {
  return value.length >= BUCKET_NAME_MIN_LENGTH && value.length <= BUCKET_NAME_MAX_LENGTH
    && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(value)
    && !isIpAddress(value)
    && !BUCKET_RESERVED_PREFIXES.some((p) => value.startsWith(p))
    && !BUCKET_RESERVED_SUFFIXES.some((s) => value.endsWith(s));
}



/** Checks `backup` (optional). */
export function checkBackup(problems: Problems, raw: Mapping, context: BackupContext): void {
  const path = ['backup'];
  const backup = section(problems, raw, [], 'backup', BACKUP_FIELDS, true);
  if (!backup) return;

  const cluster = checkBackupCluster(problems, backup, context.clusters);
  const namespace = field<string>(problems, backup, path, 'namespace', DNS_LABEL, true);
  if (namespace !== undefined) {
    const reserved = [...RESERVED_NAMESPACES, ...gatewaysNamespace(raw, cluster)];
    if (reserved.includes(namespace)) {
      problems.add([...path, 'namespace'], expectedGot(`a namespace of its own, not one of ${quoted(reserved)}`, namespace,
        'another part of the platform or Kubernetes already manages it'));
    }
  }
  const scheduleGiven = own(backup, 'schedule') !== undefined;
  const schedule = field<string>(problems, backup, path, 'schedule', CRON_SCHEDULE, true) ?? (scheduleGiven ? undefined : DEFAULT_BACKUP_SCHEDULE);
  field(problems, backup, path, 'verifySchedule', CRON_SCHEDULE, true);
  const maxAgeGiven = own(backup, 'maxAgeHours') !== undefined;
  const maxAge = maxAgeGiven
    ? field<number>(problems, backup, path, 'maxAgeHours', integerRule(MAX_AGE_HOURS_MIN, MAX_AGE_HOURS_MAX), true)
    : DEFAULT_MAX_AGE_HOURS;
  const bucketName = field<string>(problems, backup, path, 'bucketName', BUCKET_NAME, true);
  const longestSuffix = Math.max(ACCESS_LOG_BUCKET_SUFFIX.length, REPLICA_BUCKET_SUFFIX.length);
  if (bucketName !== undefined && bucketName.length + longestSuffix > BUCKET_NAME_MAX_LENGTH) {
    problems.add([...path, 'bucketName'], expectedGot(`at most ${BUCKET_NAME_MAX_LENGTH - longestSuffix} characters`, bucketName,
      `${bucketName.length} characters; the access-log bucket is named "<bucketName>${ACCESS_LOG_BUCKET_SUFFIX}" and the replica `
        + `"<bucketName>${REPLICA_BUCKET_SUFFIX}", within S3's ${BUCKET_NAME_MAX_LENGTH}`));
  }
  const lifecycleDays = integerRule(LIFECYCLE_DAYS_MIN, LIFECYCLE_DAYS_MAX);
  const glacierGiven = own(backup, 'glacierAfterDays') !== undefined;
  const glacier = glacierGiven ? field<number>(problems, backup, path, 'glacierAfterDays', lifecycleDays, true) : DEFAULT_GLACIER_AFTER_DAYS;
  const expireGiven = own(backup, 'expireAfterDays') !== undefined;
  const expire = expireGiven ? field<number>(problems, backup, path, 'expireAfterDays', lifecycleDays, true) : DEFAULT_EXPIRE_AFTER_DAYS;
  const lockGiven = own(backup, 'objectLockDays') !== undefined;
  const lock = lockGiven ? field<number>(problems, backup, path, 'objectLockDays', lifecycleDays, true) : DEFAULT_OBJECT_LOCK_DAYS;
  checkAppRole(problems, backup);
  checkImages(problems, raw, backup, context);

  // The default lock (30 days) is below the least expiry accepted (glacier + 90): only a given lock can exceed it.
  if (lock !== undefined && expire !== undefined && lock > expire && lockGiven) {
    problems.add([...path, 'objectLockDays'], expectedGot(`at most backup.expireAfterDays (${expire})`, lock,
      'S3 keeps a locked version past its expiry, until the lock ends'));
  }

  if (schedule !== undefined && maxAge !== undefined) {
    checkMaxAgeAgainstSchedule(problems, schedule, scheduleGiven, maxAge, maxAgeGiven);
  }
  if (maxAge !== undefined && glacier !== undefined && maxAge >= glacier * 24 && (maxAgeGiven || glacierGiven)) {
    const why = 'the verification downloads the newest snapshot, which S3 refuses once it has moved to Glacier';
    if (glacierGiven) {
      problems.add([...path, 'glacierAfterDays'], expectedGot(
        `more days than backup.maxAgeHours covers (${maxAge} hours: at least ${Math.floor(maxAge / 24) + 1})`, glacier, why,
      ));
    } else {
      problems.add([...path, 'maxAgeHours'], expectedGot(
        `fewer hours than the default backup.glacierAfterDays (${glacier} days: ${glacier * 24} hours)`, maxAge, why,
      ));
    }
  }
  if (glacier !== undefined && expire !== undefined && expire < glacier + GLACIER_MINIMUM_STORAGE_DAYS && (glacierGiven || expireGiven)) {
    const minimum = glacier + GLACIER_MINIMUM_STORAGE_DAYS;
    const why = `Glacier Flexible Retrieval bills ${GLACIER_MINIMUM_STORAGE_DAYS} days at least: expire at least ${GLACIER_MINIMUM_STORAGE_DAYS} days after the transition`;
    if (expireGiven) {
      problems.add([...path, 'expireAfterDays'], expectedGot(`at least backup.glacierAfterDays + ${GLACIER_MINIMUM_STORAGE_DAYS} (${minimum})`, expire, why));
    } else {
      problems.add([...path, 'glacierAfterDays'], expectedGot(
        `at most ${expire - GLACIER_MINIMUM_STORAGE_DAYS} (the default backup.expireAfterDays, ${expire}, minus ${GLACIER_MINIMUM_STORAGE_DAYS})`,
        glacier, `${why}; or set backup.expireAfterDays`,
      ));
    }
  }
}

/**
 * `backup.cluster`: a declared cluster, defaulting to the only one. Returns the cluster the jobs
 * run on, or `undefined` when unknown (the cluster list itself being broken is reported there).
 */
function checkBackupCluster(problems: Problems, backup: Mapping, clusters: ClusterSummary): string | undefined {
  const declared = [...clusters.names.keys()];
  const choices = declared.length > 0 ? `one of the declared clusters: ${quoted(declared)}` : 'the name of a declared cluster';
  if (own(backup, 'cluster') === undefined) {
    if (clusters.count !== undefined && clusters.count > 1) {
      problems.add(['backup', 'cluster'], `is required when several clusters are declared: expected ${choices}`);
      return undefined;
    }
    return declared.length === 1 ? declared[0] : undefined;
  }
  const rule = stringRule(choices, (text) => clusters.count === undefined || clusters.given.has(text));
  const cluster = field<string>(problems, backup, ['backup'], 'cluster', rule);
  return cluster !== undefined && clusters.names.has(cluster) ? cluster : undefined;
}

/** The gateways namespace of cluster `name` in the raw configuration (its default when not set). */
function gatewaysNamespace(raw: Mapping, name: string | undefined): string[] {
  const list = own(raw, 'clusters');
  if (name === undefined || !Array.isArray(list)) return [];
  const cluster: unknown = list.find((item: unknown) => isMapping(item) && own(item, 'name') === name);
  const gateways = isMapping(cluster) ? own(cluster, 'gateways') : undefined;
  const namespace = isMapping(gateways) ? own(gateways, 'namespace') : undefined;
  return [typeof namespace === 'string' && isDnsLabel(namespace) ? namespace : DEFAULT_GATEWAYS_NAMESPACE];
}

/**
 * The stale-backup alert fires when no snapshot succeeded for `maxAgeHours`: that must be longer
 * than the longest wait between two runs of the schedule.
 */
function checkMaxAgeAgainstSchedule(problems: Problems, schedule: string, scheduleGiven: boolean, maxAge: number, maxAgeGiven: boolean): void {
  const parsed = parseCronSchedule(schedule);
  const gap = 'schedule' in parsed ? longestGapMinutes(parsed.schedule) : undefined;
  if (gap === undefined || maxAge * SECONDS_PER_HOUR > gap * 60 || (!scheduleGiven && !maxAgeGiven)) return;
  const gapHours = Math.round((gap / 60) * 10) / 10;
  const why = 'the stale-backup alert would fire between two runs that both succeeded';
  if (maxAgeGiven) {
    problems.add(['backup', 'maxAgeHours'], expectedGot(
      `more hours than the longest wait between two runs of backup.schedule ${JSON.stringify(schedule)} (${gapHours} hours)`, maxAge, why,
    ));
  } else {
    problems.add(['backup', 'schedule'], expectedGot(
      `a schedule that never waits ${maxAge} hours (the default backup.maxAgeHours) between two runs`, schedule,
      `it waits up to ${gapHours} hours; set backup.maxAgeHours above that, or run more often`,
    ));
  }
}

/**
 * `backup.appRole`: the role id, a UUID (that it differs from cert-manager's is checked with the
 * other AppRole settings, check-vault-setup.ts, once), its bound CIDRs and its secret id's lifetime,
 * checked as cert-manager's are.
 */
function checkAppRole(problems: Problems, backup: Mapping): void {
  const path = ['backup', 'appRole'];
  const appRole = section(problems, backup, ['backup'], 'appRole', APPROLE_FIELDS);
  if (!appRole) return;
  field(problems, appRole, path, 'roleId', ROLE_ID);
  checkCidrList(problems, appRole, path, 'tokenBoundCidrs');
  checkCidrList(problems, appRole, path, 'secretIdBoundCidrs');
  field(problems, appRole, path, 'secretIdTtl', SECRET_ID_TTL, true);
}

/**
 * `backup.images`: each pinned. Without `vaultCluster`, nothing says which Vault runs, so the
 * snapshot image is required; with it, the image must hold its engine's CLI.
 */
function checkImages(problems: Problems, raw: Mapping, backup: Mapping, context: BackupContext): void {
  const path = ['backup', 'images'];
  const required = context.vaultCluster === undefined;
  const requiredMessage = `is required when there is no vaultCluster section (nothing else says which Vault to snapshot): expected ${PINNED_IMAGE.expected}`;
  if (own(backup, 'images') === undefined) {
    if (required) problems.add([...path, 'vault'], requiredMessage);
    return;
  }
  const images = section(problems, backup, ['backup'], 'images', IMAGES_FIELDS, !required);
  if (!images) return;
  if (required && own(images, 'vault') === undefined) {
    problems.add([...path, 'vault'], requiredMessage);
  }
  const vault = field<string>(problems, images, path, 'vault', PINNED_IMAGE, true);
  field(problems, images, path, 'awsCli', PINNED_IMAGE, true);
  const engine = vaultClusterEngine(raw, context);
  if (vault !== undefined && engine !== undefined && engineOfImage(vault) !== engine) {
    const wanted = engine === 'openbao' ? 'an OpenBao image (its CLI is bao)' : 'a Vault image (its CLI is vault)';
    problems.add([...path, 'vault'], expectedGot(`${wanted}, as vaultCluster.engine is ${JSON.stringify(engine)}`, vault));
  }
}

/** The engine of a valid `vaultCluster` (its default when not given), `undefined` when absent or invalid. */
function vaultClusterEngine(raw: Mapping, context: BackupContext): 'vault' | 'openbao' | undefined {
  if (context.vaultCluster === undefined) return undefined;
  if (context.vaultCluster.engine !== undefined) return context.vaultCluster.engine;
  const section = own(raw, 'vaultCluster');
  const engine = isMapping(section) ? own(section, 'engine') : undefined;
  if (engine === undefined) return 'vault';
  return engine === 'vault' || engine === 'openbao' ? engine : undefined;
}

