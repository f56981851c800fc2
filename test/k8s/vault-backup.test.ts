import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../lib/config/load.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { type AlertGroup, ruleFile, vaultBackupAlerts } from '../../lib/k8s/alert-rules.js';
import { JOB_LIB_SCRIPT, VAULT_BACKUP_SCRIPT } from '../../lib/k8s/backup-scripts.js';
import { AwsSecretsManagerStore } from '../../lib/k8s/external-secrets.js';
import {
  APPROLE_SECRET, BACKUP_SCRIPTS_CONFIGMAP, FLUX_SUBSTITUTE_ANNOTATION, SNAPSHOT_CRONJOB, VaultBackup, type VaultBackupProps, VERIFY_CRONJOB,
} from '../../lib/k8s/vault-backup.js';
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

const ROLE_ARN = 'arn:aws:iam::123456789012:role/mycluster-0-vault-backup';
const KEY_ALIAS = 'arn:aws:kms:eu-west-3:123456789012:alias/123456789012-eu-west-3-vault-snapshots';
const CHAIN = readFileSync(new URL('../fixtures/example/pki/ca-chain.pem', import.meta.url), 'utf8');
const ROOT = CHAIN.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!.at(-1)!;

const READER_ARN = 'arn:aws:iam::123456789012:role/mycluster-0-vault-snapshot-secret-id';

const PROPS: Omit<VaultBackupProps, 'secretStore'> = {
  trustNamespaceLabels: { 'gateway-pki.io/private-ca': 'true' },
  caConfigMap: { name: 'private-ca', key: 'ca.crt' },
  awsIdentity: { type: 'irsa', roleArn: ROLE_ARN },
  secretIdRemoteKey: 'gateway-pki/mycluster-0/vault-approle/vault-snapshot',
  source: {
    address: 'https://vault.priv.example.com:8200',
    engine: 'vault',
    image: 'hashicorp/vault:1.21.1',
    snapshotInspect: true,
    roleId: '0b7e2c4a-9d3f-4c61-8e5a-2f1d7c9b4e60',
  },
  store: { bucket: '123456789012-eu-west-3-vault-snapshots', keyPrefix: 'raft', kmsKeyId: KEY_ALIAS, region: 'eu-west-3' },
  awsCliImage: 'amazon/aws-cli:2.31.0',
};

const POD = (cronJob: any) => cronJob.spec.jobTemplate.spec.template.spec;
const containersOf = (cronJob: any): any[] => [...POD(cronJob).initContainers, ...POD(cronJob).containers];
const envOf = (container: any): Record<string, string> => Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));

/** The backup objects, with the SecretStore of their namespace (by default; `props.secretStore` overrides it). */
function backupChart(props: Partial<VaultBackupProps> = {}) {
  const chart = testChart();
  const secretStore = new AwsSecretsManagerStore(chart, 'SecretStore', { region: 'eu-west-3', namespace: props.namespace ?? 'vault-backup', roleArn: READER_ARN });
  new VaultBackup(chart, 'VaultBackup', { ...PROPS, secretStore, ...props });
  return chart;
}

const example = (): PlatformConfig => parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG);
const synth = (config: PlatformConfig) => synthesizeKubernetes(config, { vaultCaBundle: CHAIN, trustRoots: ROOT });

let registry: SchemaRegistry;
beforeAll(() => { registry = SchemaRegistry.load(); });

function asInput(objects: readonly any[]): ValidationInput {
  return {
    manifests: objects.map((object) => ({ file: 'dist/c/backup/x.yaml', object })),
    files: new Map(objects.map((object, i) => [`dist/c/backup/${i}.yaml`, toYaml(object)])),
    terraform: [],
  };
}

describe('VaultBackup', () => {
  test('default configuration (text snapshot of the layer)', () => {
    expect(yamlOf(backupChart())).toMatchSnapshot();
  });

  test('every object is valid against its schema and CEL rules, and passes every security policy and the secrets scan', () => {
    // GIVEN
    const input = asInput(manifestsOf(backupChart()));
    // THEN
    expect(checkSchema(input, registry)).toEqual([]);
    expect(checkCel(input, registry)).toEqual([]);
    expect(checkPolicies(input)).toEqual([]);
    expect(checkSecrets(input)).toEqual([]);
    expect(manifestsOf(backupChart()).map((m) => `${m.kind} ${m.metadata.name}`)).toEqual([
      // The namespace's SecretStore, beside the jobs (backupChart adds it).
      'ServiceAccount aws-secrets-reader', 'Role aws-secrets-reader-token-request', 'RoleBinding aws-secrets-reader-token-request',
      'SecretStore aws-secrets-manager',
      'Namespace vault-backup', 'ServiceAccount vault-backup', 'ExternalSecret vault-snapshot-approle',
      'ConfigMap vault-backup-scripts', 'CronJob vault-snapshot', 'CronJob vault-snapshot-verify',
    ]);
  });

  test('the CronJobs: UTC schedule, one run at a time, bounded retries and run time, history kept for the logs', () => {
    const chart = backupChart();
    const snapshot = only(chart, 'CronJob', SNAPSHOT_CRONJOB);
    const verify = only(chart, 'CronJob', VERIFY_CRONJOB);
    expect(snapshot.spec).toMatchObject({
      schedule: '0 4 * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { spec: { backoffLimit: 2, activeDeadlineSeconds: 1800, ttlSecondsAfterFinished: 691200 } },
    });
    expect(verify.spec).toMatchObject({
      schedule: '0 6 * * 0',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 21600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { spec: { backoffLimit: 1, activeDeadlineSeconds: 1800, ttlSecondsAfterFinished: 691200 } },
    });
    for (const cronJob of [snapshot, verify]) {
      expect(POD(cronJob)).toMatchObject({ restartPolicy: 'Never', serviceAccountName: 'vault-backup', automountServiceAccountToken: false });
    }
  });

  test('every container: non-root, read-only root, no privilege escalation, no capability, seccomp, requests and limits, pinned image', () => {
    const chart = backupChart();
    for (const cronJob of [only(chart, 'CronJob', SNAPSHOT_CRONJOB), only(chart, 'CronJob', VERIFY_CRONJOB)]) {
      expect(POD(cronJob).securityContext).toEqual({
        runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, fsGroupChangePolicy: 'Always', seccompProfile: { type: 'RuntimeDefault' },
      });
      const containers = containersOf(cronJob);
      expect(containers).toHaveLength(2);
      for (const container of containers) {
        expect(container.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        // Ours, not cdk8s-plus's 1-1.5 CPU and 0.5-2 GiB for every container.
        expect(container.resources.requests.cpu).toBe('50m');
        expect(['64Mi', '128Mi']).toContain(container.resources.requests.memory);
        expect(container.imagePullPolicy).toBe('IfNotPresent');
        expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'ephemeral-storage', 'memory']);
        expect(Object.keys(container.resources.limits).sort()).toEqual(['cpu', 'ephemeral-storage', 'memory']);
        // The work emptyDir (2Gi) is reserved on the node and bounded with the rest of the pod's disk
        // (2560Mi, which cdk8s-plus writes in GiB).
        expect([container.resources.requests['ephemeral-storage'], container.resources.limits['ephemeral-storage']]).toEqual(['2Gi', '2.5Gi']);
        expect(container.image).toMatch(/^(hashicorp\/vault:1\.21\.1|amazon\/aws-cli:2\.31\.0)$/);
        expect(container.command.slice(0, 2)).toEqual(['/bin/sh', '/scripts/vault-backup.sh']);
      }
    }
  });

  test('the Vault CLI containers get no AWS credentials from the pod identity webhook (skip-containers); the AWS CLI ones do', () => {
    const chart = backupChart();
    const annotations = (name: string) => only(chart, 'CronJob', name).spec.jobTemplate.spec.template.metadata.annotations;
    expect(annotations(SNAPSHOT_CRONJOB)).toEqual({ 'eks.amazonaws.com/skip-containers': 'snapshot' });
    expect(annotations(VERIFY_CRONJOB)).toEqual({ 'eks.amazonaws.com/skip-containers': 'verify' });
    // The skipped names are exactly the containers running the Vault image.
    for (const name of [SNAPSHOT_CRONJOB, VERIFY_CRONJOB]) {
      const vault = containersOf(only(chart, 'CronJob', name)).filter((c) => c.image.startsWith('hashicorp/vault')).map((c) => c.name);
      expect(vault.join(',')).toBe(annotations(name)['eks.amazonaws.com/skip-containers']);
    }
  });

  test('snapshot: Vault image first (login, leader, save into the emptyDir), then the AWS CLI uploads with SSE-KMS', () => {
    const cronJob = only(backupChart(), 'CronJob', SNAPSHOT_CRONJOB);
    const [snapshot] = POD(cronJob).initContainers;
    const [upload] = POD(cronJob).containers;
    expect(snapshot.image).toBe('hashicorp/vault:1.21.1');
    expect(snapshot.command[2]).toBe('snapshot');
    expect(envOf(snapshot)).toEqual({
      WORK_DIR: '/work',
      HOME: '/tmp',
      VAULT_CLI: 'vault',
      VAULT_ADDR: 'https://vault.priv.example.com:8200',
      VAULT_CACERT: '/etc/ssl/private-ca/ca.crt',
      VAULT_TLS_SERVER_NAME: 'vault.priv.example.com',
      VAULT_CLIENT_TIMEOUT: '600s',
      APPROLE_MOUNT: 'approle',
      APPROLE_ROLE_ID: '0b7e2c4a-9d3f-4c61-8e5a-2f1d7c9b4e60',
      APPROLE_SECRET_ID_FILE: '/var/run/secrets/vault-snapshot/secretId',
    });
    expect(snapshot.volumeMounts.map((m: any) => m.name)).toEqual(['work', 'tmp', 'scripts', 'private-ca', 'approle']);
    expect(upload.image).toBe('amazon/aws-cli:2.31.0');
    expect(upload.command[2]).toBe('upload');
    expect(envOf(upload)).toEqual({
      WORK_DIR: '/work',
      HOME: '/tmp',
      AWS_REGION: 'eu-west-3',
      SNAPSHOT_BUCKET: '123456789012-eu-west-3-vault-snapshots',
      SNAPSHOT_PREFIX: 'raft',
      SNAPSHOT_KMS_KEY_ID: KEY_ALIAS,
    });
    // The upload container sees neither the secret id nor the CA: it talks to AWS only.
    expect(upload.volumeMounts.map((m: any) => m.name)).toEqual(['work', 'tmp', 'scripts']);
    expect(POD(cronJob).volumes).toEqual([
      // cdk8s-plus writes emptyDir sizes in MiB: 2048Mi is the 2Gi of the work volume.
      { name: 'work', emptyDir: { sizeLimit: '2048Mi' } },
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      { name: 'scripts', configMap: { name: BACKUP_SCRIPTS_CONFIGMAP } },
      { name: 'private-ca', configMap: { name: 'private-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { name: 'approle', secret: { secretName: APPROLE_SECRET, defaultMode: 0o440 } },
    ]);
  });

  test('verify: the AWS CLI fetches the newest snapshot, the Vault image checks it', () => {
    const cronJob = only(backupChart(), 'CronJob', VERIFY_CRONJOB);
    const [fetch] = POD(cronJob).initContainers;
    const [verify] = POD(cronJob).containers;
    expect([fetch.command[2], verify.command[2]]).toEqual(['fetch', 'verify']);
    expect(envOf(fetch)).toEqual({
      WORK_DIR: '/work', HOME: '/tmp', AWS_REGION: 'eu-west-3', SNAPSHOT_BUCKET: '123456789012-eu-west-3-vault-snapshots', SNAPSHOT_PREFIX: 'raft',
    });
    expect(envOf(verify)).toEqual({ WORK_DIR: '/work', HOME: '/tmp', VAULT_CLI: 'vault', SNAPSHOT_MAX_AGE_HOURS: '26', SNAPSHOT_INSPECT: 'true' });
    // Verification needs no Vault access at all: no secret, no token.
    expect(POD(cronJob).volumes.map((v: any) => v.name)).toEqual(['work', 'tmp', 'scripts']);
  });

  test('TLS to Vault is always verified: no *_SKIP_VERIFY anywhere, the CA is the private root', () => {
    const text = yamlOf(backupChart());
    expect(text).not.toMatch(/SKIP_VERIFY|tls-skip-verify|insecure/i);
    const snapshot = POD(only(backupChart(), 'CronJob', SNAPSHOT_CRONJOB)).initContainers[0];
    expect(envOf(snapshot).VAULT_CACERT).toBe('/etc/ssl/private-ca/ca.crt');
    expect(snapshot.volumeMounts).toContainEqual({ name: 'private-ca', mountPath: '/etc/ssl/private-ca', readOnly: true });
  });

  test('the script ConfigMap carries the script file, out of Flux variable substitution, as a readable block', () => {
    const chart = backupChart();
    const configMap = only(chart, 'ConfigMap', BACKUP_SCRIPTS_CONFIGMAP);
    expect(configMap.metadata.annotations).toEqual({ [FLUX_SUBSTITUTE_ANNOTATION]: 'disabled' });
    // The script, and the job library it sources from its own folder (/scripts).
    expect(configMap.data).toEqual({ 'vault-backup.sh': VAULT_BACKUP_SCRIPT, 'job-lib.sh': JOB_LIB_SCRIPT });
    expect(VAULT_BACKUP_SCRIPT).toContain('. "$(dirname "$0")/job-lib.sh"');
    expect(VAULT_BACKUP_SCRIPT).toContain('${');
    const text = toYaml(configMap);
    expect(text).toContain('  vault-backup.sh: |\n    #!/bin/sh\n');
    expect(parse(text, { version: '1.1' }).data['vault-backup.sh']).toBe(VAULT_BACKUP_SCRIPT);
  });

  test('the namespace enforces the restricted standard and asks trust-manager for the private root', () => {
    expect(only(backupChart(), 'Namespace', 'vault-backup').metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'gateway-pki',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'gateway-pki.io/private-ca': 'true',
    });
    const custom = backupChart({ namespace: 'backups', trustNamespaceLabels: { trust: 'private' } });
    expect(only(custom, 'Namespace', 'backups').metadata.labels.trust).toBe('private');
    expect(manifestsOf(custom).filter((m) => m.kind !== 'Namespace').every((m) => m.metadata.namespace === 'backups')).toBe(true);
  });

  test('the AppRole secret id comes from the namespace\'s own SecretStore, into the Secret the snapshot container mounts', () => {
    expect(only(backupChart(), 'ExternalSecret', APPROLE_SECRET).spec).toEqual({
      refreshInterval: '1h',
      secretStoreRef: { kind: 'SecretStore', name: 'aws-secrets-manager' },
      target: { name: APPROLE_SECRET, creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      data: [{ secretKey: 'secretId', remoteRef: { key: 'gateway-pki/mycluster-0/vault-approle/vault-snapshot' } }],
    });
  });

  test('fails when given the SecretStore of another namespace', () => {
    // GIVEN
    const chart = testChart();
    const secretStore = new AwsSecretsManagerStore(chart, 'SecretStore', { region: 'eu-west-3', namespace: 'cert-manager', roleArn: READER_ARN });
    // WHEN / THEN
    expect(() => new VaultBackup(chart, 'VaultBackup', { ...PROPS, secretStore }))
      .toThrow('\'secretStore\' must be the SecretStore of namespace \'vault-backup\', got one in \'cert-manager\' (an ExternalSecret reads from the store of its own namespace only)');
  });

  test('IRSA annotates the service account with the role; Pod Identity leaves it bare', () => {
    expect(only(backupChart(), 'ServiceAccount', 'vault-backup').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': ROLE_ARN });
    const podIdentity = only(backupChart({ awsIdentity: { type: 'pod-identity' } }), 'ServiceAccount', 'vault-backup');
    expect(podIdentity.metadata.annotations).toBeUndefined();
    expect(podIdentity.automountServiceAccountToken).toBe(false);
  });

  test('OpenBao: the bao CLI and the BAO_* variables', () => {
    const chart = backupChart({ source: { ...PROPS.source, engine: 'openbao', image: 'openbao/openbao:2.4.1', snapshotInspect: false } });
    const snapshot = POD(only(chart, 'CronJob', SNAPSHOT_CRONJOB)).initContainers[0];
    const env = envOf(snapshot);
    expect(env.VAULT_CLI).toBe('bao');
    expect(Object.keys(env).filter((k) => /^(VAULT|BAO)_/.test(k)).sort())
      .toEqual(['BAO_ADDR', 'BAO_CACERT', 'BAO_CLIENT_TIMEOUT', 'BAO_TLS_SERVER_NAME', 'VAULT_CLI']);
    expect(envOf(POD(only(chart, 'CronJob', VERIFY_CRONJOB)).containers[0]).SNAPSHOT_INSPECT).toBe('false');
  });

  test('schedules, maximum age, server name and AppRole mount come from the props', () => {
    const chart = backupChart({
      schedule: '30 1 * * *', verifySchedule: '0 12 * * 3', maxAgeHours: 48,
      source: { ...PROPS.source, serverName: 'vault.internal.example.net', appRoleMount: 'approle-eks' },
    });
    expect(only(chart, 'CronJob', SNAPSHOT_CRONJOB).spec.schedule).toBe('30 1 * * *');
    expect(only(chart, 'CronJob', VERIFY_CRONJOB).spec.schedule).toBe('0 12 * * 3');
    expect(envOf(POD(only(chart, 'CronJob', VERIFY_CRONJOB)).containers[0]).SNAPSHOT_MAX_AGE_HOURS).toBe('48');
    const env = envOf(POD(only(chart, 'CronJob', SNAPSHOT_CRONJOB)).initContainers[0]);
    expect(env.VAULT_TLS_SERVER_NAME).toBe('vault.internal.example.net');
    expect(env.APPROLE_MOUNT).toBe('approle-eks');
  });

  test('fails when a schedule is not a cron schedule', () => {
    expect(() => backupChart({ schedule: '0 25 * * *' }))
      .toThrow('\'schedule\' must be a cron schedule of 5 fields, got "0 25 * * *" (the hour field "25": 25 is outside 0-23)');
    expect(() => backupChart({ verifySchedule: 'weekly' }))
      .toThrow('\'verifySchedule\' must be a cron schedule of 5 fields, got "weekly" (1 field instead of 5)');
  });

  test('fails when the maximum age is not a positive whole number of hours', () => {
    expect(() => backupChart({ maxAgeHours: 0 })).toThrow('\'maxAgeHours\' must be a positive whole number of hours, got 0');
  });

  test('fails when an image is not pinned', () => {
    expect(() => backupChart({ awsCliImage: 'amazon/aws-cli:latest' }))
      .toThrow('\'awsCliImage\' must be pinned by a tag other than "latest" or by a digest, got "amazon/aws-cli:latest"');
    expect(() => backupChart({ source: { ...PROPS.source, image: 'hashicorp/vault' } }))
      .toThrow('\'source.image\' must be pinned by a tag other than "latest" or by a digest, got "hashicorp/vault"');
    expect(() => backupChart({ source: { ...PROPS.source, image: `hashicorp/vault@sha256:${'ab'.repeat(32)}` } })).not.toThrow();
  });

  test('fails when Vault\'s address is not https', () => {
    expect(() => backupChart({ source: { ...PROPS.source, address: 'http://vault.priv.example.com:8200' } }))
      .toThrow('\'source.address\' must be an https:// URL (Vault\'s certificate is always verified), got "http://vault.priv.example.com:8200"');
  });
});

describe('the backup layer in the platform', () => {
  test('the example synthesizes the backup layer in the backup cluster, after secrets and trust', () => {
    // WHEN
    const rendered = synth(example());
    const objects = rendered.manifests.get('mycluster-0')!;
    // THEN
    const files = rendered.files.map((f) => f.path).filter((p) => p.startsWith('mycluster-0/backup/')).sort();
    expect(files).toEqual([
      'mycluster-0/backup/configmap.vault-backup.vault-backup-scripts.yaml',
      'mycluster-0/backup/cronjob.vault-backup.vault-snapshot-verify.yaml',
      'mycluster-0/backup/cronjob.vault-backup.vault-snapshot.yaml',
      'mycluster-0/backup/externalsecret.vault-backup.vault-snapshot-approle.yaml',
      'mycluster-0/backup/kustomization.yaml',
      'mycluster-0/backup/namespace.vault-backup.yaml',
      'mycluster-0/backup/networkpolicy.vault-backup.allow-dns.yaml',
      'mycluster-0/backup/networkpolicy.vault-backup.allow-egress-aws-https.yaml',
      'mycluster-0/backup/networkpolicy.vault-backup.allow-egress-vault.yaml',
      'mycluster-0/backup/networkpolicy.vault-backup.default-deny.yaml',
      // The AppRole rotation job's rights on the snapshot secret id (approle-rotation.test.ts).
      'mycluster-0/backup/role.vault-backup.approle-rotation-vault-snapshot.yaml',
      'mycluster-0/backup/role.vault-backup.aws-secrets-reader-token-request.yaml',
      'mycluster-0/backup/rolebinding.vault-backup.approle-rotation-vault-snapshot.yaml',
      'mycluster-0/backup/rolebinding.vault-backup.aws-secrets-reader-token-request.yaml',
      'mycluster-0/backup/secretstore.vault-backup.aws-secrets-manager.yaml',
      'mycluster-0/backup/serviceaccount.vault-backup.aws-secrets-reader.yaml',
      'mycluster-0/backup/serviceaccount.vault-backup.vault-backup.yaml',
    ]);
    const layer = objects.find((m: any) => m.kind === 'Kustomization' && m.metadata.name === 'backup');
    expect(layer.spec.dependsOn.map((d: any) => d.name)).toEqual(['secrets', 'trust']);
    expect(layer.spec.path).toBe('./dist/mycluster-0/backup');
    // The namespace's own SecretStore, whose service account carries the snapshot secret id's reader
    // role; the jobs' service account carries the role the backup stack creates.
    expect(objects.filter((m: any) => m.kind === 'ClusterSecretStore')).toEqual([]);
    const store = objects.find((m: any) => m.kind === 'SecretStore' && m.metadata.namespace === 'vault-backup');
    expect(store.spec.provider.aws.auth).toEqual({ jwt: { serviceAccountRef: { name: 'aws-secrets-reader' } } });
    const reader = objects.find((m: any) => m.kind === 'ServiceAccount' && m.metadata.namespace === 'vault-backup' && m.metadata.name === 'aws-secrets-reader');
    expect(reader.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(READER_ARN);
    const sa = objects.find((m: any) => m.kind === 'ServiceAccount' && m.metadata.name === 'vault-backup');
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(ROLE_ARN);
    const snapshot = objects.find((m: any) => m.kind === 'CronJob' && m.metadata.name === SNAPSHOT_CRONJOB);
    expect(envOf(POD(snapshot).containers[0]).SNAPSHOT_KMS_KEY_ID).toBe(KEY_ALIAS);
    expect(POD(snapshot).initContainers[0].image).toBe('hashicorp/vault:1.21.1');
    expect(envOf(POD(objects.find((m: any) => m.metadata.name === VERIFY_CRONJOB)).containers[0]).SNAPSHOT_INSPECT).toBe('true');
  });

  test('images pinned by digest are rendered as configured, tag and digest (the kubelet pulls by the digest)', () => {
    // GIVEN a test digest (never a real one: nothing here can read a registry)
    const config = example();
    const vault = `hashicorp/vault:1.21.1@sha256:${'ab'.repeat(32)}`;
    const awsCli = `amazon/aws-cli:2.31.0@sha256:${'cd'.repeat(32)}`;
    // WHEN
    const objects = synth({ ...config, backup: { ...config.backup!, images: { vault, awsCli } } }).manifests.get('mycluster-0')!;
    // THEN
    for (const name of [SNAPSHOT_CRONJOB, VERIFY_CRONJOB]) {
      const cronJob = objects.find((m: any) => m.kind === 'CronJob' && m.metadata.name === name);
      expect(containersOf(cronJob).map((c) => c.image).sort()).toEqual([awsCli, vault]);
    }
    expect(checkPolicies({ manifests: objects.map((object: any) => ({ file: 'dist/x.yaml', object })), files: new Map(), terraform: [] })
      .filter((f) => f.rule === 'K8S-007')).toEqual([]);
  });

  test('the alerts go with the other rules, in the monitoring layer, with the configured maximum age', () => {
    const config = example();
    const objects = synth({ ...config, backup: { ...config.backup!, maxAgeHours: 30 } }).manifests.get('mycluster-0')!;
    const rule = objects.find((m: any) => m.kind === 'PrometheusRule' && m.metadata.name === 'vault-backup');
    expect(rule.metadata.namespace).toBe('x509-certificate-exporter');
    expect(rule.spec.groups[0].rules.map((r: any) => r.alert)).toEqual(['VaultBackupFailed', 'VaultBackupVerificationFailed', 'VaultBackupStale']);
    expect(rule.spec.groups[0].rules[2].expr).toContain('> 30 * 3600');
  });

  test('no alerts without monitoring (no prometheus-operator CRDs), no layer without backup', () => {
    const config = example();
    const unmonitored = synth({ ...config, clusters: [{ ...config.clusters[0]!, monitoring: { enabled: false } }] }).manifests.get('mycluster-0')!;
    expect(unmonitored.filter((m: any) => m.kind === 'PrometheusRule')).toEqual([]);
    expect(unmonitored.some((m: any) => m.kind === 'CronJob')).toBe(true);
    const { backup: _none, ...withoutBackup } = config;
    const bare = synth(withoutBackup as PlatformConfig);
    expect(bare.files.some((f) => f.path.includes('/backup/'))).toBe(false);
  });

  test('only the cluster backup.cluster names runs the jobs, with its own region and identity', () => {
    const config = example();
    const other = { ...config.clusters[0]!, name: 'mycluster-1', region: 'eu-west-1', workloadIdentity: { type: 'pod-identity' as const } };
    const rendered = synth({
      ...config,
      clusters: [config.clusters[0]!, other],
      applications: config.applications!.map((app) => ({ ...app, cluster: 'mycluster-0' })),
      backup: { ...config.backup!, cluster: 'mycluster-1' },
    });
    // mycluster-0 keeps its cert-manager AppRole rotation, and no backup job.
    expect(rendered.manifests.get('mycluster-0')!.filter((m: any) => m.kind === 'CronJob').map((m: any) => m.metadata.name)).toEqual(['rotate-cert-manager-secret-id']);
    const objects = rendered.manifests.get('mycluster-1')!;
    const snapshot = objects.find((m: any) => m.kind === 'CronJob' && m.metadata.name === SNAPSHOT_CRONJOB);
    expect(envOf(POD(snapshot).containers[0])).toMatchObject({
      AWS_REGION: 'eu-west-1',
      SNAPSHOT_BUCKET: '123456789012-eu-west-1-vault-snapshots',
      SNAPSHOT_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:alias/123456789012-eu-west-1-vault-snapshots',
    });
    expect(objects.find((m: any) => m.kind === 'ServiceAccount' && m.metadata.name === 'vault-backup').metadata.annotations).toBeUndefined();
  });
});

describe('backup alerts (promtool)', () => {
  const DAY = 86_400;
  const group = vaultBackupAlerts({ namespace: 'vault-backup', snapshotCronJob: SNAPSHOT_CRONJOB, verifyCronJob: VERIFY_CRONJOB, maxAgeHours: 26 });
  const promtool = (): string => {
    const found = findPromtool();
    expect(found, 'promtool is required (Debian package prometheus; .ci/run installs it)').toBeDefined();
    return found!;
  };
  const annotations = (g: AlertGroup, alert: string, labels: Record<string, string>) => {
    const rule = g.rules.find((r) => r.alert === alert)!;
    const expand = (text: string) => text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, name: string) => labels[name] ?? '');
    return { summary: expand(rule.summary), description: expand(rule.description) };
  };
  const ksm = { job: 'kube-state-metrics', namespace: 'vault-backup' };
  const series = (name: string, labels: Record<string, string>) =>
    `${name}{${Object.entries({ ...ksm, ...labels }).map(([k, v]) => `${k}="${v}"`).join(',')}}`;

  test('every rule passes promtool check rules', () => {
    const result = checkRules(promtool(), ruleFile([group]));
    expect(result.output).toContain('SUCCESS: 3 rules found');
    expect(result.ok).toBe(true);
  });

  test('a failed snapshot Job alerts until a later run of the CronJob succeeds', () => {
    // A Job started at t=600s fails; the CronJob last succeeded a day before, then again at t=1800s.
    const failed = { job_name: 'vault-snapshot-29000000' };
    const labels = { ...ksm, ...failed, condition: 'true' };
    const result = testRules(promtool(), ruleFile([group]), [{
      interval: '1m',
      input_series: [
        { series: series('kube_job_failed', { ...failed, condition: 'true' }), values: '0x9 1x50' },
        { series: series('kube_job_owner', { ...failed, owner_kind: 'CronJob', owner_name: SNAPSHOT_CRONJOB, owner_is_controller: 'true' }), values: '1x60' },
        { series: series('kube_job_status_start_time', failed), values: '600x60' },
        { series: series('kube_cronjob_status_last_successful_time', { cronjob: SNAPSHOT_CRONJOB }), values: `${-DAY}x29 1800x30` },
        { series: series('kube_cronjob_created', { cronjob: SNAPSHOT_CRONJOB }), values: `${-10 * DAY}x60` },
      ],
      alert_rule_test: [
        { eval_time: '9m', alertname: 'VaultBackupFailed', exp_alerts: [] },
        { eval_time: '15m', alertname: 'VaultBackupFailed', exp_alerts: [{ exp_labels: { severity: 'warning', ...labels }, exp_annotations: annotations(group, 'VaultBackupFailed', labels) }] },
        { eval_time: '15m', alertname: 'VaultBackupVerificationFailed', exp_alerts: [] },
        { eval_time: '35m', alertname: 'VaultBackupFailed', exp_alerts: [] },
      ],
    }]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  test('a failed verification Job alerts, critical; a failed Job of another CronJob does not', () => {
    const verify = { job_name: 'vault-snapshot-verify-29000000' };
    const other = { job_name: 'something-else-1' };
    const labels = { ...ksm, ...verify, condition: 'true' };
    const result = testRules(promtool(), ruleFile([group]), [{
      interval: '1m',
      input_series: [
        { series: series('kube_job_failed', { ...verify, condition: 'true' }), values: '1x20' },
        { series: series('kube_job_owner', { ...verify, owner_kind: 'CronJob', owner_name: VERIFY_CRONJOB, owner_is_controller: 'true' }), values: '1x20' },
        { series: series('kube_job_status_start_time', verify), values: '60x20' },
        { series: series('kube_job_failed', { ...other, condition: 'true' }), values: '1x20' },
        { series: series('kube_job_owner', { ...other, owner_kind: 'CronJob', owner_name: 'something-else', owner_is_controller: 'true' }), values: '1x20' },
        { series: series('kube_cronjob_status_last_successful_time', { cronjob: SNAPSHOT_CRONJOB }), values: '0x20' },
        { series: series('kube_cronjob_created', { cronjob: SNAPSHOT_CRONJOB }), values: '0x20' },
      ],
      alert_rule_test: [
        { eval_time: '5m', alertname: 'VaultBackupVerificationFailed', exp_alerts: [{ exp_labels: { severity: 'critical', ...labels }, exp_annotations: annotations(group, 'VaultBackupVerificationFailed', labels) }] },
        { eval_time: '5m', alertname: 'VaultBackupFailed', exp_alerts: [] },
      ],
    }]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  test('stale: no success for more than maxAgeHours, never a success since the CronJob exists, or no CronJob at all', () => {
    const cronJob = { cronjob: SNAPSHOT_CRONJOB };
    const labels = { namespace: 'vault-backup', cronjob: SNAPSHOT_CRONJOB };
    const stale = { severity: 'critical', ...labels };
    const result = testRules(promtool(), ruleFile([group]), [{
      // The last success was 25 h before t=0: stale from t=1h on (plus the 10 minutes of `for`).
      interval: '5m',
      input_series: [
        { series: series('kube_cronjob_status_last_successful_time', cronJob), values: `${-25 * 3600}x40` },
        { series: series('kube_cronjob_created', cronJob), values: `${-30 * DAY}x40` },
      ],
      alert_rule_test: [
        { eval_time: '50m', alertname: 'VaultBackupStale', exp_alerts: [] },
        { eval_time: '80m', alertname: 'VaultBackupStale', exp_alerts: [{ exp_labels: stale, exp_annotations: annotations(group, 'VaultBackupStale', labels) }] },
      ],
    }, {
      // Created 25 h before t=0 and never succeeded.
      interval: '5m',
      input_series: [{ series: series('kube_cronjob_created', cronJob), values: `${-25 * 3600}x40` }],
      alert_rule_test: [
        { eval_time: '50m', alertname: 'VaultBackupStale', exp_alerts: [] },
        { eval_time: '80m', alertname: 'VaultBackupStale', exp_alerts: [{ exp_labels: stale, exp_annotations: annotations(group, 'VaultBackupStale', labels) }] },
      ],
    }, {
      // No CronJob (or no kube-state-metrics).
      interval: '5m',
      input_series: [],
      alert_rule_test: [
        { eval_time: '15m', alertname: 'VaultBackupStale', exp_alerts: [{ exp_labels: stale, exp_annotations: annotations(group, 'VaultBackupStale', labels) }] },
      ],
    }, {
      // A success an hour ago: nothing.
      interval: '5m',
      input_series: [
        { series: series('kube_cronjob_status_last_successful_time', cronJob), values: `${-3600}x40` },
        { series: series('kube_cronjob_created', cronJob), values: `${-30 * DAY}x40` },
      ],
      alert_rule_test: [{ eval_time: '80m', alertname: 'VaultBackupStale', exp_alerts: [] }],
    }]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  test('promtool test rules catches a wrong expectation (the test is real)', () => {
    const result = testRules(promtool(), ruleFile([group]), [{
      interval: '5m',
      input_series: [],
      alert_rule_test: [{ eval_time: '15m', alertname: 'VaultBackupStale', exp_alerts: [] }],
    }]);
    expect(result.ok).toBe(false);
  });

  test('fails when maxAgeHours is not a positive whole number', () => {
    expect(() => vaultBackupAlerts({ namespace: 'n', snapshotCronJob: 'a', verifyCronJob: 'b', maxAgeHours: 1.5 }))
      .toThrow('backup alerts: \'maxAgeHours\' must be a positive whole number of hours, got 1.5');
  });
});
