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
 */

import {
  compareVersions,
  DNS_LABEL_MAX_LENGTH,
  DNS_NAME_MAX_LENGTH,
  DNS_SUBDOMAIN_MAX_LENGTH,
  HTTP_PATH_MAX_LENGTH,
  isAwsAccountId,
  isAwsRegion,
  isDnsLabel,
  isDnsName,
  isDnsSubdomain,
  isEmail,
  isFluxDuration,
  isGoDuration,
  isHttpPathPrefix,
  isInDnsZone,
  isIntegerInRange,
  isRoute53ZoneId,
  parseExactVersion,
  parseGoDuration,
  parseOidcProviderArn,
  PORT_MAX,
  PORT_MIN,
  ROUTE53_ZONE_ID_MAX_LENGTH,
} from '../util/validators.js';
import { ConfigError, type ConfigProblem, formatPath, type PathSegment, SHOWN_VALUE_MAX_LENGTH, showValue } from './errors.js';
import type { PlatformConfig } from './types.js';

/** Longest organization name: X.509 `ub-organization-name` (RFC 5280, appendix A.1), the `O=` of certificates. */
export const ORGANIZATION_NAME_MAX_LENGTH = 64;

/**
 * Oldest cert-manager chart accepted: the values we render, `crds.enabled` and
 * `config.enableGatewayAPI`, first exist in v1.15.0.
 */
export const CERT_MANAGER_MIN_VERSION = 'v1.15.0';

/** Oldest Gateway API release accepted: v1.0.0 is the first with the v1 Gateway and HTTPRoute APIs. */
export const GATEWAY_API_MIN_VERSION = 'v1.0.0';

/** Fewest and most cert-manager replicas: beyond 5, leader election leaves the extra pods idle. */
export const CERT_MANAGER_REPLICAS_MIN = 1;
export const CERT_MANAGER_REPLICAS_MAX = 5;

/** Top-level sections of the configuration, in the order they are checked and documented. */
export const CONFIG_SECTIONS = ['organization', 'aws', 'dns', 'acme', 'vault', 'versions', 'clusters', 'applications'] as const;
const ORGANIZATION_FIELDS = ['name', 'country'] as const;
const AWS_FIELDS = ['accountId', 'region'] as const;
const DNS_FIELDS = ['publicZone', 'privateZone'] as const;
const ZONE_FIELDS = ['name', 'hostedZoneID'] as const;
const ACME_FIELDS = ['email'] as const;
const VAULT_FIELDS = ['address'] as const;
const VERSIONS_FIELDS = ['certManager', 'gatewayApi'] as const;
const CLUSTER_FIELDS = ['name', 'region', 'gatewayClassName', 'workloadIdentity', 'flux', 'certManager'] as const;
const IRSA_FIELDS = ['type', 'oidcProviderArn'] as const;
const POD_IDENTITY_FIELDS = ['type'] as const;
const FLUX_FIELDS = ['gitRepository', 'interval', 'timeout'] as const;
const CERT_MANAGER_FIELDS = ['replicas', 'serviceMonitor'] as const;
const APPLICATION_FIELDS = ['name', 'cluster', 'namespace', 'gateway', 'hostname', 'service', 'path'] as const;
const SERVICE_FIELDS = ['name', 'port'] as const;

const WORKLOAD_IDENTITY_TYPES = ['irsa', 'pod-identity'] as const;
const GATEWAYS = ['public', 'private'] as const;

/**
 * Checks a whole configuration, as parsed from YAML, against every rule.
 *
 * Pure: reads `raw`, never changes it, never throws on bad input.
 * @returns every problem found, in a deterministic order (see the module comment); empty when valid
 */
export function validateConfig(raw: unknown): ConfigProblem[] {
  const problems = new Problems();
  checkPlatform(problems, raw);
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
// Machinery

type Path = readonly PathSegment[];
type Mapping = Readonly<Record<string, unknown>>;

class Problems {
  readonly list: ConfigProblem[] = [];

  add(path: Path, message: string): void {
    this.list.push({ path: formatPath(path), message });
  }
}

/** How to check one field's value (never `undefined`, never `null`: {@link field} handles those). */
interface Rule {
  /** What a valid value is, completing "expected …"; also the text of "is required: expected …". */
  readonly expected: string;
  /** The problem with `value`, or `undefined` when it is valid. */
  problem(value: unknown): string | undefined;
}

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(mapping: Mapping, key: string): unknown {
  return Object.hasOwn(mapping, key) ? mapping[key] : undefined;
}

function mappingOf(fields: readonly string[]): string {
  return `a mapping with ${fields.join(', ')}`;
}

function quoted(values: readonly string[]): string {
  const shown = values.map((value) => JSON.stringify(value));
  return shown.length <= 1 ? shown.join('') : `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
}

function expectedGot(expected: string, value: unknown, hint?: string): string {
  const shown = showValue(value);
  if (hint === undefined) {
    return `expected ${expected}, got ${shown}`;
  }
  // A long value is shown with its length in parentheses: put the hint in the same ones.
  return shown.endsWith(' characters)')
    ? `expected ${expected}, got ${shown.slice(0, -1)}; ${hint})`
    : `expected ${expected}, got ${shown} (${hint})`;
}

/**
 * Reports every key of `mapping` not in `fields`: a typo must not silently fall back to a default.
 */
function reportUnknownKeys(problems: Problems, mapping: Mapping, path: Path, fields: readonly string[]): void {
  for (const key of Object.keys(mapping)) {
    if (!fields.includes(key)) {
      problems.add([...path, key], `unknown field; expected one of: ${fields.join(', ')}`);
    }
  }
}

/**
 * Reads the value at `parent[key]`, reporting it when missing (and not optional) or `null` (an
 * empty YAML value such as `flux:`). Returns `undefined` in those cases.
 */
function present(problems: Problems, parent: Mapping, path: Path, key: string, expected: string, optional: boolean): unknown {
  const value = own(parent, key);
  if (value === undefined) {
    if (!optional) {
      problems.add([...path, key], `is required: expected ${expected}`);
    }
    return undefined;
  }
  if (value === null) {
    const fix = optional ? 'remove the key to use the default' : 'give it a value';
    problems.add([...path, key], `expected ${expected}, got null (an empty value; ${fix})`);
    return undefined;
  }
  return value;
}

/** Checks `parent[key]` with `rule`; returns the value when valid, `undefined` when absent or invalid. */
function field<T>(problems: Problems, parent: Mapping, path: Path, key: string, rule: Rule, optional = false): T | undefined {
  const value = present(problems, parent, path, key, rule.expected, optional);
  if (value === undefined) {
    return undefined;
  }
  const problem = rule.problem(value);
  if (problem !== undefined) {
    problems.add([...path, key], problem);
    return undefined;
  }
  return value as T;
}

/**
 * Checks that `parent[key]` is a mapping with only the given fields; returns it, or `undefined`
 * when absent or not a mapping (its fields are then not checked).
 */
function section(
  problems: Problems, parent: Mapping, path: Path, key: string, fields: readonly string[], optional = false,
): Mapping | undefined {
  const expected = mappingOf(fields);
  const value = present(problems, parent, path, key, expected, optional);
  if (value === undefined) {
    return undefined;
  }
  if (!isMapping(value)) {
    problems.add([...path, key], expectedGot(expected, value));
    return undefined;
  }
  reportUnknownKeys(problems, value, [...path, key], fields);
  return value;
}

/**
 * A rule for strings: `valid` decides, `hint` may add the likely fix to the message. Any other
 * type (number, boolean, list, mapping) is reported against the same `expected`.
 */
function stringRule(expected: string, valid: (value: string) => boolean, hint?: (value: string) => string | undefined): Rule {
  return {
    expected,
    problem: (value) => {
      if (typeof value === 'string' && valid(value)) {
        return undefined;
      }
      return expectedGot(expected, value, typeof value === 'string' ? hint?.(value) : undefined);
    },
  };
}

function enumRule(values: readonly string[]): Rule {
  return stringRule(quoted(values), (value) => values.includes(value), (value) =>
    values.includes(value.toLowerCase()) ? `write it in lowercase: ${JSON.stringify(value.toLowerCase())}` : undefined);
}

function integerRule(min: number, max: number, why = ''): Rule {
  const expected = `an integer from ${min} to ${max}${why}`;
  return {
    expected,
    problem: (value) => {
      if (isIntegerInRange(value, min, max)) {
        return undefined;
      }
      const hint = typeof value === 'string' && /^\d+$/.test(value) && isIntegerInRange(Number(value), min, max)
        ? 'write the number without quotes'
        : undefined;
      return expectedGot(expected, value, hint);
    },
  };
}

const BOOLEAN: Rule = {
  expected: 'true or false',
  problem: (value) => (typeof value === 'boolean' ? undefined : expectedGot('true or false', value)),
};

// ---------------------------------------------------------------------------------------------
// Rules of single values

const DNS_LABEL_EXPECTED = `a DNS-1123 label (lowercase letters, digits and '-', at most ${DNS_LABEL_MAX_LENGTH} characters)`;
const DNS_LABEL = stringRule(DNS_LABEL_EXPECTED, isDnsLabel, (value) =>
  (value.length > DNS_LABEL_MAX_LENGTH ? `${value.length} characters` : undefined));

const DNS_SUBDOMAIN = stringRule(
  `a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most ${DNS_SUBDOMAIN_MAX_LENGTH} characters)`,
  isDnsSubdomain,
);

/** The likely fix for a string that is not a DNS name, or `undefined` when none is obvious. */
function dnsNameHint(value: string): string | undefined {
  if (value.includes('*')) {
    return 'wildcards are not allowed; name one host';
  }
  if (value.endsWith('.')) {
    return 'remove the trailing dot';
  }
  if (value.includes('://') || value.includes('/')) {
    return 'give the name alone, without scheme or path';
  }
  if (value !== value.toLowerCase() && isDnsName(value.toLowerCase())) {
    return 'write it in lowercase';
  }
  if (!value.includes('.')) {
    return 'a fully qualified name has at least two labels, e.g. "example.com"';
  }
  if (value.length > DNS_NAME_MAX_LENGTH) {
    // Always longer than what messages show in full, so its length is already given.
    return `at most ${DNS_NAME_MAX_LENGTH} allowed`;
  }
  if (value.split('.').some((label) => label.length > DNS_LABEL_MAX_LENGTH)) {
    return `a label is longer than ${DNS_LABEL_MAX_LENGTH} characters`;
  }
  return undefined;
}

const ZONE_NAME = stringRule(
  'a lowercase fully qualified DNS name without trailing dot, such as "example.com"', isDnsName, dnsNameHint,
);

const HOSTNAME = stringRule(
  'a lowercase fully qualified host name, such as "app.example.com"', isDnsName, dnsNameHint,
);

const HOSTED_ZONE_ID = stringRule(
  `a Route53 hosted zone id: "Z" then uppercase letters or digits, at most ${ROUTE53_ZONE_ID_MAX_LENGTH} characters`,
  isRoute53ZoneId,
  (value) => (value.startsWith('/hostedzone/') ? 'remove the "/hostedzone/" prefix' : undefined),
);

const ORGANIZATION_NAME: Rule = {
  expected: `a non-empty organization name of at most ${ORGANIZATION_NAME_MAX_LENGTH} characters (the X.509 limit of O=)`,
  problem(value) {
    if (typeof value === 'string' && value.trim() !== '' && value.length <= ORGANIZATION_NAME_MAX_LENGTH) {
      return undefined;
    }
    const length = typeof value === 'string' && value.length > ORGANIZATION_NAME_MAX_LENGTH
      && value.length <= SHOWN_VALUE_MAX_LENGTH ? `${value.length} characters` : undefined;
    return expectedGot(this.expected, value, length);
  },
};

const COUNTRY = stringRule(
  'an ISO 3166-1 alpha-2 country code, two uppercase letters such as "FR"',
  (value) => /^[A-Z]{2}$/.test(value),
  (value) => (/^[a-zA-Z]{2}$/.test(value) ? `write it in uppercase: ${JSON.stringify(value.toUpperCase())}` : undefined),
);

const ACCOUNT_ID: Rule = {
  expected: 'a 12-digit AWS account id as a string (quote it in YAML)',
  problem(value) {
    if (typeof value === 'string') {
      return isAwsAccountId(value) ? undefined : expectedGot('a 12-digit AWS account id', value);
    }
    // YAML reads 012345678901 as the number 12345678901: only a quoted string keeps every digit.
    return expectedGot(this.expected, value);
  },
};

const REGION = stringRule('an AWS region code such as "eu-west-3"', isAwsRegion, (value) => {
  if (isAwsRegion(value.toLowerCase())) {
    return 'write it in lowercase';
  }
  return /[a-z]$/.test(value) && isAwsRegion(value.slice(0, -1))
    ? `that is an availability zone; the region is ${JSON.stringify(value.slice(0, -1))}`
    : undefined;
});

const EMAIL = stringRule('an e-mail address such as "security@example.com"', isEmail, (value) =>
  (/\s/.test(value) ? 'remove the spaces' : undefined));

/**
 * @param product as named in messages
 * @param minimum oldest version accepted, and why
 * @param example a valid version, for the message
 * @param prefixReason why the leading `v` is required
 */
function versionRule(product: string, minimum: string, why: string, example: string, prefixReason: string): Rule {
  const floor = parseExactVersion(minimum)!;
  const expected = `an exact ${product} version "vMAJOR.MINOR.PATCH" such as "${example}"`;
  return {
    expected,
    problem(value) {
      const version = typeof value === 'string' ? parseExactVersion(value) : undefined;
      if (version === undefined) {
        return expectedGot(expected, value, typeof value === 'string' ? versionHint(value, prefixReason) : undefined);
      }
      return compareVersions(version, floor) < 0 ? expectedGot(`${product} ${minimum} or later (${why})`, value) : undefined;
    },
  };
}

function versionHint(value: string, prefixReason: string): string | undefined {
  if (parseExactVersion(`v${value}`) !== undefined) {
    return `add the leading "v": ${prefixReason}`;
  }
  if (/^v?\d+\.\d+\.\d+-/.test(value)) {
    return 'pre-releases are not accepted';
  }
  return 'pin one release: no range, wildcard or "latest"';
}

const CERT_MANAGER_VERSION = versionRule(
  'cert-manager', CERT_MANAGER_MIN_VERSION, 'the rendered Helm values crds.enabled and config.enableGatewayAPI need it', 'v1.21.1',
  'the jetstack chart versions carry it',
);

const GATEWAY_API_VERSION = versionRule(
  'Gateway API', GATEWAY_API_MIN_VERSION, 'the first release with the v1 Gateway and HTTPRoute APIs', 'v1.6.1',
  'the release tags carry it',
);

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

const GATEWAY = enumRule(GATEWAYS);

const PORT = integerRule(PORT_MIN, PORT_MAX);

const PATH_PREFIX = stringRule(
  `a path prefix starting with "/", at most ${HTTP_PATH_MAX_LENGTH} characters, without whitespace, `
    + '"//", "/./", "/../", "%2F" or "#" (the HTTPRoute PathPrefix rules)',
  isHttpPathPrefix,
  (value) => (/\s/.test(value) ? 'remove the whitespace, or encode it as %20' : undefined),
);

// ---------------------------------------------------------------------------------------------
// Sections

interface ValidDns {
  readonly publicZone?: string;
  readonly privateZone?: string;
}

interface ValidAws {
  readonly accountId?: string;
  readonly region?: string;
}

/** What later sections need to know about the clusters. */
interface ClusterSummary {
  /** Number of entries in `clusters`, valid or not; `undefined` when `clusters` is not a list. */
  readonly count?: number;
  /** Valid cluster names with the index of their first declaration. */
  readonly names: ReadonlyMap<string, number>;
  /** Every string given as a cluster name, valid or not: an application naming an invalid one is not reported twice. */
  readonly given: ReadonlySet<string>;
}

function checkPlatform(problems: Problems, raw: unknown): void {
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
    field(problems, acme, ['acme'], 'email', EMAIL);
  }

  const vault = section(problems, raw, [], 'vault', VAULT_FIELDS);
  if (vault) {
    checkVaultAddress(problems, vault, dns);
  }

  const versions = section(problems, raw, [], 'versions', VERSIONS_FIELDS);
  if (versions) {
    field(problems, versions, ['versions'], 'certManager', CERT_MANAGER_VERSION);
    field(problems, versions, ['versions'], 'gatewayApi', GATEWAY_API_VERSION);
  }

  const clusters = checkClusters(problems, raw, aws);
  checkApplications(problems, raw, dns, clusters);
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
 */
function checkVaultAddress(problems: Problems, vault: Mapping, dns: ValidDns): void {
  const path = ['vault', 'address'];
  const value = present(problems, vault, ['vault'], 'address', VAULT_ADDRESS_EXPECTED, false);
  if (value === undefined) {
    return;
  }
  const report = (expected: string, hint?: string, shown: unknown = value): void =>
    problems.add(path, expectedGot(expected, shown, hint));
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
  return undefined;
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
  });
  return { count: value.length, names, given };
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
    for (const key of Object.keys(value)) {
      if (!(POD_IDENTITY_FIELDS as readonly string[]).includes(key)) {
        const message = (IRSA_FIELDS as readonly string[]).includes(key)
          ? 'not allowed when type is "pod-identity" (EKS Pod Identity is set up on the AWS side); remove it'
          : `unknown field; expected one of: ${POD_IDENTITY_FIELDS.join(', ')}`;
        problems.add([...path, key], message);
      }
    }
    return;
  }
  reportUnknownKeys(problems, value, path, IRSA_FIELDS);
  field(problems, value, path, 'type', WORKLOAD_IDENTITY_TYPE);
  // With a missing or wrong type the ARN is still checked, but only as far as its own shape.
  const arnText = field<string>(problems, value, path, 'oidcProviderArn', OIDC_PROVIDER_ARN, type !== 'irsa');
  const arn = arnText === undefined || type !== 'irsa' ? undefined : parseOidcProviderArn(arnText)!;
  if (!arn) {
    return;
  }
  const arnPath = [...path, 'oidcProviderArn'];
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
    const gateway = field<'public' | 'private'>(problems, item, path, 'gateway', GATEWAY);
    const hostname = field<string>(problems, item, path, 'hostname', HOSTNAME);
    if (hostname !== undefined && gateway !== undefined) {
      checkHostnameZone(problems, [...path, 'hostname'], hostname, gateway, dns);
    }
    const service = section(problems, item, path, 'service', SERVICE_FIELDS);
    if (service) {
      field(problems, service, [...path, 'service'], 'name', DNS_LABEL);
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
  }
}
