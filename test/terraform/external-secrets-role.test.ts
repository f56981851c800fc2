import { readFileSync } from 'node:fs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { Testing, TerraformStack } from 'cdktf';
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { synthesizeKubernetes } from '../../lib/synth.js';
import { SecretsKey } from '../../lib/terraform/secrets-key.js';
import { synthesizeTerraform } from '../../lib/terraform/synth.js';
import { checkPolicies } from '../../lib/validate/policies.js';
import { CERT_MANAGER_APPROLE, SNAPSHOT_APPROLE, secretIdReaderRoleName } from '../../lib/util/names.js';
import { EXAMPLE_CONFIG } from '../support/cli.js';

const CHAIN = readFileSync(new URL('../fixtures/example/pki/ca-chain.pem', import.meta.url), 'utf8');
const ROOT = CHAIN.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!.at(-1)!;
const ISSUER = 'oidc.eks.eu-west-3.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF';
const example = (): PlatformConfig => parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG);

/** The parsed stack of a cluster, without CDKTF's `//` metadata. */
function clusterStack(config: PlatformConfig, cluster = 'mycluster-0'): any {
  const file = synthesizeTerraform(config).find((f) => f.path === `stacks/${cluster}-aws/cdk.tf.json`)!;
  return JSON.parse(file.content, (key, value) => (key === '//' ? undefined : value));
}

/** The resources of `type` whose construct id starts with `prefix`. */
function resources(stack: any, type: string, prefix = ''): any[] {
  return Object.entries<any>(stack.resource[type] ?? {}).filter(([id]) => id.startsWith(prefix)).map(([, r]) => r);
}

/** Each reader role of the stack, with its inline policy, by the AppRole whose secret id it reads. */
function readers(stack: any): Record<string, { role: any; policy: any; id: string }> {
  const result: Record<string, { role: any; policy: any; id: string }> = {};
  for (const [id, role] of Object.entries<any>(stack.resource.aws_iam_role).filter(([name]) => name.startsWith('SecretIdReader-'))) {
    const appRole = /^SecretIdReader-(.+)_[0-9A-F]{8}$/.exec(id)![1]!;
    const policy = Object.values<any>(stack.resource.aws_iam_role_policy).find((p) => p.role === `\${aws_iam_role.${id}.name}`);
    result[appRole] = { role, policy, id };
  }
  return result;
}

/** The Terraform id of the secret holding `appRole`'s secret id. */
const secretId = (stack: any, appRole: string): string => Object.keys(stack.resource.aws_secretsmanager_secret).find((n) => n.startsWith(`SecretId-${appRole}_`))!;

describe('SecretIdReaderRole in the cluster stack', () => {
  test('one role per receiving namespace, trusted by that namespace\'s reader service account only, with the name its annotation in dist/ points to', () => {
    // GIVEN
    const config = example();
    // WHEN
    const stack = clusterStack(config);
    // THEN
    const roles = readers(stack);
    expect(Object.keys(roles)).toEqual(['cert-manager', 'vault-snapshot']);
    const objects = synthesizeKubernetes(config, { vaultCaBundle: CHAIN, trustRoots: ROOT }).manifests.get('mycluster-0')!;
    for (const [appRole, namespace] of [['cert-manager', 'cert-manager'], ['vault-snapshot', 'vault-backup']] as const) {
      const { role } = roles[appRole]!;
      expect(role.name).toBe(`mycluster-0-${appRole}-secret-id`);
      expect(JSON.parse(role.assume_role_policy).Statement).toEqual([{
        Sid: 'SecretStoreServiceAccount',
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${ISSUER}` },
        Action: ['sts:AssumeRoleWithWebIdentity'],
        Condition: { StringEquals: { [`${ISSUER}:sub`]: `system:serviceaccount:${namespace}:aws-secrets-reader`, [`${ISSUER}:aud`]: 'sts.amazonaws.com' } },
      }]);
      // The namespace's SecretStore names the service account that carries exactly this role.
      const store = objects.find((m: any) => m.kind === 'SecretStore' && m.metadata.namespace === namespace);
      const account = objects.find((m: any) => m.kind === 'ServiceAccount' && m.metadata.namespace === namespace
        && m.metadata.name === store.spec.provider.aws.auth.jwt.serviceAccountRef.name);
      expect(account.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(`arn:aws:iam::123456789012:role/${role.name}`);
      expect(stack.output[`secret_id_reader_role_arn_${appRole.replace('-', '_')}`].value).toBe(`\${aws_iam_role.${roles[appRole]!.id}.arn}`);
    }
    // The operator's own service account carries no role, and no role trusts it any more.
    const release = objects.find((m: any) => m.kind === 'HelmRelease' && m.metadata.name === 'external-secrets');
    expect(release.spec.values.serviceAccount.annotations).toBeUndefined();
    expect(JSON.stringify(stack)).not.toContain('system:serviceaccount:external-secrets:');
    expect(Object.keys(stack.resource.aws_iam_role).filter((n) => n.startsWith('ExternalSecrets'))).toEqual([]);
    expect(stack.output.external_secrets_role_arn).toBeUndefined();
  });

  test('each role\'s only rights: read its own secret id, and decrypt it through Secrets Manager for that secret only', () => {
    // GIVEN / WHEN
    const stack = clusterStack(example());
    const key = `\${aws_kms_key.${Object.keys(stack.resource.aws_kms_key)[0]}.arn}`;
    // THEN
    for (const [appRole, { policy }] of Object.entries(readers(stack))) {
      const secretArn = `\${aws_secretsmanager_secret.${secretId(stack, appRole)}.arn}`;
      expect(JSON.parse(policy.policy).Statement).toEqual([{
        Sid: 'ReadSecretId',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: [secretArn],
      }, {
        Sid: 'DecryptSecretId',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: [key],
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-3.amazonaws.com', 'kms:EncryptionContext:SecretARN': secretArn } },
      }]);
    }
  });

  test('the AppRole secrets: a customer-managed key the readers alone decrypt, and each secret\'s policy refusing its value to all but its own reader', () => {
    // GIVEN / WHEN
    const stack = clusterStack(example());
    // THEN
    const keyNames = Object.keys(stack.resource.aws_kms_key);
    expect(keyNames).toEqual([expect.stringMatching(/^SecretsKey_/)]);
    const key = stack.resource.aws_kms_key[keyNames[0]!];
    const roleArn = (appRole: string) => `arn:aws:iam::123456789012:role/mycluster-0-${appRole}-secret-id`;
    const roles = readers(stack);
    expect(key.depends_on).toEqual([`aws_iam_role.${roles['cert-manager']!.id}`, `aws_iam_role.${roles['vault-snapshot']!.id}`]);
    const statements = JSON.parse(key.policy).Statement;
    expect(statements.map((s: any) => [s.Sid, s.Principal.AWS, s.Action])).toEqual([
      ['AccountAdministersTheKey', 'arn:aws:iam::123456789012:root', expect.not.arrayContaining(['kms:Decrypt'])],
      ['AccountWritesThroughSecretsManager', 'arn:aws:iam::123456789012:root', ['kms:GenerateDataKey', 'kms:Encrypt']],
      ['ReadersDecryptThroughSecretsManager', [roleArn('cert-manager'), roleArn('vault-snapshot')], ['kms:Decrypt']],
    ]);
    expect(resources(stack, 'aws_kms_alias').map((a) => a.name)).toEqual(['alias/gateway-pki-mycluster-0-secrets']);
    const secrets = Object.entries<any>(stack.resource.aws_secretsmanager_secret);
    for (const [, secret] of secrets) expect(secret.kms_key_id).toBe(`\${aws_kms_key.${keyNames[0]}.arn}`);
    const secretPolicies = resources(stack, 'aws_secretsmanager_secret_policy');
    expect(secretPolicies.map((p) => p.secret_arn).sort()).toEqual(secrets.map(([name]) => `\${aws_secretsmanager_secret.${name}.arn}`).sort());
    for (const appRole of ['cert-manager', 'vault-snapshot']) {
      const policy = secretPolicies.find((p) => p.secret_arn === `\${aws_secretsmanager_secret.${secretId(stack, appRole)}.arn}`);
      expect(JSON.parse(policy.policy).Statement).toEqual([{
        Sid: 'OnlyReadersGetTheValue', Effect: 'Deny', Principal: { AWS: '*' }, Action: ['secretsmanager:GetSecretValue'], Resource: ['*'],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [roleArn(appRole)] } },
      }]);
    }
  });

  test('the secrets are created empty: cert-manager\'s and, where the backup runs, the snapshot agent\'s; never a value', () => {
    // GIVEN / WHEN
    const stack = clusterStack(example());
    // THEN
    expect(resources(stack, 'aws_secretsmanager_secret').map((s) => s.name)).toEqual([
      'gateway-pki/mycluster-0/vault-approle/cert-manager',
      'gateway-pki/mycluster-0/vault-approle/vault-snapshot',
    ]);
    expect(stack.resource.aws_secretsmanager_secret_version).toBeUndefined();
    expect(JSON.stringify(stack)).not.toMatch(/secret_string|secret_binary/);
    // Each name is what the cluster's ExternalSecrets ask for.
    const objects = synthesizeKubernetes(example(), { vaultCaBundle: CHAIN, trustRoots: ROOT }).manifests.get('mycluster-0')!;
    const remoteKeys = objects.filter((m: any) => m.kind === 'ExternalSecret').flatMap((m: any) => m.spec.data.map((d: any) => d.remoteRef.key));
    expect(remoteKeys.sort()).toEqual(resources(stack, 'aws_secretsmanager_secret').map((s) => s.name).sort());
  });

  test('pod identity: the reader roles still trust the service accounts through the cluster\'s OIDC provider; no Pod Identity association for them', () => {
    // GIVEN
    const config = example();
    const oidcProviderArn = `arn:aws:iam::123456789012:oidc-provider/${ISSUER}`;
    const cluster = { ...config.clusters[0]!, workloadIdentity: { type: 'pod-identity' as const, eksClusterName: 'prod-eks-01', oidcProviderArn } };
    // WHEN
    const stack = clusterStack({ ...config, clusters: [cluster] });
    // THEN
    for (const { role } of Object.values(readers(stack))) {
      expect(JSON.parse(role.assume_role_policy).Statement.map((s: any) => [s.Principal, s.Action])).toEqual([[{ Federated: oidcProviderArn }, ['sts:AssumeRoleWithWebIdentity']]]);
    }
    // cert-manager's DNS-01 role and the AppRole rotation jobs' keep Pod Identity; the readers have none.
    expect(resources(stack, 'aws_eks_pod_identity_association').map((a) => a.service_account).sort()).toEqual(['approle-rotation', 'cert-manager']);
    // The provider is read at plan time, as with IRSA.
    expect(Object.keys(stack.data.aws_iam_openid_connect_provider ?? {})).toHaveLength(1);
  });

  test('pod identity without the OIDC provider: the stack refuses to deliver secret ids', () => {
    // GIVEN
    const config = example();
    const cluster = { ...config.clusters[0]!, workloadIdentity: { type: 'pod-identity' as const } };
    // WHEN / THEN
    expect(() => clusterStack({ ...config, clusters: [cluster] }))
      .toThrow('cluster mycluster-0: workloadIdentity.oidcProviderArn is required to deliver AppRole secret ids (cert-manager, vault-snapshot)');
  });

  test('Kubernetes auth and no backup: no role, no secret', () => {
    // GIVEN
    const { backup: _backup, ...config } = example();
    // WHEN
    const stack = clusterStack({ ...config, vault: { ...config.vault, auth: { kubernetes: { role: 'cert-manager' } } } });
    // THEN
    expect(resources(stack, 'aws_iam_role').map((r) => r.name)).toEqual(['mycluster-0-cert-manager-dns01']);
    expect(stack.resource.aws_secretsmanager_secret).toBeUndefined();
    expect(stack.resource.aws_kms_key).toBeUndefined();
    expect(stack.output).not.toHaveProperty('secret_id_reader_role_arn_cert_manager');
  });

  test('the backup in another cluster: the snapshot secret is that cluster\'s only', () => {
    // GIVEN
    const config = example();
    const other = { ...config.clusters[0]!, name: 'other' };
    // WHEN
    const withBackupElsewhere: PlatformConfig = { ...config, clusters: [config.clusters[0]!, other], applications: [], backup: { ...config.backup!, cluster: 'other' } };
    // THEN
    expect(resources(clusterStack(withBackupElsewhere), 'aws_secretsmanager_secret').map((s) => s.name))
      .toEqual(['gateway-pki/mycluster-0/vault-approle/cert-manager']);
    expect(resources(clusterStack(withBackupElsewhere, 'other'), 'aws_secretsmanager_secret').map((s) => s.name))
      .toEqual(['gateway-pki/other/vault-approle/cert-manager', 'gateway-pki/other/vault-approle/vault-snapshot']);
  });

  test('the security policies of npm run validate (TF-001 to TF-010) pass on the stack', () => {
    const file = 'cdktf.out/stacks/mycluster-0-aws/cdk.tf.json';
    expect(checkPolicies({ manifests: [], files: new Map(), terraform: [{ file, stack: clusterStack(example()) }] })).toEqual([]);
  });
});

describe('secret id reader names and secret policies', () => {
  test('the role name keeps its AppRole suffix within IAM\'s 64 characters, shortening the cluster name instead', () => {
    // GIVEN
    const longCluster = 'c'.repeat(63);
    // WHEN
    const names = [CERT_MANAGER_APPROLE, SNAPSHOT_APPROLE].map((appRole) => secretIdReaderRoleName(longCluster, appRole));
    // THEN
    expect(names.map((n) => n.length)).toEqual([64, 64]);
    expect(names.map((n) => n.replace(/^c+/, ''))).toEqual(['-cert-manager-secret-id', '-vault-snapshot-secret-id']);
    expect(secretIdReaderRoleName('mycluster-0', CERT_MANAGER_APPROLE)).toBe('mycluster-0-cert-manager-secret-id');
  });

  test('a secret policy may name readers of the key only, and at least one', () => {
    // GIVEN
    const app = Testing.app();
    const stack = new TerraformStack(app, 'test');
    new AwsProvider(stack, 'aws', { region: 'eu-west-3' });
    const key = new SecretsKey(stack, 'Key', {
      alias: 'alias/k', description: 'k', accountId: '123456789012', partition: 'aws', region: 'eu-west-3',
      readers: ['arn:aws:iam::123456789012:role/a', 'arn:aws:iam::123456789012:role/b'],
    });
    // WHEN / THEN
    expect(() => key.restrictReaders('P', 'arn:secret', ['arn:aws:iam::123456789012:role/c']))
      .toThrow('secret policy P: arn:aws:iam::123456789012:role/c cannot decrypt with the key, so cannot read the secret; name readers of the key only');
    expect(() => key.restrictReaders('Q', 'arn:secret', [])).toThrow('secret policy Q: \'readers\' must name at least one principal');
    const policy = key.restrictReaders('R', 'arn:secret', ['arn:aws:iam::123456789012:role/b']);
    expect(JSON.parse(policy.policyInput!).Statement[0].Condition)
      .toEqual({ ArnNotEquals: { 'aws:PrincipalArn': ['arn:aws:iam::123456789012:role/b'] } });
  });
});
