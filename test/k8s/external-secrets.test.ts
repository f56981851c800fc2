import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { AppRoleSecretId, AwsSecretsManagerStore, ExternalSecretsOperator } from '../../lib/k8s/external-secrets.js';
import { synthesizeKubernetes } from '../../lib/synth.js';
import { checkCel } from '../../lib/validate/cel-check.js';
import type { ValidationInput } from '../../lib/validate/findings.js';
import { checkPolicies } from '../../lib/validate/policies.js';
import { checkReferences } from '../../lib/validate/references.js';
import { checkSchema } from '../../lib/validate/schema-check.js';
import { SchemaRegistry } from '../../lib/validate/schemas.js';
import { EXAMPLE_CONFIG } from '../support/cli.js';
import { manifestsOf, only, testChart, yamlOf } from '../support/k8s.js';

const CHAIN = readFileSync(new URL('../fixtures/example/pki/ca-chain.pem', import.meta.url), 'utf8');
const ROOT = CHAIN.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!.at(-1)!;
const example = (): PlatformConfig => parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG);
const manifests = (config: PlatformConfig, cluster = 'mycluster-0'): readonly any[] =>
  synthesizeKubernetes(config, { vaultCaBundle: CHAIN, trustRoots: ROOT }).manifests.get(cluster)!;
const CERT_MANAGER_READER = 'arn:aws:iam::123456789012:role/mycluster-0-cert-manager-secret-id';
const SNAPSHOT_READER = 'arn:aws:iam::123456789012:role/mycluster-0-vault-snapshot-secret-id';

let registry: SchemaRegistry;
beforeAll(() => { registry = SchemaRegistry.load(); });

/** The objects as `npm run validate` reads them, for the product's own schema, CEL and reference checks. */
function asInput(objects: readonly any[]): ValidationInput {
  return { manifests: objects.map((object) => ({ file: 'dist/c/layer/x.yaml', object })), files: new Map(), terraform: [] };
}

describe('ExternalSecretsOperator', () => {
  test('default configuration: pinned chart, CRDs, hardened pods, two replicas with budgets, no AWS rights, no cluster-wide token right', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    new ExternalSecretsOperator(chart, 'ExternalSecrets', { version: '2.9.0' });
    // THEN
    expect(yamlOf(chart)).toMatchSnapshot();
    const release = only(chart, 'HelmRelease', 'external-secrets');
    expect(release.metadata.namespace).toBe('external-secrets');
    expect(release.spec.chart.spec).toMatchObject({ chart: 'external-secrets', version: '2.9.0', sourceRef: { kind: 'HelmRepository', name: 'external-secrets' } });
    expect(only(chart, 'HelmRepository', 'external-secrets').spec.url).toBe('https://charts.external-secrets.io');
    const values = release.spec.values;
    expect(values.installCRDs).toBe(true);
    // The chart merges crds.annotations into every CRD it renders: Helm keeps them on uninstall.
    expect(values.crds).toEqual({ annotations: { 'helm.sh/resource-policy': 'keep' } });
    expect(release.metadata.annotations).toEqual({ 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });
    expect(only(chart, 'Namespace', 'external-secrets').metadata.annotations).toBeUndefined();
    // No role annotation: the controller's own credentials read nothing; each SecretStore brings its own.
    expect(values.serviceAccount).toEqual({ create: true, name: 'external-secrets' });
    // Tokens only of the service accounts each store's Role names, not of every service account.
    expect(values.rbac).toEqual({ serviceAccountTokenCreate: false });
    for (const component of [values, values.webhook, values.certController]) {
      expect(component.securityContext).toEqual({
        enabled: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
        capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(component.podSecurityContext).toEqual({ enabled: true, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(Object.keys(component.resources).sort()).toEqual(['limits', 'requests']);
    }
    expect([values.replicaCount, values.leaderElect, values.webhook.replicaCount]).toEqual([2, true, 2]);
    expect(only(chart, 'Namespace', 'external-secrets').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});

describe('AwsSecretsManagerStore and AppRoleSecretId', () => {
  test('default configuration: a namespaced store whose credentials are its own service account\'s role, and the ExternalSecret on it', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    const store = new AwsSecretsManagerStore(chart, 'Store', { region: 'eu-west-3', namespace: 'cert-manager', roleArn: CERT_MANAGER_READER });
    new AppRoleSecretId(chart, 'SecretId', {
      store, remoteKey: 'gateway-pki/c/vault-approle/cert-manager', namespace: 'cert-manager', secretName: 'vault-approle', secretKey: 'secretId',
    });
    // THEN
    expect(yamlOf(chart)).toMatchSnapshot();
    expect(manifestsOf(chart).filter((m) => m.kind === 'ClusterSecretStore')).toEqual([]);
    const storeObject = only(chart, 'SecretStore', 'aws-secrets-manager');
    expect(storeObject.apiVersion).toBe('external-secrets.io/v1');
    expect(storeObject.metadata.namespace).toBe('cert-manager');
    expect(storeObject.spec).toEqual({
      provider: {
        aws: { service: 'SecretsManager', region: 'eu-west-3', auth: { jwt: { serviceAccountRef: { name: 'aws-secrets-reader' } } } },
      },
    });
    // The service account of the same namespace carries the namespace's reader role; no pod mounts its token.
    const serviceAccount = only(chart, 'ServiceAccount', 'aws-secrets-reader');
    expect(serviceAccount.metadata.namespace).toBe('cert-manager');
    expect(serviceAccount.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': CERT_MANAGER_READER });
    expect(serviceAccount.automountServiceAccountToken).toBe(false);
    // The operator may request tokens of that service account, and of no other in the namespace.
    const role = only(chart, 'Role', 'aws-secrets-reader-token-request');
    expect([role.metadata.namespace, role.rules]).toEqual(['cert-manager', [
      { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['aws-secrets-reader'], verbs: ['create'] },
    ]]);
    const binding = only(chart, 'RoleBinding', 'aws-secrets-reader-token-request');
    expect([binding.metadata.namespace, binding.roleRef, binding.subjects]).toEqual(['cert-manager',
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'aws-secrets-reader-token-request' },
      [{ apiGroup: '', kind: 'ServiceAccount', name: 'external-secrets', namespace: 'external-secrets' }]]);
    const secret = only(chart, 'ExternalSecret', 'vault-approle');
    expect(secret.apiVersion).toBe('external-secrets.io/v1');
    // Owner of the AppRole Secret: a prune would delete it, so Flux never prunes the ExternalSecret.
    expect(secret.metadata.annotations).toEqual({ 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });
    expect(secret.spec).toEqual({
      refreshInterval: '1h',
      secretStoreRef: { kind: 'SecretStore', name: 'aws-secrets-manager' },
      target: { name: 'vault-approle', creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      data: [{ secretKey: 'secretId', remoteRef: { key: 'gateway-pki/c/vault-approle/cert-manager' } }],
    });
    // No static credentials of any kind.
    expect(JSON.stringify(storeObject)).not.toMatch(/secretRef|accessKey/);
  });

  test('the objects are valid against the External Secrets CRDs (v2.9.0) and their CEL rules', () => {
    // GIVEN
    const chart = testChart();
    const store = new AwsSecretsManagerStore(chart, 'Store', { region: 'eu-west-3', namespace: 'cert-manager', roleArn: CERT_MANAGER_READER });
    new AppRoleSecretId(chart, 'SecretId', { store, remoteKey: 'k', namespace: 'cert-manager', secretName: 'vault-approle', secretKey: 'secretId' });
    // WHEN
    const input = asInput(manifestsOf(chart));
    // THEN
    expect(checkSchema(input, registry)).toEqual([]);
    expect(checkCel(input, registry)).toEqual([]);
    expect(checkReferences(input)).toEqual([]);
    // The check is real: an unknown field is reported.
    const broken = asInput([{ ...only(chart, 'ExternalSecret'), spec: { ...only(chart, 'ExternalSecret').spec, refreshEvery: '1h' } }]);
    expect(checkSchema(broken, registry).map((f) => `${f.path}: ${f.message}`)).toEqual(['spec.refreshEvery: unknown field']);
  });

  test('fails when an ExternalSecret is given the store of another namespace', () => {
    // GIVEN
    const chart = testChart();
    const store = new AwsSecretsManagerStore(chart, 'Store', { region: 'eu-west-3', namespace: 'vault-backup', roleArn: SNAPSHOT_READER });
    // WHEN / THEN
    expect(() => new AppRoleSecretId(chart, 'SecretId', { store, remoteKey: 'k', namespace: 'cert-manager', secretName: 'vault-approle', secretKey: 'secretId' }))
      .toThrow('ExternalSecret cert-manager/vault-approle: its store \'aws-secrets-manager\' is in namespace \'vault-backup\'; '
        + 'an ExternalSecret reads from the SecretStore of its own namespace only');
  });

  test('fails when the role is not an IAM role ARN', () => {
    expect(() => new AwsSecretsManagerStore(testChart(), 'Store', { region: 'eu-west-3', namespace: 'cert-manager', roleArn: 'mycluster-0-cert-manager-secret-id' }))
      .toThrow('secret store in namespace \'cert-manager\': \'roleArn\' must be an IAM role ARN, got "mycluster-0-cert-manager-secret-id"');
  });
});

/** Each SecretStore of `objects` with the role of the service account it names, by namespace. */
function storesByNamespace(objects: readonly any[]): Record<string, { store: string; serviceAccount: string; roleArn: string }> {
  const result: Record<string, { store: string; serviceAccount: string; roleArn: string }> = {};
  for (const store of objects.filter((m) => m.kind === 'SecretStore')) {
    const name = store.spec.provider.aws.auth.jwt.serviceAccountRef.name;
    const account = objects.find((m) => m.kind === 'ServiceAccount' && m.metadata.namespace === store.metadata.namespace && m.metadata.name === name);
    result[store.metadata.namespace] = { store: store.metadata.name, serviceAccount: name, roleArn: account?.metadata.annotations?.['eks.amazonaws.com/role-arn'] };
  }
  return result;
}

describe('ClusterPlatform with External Secrets', () => {
  test('the example: the operator in controllers, cert-manager\'s store and ExternalSecret in secrets, the backup\'s own store in backup', () => {
    // GIVEN / WHEN
    const objects = manifests(example());
    // THEN
    const kustomization = (name: string) => objects.find((m) => m.kind === 'Kustomization' && m.metadata.name === name && m.apiVersion.startsWith('kustomize.toolkit'));
    expect(kustomization('controllers').spec.healthChecks.map((h: any) => `${h.kind}/${h.namespace}/${h.name}`))
      .toContain('HelmRelease/external-secrets/external-secrets');
    expect(kustomization('secrets').spec.dependsOn).toEqual([{ name: 'controllers', namespace: 'flux-system' }]);
    expect(kustomization('secrets').spec.healthChecks).toEqual([
      { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', name: 'aws-secrets-manager', namespace: 'cert-manager' },
    ]);
    expect(kustomization('backup').spec.dependsOn).toEqual([{ name: 'secrets', namespace: 'flux-system' }, { name: 'trust', namespace: 'flux-system' }]);
    // One store per receiving namespace, each with its own service account and role; no shared store.
    expect(objects.filter((m) => m.kind === 'ClusterSecretStore')).toEqual([]);
    expect(storesByNamespace(objects)).toEqual({
      'cert-manager': { store: 'aws-secrets-manager', serviceAccount: 'aws-secrets-reader', roleArn: CERT_MANAGER_READER },
      'vault-backup': { store: 'aws-secrets-manager', serviceAccount: 'aws-secrets-reader', roleArn: SNAPSHOT_READER },
    });
    const release = objects.find((m) => m.kind === 'HelmRelease' && m.metadata.name === 'external-secrets');
    expect(release.spec.values.serviceAccount).toEqual({ create: true, name: 'external-secrets' });
    // The ExternalSecret creates exactly the Secret the Vault ClusterIssuer reads.
    const issuer = objects.find((m) => m.kind === 'ClusterIssuer' && m.metadata.name === 'vault');
    const secret = objects.find((m) => m.kind === 'ExternalSecret' && m.metadata.namespace === 'cert-manager');
    expect(secret.spec.target.name).toBe(issuer.spec.vault.auth.appRole.secretRef.name);
    expect(secret.spec.data[0].secretKey).toBe(issuer.spec.vault.auth.appRole.secretRef.key);
    expect(secret.spec.data[0].remoteRef.key).toBe('gateway-pki/mycluster-0/vault-approle/cert-manager');
  });

  test('every ExternalSecret reads from the SecretStore of its own namespace, whose role is the one of its own secret id', () => {
    // GIVEN / WHEN
    const objects = manifests(example());
    // THEN
    const secrets = objects.filter((m) => m.kind === 'ExternalSecret');
    expect(secrets.map((m) => `${m.metadata.namespace}/${m.metadata.name} <- ${m.spec.data[0].remoteRef.key}`)).toEqual([
      'cert-manager/vault-approle <- gateway-pki/mycluster-0/vault-approle/cert-manager',
      'vault-backup/vault-snapshot-approle <- gateway-pki/mycluster-0/vault-approle/vault-snapshot',
    ]);
    const stores = storesByNamespace(objects);
    for (const secret of secrets) {
      expect(secret.spec.secretStoreRef).toEqual({ kind: 'SecretStore', name: stores[secret.metadata.namespace]!.store });
      const appRole = secret.spec.data[0].remoteRef.key.split('/').at(-1);
      expect(stores[secret.metadata.namespace]!.roleArn).toBe(`arn:aws:iam::123456789012:role/mycluster-0-${appRole}-secret-id`);
    }
  });

  test('the secret reference of the configuration is followed by both the ExternalSecret and the issuer', () => {
    // GIVEN
    const config = example();
    const appRole = { ...config.vault.auth!.appRole!, secretRef: { name: 'vault-login', key: 'id' } };
    // WHEN
    const objects = manifests({ ...config, vault: { ...config.vault, auth: { appRole } } });
    // THEN
    const secret = objects.find((m) => m.kind === 'ExternalSecret' && m.metadata.namespace === 'cert-manager');
    expect([secret.metadata.name, secret.spec.target.name, secret.spec.data[0].secretKey]).toEqual(['vault-login', 'vault-login', 'id']);
    expect(objects.find((m) => m.kind === 'ClusterIssuer' && m.metadata.name === 'vault').spec.vault.auth.appRole.secretRef).toEqual({ name: 'vault-login', key: 'id' });
  });

  test('no External Secrets where no AppRole secret id is needed (Kubernetes auth, no backup): no operator, no secrets layer', () => {
    // GIVEN
    const config = example();
    const { backup: _backup, ...withoutBackup } = config;
    // WHEN
    const objects = manifests({ ...withoutBackup, vault: { ...config.vault, auth: { kubernetes: { role: 'cert-manager' } } } });
    // THEN
    expect(objects.filter((m) => m.apiVersion.startsWith('external-secrets.io/') || m.metadata.name === 'external-secrets')).toEqual([]);
    expect(objects.some((m) => m.kind === 'Kustomization' && m.metadata.name === 'secrets')).toBe(false);
  });

  test('Kubernetes auth with the backup in the cluster: no secrets layer, the backup namespace\'s store only, backup after controllers', () => {
    // GIVEN
    const config = example();
    // WHEN
    const objects = manifests({ ...config, vault: { ...config.vault, auth: { kubernetes: { role: 'cert-manager' } } } });
    // THEN
    expect(objects.some((m) => m.kind === 'Kustomization' && m.metadata.name === 'secrets')).toBe(false);
    expect(Object.keys(storesByNamespace(objects))).toEqual(['vault-backup']);
    expect(objects.filter((m) => m.kind === 'ExternalSecret').map((m) => m.metadata.namespace)).toEqual(['vault-backup']);
    const backup = objects.find((m) => m.kind === 'Kustomization' && m.metadata.name === 'backup' && m.apiVersion.startsWith('kustomize.toolkit'));
    expect(backup.spec.dependsOn).toEqual([{ name: 'controllers', namespace: 'flux-system' }, { name: 'trust', namespace: 'flux-system' }]);
  });

  test('pod identity (with the OIDC provider for the stores): the same per-namespace stores, the operator without a role', () => {
    // GIVEN
    const config = example();
    const oidcProviderArn = (config.clusters[0]!.workloadIdentity as { oidcProviderArn: string }).oidcProviderArn;
    const cluster = { ...config.clusters[0]!, workloadIdentity: { type: 'pod-identity' as const, oidcProviderArn } };
    // WHEN
    const objects = manifests({ ...config, clusters: [cluster] });
    // THEN
    expect(objects.find((m) => m.kind === 'HelmRelease' && m.metadata.name === 'external-secrets').spec.values.serviceAccount)
      .toEqual({ create: true, name: 'external-secrets' });
    expect(storesByNamespace(objects)).toEqual(storesByNamespace(manifests(config)));
  });

  test('the synthesized objects pass the schema, CEL, reference and security checks of npm run validate', () => {
    // GIVEN
    const objects = manifests(example()).filter((m) => m.apiVersion.startsWith('external-secrets.io/')
      || m.metadata?.namespace === 'external-secrets' || m.metadata?.name === 'external-secrets' || m.metadata?.name?.startsWith('aws-secrets-reader'));
    // WHEN
    const input = asInput(objects);
    // THEN
    expect(objects.map((m) => m.kind)).toEqual(expect.arrayContaining(['SecretStore', 'ServiceAccount', 'Role', 'RoleBinding', 'ExternalSecret', 'HelmRelease', 'HelmRepository', 'Namespace']));
    expect(checkSchema(input, registry)).toEqual([]);
    expect(checkCel(input, registry)).toEqual([]);
    expect(checkPolicies(input, []).filter((f) => f.severity === 'error')).toEqual([]);
  });
});
