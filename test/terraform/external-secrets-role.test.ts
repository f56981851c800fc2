import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { synthesizeKubernetes } from '../../lib/synth.js';
import { synthesizeTerraform } from '../../lib/terraform/synth.js';
import { checkPolicies } from '../../lib/validate/policies.js';
import { EXAMPLE_CONFIG } from '../support/cli.js';

const CHAIN = readFileSync(new URL('../../config/pki/ca-chain.pem', import.meta.url), 'utf8');
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

describe('ExternalSecretsRole in the cluster stack', () => {
  test('IRSA: trusted by External Secrets\' service account only, with the name its annotation in dist/ points to', () => {
    // GIVEN
    const config = example();
    // WHEN
    const stack = clusterStack(config);
    // THEN
    const [role] = resources(stack, 'aws_iam_role', 'ExternalSecrets');
    expect(role.name).toBe('mycluster-0-external-secrets');
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([{
      Sid: 'ExternalSecretsServiceAccount',
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${ISSUER}` },
      Action: ['sts:AssumeRoleWithWebIdentity'],
      Condition: { StringEquals: { [`${ISSUER}:sub`]: 'system:serviceaccount:external-secrets:external-secrets', [`${ISSUER}:aud`]: 'sts.amazonaws.com' } },
    }]);
    const release = synthesizeKubernetes(config, { vaultCaBundle: CHAIN, trustRoots: ROOT }).manifests.get('mycluster-0')!
      .find((m: any) => m.kind === 'HelmRelease' && m.metadata.name === 'external-secrets');
    expect(release.spec.values.serviceAccount.annotations['eks.amazonaws.com/role-arn']).toBe(`arn:aws:iam::123456789012:role/${role.name}`);
    expect(`system:serviceaccount:${release.metadata.namespace}:${release.spec.values.serviceAccount.name}`)
      .toBe(JSON.parse(role.assume_role_policy).Statement[0].Condition.StringEquals[`${ISSUER}:sub`]);
    expect(stack.output.external_secrets_role_arn.value).toMatch(/^\$\{aws_iam_role\.ExternalSecrets_\w+\.arn\}$/);
  });

  test('its only rights: read the value and metadata of the cluster\'s secrets, under their name prefix, and decrypt them through Secrets Manager', () => {
    // GIVEN / WHEN
    const stack = clusterStack(example());
    const [policy] = resources(stack, 'aws_iam_role_policy', 'ExternalSecrets');
    // THEN
    expect(JSON.parse(policy.policy).Statement).toEqual([{
      Sid: 'ReadClusterSecrets',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      Resource: ['arn:aws:secretsmanager:eu-west-3:123456789012:secret:gateway-pki/mycluster-0/*'],
    }, {
      Sid: 'DecryptClusterSecrets',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [`\${aws_kms_key.${Object.keys(stack.resource.aws_kms_key)[0]}.arn}`],
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-3.amazonaws.com' } },
    }]);
  });

  test('the AppRole secrets: a customer-managed key only External Secrets decrypts, and a policy refusing GetSecretValue to everyone else', () => {
    // GIVEN / WHEN
    const stack = clusterStack(example());
    // THEN
    const keyNames = Object.keys(stack.resource.aws_kms_key);
    expect(keyNames).toEqual([expect.stringMatching(/^SecretsKey_/)]);
    const key = stack.resource.aws_kms_key[keyNames[0]!];
    const role = 'arn:aws:iam::123456789012:role/mycluster-0-external-secrets';
    expect(key.depends_on).toEqual([`aws_iam_role.${Object.keys(stack.resource.aws_iam_role).find((n) => n.startsWith('ExternalSecrets'))}`]);
    const statements = JSON.parse(key.policy).Statement;
    expect(statements.map((s: any) => [s.Sid, s.Principal.AWS, s.Action])).toEqual([
      ['AccountAdministersTheKey', 'arn:aws:iam::123456789012:root', expect.not.arrayContaining(['kms:Decrypt'])],
      ['AccountWritesThroughSecretsManager', 'arn:aws:iam::123456789012:root', ['kms:GenerateDataKey', 'kms:Encrypt']],
      ['ReadersDecryptThroughSecretsManager', [role], ['kms:Decrypt']],
    ]);
    expect(resources(stack, 'aws_kms_alias').map((a) => a.name)).toEqual(['alias/gateway-pki-mycluster-0-secrets']);
    const secrets = Object.entries<any>(stack.resource.aws_secretsmanager_secret);
    for (const [, secret] of secrets) expect(secret.kms_key_id).toBe(`\${aws_kms_key.${keyNames[0]}.arn}`);
    const secretPolicies = resources(stack, 'aws_secretsmanager_secret_policy');
    expect(secretPolicies.map((p) => p.secret_arn).sort()).toEqual(secrets.map(([name]) => `\${aws_secretsmanager_secret.${name}.arn}`).sort());
    for (const policy of secretPolicies) {
      expect(JSON.parse(policy.policy).Statement).toEqual([{
        Sid: 'OnlyReadersGetTheValue', Effect: 'Deny', Principal: { AWS: '*' }, Action: ['secretsmanager:GetSecretValue'], Resource: ['*'],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [role] } },
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
    // Each name is under the prefix the role may read, and is what the cluster's ExternalSecrets ask for.
    const objects = synthesizeKubernetes(example(), { vaultCaBundle: CHAIN, trustRoots: ROOT }).manifests.get('mycluster-0')!;
    const remoteKeys = objects.filter((m: any) => m.kind === 'ExternalSecret').flatMap((m: any) => m.spec.data.map((d: any) => d.remoteRef.key));
    expect(remoteKeys.sort()).toEqual(resources(stack, 'aws_secretsmanager_secret').map((s) => s.name).sort());
  });

  test('pod identity: trusted by EKS for this account and cluster, with the association of External Secrets\' service account', () => {
    // GIVEN
    const config = example();
    const cluster = { ...config.clusters[0]!, workloadIdentity: { type: 'pod-identity' as const, eksClusterName: 'prod-eks-01' } };
    // WHEN
    const stack = clusterStack({ ...config, clusters: [cluster] });
    // THEN
    const [role] = resources(stack, 'aws_iam_role', 'ExternalSecrets');
    expect(JSON.parse(role.assume_role_policy).Statement[0]).toMatchObject({
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:eks:eu-west-3:123456789012:cluster/prod-eks-01' } },
    });
    expect(resources(stack, 'aws_eks_pod_identity_association', 'ExternalSecrets')).toEqual([{
      cluster_name: 'prod-eks-01', namespace: 'external-secrets', service_account: 'external-secrets',
      role_arn: expect.stringMatching(/^\$\{aws_iam_role\.ExternalSecrets_\w+\.arn\}$/),
    }]);
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
    expect(stack.output.external_secrets_role_arn).toBeUndefined();
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
