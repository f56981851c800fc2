import { readFileSync } from 'node:fs';
import { Duration, Size } from 'cdk8s';
import * as plus from 'cdk8s-plus-28';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { cronOf, PlatformCronJob, type PlatformCronJobProps } from '../../lib/k8s/platform-cron-job.js';
import { synthesizeKubernetes } from '../../lib/synth.js';
import { SchemaRegistry } from '../../lib/validate/schemas.js';
import { EXAMPLE_CONFIG } from '../support/cli.js';
import { manifestsOf, only, testChart } from '../support/k8s.js';

let registry: SchemaRegistry;
beforeAll(() => { registry = SchemaRegistry.load(); });

const RESOURCES: plus.ContainerResources = {
  cpu: { request: plus.Cpu.millis(10), limit: plus.Cpu.millis(100) },
  memory: { request: Size.mebibytes(16), limit: Size.mebibytes(32) },
};
const LABELS = { 'app.kubernetes.io/name': 'rotate', 'app.kubernetes.io/managed-by': 'gateway-pki' };

/** A job shaped like the AppRole rotation the lead adds next: three init steps and one container sharing a memory emptyDir. */
function rotationChart(props: Partial<PlatformCronJobProps> = {}) {
  const chart = testChart();
  const serviceAccount = new plus.ServiceAccount(chart, 'Sa', {
    metadata: { name: 'rotate', namespace: 'ns', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/rotate' } },
    automountToken: false,
  });
  const shared = plus.Volume.fromEmptyDir(chart, 'Shared', 'shared', { medium: plus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) });
  const step = (name: string) => ({
    name, image: 'example/tool:1.0', command: ['/bin/sh', '-c', name], env: { STEP: name, HOME: '/tmp' },
    volumeMounts: [{ volume: shared, path: '/shared' }], resources: RESOURCES,
  });
  const job = new PlatformCronJob(chart, 'Rotate', {
    name: 'approle-rotate', namespace: 'ns', labels: LABELS, schedule: '0 3 * * 1', serviceAccount,
    startingDeadline: Duration.hours(1), backoffLimit: 1,
    initContainers: [step('login'), step('rotate'), step('store')], containers: [step('verify')],
    ...props,
  });
  return { chart, job };
}

const cronJob = (chart: ReturnType<typeof testChart>) => only(chart, 'CronJob', 'approle-rotate');
const podOf = (manifest: any) => manifest.spec.jobTemplate.spec.template;

describe('PlatformCronJob', () => {
  test('the CronJob: our schedule settings, not cdk8s-plus defaults (history 3/1, 10 s deadline, no TTL)', () => {
    const { chart } = rotationChart();
    const spec = cronJob(chart).spec;
    expect(spec).toMatchObject({
      schedule: '0 3 * * 1',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      suspend: false,
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
    expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 1800, ttlSecondsAfterFinished: 8 * 86_400 });
  });

  test('labels on the CronJob, its Jobs and their pods, sorted; no cdk8s.io/metadata.addr', () => {
    const { chart } = rotationChart({ podAnnotations: { a: 'b' } });
    const manifest = cronJob(chart);
    const sorted = { 'app.kubernetes.io/managed-by': 'gateway-pki', 'app.kubernetes.io/name': 'rotate' };
    for (const labels of [manifest.metadata.labels, manifest.spec.jobTemplate.metadata.labels, podOf(manifest).metadata.labels]) {
      expect(labels).toEqual(sorted);
      expect(Object.keys(labels)).toEqual(Object.keys(sorted));
    }
    expect(podOf(manifest).metadata.annotations).toEqual({ a: 'b' });
    expect(JSON.stringify(manifest)).not.toContain('cdk8s.io/metadata.addr');
  });

  test('the pod: Never restarted, its service account without a token, non-root 65532, seccomp; API defaults written as they are', () => {
    const { chart } = rotationChart();
    const pod = podOf(cronJob(chart)).spec;
    expect(pod).toMatchObject({
      restartPolicy: 'Never',
      serviceAccountName: 'rotate',
      automountServiceAccountToken: false,
      dnsPolicy: 'ClusterFirst',
      hostNetwork: false,
      setHostnameAsFQDN: false,
      terminationGracePeriodSeconds: 30,
    });
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, fsGroupChangePolicy: 'Always', seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(only(chart, 'ServiceAccount', 'rotate').automountServiceAccountToken).toBe(false);
  });

  test('every container: hardened, IfNotPresent, exactly the resources given (none of cdk8s-plus\'s), env in order', () => {
    const { chart } = rotationChart();
    const pod = podOf(cronJob(chart)).spec;
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['login', 'rotate', 'store']);
    expect(pod.containers.map((c: any) => c.name)).toEqual(['verify']);
    for (const container of [...pod.initContainers, ...pod.containers]) {
      expect(container.securityContext).toEqual({
        allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
        capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container.imagePullPolicy).toBe('IfNotPresent');
      expect(container.resources).toEqual({ requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } });
      expect(container.env.map((e: any) => e.name)).toEqual(['STEP', 'HOME']);
      expect(container.volumeMounts).toEqual([{ name: 'shared', mountPath: '/shared' }]);
      expect(container).not.toHaveProperty('startupProbe');
      expect(container).not.toHaveProperty('ports');
    }
    // One volume, from the mounts: in memory, bounded.
    expect(pod.volumes).toEqual([{ name: 'shared', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }]);
  });

  test('valid against the batch/v1 schema; a Role on one named object from cdk8s-plus alongside', () => {
    const { chart, job } = rotationChart();
    const role = new plus.Role(chart, 'Role', { metadata: { name: 'rotate', namespace: 'ns' } });
    role.allow(['get', 'patch'], { apiGroup: 'external-secrets.io', resourceType: 'externalsecrets', resourceName: 'vault-approle' });
    role.allowGet({ apiGroup: '', resourceType: 'secrets', resourceName: 'vault-approle' });
    role.bind(job.serviceAccount!);
    for (const manifest of manifestsOf(chart)) expect(registry.validate(manifest), manifest.kind).toEqual([]);
    expect(only(chart, 'Role', 'rotate').rules).toEqual([
      { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], resourceNames: ['vault-approle'], verbs: ['get', 'patch'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['vault-approle'], verbs: ['get'] },
    ]);
  });

  test('a CronJob without a container is refused', () => {
    expect(() => rotationChart({ containers: [] })).toThrow('CronJob "approle-rotate" needs at least one container');
  });

  test('schedules: five fields through cdk8s Cron, macros as written', () => {
    expect(cronOf('*/15 2 1,15 * MON').expressionString).toBe('*/15 2 1,15 * MON');
    expect(cronOf(' 0 4 * * * ').expressionString).toBe('0 4 * * *');
    expect(cronOf('@daily').expressionString).toBe('@daily');
    const { chart } = rotationChart({ schedule: '@weekly' });
    expect(cronJob(chart).spec.schedule).toBe('@weekly');
  });
});

describe('cdk8s-plus defaults in the example platform', () => {
  const CHAIN = readFileSync(new URL('../fixtures/example/pki/ca-chain.pem', import.meta.url), 'utf8');
  const ROOT = CHAIN.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!.at(-1)!;

  test('none reaches an object: no cdk8s.io labels, no default container resources, no token mounted, no startup probe', () => {
    const config = parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG);
    const manifests = synthesizeKubernetes(config, { vaultCaBundle: CHAIN, trustRoots: ROOT }).manifests.get('mycluster-0')!;
    expect(JSON.stringify(manifests)).not.toContain('cdk8s.io/');
    const cronJobs = manifests.filter((m: any) => m.kind === 'CronJob');
    expect(cronJobs.length).toBeGreaterThan(0);
    for (const cronJob of cronJobs) {
      const pod = cronJob.spec.jobTemplate.spec.template.spec;
      expect(pod.automountServiceAccountToken, cronJob.metadata.name).toBe(false);
      for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        // cdk8s-plus's own: 1000m/1500m CPU, 512Mi/2048Mi memory.
        expect(container.resources.requests.cpu).not.toBe('1000m');
        expect(container.resources.limits.memory).not.toBe('2048Mi');
        expect(container).not.toHaveProperty('startupProbe');
      }
    }
    for (const serviceAccount of manifests.filter((m: any) => m.kind === 'ServiceAccount')) {
      expect(serviceAccount.automountServiceAccountToken, serviceAccount.metadata.name).toBe(false);
    }
  });
});
