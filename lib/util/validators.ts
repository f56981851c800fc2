/**
 * Small, pure predicates on configuration values.
 *
 * Each one answers a single question about a string or number and knows nothing about where the
 * value comes from: `lib/config/validate.ts` combines them and words the error messages. Bounds
 * live here as named constants so that a check and the message that explains it cannot drift apart.
 */

import { isIP } from 'node:net';

/** Longest DNS label (RFC 1035 section 2.3.4), also the Kubernetes DNS-1123 label limit. */
export const DNS_LABEL_MAX_LENGTH = 63;

/** Longest DNS name in text form, without the trailing dot (RFC 1035 section 2.3.4, RFC 1123). */
export const DNS_NAME_MAX_LENGTH = 253;

/** Longest Kubernetes DNS-1123 subdomain (`k8s.io/apimachinery` `IsDNS1123Subdomain`). */
export const DNS_SUBDOMAIN_MAX_LENGTH = 253;

/** Lowest and highest TCP port. */
export const PORT_MIN = 1;
export const PORT_MAX = 65535;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Whether `value` is a Kubernetes DNS-1123 label: lowercase letters, digits and '-', starting and
 * ending with a letter or digit, at most 63 characters.
 *
 * The shape of namespace names and of most Kubernetes object names.
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names
 * @example isDnsLabel('prod-eu') // true
 */
export function isDnsLabel(value: string): boolean {
  return value.length <= DNS_LABEL_MAX_LENGTH && DNS_LABEL.test(value);
}

/**
 * Whether `value` is a Kubernetes DNS-1123 subdomain: DNS-1123 labels joined by '.', at most 253
 * characters in total.
 *
 * Kubernetes checks the total length only, not each label's, and so does this predicate.
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names
 * @example isDnsSubdomain('flux-system') // true
 */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= DNS_SUBDOMAIN_MAX_LENGTH && DNS_SUBDOMAIN.test(value);
}

/**
 * Whether `value` is a lowercase fully qualified DNS name: at least two labels, each 1 to 63
 * characters of `[a-z0-9-]` not starting or ending with '-', at most 253 characters in total,
 * written without the trailing dot and without a wildcard; the last label is not all digits, so an
 * IPv4 address is not a DNS name.
 *
 * The form Route53 zone names, certificate DNS names and Gateway API hostnames share.
 * @example isDnsName('vault.priv.example.com') // true
 * @example isDnsName('example.com.') // false: trailing dot
 */
export function isDnsName(value: string): boolean {
  if (value.length > DNS_NAME_MAX_LENGTH) {
    return false;
  }
  const labels = value.split('.');
  // An all-numeric last label would make an IPv4 address pass for a name (RFC 3696 section 2).
  return labels.length >= 2 && labels.every(isDnsLabel) && !/^\d+$/.test(labels[labels.length - 1]!);
}

/**
 * Whether DNS name `name` belongs to zone `zone`: it is the zone itself or a name below it.
 *
 * Compares whole labels, so `badexample.com` is not in `example.com`. Both are expected lowercase.
 * @example isInDnsZone('vault.priv.example.com', 'priv.example.com') // true
 */
export function isInDnsZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/**
 * Whether `value` is a Kubernetes DNS-1035 label: lowercase letters, digits and '-', starting with a
 * letter and ending with a letter or digit, at most 63 characters.
 *
 * The shape of Service names, stricter than DNS-1123 labels (a Service name cannot start with a digit).
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#rfc-1035-label-names
 * @example isDns1035Label('echo') // true
 * @example isDns1035Label('1echo') // false: starts with a digit
 */
export function isDns1035Label(value: string): boolean {
  return value.length <= DNS_LABEL_MAX_LENGTH && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value);
}

/** Longest e-mail address (RFC 5321 section 4.5.3.1.3, path limit minus the angle brackets). */
export const EMAIL_MAX_LENGTH = 254;

/** Longest local part of an e-mail address (RFC 5321 section 4.5.3.1.1). */
export const EMAIL_LOCAL_PART_MAX_LENGTH = 64;

/**
 * Whether `value` is a plain e-mail address: `local@domain`, where the local part has no '@' and
 * no whitespace, and the domain is a fully qualified DNS name (letters of any case).
 *
 * Deliberately simpler than RFC 5322 (no quoted local parts, no IP literals, no display name):
 * it catches the usual slips (`ops@`, `ops`, `ops@example`, spaces) without rejecting real mailboxes.
 * @example isEmail('security@example.com') // true
 */
export function isEmail(value: string): boolean {
  if (value.length > EMAIL_MAX_LENGTH) {
    return false;
  }
  const at = value.lastIndexOf('@');
  if (at < 1) {
    return false;
  }
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  return local.length <= EMAIL_LOCAL_PART_MAX_LENGTH
    && /^[^\s@]+$/.test(local)
    && isDnsName(domain.toLowerCase());
}

/**
 * Whether `value` is an AWS account id: exactly 12 digits (leading zeros are significant).
 * @example isAwsAccountId('123456789012') // true
 */
export function isAwsAccountId(value: string): boolean {
  return /^\d{12}$/.test(value);
}

const AWS_REGION = /^[a-z]{2,4}(-[a-z]+){1,2}-[1-9][0-9]?$/;

/**
 * Whether `value` has the shape of an AWS region code: a 2-to-4-letter area, one or two words,
 * then a number.
 *
 * Checks the shape only, so regions opened after this was written still pass.
 * @example isAwsRegion('eu-west-3') // true
 * @example isAwsRegion('us-gov-west-1') // true
 * @example isAwsRegion('eu-west-3a') // false: that is an availability zone
 */
export function isAwsRegion(value: string): boolean {
  return AWS_REGION.test(value);
}

/** Longest Route53 hosted zone id, the leading `Z` included. */
export const ROUTE53_ZONE_ID_MAX_LENGTH = 32;

/**
 * Whether `value` has the shape of a Route53 hosted zone id: `Z` then 1 to 31 uppercase letters
 * or digits, without the `/hostedzone/` prefix some AWS APIs return.
 * @example isRoute53ZoneId('Z0123456789EXAMPLEPUB') // true
 */
export function isRoute53ZoneId(value: string): boolean {
  return value.length <= ROUTE53_ZONE_ID_MAX_LENGTH && /^Z[A-Z0-9]+$/.test(value);
}

/** The parts of an EKS cluster's IAM OIDC provider ARN. */
export interface OidcProviderArn {
  /** AWS partition, e.g. `aws`, `aws-cn`, `aws-us-gov`. */
  readonly partition: string;
  /** 12-digit account id owning the provider. */
  readonly accountId: string;
  /** Region of the EKS cluster whose issuer the provider trusts. */
  readonly region: string;
  /** The 32 uppercase hexadecimal digits that identify the cluster's issuer. */
  readonly id: string;
}

const OIDC_PROVIDER_ARN =
  /^arn:(aws(?:-[a-z]+)*):iam::(\d{12}):oidc-provider\/oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com\/id\/([0-9A-F]{32})$/;

/**
 * Splits the ARN of an EKS cluster's IAM OIDC provider into its parts, or returns `undefined` when
 * `value` does not have the shape
 * `arn:<partition>:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<32 hex digits>`.
 * @see https://docs.aws.amazon.com/eks/latest/userguide/enable-iam-roles-for-service-accounts.html
 */
export function parseOidcProviderArn(value: string): OidcProviderArn | undefined {
  const match = OIDC_PROVIDER_ARN.exec(value);
  if (!match || !isAwsRegion(match[3]!)) {
    return undefined;
  }
  return { partition: match[1]!, accountId: match[2]!, region: match[3]!, id: match[4]! };
}

/** An exact release version, `vMAJOR.MINOR.PATCH`, as three numbers. */
export type ExactVersion = readonly [major: number, minor: number, patch: number];

/** What an exact version starts with: `v` (jetstack charts, Gateway API tags) or nothing (enix charts). */
export type VersionPrefix = 'v' | '';

/**
 * Parses an exact release version `vMAJOR.MINOR.PATCH` (the `v` required, no leading zeros, no
 * range, no pre-release or build suffix), or returns `undefined`. With `prefix` `''`, the version
 * is `MAJOR.MINOR.PATCH` and a leading `v` is refused.
 * @example parseExactVersion('v1.21.1') // [1, 21, 1]
 * @example parseExactVersion('1.21.1') // undefined: the v is missing
 * @example parseExactVersion('3.19.1', '') // [3, 19, 1]
 */
export function parseExactVersion(value: string, prefix: VersionPrefix = 'v'): ExactVersion | undefined {
  if (!value.startsWith(prefix)) {
    return undefined;
  }
  const match = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(value.slice(prefix.length));
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/** Compares two exact versions: negative when `a` is older than `b`, 0 when equal, positive when newer. */
export function compareVersions(a: ExactVersion, b: ExactVersion): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Nanoseconds per Go duration unit; Go accepts both the micro sign (U+00B5) and the Greek mu (U+03BC). */
const GO_DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Largest Go duration, in nanoseconds (an int64, about 292 years). */
const GO_DURATION_MAX_NANOSECONDS = 2 ** 63 - 1;

/**
 * Parses a Go duration string (`time.ParseDuration`) into nanoseconds, or returns `undefined`.
 *
 * A duration is an optional sign then one or more decimal numbers, each with an optional fraction
 * and a unit: `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`. A unit is required except for `0`.
 * The result is a float, precise enough for validation, not for arithmetic on nanoseconds.
 * @see https://pkg.go.dev/time#ParseDuration
 * @example parseGoDuration('1h30m') // 5400000000000
 * @example parseGoDuration('10') // undefined: the unit is missing
 */
export function parseGoDuration(value: string): number | undefined {
  const match = /^([-+]?)(.*)$/s.exec(value)!;
  const sign = match[1] === '-' ? -1 : 1;
  const body = match[2]!;
  if (body === '0') {
    return 0;
  }
  if (body === '') {
    return undefined;
  }
  const component = /(\d*)(?:\.(\d*))?([^\d.]+)/y;
  let total = 0;
  let index = 0;
  while (index < body.length) {
    component.lastIndex = index;
    const part = component.exec(body);
    if (!part) {
      return undefined;
    }
    const [text, whole, fraction, unit] = part;
    const scale = GO_DURATION_UNITS[unit!];
    if ((whole === '' && (fraction ?? '') === '') || scale === undefined) {
      return undefined;
    }
    total += Number(`${whole || '0'}.${fraction ?? ''}0`) * scale;
    index += text.length;
  }
  return total > GO_DURATION_MAX_NANOSECONDS ? undefined : sign * total;
}

/**
 * Whether `value` is a Go duration string (`time.ParseDuration`), such as `10m`, `1h30m` or `90s`.
 * @see parseGoDuration
 */
export function isGoDuration(value: string): boolean {
  return parseGoDuration(value) !== undefined;
}

/**
 * Whether `value` is a duration the Flux APIs accept: digits with an optional fraction and a unit
 * among `ms`, `s`, `m`, `h`, repeated (the `pattern` of every duration field in the Flux CRDs,
 * e.g. Kustomization `spec.interval`). A subset of Go durations: no sign, no `ns`/`us`, no `.5s`.
 * @see https://fluxcd.io/flux/components/kustomize/kustomizations/#interval
 * @example isFluxDuration('1h30m') // true
 */
export function isFluxDuration(value: string): boolean {
  return /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/.test(value);
}

/** Longest path in an HTTPRoute path match (Gateway API `HTTPPathMatch.value` `maxLength`). */
export const HTTP_PATH_MAX_LENGTH = 1024;

/**
 * Whether `value` is a valid HTTPRoute `PathPrefix` value: starts with '/', at most 1024
 * characters, only URI path characters (or `%XX` escapes), and none of the sequences Gateway API
 * rejects (`//`, `/./`, `/../`, `%2f`, `%2F`, `#`, a final `/.` or `/..`). No whitespace.
 * @see https://gateway-api.sigs.k8s.io/reference/spec/#httppathmatch
 * @example isHttpPathPrefix('/api/v1') // true
 */
export function isHttpPathPrefix(value: string): boolean {
  return value.length <= HTTP_PATH_MAX_LENGTH
    && value.startsWith('/')
    && /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/.test(value)
    && !['//', '/./', '/../', '%2f', '%2F', '#'].some((sequence) => value.includes(sequence))
    && !value.endsWith('/.')
    && !value.endsWith('/..');
}

/**
 * Whether `value` is an integer from `min` to `max` inclusive (a JavaScript number, not a string).
 * @example isIntegerInRange(8200, PORT_MIN, PORT_MAX) // true
 */
export function isIntegerInRange(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Whether `value` is a UUID in its canonical text form: 8-4-4-4-12 hexadecimal digits, in lowercase
 * or uppercase, without braces or `urn:uuid:` prefix. Any version is accepted.
 * @example isUuid('5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93') // true
 */
export function isUuid(value: string): boolean {
  return /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(value);
}

const VAULT_PATH_SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Whether `value` is one segment of a Vault path: letters, digits, '_' and '-', at least one.
 *
 * The shape of role names and of single-segment mount names such as `approle`.
 * @example isVaultPathSegment('cert-manager') // true
 */
export function isVaultPathSegment(value: string): boolean {
  return VAULT_PATH_SEGMENT.test(value);
}

/**
 * Whether `value` is a Vault mount path: {@link isVaultPathSegment} segments joined by '/', with no
 * leading, trailing or doubled '/'.
 * @example isVaultPath('pki_private_issuer') // true
 * @example isVaultPath('teams/a/pki') // true
 * @example isVaultPath('/pki') // false: leading '/'
 */
export function isVaultPath(value: string): boolean {
  return value.split('/').every(isVaultPathSegment);
}

/**
 * Whether `value` is an IPv4 address in dotted-decimal form or an IPv6 address in any RFC 4291 text
 * form, as a certificate's `iPAddress` subject alternative name holds one: no prefix length, no port,
 * no IPv6 zone id (`%eth0`, meaningless outside one host), no leading zeros in IPv4 (ambiguous: some
 * parsers read them as octal).
 * @example isIpAddress('10.0.0.10') // true
 * @example isIpAddress('::1') // true
 * @example isIpAddress('10.0.0.0/16') // false: a range
 */
export function isIpAddress(value: string): boolean {
  return !value.includes('%') && isIP(value) !== 0;
}

/** Longest key of a Secret's (or ConfigMap's) data (`k8s.io/apimachinery` `IsConfigMapKey`). */
export const SECRET_KEY_MAX_LENGTH = 253;

/**
 * Whether `value` is a valid key of a Kubernetes Secret's data: letters, digits, '-', '_' and '.',
 * at most 253 characters, neither `.` nor starting with `..` (`IsConfigMapKey`, which Secrets share).
 * @see https://kubernetes.io/docs/concepts/configuration/secret/#restriction-names-data
 * @example isSecretKey('secretId') // true
 */
export function isSecretKey(value: string): boolean {
  return value.length <= SECRET_KEY_MAX_LENGTH
    && /^[-._a-zA-Z0-9]+$/.test(value)
    && value !== '.'
    && !value.startsWith('..');
}

/**
 * Whether `value` is a relative file path that means the same thing on every machine: not empty,
 * not absolute in POSIX nor in Windows form (`/x`, `C:\x`, `C:/x`, `\\server\x`, `\x`), not starting
 * with `~` (which only a shell expands), without control characters. `..` segments are allowed.
 * @example isPortableRelativePath('pki/ca-chain.pem') // true
 * @example isPortableRelativePath('/etc/ssl/ca.pem') // false
 */
export function isPortableRelativePath(value: string): boolean {
  return value.trim() !== ''
    && !/^([/\\]|[A-Za-z]:)/.test(value)
    && !value.startsWith('~')
    && !/\p{Cc}/u.test(value);
}

/** Longest name part of a Kubernetes label key, and longest label value (`IsQualifiedName`, `IsValidLabelValue`). */
export const LABEL_NAME_MAX_LENGTH = 63;
export const LABEL_VALUE_MAX_LENGTH = 63;

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * Whether `value` is a Kubernetes label key: an optional prefix, a DNS-1123 subdomain, and '/', then
 * a name of at most 63 characters: letters, digits, '-', '_' and '.', starting and ending with a
 * letter or digit (`k8s.io/apimachinery` `IsQualifiedName`).
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
 * @example isLabelKey('gateway-pki.io/private-ca') // true
 * @example isLabelKey('team') // true
 * @example isLabelKey('Example.io/ca') // false: the prefix is not lowercase
 */
export function isLabelKey(value: string): boolean {
  const parts = value.split('/');
  if (parts.length > 2) {
    return false;
  }
  const name = parts[parts.length - 1]!;
  return (parts.length === 1 || isDnsSubdomain(parts[0]!))
    && name.length <= LABEL_NAME_MAX_LENGTH
    && LABEL_NAME.test(name);
}

/**
 * Whether `value` is a Kubernetes label value: empty, or at most 63 characters of letters, digits,
 * '-', '_' and '.', starting and ending with a letter or digit (`IsValidLabelValue`).
 * @example isLabelValue('true') // true
 * @example isLabelValue('') // true
 */
export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= LABEL_VALUE_MAX_LENGTH && LABEL_NAME.test(value));
}

/**
 * Whether `value` is an IPv4 or IPv6 network in CIDR notation with no host bits set
 * (`10.0.0.0/16`, not `10.0.0.1/16`), as AWS security groups and Vault's bound CIDRs take them.
 * IPv4 octets are plain decimals without leading zeros.
 * @example isCidr('10.8.0.0/16') // true
 * @example isCidr('10.8.0.1/16') // false: host bits set
 */
export function isCidr(value: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!match) return false;
  const [, address = '', prefixText = ''] = match;
  const version = isIP(address);
  const prefix = Number(prefixText);
  if (version === 0 || address.includes('%') || prefixText.length > 1 && prefixText.startsWith('0')) return false;
  if (version === 4) {
    if (prefix > 32 || address.split('.').some((octet) => octet.length > 1 && octet.startsWith('0'))) return false;
    const bits = address.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
    return (bits & ((1n << BigInt(32 - prefix)) - 1n)) === 0n;
  }
  if (prefix > 128) return false;
  return (ipv6Bits(address) & ((1n << BigInt(128 - prefix)) - 1n)) === 0n;
}

/** The 128 bits of an IPv6 address (already known to be valid). */
function ipv6Bits(address: string): bigint {
  let text = address;
  // An embedded IPv4 tail (`::ffff:10.0.0.1`) becomes two hexadecimal groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, group) => (n << 16n) | BigInt(parseInt(group, 16)), 0n);
}
