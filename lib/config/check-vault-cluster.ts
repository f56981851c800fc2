/**
 * `vaultCluster`: the Vault (or OpenBao) servers on EC2, built by the `vault-aws` stack.
 *
 * Checked like every section (lib/config/validate.ts): unknown keys first, then each field in
 * declaration order, then what relates fields (the voter count and the mode, the subnets and the
 * mode, the package checksum and the engine). Bounds are named constants, shared with the stack.
 */
import { awsPartition } from '../util/names.js';
import { isAwsRegion, isIntegerInRange } from '../util/validators.js';
import {
  BOOLEAN, CIDR, DNS_LABEL, enumRule, expectedGot, field, integerRule, isMapping, listField, listItem, type Mapping, own, type Path,
  pemFileRule, present, PRIVATE_SOURCE_CIDR, type Problems, REGION, type Rule, section, stringRule, type ValidAws, KMS_KEY_ARN,
} from './rules.js';
import type { VaultClusterConfig, VaultEngine } from './types.js';

export const VAULT_ENGINES = ['vault', 'openbao'] as const satisfies readonly VaultEngine[];
export const VAULT_MODES = ['dev', 'ha'] as const;

/** Raft voter counts accepted in `ha`: odd, so that each added pair raises the failure tolerance. */
export const VAULT_VOTER_COUNTS = [3, 5, 7] as const;

/** `vaultCluster.voters` when omitted in `ha`. */
export const VAULT_DEFAULT_VOTERS = 5;

/** Fewest private subnets (and availability zones) in `ha`: a zone outage must leave a quorum. */
export const VAULT_HA_MIN_SUBNETS = 3;

/**
 * Longest cluster name: it prefixes the load balancer's and target group's names, which AWS limits
 * to 32 characters (`<name>-api`, `<name>-8200`).
 */
export const VAULT_CLUSTER_NAME_MAX_LENGTH = 24;

/** KMS key deletion window bounds (AWS: 7 to 30 days). */
export const KMS_DELETION_WINDOW_MIN = 7;
export const KMS_DELETION_WINDOW_MAX = 30;

/** Volume size bounds, GiB: gp3 goes up to 16 TiB; below 8 GiB no Amazon Linux image boots. */
export const ROOT_VOLUME_MIN_GIB = 8;
export const ROOT_VOLUME_MAX_GIB = 1024;
export const DATA_VOLUME_MIN_GIB = 10;
export const DATA_VOLUME_MAX_GIB = 16384;

/** Audit volume bounds, GiB: gp3 sizes; logrotate keeps 14 days of compressed audit log on it. */
export const AUDIT_VOLUME_MIN_GIB = 8;
export const AUDIT_VOLUME_MAX_GIB = 1024;

/** `vaultCluster.audit.*` when omitted. */
export const VAULT_AUDIT_DEFAULTS = {
  volumeGiB: 20,
  logRetentionDays: 365,
  cloudWatchAgentVersion: '1.300068.0b1491',
} as const;

/** The retention periods CloudWatch Logs accepts (`PutRetentionPolicy`), in days; "never expire" is not offered. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Health check grace period bounds, seconds: a node needs a minute to boot, install and unseal. */
export const GRACE_PERIOD_MIN = 60;
export const GRACE_PERIOD_MAX = 3600;

const VAULT_CLUSTER_FIELDS = [
  'name', 'engine', 'version', 'packageSha256', 'mode', 'voters', 'region', 'network', 'unsealKey', 'disasterRecovery', 'tls', 'ami',
  'instances', 'ssm', 'bootstrap', 'audit',
] as const;
const NETWORK_FIELDS = [
  'vpcId', 'vpcTags', 'subnetIds', 'subnetTags', 'vpcCidr', 'clientSecurityGroupIds', 'clientCidrs', 'httpsEgressCidrs',
] as const;
const UNSEAL_KEY_FIELDS = ['existingKeyArn', 'deletionWindowDays', 'breakGlassRoleArn'] as const;
const DISASTER_RECOVERY_FIELDS = ['region'] as const;
const TLS_FIELDS = ['certificateFile', 'keyFile', 'caChainFile', 'revision', 'minVersion'] as const;
const AMI_FIELDS = ['id', 'ssmParameter', 'architecture'] as const;
const AUDIT_FIELDS = ['volumeGiB', 'logRetentionDays', 'cloudWatchAgentVersion'] as const;
const INSTANCES_FIELDS = [
  'size', 'onDemandBase', 'spotVoters', 'storage', 'dataVolumeGiB', 'rootVolumeGiB', 'healthCheckGracePeriod',
] as const;

/** Prefix of AWS's public SSM parameters (`/aws/service/ami-amazon-linux-latest/...`): AWS moves them to each new image. */
export const AWS_PUBLIC_PARAMETER_PREFIX = '/aws/service/';

/** What {@link checkVaultCluster} needs from the sections before it. */
export interface VaultClusterContext {
  readonly aws: ValidAws;
}

/** What later sections learn of the cluster (each value only when valid). */
export interface ValidVaultCluster {
  readonly engine?: VaultEngine;
  readonly version?: string;
}

const NAME = stringRule(
  `${DNS_LABEL.expected.replace(/, at most \d+ characters/, '')} of at most ${VAULT_CLUSTER_NAME_MAX_LENGTH} characters (it prefixes `
    + 'load balancer names, which AWS limits to 32)',
  (value) => DNS_LABEL.problem(value) === undefined && value.length <= VAULT_CLUSTER_NAME_MAX_LENGTH,
  (value) => (value.length > VAULT_CLUSTER_NAME_MAX_LENGTH ? `${value.length} characters` : undefined),
);

/** `vaultCluster.tls.revision` when omitted, as types.ts documents. */
export const VAULT_TLS_DEFAULT_REVISION = 1;

const ENGINE = enumRule(VAULT_ENGINES);
const MODE = enumRule(VAULT_MODES);

const PACKAGE_VERSION = stringRule('an exact package version such as "1.21.1" (three numbers, no "v", no range)',
  (value) => /^\d+\.\d+\.\d+$/.test(value),
  (value) => (/^v\d+\.\d+\.\d+$/.test(value) ? `write it without the "v": ${JSON.stringify(value.slice(1))}` : undefined));

const SHA256 = stringRule('a SHA-256 checksum: 64 hexadecimal digits', (value) => /^[0-9a-f]{64}$/.test(value),
  (value) => (/^[0-9A-F]{64}$/i.test(value) ? 'write it in lowercase' : /^sha256:/.test(value) ? 'remove the "sha256:" prefix' : undefined));

const VPC_ID = stringRule('a VPC id such as "vpc-0123456789abcdef0"', (value) => /^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/.test(value));
const SUBNET_ID = stringRule('a subnet id such as "subnet-0123456789abcdef0"', (value) => /^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/.test(value));
const SECURITY_GROUP_ID = stringRule('a security group id such as "sg-0123456789abcdef0"',
  (value) => /^sg-[0-9a-f]{8}([0-9a-f]{9})?$/.test(value));

/** AWS tag keys and values: at most 128 and 256 characters, not starting with `aws:`. */
const TAG_KEY = stringRule('an AWS tag key: 1 to 128 characters, not starting with "aws:"',
  (value) => value.length >= 1 && value.length <= 128 && !value.toLowerCase().startsWith('aws:'));
const TAG_VALUE = stringRule('an AWS tag value: at most 256 characters', (value) => value.length <= 256);

/**
 * An IAM role by ARN, path allowed (`arn:aws:iam::123456789012:role/ops/break-glass`): key policies
 * compare it with `aws:PrincipalArn`, which names roles this way, never by a bare name.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
 */
export const IAM_ROLE_ARN = stringRule(
  'an IAM role ARN such as "arn:aws:iam::123456789012:role/gateway-pki-break-glass"',
  (value) => /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/([\x21-\x7e]+\/)?[\w+=,.@-]{1,64}$/.test(value) && !value.includes('*'),
  (value) => {
    if (/:assumed-role\//.test(value) || /^arn:aws(-[a-z]+)*:sts:/.test(value)) return 'that is a session; give the ARN of the role itself';
    if (/:user\//.test(value)) return 'that is a user; give a role, which people assume when they need it';
    if (value.includes('*')) return 'name one role, without wildcards';
    if (/^[\w+=,.@-]{1,64}$/.test(value)) return 'give the full ARN: arn:<partition>:iam::<account>:role/<name>';
    return undefined;
  },
);

const DELETION_WINDOW = integerRule(KMS_DELETION_WINDOW_MIN, KMS_DELETION_WINDOW_MAX, ' (days, the KMS limits)');

const TLS_FILE = pemFileRule('the path of a PEM file, relative to the configuration file, such as "pki/vault.pem"');

const REVISION = integerRule(1, 1_000_000);
/**
 * The listener's lowest TLS version: `tls12` only. Clients still negotiate TLS 1.3 (Vault's Go
 * listener offers it); a TLS 1.3 minimum would fail every HTTPS health check of the load balancer,
 * which AWS documents, and the Auto Scaling group would replace every node.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html
 */
const TLS_VERSION = stringRule('"tls12"', (value) => value === 'tls12', (value) => (value.toLowerCase() === 'tls13'
  ? 'a TLS 1.3 minimum fails every HTTPS health check of the Network Load Balancer (AWS: "registered targets fail health checks if they '
    + 'support only TLS 1.3"), and the Auto Scaling group would replace every node; clients negotiate TLS 1.3 with "tls12" as the minimum'
  : undefined));

const AMI_ID = stringRule('an AMI id such as "ami-0123456789abcdef0"', (value) => /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(value),
  (value) => (/^ami-[0-9A-F]+$/i.test(value) ? 'write it in lowercase' : /^resolve:ssm:/.test(value)
    ? 'EC2 would resolve the parameter at each launch, unseen by the plan: give its name in ami.ssmParameter instead' : undefined));
const SSM_PARAMETER = stringRule(
  `the name of an SSM parameter you own, such as "/golden-images/vault/al2023-x86_64" (letters, digits, "_.-/", at most 1011 `
    + `characters; not under ${AWS_PUBLIC_PARAMETER_PREFIX})`,
  (value) => value.length <= 1011 && /^\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(value) && !value.startsWith(AWS_PUBLIC_PARAMETER_PREFIX),
  (value) => (value.startsWith(AWS_PUBLIC_PARAMETER_PREFIX)
    ? 'AWS points its public parameters at each new image, so every plan could roll the cluster unasked: pin the image id it '
      + 'holds today in ami.id, or publish it in a parameter of your own'
    : undefined),
);
const ARCHITECTURE = enumRule(['x86_64', 'arm64']);

const SIZE = enumRule(['small', 'large']);
const STORAGE = enumRule(['ebs', 'instance-store']);
const ROOT_VOLUME = integerRule(ROOT_VOLUME_MIN_GIB, ROOT_VOLUME_MAX_GIB, ' (GiB)');
const DATA_VOLUME = integerRule(DATA_VOLUME_MIN_GIB, DATA_VOLUME_MAX_GIB, ' (GiB)');
const GRACE_PERIOD = integerRule(GRACE_PERIOD_MIN, GRACE_PERIOD_MAX, ' (seconds)');
const AUDIT_VOLUME = integerRule(AUDIT_VOLUME_MIN_GIB, AUDIT_VOLUME_MAX_GIB, ' (GiB)');
const LOG_RETENTION: Rule = {
  expected: `a number of days CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}`,
  problem(value) {
    if ((LOG_RETENTION_DAYS as readonly unknown[]).includes(value)) return undefined;
    const hint = typeof value === 'number' && value > 0 && value <= 3653
      ? `the nearest longer is ${LOG_RETENTION_DAYS.find((days) => days >= value)}`
      : value === 0 ? 'a log group that never expires is not offered: the audit trail has a retention' : undefined;
    return expectedGot(this.expected, value, hint);
  },
};
const AGENT_VERSION = stringRule('a CloudWatch agent version as Amazon publishes it, such as "1.300068.0b1491"',
  (value) => /^\d+\.\d+\.\d+b\d+$/.test(value),
  (value) => (/^v\d/.test(value) ? 'write it without the "v"' : value === 'latest' ? 'the version is pinned: name one' : undefined));

/** Checks `vaultCluster` (optional). @returns what later sections may rely on, `undefined` when absent or not a mapping */
export function checkVaultCluster(problems: Problems, raw: Mapping, context: VaultClusterContext): ValidVaultCluster | undefined {
  const path: Path = ['vaultCluster'];
  const cluster = section(problems, raw, [], 'vaultCluster', VAULT_CLUSTER_FIELDS, true);
  if (!cluster) return undefined;

  field(problems, cluster, path, 'name', NAME, true);
  const engine = field<VaultEngine>(problems, cluster, path, 'engine', ENGINE, true);
  const version = field<string>(problems, cluster, path, 'version', PACKAGE_VERSION);
  const engineInEffect = engine ?? (own(cluster, 'engine') === undefined ? 'vault' : undefined);
  if (engineInEffect !== undefined && version !== undefined) checkEngineVersion(problems, path, engineInEffect, version);
  checkPackageSha256(problems, cluster, path, engineInEffect);
  const mode = field<'dev' | 'ha'>(problems, cluster, path, 'mode', MODE, true) ?? (own(cluster, 'mode') === undefined ? 'ha' : undefined);
  const voters = checkVoters(problems, cluster, path, mode);
  const region = field<string>(problems, cluster, path, 'region', REGION, true) ?? context.aws.region;
  checkNetwork(problems, cluster, path, mode);
  checkUnsealKey(problems, cluster, path, region, context.aws.accountId);
  checkDisasterRecovery(problems, cluster, path, region, mode);
  checkTls(problems, cluster, path);
  checkAmi(problems, cluster, path);
  checkInstances(problems, cluster, path, voters);
  field(problems, cluster, path, 'ssm', BOOLEAN, true);
  field(problems, cluster, path, 'bootstrap', BOOLEAN, true);
  checkAudit(problems, cluster, path);
  return { engine: engine ?? (own(cluster, 'engine') === undefined ? 'vault' : undefined), version };
}

/**
 * The release lines of each engine, by major version: OpenBao's first release is 2.0.0 (July 2024)
 * and all its releases are 2.x, Vault's are all 1.x. A version of the other engine's line renders a
 * download URL and a backup image that do not exist, which would only fail at node boot.
 * @see https://github.com/openbao/openbao/tags
 */
export const ENGINE_RELEASE_LINES: Readonly<Record<VaultEngine, { readonly name: string; readonly valid: (major: number) => boolean; readonly line: string }>> = {
  vault: { name: 'Vault', valid: (major) => major === 1, line: '1.x, such as "1.21.1"' },
  openbao: { name: 'OpenBao', valid: (major) => major >= 2, line: '2.x, such as "2.4.4"' },
};

/** `version` of a release line of `engine` (see {@link ENGINE_RELEASE_LINES}). */
function checkEngineVersion(problems: Problems, path: Path, engine: VaultEngine, version: string): void {
  const line = ENGINE_RELEASE_LINES[engine];
  if (line.valid(Number(version.split('.')[0]))) return;
  const other = VAULT_ENGINES.find((name) => name !== engine && ENGINE_RELEASE_LINES[name].valid(Number(version.split('.')[0])));
  problems.add([...path, 'version'], expectedGot(`${engine === 'openbao' ? 'an' : 'a'} ${line.name} release (engine "${engine}"): ${line.line}`, version,
    other === undefined
      ? `no ${line.name} release has that major version`
      : `${other === 'openbao' ? 'an' : 'a'} ${ENGINE_RELEASE_LINES[other].name} version: give the ${line.name} release to install, or set engine: ${other}`));
}

/** Required with OpenBao (a download checked against it); refused with Vault, where it would be silently unused. */
function checkPackageSha256(problems: Problems, cluster: Mapping, path: Path, engine: VaultEngine | undefined): void {
  const given = own(cluster, 'packageSha256') !== undefined;
  if (engine === 'openbao' && !given) {
    problems.add([...path, 'packageSha256'], 'is required with engine "openbao": expected the SHA-256 of the OpenBao .rpm of '
      + '`version`, from the release\'s checksums file (the package is downloaded from GitHub and checked against it before install)');
    return;
  }
  if (engine === 'vault' && given) {
    problems.add([...path, 'packageSha256'], 'is not used with engine "vault" (its packages come from HashiCorp\'s repository, '
      + 'verified with its pinned GPG key): remove it');
    return;
  }
  field(problems, cluster, path, 'packageSha256', SHA256, true);
}

/** `voters`: 3, 5 or 7 in `ha` (5 by default); absent or 1 in `dev`. @returns the count in effect when valid */
function checkVoters(problems: Problems, cluster: Mapping, path: Path, mode: 'dev' | 'ha' | undefined): number | undefined {
  const value = present(problems, cluster, path, 'voters', 'an odd number of voters: 3, 5 or 7', true);
  if (value === undefined) return mode === 'dev' ? 1 : mode === 'ha' ? VAULT_DEFAULT_VOTERS : undefined;
  if (mode === 'dev') {
    if (value !== 1) problems.add([...path, 'voters'], expectedGot('1 or nothing in mode "dev" (a single node)', value));
    return 1;
  }
  if (isIntegerInRange(value, 2, 8) && value % 2 === 0) {
    problems.add([...path, 'voters'], expectedGot('an odd number of voters: 3, 5 or 7', value,
      `an even count tolerates no more failures than ${value - 1} voters, and a network split can leave no majority`));
    return undefined;
  }
  if (!(VAULT_VOTER_COUNTS as readonly unknown[]).includes(value)) {
    const hint = value === 1 ? 'one node is mode "dev"' : undefined;
    problems.add([...path, 'voters'], expectedGot('an odd number of voters: 3, 5 or 7', value, hint));
    return undefined;
  }
  return value as number;
}

/** A mapping of AWS tags: at least one, keys and values within AWS limits. */
function checkTags(problems: Problems, parent: Mapping, path: Path, key: string): void {
  const expected = 'a non-empty mapping of AWS tag keys to values, such as { Name: "shared" }';
  const tags = present(problems, parent, path, key, expected, true);
  if (tags === undefined) return;
  if (!isMapping(tags) || Object.keys(tags).length === 0) {
    problems.add([...path, key], expectedGot(expected, tags));
    return;
  }
  for (const [tagKey, tagValue] of Object.entries(tags)) {
    const keyProblem = TAG_KEY.problem(tagKey);
    if (keyProblem !== undefined) problems.add([...path, key, tagKey], keyProblem.replace(/^expected/, 'key: expected'));
    listItem(problems, [...path, key, tagKey], tagValue, TAG_VALUE);
  }
}

/** A list of valid items, each given once. */
function checkList(
  problems: Problems, parent: Mapping, path: Path, key: string, rule: Rule, options: { minItems?: number; why?: string } = {},
): string[] | undefined {
  return listField<string>(problems, parent, path, key, rule, {
    minItems: options.minItems,
    tooShortHint: options.why,
    duplicate: (item) => `${JSON.stringify(item)} is listed twice; expected each once`,
  });
}

/** Exactly one of two fields (`vpcId`/`vpcTags`, `subnetIds`/`subnetTags`), reported on the parent. */
function exactlyOne(problems: Problems, parent: Mapping, path: Path, a: string, b: string, what: string): void {
  const hasA = own(parent, a) !== undefined;
  const hasB = own(parent, b) !== undefined;
  if (hasA && hasB) problems.add(path, `expected exactly one of ${a} or ${b}, got both (${what} is found one way; remove one)`);
  else if (!hasA && !hasB) problems.add(path, `expected exactly one of ${a} or ${b}, got neither (${what} must be known)`);
}

function checkNetwork(problems: Problems, cluster: Mapping, clusterPath: Path, mode: 'dev' | 'ha' | undefined): void {
  const path = [...clusterPath, 'network'];
  const network = section(problems, cluster, clusterPath, 'network', NETWORK_FIELDS);
  if (!network) return;
  exactlyOne(problems, network, path, 'vpcId', 'vpcTags', 'the VPC');
  field(problems, network, path, 'vpcId', VPC_ID, true);
  checkTags(problems, network, path, 'vpcTags');
  exactlyOne(problems, network, path, 'subnetIds', 'subnetTags', 'the private subnets');
  const minSubnets = mode === 'ha' ? VAULT_HA_MIN_SUBNETS : 1;
  checkList(problems, network, path, 'subnetIds', SUBNET_ID, {
    minItems: minSubnets,
    why: mode === 'ha' ? `mode "ha" spreads the voters over at least ${VAULT_HA_MIN_SUBNETS} availability zones, one subnet each` : undefined,
  });
  checkTags(problems, network, path, 'subnetTags');
  field(problems, network, path, 'vpcCidr', PRIVATE_SOURCE_CIDR);
  checkList(problems, network, path, 'clientSecurityGroupIds', SECURITY_GROUP_ID);
  checkList(problems, network, path, 'clientCidrs', PRIVATE_SOURCE_CIDR);
  checkList(problems, network, path, 'httpsEgressCidrs', CIDR, { minItems: 1 });
}

/**
 * `unsealKey`: an existing key, or the one this stack creates, which then needs a break-glass role
 * (its policy denies deletion, disabling and policy changes to everyone else).
 */
function checkUnsealKey(problems: Problems, cluster: Mapping, clusterPath: Path, region: string | undefined, accountId: string | undefined): void {
  const path = [...clusterPath, 'unsealKey'];
  const raw = own(cluster, 'unsealKey');
  if (raw === undefined) {
    problems.add([...path, 'breakGlassRoleArn'], `is required when this stack creates the seal key: expected ${IAM_ROLE_ARN.expected} `
      + '(the only principal the key policy lets schedule the key\'s deletion, disable it or change its policy), '
      + 'or give unsealKey.existingKeyArn');
    return;
  }
  const key = section(problems, cluster, clusterPath, 'unsealKey', UNSEAL_KEY_FIELDS, true);
  if (!key) return;
  const arn = field<string>(problems, key, path, 'existingKeyArn', KMS_KEY_ARN, true);
  if (arn !== undefined && region !== undefined && isAwsRegion(region) && arn.split(':')[3] !== region) {
    problems.add([...path, 'existingKeyArn'], expectedGot(`a key in the cluster's region ${JSON.stringify(region)}`, arn,
      'the awskms seal and the nodes must be in the same region, or give a multi-Region replica key there'));
  }
  const existing = own(key, 'existingKeyArn') !== undefined;
  for (const onlyCreated of ['deletionWindowDays', 'breakGlassRoleArn'] as const) {
    if (existing && own(key, onlyCreated) !== undefined) {
      problems.add([...path, onlyCreated], 'is only for a key this stack creates (an existing key keeps its own policy): remove it, '
        + 'or remove existingKeyArn');
    }
  }
  if (existing) return;
  field(problems, key, path, 'deletionWindowDays', DELETION_WINDOW, true);
  if (own(key, 'breakGlassRoleArn') === undefined) {
    problems.add([...path, 'breakGlassRoleArn'], `is required when this stack creates the seal key: expected ${IAM_ROLE_ARN.expected} `
      + '(the only principal the key policy lets schedule the key\'s deletion, disable it or change its policy), '
      + 'or give existingKeyArn');
    return;
  }
  const role = field<string>(problems, key, path, 'breakGlassRoleArn', IAM_ROLE_ARN);
  if (role !== undefined && accountId !== undefined && role.split(':')[4] !== accountId) {
    problems.add([...path, 'breakGlassRoleArn'], expectedGot(`a role of account ${JSON.stringify(accountId)} (aws.accountId)`, role,
      'the key policy names a principal of the key\'s own account'));
  }
}

/**
 * `disasterRecovery`: required in `ha` when this stack creates the seal key (a multi-Region key
 * gets its replica there); its region differs from the cluster's and shares its partition.
 */
function checkDisasterRecovery(
  problems: Problems, cluster: Mapping, clusterPath: Path, region: string | undefined, mode: 'dev' | 'ha' | undefined,
): void {
  const path = [...clusterPath, 'disasterRecovery'];
  const createdKey = !(isMapping(own(cluster, 'unsealKey')) && own(own(cluster, 'unsealKey') as Mapping, 'existingKeyArn') !== undefined);
  if (own(cluster, 'disasterRecovery') === undefined) {
    if (mode === 'ha' && createdKey) {
      problems.add([...path, 'region'], 'is required in mode "ha" when this stack creates the seal key: expected an AWS region code '
        + 'other than the cluster\'s, such as "eu-central-1" (the seal key\'s replica and the snapshots\' copy live there; '
        + 'without them a lost Region or a deleted key loses every backup)');
    }
    return;
  }
  const dr = section(problems, cluster, clusterPath, 'disasterRecovery', DISASTER_RECOVERY_FIELDS, true);
  if (!dr) return;
  if (!createdKey) {
    problems.add(path, 'is only for a seal key this stack creates (replicate an existing key yourself): remove it, or remove '
      + 'unsealKey.existingKeyArn');
    return;
  }
  const drRegion = field<string>(problems, dr, path, 'region', REGION);
  if (drRegion === undefined || region === undefined || !isAwsRegion(region)) return;
  if (drRegion === region) {
    problems.add([...path, 'region'], expectedGot('another region than the cluster\'s', drRegion,
      'a replica in the same Region survives neither a Region outage nor what took the primary down'));
  } else if (awsPartition(drRegion) !== awsPartition(region)) {
    problems.add([...path, 'region'], expectedGot(`a region of the cluster's partition "${awsPartition(region)}"`, drRegion,
      'multi-Region keys are replicated within one partition'));
  }
}

/** `tls`: the files default to those `npm run pki -- init` writes into `pki.directory`. */
function checkTls(problems: Problems, cluster: Mapping, clusterPath: Path): void {
  const path = [...clusterPath, 'tls'];
  const tls = section(problems, cluster, clusterPath, 'tls', TLS_FIELDS, true);
  if (!tls) return;
  field(problems, tls, path, 'certificateFile', TLS_FILE, true);
  field(problems, tls, path, 'keyFile', TLS_FILE, true);
  field(problems, tls, path, 'caChainFile', TLS_FILE, true);
  field(problems, tls, path, 'revision', REVISION, true);
  field(problems, tls, path, 'minVersion', TLS_VERSION, true);
}

/** `ami`: required, pinned by exactly one of `id` and `ssmParameter` (the former lookup by filter is a removed field, rules.ts). */
function checkAmi(problems: Problems, cluster: Mapping, clusterPath: Path): void {
  const path = [...clusterPath, 'ami'];
  const ami = section(problems, cluster, clusterPath, 'ami', AMI_FIELDS, false,
    'a mapping with id (an AMI id) or ssmParameter (the SSM parameter holding it), and architecture');
  if (!ami) return;
  exactlyOne(problems, ami, path, 'id', 'ssmParameter', 'the image');
  field(problems, ami, path, 'id', AMI_ID, true);
  field(problems, ami, path, 'ssmParameter', SSM_PARAMETER, true);
  field(problems, ami, path, 'architecture', ARCHITECTURE, true);
}

function checkInstances(problems: Problems, cluster: Mapping, clusterPath: Path, voters: number | undefined): void {
  const path = [...clusterPath, 'instances'];
  const instances = section(problems, cluster, clusterPath, 'instances', INSTANCES_FIELDS, true);
  if (!instances) return;
  field(problems, instances, path, 'size', SIZE, true);
  checkOnDemandBase(problems, instances, path, voters);
  const storage = field<string>(problems, instances, path, 'storage', STORAGE, true);
  if (storage === 'instance-store' && own(instances, 'dataVolumeGiB') !== undefined) {
    problems.add([...path, 'dataVolumeGiB'], 'is only for storage "ebs" (instance-store disks come with the instance type): remove it');
  } else {
    field(problems, instances, path, 'dataVolumeGiB', DATA_VOLUME, true);
  }
  field(problems, instances, path, 'rootVolumeGiB', ROOT_VOLUME, true);
  field(problems, instances, path, 'healthCheckGracePeriod', GRACE_PERIOD, true);
}

/** `audit`: the audit volume, the log group's retention, the CloudWatch agent's version. */
function checkAudit(problems: Problems, cluster: Mapping, clusterPath: Path): void {
  const path = [...clusterPath, 'audit'];
  const audit = section(problems, cluster, clusterPath, 'audit', AUDIT_FIELDS, true);
  if (!audit) return;
  field(problems, audit, path, 'volumeGiB', AUDIT_VOLUME, true);
  field(problems, audit, path, 'logRetentionDays', LOG_RETENTION, true);
  field(problems, audit, path, 'cloudWatchAgentVersion', AGENT_VERSION, true);
}

/**
 * `onDemandBase` and `spotVoters`: every voter on demand unless spot voters are accepted, and then
 * never fewer on-demand voters than the quorum (a spot reclaim of every spot node keeps a majority).
 */
function checkOnDemandBase(problems: Problems, instances: Mapping, path: Path, voters: number | undefined): void {
  const spotVoters = field<boolean>(problems, instances, path, 'spotVoters', BOOLEAN, true);
  if (voters === undefined) {
    field(problems, instances, path, 'onDemandBase', integerRule(0, Math.max(...VAULT_VOTER_COUNTS)), true);
    return;
  }
  const quorum = raftQuorum(voters);
  const base = field<number>(problems, instances, path, 'onDemandBase',
    integerRule(quorum, voters, ` (the quorum to the ${voters} voters: a majority always on demand)`), true);
  // Each problem once: an invalid spotVoters is reported by itself, not again as a missing opt-in.
  if (base !== undefined && base < voters && (own(instances, 'spotVoters') === undefined || spotVoters === false)) {
    problems.add([...path, 'onDemandBase'], expectedGot(`${voters} (every voter on demand)`, base,
      `${voters - base} voters on spot: each reclaim costs failure tolerance, two can leave none; set instances.spotVoters: true to accept it`));
  }
  if (spotVoters === true && (own(instances, 'onDemandBase') === undefined || base === voters)) {
    problems.add([...path, 'spotVoters'], `has no effect while onDemandBase is the voter count (${voters}): remove it, `
      + 'or lower onDemandBase');
  }
}

/**
 * Raft voters of the Vault cluster: one in `dev`, `voters` (5 by default) in `ha`; without a
 * `vaultCluster` section (Vault runs elsewhere), the article's 5.
 */
export function raftVoters(cluster: VaultClusterConfig | undefined): number {
  return cluster?.mode === 'dev' ? 1 : cluster?.voters ?? VAULT_DEFAULT_VOTERS;
}

/** The Raft quorum of `voters`: a strict majority. */
export function raftQuorum(voters: number): number {
  return Math.floor(voters / 2) + 1;
}
