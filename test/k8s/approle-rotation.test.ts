import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../lib/config/load.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { type AlertGroup, appRoleRotationAlerts, ruleFile } from '../../lib/k8s/alert-rules.js';
import { AppRoleRotation, type AppRoleRotationProps } from '../../lib/k8s/approle-rotation.js';
import { APPROLE_ROTATION_SCRIPT } from '../../lib/k8s/backup-scripts.js';
import { toYaml } from '../../lib/output/yaml.js';
import { synthesizeKubernetes } from '../../lib/synth.js';
import { checkCel } from '../../lib/validate/cel-check.js';
import type { ValidationInput } from '../../lib/validate/findings.js';
import { checkPolicies } from '../../lib/validate/policies.js';
import { checkSchema } from '../../lib/validate/schema-check.js';
import { checkSecrets } from '../../lib/validate/secrets.js';
import { SchemaRegistry } from '../../lib/validate/schemas.js';
import { EXAMPLE_CONFIG } from '../support/cli.js';
import { manifestsOf, only, testChart, yamlOf } from '../support/k8s.js';
import { checkRules, findPromtool, testRules } from '../support/promtool.js';

const ROLE_ARN = 'arn:aws:iam::123456789012:role/prod-approle-rotation';
const CHAIN = readFileSync(new URL('../fixtures/example/pki/ca-chain.pem', import.meta.url), 'utf8');
const ROOT = CHAIN.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!.at(-1)!;
const DAY = 86_400;

const PROPS: AppRoleRotationProps = {
  clusterName: 'prod',
  targets: [
    {
      appRole: { name: 'cert-manager', mount: 'approle', secretIdTtlSeconds: 90 * DAY },
      remoteKey: 'gateway-pki/prod/vault-approle/cert-manager',
      namespace: 'cert-manager', externalSecretName: 'vault-approle', secretName: 'vault-approle', secretKey: 'secretId',
    },
    {
      appRole: { name: 'vault-snapshot', mount: 'approle', secretIdTtlSeconds: 30 * DAY },
      remoteKey: 'gateway-pki/prod/vault-approle/vault-snapshot',
      namespace: 'vault-backup', externalSecretName: 'vault-snapshot-approle', secretName: 'vault-snapshot-approle', secretKey: 'secretId',
    },
  ],
  schedule: '17 5 * * 1',
  vault: { address: 'https://vault.priv.example.com:8200', serverName: 'vault.priv.example.com', engine: 'vault', image: 'hashicorp/vault:1.21.1' },
  awsAuth: { path: 'aws', role: 'approle-rotation-prod', serverId: 'vault.priv.example.com', region: 'eu-west-3' },
  awsCliImage: 'amazon/aws-cli:2.31.0',
  region: 'eu-west-3',
  awsIdentity: { type: 'irsa', roleArn: ROLE_ARN },
  caConfigMap: { name: 'private-ca', key: 'ca.crt' },
  trustNamespaceLabels: { 'gateway-pki.io/private-ca': 'true' },
};

const POD = (cronJob: any) => cronJob.spec.jobTemplate.spec.template.spec;
const envOf = (container: any): Record<string, string> => Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));

function rotationChart(props: Partial<AppRoleRotationProps> = {}) {
  const chart = testChart();
  new AppRoleRotation(chart, 'AppRoleRotation', { ...PROPS, ...props });
  return chart;
}

const example = (): PlatformConfig => parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG);
const synth = (config: PlatformConfig) => synthesizeKubernetes(config, { vaultCaBundle: CHAIN, trustRoots: ROOT });

let registry: SchemaRegistry;
beforeAll(() => { registry = SchemaRegistry.load(); });

describe('AppRoleRotation', () => {
  test('default configuration (text snapshot of the layer)', () => {
    expect(yamlOf(rotationChart())).toMatchSnapshot();
  });

  test('every object is valid against its schema and CEL rules, and passes every security policy and the secrets scan', () => {
    const objects = manifestsOf(rotationChart());
    const input: ValidationInput = {
      manifests: objects.map((object) => ({ file: 'dist/c/approle-rotation/x.yaml', object })),
      files: new Map(objects.map((object, i) => [`dist/c/approle-rotation/${i}.yaml`, toYaml(object)])),
      terraform: [],
    };
    expect(checkSchema(input, registry)).toEqual([]);
    expect(checkCel(input, registry)).toEqual([]);
    expect(checkPolicies(input)).toEqual([]);
    expect(checkSecrets(input)).toEqual([]);
    expect(objects.map((m) => `${m.kind} ${m.metadata.namespace ?? ''}/${m.metadata.name}`)).toEqual([
      'Namespace /vault-approle-rotation', 'ServiceAccount vault-approle-rotation/approle-rotation', 'ConfigMap vault-approle-rotation/approle-rotation-script',
      'Role cert-manager/approle-rotation-cert-manager', 'RoleBinding cert-manager/approle-rotation-cert-manager',
      'CronJob vault-approle-rotation/rotate-cert-manager-secret-id',
      'Role vault-backup/approle-rotation-vault-snapshot', 'RoleBinding vault-backup/approle-rotation-vault-snapshot',
      'CronJob vault-approle-rotation/rotate-vault-snapshot-secret-id',
    ]);
  });

  test('one CronJob per AppRole: weekly in UTC, one run at a time, the four steps in order, a failed step stopping the run', () => {
    const chart = rotationChart();
    const job = only(chart, 'CronJob', 'rotate-cert-manager-secret-id');
    expect(job.spec).toMatchObject({ schedule: '17 5 * * 1', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid' });
    const pod = POD(job);
    expect(pod.initContainers.map((c: any) => [c.name, c.image, c.command.at(-1)])).toEqual([
      ['credentials', 'amazon/aws-cli:2.31.0', 'credentials'],
      ['register', 'hashicorp/vault:1.21.1', 'register'],
      ['publish', 'amazon/aws-cli:2.31.0', 'publish'],
    ]);
    expect(pod.containers.map((c: any) => [c.name, c.image])).toEqual([['revoke', 'hashicorp/vault:1.21.1']]);
    expect(pod.restartPolicy).toBe('Never');
    expect(envOf(pod.initContainers[1])).toMatchObject({
      VAULT_ADDR: 'https://vault.priv.example.com:8200', VAULT_CACERT: '/etc/ssl/private-ca/ca.crt', VAULT_TLS_SERVER_NAME: 'vault.priv.example.com',
      AWS_AUTH_PATH: 'aws', AWS_AUTH_ROLE: 'approle-rotation-prod', AWS_AUTH_SERVER_ID: 'vault.priv.example.com', AWS_AUTH_REGION: 'eu-west-3',
      APPROLE_MOUNT: 'approle', APPROLE_NAME: 'cert-manager', CLUSTER_NAME: 'prod',
    });
    expect(envOf(pod.initContainers[2])).toMatchObject({
      SECRET_ID_NAME: 'gateway-pki/prod/vault-approle/cert-manager', EXTERNAL_SECRET_NAMESPACE: 'cert-manager', EXTERNAL_SECRET_NAME: 'vault-approle',
      SECRET_NAME: 'vault-approle', SECRET_KEY: 'secretId', SYNC_TIMEOUT_SECONDS: '300',
    });
    expect(envOf(POD(only(chart, 'CronJob', 'rotate-vault-snapshot-secret-id')).initContainers[2])).toMatchObject({
      SECRET_ID_NAME: 'gateway-pki/prod/vault-approle/vault-snapshot', EXTERNAL_SECRET_NAMESPACE: 'vault-backup', SECRET_NAME: 'vault-snapshot-approle',
    });
    expect(only(chart, 'ConfigMap').data['approle-rotation.sh']).toBe(APPROLE_ROTATION_SCRIPT);
    expect(only(chart, 'ConfigMap').metadata.annotations).toEqual({ 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' });
  });

  test('restricted pods, non-root, read-only, bounded; the secret id and AWS keys in memory only; only publish holds a Kubernetes token', () => {
    const pod = POD(only(rotationChart(), 'CronJob', 'rotate-cert-manager-secret-id'));
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    for (const container of [...pod.initContainers, ...pod.containers]) {
      expect(container.securityContext, container.name).toEqual({
        allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(Object.keys(container.resources.limits).sort(), container.name).toEqual(['cpu', 'ephemeral-storage', 'memory']);
      const kube = container.volumeMounts.some((m: any) => m.name === 'kubernetes-api');
      expect(kube, container.name).toBe(container.name === 'publish');
    }
    expect(pod.volumes.find((v: any) => v.name === 'work').emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1Mi' });
    expect(pod.volumes.find((v: any) => v.name === 'kubernetes-api').projected.sources[0]).toEqual({ serviceAccountToken: { path: 'token', expirationSeconds: 600 } });
    // The Vault CLI containers get no credentials from the EKS webhook.
    expect(only(rotationChart(), 'CronJob', 'rotate-cert-manager-secret-id').spec.jobTemplate.spec.template.metadata.annotations)
      .toEqual({ 'eks.amazonaws.com/skip-containers': 'register,revoke' });
  });

  test('RBAC: in each target namespace, get and patch of its one ExternalSecret and get of its one Secret, bound to the jobs\' service account', () => {
    const chart = rotationChart();
    expect(only(chart, 'Role', 'approle-rotation-vault-snapshot')).toMatchObject({
      metadata: { namespace: 'vault-backup' },
      rules: [
        { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], resourceNames: ['vault-snapshot-approle'], verbs: ['get', 'patch'] },
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['vault-snapshot-approle'], verbs: ['get'] },
      ],
    });
    expect(only(chart, 'RoleBinding', 'approle-rotation-cert-manager')).toMatchObject({
      metadata: { namespace: 'cert-manager' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'approle-rotation-cert-manager' },
      subjects: [{ kind: 'ServiceAccount', name: 'approle-rotation', namespace: 'vault-approle-rotation' }],
    });
    expect(only(chart, 'ServiceAccount').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': ROLE_ARN });
    expect(only(rotationChart({ awsIdentity: { type: 'pod-identity' } }), 'ServiceAccount').metadata.annotations).toBeUndefined();
  });

  test('OpenBao: the bao CLI and BAO_* variables', () => {
    const pod = POD(only(rotationChart({ vault: { ...PROPS.vault, engine: 'openbao', image: 'openbao/openbao:2.4.1' } }), 'CronJob', 'rotate-cert-manager-secret-id'));
    expect(envOf(pod.containers[0])).toMatchObject({ VAULT_CLI: 'bao', BAO_ADDR: 'https://vault.priv.example.com:8200', BAO_TLS_SERVER_NAME: 'vault.priv.example.com' });
  });

  test('refuses no target and an http:// Vault', () => {
    expect(() => rotationChart({ targets: [] })).toThrow('cluster prod: AppRole rotation needs at least one target');
    expect(() => rotationChart({ vault: { ...PROPS.vault, address: 'http://vault:8200' } })).toThrow(/must be an https:\/\/ URL/);
  });
});

describe('the approle-rotation layer in the platform', () => {
  test('the example rotates both AppRoles of its cluster, with the rotation role, default-deny egress and the alerts', () => {
    const objects = synth(example()).manifests.get('mycluster-0')!;
    const jobs = objects.filter((m: any) => m.kind === 'CronJob' && m.metadata.namespace === 'vault-approle-rotation');
    expect(jobs.map((j: any) => j.metadata.name)).toEqual(['rotate-cert-manager-secret-id', 'rotate-vault-snapshot-secret-id']);
    expect(objects.find((m: any) => m.kind === 'ServiceAccount' && m.metadata.name === 'approle-rotation').metadata.annotations)
      .toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/mycluster-0-approle-rotation' });
    const policies = objects.filter((m: any) => m.kind === 'NetworkPolicy' && m.metadata.namespace === 'vault-approle-rotation');
    expect(policies.map((p: any) => p.metadata.name)).toEqual(['default-deny', 'allow-dns', 'allow-egress-vault', 'allow-egress-https']);
    expect(policies.find((p: any) => p.metadata.name === 'allow-egress-vault').spec.egress[0].ports).toEqual([{ protocol: 'TCP', port: 8200 }]);
    const rule = objects.find((m: any) => m.kind === 'PrometheusRule' && m.metadata.name === 'approle-rotation');
    expect(rule.spec.groups[0].rules.map((r: any) => r.alert)).toEqual(['AppRoleSecretIdRotationFailed', 'AppRoleSecretIdRotationLate', 'AppRoleSecretIdExpiring']);
    // Weekly: late after two weeks and an hour; a 90-day secret id pages at 83 days.
    const late = rule.spec.groups[0].rules[1].expr;
    expect(late).toContain(`> ${2 * 7 * DAY + 3600}`);
    expect(rule.spec.groups[0].rules[2].expr).toContain(`> ${83 * DAY}`);
  });

  test('never waits for the backup layer (Ready only once the job made its secret id): the snapshot grant ships with the backup namespace', () => {
    const rendered = synth(example());
    const kinds = (name: string) => rendered.files.filter((f) => f.path.startsWith(`mycluster-0/${name}/`) && !f.path.endsWith('/kustomization.yaml'))
      .map((f) => parse(f.content)).map((m: any) => `${m.kind} ${m.metadata.namespace}/${m.metadata.name}`);
    expect(kinds('backup')).toEqual(expect.arrayContaining(['Role vault-backup/approle-rotation-vault-snapshot', 'RoleBinding vault-backup/approle-rotation-vault-snapshot']));
    expect(kinds('approle-rotation')).toEqual(expect.arrayContaining(['Role cert-manager/approle-rotation-cert-manager']));
    expect(kinds('approle-rotation').some((k: string) => k.includes('vault-backup/'))).toBe(false);
    const flux = rendered.manifests.get('mycluster-0')!.find((m: any) => m.kind === 'Kustomization' && m.metadata.name === 'approle-rotation');
    expect(flux.spec.dependsOn.map((d: any) => d.name)).toEqual(['secrets', 'trust']);
  });

  test('Kubernetes auth and a backup: only the snapshot secret id rotates, after controllers (no secrets layer then) and trust', () => {
    const config = example();
    const rendered = synth({ ...config, vault: { ...config.vault, auth: { kubernetes: { role: 'cert-manager' } } } });
    const objects = rendered.manifests.get('mycluster-0')!;
    expect(objects.filter((m: any) => m.kind === 'CronJob' && m.metadata.namespace === 'vault-approle-rotation').map((m: any) => m.metadata.name))
      .toEqual(['rotate-vault-snapshot-secret-id']);
    const flux = objects.find((m: any) => m.kind === 'Kustomization' && m.metadata.name === 'approle-rotation');
    expect(flux.spec.dependsOn.map((d: any) => d.name)).toEqual(['controllers', 'trust']);
    expect(objects.some((m: any) => m.kind === 'Role' && m.metadata.namespace === 'cert-manager' && m.metadata.name.startsWith('approle-rotation'))).toBe(false);
  });

  test('rotation off, or no AppRole delivered (Kubernetes auth and no backup), or no vaultCluster: no layer, no alerts', () => {
    const layers = (config: PlatformConfig) => synth(config).folders.map((f) => f.folder);
    const config = example();
    const off = { ...config, vault: { ...config.vault, setup: { ...config.vault.setup, appRoleRotation: { enabled: false } } } };
    expect(layers(off)).not.toContain('mycluster-0/approle-rotation');
    expect(synth(off).manifests.get('mycluster-0')!.some((m: any) => m.kind === 'PrometheusRule' && m.metadata.name === 'approle-rotation')).toBe(false);
    const { backup: _backup, ...noBackup } = config;
    const kubernetesAuth = { ...noBackup, vault: { ...config.vault, auth: { kubernetes: { role: 'cert-manager' } } } };
    expect(layers(kubernetesAuth)).not.toContain('mycluster-0/approle-rotation');
  });
});

describe('rotation alerts (promtool)', () => {
  const group = appRoleRotationAlerts({
    namespace: 'vault-approle-rotation',
    cronJobs: [
      { cronJob: 'rotate-cert-manager-secret-id', appRole: 'cert-manager', lateAfterSeconds: 2 * 7 * DAY + 3600, expiringAfterSeconds: 83 * DAY },
      { cronJob: 'rotate-vault-snapshot-secret-id', appRole: 'vault-snapshot', lateAfterSeconds: 2 * 7 * DAY + 3600, expiringAfterSeconds: 23 * DAY },
    ],
  });
  const promtool = (): string => {
    const found = findPromtool();
    expect(found, 'promtool is required (Debian package prometheus; .ci/run installs it)').toBeDefined();
    return found!;
  };
  const ksm = { job: 'kube-state-metrics', namespace: 'vault-approle-rotation' };
  const series = (name: string, labels: Record<string, string>) =>
    `${name}{${Object.entries({ ...ksm, ...labels }).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
  const labelsOf = (cronjob: string) => ({ ...ksm, cronjob });
  const annotations = (g: AlertGroup, alert: string, labels: Record<string, string>) => {
    const rule = g.rules.find((r) => r.alert === alert)!;
    const expand = (text: string) => text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, name: string) => labels[name] ?? '');
    return { summary: expand(rule.summary), description: expand(rule.description) };
  };

  test('the rules are valid (promtool check rules)', () => {
    const result = checkRules(promtool(), ruleFile([group]));
    expect(result.output).toContain('SUCCESS: 3 rules found');
    expect(result.ok).toBe(true);
  });

  test('late after two missed runs; expiring, critical, per AppRole lifetime; quiet while runs succeed', () => {
    // At t=0 the cert-manager job last succeeded 15 days ago, the snapshot one 24 days ago; another CronJob is ignored.
    const result = testRules(promtool(), ruleFile([group]), [{
      interval: '1m',
      input_series: [
        { series: series('kube_cronjob_status_last_successful_time', { cronjob: 'rotate-cert-manager-secret-id' }), values: `${-15 * DAY}x30` },
        { series: series('kube_cronjob_created', { cronjob: 'rotate-cert-manager-secret-id' }), values: `${-100 * DAY}x30` },
        { series: series('kube_cronjob_status_last_successful_time', { cronjob: 'rotate-vault-snapshot-secret-id' }), values: `${-24 * DAY}x30` },
        { series: series('kube_cronjob_created', { cronjob: 'rotate-vault-snapshot-secret-id' }), values: `${-100 * DAY}x30` },
        { series: series('kube_cronjob_status_last_successful_time', { cronjob: 'something-else' }), values: `${-90 * DAY}x30` },
      ],
      alert_rule_test: [
        {
          eval_time: '15m',
          alertname: 'AppRoleSecretIdRotationLate',
          exp_alerts: ['rotate-cert-manager-secret-id', 'rotate-vault-snapshot-secret-id'].map((cronjob) => ({
            exp_labels: { severity: 'warning', namespace: 'vault-approle-rotation', cronjob },
            exp_annotations: annotations(group, 'AppRoleSecretIdRotationLate', labelsOf(cronjob)),
          })),
        },
        {
          eval_time: '15m',
          alertname: 'AppRoleSecretIdExpiring',
          exp_alerts: [{
            exp_labels: { severity: 'critical', namespace: 'vault-approle-rotation', cronjob: 'rotate-vault-snapshot-secret-id' },
            exp_annotations: annotations(group, 'AppRoleSecretIdExpiring', labelsOf('rotate-vault-snapshot-secret-id')),
          }],
        },
      ],
    }, {
      interval: '1m',
      input_series: [
        { series: series('kube_cronjob_status_last_successful_time', { cronjob: 'rotate-cert-manager-secret-id' }), values: `${-6 * DAY}x30` },
        { series: series('kube_cronjob_created', { cronjob: 'rotate-cert-manager-secret-id' }), values: `${-100 * DAY}x30` },
        { series: series('kube_cronjob_created', { cronjob: 'rotate-vault-snapshot-secret-id' }), values: `${-1 * DAY}x30` },
      ],
      alert_rule_test: [
        { eval_time: '15m', alertname: 'AppRoleSecretIdRotationLate', exp_alerts: [] },
        { eval_time: '15m', alertname: 'AppRoleSecretIdExpiring', exp_alerts: [] },
      ],
    }]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  test('never succeeded since created long ago counts as late; a failed rotation Job warns until a later run succeeds', () => {
    const failed = { job_name: 'rotate-cert-manager-secret-id-29000000' };
    const labels = { ...ksm, ...failed, condition: 'true' };
    const result = testRules(promtool(), ruleFile([group]), [{
      interval: '1m',
      input_series: [
        { series: series('kube_cronjob_created', { cronjob: 'rotate-vault-snapshot-secret-id' }), values: `${-20 * DAY}x60` },
        { series: series('kube_job_failed', { ...failed, condition: 'true' }), values: '1x60' },
        { series: series('kube_job_owner', { ...failed, owner_kind: 'CronJob', owner_name: 'rotate-cert-manager-secret-id', owner_is_controller: 'true' }), values: '1x60' },
        { series: series('kube_job_status_start_time', failed), values: '60x60' },
        { series: series('kube_cronjob_status_last_successful_time', { cronjob: 'rotate-cert-manager-secret-id' }), values: `${-DAY}x29 1800x30` },
        { series: series('kube_cronjob_created', { cronjob: 'rotate-cert-manager-secret-id' }), values: `${-100 * DAY}x60` },
      ],
      alert_rule_test: [
        {
          eval_time: '15m',
          alertname: 'AppRoleSecretIdRotationLate',
          exp_alerts: [{
            exp_labels: { severity: 'warning', namespace: 'vault-approle-rotation', cronjob: 'rotate-vault-snapshot-secret-id' },
            exp_annotations: annotations(group, 'AppRoleSecretIdRotationLate', labelsOf('rotate-vault-snapshot-secret-id')),
          }],
        },
        { eval_time: '15m', alertname: 'AppRoleSecretIdRotationFailed', exp_alerts: [{ exp_labels: { severity: 'warning', ...labels }, exp_annotations: annotations(group, 'AppRoleSecretIdRotationFailed', labels) }] },
        { eval_time: '40m', alertname: 'AppRoleSecretIdRotationFailed', exp_alerts: [] },
      ],
    }]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  test('refuses thresholds that would page before they warn', () => {
    expect(() => appRoleRotationAlerts({ namespace: 'n', cronJobs: [{ cronJob: 'c', appRole: 'a', lateAfterSeconds: 10 * DAY, expiringAfterSeconds: 5 * DAY }] }))
      .toThrow('rotation alerts of c: expected whole seconds with 0 < late < expiring, got late 864000 and expiring 432000');
    expect(() => appRoleRotationAlerts({ namespace: 'n', cronJobs: [] })).toThrow('at least one CronJob');
  });
});
