import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TerraformStack, Testing } from 'cdktf';
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { resourcePolicyDocument } from '../../lib/terraform/iam.js';
import { synthesizeTerraform } from '../../lib/terraform/synth.js';
import { VaultBackupStorage } from '../../lib/terraform/vault-backup-storage.js';
import { checkPolicies } from '../../lib/validate/policies.js';
import { VAULT_BACKUP_STACK, vaultBackupRoleArn } from '../../lib/util/names.js';
import { EXAMPLE_CONFIG } from '../support/cli.js';
import { exampleManifests } from '../support/example-config.js';
import { podIdentityWithProvider } from '../support/example-config.js';
import { findProviderMirror, findTerraform, terraformValidate, writeFiles } from '../support/terraform.js';

const example = (): PlatformConfig => parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG);
const STACK_PATH = `stacks/${VAULT_BACKUP_STACK}/cdk.tf.json`;
const BUCKET = '123456789012-eu-west-3-vault-snapshots';
const OIDC = 'oidc.eks.eu-west-3.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF';

function stackText(config: PlatformConfig): string {
  const file = synthesizeTerraform(config).find((f) => f.path === STACK_PATH);
  if (!file) throw new Error(`stack ${VAULT_BACKUP_STACK} not synthesized`);
  return file.content;
}
const stackOf = (config: PlatformConfig = example()): any => JSON.parse(stackText(config));

/** The name of the resource of `type` whose construct id, under VaultBackup, is `id`. */
const nameOf = (stack: any, type: string, id: string): string => {
  const names = Object.keys(stack.resource[type] ?? {}).filter((name) => new RegExp(`^VaultBackup_${id}_[0-9A-F]{8}$`).test(name));
  expect(names, `${type} ${id}`).toHaveLength(1);
  return names[0]!;
};
/** The resource of `type` whose construct id is `id`. */
const named = (stack: any, type: string, id: string): any => stack.resource[type][nameOf(stack, type, id)];
/** The Terraform reference to that resource's `attribute`. */
const ref = (stack: any, type: string, id: string, attribute: string) => `\${${type}.${nameOf(stack, type, id)}.${attribute}}`;

describe('VaultBackupStack', () => {
  test('default configuration (text snapshot of the stack JSON)', () => {
    expect(stackText(example())).toMatchSnapshot();
  });

  test('a stack of its own, in the backup cluster\'s region, against the configured account only', () => {
    const stack = stackOf();
    const tags = [{ tags: { 'managed-by': 'gateway-pki', 'gateway-pki/component': 'vault-backup' } }];
    expect(stack.provider.aws).toEqual([
      { region: 'eu-west-3', allowed_account_ids: ['123456789012'], default_tags: tags },
      { alias: 'dr', region: 'eu-central-1', allowed_account_ids: ['123456789012'], default_tags: tags },
    ]);
    // Outside cdktf.out/, which synth rewrites: terraform-state/ beside it (the default backend).
    expect(stack.terraform.backend).toEqual({ local: { path: '../../../terraform-state/vault-backup-aws.tfstate' } });
    expect(Object.keys(stack.output).sort()).toEqual([
      'vault_backup_role_arn', 'vault_snapshot_access_log_bucket', 'vault_snapshot_bucket', 'vault_snapshot_key_arn',
      'vault_snapshot_replica_bucket', 'vault_snapshot_replica_key_arn',
    ]);
    for (const output of Object.values<any>(stack.output)) expect(output.description).toMatch(/\S/);
  });

  test('a KMS key of its own: rotated, 30-day deletion window, named by an alias, kept on destroy', () => {
    const stack = stackOf();
    expect(named(stack, 'aws_kms_key', 'Key')).toMatchObject({
      enable_key_rotation: true, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true },
    });
    expect(named(stack, 'aws_kms_alias', 'KeyAlias')).toMatchObject({ name: `alias/${BUCKET}`, target_key_id: ref(stack, 'aws_kms_key', 'Key', 'key_id') });
  });

  test('the bucket: SSE-KMS with that key and a bucket key, versioning, every public access block, no ACLs, kept on destroy', () => {
    const stack = stackOf();
    const bucket = ref(stack, 'aws_s3_bucket', 'Bucket', 'id');
    expect(named(stack, 'aws_s3_bucket', 'Bucket')).toMatchObject({ bucket: BUCKET, lifecycle: { prevent_destroy: true } });
    expect(named(stack, 'aws_s3_bucket', 'Bucket').force_destroy).toBeUndefined();
    expect(named(stack, 'aws_s3_bucket_server_side_encryption_configuration', 'Encryption')).toMatchObject({
      bucket,
      rule: [{
        apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: ref(stack, 'aws_kms_key', 'Key', 'arn') },
        bucket_key_enabled: true,
      }],
    });
    expect(named(stack, 'aws_s3_bucket_versioning', 'Versioning')).toMatchObject({ bucket, versioning_configuration: { status: 'Enabled' } });
    expect(named(stack, 'aws_s3_bucket_public_access_block', 'PublicAccessBlock')).toMatchObject({
      bucket, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true,
    });
    expect(named(stack, 'aws_s3_bucket_ownership_controls', 'Ownership')).toMatchObject({ bucket, rule: { object_ownership: 'BucketOwnerEnforced' } });
  });

  test('the bucket policy refuses plain HTTP and TLS below 1.2, to everyone, on the bucket and its objects', () => {
    const stack = stackOf();
    const arn = ref(stack, 'aws_s3_bucket', 'Bucket', 'arn');
    const policy = JSON.parse(named(stack, 'aws_s3_bucket_policy', 'Policy').policy);
    expect(policy.Statement).toEqual([
      {
        Sid: 'DenyPlainHttp', Effect: 'Deny', Principal: '*', Action: ['s3:*'], Resource: [arn, `${arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'DenyTlsBelow12', Effect: 'Deny', Principal: '*', Action: ['s3:*'], Resource: [arn, `${arn}/*`],
        Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
      },
    ]);
  });

  test('lifecycle: Glacier after 30 days, deleted after 120, noncurrent versions too, after versioning is on', () => {
    const stack = stackOf();
    const lifecycle = named(stack, 'aws_s3_bucket_lifecycle_configuration', 'Lifecycle');
    expect(lifecycle.depends_on).toEqual([`aws_s3_bucket_versioning.${nameOf(stack, 'aws_s3_bucket_versioning', 'Versioning')}`]);
    expect(lifecycle.rule).toEqual([
      {
        id: 'snapshots',
        status: 'Enabled',
        filter: [{ prefix: 'raft/' }],
        transition: [{ days: 30, storage_class: 'GLACIER' }],
        expiration: [{ days: 120 }],
        noncurrent_version_transition: [{ noncurrent_days: 30, storage_class: 'GLACIER' }],
        noncurrent_version_expiration: [{ noncurrent_days: 120 }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }],
      },
      { id: 'expired-delete-markers', status: 'Enabled', filter: [{ prefix: 'raft/' }], expiration: [{ expired_object_delete_marker: true }] },
    ]);
    const custom = stackOf({ ...example(), backup: { ...example().backup!, glacierAfterDays: 7, expireAfterDays: 365 } });
    const rule = named(custom, 'aws_s3_bucket_lifecycle_configuration', 'Lifecycle').rule[0];
    expect([rule.transition[0].days, rule.expiration[0].days, rule.noncurrent_version_transition[0].noncurrent_days, rule.noncurrent_version_expiration[0].noncurrent_days])
      .toEqual([7, 365, 7, 365]);
  });

  test('the role is the one the service account names, trusted by the backup service account only (IRSA)', () => {
    const config = example();
    const role = named(stackOf(config), 'aws_iam_role', 'Role');
    expect(`arn:aws:iam::123456789012:role/${role.name}`).toBe(vaultBackupRoleArn('123456789012', 'eu-west-3', 'mycluster-0'));
    const account = exampleManifests(config).get('mycluster-0')!.find((m) => m.kind === 'ServiceAccount' && m.metadata.name === 'vault-backup');
    expect(account.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(`arn:aws:iam::123456789012:role/${role.name}`);
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([{
      Sid: 'VaultBackupServiceAccount',
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${OIDC}` },
      Action: ['sts:AssumeRoleWithWebIdentity'],
      Condition: { StringEquals: { [`${OIDC}:sub`]: 'system:serviceaccount:vault-backup:vault-backup', [`${OIDC}:aud`]: 'sts.amazonaws.com' } },
    }]);
  });

  test('least privilege: list the prefix, put and get under it, the key through S3; exactly those actions on exactly that bucket and key', () => {
    const stack = stackOf();
    const arn = ref(stack, 'aws_s3_bucket', 'Bucket', 'arn');
    const policy = named(stack, 'aws_iam_role_policy', 'RolePolicy');
    expect(policy.role).toBe(ref(stack, 'aws_iam_role', 'Role', 'name'));
    const statements: any[] = JSON.parse(policy.policy).Statement;
    expect(statements).toEqual([
      { Sid: 'ListSnapshots', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [arn], Condition: { StringLike: { 's3:prefix': ['raft/*'] } } },
      { Sid: 'WriteAndReadSnapshots', Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: [`${arn}/raft/*`] },
      {
        Sid: 'UseSnapshotKeyThroughS3', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: [ref(stack, 'aws_kms_key', 'Key', 'arn')],
        Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-3.amazonaws.com' } },
      },
    ]);
    // No delete, no wildcard, no "*" resource: checked on the parsed JSON, not by a matcher that ignores extra keys.
    for (const s of statements) {
      for (const action of s.Action) expect(action).not.toMatch(/\*|Delete/);
      expect(s.Resource).not.toContain('*');
    }
    expect(Object.keys(stack.resource.aws_iam_role_policy).filter((name) => name.startsWith('VaultBackup_RolePolicy_'))).toHaveLength(1);
  });

  test('pod identity: trusted by EKS for this account and cluster, with the association of the backup service account', () => {
    const config = example();
    const cluster = { ...config.clusters[0]!, workloadIdentity: podIdentityWithProvider('mycluster-0', { eksClusterName: 'prod-eks-01' }) };
    const stack = stackOf({ ...config, clusters: [cluster], backup: { ...config.backup!, namespace: 'backups' } });
    expect(JSON.parse(named(stack, 'aws_iam_role', 'Role').assume_role_policy).Statement).toEqual([{
      Sid: 'EksPodIdentity',
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: {
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnEquals: { 'aws:SourceArn': 'arn:aws:eks:eu-west-3:123456789012:cluster/prod-eks-01' },
      },
    }]);
    expect(named(stack, 'aws_eks_pod_identity_association', 'PodIdentity')).toMatchObject({
      cluster_name: 'prod-eks-01', namespace: 'backups', service_account: 'vault-backup', role_arn: ref(stack, 'aws_iam_role', 'Role', 'arn'),
    });
  });

  test('in the backup cluster\'s region and with its bucket name, when the configuration names them', () => {
    const config = example();
    const other = { ...config.clusters[0]!, name: 'mycluster-1', region: 'eu-west-1' };
    const stack = stackOf({ ...config, clusters: [config.clusters[0]!, other], backup: { ...config.backup!, cluster: 'mycluster-1', bucketName: 'acme-vault-backups' } });
    expect(stack.provider.aws[0].region).toBe('eu-west-1');
    expect(named(stack, 'aws_s3_bucket', 'Bucket').bucket).toBe('acme-vault-backups');
    expect(named(stack, 'aws_kms_alias', 'KeyAlias').name).toBe('alias/acme-vault-backups');
    expect(named(stack, 'aws_iam_role', 'Role').name).toBe('mycluster-1-vault-backup');
    expect(JSON.parse(named(stack, 'aws_iam_role_policy', 'RolePolicy').policy).Statement[2].Condition.StringEquals['kms:ViaService']).toBe('s3.eu-west-1.amazonaws.com');
  });

  test('the snapshot key has an explicit policy: the account administers, the backup role and replication use it through S3, the break-glass role may restore', () => {
    const stack = stackOf();
    const statements = JSON.parse(named(stack, 'aws_kms_key', 'Key').policy).Statement;
    const viaS3 = { StringEquals: { 'kms:ViaService': 's3.eu-west-3.amazonaws.com' } };
    expect(statements.map((s: any) => [s.Sid, s.Principal])).toEqual([
      ['AccountAdministersTheKey', { AWS: 'arn:aws:iam::123456789012:root' }],
      ['BackupJobsUseTheKeyThroughS3', { AWS: 'arn:aws:iam::123456789012:role/mycluster-0-vault-backup' }],
      ['S3LogDeliveryEncrypts', { Service: 'logging.s3.amazonaws.com' }],
      ['ReplicationDecryptsThroughS3', { AWS: 'arn:aws:iam::123456789012:role/mycluster-0-vault-backup-replication' }],
      ['RestoreRolesDecryptThroughS3', { AWS: 'arn:aws:iam::123456789012:root' }],
    ]);
    expect(statements[0].Action).not.toContain('kms:Decrypt');
    expect(statements[1]).toMatchObject({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Condition: viaS3 });
    expect(statements[2]).toMatchObject({ Action: ['kms:GenerateDataKey'], Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } });
    expect(statements[3]).toMatchObject({ Action: ['kms:Decrypt'], Condition: viaS3 });
    expect(statements[4]).toMatchObject({
      Action: ['kms:Decrypt'],
      Condition: { ...viaS3, ArnEquals: { 'aws:PrincipalArn': ['arn:aws:iam::123456789012:role/gateway-pki-break-glass'] } },
    });
    // The roles the policy names exist before it (KMS checks its principals).
    expect(named(stack, 'aws_kms_key', 'Key').depends_on).toEqual([
      `aws_iam_role.${nameOf(stack, 'aws_iam_role', 'Role')}`, `aws_iam_role.${nameOf(stack, 'aws_iam_role', 'ReplicationRole')}`,
    ]);
  });

  test('object lock: governance mode, 30 days by default, on the snapshot bucket and its replica, after versioning', () => {
    const stack = stackOf();
    const lock = named(stack, 'aws_s3_bucket_object_lock_configuration', 'ObjectLock');
    expect(lock).toMatchObject({
      bucket: ref(stack, 'aws_s3_bucket', 'Bucket', 'id'),
      object_lock_enabled: 'Enabled',
      rule: { default_retention: { mode: 'GOVERNANCE', days: 30 } },
      depends_on: [`aws_s3_bucket_versioning.${nameOf(stack, 'aws_s3_bucket_versioning', 'Versioning')}`],
    });
    // The existing bucket is not replaced: Object Lock comes from its configuration, not a creation argument.
    expect(named(stack, 'aws_s3_bucket', 'Bucket').object_lock_enabled).toBeUndefined();
    expect(named(stack, 'aws_s3_bucket', 'ReplicaBucket').object_lock_enabled).toBe(true);
    expect(named(stack, 'aws_s3_bucket_object_lock_configuration', 'ReplicaObjectLock')).toMatchObject({
      provider: 'aws.dr', rule: { default_retention: { mode: 'GOVERNANCE', days: 30 } },
    });
    const longer = stackOf({ ...example(), backup: { ...example().backup!, objectLockDays: 90 } });
    expect(named(longer, 'aws_s3_bucket_object_lock_configuration', 'ObjectLock').rule.default_retention.days).toBe(90);
  });

  test('access logs: S3 server access logging to a bucket of its own, encrypted, private, TLS-only, written by S3 log delivery for this bucket only', () => {
    const stack = stackOf();
    const logs = named(stack, 'aws_s3_bucket', 'AccessLogsBucket');
    expect(logs).toMatchObject({ bucket: `${BUCKET}-logs`, lifecycle: { prevent_destroy: true } });
    expect(named(stack, 'aws_s3_bucket_logging', 'AccessLogging')).toMatchObject({
      bucket: ref(stack, 'aws_s3_bucket', 'Bucket', 'id'),
      target_bucket: ref(stack, 'aws_s3_bucket', 'AccessLogsBucket', 'id'),
      target_prefix: `s3/${BUCKET}/`,
    });
    expect(named(stack, 'aws_s3_bucket_server_side_encryption_configuration', 'AccessLogsEncryption').rule[0].apply_server_side_encryption_by_default)
      .toEqual({ sse_algorithm: 'aws:kms', kms_master_key_id: ref(stack, 'aws_kms_key', 'Key', 'arn') });
    expect(named(stack, 'aws_s3_bucket_public_access_block', 'AccessLogsPublicAccessBlock')).toMatchObject({
      block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true,
    });
    const statements = JSON.parse(named(stack, 'aws_s3_bucket_policy', 'AccessLogsPolicy').policy).Statement;
    expect(statements.map((s: any) => s.Sid)).toEqual(['DenyPlainHttp', 'DenyTlsBelow12', 'S3LogDeliveryWrites']);
    expect(statements[2]).toEqual({
      Sid: 'S3LogDeliveryWrites', Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: ['s3:PutObject'],
      Resource: [`arn:aws:s3:::${BUCKET}-logs/*`],
      Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${BUCKET}` }, StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
    expect(named(stack, 'aws_s3_bucket_lifecycle_configuration', 'AccessLogsLifecycle').rule[0].expiration).toEqual([{ days: 365 }]);
  });

  test('replication: to a bucket in the DR Region with its own key, deletions not replicated, through a role scoped to the two buckets and keys', () => {
    const stack = stackOf();
    const replica = named(stack, 'aws_s3_bucket', 'ReplicaBucket');
    expect(replica).toMatchObject({ provider: 'aws.dr', bucket: '123456789012-eu-central-1-vault-snapshots', lifecycle: { prevent_destroy: true } });
    const replicaKey = named(stack, 'aws_kms_key', 'ReplicaKey');
    expect(replicaKey).toMatchObject({ provider: 'aws.dr', enable_key_rotation: true, lifecycle: { prevent_destroy: true } });
    expect(JSON.parse(replicaKey.policy).Statement.map((s: any) => s.Sid)).toEqual([
      'AccountAdministersTheKey', 'ReplicationEncryptsThroughS3', 'BackupJobsReadThroughS3', 'RestoreRolesDecryptThroughS3',
    ]);
    expect(JSON.parse(replicaKey.policy).Statement[1].Condition).toEqual({ StringEquals: { 'kms:ViaService': 's3.eu-central-1.amazonaws.com' } });
    for (const id of ['ReplicaEncryption', 'ReplicaVersioning', 'ReplicaPublicAccessBlock', 'ReplicaOwnership', 'ReplicaPolicy', 'ReplicaLifecycle']) {
      const type = {
        ReplicaEncryption: 'aws_s3_bucket_server_side_encryption_configuration', ReplicaVersioning: 'aws_s3_bucket_versioning',
        ReplicaPublicAccessBlock: 'aws_s3_bucket_public_access_block', ReplicaOwnership: 'aws_s3_bucket_ownership_controls',
        ReplicaPolicy: 'aws_s3_bucket_policy', ReplicaLifecycle: 'aws_s3_bucket_lifecycle_configuration',
      }[id]!;
      expect(named(stack, type, id).provider, id).toBe('aws.dr');
    }
    const replication = named(stack, 'aws_s3_bucket_replication_configuration', 'Replication');
    expect(replication).toMatchObject({
      bucket: ref(stack, 'aws_s3_bucket', 'Bucket', 'id'),
      role: ref(stack, 'aws_iam_role', 'ReplicationRole', 'arn'),
      rule: [{
        id: 'snapshots-to-dr', status: 'Enabled', priority: 1, filter: { prefix: 'raft/' },
        delete_marker_replication: { status: 'Disabled' },
        source_selection_criteria: { sse_kms_encrypted_objects: { status: 'Enabled' } },
        destination: { bucket: ref(stack, 'aws_s3_bucket', 'ReplicaBucket', 'arn'), encryption_configuration: { replica_kms_key_id: ref(stack, 'aws_kms_key', 'ReplicaKey', 'arn') } },
      }],
    });
    const role = named(stack, 'aws_iam_role', 'ReplicationRole');
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([{
      Sid: 'S3Replication', Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: ['sts:AssumeRole'],
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    }]);
    const statements = JSON.parse(named(stack, 'aws_iam_role_policy', 'ReplicationPolicy').policy).Statement;
    expect(statements.map((s: any) => [s.Sid, s.Resource])).toEqual([
      ['ReadReplicationConfiguration', [`arn:aws:s3:::${BUCKET}`]],
      ['ReadSnapshotVersions', [`arn:aws:s3:::${BUCKET}/raft/*`]],
      ['WriteReplicas', ['arn:aws:s3:::123456789012-eu-central-1-vault-snapshots/raft/*']],
      ['DecryptSnapshots', [ref(stack, 'aws_kms_key', 'Key', 'arn')]],
      ['EncryptReplicas', [ref(stack, 'aws_kms_key', 'ReplicaKey', 'arn')]],
    ]);
    for (const s of statements) for (const action of s.Action) expect(action).not.toMatch(/\*|Delete/);
  });

  test('no DR Region: no replica, no replication role, no second provider; the access logs and object lock stay', () => {
    const config = example();
    const stack = stackOf({ ...config, vaultCluster: { ...config.vaultCluster!, mode: 'dev', voters: undefined, disasterRecovery: undefined } });
    expect(stack.provider.aws).toHaveLength(1);
    expect(stack.resource.aws_s3_bucket_replication_configuration).toBeUndefined();
    expect(Object.keys(stack.resource.aws_s3_bucket)).toHaveLength(2);
    expect(Object.keys(stack.resource.aws_iam_role)).toEqual([nameOf(stack, 'aws_iam_role', 'Role')]);
    expect(named(stack, 'aws_s3_bucket_object_lock_configuration', 'ObjectLock').rule.default_retention.mode).toBe('GOVERNANCE');
    expect(stack.output.vault_snapshot_replica_bucket).toBeUndefined();
  });

  test('no backup section, no stack', () => {
    const { backup: _none, ...config } = example();
    expect(synthesizeTerraform(config as PlatformConfig).map((f) => f.path)).not.toContain(STACK_PATH);
  });

  test('passes every Terraform security policy (TF-003 to TF-009) with no suppression', () => {
    const stack = stackOf();
    const findings = checkPolicies({ manifests: [], files: new Map(), terraform: [{ file: `cdktf.out/${STACK_PATH}`, stack }] });
    expect(findings).toEqual([]);
    // The checks are real: without rotation and versioning they report.
    const broken = structuredClone(stack);
    Object.values<any>(broken.resource.aws_kms_key)[0].enable_key_rotation = false;
    Object.values<any>(broken.resource.aws_s3_bucket_versioning)[0].versioning_configuration.status = 'Suspended';
    const rules = checkPolicies({ manifests: [], files: new Map(), terraform: [{ file: 'x', stack: broken }] }).map((f) => f.rule);
    expect(rules).toEqual(['TF-003', 'TF-006']);
  });

  test('fails when the prefix is not S3 key segments', () => {
    const stack = new TerraformStack(Testing.app(), 's');
    const props = {
      bucketName: BUCKET, roleName: 'r', accountId: '123456789012', region: 'eu-west-3',
      identity: { type: 'irsa' as const, oidcProviderArn: `arn:aws:iam::123456789012:oidc-provider/${OIDC}` },
    };
    expect(() => new VaultBackupStorage(stack, 'A', { ...props, keyPrefix: '/raft/' }))
      .toThrow('\'keyPrefix\' must be S3 key segments without leading or trailing "/", got "/raft/"');
    expect(() => new VaultBackupStorage(stack, 'B', { ...props, glacierAfterDays: 30, expireAfterDays: 30 }))
      .toThrow('\'expireAfterDays\' (30) must be a whole number of days after \'glacierAfterDays\' (30)');
  });
});

describe('resourcePolicyDocument', () => {
  test('allows a wildcard action in a Deny only', () => {
    const deny = JSON.parse(resourcePolicyDocument([{ sid: 'Tls', effect: 'Deny', principal: '*', actions: ['s3:*'], resources: ['arn:aws:s3:::b'] }]));
    expect(deny.Statement[0]).toEqual({ Sid: 'Tls', Effect: 'Deny', Principal: '*', Action: ['s3:*'], Resource: ['arn:aws:s3:::b'] });
    expect(() => resourcePolicyDocument([{ sid: 'All', principal: '*', actions: ['s3:*'], resources: ['arn:aws:s3:::b'] }]))
      .toThrow('statement "All": wildcard action "s3:*" is not allowed in an Allow');
    expect(() => resourcePolicyDocument([])).toThrow('a resource policy needs at least one statement');
  });
});

describe('terraform validate (vault-backup-aws)', () => {
  test('the stack validates with the real hashicorp/aws provider, offline, with IRSA and with Pod Identity', () => {
    const terraform = findTerraform();
    const mirror = findProviderMirror();
    expect(terraform, 'terraform is not installed: this test needs it (no network to download it)').toBeDefined();
    expect(mirror, 'no filesystem mirror of hashicorp/aws found (set GATEWAY_PKI_TF_MIRROR)').toBeDefined();
    const config = example();
    const podIdentity = { ...config, clusters: [{ ...config.clusters[0]!, workloadIdentity: podIdentityWithProvider('mycluster-0') }] };
    for (const variant of [config, podIdentity]) {
      const outdir = writeFiles(synthesizeTerraform(variant).filter((f) => f.path === STACK_PATH));
      expect(terraformValidate(terraform!, mirror!, outdir)).toEqual({ [VAULT_BACKUP_STACK]: [] });
      if (variant === podIdentity) {
        // The check is real: a wrong attribute is reported.
        const file = join(outdir, STACK_PATH);
        const broken = JSON.parse(readFileSync(file, 'utf8'));
        Object.values<any>(broken.resource.aws_s3_bucket_versioning)[0].versioning_configuration.enabled = true;
        writeFileSync(file, JSON.stringify(broken));
        expect(terraformValidate(terraform!, mirror!, outdir)[VAULT_BACKUP_STACK]!.join('\n')).toMatch(/error: .*enabled/s);
      }
    }
  }, 180_000);
});
