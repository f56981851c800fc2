/**
 * What the Vault configuration stack (`vault-config`) and the External Secrets delivery read from the
 * configuration: `vault.pki` beyond its mount and role, `vault.auth.appRole`'s bound CIDRs and
 * secret id lifetime, `vault.setup`, `versions.externalSecrets`, and the checks that relate them to
 * other sections.
 *
 * Called from validate.ts at the place of each field, so problems keep the documented order: the
 * fields of a mapping where the mapping is checked, the checks across sections at the end. A check
 * across fields runs only when every field it reads is itself valid (given, or defaulted).
 */
import { posix } from 'node:path';
import { INTERMEDIATE_CA_LIFETIME_HOURS, INTERMEDIATE_CA_LIFETIME_YEARS } from '../pki/lifetimes.js';
import { CERT_MANAGER_APPROLE, SNAPSHOT_APPROLE } from '../util/names.js';
import {
  compareVersions, isDnsName, isFluxDuration, isGoDuration, isInDnsZone, isUuid, isVaultPathSegment, parseExactVersion,
  parseGoDuration, parseOidcProviderArn,
} from '../util/validators.js';
import { longestGapMinutes, parseCronSchedule } from '../util/cron.js';
import { DEFAULT_ROTATION_SCHEDULE, ROTATION_EXPIRY_MARGIN_SECONDS, rotationLateAfterSeconds } from './approle-rotation.js';
import { CRON_SCHEDULE, PINNED_IMAGE } from './job-rules.js';
import { formatPath } from './errors.js';
import {
  BOOLEAN, type ClusterSummary, DNS_LABEL, DNS_LABEL_EXPECTED, dnsNameHint, enumRule, expectedGot, field, isMapping, listField, type Mapping, mappingOf, numbers,
  own, type Path, pemFileRule, checkCidrList, present, type Problems, quoted, reportUnknownKeys, type Rule, section, stringRule, VAULT_MOUNT,
} from './rules.js';
import {
  APPROLE_DEFAULTS, CLUSTER_LOCAL_DOMAIN, defaultIssuerCertificateFile, defaultLeafMaxTtl, ISSUING_KEY_BITS, VAULT_DEFAULT_KEY_BITS, VAULT_KEY_BITS,
  VAULT_KEY_TYPES, VAULT_PKI_DEFAULTS, type VaultKey, type VaultKeyType,
} from './vault-setup.js';

const KEY_FIELDS = ['type', 'bits'] as const;
const SETUP_FIELDS = ['auditFilePath', 'deadServerLastContactThreshold', 'kvMount', 'adminPolicy', 'kubernetesJwtAuth', 'appRoleRotation'] as const;
const ROTATION_FIELDS = ['enabled', 'schedule', 'images'] as const;
const ROTATION_IMAGES_FIELDS = ['vault', 'awsCli'] as const;

/** Longest issuing CA lifetime: it must end before the offline intermediate that signs it. */
export const ISSUING_CA_TTL_CEILING = `${INTERMEDIATE_CA_LIFETIME_HOURS}h`;

/**
 * Shortest AppRole secret id lifetime: External Secrets refreshes the cluster's copy every hour
 * (lib/k8s/external-secrets.ts), so a shorter-lived secret id could expire before the cluster gets it.
 */
export const SECRET_ID_TTL_MIN = '1h';

/** Shortest `deadServerLastContactThreshold` Vault's autopilot accepts. */
export const DEAD_SERVER_THRESHOLD_MIN = '1m';

/**
 * Oldest External Secrets Operator chart accepted (no `v`): the first to serve `external-secrets.io/v1`,
 * the API version of the ClusterSecretStore and ExternalSecret we render.
 */
export const EXTERNAL_SECRETS_MIN_VERSION = '0.16.0';

/** Policy names Vault reserves (`root`, `default`), and those the stack writes itself. */
export const RESERVED_POLICY_NAMES: readonly string[] = ['root', 'default', CERT_MANAGER_APPROLE, SNAPSHOT_APPROLE];

// ---------------------------------------------------------------------------------------------
// Rules of single values

const VAULT_TTL_EXPECTED = 'a positive duration in whole seconds, such as "720h", "90m" or "600s" (a Go duration with the units s, m, h)';

/**
 * A Vault TTL: a positive Go duration of whole seconds in the units Vault documents, at least `min`
 * and shorter than `below` when given (each a duration string and why).
 */
function vaultTtlRule(min?: { value: string; why: string }, below?: { value: string; why: string }): Rule {
  return {
    expected: VAULT_TTL_EXPECTED,
    problem(value) {
      const nanoseconds = typeof value === 'string' && isFluxDuration(value) && !value.includes('ms') ? parseGoDuration(value)! : undefined;
      if (nanoseconds === undefined || nanoseconds <= 0 || nanoseconds % 1e9 !== 0) {
        return expectedGot(VAULT_TTL_EXPECTED, value, ttlHint(value));
      }
      if (min !== undefined && nanoseconds < parseGoDuration(min.value)!) {
        return expectedGot(`a duration of at least ${min.value} (${min.why})`, value);
      }
      if (below !== undefined && nanoseconds >= parseGoDuration(below.value)!) {
        return expectedGot(`a duration shorter than ${below.value} (${below.why})`, value);
      }
      return undefined;
    },
  };
}

function ttlHint(value: unknown): string | undefined {
  if (typeof value === 'number') return value === 0 ? 'a lifetime of 0 never ends in Vault; give one' : `add a unit, e.g. "${value}s"`;
  if (typeof value !== 'string') return undefined;
  const days = /^(\d+)d$/.exec(value);
  if (days) return `Go durations have no unit for days; write ${days[1]} days as "${Number(days[1]) * 24}h"`;
  if (/^0+([hms]|ns|us|µs|ms)?$/.test(value)) return 'a lifetime of 0 never ends in Vault; give one';
  if (isGoDuration(value)) return parseGoDuration(value)! < 0 ? 'it must be positive' : 'use only the units s, m and h, in whole seconds';
  return undefined;
}

const ISSUING_CA_TTL = vaultTtlRule(undefined, {
  value: ISSUING_CA_TTL_CEILING,
  why: `the ${INTERMEDIATE_CA_LIFETIME_YEARS}-year lifetime of the offline intermediate CA that signs the issuing CA, which Vault refuses to outlive`,
});
const LEAF_TTL = vaultTtlRule();
export const SECRET_ID_TTL = vaultTtlRule({ value: SECRET_ID_TTL_MIN, why: 'External Secrets refreshes the secret id in the cluster every hour' });
const DEAD_SERVER_THRESHOLD = vaultTtlRule({ value: DEAD_SERVER_THRESHOLD_MIN, why: 'the shortest Vault\'s autopilot accepts' });

const ISSUER_CERTIFICATE_FILE = pemFileRule(
  'the path of the PEM file "npm run pki -- sign-issuing" writes (issuing CA, intermediate, root), relative to the '
    + 'configuration file, such as "pki/issuing-ca.pem"',
);

/** Issuer names Vault reserves: `default` names whichever issuer is the default. */
export const RESERVED_ISSUER_NAMES: readonly string[] = ['default'];

const ISSUER_NAME: Rule = {
  expected: `an issuer name: ${DNS_LABEL_EXPECTED}, such as "issuing-ca"`,
  problem(value) {
    if (DNS_LABEL.problem(value) !== undefined) return expectedGot(this.expected, value);
    if (RESERVED_ISSUER_NAMES.includes(value as string)) {
      return expectedGot(`a name other than ${quoted(RESERVED_ISSUER_NAMES)}`, value, 'Vault reserves it for whichever issuer is the default');
    }
    return undefined;
  },
};

const KEY_TYPE = enumRule(VAULT_KEY_TYPES);

type KeyBits = Readonly<Record<VaultKeyType, readonly number[]>>;

/** The bits a key of `type` may have among `bits`; every type's when the type is unknown. */
function keyBitsRule(type: VaultKeyType | undefined, typeGiven: boolean, bits: KeyBits = VAULT_KEY_BITS, why: KeyBitsWhy = {}): Rule {
  const sizes = type === undefined ? [...new Set(VAULT_KEY_TYPES.flatMap((t) => bits[t]))] : bits[type];
  const reasons = (type === undefined ? VAULT_KEY_TYPES.map((t) => why[t] ?? '') : [why[type] ?? '']).join('');
  const expected = type === undefined
    ? `a key size: ${VAULT_KEY_TYPES.map((t) => `${numbers(bits[t])} for "${t}"`).join(', ')}${reasons}`
    : `${type === 'ec' ? 'an EC curve size' : 'an RSA key size'}: ${numbers(sizes)} (type "${type}"${typeGiven ? '' : ', the default'})${reasons}`;
  return {
    expected,
    problem(value) {
      if (typeof value === 'number' && sizes.includes(value)) return undefined;
      const other = typeof value === 'number' ? VAULT_KEY_TYPES.find((t) => t !== type && bits[t].includes(value)) : undefined;
      return expectedGot(expected, value, other === undefined ? undefined : `a size for "${other}" keys; set type: "${other}" for one`);
    },
  };
}

/** Why some sizes Vault offers are left out, per key type, appended to the expected sizes. */
type KeyBitsWhy = Partial<Record<VaultKeyType, string>>;

/** Why the issuing CAs' keys have fewer sizes than Vault offers. */
const ISSUING_KEY_WHY: KeyBitsWhy = { ec: '; no P-521, which Chrome and BoringSSL do not verify in a chain' };

const ALLOWED_DOMAIN = stringRule(
  'a lowercase DNS name without wildcard, such as "priv.example.com" (its subdomains are allowed too)', isDnsName, dnsNameHint,
);

const AUDIT_FILE_PATH = stringRule(
  'an absolute path of a file on the Vault servers, such as "/var/log/vault/audit.log"',
  (value) => /^\/[^\s\\]*[^/]$/.test(value) && !value.split('/').some((segment) => segment === '..' || segment === '.'),
  (value) => (value.startsWith('/') ? undefined : 'give it from the root of the file system'),
);

const POLICY_NAME: Rule = {
  expected: 'a Vault policy name: letters, digits, \'_\' and \'-\', such as "admin"',
  problem(value) {
    if (typeof value !== 'string' || !isVaultPathSegment(value)) return expectedGot(this.expected, value);
    if (RESERVED_POLICY_NAMES.includes(value.toLowerCase())) {
      return expectedGot(`a policy name other than ${quoted(RESERVED_POLICY_NAMES)}`, value,
        'Vault reserves "root" and "default", and the configuration stack writes the others itself');
    }
    return undefined;
  },
};

const EXTERNAL_SECRETS_VERSION: Rule = (() => {
  const floor = parseExactVersion(EXTERNAL_SECRETS_MIN_VERSION, '')!;
  const expected = 'an exact External Secrets Operator chart version "MAJOR.MINOR.PATCH" such as "2.9.0"';
  return {
    expected,
    problem(value) {
      const version = typeof value === 'string' ? parseExactVersion(value, '') : undefined;
      if (version === undefined) {
        const hint = typeof value === 'string' && /^[vV]/.test(value) && parseExactVersion(value.slice(1), '') !== undefined
          ? `remove the leading "${value[0]}": the external-secrets chart versions have none`
          : typeof value === 'number' ? 'quote it in YAML, with every part: "2.9.0"' : undefined;
        return expectedGot(expected, value, hint);
      }
      return compareVersions(version, floor) < 0
        ? expectedGot(`External Secrets Operator ${EXTERNAL_SECRETS_MIN_VERSION} or later (the first that serves external-secrets.io/v1)`, value)
        : undefined;
    },
  };
})();

// ---------------------------------------------------------------------------------------------
// Fields, in the order of their mappings

/**
 * `vault.pki` beyond `mount` and `role` (which validate.ts checks first), then the TTLs against each
 * other and the two mounts against each other.
 *
 * | compared                         | reported on                                                      |
 * |----------------------------------|------------------------------------------------------------------|
 * | leafTtl ≤ leafMaxTtl             | leafTtl when given, else leafMaxTtl                              |
 * | leafMaxTtl < issuingCaTtl        | leafMaxTtl when given, else issuingCaTtl (defaults always agree) |
 *
 * The default leafMaxTtl follows a longer `privateCertificate.duration` (see vault-setup.ts); with
 * neither TTL given, that case is reported on the duration, once every section is checked.
 */
export function checkVaultPkiFields(problems: Problems, pki: Mapping, path: Path, raw: Mapping): void {
  checkIssuers(problems, pki, path);
  const issuingCaTtl = checked(problems, pki, path, 'issuingCaTtl', ISSUING_CA_TTL, VAULT_PKI_DEFAULTS.issuingCaTtl);
  checkVaultKey(problems, pki, path, 'issuingKey', 'ec', ISSUING_KEY_BITS, ISSUING_KEY_WHY);
  checkAllowedDomains(problems, pki, path);
  field(problems, pki, path, 'allowWildcardCertificates', BOOLEAN, true);
  const leafTtl = checked(problems, pki, path, 'leafTtl', LEAF_TTL, VAULT_PKI_DEFAULTS.leafTtl);
  const leafMaxTtl = checked(problems, pki, path, 'leafMaxTtl', LEAF_TTL, defaultLeafMaxTtl(validPrivateCertificateDuration(raw)));
  checkVaultKey(problems, pki, path, 'leafKey', undefined);
  field(problems, pki, path, 'allowIssue', BOOLEAN, true);

  const the = (ttl: CheckedTtl, name: string) => `${ttl.given ? '' : 'the default '}vault.pki.${name} (${JSON.stringify(ttl.value)})`;
  if (leafTtl.value !== undefined && leafMaxTtl.value !== undefined && (leafTtl.given || leafMaxTtl.given)
    && seconds(leafTtl.value) > seconds(leafMaxTtl.value)) {
    problems.add([...path, leafTtl.given ? 'leafTtl' : 'leafMaxTtl'], leafTtl.given
      ? expectedGot(`a leafTtl no longer than ${the(leafMaxTtl, 'leafMaxTtl')}`, leafTtl.value, 'the usual lifetime cannot exceed the longest')
      : expectedGot(`a leafMaxTtl at least ${the(leafTtl, 'leafTtl')}`, leafMaxTtl.value, 'or set a shorter leafTtl'));
  }
  if (leafMaxTtl.value !== undefined && issuingCaTtl.value !== undefined && (leafMaxTtl.given || issuingCaTtl.given)
    && seconds(leafMaxTtl.value) >= seconds(issuingCaTtl.value)) {
    problems.add([...path, leafMaxTtl.given ? 'leafMaxTtl' : 'issuingCaTtl'], leafMaxTtl.given
      ? expectedGot(`a leafMaxTtl shorter than ${the(issuingCaTtl, 'issuingCaTtl')}`, leafMaxTtl.value,
        'a certificate cannot outlive the issuing CA, whose issuer refuses it (leaf_not_after_behavior "err")')
      : expectedGot(`an issuingCaTtl longer than ${the(leafMaxTtl, 'leafMaxTtl')}`, issuingCaTtl.value,
        'a certificate cannot outlive the issuing CA; or set a shorter leafMaxTtl'));
  }
}

/** `vault.auth.appRole`: the bound CIDRs and the secret id's lifetime (validate.ts checks the rest first). */
export function checkAppRoleFields(problems: Problems, appRole: Mapping, path: Path): void {
  checkCidrList(problems, appRole, path, 'tokenBoundCidrs');
  checkCidrList(problems, appRole, path, 'secretIdBoundCidrs');
  field(problems, appRole, path, 'secretIdTtl', SECRET_ID_TTL, true);
}

/**
 * `vault.setup` (optional): each field, then the kv mount against the PKI mounts (Vault refuses a
 * mount at, inside or above another).
 */
export function checkVaultSetupSection(problems: Problems, vault: Mapping): void {
  const path = ['vault', 'setup'];
  const setup = section(problems, vault, ['vault'], 'setup', SETUP_FIELDS, true);
  if (!setup) return;
  field(problems, setup, path, 'auditFilePath', AUDIT_FILE_PATH, true);
  field(problems, setup, path, 'deadServerLastContactThreshold', DEAD_SERVER_THRESHOLD, true);
  const kvMount = field<string>(problems, setup, path, 'kvMount', VAULT_MOUNT, true);
  field(problems, setup, path, 'adminPolicy', POLICY_NAME, true);
  field(problems, setup, path, 'kubernetesJwtAuth', BOOLEAN, true);
  checkAppRoleRotationFields(problems, setup, path);
  if (kvMount === undefined) return;
  const pki = own(vault, 'pki');
  const pkiMount = validOr(isMapping(pki) ? own(pki, 'mount') : undefined, VAULT_MOUNT, VAULT_PKI_DEFAULTS.mount);
  if (pkiMount !== undefined && mountsOverlap(kvMount, pkiMount)) {
    problems.add([...path, 'kvMount'], expectedGot(`a mount apart from vault.pki.mount (${JSON.stringify(pkiMount)})`, kvMount,
      'Vault mounts cannot share, nest in or contain each other\'s path'));
  }
}

/** `vault.setup.appRoleRotation` (optional): each field; against the secret ids' lifetimes in {@link checkVaultSetupAcrossSections}. */
function checkAppRoleRotationFields(problems: Problems, setup: Mapping, setupPath: Path): void {
  const path = [...setupPath, 'appRoleRotation'];
  const rotation = section(problems, setup, setupPath, 'appRoleRotation', ROTATION_FIELDS, true);
  if (!rotation) return;
  field(problems, rotation, path, 'enabled', BOOLEAN, true);
  field(problems, rotation, path, 'schedule', CRON_SCHEDULE, true);
  const images = section(problems, rotation, path, 'images', ROTATION_IMAGES_FIELDS, true);
  if (!images) return;
  field(problems, images, [...path, 'images'], 'vault', PINNED_IMAGE, true);
  field(problems, images, [...path, 'images'], 'awsCli', PINNED_IMAGE, true);
}

/**
 * `vault.setup.appRoleRotation` against the rest: the job logs in with Vault's AWS auth, which the
 * platform configures on its own servers only (`vaultCluster`); and a rotated secret id must not
 * page between two good runs: the late warning (two runs' wait) must come before the page (a week
 * from the end of its `secretIdTtl`).
 */
function checkAppRoleRotationAgainstLifetimes(problems: Problems, raw: Mapping, vault: Mapping | undefined): void {
  const rotation = mappingAt(mappingAt(vault, 'setup'), 'appRoleRotation');
  const path = ['vault', 'setup', 'appRoleRotation'];
  if (rotation !== undefined && own(rotation, 'enabled') === true && own(raw, 'vaultCluster') === undefined) {
    problems.add([...path, 'enabled'], 'expected false or omitted without a vaultCluster section, got true (the rotation job logs in to Vault '
      + 'with its AWS auth method, which the platform sets up on the Vault servers it runs; rotate secret ids by hand, docs/operations.md, "AppRole rotation")');
    return;
  }
  if ((rotation !== undefined && own(rotation, 'enabled') === false) || own(raw, 'vaultCluster') === undefined) return;
  const scheduleGiven = rotation !== undefined && own(rotation, 'schedule') !== undefined;
  const schedule = validOr(scheduleGiven ? own(rotation!, 'schedule') : undefined, CRON_SCHEDULE, DEFAULT_ROTATION_SCHEDULE);
  const parsed = schedule === undefined ? undefined : parseCronSchedule(schedule);
  const gapMinutes = parsed !== undefined && 'schedule' in parsed ? longestGapMinutes(parsed.schedule) : undefined;
  if (gapMinutes === undefined) return;
  const lifetimes: Array<{ at: Path; ttl: unknown }> = [];
  const appRole = mappingAt(mappingAt(vault, 'auth'), 'appRole');
  if (appRole !== undefined) lifetimes.push({ at: ['vault', 'auth', 'appRole', 'secretIdTtl'], ttl: own(appRole, 'secretIdTtl') });
  const backupAppRole = mappingAt(mappingAt(raw, 'backup'), 'appRole');
  if (backupAppRole !== undefined) lifetimes.push({ at: ['backup', 'appRole', 'secretIdTtl'], ttl: own(backupAppRole, 'secretIdTtl') });
  const late = rotationLateAfterSeconds(gapMinutes * 60);
  const days = (n: number) => `${Math.round((n / 86_400) * 10) / 10} days`;
  for (const { at, ttl } of lifetimes) {
    const value = validOr(ttl, SECRET_ID_TTL, APPROLE_DEFAULTS.secretIdTtl);
    if (value === undefined || late < seconds(value) - ROTATION_EXPIRY_MARGIN_SECONDS) continue;
    const why = `the rotation warns after two missed runs (${days(late)}) and pages a week before ${formatPath(at)} `
      + `(${JSON.stringify(value)}${ttl === undefined ? ', the default' : ''}) ends: the page would come first`;
    if (scheduleGiven) {
      problems.add([...path, 'schedule'], expectedGot('a schedule that runs more often', schedule, why));
    } else {
      problems.add(at, expectedGot(`a secretIdTtl longer than ${days(late + ROTATION_EXPIRY_MARGIN_SECONDS)} under the default `
        + `vault.setup.appRoleRotation.schedule (${JSON.stringify(DEFAULT_ROTATION_SCHEDULE)})`, value, why));
    }
  }
}

/**
 * `versions.externalSecrets`: checked like the other versions, and required as soon as a cluster
 * receives an AppRole secret id (cert-manager's AppRole login, or the backup jobs).
 */
export function checkExternalSecretsVersion(problems: Problems, versions: Mapping, raw: Mapping): void {
  const path = ['versions'];
  const vault = own(raw, 'vault');
  const auth = isMapping(vault) ? own(vault, 'auth') : undefined;
  const needed = isMapping(auth) && own(auth, 'appRole') !== undefined ? 'vault.auth.appRole is set: cert-manager\'s secret id is delivered by it'
    : own(raw, 'backup') !== undefined ? 'a backup section exists: the snapshot agent\'s secret id is delivered by it'
      : undefined;
  if (needed !== undefined && own(versions, 'externalSecrets') === undefined) {
    problems.add([...path, 'externalSecrets'], `is required when ${needed}: expected ${EXTERNAL_SECRETS_VERSION.expected}`);
    return;
  }
  field(problems, versions, path, 'externalSecrets', EXTERNAL_SECRETS_VERSION, needed === undefined);
}

// ---------------------------------------------------------------------------------------------
// Across sections

/** What {@link checkVaultSetupAcrossSections} needs from the sections before it. */
export interface VaultSetupContext {
  readonly clusters: ClusterSummary;
}

/**
 * The checks relating the Vault settings to other sections, once every section is checked:
 *
 * | check                                                              | reported on                         |
 * |--------------------------------------------------------------------|-------------------------------------|
 * | leafMaxTtl ≥ privateCertificate.duration (given leafMaxTtl)        | vault.pki.leafMaxTtl                |
 * | privateCertificate.duration < issuingCaTtl (default leafMaxTtl)    | privateCertificate.duration         |
 * | leafKey = privateCertificate.privateKey (given leafKey)            | vault.pki.leafKey                   |
 * | allowedDomains cover every private application (given domains)     | vault.pki.allowedDomains            |
 * | backup.appRole.roleId ≠ vault.auth.appRole.roleId                  | backup.appRole.roleId               |
 * | Kubernetes auth: one cluster, with irsa (its OIDC issuer)          | vault.auth.kubernetes               |
 * | kubernetesJwtAuth: at least one irsa cluster                       | vault.setup.kubernetesJwtAuth       |
 * | appRoleRotation.enabled: true only with vaultCluster               | vault.setup.appRoleRotation.enabled |
 * | rotation: 2 runs' wait + 1 h < each rotated secretIdTtl - 7 days   | appRoleRotation.schedule, or the secretIdTtl under the default schedule |
 * | a pod-identity cluster receiving AppRole secret ids names its OIDC provider | clusters[].workloadIdentity.oidcProviderArn |
 */
export function checkVaultSetupAcrossSections(problems: Problems, raw: Mapping, context: VaultSetupContext): void {
  const vault = mappingAt(raw, 'vault');
  const pki = mappingAt(vault, 'pki');
  const privateCertificate = mappingAt(raw, 'privateCertificate');
  checkLeafAgainstPrivateCertificate(problems, raw, pki, privateCertificate);
  checkAllowedDomainsCoverApplications(problems, pki, raw);
  checkRoleIdsDiffer(problems, raw, vault);
  checkKubernetesLogin(problems, raw, vault, context.clusters);
  checkAppRoleRotationAgainstLifetimes(problems, raw, vault);
  checkSecretIdReaderProvider(problems, raw, vault);
}

/**
 * A cluster receiving AppRole secret ids (every cluster with AppRole login, the backup cluster)
 * gives each receiving namespace's SecretStore its own IAM role through the cluster's IAM OIDC
 * provider: with `pod-identity`, `oidcProviderArn` is then required. EKS Pod Identity cannot do it:
 * its credentials belong to the pod asking (External Secrets' controller), whichever store it
 * serves, so one role would read every namespace's secret id.
 */
function checkSecretIdReaderProvider(problems: Problems, raw: Mapping, vault: Mapping | undefined): void {
  const list = own(raw, 'clusters');
  if (!Array.isArray(list)) return;
  const appRoleLogin = own(mappingAt(vault, 'auth') ?? {}, 'appRole') !== undefined;
  const backup = mappingAt(raw, 'backup');
  const firstName = isMapping(list[0]) ? own(list[0], 'name') : undefined;
  const backupCluster = backup === undefined ? undefined : (own(backup, 'cluster') ?? firstName);
  list.forEach((cluster: unknown, index) => {
    if (!isMapping(cluster)) return;
    const identity = own(cluster, 'workloadIdentity');
    if (!isMapping(identity) || own(identity, 'type') !== 'pod-identity' || own(identity, 'oidcProviderArn') !== undefined) return;
    const why = appRoleLogin ? 'vault.auth.appRole is set: cert-manager\'s secret id is delivered to every cluster'
      : backupCluster !== undefined && own(cluster, 'name') === backupCluster ? 'the backup jobs run here: the snapshot agent\'s secret id is delivered'
        : undefined;
    if (why === undefined) return;
    problems.add(['clusters', index, 'workloadIdentity', 'oidcProviderArn'], `is required with type "pod-identity" when ${why}: expected the ARN of the `
      + 'cluster\'s IAM OIDC provider (e.g. eksctl utils associate-iam-oidc-provider). External Secrets gives each namespace\'s SecretStore '
      + 'its own role through it; EKS Pod Identity credentials belong to the controller\'s pod, whichever namespace asks, so one role would '
      + 'read every namespace\'s secret id');
  });
}

function checkLeafAgainstPrivateCertificate(problems: Problems, raw: Mapping, pki: Mapping | undefined, privateCertificate: Mapping | undefined): void {
  const durationGiven = privateCertificate !== undefined && own(privateCertificate, 'duration') !== undefined;
  const duration = durationGiven ? validPrivateCertificateDuration(raw) : PRIVATE_CERTIFICATE_DEFAULT_DURATION;
  if (duration === undefined) return;
  const leafMaxTtl = pki === undefined ? undefined : own(pki, 'leafMaxTtl');
  if (leafMaxTtl !== undefined) {
    if (LEAF_TTL.problem(leafMaxTtl) === undefined && seconds(leafMaxTtl as string) < seconds(duration)) {
      problems.add(['vault', 'pki', 'leafMaxTtl'], expectedGot(
        `a leafMaxTtl of at least ${durationGiven ? '' : 'the default '}privateCertificate.duration (${JSON.stringify(duration)})`, leafMaxTtl,
        'Vault would cut the private Gateway\'s certificate short of the lifetime cert-manager asks for'));
    }
  } else if (durationGiven && (pki === undefined || own(pki, 'issuingCaTtl') === undefined)) {
    // A given issuingCaTtl was compared with this default leafMaxTtl with the other vault.pki fields.
    const caTtl = VAULT_PKI_DEFAULTS.issuingCaTtl;
    const effective = defaultLeafMaxTtl(duration);
    if (seconds(effective) >= seconds(caTtl)) {
      problems.add(['privateCertificate', 'duration'], expectedGot(
        `a duration shorter than the default vault.pki.issuingCaTtl (${JSON.stringify(caTtl)}), the lifetime of the issuing CA`, duration,
        'a certificate cannot outlive the CA that signs it'));
    }
  }

  const leafKey = pki === undefined ? undefined : own(pki, 'leafKey');
  const expected = privateKeyOf(privateCertificate);
  if (!isMapping(leafKey) || expected === undefined) return;
  const type = own(leafKey, 'type') ?? expected.type;
  const bits = own(leafKey, 'bits') ?? (type === expected.type ? expected.bits : VAULT_DEFAULT_KEY_BITS[type as VaultKeyType]);
  if (KEY_TYPE.problem(type) !== undefined || keyBitsRule(type as VaultKeyType, true).problem(bits) !== undefined) return;
  if (type !== expected.type || bits !== expected.bits) {
    problems.add(['vault', 'pki', 'leafKey'], `expected the key of privateCertificate.privateKey (type "${expected.type}", bits ${expected.bits}), `
      + `got type "${String(type)}", bits ${String(bits)} (Vault signs only CSRs whose key matches the role's key_type and key_bits: `
      + 'the private Gateway\'s certificate would be refused; remove leafKey to follow privateCertificate.privateKey)');
  }
}

/** The private certificate's key in Vault's terms, or `undefined` when its fields are invalid. */
function privateKeyOf(privateCertificate: Mapping | undefined): VaultKey | undefined {
  const key = privateCertificate === undefined ? undefined : own(privateCertificate, 'privateKey');
  if (key === undefined) return { type: 'ec', bits: VAULT_DEFAULT_KEY_BITS.ec };
  if (!isMapping(key)) return undefined;
  const algorithm = own(key, 'algorithm') ?? 'ECDSA';
  if (algorithm !== 'ECDSA' && algorithm !== 'RSA') return undefined;
  const type: VaultKeyType = algorithm === 'RSA' ? 'rsa' : 'ec';
  const size = own(key, 'size') ?? VAULT_DEFAULT_KEY_BITS[type];
  return typeof size === 'number' && VAULT_KEY_BITS[type].includes(size) ? { type, bits: size } : undefined;
}

function checkAllowedDomainsCoverApplications(problems: Problems, pki: Mapping | undefined, raw: Mapping): void {
  const domains = pki === undefined ? undefined : own(pki, 'allowedDomains');
  if (!Array.isArray(domains) || domains.length === 0 || domains.some((d) => ALLOWED_DOMAIN.problem(d) !== undefined)) return;
  const applications = own(raw, 'applications');
  if (!Array.isArray(applications)) return;
  const outside = applications.flatMap((app: unknown, index) => {
    if (!isMapping(app) || own(app, 'gateway') !== 'private') return [];
    const hostname = own(app, 'hostname');
    return typeof hostname === 'string' && isDnsName(hostname) && !domains.some((d: string) => isInDnsZone(hostname, d))
      ? [`${JSON.stringify(hostname)} of applications[${index}]`] : [];
  });
  if (outside.length > 0) {
    problems.add(['vault', 'pki', 'allowedDomains'], `expected domains covering the host name of every private application, got `
      + `${JSON.stringify(domains)} (${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} outside them: Vault would refuse the `
      + 'private Gateway\'s certificate)');
  }
}

function checkRoleIdsDiffer(problems: Problems, raw: Mapping, vault: Mapping | undefined): void {
  const appRole = mappingAt(mappingAt(vault, 'auth'), 'appRole');
  const certManager = appRole === undefined ? undefined : own(appRole, 'roleId');
  const snapshot = own(mappingAt(mappingAt(raw, 'backup'), 'appRole') ?? {}, 'roleId');
  if (typeof certManager !== 'string' || typeof snapshot !== 'string' || !isUuid(certManager) || !isUuid(snapshot)) return;
  if (certManager.toLowerCase() === snapshot.toLowerCase()) {
    problems.add(['backup', 'appRole', 'roleId'], expectedGot('a role id other than vault.auth.appRole.roleId', snapshot,
      'the snapshot agent and cert-manager are two AppRoles with their own rights; generate another UUID, e.g. with uuidgen'));
  }
}

/**
 * Kubernetes login: Vault's JWT auth trusts the cluster's OIDC issuer, named by an IRSA cluster's
 * `oidcProviderArn`, and one auth mount (`vault.auth.kubernetes.mountPath`) trusts one issuer.
 * `kubernetesJwtAuth` needs at least one such cluster.
 */
function checkKubernetesLogin(problems: Problems, raw: Mapping, vault: Mapping | undefined, clusters: ClusterSummary): void {
  const list = own(raw, 'clusters');
  if (!Array.isArray(list) || clusters.count === undefined || clusters.count === 0) return;
  const irsa = list.filter((cluster: unknown) => {
    const identity = isMapping(cluster) ? own(cluster, 'workloadIdentity') : undefined;
    const arn = isMapping(identity) ? own(identity, 'oidcProviderArn') : undefined;
    return isMapping(identity) && own(identity, 'type') === 'irsa' && typeof arn === 'string' && parseOidcProviderArn(arn) !== undefined;
  });
  const typeOf = (cluster: unknown) => {
    const identity = isMapping(cluster) ? own(cluster, 'workloadIdentity') : undefined;
    return isMapping(identity) ? own(identity, 'type') : undefined;
  };
  const auth = mappingAt(vault, 'auth');
  const kubernetes = auth === undefined ? undefined : own(auth, 'kubernetes');
  // Omitted, vault.auth is Kubernetes auth (the default): the same conditions, said on vault.auth.
  const byDefault = isMapping(vault) && own(vault, 'auth') === undefined;
  if ((isMapping(kubernetes) && (auth === undefined || own(auth, 'appRole') === undefined)) || byDefault) {
    const at = byDefault ? ['vault', 'auth'] : ['vault', 'auth', 'kubernetes'];
    const fix = byDefault ? 'cert-manager logs in with Kubernetes auth when vault.auth is omitted; set vault.auth.appRole instead'
      : undefined;
    if (list.length !== 1) {
      problems.add(at, `expected a single cluster for Kubernetes auth, got ${list.length} clusters (Vault's JWT `
        + `auth mount at vault.auth.kubernetes.mountPath trusts one cluster's OIDC issuer; ${fix ?? 'use appRole with several clusters'})`);
    } else if (typeOf(list[0]) === 'pod-identity') {
      problems.add(at, 'expected a cluster whose workloadIdentity is irsa for Kubernetes auth, got '
        + `${formatPath(['clusters', 0, 'workloadIdentity', 'type'])} "pod-identity" (Vault's JWT auth trusts the OIDC issuer that `
        + `oidcProviderArn names; ${fix ?? 'use appRole, or irsa'})`);
    }
  }
  const setup = mappingAt(vault, 'setup');
  if (setup !== undefined && own(setup, 'kubernetesJwtAuth') === true && irsa.length === 0
    && list.every((cluster) => typeOf(cluster) === 'irsa' || typeOf(cluster) === 'pod-identity')) {
    problems.add(['vault', 'setup', 'kubernetesJwtAuth'], 'expected false when no cluster uses irsa, got true (the JWT auth mounts trust '
      + 'the OIDC issuers that clusters[].workloadIdentity.oidcProviderArn name)');
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * A key (`issuingKey`, `leafKey`): type, then bits for that type among `bits` (`defaultType` when
 * omitted; any type's when `undefined`).
 */
function checkVaultKey(
  problems: Problems, parent: Mapping, parentPath: Path, key: string, defaultType: VaultKeyType | undefined, bits: KeyBits = VAULT_KEY_BITS,
  why: KeyBitsWhy = {},
): void {
  const path = [...parentPath, key];
  const mapping = section(problems, parent, parentPath, key, KEY_FIELDS, true,
    `${mappingOf(KEY_FIELDS)}, such as { type: "ec", bits: 256 }`);
  if (!mapping) return;
  const typeGiven = own(mapping, 'type') !== undefined;
  const type = typeGiven ? field<VaultKeyType>(problems, mapping, path, 'type', KEY_TYPE, true) : defaultType;
  // A wrong type was reported: the bits are then checked against every type's sizes.
  field(problems, mapping, path, 'bits', keyBitsRule(type, typeGiven, bits, why), true);
}

const ISSUER_FIELDS = ['name', 'certificateFile'] as const;
const ISSUERS_EXPECTED = `a non-empty list of issuers, each ${mappingOf(ISSUER_FIELDS)}, such as [{ name: "issuing-ca" }]`;

/**
 * `vault.pki.issuers` (each name once, each certificate file once, defaults included) and
 * `vault.pki.defaultIssuer`, which must name one of them (the default list when `issuers` is omitted).
 */
function checkIssuers(problems: Problems, pki: Mapping, parentPath: Path): void {
  const path = [...parentPath, 'issuers'];
  const given = present(problems, pki, parentPath, 'issuers', ISSUERS_EXPECTED, true);
  let names: string[] | undefined = given === undefined ? [VAULT_PKI_DEFAULTS.issuerName] : [];
  if (given !== undefined && (!Array.isArray(given) || given.length === 0)) {
    problems.add(path, expectedGot(ISSUERS_EXPECTED, given, Array.isArray(given) ? 'the mount needs an issuer to sign with' : undefined));
    names = undefined;
  } else if (Array.isArray(given)) {
    const seenNames = new Map<string, number>();
    const seenFiles = new Map<string, number>();
    given.forEach((item: unknown, index) => {
      const itemPath = [...path, index];
      if (!isMapping(item)) {
        problems.add(itemPath, expectedGot(mappingOf(ISSUER_FIELDS), item));
        names = undefined;
        return;
      }
      reportUnknownKeys(problems, item, itemPath, ISSUER_FIELDS);
      const name = field<string>(problems, item, itemPath, 'name', ISSUER_NAME);
      const file = field<string>(problems, item, itemPath, 'certificateFile', ISSUER_CERTIFICATE_FILE, true);
      if (name === undefined) {
        names = undefined;
        return;
      }
      const firstName = seenNames.get(name);
      if (firstName !== undefined) {
        problems.add([...itemPath, 'name'], expectedGot('a name not used by another issuer', name, `already vault.pki.issuers[${firstName}].name`));
        names = undefined;
        return;
      }
      seenNames.set(name, index);
      names?.push(name);
      const effective = file ?? (own(item, 'certificateFile') === undefined ? defaultIssuerCertificateFile(name) : undefined);
      if (effective === undefined) return;
      const firstFile = seenFiles.get(posix.normalize(effective));
      if (firstFile !== undefined) {
        problems.add([...itemPath, file === undefined ? 'name' : 'certificateFile'], expectedGot(
          'a certificate file of its own', effective, `vault.pki.issuers[${firstFile}] already has it: each issuer has its own certificate`));
      } else {
        seenFiles.set(posix.normalize(effective), index);
      }
    });
  }
  const defaultIssuer = field<string>(problems, pki, parentPath, 'defaultIssuer', ISSUER_NAME, true);
  if (defaultIssuer !== undefined && names !== undefined && !names.includes(defaultIssuer)) {
    problems.add([...parentPath, 'defaultIssuer'], expectedGot(`the name of one of vault.pki.issuers (${quoted(names)})`, defaultIssuer,
      given === undefined ? `without vault.pki.issuers the only issuer is "${VAULT_PKI_DEFAULTS.issuerName}"` : undefined));
  }
}

function checkAllowedDomains(problems: Problems, pki: Mapping, parentPath: Path): void {
  const expected = `a non-empty list of DNS names the Vault role signs (with their subdomains), such as ["priv.example.com", "${CLUSTER_LOCAL_DOMAIN}"]`;
  listField(problems, pki, parentPath, 'allowedDomains', ALLOWED_DOMAIN, {
    expected,
    minItems: 1,
    tooShortHint: `a role without domains signs nothing; remove the key to sign the private zone and ${CLUSTER_LOCAL_DOMAIN}`,
    duplicate: (domain, first) => expectedGot('a domain not listed before', domain, `already allowedDomains[${first}]`),
  });
}

/** Whether two Vault mount paths are the same, or one lies inside the other (`pki` and `pki/int`). */
function mountsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** `value` when `rule` accepts it, `fallback` when it is absent, `undefined` when invalid (already reported). */
function validOr(value: unknown, rule: Rule, fallback: string): string | undefined {
  if (value === undefined) return fallback;
  return rule.problem(value) === undefined ? value as string : undefined;
}

/** A TTL as checked: the value in effect (given and valid, or the default), `undefined` when invalid. */
interface CheckedTtl {
  readonly value: string | undefined;
  readonly given: boolean;
}

function checked(problems: Problems, mapping: Mapping, path: Path, key: string, rule: Rule, fallback: string): CheckedTtl {
  const given = own(mapping, key) !== undefined;
  const value = field<string>(problems, mapping, path, key, rule, true);
  return { value: given ? value : fallback, given };
}

/**
 * `privateCertificate.duration` when given and a positive duration in cert-manager's form (validate.ts
 * reports it otherwise), else `undefined`.
 */
function validPrivateCertificateDuration(raw: Mapping): string | undefined {
  const duration = own(mappingAt(raw, 'privateCertificate') ?? {}, 'duration');
  return typeof duration === 'string' && isFluxDuration(duration) && parseGoDuration(duration)! > 0 ? duration : undefined;
}

/** `privateCertificate.duration` when omitted (validate.ts, types.ts). */
const PRIVATE_CERTIFICATE_DEFAULT_DURATION = '2160h';

function mappingAt(parent: Mapping | undefined, key: string): Mapping | undefined {
  const value = parent === undefined ? undefined : own(parent, key);
  return isMapping(value) ? value : undefined;
}

function seconds(duration: string): number {
  return parseGoDuration(duration)! / 1e9;
}
