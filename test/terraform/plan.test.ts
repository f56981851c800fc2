/**
 * Every AWS stack plans offline under a mocked hashicorp/aws provider (`terraform test`, our files
 * in test/terraform/plan/), which sees what `terraform validate` cannot: file() on the TLS
 * material, for expressions over data sources, jsonencode of the policies, preconditions and
 * postconditions. A mutated copy of each stack proves the assertions fail when a construct breaks.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { synthesizeTerraform } from '../../lib/terraform/synth.js';
import { initIn, pkiWorkspace, removeWorkspaces } from '../support/pki.js';
import { findProviderMirror, findTerraform, missingProviders, offlineTerraformEnv } from '../support/terraform.js';
import { addPlanTest, concurrencyLimit, type MockedAccount, type PlanTestResult, terraformInit, terraformTest } from '../support/terraform-test.js';

const PLAN_TESTS = resolve(import.meta.dirname, 'plan');

/**
 * The configuration under test: the example with everything the test files could be tempted to
 * hard-code changed (account, region, cluster, voters, networks, zones, retention), so that a
 * file naming the example's values fails here. The same values are the oracle passed to the
 * test files: nothing is computed back from the code under test.
 */
const FIXTURE = {
  accountId: '210987654321',
  region: 'eu-central-1',
  cluster: 'plan-eks',
  oidcProviderArn: 'arn:aws:iam::210987654321:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/5E1F0C0FFEE5E1F0C0FFEE5E1F0C0FFE',
  publicZone: { name: 'example.com', hostedZoneID: 'Z07PLANTESTPUBLIC' },
  privateZone: { name: 'priv.example.com', hostedZoneID: 'Z07PLANTESTPRIVATE' },
  voters: 3,
  amiId: 'ami-0a1b2c3d4e5f6a7b8',
  breakGlassRoleArn: 'arn:aws:iam::210987654321:role/plan-break-glass',
  drRegion: 'eu-north-1',
  auditLogRetentionDays: 545,
  vpc: { id: 'vpc-0c0ffee0c0ffee001', cidr: '10.42.0.0/16' },
  clientCidrs: ['10.99.0.0/16'],
  backup: { namespace: 'snapshots', glacierAfterDays: 20, expireAfterDays: 110, objectLockDays: 25 },
} as const;

/** The example configuration (a copy, in a PKI workspace) edited into {@link FIXTURE}. */
function editIntoFixture(config: any): void {
  config.aws = { accountId: FIXTURE.accountId, region: FIXTURE.region };
  config.dns.publicZone = { ...FIXTURE.publicZone };
  config.dns.privateZone = { ...FIXTURE.privateZone };
  const cluster = config.clusters[0];
  const renamed = (name: string) => (name === cluster.name ? FIXTURE.cluster : name);
  for (const app of config.applications ?? []) if (app.cluster) app.cluster = renamed(app.cluster);
  if (config.backup?.cluster) config.backup.cluster = renamed(config.backup.cluster);
  cluster.name = FIXTURE.cluster;
  cluster.workloadIdentity = { type: 'irsa', oidcProviderArn: FIXTURE.oidcProviderArn };
  config.vaultCluster.voters = FIXTURE.voters;
  config.vaultCluster.ami = { id: FIXTURE.amiId };
  config.vaultCluster.unsealKey = { ...config.vaultCluster.unsealKey, breakGlassRoleArn: FIXTURE.breakGlassRoleArn };
  config.vaultCluster.disasterRecovery = { region: FIXTURE.drRegion };
  config.vaultCluster.audit = { ...config.vaultCluster.audit, logRetentionDays: FIXTURE.auditLogRetentionDays };
  config.vaultCluster.network = { ...config.vaultCluster.network, vpcCidr: FIXTURE.vpc.cidr, clientCidrs: [...FIXTURE.clientCidrs] };
  Object.assign(config.backup, FIXTURE.backup);
}

const ACCOUNT: MockedAccount = { accountId: FIXTURE.accountId, vpc: FIXTURE.vpc };

/** Which test file plans which stack, and what it is told of the configuration. */
interface PlanTest {
  readonly file: string;
  readonly vars: Readonly<Record<string, unknown>>;
}

const CLUSTER_STACK = `${FIXTURE.cluster}-aws`;

const PLAN_TESTS_BY_STACK: Readonly<Record<string, PlanTest>> = {
  'vault-aws': {
    file: 'vault-aws.tftest.hcl',
    vars: {
      account_id: FIXTURE.accountId,
      region: FIXTURE.region,
      voters: FIXTURE.voters,
      ami_id: FIXTURE.amiId,
      vpc_cidr: FIXTURE.vpc.cidr,
      client_cidrs: FIXTURE.clientCidrs,
      private_zone_id: FIXTURE.privateZone.hostedZoneID,
      break_glass_role_arn: FIXTURE.breakGlassRoleArn,
      audit_log_retention_days: FIXTURE.auditLogRetentionDays,
    },
  },
  'vault-backup-aws': {
    file: 'vault-backup-aws.tftest.hcl',
    vars: {
      account_id: FIXTURE.accountId,
      region: FIXTURE.region,
      oidc_provider_arn: FIXTURE.oidcProviderArn,
      service_account: `${FIXTURE.backup.namespace}:vault-backup`,
      key_prefix: 'raft',
      glacier_after_days: FIXTURE.backup.glacierAfterDays,
      expire_after_days: FIXTURE.backup.expireAfterDays,
      object_lock_days: FIXTURE.backup.objectLockDays,
      break_glass_role_arn: FIXTURE.breakGlassRoleArn,
    },
  },
  [CLUSTER_STACK]: {
    file: 'cluster-aws.tftest.hcl',
    vars: {
      account_id: FIXTURE.accountId,
      region: FIXTURE.region,
      cluster: FIXTURE.cluster,
      oidc_provider_arn: FIXTURE.oidcProviderArn,
      public_zone_id: FIXTURE.publicZone.hostedZoneID,
      public_zone_name: FIXTURE.publicZone.name,
      backup_namespace: FIXTURE.backup.namespace,
    },
  },
};

/** Stacks with no plan test, and why; printed, and asserted, so that none is skipped silently. */
const NOT_PLANNED: Readonly<Record<string, string>> = {
  'vault-config': 'the hashicorp/vault provider is not in the offline mirror, so it cannot even be mocked (terraform test needs its schema); '
    + 'its JSON checks (test/terraform/vault-config/) stay',
};

/**
 * Constructs broken on purpose, one mutated copy per stack (patched in its synthesized JSON), and
 * the failures Terraform must then report: each is an assertion message of ours, or a run whose
 * expected precondition failure no longer happens.
 */
interface Mutation {
  readonly stack: string;
  readonly what: string;
  readonly patch: (stack: any) => void;
  readonly failures: readonly string[];
}

/**
 * The element of a resource or data block whose CDKTF id is `id` plus its hash (`VaultBackup_Encryption`
 * finds `VaultBackup_Encryption_BDFC6C04`, not `VaultBackup_AccessLogsEncryption_…`).
 */
const named = (block: Record<string, any>, id: string): any => {
  const found = Object.keys(block).filter((key) => key.startsWith(`${id}_`));
  if (found.length !== 1) throw new Error(`expected one ${id}_<hash>, got ${JSON.stringify(Object.keys(block))}`);
  return block[found[0]!];
};

/** Edits the JSON policy document of a resource in place. */
const editPolicy = (resource: any, edit: (document: any) => void): void => {
  const document = JSON.parse(resource.policy);
  edit(document);
  resource.policy = JSON.stringify(document);
};

const MUTATIONS: readonly Mutation[] = [
  {
    stack: 'vault-aws',
    what: 'IMDSv1 allowed, the VPC rule opened to 0.0.0.0/0, the seal key\'s break-glass deny removed, the zone precondition removed',
    patch: (stack) => {
      named(stack.resource.aws_launch_template, 'VaultCluster_LaunchTemplate').metadata_options.http_tokens = 'optional';
      named(stack.resource.aws_vpc_security_group_ingress_rule, 'VaultCluster_NodeApiFromVpc').cidr_ipv4 = '0.0.0.0/0';
      editPolicy(named(stack.resource.aws_kms_key, 'VaultCluster_SealKey'), (document) => {
        document.Statement = document.Statement.filter((statement: any) => statement.Effect !== 'Deny');
      });
      delete named(stack.resource.aws_autoscaling_group, 'VaultCluster_AutoScalingGroup').lifecycle;
    },
    // A run whose expected failure does not happen is an error: Terraform skips the runs after it,
    // so each mutant removes one check only.
    failures: [
      'IMDSv2 must be required with a hop limit of 1',
      'No ingress rule may admit the whole Internet.',
      'The seal key policy must deny ScheduleKeyDeletion, DisableKey and PutKeyPolicy to every principal but the break-glass role',
      'run "refuses_subnets_in_two_zones"... fail',
      'Missing expected failure',
    ],
  },
  {
    stack: 'vault-backup-aws',
    what: 'the bucket encrypted with S3-managed keys, the role allowed to delete, the access logs written into the bucket itself, the lock shortened, the OIDC audience postcondition removed',
    patch: (stack) => {
      named(stack.resource.aws_s3_bucket_server_side_encryption_configuration, 'VaultBackup_Encryption').rule[0].apply_server_side_encryption_by_default = { sse_algorithm: 'AES256' };
      const policy = named(stack.resource.aws_iam_role_policy, 'VaultBackup_RolePolicy');
      policy.policy = policy.policy.replace('"s3:GetObject"', '"s3:GetObject","s3:DeleteObject"');
      const logging = named(stack.resource.aws_s3_bucket_logging, 'VaultBackup_AccessLogging');
      logging.target_bucket = logging.bucket;
      named(stack.resource.aws_s3_bucket_object_lock_configuration, 'VaultBackup_ObjectLock').rule.default_retention.days = 1;
      delete named(stack.data.aws_iam_openid_connect_provider, 'OidcProvider').lifecycle;
    },
    failures: [
      'The bucket must be encrypted with SSE-KMS under the snapshot key',
      'The backup role may list, put and get snapshots and use the key, nothing else',
      'The snapshot bucket\'s access logs must go to the log bucket',
      `The snapshots must be locked in GOVERNANCE mode for ${FIXTURE.backup.objectLockDays} days`,
      'run "refuses_an_oidc_provider_without_the_sts_audience"... fail',
    ],
  },
  {
    stack: CLUSTER_STACK,
    what: 'cert-manager allowed to change every hosted zone, cert-manager\'s secret id reader allowed every secret id of the cluster, a secret id under the AWS-managed key, the account postcondition removed',
    patch: (stack) => {
      editPolicy(named(stack.resource.aws_iam_role_policy, 'CertManagerDns01_Route53'), (document) => {
        document.Statement[0].Resource = ['arn:aws:route53:::hostedzone/*'];
      });
      editPolicy(named(stack.resource.aws_iam_role_policy, 'SecretIdReader-cert-manager_ReadSecretId'), (document) => {
        document.Statement[0].Resource = [`arn:aws:secretsmanager:${FIXTURE.region}:${FIXTURE.accountId}:secret:gateway-pki/${FIXTURE.cluster}/*`];
      });
      delete named(stack.resource.aws_secretsmanager_secret, 'SecretId-cert-manager').kms_key_id;
      delete named(stack.data.aws_caller_identity, 'AwsAccount').lifecycle;
    },
    failures: [
      `cert-manager may change TXT challenge records of zone ${FIXTURE.publicZone.hostedZoneID}`,
      'The cert-manager reader may read that secret id only',
      'The AppRole secret ids must be encrypted with the cluster\'s secrets key',
      'run "refuses_another_account"... fail',
      'Missing expected failure',
    ],
  },
];

const mutantOf = (stack: string) => `${stack}-mutant`;

/** Each `terraform test` starts the 700 MB provider for its schema; more at once than the 2 cores only queue. */
const PARALLEL_PLANS = 2;

interface Suite {
  readonly stacks: readonly string[];
  readonly stacksDir: string;
  readonly plans: ReadonlyMap<string, Promise<PlanTestResult>>;
}

let suite: Suite | undefined;

const terraform = findTerraform();
const mirror = findProviderMirror();

beforeAll(async () => {
  if (!terraform || !mirror) return;
  // GIVEN the fixture, its test PKI (.tls/ beside config/, where the stacks' file() calls look)
  const ws = pkiWorkspace(editIntoFixture);
  const init = await initIn(ws);
  if (init.code !== 0) throw new Error(`npm run pki -- init failed: ${init.stderr}`);
  const config: PlatformConfig = parseConfig(readFileSync(ws.config, 'utf8'), ws.config);
  // and the stacks in <workspace>/cdktf.out/, as `npm run synth` lays them out (config_dir resolves to <workspace>/config).
  const outdir = join(ws.root, 'cdktf.out');
  for (const file of synthesizeTerraform(config)) {
    mkdirSync(dirname(join(outdir, file.path)), { recursive: true });
    writeFileSync(join(outdir, file.path), file.content);
  }
  const stacksDir = join(outdir, 'stacks');
  const stacks = readdirSync(stacksDir).sort();
  const env = offlineTerraformEnv(mirror, ws.root);
  const limit = concurrencyLimit(PARALLEL_PLANS);
  const tested = (name: string, planTest: PlanTest) => limit(async () => {
    const result = await terraformTest(terraform, env, join(stacksDir, name), planTest.vars);
    process.stdout.write(`terraform test ${name}: ${result.ok ? 'pass' : 'FAIL'} in ${result.seconds.toFixed(1)} s\n`);
    return result;
  });
  // WHEN every stack is initialised, then tested, a few at once; each mutant is a copy of its
  // stack's initialised folder, provider link and lock file included (no second init)
  const plans = new Map<string, Promise<PlanTestResult>>();
  for (const [name, planTest] of Object.entries(PLAN_TESTS_BY_STACK).filter(([name]) => stacks.includes(name))) {
    const cwd = join(stacksDir, name);
    addPlanTest(cwd, join(PLAN_TESTS, planTest.file), ACCOUNT);
    const initialised = limit(async () => {
      const started = performance.now();
      await terraformInit(terraform, env, cwd);
      process.stdout.write(`terraform init ${name}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      for (const mutation of MUTATIONS.filter((m) => m.stack === name)) {
        const mutant = join(stacksDir, mutantOf(name));
        cpSync(cwd, mutant, { recursive: true, verbatimSymlinks: true });
        const file = join(mutant, 'cdk.tf.json');
        const stack = JSON.parse(readFileSync(file, 'utf8'));
        mutation.patch(stack);
        writeFileSync(file, JSON.stringify(stack, null, 2));
      }
    });
    plans.set(name, initialised.then(() => tested(name, planTest)));
    if (MUTATIONS.some((m) => m.stack === name)) plans.set(mutantOf(name), initialised.then(() => tested(mutantOf(name), planTest)));
  }
  // Nothing may reject unobserved while the tests await them one by one.
  for (const plan of plans.values()) plan.catch(() => undefined);
  suite = { stacks, stacksDir, plans };
}, 300_000);

afterAll(() => {
  removeWorkspaces();
});

/** The suite, after the convention of the Terraform tests: no terraform or no mirror fails, saying why. */
function prepared(): Suite {
  expect(terraform, 'terraform is not installed: this test needs it (no network to download it)').toBeDefined();
  expect(mirror, 'no filesystem mirror of hashicorp/aws found (set GATEWAY_PKI_TF_MIRROR): without it nor network, terraform test cannot run').toBeDefined();
  expect(suite, 'the stacks were not prepared (see the error of the beforeAll hook)').toBeDefined();
  return suite!;
}

describe('terraform test: every AWS stack plans under a mocked hashicorp/aws provider, offline', () => {
  test('every stack of the fixture has a plan test, or says why not', () => {
    const { stacks, stacksDir } = prepared();
    expect(stacks).toEqual([CLUSTER_STACK, 'vault-aws', 'vault-backup-aws', 'vault-config']);
    for (const stack of stacks) expect(stack in PLAN_TESTS_BY_STACK || stack in NOT_PLANNED, `stack ${stack} has neither a plan test nor a reason`).toBe(true);
    for (const [stack, reason] of Object.entries(NOT_PLANNED)) {
      // The reason holds: the provider really is missing from the mirror.
      expect(missingProviders(join(stacksDir, stack, 'cdk.tf.json'), mirror!)).toEqual(['registry.terraform.io/hashicorp/vault 5.6.0']);
      process.stdout.write(`terraform test: stack ${stack} not planned: ${reason}\n`);
    }
  });

  test.each(Object.keys(PLAN_TESTS_BY_STACK))('%s plans green, and each of its checks fires on bad data', async (stack) => {
    const { plans } = prepared();
    expect(plans.has(stack), `stack ${stack} was not synthesized`).toBe(true);
    const result = await plans.get(stack)!;
    // THEN Terraform's own report is the failure message
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toMatch(/run "plans_green"\.\.\. pass/);
    expect(result.output).toMatch(/Success! \d+ passed, 0 failed\./);
    // Each precondition and postcondition of the stack has its failing run (none skipped).
    const runs = [...result.output.matchAll(/run "([a-z_]+)"\.\.\. (\w+)/g)].map(([, name, status]) => `${name} ${status}`);
    expect(runs.filter((r) => r.startsWith('refuses_')).length, result.output).toBeGreaterThanOrEqual(2);
    for (const r of runs) expect(r, result.output).toMatch(/ pass$/);
  }, 300_000);

  test.each(MUTATIONS.map((m) => [m.stack, m.what, m] as const))('%s with %s: the plan test fails, with our messages', async (stack, _what, mutation) => {
    const { plans } = prepared();
    expect(plans.has(mutantOf(stack)), `stack ${stack} was not synthesized`).toBe(true);
    const result = await plans.get(mutantOf(stack))!;
    expect(result.ok, result.output).toBe(false);
    // Terraform wraps its messages to the width of a terminal.
    const text = result.output.replace(/\s+/g, ' ');
    for (const failure of mutation.failures) expect(text, result.output).toContain(failure);
  }, 300_000);
});
