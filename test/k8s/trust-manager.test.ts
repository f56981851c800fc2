import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CertManager } from '../../lib/k8s/cert-manager.js';
import { PrivateCaBundle, TrustManager } from '../../lib/k8s/trust-manager.js';
import { X509CertificateExporter } from '../../lib/k8s/x509-exporter.js';
import { only, testChart, yamlOf } from '../support/k8s.js';

const CHAIN = readFileSync(new URL('../fixtures/example/pki/ca-chain.pem', import.meta.url), 'utf8');
const CERTS = CHAIN.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!;
const ROOT = CERTS[CERTS.length - 1]!;

describe('TrustManager', () => {
  test('default configuration: after cert-manager, trust namespace = cert-manager\'s, no Secret targets, no public CAs', () => {
    // GIVEN
    const chart = testChart();
    const certManager = new CertManager(chart, 'CertManager', { version: 'v1.21.1', awsIdentity: { type: 'pod-identity' } });
    // WHEN
    new TrustManager(chart, 'TrustManager', {
      version: 'v0.24.0', repository: certManager.repository, certManager: certManager.release, namespace: certManager.namespace,
    });
    // THEN
    const release = only(chart, 'HelmRelease', 'trust-manager');
    expect(yamlOf(chart).split('---\n').find((doc) => doc.includes('name: trust-manager'))).toMatchSnapshot();
    expect(release.metadata.namespace).toBe('cert-manager');
    expect(release.spec.dependsOn).toEqual([{ name: 'cert-manager', namespace: 'cert-manager' }]);
    expect(release.spec.chart.spec).toMatchObject({ chart: 'trust-manager', version: 'v0.24.0', sourceRef: { kind: 'HelmRepository', name: 'jetstack' } });
    expect(release.spec.values).toMatchObject({
      crds: { enabled: true },
      app: { trust: { namespace: 'cert-manager' } },
      defaultPackage: { enabled: false },
      secretTargets: { enabled: false },
    });
    // Two replicas and a budget: a node drain never takes the webhook down.
    expect([release.spec.values.replicaCount, release.spec.values.podDisruptionBudget]).toEqual([2, { enabled: true, minAvailable: 1 }]);
  });
});

describe('PrivateCaBundle', () => {
  test('distributes the root from a ConfigMap we emit to the selected namespaces, as ca.crt', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    new PrivateCaBundle(chart, 'PrivateCa', { rootsPem: ROOT, trustNamespace: 'cert-manager' });
    // THEN
    expect(yamlOf(chart)).toMatchSnapshot();
    const source = only(chart, 'ConfigMap', 'private-ca-roots');
    expect(source.metadata.namespace).toBe('cert-manager');
    expect(source.data['roots.pem']).toBe(ROOT);
    const bundle = only(chart, 'Bundle', 'private-ca');
    expect(bundle.metadata.namespace).toBeUndefined();
    expect(bundle.spec).toEqual({
      sources: [{ configMap: { name: 'private-ca-roots', key: 'roots.pem' } }],
      target: { configMap: { key: 'ca.crt' }, namespaceSelector: { matchLabels: { 'gateway-pki.io/private-ca': 'true' } } },
    });
    expect(JSON.stringify(bundle)).not.toMatch(/secret/i);
  });

  test('two roots are both distributed, in order (root rotation), with the selector given', () => {
    // GIVEN the current root and a new one, made for the test
    const dir = mkdtempSync(join(tmpdir(), 'roots-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-days', '30',
      '-subj', '/O=Example Corp/CN=Next Root CA', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'root.pem')], { stdio: 'ignore' });
    const next = readFileSync(join(dir, 'root.pem'), 'utf8');
    const chart = testChart();
    // WHEN
    new PrivateCaBundle(chart, 'PrivateCa', {
      rootsPem: ROOT + next, trustNamespace: 'cert-manager', namespaceLabels: { 'trust/private': 'yes' },
    });
    // THEN
    expect(only(chart, 'ConfigMap').data['roots.pem']).toBe(ROOT + next);
    expect(only(chart, 'Bundle').spec.target.namespaceSelector).toEqual({ matchLabels: { 'trust/private': 'yes' } });
  });

  test('fails without a root, or with a private key', () => {
    expect(() => new PrivateCaBundle(testChart(), 'B', { rootsPem: '', trustNamespace: 'cert-manager' }))
      .toThrow('private CA bundle "private-ca" needs at least one root certificate');
    expect(() => new PrivateCaBundle(testChart(), 'B', { rootsPem: `${ROOT}-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n`, trustNamespace: 'cert-manager' }))
      .toThrow('private CA bundle "private-ca": the roots must not contain a private key');
  });
});

describe('X509CertificateExporter', () => {
  test('watches tls.crt and ca.crt of TLS Secrets, non-root; our rules replace the chart\'s', () => {
    const chart = testChart();
    new X509CertificateExporter(chart, 'Exporter', { version: '3.19.1', secretNamespaces: ['gateways', 'cert-manager', 'gateways'] });
    const release = only(chart, 'HelmRelease', 'x509-certificate-exporter');
    expect(yamlOf(chart)).toMatchSnapshot();
    expect(release.spec.chart.spec).toMatchObject({ chart: 'x509-certificate-exporter', version: '3.19.1', sourceRef: { name: 'enix' } });
    expect(only(chart, 'HelmRepository', 'enix').spec.url).toBe('https://charts.enix.io');
    const values = release.spec.values;
    expect(values.secretsExporter.secretTypes).toEqual([
      { type: 'kubernetes.io/tls', key: 'tls.crt' },
      { type: 'kubernetes.io/tls', key: 'ca.crt' },
    ]);
    expect(values.secretsExporter.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    // Only the namespaces given, sorted, once each (the chart's ClusterRole still reads every Secret).
    expect(values.secretsExporter.includeNamespaces).toEqual(['cert-manager', 'gateways']);
    expect(values.prometheusRules).toEqual({ create: false });
    expect(values.prometheusServiceMonitor).toEqual({ create: true });
    expect(values.hostPathsExporter).toEqual({ daemonSets: {} });
  });
});
