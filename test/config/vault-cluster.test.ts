import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfig } from '../../lib/config/validate.js';

const EXAMPLE: unknown = parse(readFileSync(resolve(__dirname, '../fixtures/example/platform.yaml'), 'utf8'));

/** The example with `vaultCluster` edited (the rest stays valid). */
function withCluster(edit: (cluster: any, config: any) => void): unknown {
  const config = structuredClone(EXAMPLE) as any;
  edit(config.vaultCluster, config);
  return config;
}

/** The problems of the configuration under `vaultCluster`. */
function problems(config: unknown) {
  return validateConfig(config).filter((p) => p.path.startsWith('vaultCluster'));
}

describe('vaultCluster validation', () => {
  it('accepts the example, and a minimal dev cluster', () => {
    expect(validateConfig(EXAMPLE)).toEqual([]);
    expect(problems(withCluster((_, config) => {
      config.vaultCluster = {
        version: '1.21.1', mode: 'dev', ami: { id: 'ami-0123456789abcdef0' },
        network: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'], vpcCidr: '10.0.0.0/16' },
        unsealKey: { breakGlassRoleArn: 'arn:aws:iam::123456789012:role/break-glass' },
      };
    }))).toEqual([]);
  });

  it.each([
    ['an even voter count', (c: any) => { c.voters = 4; }, 'vaultCluster.voters',
      'expected an odd number of voters: 3, 5 or 7, got 4 (an even count tolerates no more failures than 3 voters, and a network split can leave no majority)'],
    ['more voters than Raft\'s sizes', (c: any) => { c.voters = 9; }, 'vaultCluster.voters', 'expected an odd number of voters: 3, 5 or 7, got 9'],
    ['one voter in ha', (c: any) => { c.voters = 1; }, 'vaultCluster.voters', 'expected an odd number of voters: 3, 5 or 7, got 1 (one node is mode "dev")'],
    ['voters in dev', (c: any) => { c.mode = 'dev'; c.voters = 3; }, 'vaultCluster.voters', 'expected 1 or nothing in mode "dev" (a single node), got 3'],
    ['an unknown engine', (c: any) => { c.engine = 'consul'; }, 'vaultCluster.engine', 'expected "vault" or "openbao", got "consul"'],
    ['an engine in capitals', (c: any) => { c.engine = 'OpenBao'; }, 'vaultCluster.engine', 'expected "vault" or "openbao", got "OpenBao" (write it in lowercase: "openbao")'],
    ['a version with a v', (c: any) => { c.version = 'v1.21.1'; }, 'vaultCluster.version',
      'expected an exact package version such as "1.21.1" (three numbers, no "v", no range), got "v1.21.1" (write it without the "v": "1.21.1")'],
    ['openbao with a Vault version', (c: any) => { c.engine = 'openbao'; c.version = '1.21.1'; c.packageSha256 = 'a'.repeat(64); }, 'vaultCluster.version',
      'expected an OpenBao release (engine "openbao"): 2.x, such as "2.4.4", got "1.21.1" '
        + '(a Vault version: give the OpenBao release to install, or set engine: vault)'],
    ['vault with an OpenBao version', (c: any) => { c.version = '2.4.1'; }, 'vaultCluster.version',
      'expected a Vault release (engine "vault"): 1.x, such as "1.21.1", got "2.4.1" '
        + '(an OpenBao version: give the Vault release to install, or set engine: openbao)'],
    ['a version of no engine', (c: any) => { c.version = '0.9.0'; }, 'vaultCluster.version',
      /^expected a Vault release \(engine "vault"\): 1\.x, such as "1\.21\.1", got "0\.9\.0" \(no Vault release has that major version\)$/],
    ['openbao without a checksum', (c: any) => { c.engine = 'openbao'; c.version = '2.4.1'; }, 'vaultCluster.packageSha256',
      /^is required with engine "openbao": expected the SHA-256 of the OpenBao \.rpm/],
    ['a checksum with vault', (c: any) => { c.packageSha256 = 'a'.repeat(64); }, 'vaultCluster.packageSha256', /^is not used with engine "vault"/],
    ['a malformed checksum', (c: any) => { c.engine = 'openbao'; c.version = '2.4.1'; c.packageSha256 = 'sha256:abc'; }, 'vaultCluster.packageSha256',
      'expected a SHA-256 checksum: 64 hexadecimal digits, got "sha256:abc" (remove the "sha256:" prefix)'],
    ['fewer than 3 subnets in ha', (c: any) => { c.network = { ...c.network, subnetTags: undefined, subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] }; },
      'vaultCluster.network.subnetIds', /got a list .*mode "ha" spreads the voters over at least 3 availability zones, one subnet each/],
    ['both subnet ids and tags', (c: any) => { c.network.subnetIds = ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1', 'subnet-0123456789abcdef2']; },
      'vaultCluster.network', 'expected exactly one of subnetIds or subnetTags, got both (the private subnets is found one way; remove one)'],
    ['no VPC', (c: any) => { delete c.network.vpcTags; }, 'vaultCluster.network', 'expected exactly one of vpcId or vpcTags, got neither (the VPC must be known)'],
    ['API open to the internet', (c: any) => { c.network.clientCidrs = ['0.0.0.0/0']; }, 'vaultCluster.network.clientCidrs[0]',
      'expected a network in CIDR notation such as "10.0.0.0/16", narrower than the whole internet, got "0.0.0.0/0" (anyone on the internet)'],
    ['a client CIDR with host bits', (c: any) => { c.network.clientCidrs = ['10.8.0.1/16']; }, 'vaultCluster.network.clientCidrs[0]',
      'expected a network in CIDR notation such as "10.0.0.0/16", got "10.8.0.1/16" (host bits are set; give the network address)'],
    ['a security group that is not an id', (c: any) => { c.network.clientSecurityGroupIds = ['vpn']; }, 'vaultCluster.network.clientSecurityGroupIds[0]',
      'expected a security group id such as "sg-0123456789abcdef0", got "vpn"'],
    ['an alias as unseal key', (c: any) => { c.unsealKey = { existingKeyArn: 'arn:aws:kms:eu-west-3:123456789012:alias/vault' }; delete c.disasterRecovery; }, 'vaultCluster.unsealKey.existingKeyArn',
      /give the key's ARN, not an alias/],
    ['a key in another region', (c: any) => { c.unsealKey = { existingKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/0b9f3c2e-4d1a-4e8b-9c7d-2a6f5e8b1c34' }; delete c.disasterRecovery; },
      'vaultCluster.unsealKey.existingKeyArn', /expected a key in the cluster's region "eu-west-3"/],
    ['a deletion window beyond KMS limits', (c: any) => { c.unsealKey.deletionWindowDays = 45; }, 'vaultCluster.unsealKey.deletionWindowDays',
      'expected an integer from 7 to 30 (days, the KMS limits), got 45'],
    ['a deletion window with an existing key', (c: any) => {
      c.unsealKey = { existingKeyArn: 'arn:aws:kms:eu-west-3:123456789012:key/0b9f3c2e-4d1a-4e8b-9c7d-2a6f5e8b1c34', deletionWindowDays: 10 };
      delete c.disasterRecovery;
    }, 'vaultCluster.unsealKey.deletionWindowDays',
    'is only for a key this stack creates (an existing key keeps its own policy): remove it, or remove existingKeyArn'],
    ['a break-glass role with an existing key', (c: any) => {
      c.unsealKey.existingKeyArn = 'arn:aws:kms:eu-west-3:123456789012:key/0b9f3c2e-4d1a-4e8b-9c7d-2a6f5e8b1c34';
      delete c.disasterRecovery;
    }, 'vaultCluster.unsealKey.breakGlassRoleArn', /^is only for a key this stack creates/],
    ['a created key without a break-glass role', (c: any) => { delete c.unsealKey; }, 'vaultCluster.unsealKey.breakGlassRoleArn',
      /^is required when this stack creates the seal key: expected an IAM role ARN such as "arn:aws:iam::123456789012:role\/gateway-pki-break-glass"/],
    ['a created key with other settings but no break-glass role', (c: any) => { c.unsealKey = { deletionWindowDays: 10 }; },
      'vaultCluster.unsealKey.breakGlassRoleArn', /^is required when this stack creates the seal key/],
    ['a break-glass role by name', (c: any) => { c.unsealKey.breakGlassRoleArn = 'break-glass'; }, 'vaultCluster.unsealKey.breakGlassRoleArn',
      'expected an IAM role ARN such as "arn:aws:iam::123456789012:role/gateway-pki-break-glass", got "break-glass" '
        + '(give the full ARN: arn:<partition>:iam::<account>:role/<name>)'],
    ['a break-glass session', (c: any) => { c.unsealKey.breakGlassRoleArn = 'arn:aws:sts::123456789012:assumed-role/admin/alice'; },
      'vaultCluster.unsealKey.breakGlassRoleArn', /\(that is a session; give the ARN of the role itself\)$/],
    ['a break-glass user', (c: any) => { c.unsealKey.breakGlassRoleArn = 'arn:aws:iam::123456789012:user/alice'; },
      'vaultCluster.unsealKey.breakGlassRoleArn', /\(that is a user; give a role, which people assume when they need it\)$/],
    ['a break-glass role of another account', (c: any) => { c.unsealKey.breakGlassRoleArn = 'arn:aws:iam::210987654321:role/break-glass'; },
      'vaultCluster.unsealKey.breakGlassRoleArn',
      'expected a role of account "123456789012" (aws.accountId), got "arn:aws:iam::210987654321:role/break-glass" '
        + '(the key policy names a principal of the key\'s own account)'],
    ['ha without a DR Region', (c: any) => { delete c.disasterRecovery; }, 'vaultCluster.disasterRecovery.region',
      /^is required in mode "ha" when this stack creates the seal key: expected an AWS region code other than the cluster's/],
    ['a DR Region equal to the cluster\'s', (c: any) => { c.disasterRecovery.region = 'eu-west-3'; }, 'vaultCluster.disasterRecovery.region',
      'expected another region than the cluster\'s, got "eu-west-3" (a replica in the same Region survives neither a Region outage '
        + 'nor what took the primary down)'],
    ['a DR Region in another partition', (c: any) => { c.disasterRecovery.region = 'cn-north-1'; }, 'vaultCluster.disasterRecovery.region',
      /^expected a region of the cluster's partition "aws", got "cn-north-1"/],
    ['a DR Region that is a zone', (c: any) => { c.disasterRecovery.region = 'eu-central-1a'; }, 'vaultCluster.disasterRecovery.region',
      /that is an availability zone; the region is "eu-central-1"/],
    ['a DR Region with an existing key', (c: any) => {
      c.unsealKey = { existingKeyArn: 'arn:aws:kms:eu-west-3:123456789012:key/0b9f3c2e-4d1a-4e8b-9c7d-2a6f5e8b1c34' };
    }, 'vaultCluster.disasterRecovery', /^is only for a seal key this stack creates/],
    ['a key pasted as TLS file', (c: any) => { c.tls = { keyFile: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----' }; }, 'vaultCluster.tls.keyFile',
      /got PEM text holding a private key \(it must stay offline/],
    ['an absolute TLS path', (c: any) => { c.tls = { certificateFile: '/home/me/vault.pem' }; }, 'vaultCluster.tls.certificateFile',
      /an absolute path only exists on one machine/],
    ['an unknown TLS version', (c: any) => { c.tls = { minVersion: 'tls11' }; }, 'vaultCluster.tls.minVersion', 'expected "tls12", got "tls11"'],
    ['a TLS 1.3 minimum, which the load balancer\'s health checks cannot reach', (c: any) => { c.tls = { minVersion: 'tls13' }; }, 'vaultCluster.tls.minVersion',
      'expected "tls12", got "tls13" (a TLS 1.3 minimum fails every HTTPS health check of the Network Load Balancer (AWS: "registered targets '
        + 'fail health checks if they support only TLS 1.3"), and the Auto Scaling group would replace every node; clients negotiate TLS 1.3 with "tls12" as the minimum)'],
    ['more on-demand instances than voters', (c: any) => { c.instances = { onDemandBase: 6 }; }, 'vaultCluster.instances.onDemandBase',
      'expected an integer from 3 to 5 (the quorum to the 5 voters: a majority always on demand), got 6'],
    ['spot voters without opting in', (c: any) => { c.instances = { onDemandBase: 3 }; }, 'vaultCluster.instances.onDemandBase',
      'expected 5 (every voter on demand), got 3 (2 voters on spot: each reclaim costs failure tolerance, two can leave none; '
        + 'set instances.spotVoters: true to accept it)'],
    ['a spot majority, even opted in', (c: any) => { c.instances = { onDemandBase: 2, spotVoters: true }; }, 'vaultCluster.instances.onDemandBase',
      'expected an integer from 3 to 5 (the quorum to the 5 voters: a majority always on demand), got 2'],
    ['spotVoters with every voter on demand', (c: any) => { c.instances = { spotVoters: true }; }, 'vaultCluster.instances.spotVoters',
      'has no effect while onDemandBase is the voter count (5): remove it, or lower onDemandBase'],
    ['spotVoters that is not a boolean', (c: any) => { c.instances = { onDemandBase: 4, spotVoters: 'yes' }; }, 'vaultCluster.instances.spotVoters',
      'expected true or false, got "yes"'],
    ['no image', (c: any) => { delete c.ami; }, 'vaultCluster.ami',
      'is required: expected a mapping with id (an AMI id) or ssmParameter (the SSM parameter holding it), and architecture'],
    ['both an image id and a parameter', (c: any) => { c.ami = { id: 'ami-0123456789abcdef0', ssmParameter: '/images/vault' }; }, 'vaultCluster.ami',
      'expected exactly one of id or ssmParameter, got both (the image is found one way; remove one)'],
    ['an image id in capitals', (c: any) => { c.ami = { id: 'ami-0123456789ABCDEF0' }; }, 'vaultCluster.ami.id',
      'expected an AMI id such as "ami-0123456789abcdef0", got "ami-0123456789ABCDEF0" (write it in lowercase)'],
    ['an image resolved by EC2 at launch', (c: any) => { c.ami = { id: 'resolve:ssm:/images/vault' }; }, 'vaultCluster.ami.id',
      /\(EC2 would resolve the parameter at each launch, unseen by the plan: give its name in ami\.ssmParameter instead\)$/],
    ['AWS\'s public "latest" parameter', (c: any) => { c.ami = { ssmParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' }; },
      'vaultCluster.ami.ssmParameter', /AWS points its public parameters at each new image, so every plan could roll the cluster unasked: pin the image id/],
    ['the former lookup by name filter', (c: any) => { c.ami = { id: 'ami-0123456789abcdef0', nameFilter: 'al2023-ami-*' }; }, 'vaultCluster.ami.nameFilter',
      /^removed field: the image is no longer looked up by owner and name filter .*give its id in ami\.id, or the SSM parameter holding it in ami\.ssmParameter; delete it$/],
    ['bootstrap that is not a boolean', (c: any) => { c.bootstrap = 'first'; }, 'vaultCluster.bootstrap', 'expected true or false, got "first"'],
    ['a data volume with instance store', (c: any) => { c.instances = { storage: 'instance-store', dataVolumeGiB: 200 }; }, 'vaultCluster.instances.dataVolumeGiB',
      'is only for storage "ebs" (instance-store disks come with the instance type): remove it'],
    ['an unknown size', (c: any) => { c.instances = { size: 'medium' }; }, 'vaultCluster.instances.size', 'expected "small" or "large", got "medium"'],
    ['an unknown architecture', (c: any) => { c.ami.architecture = 'amd64'; }, 'vaultCluster.ami.architecture', 'expected "x86_64" or "arm64", got "amd64"'],
    ['a misspelt field', (c: any) => { c.voter = 5; }, 'vaultCluster.voter', /^unknown field; expected one of: name, engine, version/],
    ['a subnet given twice', (c: any) => {
      c.network = { ...c.network, subnetTags: undefined, subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1', 'subnet-0123456789abcdef0'] };
    }, 'vaultCluster.network.subnetIds[2]', '"subnet-0123456789abcdef0" is listed twice; expected each once'],
    ['a tag key reserved by AWS', (c: any) => { c.network.vpcTags = { 'aws:cloudformation:stack-name': 'shared' }; },
      'vaultCluster.network.vpcTags["aws:cloudformation:stack-name"]', 'key: expected an AWS tag key: 1 to 128 characters, not starting with "aws:", got "aws:cloudformation:stack-name"'],
    ['no HTTPS egress at all', (c: any) => { c.network.httpsEgressCidrs = []; }, 'vaultCluster.network.httpsEgressCidrs',
      'expected a list of at least one items, each a network in CIDR notation such as "10.0.0.0/16", got an empty list []'],
    ['a long name', (c: any) => { c.name = 'vault-production-eu-west-3'; }, 'vaultCluster.name', /of at most 24 characters .*got "vault-production-eu-west-3" \(26 characters\)/],
    ['an audit volume too small', (c: any) => { c.audit = { volumeGiB: 4 }; }, 'vaultCluster.audit.volumeGiB', 'expected an integer from 8 to 1024 (GiB), got 4'],
    ['a retention CloudWatch does not offer', (c: any) => { c.audit = { logRetentionDays: 100 }; }, 'vaultCluster.audit.logRetentionDays',
      'expected a number of days CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, '
        + '2922, 3288, 3653, got 100 (the nearest longer is 120)'],
    ['an audit log that never expires', (c: any) => { c.audit = { logRetentionDays: 0 }; }, 'vaultCluster.audit.logRetentionDays',
      /got 0 \(a log group that never expires is not offered: the audit trail has a retention\)$/],
    ['a floating CloudWatch agent', (c: any) => { c.audit = { cloudWatchAgentVersion: 'latest' }; }, 'vaultCluster.audit.cloudWatchAgentVersion',
      'expected a CloudWatch agent version as Amazon publishes it, such as "1.300068.0b1491", got "latest" (the version is pinned: name one)'],
    ['a misspelt audit field', (c: any) => { c.audit = { retentionDays: 30 }; }, 'vaultCluster.audit.retentionDays',
      /^unknown field; expected one of: volumeGiB, logRetentionDays, cloudWatchAgentVersion/],
  ])('refuses %s, naming the field', (_, edit, path, message) => {
    const found = problems(withCluster(edit));
    expect(found.map((p) => p.path)).toEqual([path]);
    if (typeof message === 'string') expect(found[0]!.message).toBe(message);
    else expect(found[0]!.message).toMatch(message);
  });

  it('refuses a PKI directory given as an absolute path (the stacks and the PKI command resolve it from the configuration)', () => {
    const found = validateConfig(withCluster((_, c) => { c.pki = { directory: '/home/ops/.tls' }; }));
    expect(found).toEqual([{
      path: 'pki.directory',
      message: 'expected a directory relative to the configuration file, such as "../.tls" (it holds private keys: keep it out of Git), '
        + 'got "/home/ops/.tls" (an absolute path only exists on one machine; give it relative to the configuration file)',
    }]);
  });

  it('accepts spot voters when asked for, down to the quorum, an image from a parameter, and bootstrap', () => {
    expect(problems(withCluster((c) => { c.instances = { onDemandBase: 3, spotVoters: true }; }))).toEqual([]);
    expect(problems(withCluster((c) => { c.voters = 3; c.instances = { onDemandBase: 2, spotVoters: true }; }))).toEqual([]);
    expect(problems(withCluster((c) => { c.ami = { ssmParameter: '/golden-images/vault/al2023-arm64', architecture: 'arm64' }; }))).toEqual([]);
    expect(problems(withCluster((c) => { c.bootstrap = true; }))).toEqual([]);
  });

  it('accepts every audit setting within bounds', () => {
    expect(problems(withCluster((c) => { c.audit = { volumeGiB: 8, logRetentionDays: 3653, cloudWatchAgentVersion: '1.300067.0b1404' }; }))).toEqual([]);
  });

  it('reports every problem at once', () => {
    const config = withCluster((c) => { c.voters = 2; c.engine = 'bao'; c.network.vpcCidr = '0.0.0.0/0'; });
    expect(problems(config).map((p) => p.path)).toEqual(['vaultCluster.engine', 'vaultCluster.voters', 'vaultCluster.network.vpcCidr']);
  });
});
