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

const CHAIN = readFileSync(new URL('../../config/pki/ca-chain.pem', import.meta.url), 'utf8');
const ROOT = CHAIN.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!.at(-1)!;
const example = (): PlatformConfig => parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG);
const manifests = (config: PlatformConfig, cluster = 'mycluster-0'): readonly any[] =>
  synthesizeKubernetes(config, { vaultCaBundle: CHAIN, trustRoots: ROOT }).manifests.get(cluster)!;
const ROLE_ARN = 'arn:aws:iam::123456789012:role/mycluster-0-external-secrets';

let registry: SchemaRegistry;
beforeAll(() => { registry = SchemaRegistry.load(); });

/** The objects as `npm run validate` reads them, for the product's own schema, CEL and reference checks. */
function asInput(objects: readonly any[]): ValidationInput {
  return { manifests: objects.map((object) => ({ file: 'dist/c/layer/x.yaml', object })), files: new Map(), terraform: [] };
}

describe('ExternalSecretsOperator', () => {
  test('default configuration: pinned chart, CRDs, hardened pods, two replicas with budgets, IRSA annotation', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    new ExternalSecretsOperator(chart, 'ExternalSecrets', { version: '2.9.0', awsIdentity: { type: 'irsa', roleArn: ROLE_ARN } });
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
    expect(values.serviceAccount).toEqual({ create: true, name: 'external-secrets', annotations: { 'eks.amazonaws.com/role-arn': ROLE_ARN } });
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

  test('pod identity: no annotation on the service account, whose name stays fixed', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    new ExternalSecretsOperator(chart, 'ExternalSecrets', { version: '2.9.0', awsIdentity: { type: 'pod-identity' } });
    // THEN
    expect(only(chart, 'HelmRelease').spec.values.serviceAccount).toEqual({ create: true, name: 'external-secrets' });
  });
});

describe('AwsSecretsManagerStore and AppRoleSecretId', () => {
  test('default configuration: a store on Secrets Manager with ambient credentials, open to the namespaces given only', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    const store = new AwsSecretsManagerStore(chart, 'Store', { region: 'eu-west-3', namespaces: ['cert-manager'] });
    new AppRoleSecretId(chart, 'SecretId', {
      store, remoteKey: 'gateway-pki/c/vault-approle/cert-manager', namespace: 'cert-manager', secretName: 'vault-approle', secretKey: 'secretId',
    });
    // THEN
    expect(yamlOf(chart)).toMatchSnapshot();
    const storeObject = only(chart, 'ClusterSecretStore', 'aws-secrets-manager');
    expect(storeObject.apiVersion).toBe('external-secrets.io/v1');
    expect(storeObject.spec).toEqual({
      conditions: [{ namespaces: ['cert-manager'] }],
      provider: { aws: { service: 'SecretsManager', region: 'eu-west-3' } },
    });
    const secret = only(chart, 'ExternalSecret', 'vault-approle');
    expect(secret.apiVersion).toBe('external-secrets.io/v1');
    // Owner of the AppRole Secret: a prune would delete it, so Flux never prunes the ExternalSecret.
    expect(secret.metadata.annotations).toEqual({ 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });
    expect(secret.spec).toEqual({
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: 'aws-secrets-manager' },
      target: { name: 'vault-approle', creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      data: [{ secretKey: 'secretId', remoteRef: { key: 'gateway-pki/c/vault-approle/cert-manager' } }],
    });
    // No credentials of any kind in the store: the operator's IRSA or Pod Identity role is used.
    expect(JSON.stringify(storeObject)).not.toMatch(/secretRef|accessKey|auth/);
  });

  test('the objects are valid against the External Secrets CRDs (v2.9.0) and their CEL rules', () => {
    // GIVEN
    const chart = testChart();
    const store = new AwsSecretsManagerStore(chart, 'Store', { region: 'eu-west-3', namespaces: ['cert-manager', 'vault-backup'] });
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

  test('fails when no namespace may use the store', () => {
    expect(() => new AwsSecretsManagerStore(testChart(), 'Store', { region: 'eu-west-3', namespaces: [] }))
      .toThrow('secret store \'aws-secrets-manager\' needs at least one namespace allowed to use it');
  });
});

describe('ClusterPlatform with External Secrets', () => {
  test('the example: the operator in controllers (health-checked), a secrets layer after it with the store and cert-manager\'s ExternalSecret', () => {
    // GIVEN / WHEN
    const objects = manifests(example());
    // THEN
    const kustomization = (name: string) => objects.find((m) => m.kind === 'Kustomization' && m.metadata.name === name && m.apiVersion.startsWith('kustomize.toolkit'));
    expect(kustomization('controllers').spec.healthChecks.map((h: any) => `${h.kind}/${h.namespace}/${h.name}`))
      .toContain('HelmRelease/external-secrets/external-secrets');
    expect(kustomization('secrets').spec.dependsOn).toEqual([{ name: 'controllers', namespace: 'flux-system' }]);
    expect(kustomization('secrets').spec.healthChecks).toEqual([{ apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', name: 'aws-secrets-manager' }]);
    const release = objects.find((m) => m.kind === 'HelmRelease' && m.metadata.name === 'external-secrets');
    expect(release.spec.values.serviceAccount.annotations).toEqual({ 'eks.amazonaws.com/role-arn': ROLE_ARN });
    // The ExternalSecret creates exactly the Secret the Vault ClusterIssuer reads.
    const issuer = objects.find((m) => m.kind === 'ClusterIssuer' && m.metadata.name === 'vault');
    const secret = objects.find((m) => m.kind === 'ExternalSecret' && m.metadata.namespace === 'cert-manager');
    expect(secret.spec.target.name).toBe(issuer.spec.vault.auth.appRole.secretRef.name);
    expect(secret.spec.data[0].secretKey).toBe(issuer.spec.vault.auth.appRole.secretRef.key);
    expect(secret.spec.data[0].remoteRef.key).toBe('gateway-pki/mycluster-0/vault-approle/cert-manager');
    // The backup namespace may use the store too, since the backup runs in this cluster.
    expect(objects.find((m) => m.kind === 'ClusterSecretStore').spec.conditions).toEqual([{ namespaces: ['cert-manager', 'vault-backup'] }]);
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

  test('Kubernetes auth with the backup in the cluster: the store serves the backup namespace only, with no cert-manager ExternalSecret', () => {
    // GIVEN
    const config = example();
    // WHEN
    const objects = manifests({ ...config, vault: { ...config.vault, auth: { kubernetes: { role: 'cert-manager' } } } });
    // THEN
    expect(objects.find((m) => m.kind === 'ClusterSecretStore').spec.conditions).toEqual([{ namespaces: ['vault-backup'] }]);
    expect(objects.filter((m) => m.kind === 'ExternalSecret').map((m) => m.metadata.namespace)).not.toContain('cert-manager');
  });

  test('pod identity: the operator\'s service account carries no role annotation', () => {
    // GIVEN
    const config = example();
    const cluster = { ...config.clusters[0]!, workloadIdentity: { type: 'pod-identity' as const } };
    // WHEN
    const objects = manifests({ ...config, clusters: [cluster] });
    // THEN
    expect(objects.find((m) => m.kind === 'HelmRelease' && m.metadata.name === 'external-secrets').spec.values.serviceAccount)
      .toEqual({ create: true, name: 'external-secrets' });
  });

  test('the synthesized objects pass the schema, CEL, reference and security checks of npm run validate', () => {
    // GIVEN
    const objects = manifests(example()).filter((m) => m.apiVersion.startsWith('external-secrets.io/')
      || m.metadata?.namespace === 'external-secrets' || m.metadata?.name === 'external-secrets');
    // WHEN
    const input = asInput(objects);
    // THEN
    expect(objects.map((m) => m.kind)).toEqual(expect.arrayContaining(['ClusterSecretStore', 'ExternalSecret', 'HelmRelease', 'HelmRepository', 'Namespace']));
    expect(checkSchema(input, registry)).toEqual([]);
    expect(checkCel(input, registry)).toEqual([]);
    expect(checkPolicies(input, []).filter((f) => f.severity === 'error')).toEqual([]);
  });
});
