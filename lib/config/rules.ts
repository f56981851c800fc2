/**
 * The machinery of configuration validation, and the rules of single values that several sections
 * share: `lib/config/validate.ts` and the section checkers beside it (`check-*.ts`) build on it.
 *
 * A {@link Rule} says what a valid value is (`expected`, which completes "expected …") and what is
 * wrong with a given one; {@link field} and {@link section} read a value from its parent mapping,
 * report it when missing, null or invalid, and return it only when valid.
 */

import {
  DNS_LABEL_MAX_LENGTH,
  DNS_NAME_MAX_LENGTH,
  DNS_SUBDOMAIN_MAX_LENGTH,
  isAwsAccountId,
  isAwsRegion,
  isCidr,
  isDnsLabel,
  isDnsName,
  isDnsSubdomain,
  isIntegerInRange,
  isIpAddress,
  isPortableRelativePath,
  isSecretKey,
  isUuid,
  isVaultPath,
  isVaultPathSegment,
  PORT_MAX,
  PORT_MIN,
  SECRET_KEY_MAX_LENGTH,
} from '../util/validators.js';
import { type ConfigProblem, formatPath, type PathSegment, showValue } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Machinery

export type Path = readonly PathSegment[];
export type Mapping = Readonly<Record<string, unknown>>;

export class Problems {
  readonly list: ConfigProblem[] = [];

  add(path: Path, message: string): void {
    this.list.push({ path: formatPath(path), message });
  }
}

/** How to check one field's value (never `undefined`, never `null`: {@link field} handles those). */
export interface Rule {
  /** What a valid value is, completing "expected …"; also the text of "is required: expected …". */
  readonly expected: string;
  /** The problem with `value`, or `undefined` when it is valid. */
  problem(value: unknown): string | undefined;
}

export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function own(mapping: Mapping, key: string): unknown {
  return Object.hasOwn(mapping, key) ? mapping[key] : undefined;
}

export function mappingOf(fields: readonly string[]): string {
  return `a mapping with ${fields.join(', ')}`;
}

export function quoted(values: readonly string[]): string {
  const shown = values.map((value) => JSON.stringify(value));
  return shown.length <= 1 ? shown.join('') : `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
}

export function expectedGot(expected: string, value: unknown, hint?: string): string {
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
 * Fields that existed once and were removed, by the path of their mapping (as {@link formatPath}
 * writes it): why, and what replaces them. A configuration still giving one is told so, rather than
 * that the field is unknown, which would read like a typo.
 */
export const REMOVED_FIELDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'vault.pki': {
    intermediateMount: 'the offline intermediate CA is no longer imported into a Vault mount: its key stays offline, and '
      + '"npm run pki -- sign-issuing" signs the issuing CA\'s CSR with it (docs/architecture.md, "The Vault configuration")',
    bundleFile: 'Vault no longer reads the intermediate CA\'s key, so no bundle.pem is imported and no CA key reaches Terraform '
      + 'state; the issuing CA\'s signed certificate comes from vault.pki.issuers[].certificateFile instead',
  },
  'vaultCluster.ami': {
    owners: 'the image is no longer looked up by owner and name filter (the most recent match changes without a change in Git, '
      + 'and each change would replace every node): give its id in ami.id, or the SSM parameter holding it in ami.ssmParameter',
    nameFilter: 'the image is no longer looked up by owner and name filter (the most recent match changes without a change in Git, '
      + 'and each change would replace every node): give its id in ami.id, or the SSM parameter holding it in ami.ssmParameter',
  },
};

/**
 * Reports every key of `mapping` not in `fields`: a typo must not silently fall back to a default.
 * A field of {@link REMOVED_FIELDS} is reported as removed, with why.
 */
export function reportUnknownKeys(problems: Problems, mapping: Mapping, path: Path, fields: readonly string[]): void {
  const removed = REMOVED_FIELDS[formatPath(path)] ?? {};
  for (const key of Object.keys(mapping)) {
    if (fields.includes(key)) {
      continue;
    }
    problems.add([...path, key], Object.hasOwn(removed, key)
      ? `removed field: ${removed[key]}; delete it`
      : `unknown field; expected one of: ${fields.join(', ')}`);
  }
}

/**
 * Reads the value at `parent[key]`, reporting it when missing (and not optional) or `null` (an
 * empty YAML value such as `flux:`). Returns `undefined` in those cases.
 */
export function present(problems: Problems, parent: Mapping, path: Path, key: string, expected: string, optional: boolean): unknown {
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
export function field<T>(problems: Problems, parent: Mapping, path: Path, key: string, rule: Rule, optional = false): T | undefined {
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
 * Reports a list item that is `null` or breaks `rule`; returns it when valid.
 */
export function listItem<T>(problems: Problems, path: Path, value: unknown, rule: Rule): T | undefined {
  const problem = value === null ? expectedGot(rule.expected, null) : rule.problem(value);
  if (problem !== undefined) {
    problems.add(path, problem);
    return undefined;
  }
  return value as T;
}

/**
 * Checks that `parent[key]` is a mapping with only the given fields; returns it, or `undefined`
 * when absent or not a mapping (its fields are then not checked).
 */
export function section(
  problems: Problems, parent: Mapping, path: Path, key: string, fields: readonly string[], optional = false,
  expected = mappingOf(fields),
): Mapping | undefined {
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
export function stringRule(expected: string, valid: (value: string) => boolean, hint?: (value: string) => string | undefined): Rule {
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

export function enumRule(values: readonly string[]): Rule {
  return stringRule(quoted(values), (value) => values.includes(value), (value) => {
    const meant = values.find((choice) => choice.toLowerCase() === value.toLowerCase());
    if (meant === undefined) {
      return undefined;
    }
    const casing = meant === meant.toLowerCase() ? 'in lowercase' : meant === meant.toUpperCase() ? 'in uppercase' : 'as';
    return `write it ${casing}: ${JSON.stringify(meant)}`;
  });
}

/** `256, 384 or 521`. */
export function numbers(values: readonly number[]): string {
  return values.length <= 1 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

export function integerRule(min: number, max: number, why = ''): Rule {
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

export const BOOLEAN: Rule = {
  expected: 'true or false',
  problem: (value) => (typeof value === 'boolean' ? undefined : expectedGot('true or false', value)),
};


// ---------------------------------------------------------------------------------------------
// Rules of single values shared by several sections

export const DNS_LABEL_EXPECTED = `a DNS-1123 label (lowercase letters, digits and '-', at most ${DNS_LABEL_MAX_LENGTH} characters)`;
export const DNS_LABEL = stringRule(DNS_LABEL_EXPECTED, isDnsLabel, (value) =>
  (value.length > DNS_LABEL_MAX_LENGTH ? `${value.length} characters` : undefined));

export const DNS_SUBDOMAIN = stringRule(
  `a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most ${DNS_SUBDOMAIN_MAX_LENGTH} characters)`,
  isDnsSubdomain,
);


/** The likely fix for a string that is not a DNS name, or `undefined` when none is obvious. */
export function dnsNameHint(value: string): string | undefined {
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


export const HOSTNAME = stringRule(
  'a lowercase fully qualified host name, such as "app.example.com"', isDnsName, dnsNameHint,
);


export const ACCOUNT_ID: Rule = {
  expected: 'a 12-digit AWS account id as a string (quote it in YAML)',
  problem(value) {
    if (typeof value === 'string') {
      return isAwsAccountId(value) ? undefined : expectedGot('a 12-digit AWS account id', value);
    }
    // YAML reads 012345678901 as the number 12345678901: only a quoted string keeps every digit.
    return expectedGot(this.expected, value);
  },
};

/**
 * The words AWS builds Region codes from: an area, then directions (GovCloud and the isolated
 * partitions add one word), then a number. A Region code of other words is a typo; a new Region of
 * these words (the next number of an area) is accepted without a release of ours.
 */
export const AWS_REGION_AREAS: readonly string[] = ['af', 'ap', 'ca', 'cn', 'eu', 'eusc', 'il', 'me', 'mx', 'sa', 'us'];
export const AWS_REGION_WORDS: readonly string[] = [
  'central', 'de', 'east', 'gov', 'iso', 'isob', 'isoe', 'isof', 'north', 'northeast', 'northwest', 'south', 'southeast', 'southwest', 'west',
];

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment), for "did you mean". */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The nearest of `choices` to `word`, when it is near enough to be a typo of it. */
export function nearest(word: string, choices: readonly string[]): string | undefined {
  const ranked = choices.map((choice) => ({ choice, distance: editDistance(word, choice) })).sort((x, y) => x.distance - y.distance);
  return ranked[0] !== undefined && ranked[0].distance <= (word.length >= 4 ? 2 : 1) ? ranked[0].choice : undefined;
}

/** The word of a well-formed Region code that AWS does not use, with the code it was likely meant as. */
function regionWordProblem(value: string): string | undefined {
  const parts = value.split('-');
  const number = parts.pop()!;
  const [area, ...words] = parts;
  const fixed = [AWS_REGION_AREAS.includes(area!) ? area! : nearest(area!, AWS_REGION_AREAS), ...words.map((w) => (AWS_REGION_WORDS.includes(w) ? w : nearest(w, AWS_REGION_WORDS)))];
  const wrong = [area!, ...words].find((w, i) => fixed[i] !== w);
  if (wrong === undefined) return undefined;
  const meant = fixed.every((w) => w !== undefined) ? `; did you mean ${JSON.stringify([...fixed, number].join('-'))}?` : '';
  return `"${wrong}" is no word of an AWS Region code${meant}`;
}

const REGION_EXPECTED = 'an AWS region code such as "eu-west-3"';

export const REGION: Rule = {
  expected: REGION_EXPECTED,
  problem(value) {
    if (typeof value !== 'string') return expectedGot(REGION_EXPECTED, value);
    if (isAwsRegion(value)) {
      const word = regionWordProblem(value);
      return word === undefined ? undefined : expectedGot(REGION_EXPECTED, value, word);
    }
    const hint = isAwsRegion(value.toLowerCase()) ? 'write it in lowercase'
      : /[a-z]$/.test(value) && isAwsRegion(value.slice(0, -1)) ? `that is an availability zone; the region is ${JSON.stringify(value.slice(0, -1))}`
        : undefined;
    return expectedGot(REGION_EXPECTED, value, hint);
  },
};


export const PORT = integerRule(PORT_MIN, PORT_MAX);


/**
 * The path of a PEM file of certificates, relative to the configuration file (`vault.caBundleFile`,
 * `trust.rootsFile`).
 * @param expected what the file is, completing "expected …"
 */
export function pemFileRule(expected: string): Rule {
  return {
    expected,
    problem(value) {
      if (typeof value === 'string' && value.includes('-----BEGIN')) {
        // PEM pasted in place of the path: never echo it, it may hold a private key.
        const what = /PRIVATE KEY/.test(value)
          ? 'PEM text holding a private key (it must stay offline, never in the configuration; give the path of a file of certificates)'
          : 'PEM text (give the path of the PEM file, not its content)';
        return `expected ${expected}, got ${what}`;
      }
      if (typeof value === 'string' && isPortableRelativePath(value)) {
        return undefined;
      }
      let hint: string | undefined;
      if (typeof value === 'string' && /^([/\\]|[A-Za-z]:)/.test(value)) {
        hint = 'an absolute path only exists on one machine; give it relative to the directory of the configuration file';
      } else if (typeof value === 'string' && value.startsWith('~')) {
        hint = '"~" is only expanded by a shell; give the path relative to the configuration file';
      }
      return expectedGot(expected, value, hint);
    },
  };
}


export const VAULT_MOUNT = stringRule(
  'a Vault mount path: segments of letters, digits, \'_\' and \'-\' separated by \'/\', '
    + 'without leading or trailing \'/\', such as "pki_private_issuer"',
  isVaultPath,
  (value) => (value !== '/' && isVaultPath(value.replace(/^\/+|\/+$/g, '')) ? 'remove the leading and trailing "/"' : undefined),
);

/** The likely fix for a Vault name given with slashes, when stripping them leaves one segment. */
export function vaultSegmentHint(value: string): string | undefined {
  const auth = /^\/?(?:v1\/)?auth\/([A-Za-z0-9_-]+)\/?$/.exec(value);
  if (auth) {
    return `give the mount name alone: ${JSON.stringify(auth[1])}`;
  }
  return isVaultPathSegment(value.replace(/^\/+|\/+$/g, '')) ? 'remove the "/"' : undefined;
}

export const VAULT_ROLE = stringRule(
  'a Vault role name: letters, digits, \'_\' and \'-\', such as "cert-manager"', isVaultPathSegment, vaultSegmentHint,
);

export const APPROLE_PATH = stringRule(
  'the mount name of the AppRole auth method: letters, digits, \'_\' and \'-\', such as "approle"',
  isVaultPathSegment,
  vaultSegmentHint,
);

export const ROLE_ID = stringRule(
  'an AppRole role id, a UUID such as "5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93"',
  isUuid,
  (value) => (isUuid(value.replace(/^\{(.*)\}$/, '$1')) ? 'remove the braces' : undefined),
);

export const SECRET_KEY = stringRule(
  `a Secret data key: letters, digits, '-', '_' and '.', at most ${SECRET_KEY_MAX_LENGTH} characters, not "." nor starting with ".."`,
  isSecretKey,
);


/** An address of the Vault server certificate (`pki.serverIpAddresses`), with the likely fix of common slips. */
export const IP_ADDRESS = stringRule('an IPv4 or IPv6 address such as "10.0.0.10" or "::1"', isIpAddress, (value) => {
  if (value.includes('/')) {
    return 'give one address, not a range';
  }
  if (value.includes('%')) {
    return 'remove the zone id after "%"';
  }
  if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(value) || /^\[.*\]:\d+$/.test(value)) {
    return 'remove the port';
  }
  if (/^\d+(\.\d+){3}$/.test(value) && isIpAddress(value.replace(/\b0+(\d)/g, '$1'))) {
    return 'remove the leading zeros';
  }
  return undefined;
});

/**
 * A KMS key by ARN (the seal key, the state key): IAM permissions and key policies name keys, not
 * aliases. The key id is a UUID with the RFC 4122 variant (what KMS issues, and what Terraform's S3
 * backend checks: the documentation's placeholder `1234abcd-12ab-34cd-56ef-1234567890ab` fails it),
 * or a multi-Region key's `mrk-` id.
 */
export const KMS_KEY_ARN = stringRule(
  'a KMS key ARN such as "arn:aws:kms:eu-west-3:123456789012:key/0b9f3c2e-4d1a-4e8b-9c7d-2a6f5e8b1c34"',
  (value) => /^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$/.test(value),
  (value) => {
    if (/:alias\//.test(value)) return 'give the key\'s ARN, not an alias: IAM permissions are granted on the key';
    if (/:key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)) {
      return 'the key id is not one KMS issues (the fourth group starts with 8, 9, a or b): copy the ARN of your key from KMS';
    }
    return undefined;
  },
);

// ---------------------------------------------------------------------------------------------
// What sections learn from each other (only values that are themselves valid)

export interface ValidDns {
  readonly publicZone?: string;
  readonly privateZone?: string;
}

export interface ValidAws {
  readonly accountId?: string;
  readonly region?: string;
}

/** What later sections need to know about the clusters. */
export interface ClusterSummary {
  /** Number of entries in `clusters`, valid or not; `undefined` when `clusters` is not a list. */
  readonly count?: number;
  /** Valid cluster names with the index of their first declaration. */
  readonly names: ReadonlyMap<string, number>;
  /** Every string given as a cluster name, valid or not: an application naming an invalid one is not reported twice. */
  readonly given: ReadonlySet<string>;
}

// ---------------------------------------------------------------------------------------------
// Networks

/** A network in CIDR notation (security groups, Vault's bound CIDRs), with the fix of common slips. */
export const CIDR = stringRule('a network in CIDR notation such as "10.0.0.0/16"', isCidr, (value) => {
  if (isIpAddress(value)) return `a single address is written ${JSON.stringify(`${value}/${value.includes(':') ? 128 : 32}`)}`;
  const match = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(value);
  if (match && isIpAddress(match[1]!) && Number(match[2]) <= 32) return 'host bits are set; give the network address';
  return undefined;
});

/**
 * A CIDR from which something may be reached: never the whole internet (`0.0.0.0/0`, `::/0`), which
 * a private service must not be open to.
 */
export const PRIVATE_SOURCE_CIDR: Rule = {
  expected: `${CIDR.expected}, narrower than the whole internet`,
  problem(value) {
    if (value === '0.0.0.0/0' || value === '::/0') return `expected ${this.expected}, got ${JSON.stringify(value)} (anyone on the internet)`;
    return CIDR.problem(value);
  },
};

/** How {@link listField} checks a list. */
export interface ListOptions {
  /** What a valid list is. @default - "a list of [at least N] items, each <rule.expected>" */
  readonly expected?: string;
  /** Fewest items. @default 0 */
  readonly minItems?: number;
  /** Why a list that is too short is wrong, added to its message. @default - nothing */
  readonly tooShortHint?: string;
  /** Suggest `[value]` when a single string is given. @default false */
  readonly suggestList?: boolean;
  /** The message for an item given a second time, or `undefined` to accept repeats. @default undefined */
  readonly duplicate?: (item: unknown, firstIndex: number) => string;
}

/**
 * `parent[key]`, an optional list whose items each pass `rule`, reported item by item.
 * @returns the items when the list and every item are valid, `undefined` otherwise or when absent
 */
export function listField<T>(problems: Problems, parent: Mapping, path: Path, key: string, rule: Rule, options: ListOptions = {}): T[] | undefined {
  const min = options.minItems ?? 0;
  const expected = options.expected
    ?? `a list of ${min > 1 ? `at least ${min} ` : min === 1 ? 'at least one ' : ''}items, each ${rule.expected}`;
  const value = present(problems, parent, path, key, expected, true);
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length < min) {
    const hint = Array.isArray(value) ? options.tooShortHint
      : options.suggestList && typeof value === 'string' ? `write it as a list: [${JSON.stringify(value)}]` : undefined;
    problems.add([...path, key], expectedGot(expected, value, hint));
    return undefined;
  }
  let valid = true;
  const seen = new Map<unknown, number>();
  value.forEach((item: unknown, index) => {
    if (listItem(problems, [...path, key, index], item, rule) === undefined) {
      valid = false;
      return;
    }
    const first = seen.get(item);
    if (first !== undefined && options.duplicate) {
      problems.add([...path, key, index], options.duplicate(item, first));
      valid = false;
    } else if (first === undefined) {
      seen.set(item, index);
    }
  });
  return valid ? value as T[] : undefined;
}

/** A list of CIDRs something may be reached or used from (bound CIDRs): none of them the whole internet. */
export function checkCidrList(problems: Problems, parent: Mapping, parentPath: Path, key: string): void {
  listField(problems, parent, parentPath, key, PRIVATE_SOURCE_CIDR, {
    expected: 'a list of networks in CIDR notation, such as ["10.0.0.0/16"] (empty: from anywhere)',
    suggestList: true,
  });
}
