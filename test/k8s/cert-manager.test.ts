import { describe, expect, test } from 'vitest';
import { CertManager } from '../../lib/k8s/cert-manager.js';
import { only, testChart, yamlOf } from '../support/k8s.js';

const IRSA = { type: 'irsa', roleArn: 'arn:aws:iam::123456789012:role/prod-cert-manager-dns01' } as const;

describe('CertManager', () => {
  test('default configuration', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    new CertManager(chart, 'CertManager', { version: 'v1.21.1', awsIdentity: IRSA });
    // THEN
    expect(yamlOf(chart)).toMatchSnapshot();
    const release = only(chart, 'HelmRelease', 'cert-manager');
    expect(release.metadata.namespace).toBe('cert-manager');
    expect(release.spec.chart.spec).toMatchObject({
      chart: 'cert-manager',
      version: 'v1.21.1',
      sourceRef: { kind: 'HelmRepository', name: 'jetstack', namespace: 'cert-manager' },
    });
    const values = release.spec.values;
    expect(values.crds).toEqual({ enabled: true, keep: true });
    expect(values.config).toEqual({
      apiVersion: 'controller.config.cert-manager.io/v1alpha1',
      kind: 'ControllerConfiguration',
      // cert-manager 1.21's field; enableGatewayAPI is deprecated there.
      gatewayAPI: { enabled: true },
    });
    expect(values.config).not.toHaveProperty('enableGatewayAPI');
    expect(values.global.leaderElection.namespace).toBe('cert-manager');
    expect(values.prometheus.servicemonitor.enabled).toBe(false);
    expect(only(chart, 'HelmRepository', 'jetstack').spec.url).toBe('https://charts.jetstack.io');
  });

  test('every component runs non-root, read-only, without capabilities, with requests and limits', () => {
    const chart = testChart();
    new CertManager(chart, 'CertManager', { version: 'v1.21.1', awsIdentity: IRSA });
    const values = only(chart, 'HelmRelease').spec.values;
    for (const component of [values, values.webhook, values.cainjector, values.startupapicheck]) {
      expect(component.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(component.containerSecurityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(Object.keys(component.resources.requests).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(component.resources.limits).sort()).toEqual(['cpu', 'memory']);
    }
  });

  test('Flux never prunes the namespace (ACME account keys, AppRole secret id) nor the HelmRelease (every Certificate)', () => {
    const chart = testChart();
    new CertManager(chart, 'CertManager', { version: 'v1.21.1', awsIdentity: IRSA });
    const prune = 'kustomize.toolkit.fluxcd.io/prune';
    expect(only(chart, 'Namespace', 'cert-manager').metadata.annotations).toEqual({ [prune]: 'disabled' });
    expect(only(chart, 'HelmRelease', 'cert-manager').metadata.annotations).toEqual({ [prune]: 'disabled' });
    // The chart source is stateless: pruning it is harmless.
    expect(only(chart, 'HelmRepository', 'jetstack').metadata.annotations).toBeUndefined();
  });

  test('the namespace enforces the restricted pod security standard', () => {
    const chart = testChart();
    new CertManager(chart, 'CertManager', { version: 'v1.21.1', awsIdentity: IRSA });
    expect(only(chart, 'Namespace', 'cert-manager').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test('irsa annotates the service account with the role', () => {
    const chart = testChart();
    new CertManager(chart, 'CertManager', { version: 'v1.21.1', awsIdentity: IRSA });
    expect(only(chart, 'HelmRelease').spec.values.serviceAccount).toEqual({
      annotations: { 'eks.amazonaws.com/role-arn': IRSA.roleArn },
    });
  });

  test('pod identity leaves the service account unannotated', () => {
    const chart = testChart();
    new CertManager(chart, 'CertManager', { version: 'v1.21.1', awsIdentity: { type: 'pod-identity' } });
    expect(only(chart, 'HelmRelease').spec.values.serviceAccount).toEqual({});
  });

  test('two or more replicas get disruption budgets and a zone spread', () => {
    const chart = testChart();
    new CertManager(chart, 'CertManager', { version: 'v1.21.1', awsIdentity: IRSA, replicas: 3 });
    const values = only(chart, 'HelmRelease').spec.values;
    for (const [component, label] of [[values, 'controller'], [values.webhook, 'webhook'], [values.cainjector, 'cainjector']] as const) {
      expect(component.replicaCount).toBe(3);
      expect(component.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
      expect(component.topologySpreadConstraints[0].labelSelector.matchLabels['app.kubernetes.io/component']).toBe(label);
    }
  });

  test('a single replica gets no disruption budget, which would block every node drain', () => {
    const chart = testChart();
    new CertManager(chart, 'CertManager', { version: 'v1.21.1', awsIdentity: IRSA, replicas: 1 });
    const values = only(chart, 'HelmRelease').spec.values;
    expect(values.podDisruptionBudget).toEqual({ enabled: false });
    expect(values.webhook.podDisruptionBudget).toEqual({ enabled: false });
    expect(values.topologySpreadConstraints).toEqual([]);
  });

  test('serviceMonitor and namespace are honoured', () => {
    const chart = testChart();
    new CertManager(chart, 'CertManager', {
      version: 'v1.21.1', awsIdentity: IRSA, serviceMonitor: true, namespace: 'pki',
    });
    const release = only(chart, 'HelmRelease');
    expect(release.metadata.namespace).toBe('pki');
    expect(release.spec.values.prometheus.servicemonitor.enabled).toBe(true);
    expect(release.spec.values.global.leaderElection.namespace).toBe('pki');
    expect(only(chart, 'Namespace').metadata.name).toBe('pki');
  });

  test('fails when replicas is not a positive integer', () => {
    const chart = testChart();
    expect(() => new CertManager(chart, 'CertManager', { version: 'v1.21.1', awsIdentity: IRSA, replicas: 0 }))
      .toThrow(`cert-manager 'replicas' must be a positive integer, got 0`);
  });
});
