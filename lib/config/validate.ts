/**
 * Validation of the platform configuration as a whole, before any construct exists.
 *
 * `validateConfig` walks the entire object and returns every problem, never stopping at the first,
 * in a fixed order: sections in the order of {@link PlatformConfig}, and inside each mapping its
 * unknown keys first, then its fields in declaration order, then the checks that relate several
 * fields. A check that depends on another field (the vault host in the private zone, the OIDC
 * provider in the cluster's account) only runs when that other field is itself valid, so one
 * mistake yields one problem rather than a cascade.
 *
 * Every bound is a named constant used by both its check and its message.
 *
 * Files the configuration names are not read here, unless the caller asks to through
 * {@link ValidateOptions} (the loader does, for `vault.caBundleFile` and `trust.rootsFile`). Secrets
 * it names (`vault.caBundleSecretRef`, the AppRole secret id) live in the cluster and are never read.
 */

import { checkImageDigests } from './image-digests.js';
import {
  compareVersions,
  DNS_LABEL_MAX_LENGTH,
  HTTP_PATH_MAX_LENGTH,
  isDns1035Label,
  isDnsLabel,
  isDnsName,
  isDnsSubdomain,
  isEmail,
  isFluxDuration,
  isGoDuration,
  isHttpPathPrefix,
  isInDnsZone,
  isIntegerInRange,
  isLabelKey,
  isLabelValue,
  isPortableRelativePath,
  isRoute53ZoneId,
  isVaultPath,
  LABEL_NAME_MAX_LENGTH,
  LABEL_VALUE_MAX_LENGTH,
  parseExactVersion,
  parseGoDuration,
  parseOidcProviderArn,
  PORT_MAX,
  PORT_MIN,
  ROUTE53_ZONE_ID_MAX_LENGTH,
  type VersionPrefix,
} from '../util/validators.js';
import { ConfigError, type ConfigProblem, formatPath, SHOWN_VALUE_MAX_LENGTH } from './errors.js';
import {
  ACCOUNT_ID, APPROLE_PATH, BOOLEAN, DNS_LABEL, DNS_SUBDOMAIN, dnsNameHint, enumRule, expectedGot, field, HOSTNAME, integerRule,
  IP_ADDRESS, isMapping, listField, listItem, type Mapping, mappingOf, numbers, own, type Path, pemFileRule, PORT, present, Problems, quoted,
  REGION, reportUnknownKeys, ROLE_ID, type Rule, SECRET_KEY, section, stringRule, VAULT_MOUNT, VAULT_ROLE, type ClusterSummary, type ValidAws, type ValidDns,
} from './rules.js';
import { acmeEmailProblem } from './check-acme.js';
import { checkBackup } from './check-backup.js';
import { checkCredentials } from './check-credentials.js';
import { checkLeftovers } from './check-leftovers.js';
import { checkOwnership } from './check-ownership.js';
import { checkTerraform } from './check-terraform.js';
import { checkVaultCluster } from './check-vault-cluster.js';
import { vaultServerNameProblem } from './vault-setup.js';
import {
  checkAppRoleFields, checkExternalSecretsVersion, checkVaultPkiFields, checkVaultSetupAcrossSections, checkVaultSetupSection,
} from './check-vault-setup.js';
import type { PlatformConfig } from './types.js';

/** Longest organization name: X.509 `ub-organization-name` (RFC 5280, appendix A.1), the `O=` of certificates. */
export const ORGANIZATION_NAME_MAX_LENGTH = 64;

/**
 * Oldest cert-manager chart accepted: `config.gatewayAPI.enabled`, which we render instead of the
 * deprecated `config.enableGatewayAPI`, first exists in v1.21.0 (an older controller does not know
 * it: Gateway API support would stay off or the configuration be refused).
 */
export const CERT_MANAGER_MIN_VERSION = 'v1.21.0';

/** Oldest Gateway API release accepted: v1.0.0 is the first with the v1 Gateway and HTTPRoute APIs. */
export const GATEWAY_API_MIN_VERSION = 'v1.0.0';

/**
 * Oldest trust-manager chart accepted (jetstack versions carry a `v`): the Helm values we render,
 * `crds.enabled` among them, need it.
 */
export const TRUST_MANAGER_MIN_VERSION = 'v0.12.0';

/**
 * Oldest x509-certificate-exporter chart accepted (enix versions carry no `v`): the Helm values we
 * render (`secretsExporter`, `hostPathsExporter.daemonSets`) follow the layout of its 3.x charts.
 */
export const X509_CERTIFICATE_EXPORTER_MIN_VERSION = '3.0.0';

/** Oldest prometheus-operator-crds chart accepted: `crds.annotations`, which we render, is in its 5.0.0 values. */
export const PROMETHEUS_OPERATOR_CRDS_MIN_VERSION = '5.0.0';

/**
 * Fewest and most days before expiry of `monitoring.warningDaysLeft` and `criticalDaysLeft`: an
 * alert a year or more ahead would fire for most of a certificate's life.
 */
export const MONITORING_DAYS_LEFT_MIN = 1;
export const MONITORING_DAYS_LEFT_MAX = 365;

/** `monitoring.warningDaysLeft` when omitted, as types.ts documents. */
export const MONITORING_DEFAULT_WARNING_DAYS_LEFT = 28;

/** `monitoring.criticalDaysLeft` when omitted, as types.ts documents. */
export const MONITORING_DEFAULT_CRITICAL_DAYS_LEFT = 14;

/** Fewest and most cert-manager replicas: beyond 5, leader election leaves the extra pods idle. */
export const CERT_MANAGER_REPLICAS_MIN = 1;
export const CERT_MANAGER_REPLICAS_MAX = 5;

/**
 * Lifetime of Let's Encrypt certificates, 90 days: the public certificate's `renewBefore` must be
 * shorter, or the certificate would be due for renewal as soon as it is issued.
 * @see https://letsencrypt.org/docs/faq/#what-is-the-lifetime-for-let-s-encrypt-certificates-for-how-long-are-they-valid
 */
export const LETS_ENCRYPT_CERTIFICATE_LIFETIME = '2160h';

/** Shortest certificate `duration` cert-manager's webhook accepts (`MinimumCertificateDuration`). */
export const CERTIFICATE_DURATION_MIN = '1h';

/** Shortest `renewBefore` cert-manager's webhook accepts (`MinimumRenewBefore`). */
export const RENEW_BEFORE_MIN = '5m';

/** `privateCertificate.duration` when omitted: 90 days, as types.ts documents. */
export const PRIVATE_CERTIFICATE_DEFAULT_DURATION = '2160h';

/** `privateCertificate.renewBefore` when omitted: 15 days, as types.ts documents. */
export const PRIVATE_CERTIFICATE_DEFAULT_RENEW_BEFORE = '360h';

/**
 * Private key algorithms, as cert-manager's `privateKey.algorithm` names them; Ed25519 is left out:
 * Let's Encrypt does not sign it and few TLS clients accept it.
 */
export const KEY_ALGORITHMS = ['ECDSA', 'RSA'] as const;

type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** Sizes of `privateKey.size` allowed for each algorithm. */
export type KeySizes = Readonly<Record<KeyAlgorithm, readonly number[]>>;

/** `privateKey.algorithm` when omitted. */
export const DEFAULT_KEY_ALGORITHM = 'ECDSA';

/** `privateKey.size` allowed for each algorithm: the NIST curves P-256, P-384, P-521; RSA moduli from 2048 bits. */
export const KEY_SIZES: KeySizes = {
  ECDSA: [256, 384, 521],
  RSA: [2048, 3072, 4096],
};

/**
 * `privateKey.size` of the public certificate: the keys Let's Encrypt signs (its CP/CPS, enforced by
 * Boulder's `goodkey`), which leave P-521 out.
 * @see https://github.com/letsencrypt/cp-cps/blob/main/CP-CPS.md#dv-ssl-subscriber-certificate
 */
export const LETS_ENCRYPT_KEY_SIZES: KeySizes = {
  ECDSA: [256, 384],
  RSA: [2048, 3072, 4096],
};

/** What `vault.auth.kubernetes.mountPath` starts with: cert-manager calls `<mountPath>/login` on the Vault API. */
export const VAULT_KUBERNETES_MOUNT_PATH_PREFIX = '/v1/auth/';

/**
 * What `validation.suppressions[].rule` looks like: the ids of the policy rules (lib/validate/policies.ts),
 * `K8S-` or `TF-` and three digits. Whether the id exists is checked by `npm run validate`, which knows the rules.
 */
export const POLICY_RULE_ID_PATTERN = /^(K8S|TF)-\d{3}$/;

/** Shortest `validation.suppressions[].reason`: a reason says why, which "ok" or "accepted" does not. */
export const SUPPRESSION_REASON_MIN_LENGTH = 10;

/** The fields the CA chains are compared with (check-ca-chain.ts) and the mappings that hold them, as paths. */
const CA_CHAIN_FIELDS: readonly string[] = [
  '', 'organization', 'organization.name', 'dns', 'dns.privateZone', 'dns.privateZone.name', 'vault', 'vault.address',
  'vault.caBundleFile', 'vault.caBundleSecretRef', 'trust', 'trust.rootsFile',
];

/** Top-level sections of the configuration, in the order they are checked and documented. */
export const CONFIG_SECTIONS = [
  'organization', 'aws', 'dns', 'acme', 'vault', 'publicCertificate', 'privateCertificate', 'versions', 'imageDigests', 'clusters', 'applications',
  'pki', 'trust', 'validation', 'vaultCluster', 'backup', 'terraform',
] as const;
const ORGANIZATION_FIELDS = ['name', 'country'] as const;
const AWS_FIELDS = ['accountId', 'region'] as const;
const DNS_FIELDS = ['publicZone', 'privateZone'] as const;
const ZONE_FIELDS = ['name', 'hostedZoneID'] as const;
const ACME_FIELDS = ['email', 'gatewayIssuer', 'http01'] as const;
const VAULT_FIELDS = ['address', 'caBundleFile', 'caBundleSecretRef', 'serverName', 'pki', 'auth', 'setup'] as const;
const CA_BUNDLE_SECRET_REF_FIELDS = ['name', 'key'] as const;
const VAULT_PKI_FIELDS = [
  'mount', 'role', 'issuers', 'defaultIssuer', 'issuingCaTtl', 'issuingKey', 'allowedDomains', 'allowWildcardCertificates', 'leafTtl',
  'leafMaxTtl', 'leafKey', 'allowIssue',
] as const;
const VAULT_AUTH_FIELDS = ['appRole', 'kubernetes'] as const;
const APPROLE_FIELDS = ['path', 'roleId', 'secretRef', 'tokenBoundCidrs', 'secretIdBoundCidrs', 'secretIdTtl'] as const;
const SECRET_REF_FIELDS = ['name', 'key'] as const;
const KUBERNETES_AUTH_FIELDS = ['mountPath', 'role', 'serviceAccount'] as const;
const PUBLIC_CERTIFICATE_FIELDS = ['renewBefore', 'privateKey'] as const;
const PRIVATE_CERTIFICATE_FIELDS = ['duration', 'renewBefore', 'privateKey'] as const;
const PRIVATE_KEY_FIELDS = ['algorithm', 'size'] as const;
const VERSIONS_FIELDS = ['certManager', 'gatewayApi', 'trustManager', 'x509CertificateExporter', 'externalSecrets', 'prometheusOperatorCrds'] as const;
const CLUSTER_FIELDS = ['name', 'region', 'gatewayClassName', 'workloadIdentity', 'flux', 'certManager', 'gateways', 'monitoring'] as const;
const IRSA_FIELDS = ['type', 'oidcProviderArn'] as const;
const POD_IDENTITY_FIELDS = ['type', 'eksClusterName', 'oidcProviderArn'] as const;
const FLUX_FIELDS = ['gitRepository', 'interval', 'timeout'] as const;
const CERT_MANAGER_FIELDS = ['replicas', 'serviceMonitor'] as const;
const GATEWAYS_SECTION_FIELDS = ['namespace', 'loadBalancerTargetType'] as const;
const MONITORING_FIELDS = ['enabled', 'warningDaysLeft', 'criticalDaysLeft', 'vaultAlerts', 'selectorLabels', 'prometheusOperatorCrds', 'certificateNamespaces'] as const;
const APPLICATION_FIELDS = ['name', 'cluster', 'namespace', 'gateway', 'hostname', 'service', 'path', 'createNamespace'] as const;
const SERVICE_FIELDS = ['name', 'port'] as const;
const PKI_FIELDS = [
  'directory', 'serverKey', 'serverExtraDnsNames', 'serverIpAddresses', 'intermediateCaIssuersUrl', 'intermediateCrlUrl',
] as const;
const PKI_SERVER_KEY_FIELDS = ['algorithm'] as const;
const TRUST_FIELDS = ['rootsFile', 'namespaceLabels'] as const;
const VALIDATION_FIELDS = ['suppressions'] as const;
const SUPPRESSION_FIELDS = ['rule', 'reason', 'object'] as const;

const WORKLOAD_IDENTITY_TYPES = ['irsa', 'pod-identity'] as const;

/** Longest EKS cluster name (the EKS CreateCluster API limit). */
export const EKS_CLUSTER_NAME_MAX_LENGTH = 100;
const GATEWAYS = ['public', 'private'] as const;
const LOAD_BALANCER_TARGET_TYPES = ['instance', 'ip'] as const;
const ACME_ISSUERS = ['staging', 'production'] as const;

/** What {@link validateConfig} may do beyond checking values. */
export interface ValidateOptions {
  /**
   * Checks the file that `vault.caBundleFile` names, called once that field is valid and is the CA
   * bundle in effect (not when `vault.caBundleSecretRef` is given too, nor for the Secret, which
   * lives in the cluster). Returns what is wrong with the file, as messages reported at
   * `vault.caBundleFile` in the order of the checks. The loader passes one that reads the file (see
   * `loadPlatform`).
   * @default - the file is not read
   */
  readonly checkCaBundle?: (file: string) => readonly string[];
  /**
   * Checks the roots that trust-manager distributes, and returns what is wrong with them as
   * messages, like {@link checkCaBundle}. Called with `trust.rootsFile` (`source` `'rootsFile'`,
   * messages reported there) once that field is valid; without it, with `vault.caBundleFile`
   * (`source` `'caBundleFile'`, messages reported there) when that file is the CA bundle in effect
   * and {@link checkCaBundle} found nothing wrong with it, right after that check.
   * @default - the roots are not checked
   */
  readonly checkTrustRoots?: (file: string, source: 'rootsFile' | 'caBundleFile') => readonly string[];
  /**
   * Checks that the CA chain files already read (`vault.caBundleFile`, `trust.rootsFile`) were made
   * for this configuration (lib/config/check-ca-chain.ts), called once the fields it compares
   * (organization.name, dns.privateZone.name, vault.address, the files) are valid, before {@link checkIssuingCertificates}, which only runs when
   * nothing at all is wrong. Returns what differs, each
   * problem with its path. The loader passes one (see `loadPlatform`).
   * @default - the chains are not compared with the configuration
   */
  readonly checkCaChains?: (config: PlatformConfig) => ReadonlyArray<{ readonly path: Path; readonly message: string }>;
  /**
   * Checks the issuing CAs' certificate files (`vault.pki.issuers[].certificateFile`), called last
   * and only when nothing else is wrong, with the configuration then known valid. Returns what is
   * wrong, each problem with its path. The loader passes one that reads the files (see
   * `loadPlatform`, lib/config/issuing-ca.ts).
   * @default - the files are not read
   */
  readonly checkIssuingCertificates?: (config: PlatformConfig) => ReadonlyArray<{ readonly path: Path; readonly message: string }>;
}

/**
 * Checks a whole configuration, as parsed from YAML, against every rule.
 *
 * Pure unless `options` says otherwise: reads `raw`, never changes it, never throws on bad input.
 * @returns every problem found, in a deterministic order (see the module comment); empty when valid
 */
export function validateConfig(raw: unknown, options: ValidateOptions = {}): ConfigProblem[] {
  const problems = new Problems();
  checkPlatform(problems, raw, options);
  return problems.list;
}

/**
 * Checks a whole configuration and returns it typed, or throws a {@link ConfigError} listing every problem.
 * @param raw the configuration as parsed from YAML
 * @param source where it comes from (the file name), first word of the error message
 */
export function assertValidConfig(raw: unknown, source: string): PlatformConfig {
  const problems = validateConfig(raw);
  if (problems.length > 0) {
    throw new ConfigError(source, problems);
  }
  return raw as PlatformConfig;
}

// ---------------------------------------------------------------------------------------------
// Rules of single values

const ZONE_NAME = stringRule(
  'a lowercase fully qualified DNS name without trailing dot, such as "example.com"', isDnsName, dnsNameHint,
);

const HOSTED_ZONE_ID = stringRule(
  `a Route53 hosted zone id: "Z" then uppercase letters or digits, at most ${ROUTE53_ZONE_ID_MAX_LENGTH} characters`,
  isRoute53ZoneId,
  (value) => (value.startsWith('/hostedzone/') ? 'remove the "/hostedzone/" prefix' : undefined),
);

const ORGANIZATION_NAME: Rule = {
  expected: `a non-empty organization name of at most ${ORGANIZATION_NAME_MAX_LENGTH} characters (the X.509 limit of O=)`,
  problem(value) {
    // A control character (a pasted tab or newline) ends up in every certificate's subject, where
    // clients display it or refuse it.
    const control = typeof value === 'string' ? /[\u0000-\u001f\u007f]/.exec(value) : null;
    if (control !== null) {
      return expectedGot(this.expected, value, `a control character, U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}, `
        + `at position ${control.index + 1}: remove it`);
    }
    if (typeof value === 'string' && value.trim() !== '' && value.length <= ORGANIZATION_NAME_MAX_LENGTH) {
      return undefined;
    }
    const length = typeof value === 'string' && value.length > ORGANIZATION_NAME_MAX_LENGTH
      && value.length <= SHOWN_VALUE_MAX_LENGTH ? `${value.length} characters` : undefined;
    return expectedGot(this.expected, value, length);
  },
};

const EKS_CLUSTER_NAME = stringRule(
  `an EKS cluster name (a letter or digit, then letters, digits, '-' or '_', at most ${EKS_CLUSTER_NAME_MAX_LENGTH} characters)`,
  (value) => new RegExp(`^[0-9A-Za-z][A-Za-z0-9_-]{0,${EKS_CLUSTER_NAME_MAX_LENGTH - 1}}$`).test(value),
);

/**
 * Two-letter codes people write for a country that ISO 3166-1 does not assign to it (reserved for
 * other uses), with the code that is: certificates with them carry an invalid `C=`.
 */
const NOT_ISO_COUNTRY_CODES: Readonly<Record<string, string>> = {
  UK: 'UK is not an ISO 3166-1 code: the United Kingdom is "GB"',
  EL: 'EL is the EU\'s abbreviation for Greece, not its ISO 3166-1 code: "GR"',
  EU: 'EU is not a country: give the organization\'s country',
};

const COUNTRY = stringRule(
  'an ISO 3166-1 alpha-2 country code, two uppercase letters such as "FR"',
  (value) => /^[A-Z]{2}$/.test(value) && NOT_ISO_COUNTRY_CODES[value] === undefined,
  (value) => NOT_ISO_COUNTRY_CODES[value.toUpperCase()]
    ?? (/^[a-zA-Z]{2}$/.test(value) ? `write it in uppercase: ${JSON.stringify(value.toUpperCase())}` : undefined),
);

const EMAIL = stringRule('an e-mail address such as "security@example.com"', isEmail, (value) => {
  if (/\s/.test(value)) return 'remove the spaces';
  const domain = value.slice(value.lastIndexOf('@') + 1);
  return value.includes('@') && domain !== '' && !domain.includes('.')
    ? `the domain "${domain}" has a single label: Let's Encrypt refuses it ("Domain name needs at least one dot")`
    : undefined;
});

interface VersionRuleOptions {
  /** As named in messages. */
  readonly product: string;
  /** Oldest version accepted, and why. */
  readonly minimum: string;
  readonly why: string;
  /** A valid version, for the message. */
  readonly example: string;
  /** `v` when versions carry one, `''` when they have none. */
  readonly prefix: VersionPrefix;
  /** Why the leading `v` is required, or why there is none. */
  readonly prefixReason: string;
}

function versionRule({ product, minimum, why, example, prefix, prefixReason }: VersionRuleOptions): Rule {
  const floor = parseExactVersion(minimum, prefix)!;
  const expected = `an exact ${product} version "${prefix}MAJOR.MINOR.PATCH" such as "${example}"`;
  return {
    expected,
    problem(value) {
      const version = typeof value === 'string' ? parseExactVersion(value, prefix) : undefined;
      if (version === undefined) {
        return expectedGot(expected, value, typeof value === 'string' ? versionHint(value, prefix, prefixReason) : undefined);
      }
      return compareVersions(version, floor) < 0 ? expectedGot(`${product} ${minimum} or later (${why})`, value) : undefined;
    },
  };
}

function versionHint(value: string, prefix: VersionPrefix, prefixReason: string): string | undefined {
  if (prefix === 'v' && parseExactVersion(`v${value}`) !== undefined) {
    return `add the leading "v": ${prefixReason}`;
  }
  if (prefix === '' && /^[vV]/.test(value) && parseExactVersion(value.slice(1), '') !== undefined) {
    return `remove the leading "${value[0]}": ${prefixReason}`;
  }
  if (/^v?\d+\.\d+\.\d+-/.test(value)) {
    return 'pre-releases are not accepted';
  }
  return 'pin one release: no range, wildcard or "latest"';
}

const CERT_MANAGER_VERSION = versionRule({
  product: 'cert-manager',
  minimum: CERT_MANAGER_MIN_VERSION,
  why: 'the rendered Helm value config.gatewayAPI.enabled needs it',
  example: 'v1.21.1',
  prefix: 'v',
  prefixReason: 'the jetstack chart versions carry it',
});

const GATEWAY_API_VERSION = versionRule({
  product: 'Gateway API',
  minimum: GATEWAY_API_MIN_VERSION,
  why: 'the first release with the v1 Gateway and HTTPRoute APIs',
  example: 'v1.6.1',
  prefix: 'v',
  prefixReason: 'the release tags carry it',
});

const TRUST_MANAGER_VERSION = versionRule({
  product: 'trust-manager',
  minimum: TRUST_MANAGER_MIN_VERSION,
  why: 'the rendered Helm values, crds.enabled among them, need it',
  example: 'v0.24.0',
  prefix: 'v',
  prefixReason: 'the jetstack chart versions carry it',
});

const X509_CERTIFICATE_EXPORTER_VERSION = versionRule({
  product: 'x509-certificate-exporter',
  minimum: X509_CERTIFICATE_EXPORTER_MIN_VERSION,
  why: 'the rendered Helm values follow the layout of its 3.x charts',
  example: '3.19.1',
  prefix: '',
  prefixReason: 'the enix chart versions have none',
});

const PROMETHEUS_OPERATOR_CRDS_VERSION = versionRule({
  product: 'prometheus-operator-crds',
  minimum: PROMETHEUS_OPERATOR_CRDS_MIN_VERSION,
  why: 'the rendered Helm value crds.annotations needs it',
  example: '31.0.1',
  prefix: '',
  prefixReason: 'the prometheus-community chart versions have none',
});

const PROMETHEUS_OPERATOR_CRDS_SOURCE = enumRule(['install', 'present']);

const WORKLOAD_IDENTITY_TYPE = enumRule(WORKLOAD_IDENTITY_TYPES);

const OIDC_PROVIDER_ARN = stringRule(
  'the ARN of the cluster\'s IAM OIDC provider, '
    + '"arn:aws:iam::<account id>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<32 uppercase hex digits>"',
  (value) => parseOidcProviderArn(value) !== undefined,
  (value) => {
    if (value.startsWith('https://')) {
      return 'that is the issuer URL; give the ARN of the IAM OIDC provider created for it';
    }
    return parseOidcProviderArn(value.replace(/\/id\/([0-9a-fA-F]{32})$/, (_, id: string) => `/id/${id.toUpperCase()}`))
      ? 'write the id in uppercase, as EKS does'
      : undefined;
  },
);

const FLUX_DURATION: Rule = {
  expected: 'a positive duration such as "10m", "1h30m" or "90s" (a Go duration, with the units ms, s, m, h that Flux accepts)',
  problem(value) {
    if (typeof value === 'string' && isFluxDuration(value) && parseGoDuration(value)! > 0) {
      return undefined;
    }
    let hint: string | undefined;
    if (typeof value === 'number') {
      hint = `add a unit, e.g. "${value}m"`;
    } else if (typeof value === 'string' && isGoDuration(value)) {
      hint = parseGoDuration(value)! <= 0 ? 'it must be positive' : 'Flux accepts only the units ms, s, m and h';
    }
    return expectedGot(this.expected, value, hint);
  },
};

const REPLICAS = integerRule(CERT_MANAGER_REPLICAS_MIN, CERT_MANAGER_REPLICAS_MAX);

const DAYS_LEFT = integerRule(MONITORING_DAYS_LEFT_MIN, MONITORING_DAYS_LEFT_MAX, ' (days before expiry)');

const GATEWAY = enumRule(GATEWAYS);

const LOAD_BALANCER_TARGET_TYPE = enumRule(LOAD_BALANCER_TARGET_TYPES);

const PATH_PREFIX = stringRule(
  `a path prefix starting with "/", at most ${HTTP_PATH_MAX_LENGTH} characters, without whitespace, `
    + '"//", "/./", "/../", "%2F" or "#" (the HTTPRoute PathPrefix rules)',
  (value) => isHttpPathPrefix(value) && !value.includes('*'),
  (value) => (/\s/.test(value) ? 'remove the whitespace, or encode it as %20'
    : value.includes('*') ? `a PathPrefix matches "*" literally, not as a wildcard: ${JSON.stringify(value.replace(/\/?\*.*$/, '') || '/')} `
      + 'already matches every path below it'
      : undefined),
);

const SERVICE_NAME = stringRule(
  'a Service name, a DNS-1035 label (lowercase letters, digits and \'-\', starting with a letter, '
    + `at most ${DNS_LABEL_MAX_LENGTH} characters)`,
  isDns1035Label,
  (value) => {
    if (value.length > DNS_LABEL_MAX_LENGTH) {
      return `${value.length} characters`;
    }
    return /^[0-9]/.test(value) && isDnsLabel(value) ? 'a Service name cannot start with a digit' : undefined;
  },
);

const GATEWAY_ISSUER = enumRule(ACME_ISSUERS);

const CERTIFICATE_DURATION_EXPECTED = 'a duration such as "2160h", "360h" or "1h30m" (a Go duration with the units ms, s, m, h)';

/**
 * A cert-manager duration (`duration`, `renewBefore`), in the form Flux durations take, at least
 * `min`, and shorter than `below` when given.
 * @param min shortest accepted, a duration string, and why
 * @param below exclusive upper bound, a duration string, and why
 */
function certificateDurationRule(min: { value: string; why: string }, below?: { value: string; why: string }): Rule {
  const floor = parseGoDuration(min.value)!;
  const ceiling = below === undefined ? undefined : parseGoDuration(below.value)!;
  return {
    expected: CERTIFICATE_DURATION_EXPECTED,
    problem(value) {
      if (typeof value !== 'string' || !isFluxDuration(value)) {
        return expectedGot(CERTIFICATE_DURATION_EXPECTED, value, certificateDurationHint(value));
      }
      const nanoseconds = parseGoDuration(value)!;
      if (nanoseconds < floor) {
        return expectedGot(`a duration of at least ${min.value} (${min.why})`, value);
      }
      if (below !== undefined && ceiling !== undefined && nanoseconds >= ceiling) {
        return expectedGot(`a duration shorter than ${below.value} (${below.why})`, value);
      }
      return undefined;
    },
  };
}

function certificateDurationHint(value: unknown): string | undefined {
  if (typeof value === 'number') {
    return `add a unit, e.g. "${value}h"`;
  }
  if (typeof value !== 'string') {
    return undefined;
  }
  const days = /^(\d+)d$/.exec(value);
  if (days) {
    return `Go durations have no unit for days; write ${days[1]} days as "${Number(days[1]) * 24}h"`;
  }
  if (isGoDuration(value)) {
    return parseGoDuration(value)! < 0 ? 'it must be positive' : 'use only the units ms, s, m and h';
  }
  return undefined;
}

const RENEW_BEFORE_MIN_WHY = 'cert-manager\'s minimum renewBefore';

const PUBLIC_RENEW_BEFORE = certificateDurationRule(
  { value: RENEW_BEFORE_MIN, why: RENEW_BEFORE_MIN_WHY },
  {
    value: LETS_ENCRYPT_CERTIFICATE_LIFETIME,
    why: 'the 90-day lifetime of Let\'s Encrypt certificates: a longer renewBefore would make the certificate due for renewal '
      + 'as soon as issued',
  },
);

const PRIVATE_DURATION = certificateDurationRule({ value: CERTIFICATE_DURATION_MIN, why: 'cert-manager\'s minimum certificate duration' });

const PRIVATE_RENEW_BEFORE = certificateDurationRule({ value: RENEW_BEFORE_MIN, why: RENEW_BEFORE_MIN_WHY });

const KEY_ALGORITHM = enumRule(KEY_ALGORITHMS);

/**
 * `privateKey.size` for `algorithm`, the effective algorithm (given or default), among `sizes`;
 * `algorithm` is `undefined` when the given one is invalid, and then a size of any algorithm passes.
 * @param issuer why `sizes` is narrower than {@link KEY_SIZES}, if it is
 */
function keySizeRule(
  algorithm: KeyAlgorithm | undefined, algorithmGiven: boolean, sizes: KeySizes, issuer?: string,
): Rule {
  const why = issuer === undefined ? '' : `; ${issuer}`;
  if (algorithm === undefined) {
    const all = KEY_ALGORITHMS.map((name) => `${numbers(sizes[name])} for ${name}`).join(', ');
    const expected = `a key size: ${all}${issuer === undefined ? '' : ` (${issuer})`}`;
    return sizeRule(expected, KEY_ALGORITHMS.flatMap((name) => sizes[name]), () => undefined);
  }
  const what = algorithm === 'ECDSA' ? 'an ECDSA curve size' : 'an RSA key size';
  const which = algorithmGiven ? `algorithm "${algorithm}"` : `algorithm "${algorithm}", the default`;
  return sizeRule(`${what}: ${numbers(sizes[algorithm])} (${which}${why})`, sizes[algorithm], (size) => {
    const other = KEY_ALGORITHMS.find((name) => name !== algorithm && sizes[name].includes(size));
    return other === undefined ? undefined : `a size for ${other} keys; set privateKey.algorithm to "${other}" for one`;
  });
}

function sizeRule(expected: string, sizes: readonly number[], hint: (size: number) => string | undefined): Rule {
  return {
    expected,
    problem(value) {
      if (typeof value === 'number' && sizes.includes(value)) {
        return undefined;
      }
      if (typeof value === 'string' && /^\d+$/.test(value) && sizes.includes(Number(value))) {
        return expectedGot(expected, value, 'write the number without quotes');
      }
      return expectedGot(expected, value, typeof value === 'number' ? hint(value) : undefined);
    },
  };
}

const CA_BUNDLE_FILE = pemFileRule(
  'the path of a PEM file of CA certificates, relative to the configuration file, such as "pki/ca-chain.pem"',
);

const ROOTS_FILE = pemFileRule(
  'the path of a PEM file of root CA certificates, relative to the configuration file, such as "pki/root-ca.pem"',
);

const NAMESPACE_LABELS_EXPECTED = 'a non-empty mapping of Kubernetes label keys to label values, '
  + 'such as { "gateway-pki.io/private-ca": "true" }';

const SELECTOR_LABELS_EXPECTED = 'a non-empty mapping of Kubernetes label keys to label values, '
  + 'such as { release: "kube-prometheus-stack" }';

const LABEL_KEY_EXPECTED = `a label key: an optional DNS-1123 subdomain prefix and "/", then a name of at most ${LABEL_NAME_MAX_LENGTH} `
  + 'characters (letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit)';

/** The likely fix for a label key that is not one, or `undefined` when none is obvious. */
function labelKeyHint(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) {
    return 'a key has at most one "/"';
  }
  const name = parts[parts.length - 1]!;
  if (parts.length === 2 && !isDnsSubdomain(parts[0]!)) {
    return isDnsSubdomain(parts[0]!.toLowerCase()) ? 'write the prefix in lowercase' : 'the prefix is not a DNS-1123 subdomain';
  }
  return name.length > LABEL_NAME_MAX_LENGTH ? `a name of ${name.length} characters` : undefined;
}

const LABEL_VALUE: Rule = {
  expected: `a label value as a string: empty, or at most ${LABEL_VALUE_MAX_LENGTH} characters (letters, digits, '-', '_' and '.', `
    + 'starting and ending with a letter or digit)',
  problem(value) {
    if (typeof value === 'string' && isLabelValue(value)) {
      return undefined;
    }
    let hint: string | undefined;
    if (value === null) {
      hint = 'an empty YAML value; write "" for an empty label value';
    } else if ((typeof value === 'boolean' || typeof value === 'number') && isLabelValue(String(value))) {
      // YAML reads true and 1 as a boolean and a number; Kubernetes label values are strings.
      hint = `quote it in YAML: "${String(value)}"`;
    } else if (typeof value === 'string' && value.length > LABEL_VALUE_MAX_LENGTH && value.length <= SHOWN_VALUE_MAX_LENGTH) {
      hint = `${value.length} characters`;
    }
    return expectedGot(this.expected, value, hint);
  },
};

const CA_BUNDLE_SECRET_REF_EXPECTED = `${mappingOf(CA_BUNDLE_SECRET_REF_FIELDS)} naming the Secret, in cert-manager's namespace, `
  + 'that holds the CA bundle, such as { name: "vault-ca" }';

const SERVER_NAME = stringRule(
  'a lowercase fully qualified DNS name, such as "vault.priv.example.com"', isDnsName, dnsNameHint,
);

const KUBERNETES_MOUNT_PATH = stringRule(
  `the Vault API path of the Kubernetes auth method: "${VAULT_KUBERNETES_MOUNT_PATH_PREFIX}" then its mount, `
    + 'such as "/v1/auth/kubernetes"',
  (value) => value.startsWith(VAULT_KUBERNETES_MOUNT_PATH_PREFIX)
    && isVaultPath(value.slice(VAULT_KUBERNETES_MOUNT_PATH_PREFIX.length)),
  (value) => {
    const mount = value.replace(/^\/+|\/+$/g, '').replace(/^(v1\/)?auth\//, '');
    if (value.endsWith('/') && value.startsWith(VAULT_KUBERNETES_MOUNT_PATH_PREFIX) && isVaultPath(mount)) {
      return 'remove the trailing "/"';
    }
    return isVaultPath(mount) ? `write the full API path: "${VAULT_KUBERNETES_MOUNT_PATH_PREFIX}${mount}"` : undefined;
  },
);

/**
 * `pki.serverKey.algorithm`: the algorithms of {@link KEY_ALGORITHMS}, each with one size (the key of
 * Vault's own certificate needs no choice of size: P-256 and RSA 2048 are what every client accepts).
 */
const PKI_DIRECTORY = stringRule(
  'a directory relative to the configuration file, such as "../.tls" (it holds private keys: keep it out of Git)',
  isPortableRelativePath,
  (value) => (/^([/\\]|[A-Za-z]:)/.test(value) ? 'an absolute path only exists on one machine; give it relative to the configuration file' : undefined),
);

/**
 * Where the offline intermediate publishes its certificate or its CRL (`pki.intermediateCaIssuersUrl`,
 * `pki.intermediateCrlUrl`): an absolute http(s) URL with a host, no credentials, no fragment. Plain
 * http is the usual choice (RFC 5280 section 4.2.1.13): what is fetched is signed, and an https
 * URL would need a TLS chain that may itself depend on that CRL.
 */
function publicationUrlRule(what: string, example: string): Rule {
  const expected = `an http:// or https:// URL where ${what} is published, such as ${JSON.stringify(example)}`;
  return stringRule(expected, (value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === ''
      && url.hash === '' && !/\s/.test(value);
  }, (value) => (/^[a-z0-9.-]+\.[a-z]{2,}(\/|$)/i.test(value) ? `add the scheme: "http://${value}"`
    : /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value) ? 'remove the credentials: the URL is written into certificates' : undefined));
}

const INTERMEDIATE_CA_ISSUERS_URL = publicationUrlRule('the intermediate CA certificate', 'http://pki.example.com/intermediate-ca.crt');
const INTERMEDIATE_CRL_URL = publicationUrlRule('the intermediate CA\'s CRL', 'http://pki.example.com/intermediate-ca.crl');

const PKI_SERVER_KEY_ALGORITHM_EXPECTED = '"ECDSA" (a P-256 key) or "RSA" (a 2048-bit key)';

const PKI_SERVER_KEY_ALGORITHM = stringRule(
  PKI_SERVER_KEY_ALGORITHM_EXPECTED,
  (value) => (KEY_ALGORITHMS as readonly string[]).includes(value),
  (value) => {
    const meant = KEY_ALGORITHMS.find((choice) => choice.toLowerCase() === value.toLowerCase());
    if (meant !== undefined) {
      return `write it in uppercase: ${JSON.stringify(meant)}`;
    }
    return /^(ec|ecdsa)[-_ ]?(p-?)?\d+$/i.test(value) || /^rsa[-_ ]?\d+$/i.test(value)
      ? 'give the algorithm alone; the size is fixed: P-256 for ECDSA, 2048 bits for RSA'
      : undefined;
  },
);

const POLICY_RULE_ID = stringRule(
  'a policy rule id: "K8S-" or "TF-" and three digits, such as "K8S-005" or "TF-009"',
  (value) => POLICY_RULE_ID_PATTERN.test(value),
  (value) => (POLICY_RULE_ID_PATTERN.test(value.trim().toUpperCase()) ? `write it ${JSON.stringify(value.trim().toUpperCase())}` : undefined),
);

const SUPPRESSION_REASON: Rule = {
  expected: `a reason of at least ${SUPPRESSION_REASON_MIN_LENGTH} characters saying why the finding is accepted`,
  problem(value) {
    if (typeof value === 'string' && value.trim().length >= SUPPRESSION_REASON_MIN_LENGTH) {
      return undefined;
    }
    const hint = typeof value === 'string' && value.trim() !== '' ? `${value.trim().length} characters` : undefined;
    return expectedGot(this.expected, value, hint);
  },
};

const SUPPRESSION_OBJECT = stringRule(
  'the object the findings name: "Kind namespace/name" (Kubernetes) or a Terraform address such as "aws_kms_key.unseal"',
  (value) => value.trim() !== '',
);

// ---------------------------------------------------------------------------------------------
// Sections

function checkPlatform(problems: Problems, raw: unknown, options: ValidateOptions): void {
  if (!isMapping(raw)) {
    problems.add([], expectedGot(`a mapping with the sections ${CONFIG_SECTIONS.join(', ')}`, raw));
    return;
  }
  reportUnknownKeys(problems, raw, [], CONFIG_SECTIONS);

  const organization = section(problems, raw, [], 'organization', ORGANIZATION_FIELDS);
  if (organization) {
    field(problems, organization, ['organization'], 'name', ORGANIZATION_NAME);
    field(problems, organization, ['organization'], 'country', COUNTRY);
  }

  const awsSection = section(problems, raw, [], 'aws', AWS_FIELDS);
  const aws: ValidAws = awsSection ? {
    accountId: field<string>(problems, awsSection, ['aws'], 'accountId', ACCOUNT_ID),
    region: field<string>(problems, awsSection, ['aws'], 'region', REGION),
  } : {};

  const dns = checkDns(problems, raw);

  const acme = section(problems, raw, [], 'acme', ACME_FIELDS);
  if (acme) {
    const email = field<string>(problems, acme, ['acme'], 'email', EMAIL);
    const refused = email === undefined ? undefined : acmeEmailProblem(email, dns.publicZone);
    if (refused !== undefined) problems.add(['acme', 'email'], refused);
    field(problems, acme, ['acme'], 'gatewayIssuer', GATEWAY_ISSUER, true);
    field(problems, acme, ['acme'], 'http01', BOOLEAN, true);
  }

  // Without trust.rootsFile (and with a trust section that is not broken), the roots come from the CA bundle.
  const trust = own(raw, 'trust');
  const rootsFromCaBundle = trust === undefined || (isMapping(trust) && own(trust, 'rootsFile') === undefined);
  const vaultHost = checkVault(problems, raw, dns, options, rootsFromCaBundle);

  const publicCertificate = section(problems, raw, [], 'publicCertificate', PUBLIC_CERTIFICATE_FIELDS, true);
  if (publicCertificate) {
    field(problems, publicCertificate, ['publicCertificate'], 'renewBefore', PUBLIC_RENEW_BEFORE, true);
    checkPrivateKey(problems, publicCertificate, ['publicCertificate'], LETS_ENCRYPT_KEY_SIZES, 'the sizes Let\'s Encrypt signs');
  }

  checkPrivateCertificate(problems, raw);

  checkVersions(problems, raw);
  checkImageDigests(problems, raw);

  const clusters = checkClusters(problems, raw, aws);
  checkApplications(problems, raw, dns, clusters);
  checkPki(problems, raw, dns, vaultHost);
  checkTrust(problems, raw, options);
  checkValidation(problems, raw);
  const vaultCluster = checkVaultCluster(problems, raw, { aws });
  checkBackup(problems, raw, { aws, clusters, vaultCluster });
  checkTerraform(problems, raw);
  checkVaultSetupAcrossSections(problems, raw, { clusters });
  checkOwnership(problems, raw, { ...dns, vaultHost });
  checkAlertsAgainstRenewal(problems, raw);
  checkLeftovers(problems, raw, dns);
  // Last of the field checks: it names and redacts what they may have quoted.
  checkCredentials(problems, raw);
  // The issuing CAs' files relate the whole configuration (domains, CA chain) to what was signed
  // offline: checked once nothing else is wrong, as a cross-field check is once its fields are valid.
  // The chains are compared with a few fields only, once those are sound: so a chain made for another
  // configuration is reported along with the problems of the other fields (the example's leftovers).
  if (options.checkCaChains && !problems.list.some((problem) => CA_CHAIN_FIELDS.includes(problem.path))) {
    for (const problem of options.checkCaChains(raw as unknown as PlatformConfig)) problems.add(problem.path, problem.message);
  }
  if (options.checkIssuingCertificates && problems.list.length === 0) {
    for (const problem of options.checkIssuingCertificates(raw as unknown as PlatformConfig)) problems.add(problem.path, problem.message);
  }
}

/**
 * `versions`: each one pinned; x509-certificate-exporter's is required as soon as a cluster
 * enables monitoring (`clusters[].monitoring.enabled: true`, whose other fields are checked with
 * the clusters).
 */
function checkVersions(problems: Problems, raw: Mapping): void {
  const path = ['versions'];
  const versions = section(problems, raw, [], 'versions', VERSIONS_FIELDS);
  if (!versions) {
    return;
  }
  field(problems, versions, path, 'certManager', CERT_MANAGER_VERSION);
  field(problems, versions, path, 'gatewayApi', GATEWAY_API_VERSION);
  field(problems, versions, path, 'trustManager', TRUST_MANAGER_VERSION);
  const monitored = monitoringEnabledPath(raw);
  if (monitored !== undefined && own(versions, 'x509CertificateExporter') === undefined) {
    problems.add([...path, 'x509CertificateExporter'], `is required when a cluster enables monitoring (${monitored} is true): `
      + `expected ${X509_CERTIFICATE_EXPORTER_VERSION.expected}`);
  } else {
    field(problems, versions, path, 'x509CertificateExporter', X509_CERTIFICATE_EXPORTER_VERSION, monitored === undefined);
  }
  checkExternalSecretsVersion(problems, versions, raw);
  const installing = prometheusOperatorCrdsInstalledPath(raw);
  if (installing !== undefined && own(versions, 'prometheusOperatorCrds') === undefined) {
    problems.add([...path, 'prometheusOperatorCrds'], `is required when a cluster renders ServiceMonitors or alert rules (${installing} is true) `
      + `and does not set monitoring.prometheusOperatorCrds to "present": expected ${PROMETHEUS_OPERATOR_CRDS_VERSION.expected}`);
  } else {
    field(problems, versions, path, 'prometheusOperatorCrds', PROMETHEUS_OPERATOR_CRDS_VERSION, true);
  }
}

/**
 * Path of the first cluster setting that renders ServiceMonitors or PrometheusRules
 * (`monitoring.enabled`, or `certManager.serviceMonitor` when given) in a cluster that does not
 * declare `monitoring.prometheusOperatorCrds: present`: that cluster gets the CRDs from us.
 */
function prometheusOperatorCrdsInstalledPath(raw: Mapping): string | undefined {
  const clusters = own(raw, 'clusters');
  if (!Array.isArray(clusters)) {
    return undefined;
  }
  for (const [index, cluster] of clusters.entries()) {
    if (!isMapping(cluster)) continue;
    const monitoring = own(cluster, 'monitoring');
    const certManager = own(cluster, 'certManager');
    if (isMapping(monitoring) && own(monitoring, 'prometheusOperatorCrds') === 'present') continue;
    const monitored = isMapping(monitoring) && own(monitoring, 'enabled') === true;
    const certManagerMonitor = isMapping(certManager) ? own(certManager, 'serviceMonitor') : undefined;
    if (monitored) return formatPath(['clusters', index, 'monitoring', 'enabled']);
    if (certManagerMonitor === true) return formatPath(['clusters', index, 'certManager', 'serviceMonitor']);
  }
  return undefined;
}

/** Path of the first `clusters[].monitoring.enabled` that is `true`, if any. */
function monitoringEnabledPath(raw: Mapping): string | undefined {
  const clusters = own(raw, 'clusters');
  if (!Array.isArray(clusters)) {
    return undefined;
  }
  const index = clusters.findIndex((cluster: unknown) => {
    const monitoring = isMapping(cluster) ? own(cluster, 'monitoring') : undefined;
    return isMapping(monitoring) && own(monitoring, 'enabled') === true;
  });
  return index < 0 ? undefined : formatPath(['clusters', index, 'monitoring', 'enabled']);
}

function checkDns(problems: Problems, raw: Mapping): ValidDns {
  const dns = section(problems, raw, [], 'dns', DNS_FIELDS);
  if (!dns) {
    return {};
  }
  const zoneName = (key: 'publicZone' | 'privateZone'): string | undefined => {
    const zone = section(problems, dns, ['dns'], key, ZONE_FIELDS);
    if (!zone) {
      return undefined;
    }
    const name = field<string>(problems, zone, ['dns', key], 'name', ZONE_NAME);
    field(problems, zone, ['dns', key], 'hostedZoneID', HOSTED_ZONE_ID, true);
    return name;
  };
  const publicZone = zoneName('publicZone');
  const privateZone = zoneName('privateZone');
  if (publicZone !== undefined && publicZone === privateZone) {
    problems.add(['dns', 'privateZone', 'name'], expectedGot(
      'a zone different from dns.publicZone.name', privateZone,
      `usually a subdomain of it, such as ${JSON.stringify(`priv.${publicZone}`)}`,
    ));
    return { publicZone };
  }
  return { publicZone, privateZone };
}

const VAULT_ADDRESS_EXPECTED = 'an https:// URL of the Vault API, such as "https://vault.priv.example.com:8200"';

/**
 * `vault.address`: `https://<host in the private zone>[:port][/]`, nothing else. Checked by hand
 * rather than with `new URL()`, which would quietly lowercase the host and drop a default port.
 * @returns the host when the address is valid
 */
function checkVaultAddress(problems: Problems, vault: Mapping, dns: ValidDns): string | undefined {
  const path = ['vault', 'address'];
  const value = present(problems, vault, ['vault'], 'address', VAULT_ADDRESS_EXPECTED, false);
  if (value === undefined) {
    return;
  }
  const report = (expected: string, hint?: string, shown: unknown = value): undefined => {
    problems.add(path, expectedGot(expected, shown, hint));
    return undefined;
  };
  if (typeof value !== 'string') {
    return report(VAULT_ADDRESS_EXPECTED);
  }
  if (/^http:\/\//i.test(value)) {
    return report('an https:// URL (Vault is only reached over TLS)', 'use https://');
  }
  const url = /^https:\/\/([^/?#]*)([^?#]*)(.*)$/s.exec(value);
  if (!url) {
    return report(VAULT_ADDRESS_EXPECTED);
  }
  const [, authority = '', urlPath = '', rest = ''] = url;
  if (authority.includes('@')) {
    // Never echo a password into logs: show the address with its user info masked.
    return report('an https:// URL without credentials (Vault clients authenticate with tokens)', undefined,
      `https://***@${authority.slice(authority.lastIndexOf('@') + 1)}${urlPath}${rest}`);
  }
  if (rest !== '') {
    return report('an https:// URL without query or fragment');
  }
  if (urlPath !== '' && urlPath !== '/') {
    return report('an https:// URL without a path (clients add /v1/…)');
  }
  const hostPort = /^([^:]*)(?::(.*))?$/s.exec(authority)!;
  const host = hostPort[1]!;
  const port = hostPort[2];
  if (!isDnsName(host)) {
    return report('an https:// URL whose host is a DNS name in the private zone', dnsNameHint(host));
  }
  if (port !== undefined && !(/^\d+$/.test(port) && isIntegerInRange(Number(port), PORT_MIN, PORT_MAX))) {
    return report(`an https:// URL with a port from ${PORT_MIN} to ${PORT_MAX}`);
  }
  if (dns.privateZone !== undefined && !isInDnsZone(host, dns.privateZone)) {
    return report(`an https:// URL whose host is in the private zone ${JSON.stringify(dns.privateZone)} (dns.privateZone.name)`);
  }
  return host;
}

/**
 * `vault`: the address, the CA bundle (and its file, through `options`), the PKI engine, the login.
 * @param rootsFromCaBundle whether the roots to distribute come from the CA bundle (no `trust.rootsFile`)
 * @returns the host of `vault.address` when it is valid
 */
function checkVault(
  problems: Problems, raw: Mapping, dns: ValidDns, options: ValidateOptions, rootsFromCaBundle: boolean,
): string | undefined {
  const vault = section(problems, raw, [], 'vault', VAULT_FIELDS);
  if (!vault) {
    return undefined;
  }
  const vaultHost = checkVaultAddress(problems, vault, dns);
  checkVaultCaBundle(problems, vault, options, rootsFromCaBundle);
  const serverName = field<string>(problems, vault, ['vault'], 'serverName', SERVER_NAME, true);
  const serverNameProblem = serverName === undefined || dns.privateZone === undefined
    ? undefined : vaultServerNameProblem(serverName, vaultHost, dns.privateZone);
  if (serverNameProblem !== undefined) problems.add(['vault', 'serverName'], serverNameProblem);
  const pki = section(problems, vault, ['vault'], 'pki', VAULT_PKI_FIELDS, true);
  if (pki) {
    field(problems, pki, ['vault', 'pki'], 'mount', VAULT_MOUNT, true);
    field(problems, pki, ['vault', 'pki'], 'role', VAULT_ROLE, true);
    checkVaultPkiFields(problems, pki, ['vault', 'pki'], raw);
  }
  checkVaultAuth(problems, vault);
  checkVaultSetupSection(problems, vault);
  return vaultHost;
}

const VAULT_CA_BUNDLE_EXPECTED = 'exactly one of caBundleFile (a PEM file of CA certificates, relative to the configuration file) '
  + 'or caBundleSecretRef (a Secret in cert-manager\'s namespace holding them)';

/**
 * How cert-manager trusts Vault: exactly one of `vault.caBundleFile` or `vault.caBundleSecretRef`,
 * as for `vault.auth`. Both or none is reported on `vault` itself; each field given is checked
 * either way, as its mistakes are its own. The file is read (through `options`) only when it is the
 * bundle in effect: with both given, what it holds may not matter once one is removed. Its roots
 * are then checked too when they are the ones to distribute (`rootsFromCaBundle`) and the file
 * itself is sound.
 */
function checkVaultCaBundle(problems: Problems, vault: Mapping, options: ValidateOptions, rootsFromCaBundle: boolean): void {
  const hasFile = own(vault, 'caBundleFile') !== undefined;
  const hasSecretRef = own(vault, 'caBundleSecretRef') !== undefined;
  if (hasFile && hasSecretRef) {
    problems.add(['vault'], `expected ${VAULT_CA_BUNDLE_EXPECTED}, got both (the Vault ClusterIssuer trusts one CA bundle; remove one)`);
  } else if (!hasFile && !hasSecretRef) {
    problems.add(['vault'], `expected ${VAULT_CA_BUNDLE_EXPECTED}, got neither (cert-manager must know the CAs of Vault's TLS certificate)`);
  }
  // Given (even empty), each is required: "remove the key to use the default" would mislead.
  const caBundleFile = field<string>(problems, vault, ['vault'], 'caBundleFile', CA_BUNDLE_FILE, !hasFile);
  if (caBundleFile !== undefined && !hasSecretRef) {
    const fileProblems = options.checkCaBundle?.(caBundleFile) ?? [];
    for (const message of fileProblems) {
      problems.add(['vault', 'caBundleFile'], message);
    }
    if (fileProblems.length === 0 && rootsFromCaBundle && options.checkTrustRoots) {
      for (const message of options.checkTrustRoots(caBundleFile, 'caBundleFile')) {
        problems.add(['vault', 'caBundleFile'], message);
      }
    }
  }
  const path = ['vault', 'caBundleSecretRef'];
  const given = own(vault, 'caBundleSecretRef');
  const secretRef = typeof given === 'string'
    ? reportCaBundleSecretRefString(problems, path, given)
    : section(problems, vault, ['vault'], 'caBundleSecretRef', CA_BUNDLE_SECRET_REF_FIELDS, !hasSecretRef,
      CA_BUNDLE_SECRET_REF_EXPECTED);
  if (secretRef) {
    field(problems, secretRef, path, 'name', DNS_SUBDOMAIN);
    field(problems, secretRef, path, 'key', SECRET_KEY, true);
  }
}

/**
 * `vault.caBundleSecretRef` written as a string: PEM text pasted there is never shown (it may hold a
 * private key); a plain string is most likely the Secret's name.
 */
function reportCaBundleSecretRefString(problems: Problems, path: Path, value: string): undefined {
  if (value.includes('-----BEGIN')) {
    problems.add(path, `expected ${CA_BUNDLE_SECRET_REF_EXPECTED}, got PEM text (not shown; store it in that Secret, `
      + 'or put it in a file named by caBundleFile)');
  } else {
    problems.add(path, expectedGot(CA_BUNDLE_SECRET_REF_EXPECTED, value,
      isDnsSubdomain(value) ? `write the name as { name: ${JSON.stringify(value)} }` : undefined));
  }
  return undefined;
}

const VAULT_AUTH_EXPECTED = 'a mapping with exactly one of appRole or kubernetes';

/**
 * `vault.auth`: omitted, Kubernetes auth with its defaults (checked against the clusters in
 * check-vault-setup.ts); given, exactly one login method. Both or none is reported on `vault.auth`
 * itself; the fields of each method given are checked either way, as they are mistakes of their own.
 */
function checkVaultAuth(problems: Problems, vault: Mapping): void {
  const path = ['vault', 'auth'];
  const auth = section(problems, vault, ['vault'], 'auth', VAULT_AUTH_FIELDS, true, VAULT_AUTH_EXPECTED);
  if (!auth) {
    return;
  }
  const hasAppRole = own(auth, 'appRole') !== undefined;
  const hasKubernetes = own(auth, 'kubernetes') !== undefined;
  if (hasAppRole && hasKubernetes) {
    problems.add(path, 'expected exactly one of appRole or kubernetes, got both (cert-manager logs in to Vault one way; remove one)');
  } else if (!hasAppRole && !hasKubernetes) {
    problems.add(path, expectedGot(VAULT_AUTH_EXPECTED, auth));
  }
  // Given (even empty), a method is required to be a mapping: "remove the key to use the default" would mislead.
  const appRole = section(problems, auth, path, 'appRole', APPROLE_FIELDS, !hasAppRole);
  if (appRole) {
    const appRolePath = [...path, 'appRole'];
    field(problems, appRole, appRolePath, 'path', APPROLE_PATH, true);
    field(problems, appRole, appRolePath, 'roleId', ROLE_ID);
    const secretRef = typeof own(appRole, 'secretRef') === 'string'
      ? reportSecretValue(problems, [...appRolePath, 'secretRef'])
      : section(problems, appRole, appRolePath, 'secretRef', SECRET_REF_FIELDS, true);
    if (secretRef) {
      field(problems, secretRef, [...appRolePath, 'secretRef'], 'name', DNS_SUBDOMAIN, true);
      field(problems, secretRef, [...appRolePath, 'secretRef'], 'key', SECRET_KEY, true);
    }
    checkAppRoleFields(problems, appRole, appRolePath);
  }
  const kubernetes = section(problems, auth, path, 'kubernetes', KUBERNETES_AUTH_FIELDS, !hasKubernetes);
  if (kubernetes) {
    const kubernetesPath = [...path, 'kubernetes'];
    field(problems, kubernetes, kubernetesPath, 'mountPath', KUBERNETES_MOUNT_PATH, true);
    field(problems, kubernetes, kubernetesPath, 'role', VAULT_ROLE);
    field(problems, kubernetes, kubernetesPath, 'serviceAccount', DNS_SUBDOMAIN, true);
  }
}

/**
 * A string where a reference to a Secret is expected is likely the secret itself: it is reported
 * without being shown, as messages end up in CI logs.
 */
function reportSecretValue(problems: Problems, path: Path): undefined {
  problems.add(path, `expected ${mappingOf(SECRET_REF_FIELDS)} naming the Secret that holds the AppRole secret id, `
    + 'got a string (not shown: the secret id itself never goes in the configuration; store it in that Secret)');
  return undefined;
}

/**
 * `privateCertificate`: each duration alone, then `renewBefore` against the duration in effect.
 *
 * | duration | renewBefore | compared                                  |
 * |----------|-------------|-------------------------------------------|
 * | given    | given       | both, when both are valid                 |
 * | given    | omitted     | the default renewBefore with the duration |
 * | omitted  | given       | renewBefore with the default duration     |
 * | omitted  | omitted     | nothing (the defaults agree)              |
 *
 * Always reported on `renewBefore`, the field to change in every row.
 */
function checkPrivateCertificate(problems: Problems, raw: Mapping): void {
  const path = ['privateCertificate'];
  const certificate = section(problems, raw, [], 'privateCertificate', PRIVATE_CERTIFICATE_FIELDS, true);
  if (!certificate) {
    return;
  }
  const durationGiven = own(certificate, 'duration') !== undefined;
  const renewBeforeGiven = own(certificate, 'renewBefore') !== undefined;
  const duration = durationGiven
    ? field<string>(problems, certificate, path, 'duration', PRIVATE_DURATION)
    : PRIVATE_CERTIFICATE_DEFAULT_DURATION;
  const renewBefore = renewBeforeGiven
    ? field<string>(problems, certificate, path, 'renewBefore', PRIVATE_RENEW_BEFORE)
    : PRIVATE_CERTIFICATE_DEFAULT_RENEW_BEFORE;
  checkPrivateKey(problems, certificate, path, KEY_SIZES);

  if (duration === undefined || renewBefore === undefined || parseGoDuration(renewBefore)! < parseGoDuration(duration)!) {
    return;
  }
  const limit = `${durationGiven ? '' : 'the default '}privateCertificate.duration (${JSON.stringify(duration)})`;
  if (renewBeforeGiven) {
    problems.add([...path, 'renewBefore'], expectedGot(`a renewBefore shorter than ${limit}`, renewBefore,
      durationGiven ? 'renewal must start within the certificate\'s lifetime' : 'or set a longer duration'));
    return;
  }
  // cert-manager's own default renews at 2/3 of the lifetime: suggest that.
  const third = parseGoDuration(duration)! / 3;
  const suggestion = third % 3600e9 === 0 ? `${third / 3600e9}h` : `${Math.floor(third / 60e9)}m`;
  problems.add([...path, 'renewBefore'], `expected a renewBefore shorter than ${limit}, got the default `
    + `${JSON.stringify(renewBefore)} (set renewBefore, e.g. to "${suggestion}", a third of the duration)`);
}

/**
 * `privateKey` of a certificate: the size is checked against the algorithm in effect, given or default.
 * @param sizes the sizes its issuer signs, and `issuer` why when narrower than {@link KEY_SIZES}
 */
function checkPrivateKey(
  problems: Problems, certificate: Mapping, certificatePath: Path, sizes: KeySizes, issuer?: string,
): void {
  const path = [...certificatePath, 'privateKey'];
  const key = section(problems, certificate, certificatePath, 'privateKey', PRIVATE_KEY_FIELDS, true);
  if (!key) {
    return;
  }
  const algorithmGiven = own(key, 'algorithm') !== undefined;
  const algorithm = algorithmGiven
    ? field<KeyAlgorithm>(problems, key, path, 'algorithm', KEY_ALGORITHM, true)
    : DEFAULT_KEY_ALGORITHM;
  field(problems, key, path, 'size', keySizeRule(algorithm, algorithmGiven, sizes, issuer), true);
}

function checkClusters(problems: Problems, raw: Mapping, aws: ValidAws): ClusterSummary {
  const names = new Map<string, number>();
  const given = new Set<string>();
  const expected = 'a non-empty list of clusters';
  const value = present(problems, raw, [], 'clusters', expected, false);
  if (value === undefined) {
    return { names, given };
  }
  if (!Array.isArray(value) || value.length === 0) {
    problems.add(['clusters'], expectedGot(expected, value));
    return { count: Array.isArray(value) ? 0 : undefined, names, given };
  }
  value.forEach((item: unknown, index) => {
    const path = ['clusters', index];
    if (!isMapping(item)) {
      problems.add(path, expectedGot(`a cluster, ${mappingOf(CLUSTER_FIELDS)}`, item));
      return;
    }
    reportUnknownKeys(problems, item, path, CLUSTER_FIELDS);
    const rawName = own(item, 'name');
    if (typeof rawName === 'string') {
      given.add(rawName);
    }
    const name = field<string>(problems, item, path, 'name', DNS_LABEL);
    if (name !== undefined) {
      const first = names.get(name);
      if (first === undefined) {
        names.set(name, index);
      } else {
        problems.add([...path, 'name'], expectedGot(
          'a cluster name not used before', name, `already the name of clusters[${first}]`,
        ));
      }
    }
    const regionGiven = own(item, 'region') !== undefined;
    const clusterRegion = field<string>(problems, item, path, 'region', REGION, true);
    field(problems, item, path, 'gatewayClassName', DNS_SUBDOMAIN);
    checkWorkloadIdentity(problems, item, path, {
      accountId: aws.accountId,
      region: regionGiven ? clusterRegion : aws.region,
      regionGiven,
    });
    const flux = section(problems, item, path, 'flux', FLUX_FIELDS, true);
    if (flux) {
      field(problems, flux, [...path, 'flux'], 'gitRepository', DNS_SUBDOMAIN, true);
      field(problems, flux, [...path, 'flux'], 'interval', FLUX_DURATION, true);
      field(problems, flux, [...path, 'flux'], 'timeout', FLUX_DURATION, true);
    }
    const certManager = section(problems, item, path, 'certManager', CERT_MANAGER_FIELDS, true);
    if (certManager) {
      field(problems, certManager, [...path, 'certManager'], 'replicas', REPLICAS, true);
      field(problems, certManager, [...path, 'certManager'], 'serviceMonitor', BOOLEAN, true);
    }
    const gateways = section(problems, item, path, 'gateways', GATEWAYS_SECTION_FIELDS, true);
    if (gateways) {
      field(problems, gateways, [...path, 'gateways'], 'namespace', DNS_LABEL, true);
      field(problems, gateways, [...path, 'gateways'], 'loadBalancerTargetType', LOAD_BALANCER_TARGET_TYPE, true);
    }
    checkMonitoring(problems, item, path);
  });
  return { count: value.length, names, given };
}

/**
 * Days before expiry at which cert-manager renews the public certificate when
 * `publicCertificate.renewBefore` is omitted: a third of Let's Encrypt's 90 days.
 */
const PUBLIC_DEFAULT_RENEW_BEFORE_DAYS = 30;

/**
 * `clusters[].monitoring.criticalDaysLeft` against the certificates' renewal: the critical alert
 * pages; set at or above a certificate's `renewBefore`, it pages for every healthy certificate
 * before cert-manager has even tried to renew it. Checked once both fields are valid alone.
 */
function checkAlertsAgainstRenewal(problems: Problems, raw: Mapping): void {
  const days = (section: string, fallback: number): { days: number; given: boolean } | undefined => {
    const mapping = own(raw, section);
    const value = isMapping(mapping) ? own(mapping, 'renewBefore') : undefined;
    if (value === undefined) return { days: fallback, given: false };
    const nanoseconds = typeof value === 'string' ? parseGoDuration(value) : undefined;
    return nanoseconds === undefined ? undefined : { days: nanoseconds / 1e9 / 86400, given: true };
  };
  const renewals = [
    { what: 'the public certificate', field: 'publicCertificate.renewBefore', renewal: days('publicCertificate', PUBLIC_DEFAULT_RENEW_BEFORE_DAYS) },
    { what: 'the private certificate', field: 'privateCertificate.renewBefore', renewal: days('privateCertificate', parseGoDuration(PRIVATE_CERTIFICATE_DEFAULT_RENEW_BEFORE)! / 1e9 / 86400) },
  ];
  const clusters = own(raw, 'clusters');
  if (!Array.isArray(clusters)) return;
  clusters.forEach((cluster: unknown, index) => {
    const monitoring = isMapping(cluster) ? own(cluster, 'monitoring') : undefined;
    if (!isMapping(monitoring) || own(monitoring, 'enabled') !== true) return;
    const given = own(monitoring, 'criticalDaysLeft');
    const critical = given === undefined ? MONITORING_DEFAULT_CRITICAL_DAYS_LEFT : given;
    if (typeof critical !== 'number' || !Number.isInteger(critical)) return;
    const criticalPath = formatPath(['clusters', index, 'monitoring', 'criticalDaysLeft']);
    const wrongAlone = (path: string): boolean => problems.list.some((problem) => problem.path === path);
    if (wrongAlone(criticalPath) || wrongAlone(formatPath(['clusters', index, 'monitoring', 'warningDaysLeft']))) return;
    for (const { what, field: renewField, renewal } of renewals) {
      const lifetimeField = renewField.replace('renewBefore', 'duration');
      if (renewal === undefined || wrongAlone(renewField) || wrongAlone(lifetimeField) || critical < renewal.days) continue;
      const renewDays = Number.isInteger(renewal.days) ? `${renewal.days}` : renewal.days.toFixed(1);
      problems.add(['clusters', index, 'monitoring', 'criticalDaysLeft'], expectedGot(
        `fewer days than ${what} is renewed before expiry (${renewField}${renewal.given ? '' : ', default'}: ${renewDays} days)`, critical,
        `${given === undefined ? 'the default ' : ''}critical alert would page for every healthy certificate before cert-manager even tries to renew it; `
          + `lower it, or renew earlier`,
      ));
      return;
    }
  });
}

/**
 * `clusters[].monitoring`: each field alone, then `criticalDaysLeft` against `warningDaysLeft`, each
 * given or default: the page must come after the warning, closer to expiry.
 *
 * | warningDaysLeft | criticalDaysLeft | compared                                  | reported on      |
 * |-----------------|------------------|-------------------------------------------|------------------|
 * | given           | given            | both, when both are valid                 | criticalDaysLeft |
 * | given           | omitted          | the warning with the default critical     | warningDaysLeft  |
 * | omitted         | given            | the critical with the default warning     | criticalDaysLeft |
 * | omitted         | omitted          | nothing (the defaults agree)              |                  |
 */
function checkMonitoring(problems: Problems, cluster: Mapping, clusterPath: Path): void {
  const path = [...clusterPath, 'monitoring'];
  const monitoring = section(problems, cluster, clusterPath, 'monitoring', MONITORING_FIELDS, true);
  if (!monitoring) {
    return;
  }
  field(problems, monitoring, path, 'enabled', BOOLEAN, true);
  const warningGiven = own(monitoring, 'warningDaysLeft') !== undefined;
  const criticalGiven = own(monitoring, 'criticalDaysLeft') !== undefined;
  const warning = warningGiven
    ? field<number>(problems, monitoring, path, 'warningDaysLeft', DAYS_LEFT, true)
    : MONITORING_DEFAULT_WARNING_DAYS_LEFT;
  const critical = criticalGiven
    ? field<number>(problems, monitoring, path, 'criticalDaysLeft', DAYS_LEFT, true)
    : MONITORING_DEFAULT_CRITICAL_DAYS_LEFT;
  field(problems, monitoring, path, 'vaultAlerts', BOOLEAN, true);
  checkLabelMap(problems, monitoring, path, 'selectorLabels', SELECTOR_LABELS_EXPECTED);
  field(problems, monitoring, path, 'prometheusOperatorCrds', PROMETHEUS_OPERATOR_CRDS_SOURCE, true);
  listField(problems, monitoring, path, 'certificateNamespaces', DNS_LABEL, {
    minItems: 1,
    duplicate: (item: unknown, first: number) => expectedGot('a namespace not listed before', item, `already certificateNamespaces[${first}]`),
  });

  if (warning === undefined || critical === undefined || critical < warning) {
    return;
  }
  if (criticalGiven) {
    problems.add([...path, 'criticalDaysLeft'], expectedGot(
      `a criticalDaysLeft smaller than ${warningGiven ? '' : 'the default '}warningDaysLeft (${warning})`, critical,
      warningGiven ? 'the critical alert must come after the warning, closer to expiry' : 'or set a larger warningDaysLeft',
    ));
    return;
  }
  problems.add([...path, 'warningDaysLeft'], expectedGot(
    `a warningDaysLeft larger than the default criticalDaysLeft (${critical})`, warning, 'or set a smaller criticalDaysLeft',
  ));
}

interface ExpectedAwsLocation {
  /** `aws.accountId`, when valid. */
  readonly accountId: string | undefined;
  /** The cluster's region (its own or `aws.region`), when valid. */
  readonly region: string | undefined;
  /** Whether the cluster names its own region (else `aws.region` applies). */
  readonly regionGiven: boolean;
}

/**
 * `workloadIdentity`, a union on `type`: the fields allowed depend on the type, and an IRSA
 * provider must belong to the platform's account and to the cluster's region.
 */
function checkWorkloadIdentity(problems: Problems, cluster: Mapping, clusterPath: Path, expected: ExpectedAwsLocation): void {
  const path = [...clusterPath, 'workloadIdentity'];
  const value = present(problems, cluster, clusterPath, 'workloadIdentity',
    `a mapping with type (${quoted(WORKLOAD_IDENTITY_TYPES)}) and, for irsa, oidcProviderArn`, false);
  if (value === undefined) {
    return;
  }
  if (!isMapping(value)) {
    problems.add(path, expectedGot(`a mapping with type (${quoted(WORKLOAD_IDENTITY_TYPES)})`, value));
    return;
  }
  const type = own(value, 'type');
  if (type === 'pod-identity') {
    reportUnknownKeys(problems, value, path, POD_IDENTITY_FIELDS);
    field(problems, value, path, 'eksClusterName', EKS_CLUSTER_NAME, true);
    // Optional here: External Secrets' SecretStores need it where AppRole secret ids are delivered
    // (required then, check-vault-setup.ts), the Pod Identity workloads never do.
    const podArnText = field<string>(problems, value, path, 'oidcProviderArn', OIDC_PROVIDER_ARN, true);
    if (podArnText !== undefined) checkOidcProviderLocation(problems, parseOidcProviderArn(podArnText)!, clusterPath, expected);
    return;
  }
  reportUnknownKeys(problems, value, path, IRSA_FIELDS);
  field(problems, value, path, 'type', WORKLOAD_IDENTITY_TYPE);
  // With a missing or wrong type the ARN is still checked, but only as far as its own shape.
  const arnText = field<string>(problems, value, path, 'oidcProviderArn', OIDC_PROVIDER_ARN, type !== 'irsa');
  const arn = arnText === undefined || type !== 'irsa' ? undefined : parseOidcProviderArn(arnText)!;
  if (arn) checkOidcProviderLocation(problems, arn, clusterPath, expected);
}

/** An IAM OIDC provider must be in the platform's account (a role trusts only its own account's providers) and the cluster's region. */
function checkOidcProviderLocation(
  problems: Problems, arn: NonNullable<ReturnType<typeof parseOidcProviderArn>>, clusterPath: Path, expected: ExpectedAwsLocation,
): void {
  const arnPath = [...clusterPath, 'workloadIdentity', 'oidcProviderArn'];
  if (expected.accountId !== undefined && arn.accountId !== expected.accountId) {
    problems.add(arnPath, expectedGot(
      `an OIDC provider in account ${JSON.stringify(expected.accountId)} (aws.accountId)`, arn.accountId,
      'the account in the ARN',
    ));
  }
  if (expected.region !== undefined && arn.region !== expected.region) {
    const regionPath = formatPath([...clusterPath, 'region']);
    problems.add(arnPath, expectedGot(
      `an OIDC provider in region ${JSON.stringify(expected.region)} (${expected.regionGiven ? regionPath : 'aws.region'})`,
      arn.region,
      expected.regionGiven ? 'the region in the ARN' : `the region in the ARN; set ${regionPath} if the cluster runs there`,
    ));
  }
}

function checkApplications(problems: Problems, raw: Mapping, dns: ValidDns, clusters: ClusterSummary): void {
  const expected = 'a list of applications';
  const value = present(problems, raw, [], 'applications', expected, true);
  if (value === undefined) {
    return;
  }
  if (!Array.isArray(value)) {
    problems.add(['applications'], expectedGot(expected, value));
    return;
  }
  const declared = [...clusters.names.keys()];
  // Per cluster, the first application to use each name and each host name.
  const namesSeen = new Map<string, number>();
  const hostnamesSeen = new Map<string, number>();
  value.forEach((item: unknown, index) => {
    const path = ['applications', index];
    if (!isMapping(item)) {
      problems.add(path, expectedGot(`an application, ${mappingOf(APPLICATION_FIELDS)}`, item));
      return;
    }
    reportUnknownKeys(problems, item, path, APPLICATION_FIELDS);
    const name = field<string>(problems, item, path, 'name', DNS_LABEL);
    const cluster = checkApplicationCluster(problems, item, path, clusters, declared);
    field(problems, item, path, 'namespace', DNS_LABEL);
    // The system's and the platform's namespaces are refused as applications' (check-ownership.ts), created or not.
    field(problems, item, path, 'createNamespace', BOOLEAN, true);
    const gateway = field<'public' | 'private'>(problems, item, path, 'gateway', GATEWAY);
    const hostname = field<string>(problems, item, path, 'hostname', HOSTNAME);
    if (hostname !== undefined && gateway !== undefined) {
      checkHostnameZone(problems, [...path, 'hostname'], hostname, gateway, dns);
    }
    const service = section(problems, item, path, 'service', SERVICE_FIELDS);
    if (service) {
      field(problems, service, [...path, 'service'], 'name', SERVICE_NAME);
      field(problems, service, [...path, 'service'], 'port', PORT);
    }
    field(problems, item, path, 'path', PATH_PREFIX, true);

    if (cluster === undefined) {
      return;
    }
    const unique = (seen: Map<string, number>, key: 'name' | 'hostname', what: string, text: string | undefined): void => {
      if (text === undefined) {
        return;
      }
      const first = seen.get(`${cluster}\n${text}`);
      if (first === undefined) {
        seen.set(`${cluster}\n${text}`, index);
      } else {
        problems.add([...path, key], expectedGot(
          `${what} unique in cluster ${JSON.stringify(cluster)}`, text, `already used by applications[${first}]`,
        ));
      }
    };
    unique(namesSeen, 'name', 'an application name', name);
    unique(hostnamesSeen, 'hostname', 'a host name', hostname);
  });
}

/**
 * `applications[].cluster`: a declared cluster, defaulting to the only one. Returns the cluster
 * the application runs on, or `undefined` when unknown.
 */
function checkApplicationCluster(
  problems: Problems, item: Mapping, path: Path, clusters: ClusterSummary, declared: readonly string[],
): string | undefined {
  const choices = declared.length > 0 ? `one of the declared clusters: ${quoted(declared)}` : 'the name of a declared cluster';
  const value = own(item, 'cluster');
  if (value === undefined) {
    if (clusters.count !== undefined && clusters.count > 1) {
      problems.add([...path, 'cluster'], `is required when several clusters are declared: expected ${choices}`);
      return undefined;
    }
    return declared.length === 1 ? declared[0] : undefined;
  }
  // When the cluster list itself is broken, or names this cluster invalidly, that is already reported.
  const rule = stringRule(choices, (text) => clusters.count === undefined || clusters.given.has(text));
  const cluster = field<string>(problems, item, path, 'cluster', rule);
  return cluster !== undefined && clusters.names.has(cluster) ? cluster : undefined;
}

/**
 * A public application's host name belongs to the public zone, and not to the private zone when
 * that one is a subdomain of it (the name would only resolve inside); a private one's to the
 * private zone.
 */
function checkHostnameZone(problems: Problems, path: Path, hostname: string, gateway: 'public' | 'private', dns: ValidDns): void {
  if (gateway === 'private') {
    if (dns.privateZone !== undefined && !isInDnsZone(hostname, dns.privateZone)) {
      problems.add(path, expectedGot(
        `a host name in the private zone ${JSON.stringify(dns.privateZone)} (dns.privateZone.name) for gateway "private"`,
        hostname,
      ));
    }
    return;
  }
  if (dns.publicZone === undefined) {
    return;
  }
  if (!isInDnsZone(hostname, dns.publicZone)) {
    problems.add(path, expectedGot(
      `a host name in the public zone ${JSON.stringify(dns.publicZone)} (dns.publicZone.name) for gateway "public"`,
      hostname,
    ));
  } else if (dns.privateZone !== undefined && isInDnsZone(hostname, dns.privateZone)) {
    problems.add(path, expectedGot(
      `a host name outside the private zone ${JSON.stringify(dns.privateZone)} for gateway "public"`,
      hostname,
      'that name only resolves inside; use gateway "private" or another name',
    ));
  } else if (hostname.split('.').length !== dns.publicZone.split('.').length + 1) {
    // The public Gateway serves one certificate for "*.<zone>", and a wildcard matches one label only.
    const wildcard = JSON.stringify(`*.${dns.publicZone}`);
    const below = hostname.slice(0, -dns.publicZone.length - 1);
    problems.add(path, expectedGot(
      `a host name exactly one label below the public zone ${JSON.stringify(dns.publicZone)}, `
        + `such as ${JSON.stringify(`app.${dns.publicZone}`)}, for gateway "public"`,
      hostname,
      hostname === dns.publicZone
        ? `the public Gateway's certificate is ${wildcard}, which does not cover the zone itself`
        : `the public Gateway's certificate is ${wildcard}, which covers one label only; `
          + `use a name such as ${JSON.stringify(`${below.replaceAll('.', '-')}.${dns.publicZone}`)}`,
    ));
  }
}

/**
 * `pki`, read only by the offline PKI command: the Vault server certificate's key algorithm, its
 * extra DNS names (each in the private zone, since the intermediate CA is name-constrained to it,
 * and not already on the certificate) and its IP addresses (each once), then the URLs `sign-issuing`
 * writes into the issuing CAs' certificates.
 * @param vaultHost the host of `vault.address`, always on the certificate, when valid
 */
function checkPki(problems: Problems, raw: Mapping, dns: ValidDns, vaultHost: string | undefined): void {
  const path = ['pki'];
  const pki = section(problems, raw, [], 'pki', PKI_FIELDS, true);
  if (!pki) {
    return;
  }
  field(problems, pki, path, 'directory', PKI_DIRECTORY, true);
  const serverKey = section(problems, pki, path, 'serverKey', PKI_SERVER_KEY_FIELDS, true);
  if (serverKey) {
    field(problems, serverKey, [...path, 'serverKey'], 'algorithm', PKI_SERVER_KEY_ALGORITHM, true);
  }

  const seenNames = new Map<string, string>();
  if (vaultHost !== undefined) {
    seenNames.set(vaultHost, 'the host of vault.address, always on the certificate');
  }
  const names = present(problems, pki, path, 'serverExtraDnsNames', 'a list of DNS names in the private zone', true);
  if (names !== undefined && !Array.isArray(names)) {
    problems.add([...path, 'serverExtraDnsNames'], expectedGot('a list of DNS names in the private zone', names));
  } else if (names !== undefined) {
    names.forEach((value: unknown, index) => {
      const itemPath = [...path, 'serverExtraDnsNames', index];
      const name = listItem<string>(problems, itemPath, value, HOSTNAME);
      if (name === undefined) {
        return;
      }
      if (dns.privateZone !== undefined && !isInDnsZone(name, dns.privateZone)) {
        problems.add(itemPath, expectedGot(
          `a DNS name in the private zone ${JSON.stringify(dns.privateZone)} (dns.privateZone.name)`, name,
          'the intermediate CA is name-constrained to that zone and cannot sign other names',
        ));
        return;
      }
      const first = seenNames.get(name);
      if (first !== undefined) {
        problems.add(itemPath, expectedGot('a name not already on the certificate', name, `already ${first}`));
        return;
      }
      seenNames.set(name, formatPath(itemPath));
    });
  }

  const seenAddresses = new Map<string, string>();
  const addresses = present(problems, pki, path, 'serverIpAddresses', 'a list of IP addresses', true);
  if (addresses !== undefined && !Array.isArray(addresses)) {
    problems.add([...path, 'serverIpAddresses'], expectedGot('a list of IP addresses', addresses));
  } else if (addresses !== undefined) {
    addresses.forEach((value: unknown, index) => {
      const itemPath = [...path, 'serverIpAddresses', index];
      const address = listItem<string>(problems, itemPath, value, IP_ADDRESS);
      if (address === undefined) {
        return;
      }
      const first = seenAddresses.get(address.toLowerCase());
      if (first !== undefined) {
        problems.add(itemPath, expectedGot('an address not already on the certificate', address, `already ${first}`));
        return;
      }
      seenAddresses.set(address.toLowerCase(), formatPath(itemPath));
    });
  }
  field(problems, pki, path, 'intermediateCaIssuersUrl', INTERMEDIATE_CA_ISSUERS_URL, true);
  field(problems, pki, path, 'intermediateCrlUrl', INTERMEDIATE_CRL_URL, true);
}

const ROOTS_FILE_REQUIRED = 'is required when vault.caBundleSecretRef is used: '
  + 'the roots to distribute come from vault.caBundleFile otherwise';

/**
 * `trust`: the roots that trust-manager distributes and the namespaces that receive them. The roots
 * file is read (through `options`) once its path is valid; without it, the roots come from
 * `vault.caBundleFile` (checked with it), so it is required when the CA bundle is a Secret.
 */
function checkTrust(problems: Problems, raw: Mapping, options: ValidateOptions): void {
  const path = ['trust'];
  const vault = own(raw, 'vault');
  const required = isMapping(vault) && own(vault, 'caBundleSecretRef') !== undefined && own(vault, 'caBundleFile') === undefined;
  if (own(raw, 'trust') === undefined) {
    if (required) {
      problems.add([...path, 'rootsFile'], `${ROOTS_FILE_REQUIRED}; expected ${ROOTS_FILE.expected}`);
    }
    return;
  }
  const trust = section(problems, raw, [], 'trust', TRUST_FIELDS, !required);
  if (!trust) {
    return;
  }
  if (required && own(trust, 'rootsFile') === undefined) {
    problems.add([...path, 'rootsFile'], `${ROOTS_FILE_REQUIRED}; expected ${ROOTS_FILE.expected}`);
  } else {
    const rootsFile = field<string>(problems, trust, path, 'rootsFile', ROOTS_FILE, !required);
    if (rootsFile !== undefined && options.checkTrustRoots) {
      for (const message of options.checkTrustRoots(rootsFile, 'rootsFile')) {
        problems.add([...path, 'rootsFile'], message);
      }
    }
  }
  checkNamespaceLabels(problems, trust, path);
}

/** `trust.namespaceLabels`: a non-empty mapping; each key, then its value, checked as Kubernetes does. */
function checkNamespaceLabels(problems: Problems, trust: Mapping, trustPath: Path): void {
  checkLabelMap(problems, trust, trustPath, 'namespaceLabels', NAMESPACE_LABELS_EXPECTED);
}

/** An optional mapping of Kubernetes labels: non-empty; each key, then its value, checked as Kubernetes does. */
function checkLabelMap(problems: Problems, parent: Mapping, parentPath: Path, key: string, expected: string): void {
  const path = [...parentPath, key];
  const labels = present(problems, parent, parentPath, key, expected, true);
  if (labels === undefined) {
    return;
  }
  if (!isMapping(labels) || Object.keys(labels).length === 0) {
    problems.add(path, expectedGot(expected, labels,
      isMapping(labels) ? 'remove the key to use the default' : undefined));
    return;
  }
  for (const [key, value] of Object.entries(labels)) {
    if (!isLabelKey(key)) {
      problems.add([...path, key], expectedGot(LABEL_KEY_EXPECTED, key, labelKeyHint(key)));
    }
    const problem = LABEL_VALUE.problem(value);
    if (problem !== undefined) {
      problems.add([...path, key], problem);
    }
  }
}

const SUPPRESSIONS_EXPECTED = `a list of suppressions, each ${mappingOf(SUPPRESSION_FIELDS)}`;

/**
 * `validation.suppressions`: each one a rule id of the policy rules' shape, a reason that says why,
 * optionally the one object it applies to; the same rule and object suppressed once.
 */
function checkValidation(problems: Problems, raw: Mapping): void {
  const path = ['validation'];
  const validation = section(problems, raw, [], 'validation', VALIDATION_FIELDS, true);
  if (!validation) {
    return;
  }
  const list = present(problems, validation, path, 'suppressions', SUPPRESSIONS_EXPECTED, true);
  if (list === undefined) {
    return;
  }
  if (!Array.isArray(list)) {
    problems.add([...path, 'suppressions'], expectedGot(SUPPRESSIONS_EXPECTED, list));
    return;
  }
  // The first suppression of each rule and object.
  const seen = new Map<string, number>();
  list.forEach((item: unknown, index) => {
    const itemPath = [...path, 'suppressions', index];
    if (!isMapping(item)) {
      problems.add(itemPath, expectedGot(`a suppression, ${mappingOf(SUPPRESSION_FIELDS)}`, item));
      return;
    }
    reportUnknownKeys(problems, item, itemPath, SUPPRESSION_FIELDS);
    const rule = field<string>(problems, item, itemPath, 'rule', POLICY_RULE_ID);
    field(problems, item, itemPath, 'reason', SUPPRESSION_REASON);
    const objectGiven = own(item, 'object') !== undefined;
    const object = field<string>(problems, item, itemPath, 'object', SUPPRESSION_OBJECT, true);
    if (rule === undefined || (objectGiven && object === undefined)) {
      return;
    }
    const key = `${rule}\n${object ?? ''}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, index);
    } else {
      const what = object === undefined ? `of ${rule}` : `of ${rule} for ${JSON.stringify(object)}`;
      problems.add([...itemPath, 'rule'], expectedGot('a suppression not already given', rule,
        `validation.suppressions[${first}] already suppresses the findings ${what}`));
    }
  });
}
