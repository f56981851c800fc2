import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { gzipSync as fflateGzip } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../lib/config/load.js';
import type { PlatformConfig, VaultClusterConfig } from '../../lib/config/types.js';
import { synthesizeTerraform } from '../../lib/terraform/synth.js';
import { HASHICORP_RELEASE_KEY_FINGERPRINT } from '../../lib/terraform/vault-cluster/engine.js';
import { BOOT_SCRIPT_PATH, CLOUDWATCH_AGENT_KEY_FINGERPRINT, CONFIG_TEMPLATE_PATH } from '../../lib/terraform/vault-cluster/node-boot.js';
import { HEALTH_CHECK_PATH, HEALTHY_STATUS_CODE, LAUNCH_HOOK_NAME, refreshCheckpoints } from '../../lib/terraform/vault-cluster/vault-cluster.js';
import { checkPolicies } from '../../lib/validate/policies.js';
import { EXAMPLE_CONFIG } from '../support/cli.js';
import { findProviderMirror, findTerraform, terraformValidate, writeFiles } from '../support/terraform.js';
import { findTool, runTool } from '../support/tools.js';

// Loaded without its typings, which pull the DOM library into the whole program's type check.
const { parse: parseHcl } = createRequire(import.meta.url)('@cdktf/hcl2json') as { parse: (file: string, text: string) => Promise<unknown> };

const example = (): PlatformConfig => parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG);

/** The example with its `vaultCluster` replaced by an edited copy. */
function withCluster(edit: (cluster: VaultClusterConfig) => VaultClusterConfig): PlatformConfig {
  const config = example();
  return { ...config, vaultCluster: edit(config.vaultCluster!) };
}

function stackFile(config: PlatformConfig): string {
  const file = synthesizeTerraform(config).find((f) => f.path === 'stacks/vault-aws/cdk.tf.json');
  if (!file) throw new Error('vault-aws not synthesized');
  return file.content;
}

const stackOf = (config: PlatformConfig = example()): any => JSON.parse(stackFile(config));

const only = (block: Record<string, any> | undefined): any => {
  const values = Object.values(block ?? {});
  expect(values).toHaveLength(1);
  return values[0];
};

/** The resource of `type` whose Terraform name contains `part` (the construct id), with that name. */
function namedIn(stack: any, type: string, part: string): { name: string; resource: any } {
  const found = Object.entries<any>(stack.resource[type] ?? {}).filter(([name]) => name.includes(part));
  expect(found.map(([name]) => name)).toHaveLength(1);
  return { name: found[0]![0], resource: found[0]![1] };
}
/** The resource of `block` whose construct id, under VaultCluster, is `id` (`SealKey`, `NodeRole`). */
const named = (block: Record<string, any> | undefined, id: string): any => {
  const found = Object.entries(block ?? {}).filter(([name]) => new RegExp(`^VaultCluster_${id}_[0-9A-F]{8}$`).test(name));
  expect(found, id).toHaveLength(1);
  return found[0]![1];
};
/** The Terraform address of the resource of `type` whose construct id is `id`. */
const addressOf = (stack: any, type: string, id: string): string =>
  `${type}.${Object.keys(stack.resource[type]).find((name) => new RegExp(`^VaultCluster_${id}_[0-9A-F]{8}$`).test(name))}`;

/** The user data of the launch template, decoded. */
function userDataOf(stack: any): string {
  return gunzipSync(userDataBytes(stack)).toString('utf8');
}

/** The user data as EC2 receives it: gzipped, base64-decoded. */
function userDataBytes(stack: any): Buffer {
  return Buffer.from(only(stack.resource.aws_launch_template).user_data, 'base64');
}

/** A file written by cloud-init's write_files. */
function writtenFile(userData: string, path: string): { content: string; permissions: string; owner: string } {
  const document = parseYaml(userData) as { write_files: Array<{ path: string; content: string; permissions: string; owner: string }> };
  const file = document.write_files.find((f) => f.path === path);
  if (!file) throw new Error(`${path} is not written by the user data`);
  return file;
}

/** Every policy document of the stack (role, key), parsed. */
function policies(stack: any): Array<{ where: string; document: any }> {
  const found: Array<{ where: string; document: any }> = [];
  for (const [type, field] of [['aws_iam_role_policy', 'policy'], ['aws_iam_role', 'assume_role_policy'], ['aws_kms_key', 'policy']] as const) {
    for (const [name, resource] of Object.entries<any>(stack.resource[type] ?? {})) found.push({ where: `${type}.${name}`, document: JSON.parse(resource[field]) });
  }
  return found;
}

describe('VaultAwsStack (vault-aws)', () => {
  it('example configuration (text snapshot of the stack JSON)', () => {
    expect(stackFile(example())).toMatchSnapshot();
  });

  it('synthesizes the same bytes twice', () => {
    expect(stackFile(example())).toBe(stackFile(example()));
  });

  it('launch template: IMDSv2 only with hop limit 1, metadata tags, encrypted gp3 volumes, detailed monitoring, default version updated', () => {
    const template = only(stackOf().resource.aws_launch_template);
    expect(template.metadata_options).toEqual({
      http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1, instance_metadata_tags: 'enabled',
    });
    expect(template.monitoring).toEqual({ enabled: true });
    expect(template.update_default_version).toBe(true);
    expect(template.block_device_mappings.map((m: any) => [m.device_name, m.ebs.volume_type, m.ebs.encrypted, m.ebs.volume_size])).toEqual([
      ['/dev/xvda', 'gp3', 'true', 20],
      ['/dev/sdf', 'gp3', 'true', 100],
      ['/dev/sdg', 'gp3', 'true', 20],
    ]);
    // The audit volume is encrypted with the audit key, not the account's default EBS key.
    expect(template.block_device_mappings[2].ebs.kms_key_id).toBe(`\${aws_kms_key.${namedIn(stackOf(), 'aws_kms_key', 'AuditLog').name}.arn}`);
  });

  it('seal key: created multi-Region with rotation on and a deletion window, kept on destroy, administered by named actions, used by the node role only', () => {
    const stack = stackOf();
    const key = named(stack.resource.aws_kms_key, 'SealKey');
    expect(key.enable_key_rotation).toBe(true);
    expect(key.deletion_window_in_days).toBe(30);
    expect(key.multi_region).toBe(true);
    expect(key.lifecycle).toEqual({ prevent_destroy: true });
    expect(key.bypass_policy_lockout_safety_check).toBe(true);
    const statements = JSON.parse(key.policy).Statement;
    expect(statements.map((s: any) => [s.Sid, s.Effect, s.Principal.AWS])).toEqual([
      ['AccountAdministersTheKey', 'Allow', 'arn:aws:iam::123456789012:root'],
      ['NodesUnseal', 'Allow', `\${${addressOf(stack, 'aws_iam_role', 'NodeRole')}.arn}`],
      ['OnlyBreakGlassDestroysTheKey', 'Deny', '*'],
    ]);
    expect(statements[0].Action).not.toContain('kms:Decrypt');
    expect(statements[0].Action).not.toContain('kms:Encrypt');
    expect(statements[0].Action).toContain('kms:ReplicateKey');
    expect(statements[1].Action).toEqual(['kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt']);
    expect(named(stack.resource.aws_kms_alias, 'SealKeyAlias').name).toBe('alias/vault-unseal');
  });

  it('seal key: no one but the break-glass role (root included) may schedule its deletion, disable it or replace its policy', () => {
    const deny = JSON.parse(named(stackOf().resource.aws_kms_key, 'SealKey').policy).Statement[2];
    expect(deny).toEqual({
      Sid: 'OnlyBreakGlassDestroysTheKey',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['kms:DisableKey', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'],
      Resource: ['*'],
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/gateway-pki-break-glass' } },
    });
  });

  it('seal key: a replica in the DR Region through the aws.dr provider, same policy and alias, kept on destroy', () => {
    const stack = stackOf();
    expect(stack.provider.aws.map((p: any) => [p.alias, p.region])).toEqual([[undefined, 'eu-west-3'], ['dr', 'eu-central-1']]);
    const replica = named(stack.resource.aws_kms_replica_key, 'SealKeyReplica');
    expect(replica.provider).toBe('aws.dr');
    expect(replica.primary_key_arn).toBe(`\${${addressOf(stack, 'aws_kms_key', 'SealKey')}.arn}`);
    expect(replica.policy).toBe(named(stack.resource.aws_kms_key, 'SealKey').policy);
    expect(replica.lifecycle).toEqual({ prevent_destroy: true });
    expect(replica.deletion_window_in_days).toBe(30);
    const alias = named(stack.resource.aws_kms_alias, 'SealKeyReplicaAlias');
    expect([alias.provider, alias.name]).toEqual(['aws.dr', 'alias/vault-unseal']);
    expect(stack.output.kms_replica_key_arn.value).toBe(`\${aws_kms_replica_key.${Object.keys(stack.resource.aws_kms_replica_key)[0]}.arn}`);
  });

  it('seal key alarm: EventBridge matches the three calls on either key, in both Regions, and publishes to a KMS-encrypted topic', () => {
    const stack = stackOf();
    const rules = stack.resource.aws_cloudwatch_event_rule;
    const primary = named(rules, 'SealKeyAlarm_Rule');
    const remote = named(rules, 'SealKeyAlarm_Rule-eucentral1');
    const pattern = JSON.parse(primary.event_pattern);
    expect(pattern).toEqual({
      source: ['aws.kms'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['kms.amazonaws.com'],
        eventName: ['DisableKey', 'PutKeyPolicy', 'ScheduleKeyDeletion'],
        resources: { ARN: [`\${${addressOf(stack, 'aws_kms_key', 'SealKey')}.arn}`, `\${${addressOf(stack, 'aws_kms_replica_key', 'SealKeyReplica')}.arn}`] },
      },
    });
    expect(remote.event_pattern).toBe(primary.event_pattern);
    expect(remote.provider).toBe('aws.dr');
    const topicAddress = addressOf(stack, 'aws_sns_topic', 'SealKeyAlarm_Topic');
    const toTopic = named(stack.resource.aws_cloudwatch_event_target, 'SealKeyAlarm_ToTopic');
    expect(toTopic.arn).toBe(`\${${topicAddress}.arn}`);
    const forward = named(stack.resource.aws_cloudwatch_event_target, 'SealKeyAlarm_ToPrimaryBus-eucentral1');
    expect([forward.provider, forward.arn]).toEqual(['aws.dr', 'arn:aws:events:eu-west-3:123456789012:event-bus/default']);
    expect(JSON.parse(named(stack.resource.aws_iam_role_policy, 'SealKeyAlarm_ForwarderPolicy-eucentral1').policy).Statement).toEqual([
      { Sid: 'PutEventsOnPrimaryBus', Effect: 'Allow', Action: ['events:PutEvents'], Resource: ['arn:aws:events:eu-west-3:123456789012:event-bus/default'] },
    ]);
    const topic = named(stack.resource.aws_sns_topic, 'SealKeyAlarm_Topic');
    expect(topic.kms_master_key_id).toBe(`\${${addressOf(stack, 'aws_kms_key', 'SealKeyAlarm_TopicKey')}.arn}`);
    expect(JSON.parse(named(stack.resource.aws_sns_topic_policy, 'SealKeyAlarm_TopicPolicy').policy).Statement).toEqual([{
      Sid: 'TheRulePublishes', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: ['sns:Publish'],
      Resource: [`\${${topicAddress}.arn}`], Condition: { ArnEquals: { 'aws:SourceArn': `\${${addressOf(stack, 'aws_cloudwatch_event_rule', 'SealKeyAlarm_Rule')}.arn}` } },
    }]);
    expect(stack.output.seal_key_alarm_topic_arn.value).toBe(`\${${topicAddress}.arn}`);
  });

  it('seal key without a DR Region (dev): still multi-Region, no replica, no second provider, an alarm in one Region', () => {
    const stack = stackOf(withCluster((c) => ({ ...c, disasterRecovery: undefined })));
    expect(named(stack.resource.aws_kms_key, 'SealKey').multi_region).toBe(true);
    expect(stack.resource.aws_kms_replica_key).toBeUndefined();
    expect(stack.provider.aws).toHaveLength(1);
    expect(Object.keys(stack.resource.aws_cloudwatch_event_rule)).toHaveLength(1);
    expect(stack.output.kms_replica_key_arn).toBeUndefined();
  });

  it('TLS secrets: a customer-managed key that only the nodes and the Terraform caller decrypt, and a policy refusing GetSecretValue to everyone else', () => {
    const stack = stackOf();
    const nodeRole = `\${${addressOf(stack, 'aws_iam_role', 'NodeRole')}.arn}`;
    const caller = `\${data.aws_iam_session_context.${Object.keys(stack.data.aws_iam_session_context)[0]}.issuer_arn}`;
    const key = named(stack.resource.aws_kms_key, 'SecretsKey');
    const keyArn = `\${${addressOf(stack, 'aws_kms_key', 'SecretsKey')}.arn}`;
    const statements = JSON.parse(key.policy).Statement;
    expect(statements.map((s: any) => [s.Sid, s.Principal.AWS, s.Action])).toEqual([
      ['AccountAdministersTheKey', 'arn:aws:iam::123456789012:root', expect.not.arrayContaining(['kms:Decrypt'])],
      ['AccountWritesThroughSecretsManager', 'arn:aws:iam::123456789012:root', ['kms:GenerateDataKey', 'kms:Encrypt']],
      ['ReadersDecryptThroughSecretsManager', [nodeRole, caller], ['kms:Decrypt']],
    ]);
    expect(statements[2].Condition).toEqual({ StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-3.amazonaws.com' } });
    const secrets = Object.entries<any>(stack.resource.aws_secretsmanager_secret);
    expect(secrets).toHaveLength(3);
    for (const [, secret] of secrets) expect(secret.kms_key_id).toBe(keyArn);
    const secretPolicies = Object.values<any>(stack.resource.aws_secretsmanager_secret_policy);
    expect(secretPolicies.map((p) => p.secret_arn).sort()).toEqual(secrets.map(([name]) => `\${aws_secretsmanager_secret.${name}.arn}`).sort());
    for (const policy of secretPolicies) {
      expect(policy.block_public_policy).toBe(true);
      expect(JSON.parse(policy.policy).Statement).toEqual([{
        Sid: 'OnlyReadersGetTheValue', Effect: 'Deny', Principal: { AWS: '*' }, Action: ['secretsmanager:GetSecretValue'], Resource: ['*'],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [nodeRole, caller] } },
      }]);
    }
  });

  it('node role: seal key, auto-join, its three TLS secrets and their key, its launch hook, its audit log streams; nothing else (no EC2 read-only policy, no SSM by default)', () => {
    const stack = stackOf();
    const role = named(stack.resource.aws_iam_role, 'NodeRole');
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      { Sid: 'Ec2', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: ['sts:AssumeRole'] },
    ]);
    const statements = JSON.parse(named(stack.resource.aws_iam_role_policy, 'NodePolicy').policy).Statement;
    expect(statements).toEqual([
      { Sid: 'AutoUnseal', Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt'], Resource: [`\${${addressOf(stack, 'aws_kms_key', 'SealKey')}.arn}`] },
      { Sid: 'RaftAutoJoin', Effect: 'Allow', Action: ['ec2:DescribeInstances'], Resource: ['*'] },
      {
        Sid: 'TlsMaterial', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'],
        Resource: expect.arrayContaining(Object.keys(stack.resource.aws_secretsmanager_secret).map((name) => `\${aws_secretsmanager_secret.${name}.arn}`)),
      },
      {
        Sid: 'TlsMaterialKey', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [`\${${addressOf(stack, 'aws_kms_key', 'SecretsKey')}.arn}`],
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-3.amazonaws.com' } },
      },
      {
        Sid: 'LaunchHook', Effect: 'Allow', Action: ['autoscaling:CompleteLifecycleAction'],
        Resource: ['arn:aws:autoscaling:eu-west-3:123456789012:autoScalingGroup:*:autoScalingGroupName/vault'],
      },
      // Vault's AWS auth resolves the roles that log in (its own, the example cluster's rotation jobs') to their unique ids.
      {
        Sid: 'AwsAuthRoles', Effect: 'Allow', Action: ['iam:GetRole'],
        Resource: [`\${${addressOf(stack, 'aws_iam_role', 'NodeRole')}.arn}`, 'arn:aws:iam::123456789012:role/mycluster-0-approle-rotation'],
      },
      // Streams of the one audit log group, written: no read, no delete, no CreateLogGroup, no other group.
      {
        Sid: 'AuditLogShipping', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        Resource: ['arn:aws:logs:eu-west-3:123456789012:log-group:/gateway-pki/vault/audit:*'],
      },
    ]);
    expect(statements[2].Resource).toHaveLength(3);
    expect(stack.resource.aws_iam_role_policy_attachment).toBeUndefined();
    const withSsm = stackOf(withCluster((c) => ({ ...c, ssm: true })));
    expect(only(withSsm.resource.aws_iam_role_policy_attachment).policy_arn).toBe('arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore');
  });

  it('no wildcard action in any policy, "*" only for ec2:DescribeInstances (and the key itself in its key policy)', () => {
    for (const { where, document } of policies(stackOf())) {
      for (const statement of document.Statement) {
        for (const action of statement.Action) expect(action, where).not.toMatch(/^\*$|:\*$/);
        const resources = [statement.Resource ?? []].flat();
        if (resources.includes('*') && !where.startsWith('aws_kms_key')) expect(statement.Action, where).toEqual(['ec2:DescribeInstances']);
      }
    }
  });

  it('security groups: no ingress from 0.0.0.0/0; 8200 from the VPN, the VPC and the load balancer; 8201 between nodes only; egress HTTPS and node to node', () => {
    const stack = stackOf();
    const groups = Object.fromEntries(Object.entries<any>(stack.resource.aws_security_group).map(([name, sg]) => [`\${aws_security_group.${name}.id}`, sg.name]));
    const describe = (rule: any) => [groups[rule.security_group_id], rule.from_port, rule.cidr_ipv4 ?? groups[rule.referenced_security_group_id] ?? rule.referenced_security_group_id];
    const ingress = Object.values<any>(stack.resource.aws_vpc_security_group_ingress_rule);
    for (const rule of ingress) expect(rule.cidr_ipv4 ?? rule.referenced_security_group_id).not.toMatch(/\/0$/);
    expect(ingress.map(describe).sort()).toEqual([
      ['vault-lb', 8200, '10.0.0.0/16'],
      ['vault-lb', 8200, '10.8.0.0/16'],
      ['vault-node', 8200, '10.0.0.0/16'],
      ['vault-node', 8200, '10.8.0.0/16'],
      ['vault-node', 8200, 'vault-lb'],
      ['vault-node', 8200, 'vault-node'],
      ['vault-node', 8201, 'vault-node'],
    ].sort());
    expect(Object.values<any>(stack.resource.aws_vpc_security_group_egress_rule).map(describe).sort()).toEqual([
      ['vault-lb', 8200, 'vault-node'],
      ['vault-node', 443, '0.0.0.0/0'],
      ['vault-node', 8200, 'vault-node'],
      ['vault-node', 8201, 'vault-node'],
    ].sort());
    for (const sg of Object.values<any>(stack.resource.aws_security_group)) {
      expect(sg.ingress).toBeUndefined();
      expect(sg.egress).toBeUndefined();
    }
  });

  it('Auto Scaling group: 5 voters, all on demand by attributes, ELB checks, spread placement, the launch template by its latest version', () => {
    const stack = stackOf();
    const group = only(stack.resource.aws_autoscaling_group);
    const template = Object.keys(stack.resource.aws_launch_template)[0];
    expect([group.min_size, group.max_size, group.desired_capacity]).toEqual([5, 5, 5]);
    expect(group.health_check_type).toBe('ELB');
    expect(group.health_check_grace_period).toBe(300);
    expect(group.capacity_rebalance).toBe(false);
    expect(group.mixed_instances_policy.instances_distribution).toEqual({
      on_demand_allocation_strategy: 'lowest-price',
      on_demand_base_capacity: 5,
      on_demand_percentage_above_base_capacity: 100,
      spot_allocation_strategy: 'price-capacity-optimized',
    });
    // A version number that changes with each new template version, never $Latest or $Default.
    expect(group.mixed_instances_policy.launch_template.launch_template_specification).toEqual({
      launch_template_id: `\${aws_launch_template.${template}.id}`,
      version: `\${aws_launch_template.${template}.latest_version}`,
    });
    const requirements = group.mixed_instances_policy.launch_template.override[0].instance_requirements;
    expect(requirements.vcpu_count).toEqual({ min: 2, max: 4 });
    expect(requirements.memory_mib).toEqual({ min: 8192, max: 16384 });
    expect(requirements.burstable_performance).toBe('excluded');
    const placement = only(stack.resource.aws_placement_group);
    expect(placement).toMatchObject({ name: 'vault-nodes', strategy: 'spread', spread_level: 'rack' });
    expect(group.placement_group).toBe(`\${aws_placement_group.${Object.keys(stack.resource.aws_placement_group)[0]}.id}`);
    expect(group.tag).toContainEqual({ key: 'vault-cluster', value: 'vault', propagate_at_launch: true });
    expect(group.lifecycle.precondition[0].condition).toMatch(/length\(distinct\(\[for subnet in data\.aws_subnet\.\S+ : subnet\.availability_zone\]\)\) >= 3/);
    expect(group.depends_on).toEqual([`aws_iam_role_policy.${Object.keys(stack.resource.aws_iam_role_policy)[0]}`]);
  });

  it('instance refresh: rolling, one node at a time at 100 % min healthy, a checkpoint after each node longer than autopilot\'s dead-server threshold, auto rollback', () => {
    const group = only(stackOf().resource.aws_autoscaling_group);
    expect(group.instance_refresh).toEqual({
      strategy: 'Rolling',
      preferences: {
        min_healthy_percentage: 100,
        max_healthy_percentage: 120,
        instance_warmup: '300',
        skip_matching: true,
        auto_rollback: true,
        checkpoint_percentages: [20, 40, 60, 80, 100],
        // vault.setup.deadServerLastContactThreshold (10m) and a minute for autopilot to remove the voter.
        checkpoint_delay: '660',
      },
    });
    const seven = only(stackOf(withCluster((c) => ({ ...c, voters: 7 }))).resource.aws_autoscaling_group).instance_refresh.preferences;
    expect(seven.checkpoint_percentages).toEqual([14, 28, 42, 57, 71, 85, 100]);
    expect(seven.max_healthy_percentage).toBe(115);
    expect(refreshCheckpoints(3)).toEqual([33, 66, 100]);
    // Each checkpoint is reached by exactly one more replaced node (AWS pauses once the percentage is replaced).
    for (const voters of [3, 5, 7]) {
      refreshCheckpoints(voters).forEach((percentage, index) => {
        expect((100 * (index + 1)) / voters).toBeGreaterThanOrEqual(percentage);
        expect((100 * index) / voters).toBeLessThan(percentage);
      });
    }
    const longer = { ...example(), vault: { ...example().vault, setup: { deadServerLastContactThreshold: '30m' } } } as PlatformConfig;
    expect(only(stackOf(longer).resource.aws_autoscaling_group).instance_refresh.preferences.checkpoint_delay).toBe('1860');
  });

  it('launch lifecycle hook: set at creation, EC2_INSTANCE_LAUNCHING, ABANDON by default after 15 minutes', () => {
    const group = only(stackOf().resource.aws_autoscaling_group);
    expect(group.initial_lifecycle_hook).toEqual([{
      name: LAUNCH_HOOK_NAME,
      lifecycle_transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      default_result: 'ABANDON',
      heartbeat_timeout: 900,
    }]);
    expect(stackOf().resource.aws_autoscaling_lifecycle_hook).toBeUndefined();
  });

  it('spot: only with spotVoters and an on-demand base below the voters; price-capacity-optimized, with capacity rebalancing', () => {
    const group = only(stackOf(withCluster((c) => ({ ...c, instances: { onDemandBase: 4, spotVoters: true } }))).resource.aws_autoscaling_group);
    expect(group.mixed_instances_policy.instances_distribution).toEqual({
      on_demand_allocation_strategy: 'lowest-price',
      on_demand_base_capacity: 4,
      on_demand_percentage_above_base_capacity: 0,
      spot_allocation_strategy: 'price-capacity-optimized',
    });
    expect(group.capacity_rebalance).toBe(true);
  });

  it('image: pinned by id, or read from an SSM parameter at plan time; checked against the architecture before the template changes', () => {
    const stack = stackOf();
    const template = only(stack.resource.aws_launch_template);
    expect(template.image_id).toBe('ami-0123456789abcdef0');
    const ami = only(stack.data.aws_ami);
    expect(ami.filter).toEqual([{ name: 'image-id', values: ['ami-0123456789abcdef0'] }]);
    expect(ami.include_deprecated).toBe(true);
    expect(ami.most_recent).toBeUndefined();
    const amiName = Object.keys(stack.data.aws_ami)[0];
    expect(template.lifecycle.precondition.map((p: any) => p.condition)).toEqual([
      `\${data.aws_ami.${amiName}.architecture == "x86_64"}`,
      `\${data.aws_ami.${amiName}.root_device_type == "ebs" && data.aws_ami.${amiName}.virtualization_type == "hvm"}`,
    ]);
    expect(stack.data.aws_ssm_parameter).toBeUndefined();

    const fromParameter = stackOf(withCluster((c) => ({ ...c, ami: { ssmParameter: '/golden-images/vault/al2023-arm64', architecture: 'arm64' } })));
    const parameter = Object.keys(fromParameter.data.aws_ssm_parameter)[0];
    expect(only(fromParameter.data.aws_ssm_parameter).name).toBe('/golden-images/vault/al2023-arm64');
    // insecure_value: the image id is no secret, and a sensitive value would hide its change in the plan.
    expect(only(fromParameter.resource.aws_launch_template).image_id).toBe(`\${data.aws_ssm_parameter.${parameter}.insecure_value}`);
    expect(only(fromParameter.data.aws_ami).filter[0].values).toEqual([`\${data.aws_ssm_parameter.${parameter}.insecure_value}`]);
    expect(only(fromParameter.resource.aws_launch_template).lifecycle.precondition[0].condition).toContain('.architecture == "arm64"');
    expect(only(fromParameter.resource.aws_autoscaling_group).mixed_instances_policy.launch_template.override[0].instance_requirements.cpu_manufacturers)
      .toEqual(['amazon-web-services']);
  });

  it('load balancer: internal NLB (TCP passthrough) with its security group at creation, cross-zone, HTTPS health check accepting 200 only; Route53 alias', () => {
    const stack = stackOf();
    const lb = only(stack.resource.aws_lb);
    expect(lb).toMatchObject({ internal: true, load_balancer_type: 'network', enable_cross_zone_load_balancing: true });
    expect(lb.security_groups).toHaveLength(1);
    const targetGroup = only(stack.resource.aws_lb_target_group);
    expect(targetGroup).toMatchObject({ port: 8200, protocol: 'TCP', target_type: 'instance' });
    expect(targetGroup.health_check).toMatchObject({
      protocol: 'HTTPS', path: '/v1/sys/health?standbyok=true&perfstandbyok=true', matcher: '200', healthy_threshold: 3, unhealthy_threshold: 3,
    });
    expect([HEALTH_CHECK_PATH, HEALTHY_STATUS_CODE]).toEqual([targetGroup.health_check.path, 200]);
    expect(only(stack.resource.aws_lb_listener)).toMatchObject({ port: 8200, protocol: 'TCP' });
    const record = only(stack.resource.aws_route53_record);
    expect(record).toMatchObject({ name: 'vault.priv.example.com', type: 'A', zone_id: 'Z0123456789EXAMPLEPRV' });
    expect(record.alias.evaluate_target_health).toBe(true);
  });

  it('TLS material: three secrets written with write-only arguments from the files of pki.directory, never their content', () => {
    const text = stackFile(example());
    const stack = JSON.parse(text);
    const versions = Object.values<any>(stack.resource.aws_secretsmanager_secret_version);
    expect(versions.map((v) => v.secret_string_wo).sort()).toEqual([
      '${file("${var.config_dir}/../.tls/ca-chain.pem")}',
      '${file("${var.config_dir}/../.tls/vault-key.pem")}',
      '${file("${var.config_dir}/../.tls/vault.pem")}',
    ]);
    for (const version of versions) {
      expect(version.secret_string).toBeUndefined();
      expect(version.secret_string_wo_version).toBe(1);
    }
    expect(stack.variable.config_dir.default).toBe('../../../config');
    expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY|BEGIN CERTIFICATE/);
  });

  it('outputs: address, load balancer, key, group, role; nothing sensitive', () => {
    const outputs = stackOf().output;
    expect(Object.keys(outputs).sort()).toEqual([
      'audit_log_group_name', 'autoscaling_group_name', 'kms_key_arn', 'kms_replica_key_arn', 'load_balancer_dns_name', 'node_role_arn',
      'seal_key_alarm_topic_arn', 'vault_address',
    ]);
    expect(outputs.audit_log_group_name.value).toBe('/gateway-pki/vault/audit');
    expect(outputs.vault_address.value).toBe('https://vault.priv.example.com:8200');
  });

  it('the example passes every Terraform policy of npm run validate', () => {
    const findings = checkPolicies({ manifests: [], files: new Map(), terraform: [{ file: 'stacks/vault-aws/cdk.tf.json', stack: stackOf() }] });
    expect(findings).toEqual([]);
  });

  it('the policies catch what they guard: a hop limit of 2, an open ingress, a wildcard action (so a pass above means something)', () => {
    const stack = stackOf();
    only(stack.resource.aws_launch_template).metadata_options.http_put_response_hop_limit = 2;
    Object.values<any>(stack.resource.aws_vpc_security_group_ingress_rule)[0].cidr_ipv4 = '0.0.0.0/0';
    const policy = named(stack.resource.aws_iam_role_policy, 'NodePolicy');
    policy.policy = policy.policy.replace('"kms:Decrypt"', '"kms:*"');
    const rules = checkPolicies({ manifests: [], files: new Map(), terraform: [{ file: 'stacks/vault-aws/cdk.tf.json', stack }] }).map((f) => f.rule);
    expect(rules).toEqual(['TF-001', 'TF-007', 'TF-008']);
  });

  it('TF-013 and TF-014 fail on this stack as it was before issue #17 ($Latest, a matcher accepting 501 and 503) and pass on it now', () => {
    const input = (stack: any) => ({ manifests: [], files: new Map(), terraform: [{ file: 'stacks/vault-aws/cdk.tf.json', stack }] });
    const stack = stackOf();
    expect(checkPolicies(input(stack))).toEqual([]);
    const group = only(stack.resource.aws_autoscaling_group);
    group.mixed_instances_policy.launch_template.launch_template_specification.version = '$Latest';
    Object.assign(only(stack.resource.aws_lb_target_group).health_check, { path: '/v1/sys/health', matcher: '200,429,472,473,501,503' });
    const findings = checkPolicies(input(stack));
    expect(findings.map((f) => [f.rule, f.severity, f.path])).toEqual([
      ['TF-013', 'error', 'mixed_instances_policy.launch_template.launch_template_specification.version'],
      ['TF-014', 'error', 'health_check.matcher'],
    ]);
    // The bootstrap stack only warns: uninitialised nodes are accepted for the first apply, and validate says to turn it off.
    const bootstrap = checkPolicies(input(stackOf(withCluster((c) => ({ ...c, bootstrap: true })))));
    expect(bootstrap.map((f) => [f.rule, f.severity])).toEqual([['TF-014', 'warning']]);
  });

  it('TF-015 and TF-016 pass on the stack because of what it builds: without the deny, or a secret without its key, they fire', () => {
    const stack = stackOf();
    for (const key of [named(stack.resource.aws_kms_key, 'SealKey'), named(stack.resource.aws_kms_replica_key, 'SealKeyReplica')]) {
      const policy = JSON.parse(key.policy);
      key.policy = JSON.stringify({ ...policy, Statement: policy.Statement.filter((s: any) => s.Effect !== 'Deny') });
    }
    delete named(stack.resource.aws_secretsmanager_secret, 'TlsKey').kms_key_id;
    delete named(stack.resource.aws_kms_key, 'SecretsKey').policy;
    const findings = checkPolicies({ manifests: [], files: new Map(), terraform: [{ file: 'stacks/vault-aws/cdk.tf.json', stack }] });
    expect(findings.map((f) => [f.rule, f.object])).toEqual([
      ['TF-015', addressOf(stack, 'aws_secretsmanager_secret', 'TlsKey')],
      ['TF-016', addressOf(stack, 'aws_kms_key', 'SealKey')],
      ['TF-016', addressOf(stack, 'aws_kms_key', 'SecretsKey')],
      ['TF-016', addressOf(stack, 'aws_kms_replica_key', 'SealKeyReplica')],
    ]);
  });
});

describe('Vault node user data', () => {
  it('fits in EC2\'s 16 KB of user data and holds no secret', () => {
    const stack = stackOf();
    const userData = userDataOf(stack);
    // EC2's limit applies to the bytes it receives (gzip, which cloud-init recognises by its magic).
    expect([...userDataBytes(stack).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    // The same bytes on every machine: no timestamp (bytes 4-7), a fixed OS byte (9), and the
    // compressor pinned in package-lock.json (fflate): node:zlib's output varies with Node and the CPU.
    expect([...userDataBytes(stack).subarray(4, 10)]).toEqual([0, 0, 0, 0, 2, 3]);
    expect(userDataBytes(stack).equals(Buffer.from(fflateGzip(Buffer.from(userData), { level: 9, mtime: 0 })))).toBe(true);
    expect(userDataBytes(stack).length).toBeLessThan(16 * 1024);
    // Headroom: the script stays readable at a size gzip keeps far below the limit.
    expect(Buffer.byteLength(userData)).toBeLessThan(32 * 1024);
    expect(userData).not.toMatch(/PRIVATE KEY-----|VAULT_TOKEN=|hvs\./);
    expect(userData).not.toMatch(/^\s*set -[a-z]*x/m);
    expect(userData.startsWith('#cloud-config\n')).toBe(true);
  });

  it('is a valid cloud-config document (cloud-init schema --config-file)', () => {
    const cloudInit = findTool('cloud-init');
    expect(cloudInit, 'cloud-init is not installed (Debian package cloud-init; .ci/run installs it)').toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'cloud-init-'));
    for (const [name, config] of [['vault', example()], ['openbao', withCluster(openbao)]] as const) {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, userDataOf(stackOf(config)));
      const result = runTool(cloudInit!, ['schema', '--config-file', file]);
      expect(result.output, name).toContain('Valid');
      expect(result.status, result.output).toBe(0);
    }
    // The check is real: a value of the wrong type is refused.
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, userDataOf(stackOf()).replace(/^runcmd:[\s\S]*$/m, 'runcmd: 42\n'));
    expect(runTool(cloudInit!, ['schema', '--config-file', broken]).status).not.toBe(0);
  });

  it('the boot script is clean under shellcheck (POSIX sh), for both engines and both storages', () => {
    const shellcheck = findTool('shellcheck');
    expect(shellcheck, 'shellcheck is not installed (Debian package shellcheck; .ci/run installs it)').toBeDefined();
    for (const config of [example(), withCluster(openbao), withCluster((c) => ({ ...c, instances: { storage: 'instance-store' } }))]) {
      const script = writtenFile(userDataOf(stackOf(config)), BOOT_SCRIPT_PATH);
      expect(script.permissions).toBe('0700');
      const result = runTool(shellcheck!, ['--shell=sh', '--severity=style', '-'], script.content);
      expect(result.output).toBe('');
      expect(result.status).toBe(0);
    }
    // The check is real: an unquoted expansion is reported.
    expect(runTool(shellcheck!, ['--shell=sh', '-'], '#!/bin/sh\nrm $1\n').status).not.toBe(0);
  });

  it('the boot script verifies the package before installing it: HashiCorp\'s signed checksums, or OpenBao\'s pinned checksum', () => {
    const vault = writtenFile(userDataOf(stackOf()), BOOT_SCRIPT_PATH).content;
    expect(vault).toContain(`KEY_FINGERPRINT='${HASHICORP_RELEASE_KEY_FINGERPRINT}'`);
    expect(vault).toContain("PACKAGE_URL='https://releases.hashicorp.com/vault/1.21.1/vault-1.21.1-1.x86_64.rpm'");
    expect(vault.indexOf('sha256sum --check')).toBeLessThan(vault.indexOf('dnf install -y -q "$workdir/$PACKAGE_FILE"'));
    const bao = writtenFile(userDataOf(stackOf(withCluster(openbao))), BOOT_SCRIPT_PATH).content;
    expect(bao).toContain(`PACKAGE_SHA256='${'ab'.repeat(32)}'`);
    expect(bao).toContain("PACKAGE_URL='https://github.com/openbao/openbao/releases/download/v2.4.1/bao_2.4.1_linux_amd64.rpm'");
    expect(bao).toContain("BINARY='/usr/bin/bao'");
  });

  it('the server configuration parses with HashiCorp\'s HCL parser: TLS listener, Raft with auto-join over https, awskms seal, telemetry', async () => {
    const template = writtenFile(userDataOf(stackOf()), CONFIG_TEMPLATE_PATH);
    expect(template.permissions).toBe('0600');
    const config = await parseHcl('vault.hcl', template.content) as any;
    expect(config.ui).toBe(true);
    expect(config.disable_mlock).toBe(true);
    expect(config.api_addr).toBe('https://vault.priv.example.com:8200');
    expect(config.cluster_addr).toBe('https://@@PRIVATE_IP@@:8201');
    const listener = config.listener.tcp[0];
    expect(listener).toMatchObject({
      address: '0.0.0.0:8200',
      tls_min_version: 'tls12',
      tls_cert_file: '/etc/vault.d/tls/server.pem',
      tls_key_file: '/etc/vault.d/tls/server-key.pem',
      tls_client_ca_file: '/etc/vault.d/tls/ca-chain.pem',
    });
    expect(listener.tls_disable).toBeUndefined();
    // The load balancer passes TCP through (no TLS listener of its own): Vault's listener sets the TLS floor.
    // tls13 is refused by validation (test/config/vault-cluster.test.ts): the NLB's HTTPS health checks cannot speak TLS 1.3 only.
    expect(only(stackOf().resource.aws_lb_listener)).toMatchObject({ protocol: 'TCP' });
    expect(only(stackOf().resource.aws_lb_listener).ssl_policy).toBeUndefined();
    const raft = config.storage.raft[0];
    expect(raft.path).toBe('/opt/vault/data');
    expect(raft.node_id).toBe('@@INSTANCE_ID@@');
    expect(raft.retry_join[0]).toEqual({
      auto_join: 'provider=aws region=eu-west-3 tag_key=vault-cluster tag_value=vault addr_type=private_v4',
      auto_join_scheme: 'https',
      auto_join_port: 8200,
      leader_tls_servername: 'vault.priv.example.com',
      leader_ca_cert_file: '/etc/vault.d/tls/ca-chain.pem',
    });
    expect(config.seal.awskms[0]).toEqual({ region: 'eu-west-3', kms_key_id: 'alias/vault-unseal' });
    expect(config.telemetry[0]).toEqual({ prometheus_retention_time: '24h', disable_hostname: true });
    expect(config.audit).toBeUndefined(); // Vault's audit device is made by the vault-config stack
  });

  it('the systemd unit is hardened and core dumps are off', () => {
    const userData = userDataOf(stackOf());
    const unit = writtenFile(userData, '/etc/systemd/system/vault.service').content;
    for (const line of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes', 'PrivateDevices=yes', 'LimitCORE=0', 'CapabilityBoundingSet=',
      'User=vault', 'ReadWritePaths=/opt/vault/data /var/log/vault']) {
      expect(unit.split('\n')).toContain(line);
    }
    expect(writtenFile(userData, '/etc/systemd/coredump.conf.d/90-gateway-pki.conf').content).toContain('Storage=none');
    expect(writtenFile(userData, '/etc/sysctl.d/90-gateway-pki.conf').content).toContain('fs.suid_dumpable = 0');
  });
});

describe('audit trail', () => {
  it('log group: /gateway-pki/<name>/audit, encrypted with the audit key, kept 365 days by default or as configured, never destroyed', () => {
    const stack = stackOf();
    const group = only(stack.resource.aws_cloudwatch_log_group);
    const key = namedIn(stack, 'aws_kms_key', 'AuditLog');
    expect(group).toMatchObject({ name: '/gateway-pki/vault/audit', retention_in_days: 365, kms_key_id: `\${aws_kms_key.${key.name}.arn}` });
    expect(group.lifecycle.prevent_destroy).toBe(true);
    expect(key.resource).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } });
    expect(namedIn(stack, 'aws_kms_alias', 'AuditLog').resource.name).toBe('alias/vault-audit');
    const configured = stackOf(withCluster((c) => ({ ...c, audit: { logRetentionDays: 731, volumeGiB: 50 } })));
    expect(only(configured.resource.aws_cloudwatch_log_group).retention_in_days).toBe(731);
    expect(only(configured.resource.aws_launch_template).block_device_mappings[2].ebs.volume_size).toBe(50);
  });

  it('audit key policy: the account administers, CloudWatch Logs uses it for this group only, Auto Scaling for the volumes it launches', () => {
    const statements = JSON.parse(namedIn(stackOf(), 'aws_kms_key', 'AuditLog').resource.policy).Statement;
    expect(statements.map((s: any) => [s.Sid, s.Principal])).toEqual([
      ['AccountAdministersTheKey', { AWS: 'arn:aws:iam::123456789012:root' }],
      ['CloudWatchLogsEncryptsTheAuditLogGroup', { Service: 'logs.eu-west-3.amazonaws.com' }],
      ['AutoScalingEncryptsTheAuditVolumes', { AWS: 'arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling' }],
      ['AutoScalingGrantsEc2TheVolumeKey', { AWS: 'arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling' }],
    ]);
    expect(statements[0].Action).not.toContain('kms:Decrypt');
    expect(statements[1].Condition).toEqual({
      ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-3:123456789012:log-group:/gateway-pki/vault/audit' },
    });
    expect(statements[3]).toMatchObject({ Action: ['kms:CreateGrant'], Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } });
    // The nodes never use the audit key: nothing in their role names it.
    const stack = stackOf();
    expect(named(stack.resource.aws_iam_role_policy, 'NodePolicy').policy).not.toContain(namedIn(stack, 'aws_kms_key', 'AuditLog').name);
    // China: CloudWatch Logs' principal carries the partition's DNS suffix.
    const china = stackOf(withCluster((c) => ({ ...c, region: 'cn-north-1', disasterRecovery: { region: 'cn-northwest-1' } })));
    const chinaStatements = JSON.parse(namedIn(china, 'aws_kms_key', 'AuditLog').resource.policy).Statement;
    expect(chinaStatements[1].Principal).toEqual({ Service: 'logs.cn-north-1.amazonaws.com.cn' });
    expect(chinaStatements[0].Principal).toEqual({ AWS: 'arn:aws-cn:iam::123456789012:root' });
  });

  it('boot: the audit volume is mounted on the log directory before anything writes there, and excluded from the Raft disks', () => {
    const script = writtenFile(userDataOf(stackOf()), BOOT_SCRIPT_PATH).content;
    const steps = script.slice(script.lastIndexOf('\ndisable_swap_and_core_dumps\n')).trim().split('\n');
    expect(steps).toEqual([
      'disable_swap_and_core_dumps', 'install_package', 'prepare_audit_volume', 'prepare_data_volume', 'fetch_tls', 'write_server_config',
      'start_service', 'ship_syslog_audit', 'wait_until_ready', 'complete_launch_hook',
    ]);
    expect(script).toContain("AUDIT_DEVICE='/dev/sdg'");
    expect(script).toContain("AUDIT_XEN_DEVICE='/dev/xvdg'");
    expect(script).toContain('mount_volume "$AUDIT_DISK" "$LOG_DIR"');
    expect(script).toContain('[ "/dev/$name" != "$AUDIT_DISK" ] || continue');
    // Idempotent: a volume that holds a filesystem is never formatted again, and fstab gets one line per volume.
    const mount = /mount_volume\(\) \{\n([\s\S]*?)\n\}/.exec(script)![1]!;
    expect(mount.indexOf('if ! blkid "$1"')).toBeLessThan(mount.indexOf('mkfs.xfs'));
    expect(mount).toContain('grep -q "UUID=$uuid" /etc/fstab ||');
    expect(mount).toContain('mount "$2" 2>/dev/null || mountpoint -q "$2"');
  });

  it('boot: mount_volume run twice formats once, writes one fstab line and keeps the filesystem (run with stand-in disk tools)', () => {
    // GIVEN the script's own log, fail and mount_volume, with /etc/fstab moved into a scratch folder
    const script = writtenFile(userDataOf(stackOf()), BOOT_SCRIPT_PATH).content;
    const functionOf = (name: string) => new RegExp(`^${name}\\(\\) \\{\\n[\\s\\S]*?\\n\\}`, 'm').exec(script)![0];
    const dir = mkdtempSync(join(tmpdir(), 'mount-volume-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const stub = (name: string, body: string) => writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    // A disk holds a filesystem once mkfs.xfs ran on it; blkid reports it (and its UUID) only then.
    stub('mkfs.xfs', `echo "mkfs $*" >> "${dir}/calls"; touch "${dir}/formatted"`);
    stub('blkid', `[ -e "${dir}/formatted" ] || exit 2; if [ "$1" = -s ]; then echo 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0; fi`);
    stub('mount', `echo "mount $*" >> "${dir}/calls"`);
    stub('mountpoint', 'exit 0');
    const program = [
      'set -eu', functionOf('log'), functionOf('fail'), functionOf('mount_volume').replaceAll('/etc/fstab', `${dir}/fstab`),
      `touch "${dir}/fstab"`, `mount_volume /dev/nvme2n1 "${dir}/audit"`, `mount_volume /dev/nvme2n1 "${dir}/audit"`,
    ].join('\n');
    // WHEN
    const result = spawnSync('sh', ['-c', program], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    // THEN
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'calls'), 'utf8').split('\n').filter(Boolean)).toEqual([
      'mkfs -q /dev/nvme2n1', `mount ${dir}/audit`, `mount ${dir}/audit`,
    ]);
    expect(readFileSync(join(dir, 'fstab'), 'utf8')).toBe(
      `UUID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 ${dir}/audit xfs defaults,noatime,nodev,nosuid,noexec,nofail 0 2\n`);
  });

  it('boot: the CloudWatch agent is pinned and its package signature checked against Amazon\'s pinned key before install', () => {
    const script = writtenFile(userDataOf(stackOf()), BOOT_SCRIPT_PATH).content;
    expect(script).toContain(`AGENT_KEY_FINGERPRINT='${CLOUDWATCH_AGENT_KEY_FINGERPRINT}'`);
    expect(script).toContain("AGENT_URL='https://amazoncloudwatch-agent.s3.amazonaws.com/amazon_linux/amd64/1.300068.0b1491/amazon-cloudwatch-agent.rpm'");
    const ship = /ship_syslog_audit\(\) \{\n([\s\S]*?)\n\}/.exec(script)![1]!;
    expect(ship.indexOf('verify_signature')).toBeGreaterThan(-1);
    expect(ship.indexOf('verify_signature')).toBeLessThan(ship.indexOf('dnf install'));
    const arm = writtenFile(userDataOf(stackOf(withCluster((c) => ({ ...c, ami: { architecture: 'arm64' }, audit: { cloudWatchAgentVersion: '1.300067.0b1404' } })))), BOOT_SCRIPT_PATH).content;
    expect(arm).toContain("AGENT_URL='https://amazoncloudwatch-agent.s3.amazonaws.com/amazon_linux/arm64/1.300067.0b1404/amazon-cloudwatch-agent.rpm'");
  });

  it('node: rsyslog carries only the syslog device to its file, the agent ships that file to the group as cwagent, journald drops nothing', () => {
    const userData = userDataOf(stackOf());
    const rsyslog = writtenFile(userData, '/etc/rsyslog.conf').content;
    expect(rsyslog).toContain('Ratelimit.Interval="0"');
    expect(rsyslog).toContain('if $programname == "vault-audit" then {');
    expect(rsyslog).toContain('file="/var/log/vault-syslog/audit.log" fileOwner="root" fileGroup="cwagent" fileCreateMode="0640" template="auditEntry"');
    expect(rsyslog).toContain('template(name="auditEntry" type="string" string="%msg%\\n")');
    expect(rsyslog.trim().endsWith('stop')).toBe(true);
    const agent = JSON.parse(writtenFile(userData, '/opt/aws/amazon-cloudwatch-agent/etc/gateway-pki.json').content);
    expect(agent.agent).toEqual({ region: 'eu-west-3', run_as_user: 'cwagent', omit_hostname: true });
    expect(agent.logs.logs_collected.files.collect_list).toEqual([{
      file_path: '/var/log/vault-syslog/audit.log', log_group_name: '/gateway-pki/vault/audit', log_stream_name: '{instance_id}', timezone: 'UTC',
    }]);
    expect(writtenFile(userData, '/etc/systemd/system/vault.service').content.split('\n')).toContain('LogRateLimitIntervalSec=0');
    const logrotate = writtenFile(userData, '/etc/logrotate.d/vault').content;
    expect(logrotate).toContain('/var/log/vault/*.log {');
    expect(logrotate).toContain('/var/log/vault-syslog/audit.log {\n  daily\n  rotate 3\n  maxsize 1G');
  });
});

/** An OpenBao cluster with its pinned checksum. */
const openbao = (c: VaultClusterConfig): VaultClusterConfig => ({ ...c, engine: 'openbao', version: '2.4.1', packageSha256: 'ab'.repeat(32) });

describe('VaultAwsStack variants', () => {
  it('OpenBao: its paths, user, auto-join tag and CLI environment', async () => {
    const stack = stackOf(withCluster(openbao));
    const userData = userDataOf(stack);
    const config = await parseHcl('openbao.hcl', writtenFile(userData, CONFIG_TEMPLATE_PATH).content) as any;
    expect(config.storage.raft[0].path).toBe('/opt/openbao/data');
    // OpenBao refuses API-made audit devices: this one is declared, writing where logrotate and the unit expect it.
    expect(config.audit.file.file[0]).toEqual({
      description: 'Every request and response, HMAC-ed, on each node',
      options: [{ file_path: '/var/log/openbao/audit.log' }],
    });
    // And the second device, syslog, tagged for rsyslog to pick out and ship to CloudWatch Logs.
    expect(config.audit.syslog.syslog[0].options).toEqual([{ tag: 'openbao-audit', facility: 'AUTH' }]);
    expect(writtenFile(userData, '/etc/rsyslog.conf').content).toContain('if $programname == "openbao-audit" then {');
    expect(writtenFile(userData, BOOT_SCRIPT_PATH).content).toContain("SYSLOG_DIR='/var/log/openbao-syslog'");
    expect(config.storage.raft[0].retry_join[0].auto_join).toContain('tag_key=openbao-cluster');
    expect(writtenFile(userData, '/etc/systemd/system/openbao.service').content).toContain('ExecStart=/usr/bin/bao server -config=/etc/openbao/openbao.hcl');
    expect(writtenFile(userData, '/etc/profile.d/openbao.sh').content).toContain('export BAO_CACERT=/etc/openbao/tls/ca-chain.pem');
    expect(only(stack.resource.aws_autoscaling_group).tag).toContainEqual({ key: 'openbao-cluster', value: 'vault', propagate_at_launch: true });
  });

  it('dev mode: one on-demand node, no auto-join, no zone precondition beyond one', async () => {
    const stack = stackOf(withCluster((c) => ({ ...c, mode: 'dev', voters: undefined })));
    const group = only(stack.resource.aws_autoscaling_group);
    expect([group.min_size, group.max_size, group.mixed_instances_policy.instances_distribution.on_demand_base_capacity]).toEqual([1, 1, 1]);
    expect(group.instance_refresh.preferences.max_healthy_percentage).toBe(200);
    // One node: nothing to pause between, but a failed replacement still rolls back.
    expect(group.instance_refresh.preferences.checkpoint_percentages).toBeUndefined();
    expect(group.instance_refresh.preferences.auto_rollback).toBe(true);
    const config = await parseHcl('vault.hcl', writtenFile(userDataOf(stack), CONFIG_TEMPLATE_PATH).content) as any;
    expect(config.storage.raft[0].retry_join).toBeUndefined();
  });

  it('existing key, subnet and VPC ids, security groups, instance store: no key created, no lookups, RAID0 disks', () => {
    const stack = stackOf(withCluster((c) => ({
      ...c,
      unsealKey: { existingKeyArn: 'arn:aws:kms:eu-west-3:123456789012:key/0b9f3c2e-4d1a-4e8b-9c7d-2a6f5e8b1c34' },
      disasterRecovery: undefined,
      network: {
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1', 'subnet-0123456789abcdef2'],
        vpcCidr: '10.0.0.0/16',
        clientSecurityGroupIds: ['sg-0123456789abcdef0'],
      },
      instances: { storage: 'instance-store', size: 'large', onDemandBase: 5 },
    })));
    // No seal key of ours, no replica, no alarm: only the audit trail's key and the TLS secrets'.
    const keys = Object.keys(stack.resource.aws_kms_key);
    expect(keys.filter((name) => !name.includes('AuditLog'))).toEqual([expect.stringMatching(/^VaultCluster_SecretsKey_/)]);
    expect(keys.some((name) => name.includes('AuditLog'))).toBe(true);
    expect(stack.resource.aws_kms_replica_key).toBeUndefined();
    expect(stack.resource.aws_cloudwatch_event_rule).toBeUndefined();
    expect(stack.data.aws_vpc).toBeUndefined();
    expect(stack.data.aws_subnets).toBeUndefined();
    expect(JSON.parse(named(stack.resource.aws_iam_role_policy, 'NodePolicy').policy).Statement[0].Resource)
      .toEqual(['arn:aws:kms:eu-west-3:123456789012:key/0b9f3c2e-4d1a-4e8b-9c7d-2a6f5e8b1c34']);
    const group = only(stack.resource.aws_autoscaling_group);
    expect(group.vpc_zone_identifier).toEqual(['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1', 'subnet-0123456789abcdef2']);
    expect(group.mixed_instances_policy.instances_distribution.on_demand_base_capacity).toBe(5);
    expect(group.mixed_instances_policy.launch_template.override[0].instance_requirements).toMatchObject({
      local_storage: 'required', local_storage_types: ['ssd'], vcpu_count: { min: 4, max: 8 }, memory_mib: { min: 32768, max: 65536 },
    });
    // Root and audit volumes; the data is on the instance store.
    expect(only(stack.resource.aws_launch_template).block_device_mappings.map((m: any) => m.device_name)).toEqual(['/dev/xvda', '/dev/sdg']);
    const sgRule = Object.values<any>(stack.resource.aws_vpc_security_group_ingress_rule).find((r) => r.referenced_security_group_id === 'sg-0123456789abcdef0');
    expect(sgRule).toMatchObject({ from_port: 8200, to_port: 8200 });
    const userData = userDataOf(stack);
    expect(userData).toContain("STORAGE='instance-store'");
    expect(parseYaml(userData).write_files.find((f: any) => f.path.endsWith('server.hcl')).content)
      .toContain('kms_key_id = "arn:aws:kms:eu-west-3:123456789012:key/0b9f3c2e-4d1a-4e8b-9c7d-2a6f5e8b1c34"');
  });
});

describe('terraform validate (vault-aws)', () => {
  it('validates with the real hashicorp/aws provider, offline, for the example and its variants; and reports a wrong attribute', () => {
    const terraform = findTerraform();
    const mirror = findProviderMirror();
    expect(terraform, 'terraform is not installed: this test needs it (no network to download it)').toBeDefined();
    expect(mirror, 'no filesystem mirror of hashicorp/aws found (set GATEWAY_PKI_TF_MIRROR): without it nor network, terraform validate cannot run').toBeDefined();
    const variants: Record<string, PlatformConfig> = {
      'vault-aws': example(),
      'openbao-dev': withCluster((c) => ({ ...openbao(c), mode: 'dev', voters: undefined,
        unsealKey: { existingKeyArn: 'arn:aws:kms:eu-west-3:123456789012:key/0b9f3c2e-4d1a-4e8b-9c7d-2a6f5e8b1c34' }, disasterRecovery: undefined })),
      'instance-store': withCluster((c) => ({ ...c, ssm: true, instances: { storage: 'instance-store' }, network: { ...c.network, subnetTags: undefined, subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1', 'subnet-0123456789abcdef2'] } })),
      'bootstrap-spot-ssm': withCluster((c) => ({
        ...c, bootstrap: true, voters: 3, instances: { onDemandBase: 2, spotVoters: true }, ami: { ssmParameter: '/golden-images/vault/al2023-arm64', architecture: 'arm64' },
      })),
    };
    const files = Object.entries(variants).map(([name, config]) => ({ path: `stacks/${name}/cdk.tf.json`, content: stackFile(config) }));
    const outdir = writeFiles(files);
    const results = terraformValidate(terraform!, mirror!, outdir);
    expect(results).toEqual({ 'bootstrap-spot-ssm': [], 'instance-store': [], 'openbao-dev': [], 'vault-aws': [] });

    const file = join(outdir, 'stacks', 'vault-aws', 'cdk.tf.json');
    const broken = JSON.parse(readFileSync(file, 'utf8'));
    only(broken.resource.aws_autoscaling_group).instance_refresh.preferences.min_healthy = 100;
    writeFileSync(file, JSON.stringify(broken));
    expect(terraformValidate(terraform!, mirror!, outdir, ['vault-aws'])['vault-aws']!.join('\n')).toMatch(/Extraneous JSON object property.*min_healthy/s);
  }, 180_000);
});

describe('TLS renewal', () => {
  it('a new tls.revision changes the launch template (starting an instance refresh) and the secret versions', () => {
    const before = stackOf();
    const after = stackOf(withCluster((c) => ({ ...c, tls: { revision: 2 } })));
    expect(only(after.resource.aws_launch_template).user_data).not.toBe(only(before.resource.aws_launch_template).user_data);
    expect(userDataOf(after)).toContain("TLS_REVISION='2'");
    for (const version of Object.values<any>(after.resource.aws_secretsmanager_secret_version)) expect(version.secret_string_wo_version).toBe(2);
    expect(only(after.resource.aws_autoscaling_group).instance_refresh.strategy).toBe('Rolling');
  });
});

describe('node placeholders', () => {
  it('the boot script replaces exactly the placeholders the server configuration carries', () => {
    const userData = userDataOf(stackOf());
    const template = writtenFile(userData, CONFIG_TEMPLATE_PATH).content;
    const script = writtenFile(userData, BOOT_SCRIPT_PATH).content;
    const placeholders = [...new Set(template.match(/@@[A-Z_]+@@/g))].sort();
    expect(placeholders).toEqual(['@@INSTANCE_ID@@', '@@PRIVATE_IP@@']);
    for (const placeholder of placeholders) expect(script).toMatch(new RegExp(`^[A-Z_]+_PLACEHOLDER='${placeholder}'$`, 'm'));
    expect(script).toContain('sed -e "s/$INSTANCE_ID_PLACEHOLDER/$instance_id/g" -e "s/$PRIVATE_IP_PLACEHOLDER/$private_ip/g"');
  });
});

/**
 * Runs the readiness gate and the hook completion of the boot script (its steps before them
 * replaced by nothing) with `curl`, `aws`, `date` and `sleep` stubbed: `health` is the status code
 * the local server answers at each check, `leader` what `sys/leader` returns.
 */
function runGate(
  config: PlatformConfig, health: readonly string[], leader: object, autopilot: readonly object[] = [HEALTHY_VOTER],
): { status: number | null; log: string; calls: string[] } {
  const script = writtenFile(userDataOf(stackOf(config)), BOOT_SCRIPT_PATH).content;
  const dir = mkdtempSync(join(tmpdir(), 'gate-'));
  const gate = script.replace(/^disable_swap_and_core_dumps\n[\s\S]*?\nwait_until_ready\n/m, 'wait_until_ready\n')
    .replace("BINARY='/usr/bin/vault'", `BINARY='${dir}/vault'`);
  // The clock starts before the first step, so the time to boot counts against the hook's heartbeat.
  expect(gate).toMatch(/^started=\$\(date \+%s\)\nwait_until_ready\ncomplete_launch_hook\n$/m);
  expect(gate).not.toBe(script);
  writeFileSync(join(dir, 'health'), `${health.join('\n')}\n`);
  writeFileSync(join(dir, 'leader.json'), JSON.stringify(leader));
  autopilot.forEach((state, i) => writeFileSync(join(dir, `autopilot.${i}`), JSON.stringify({ data: { servers: state } })));
  writeFileSync(join(dir, 'autopilot.count'), String(autopilot.length));
  const stub = (name: string, body: string) => writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  // Each call is logged; health answers come one per call, the last one repeating.
  stub('curl', `printf 'curl %s\\n' "$*" >> "${dir}/calls"
case "$*" in
  *169.254.169.254*token*) printf token ;;
  *169.254.169.254*instance-id*) printf i-0123456789abcdef0 ;;
  *"-w %{http_code}"*sys/health*) code=$(head -n 1 "${dir}/health"); [ "$(wc -l < "${dir}/health")" -gt 1 ] && sed -i 1d "${dir}/health"; printf '%s' "$code" ;;
  *sys/health*) printf '{"initialized":true,"sealed":false}' ;;
  *sys/leader*) cat "${dir}/leader.json" ;;
  *"-H @-"*autopilot/state*)
    [ "$(cat)" = "X-Vault-Token: hvs.gate-token" ] || exit 22
    n=$(cat "${dir}/autopilot.n" 2>/dev/null || echo 0); last=$(($(cat "${dir}/autopilot.count") - 1))
    [ "$n" -lt "$last" ] && echo $((n + 1)) > "${dir}/autopilot.n"; [ "$n" -gt "$last" ] && n=$last
    cat "${dir}/autopilot.$n" ;;
  *) exit 7 ;;
esac`);
  stub('vault', `printf 'vault %s %s %s %s\\n' "$VAULT_ADDR" "$VAULT_TLS_SERVER_NAME" "$VAULT_CACERT" "$*" >> "${dir}/calls"
[ -f "${dir}/refuse-login" ] && exit 2
echo hvs.gate-token`);
  stub('aws', `printf 'aws %s\\n' "$*" >> "${dir}/calls"`);
  stub('sleep', 'exit 0');
  // A clock that advances a minute at each reading of the epoch (once a check), so that giving up takes few checks.
  stub('date', `case "$*" in
  *%s*) n=$(cat "${dir}/clock" 2>/dev/null || echo 0); echo $((n + 60)) > "${dir}/clock"; echo $((1000 + n)) ;;
  *) echo 2026-01-01T00:00:00Z ;;
esac`);
  const result = spawnSync('sh', ['-c', gate], { encoding: 'utf8', env: { PATH: `${dir}:${process.env.PATH}` }, timeout: 60_000 });
  const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  return { status: result.status, log: `${result.stdout}${result.stderr}`, calls };
}

/** Autopilot's servers, by node id: this node a healthy voter. */
const HEALTHY_VOTER = { 'i-0123456789abcdef0': { status: 'voter', healthy: true }, 'i-0fedcba9876543210': { status: 'leader', healthy: true } };

const FOLLOWER = { ha_enabled: true, is_self: false, leader_address: 'https://vault.priv.example.com:8200', raft_committed_index: 120, raft_applied_index: 118 };

describe('the launch gate of the boot script', () => {
  it('enters service only after three checks in a row of "unsealed, following a leader that it has caught up with", then completes the hook', () => {
    const { status, log, calls } = runGate(example(), ['000', '503', '200', '501', '200', '200', '200'], FOLLOWER);
    expect(status, log).toBe(0);
    expect(log).toContain('health 503');
    expect(log).toContain('ready: unsealed and following the leader');
    const health = calls.filter((c) => c.includes('sys/health'));
    expect(health).toHaveLength(7); // the 200 before the 501 did not count: three in a row
    const complete = calls.filter((c) => c.startsWith('aws '));
    expect(complete).toEqual([
      'aws --region eu-west-3 autoscaling complete-lifecycle-action --auto-scaling-group-name vault --lifecycle-hook-name joined-and-unsealed '
        + '--instance-id i-0123456789abcdef0 --lifecycle-action-result CONTINUE',
    ]);
    expect(calls.indexOf(complete[0]!)).toBe(calls.length - 1);
  });

  it('then waits until autopilot counts the node a healthy voter, asked with a token of the node\'s own AWS login', () => {
    const nonVoter = { ...HEALTHY_VOTER, 'i-0123456789abcdef0': { status: 'non-voter', healthy: true } };
    const unhealthy = { ...HEALTHY_VOTER, 'i-0123456789abcdef0': { status: 'voter', healthy: false } };
    const { status, log, calls } = runGate(example(), ['200'], FOLLOWER, [{}, nonVoter, unhealthy, HEALTHY_VOTER]);
    expect(status, log).toBe(0);
    expect(log).toContain('autopilot counts this node a healthy voter');
    const logins = calls.filter((c) => c.startsWith('vault '));
    expect(logins).toHaveLength(4);
    expect(logins[0]).toBe('vault https://127.0.0.1:8200 vault.priv.example.com /etc/vault.d/tls/ca-chain.pem login -no-store -token-only '
      + '-method=aws -path=aws role=vault-node-gate header_value=vault.priv.example.com region=eu-west-3');
    const states = calls.filter((c) => c.includes('autopilot/state'));
    expect(states).toHaveLength(4);
    // The token went on curl's standard input: no call carries it.
    expect(calls.join('\n')).not.toContain('hvs.gate-token');
    expect(calls.indexOf(calls.find((c) => c.startsWith('aws '))!)).toBe(calls.length - 1);
  });

  it('never lets in a node autopilot does not count a healthy voter, nor one whose AWS login is refused', () => {
    const stuck = runGate(example(), ['200'], FOLLOWER, [{ ...HEALTHY_VOTER, 'i-0123456789abcdef0': { status: 'non-voter', healthy: true } }]);
    expect(stuck.status).toBe(1);
    expect(stuck.log).toContain('FAILED: autopilot does not count node i-0123456789abcdef0 a healthy voter after 780 s (or the aws login as vault-node-gate failed)');
    expect(stuck.calls.filter((c) => c.startsWith('aws '))).toEqual([]);
    const absent = runGate(example(), ['200'], FOLLOWER, [{ 'i-0fedcba9876543210': { status: 'leader', healthy: true } }]);
    expect(absent.status).toBe(1);
  });

  it('bootstrap: a node of an initialised cluster is not asked about autopilot (its AWS login comes with vault-config)', () => {
    const result = runGate(withCluster((c) => ({ ...c, bootstrap: true })), ['200'], FOLLOWER, [{}]);
    expect(result.status, result.log).toBe(0);
    expect(result.log).toContain('bootstrap on: not asking autopilot');
    expect(result.calls.filter((c) => c.startsWith('vault '))).toEqual([]);
  });

  it('verifies the local server\'s certificate by its name against the CA chain, never skipping verification', () => {
    const { calls } = runGate(example(), ['200'], FOLLOWER);
    for (const call of calls.filter((c) => c.startsWith('curl ') && c.includes('8200'))) {
      expect(call).toContain('--cacert /etc/vault.d/tls/ca-chain.pem --resolve vault.priv.example.com:8200:127.0.0.1 ');
      expect(call).toMatch(/ https:\/\/vault\.priv\.example\.com:8200\/v1\/\S+$/);
      expect(call).not.toMatch(/\s(-k|--insecure)\b/);
    }
    // The CLI's login: the local listener, verified by the certificate's name against the chain.
    expect(calls.filter((c) => c.startsWith('vault ')).every((c) => c.startsWith('vault https://127.0.0.1:8200 vault.priv.example.com /etc/vault.d/tls/ca-chain.pem ')))
      .toBe(true);
    const script = writtenFile(userDataOf(stackOf()), BOOT_SCRIPT_PATH).content;
    expect(script).not.toMatch(/\s(-k|--insecure|--no-verify-ssl|-tls-skip-verify)\b|SKIP_VERIFY/);
  });

  it('never lets in a node that does not follow a leader, lags behind it, or stays uninitialised: it gives up before the heartbeat and the hook abandons it', () => {
    for (const [health, leader] of [
      [['200'], { ...FOLLOWER, leader_address: '' }],
      [['200'], { ...FOLLOWER, raft_applied_index: 20 }],
      [['501'], FOLLOWER],
    ] as const) {
      const { status, log, calls } = runGate(example(), health, leader);
      expect(status, log).toBe(1);
      expect(log).toContain('FAILED: not ready after 780 s');
      expect(calls.filter((c) => c.startsWith('aws '))).toEqual([]);
    }
    expect(runGate(example(), ['501'], FOLLOWER).log).toContain('501: set vaultCluster.bootstrap on the first apply, else retry_join failed');
  });

  it('bootstrap: an uninitialised node enters service at once; a sealed one still waits', () => {
    const bootstrap = withCluster((c) => ({ ...c, bootstrap: true }));
    const uninitialised = runGate(bootstrap, ['000', '501'], FOLLOWER);
    expect(uninitialised.status, uninitialised.log).toBe(0);
    expect(uninitialised.log).toContain('uninitialised, bootstrap on: entering service to await operator init');
    expect(uninitialised.calls.filter((c) => c.startsWith('aws '))).toHaveLength(1);
    const sealed = runGate(bootstrap, ['503'], FOLLOWER);
    expect(sealed.status).toBe(1);
    expect(sealed.calls.filter((c) => c.startsWith('aws '))).toEqual([]);
  });

  it('bootstrap: the health check also accepts uninitialised nodes through the path, the matcher stays 200; the flag is in the user data', () => {
    const stack = stackOf(withCluster((c) => ({ ...c, bootstrap: true })));
    expect(only(stack.resource.aws_lb_target_group).health_check).toMatchObject({
      path: '/v1/sys/health?standbyok=true&perfstandbyok=true&uninitcode=200', matcher: '200',
    });
    expect(userDataOf(stack)).toContain("BOOTSTRAP='true'");
    expect(userDataOf(stackOf())).toContain("BOOTSTRAP='false'");
    // Turning bootstrap off makes a new launch template version: the nodes are replaced through the strict gate.
    expect(only(stack.resource.aws_launch_template).user_data).not.toBe(only(stackOf().resource.aws_launch_template).user_data);
  });
});
