import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../lib/config/load.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { synthesizeKubernetes } from '../../lib/synth.js';
import { EXAMPLE_CONFIG } from '../support/cli.js';

const CHAIN = readFileSync(new URL('../fixtures/example/pki/ca-chain.pem', import.meta.url), 'utf8');
/** The chain's last certificate: its self-signed root. */
const ROOT = CHAIN.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!.at(-1)!;
const example = (): PlatformConfig => parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG);
const synth = (config: PlatformConfig) => synthesizeKubernetes(config, { vaultCaBundle: CHAIN, trustRoots: ROOT });

/** Flux Kustomizations of a cluster, by name. */
function kustomizations(config: PlatformConfig, cluster = 'mycluster-0'): Map<string, any> {
  const manifests = synth(config).manifests.get(cluster)!;
  return new Map(manifests
    .filter((m) => m.apiVersion === 'kustomize.toolkit.fluxcd.io/v1' && m.kind === 'Kustomization')
    .map((m) => [m.metadata.name, m]));
}

describe('ClusterPlatform', () => {
  test('the example gets every layer, each depending on the layers it needs', () => {
    const ks = kustomizations(example());
    const deps = Object.fromEntries([...ks].map(([name, k]) => [name, (k.spec.dependsOn ?? []).map((d: any) => d.name)]));
    expect(deps).toEqual({
      'gateway-api-crds': [],
      'prometheus-operator-crds': [],
      controllers: ['gateway-api-crds', 'prometheus-operator-crds'],
      secrets: ['controllers'],
      trust: ['controllers'],
      monitoring: ['controllers'],
      issuers: ['controllers'],
      gateways: ['issuers'],
      certificates: ['issuers', 'gateways'],
      routes: ['gateways'],
      backup: ['secrets', 'trust'],
      'approle-rotation': ['secrets', 'trust'],
    });
    expect(ks.get('controllers').spec.healthChecks.map((h: any) => `${h.kind}/${h.name}`))
      .toEqual(['HelmRelease/cert-manager', 'HelmRelease/trust-manager', 'HelmRelease/external-secrets']);
    expect(ks.get('issuers').spec.healthChecks.map((h: any) => `${h.kind}/${h.name}`))
      .toEqual(['ClusterIssuer/letsencrypt-staging', 'ClusterIssuer/letsencrypt-prod']);
    for (const name of ['gateways', 'certificates', 'routes']) expect(ks.get(name).spec.wait, name).toBe(true);
  });

  test('clusters[].gateways.loadBalancerTargetType overrides the GatewayClass\'s target type on both Gateways', () => {
    const targetTypes = (config: PlatformConfig) => synth(config).manifests.get('mycluster-0')!
      .filter((m) => m.kind === 'Gateway')
      .map((m) => `${m.metadata.name}=${m.spec.infrastructure.annotations['service.beta.kubernetes.io/aws-load-balancer-nlb-target-type']}`);
    const config = example();
    expect(config.clusters[0]!.gatewayClassName).toBe('cilium');
    expect(targetTypes(config)).toEqual(['public=instance', 'private=instance']);
    const cluster = { ...config.clusters[0]!, gateways: { ...config.clusters[0]!.gateways, loadBalancerTargetType: 'ip' as const } };
    expect(targetTypes({ ...config, clusters: [cluster] })).toEqual(['public=ip', 'private=ip']);
  });

  test('Flux never prunes what holds state: the namespaces of keys and secrets, the CRD-installing releases, the secret-owning ExternalSecrets', () => {
    const manifests = synth(example()).manifests.get('mycluster-0')!;
    const kept = manifests
      .filter((m) => m.metadata.annotations?.['kustomize.toolkit.fluxcd.io/prune'] === 'disabled')
      .map((m) => `${m.kind}/${m.metadata.name}`)
      .sort();
    expect(kept).toEqual([
      'ExternalSecret/vault-approle',
      'ExternalSecret/vault-snapshot-approle',
      'HelmRelease/cert-manager',
      'HelmRelease/external-secrets',
      'HelmRelease/prometheus-operator-crds',
      'HelmRelease/trust-manager',
      'Namespace/cert-manager',
      'Namespace/gateways',
      'Namespace/vault-backup',
    ].sort());
  });

  test('gateways and routes wait for Gateways Programmed and HTTPRoutes accepted; gateways may take 15 minutes (the NLBs)', () => {
    const ks = kustomizations(example());
    for (const name of ['gateways', 'routes']) {
      expect(ks.get(name).spec.healthCheckExprs.map((e: any) => `${e.apiVersion} ${e.kind}`), name)
        .toEqual(['gateway.networking.k8s.io/v1 Gateway', 'gateway.networking.k8s.io/v1 HTTPRoute']);
      expect(ks.get(name).spec.healthCheckExprs[0].current, name).toContain("c.type == 'Programmed' && c.status == 'True'");
    }
    for (const name of ['controllers', 'issuers', 'trust', 'certificates']) expect(ks.get(name).spec.healthCheckExprs, name).toBeUndefined();
    expect(ks.get('gateways').spec.timeout).toBe('15m');
    expect(ks.get('trust').spec.timeout).toBe('5m');
    // clusters[].flux.timeout, when set, is every layer's.
    const config = example();
    const cluster = { ...config.clusters[0]!, flux: { timeout: '7m' } };
    const overridden = kustomizations({ ...config, clusters: [cluster] });
    expect(['gateways', 'trust'].map((name) => overridden.get(name).spec.timeout)).toEqual(['7m', '7m']);
  });

  test('dist/<cluster>/bootstrap/gateway-api-crds is a kustomization of the same pinned CRDs, outside every layer', () => {
    const { files } = synth(example());
    const bundle = files.find((f) => f.path === 'mycluster-0/bootstrap/gateway-api-crds/kustomization.yaml');
    expect(bundle?.content).toContain('kubectl apply --server-side -k dist/mycluster-0/bootstrap/gateway-api-crds');
    expect(parse(bundle!.content)).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['https://github.com/kubernetes-sigs/gateway-api//config/crd/standard?ref=v1.6.1'],
    });
    const crds = kustomizations(example()).get('gateway-api-crds');
    expect(crds.spec.path).toBe('./config/crd/standard');
    expect(files.filter((f) => f.path.includes('/bootstrap/')).map((f) => f.path)).toEqual([bundle!.path]);
    // No Kustomization applies it.
    expect([...kustomizations(example()).values()].some((k) => k.spec.path.includes('bootstrap'))).toBe(false);
  });

  test('controllers may take 15 minutes (three chained releases); every HelmRelease corrects drift but the injected CA bundles', () => {
    const ks = kustomizations(example());
    expect(ks.get('controllers').spec.timeout).toBe('15m');
    const releases = synth(example()).manifests.get('mycluster-0')!.filter((m) => m.kind === 'HelmRelease');
    expect(releases.map((r) => r.metadata.name).sort()).toEqual(
      ['cert-manager', 'external-secrets', 'prometheus-operator-crds', 'trust-manager', 'x509-certificate-exporter'],
    );
    for (const release of releases) {
      expect(release.spec.driftDetection.mode, release.metadata.name).toBe('enabled');
      expect(release.spec.driftDetection.ignore.map((i: any) => `${i.target.kind} ${i.paths.join(',')}`), release.metadata.name).toEqual([
        'ValidatingWebhookConfiguration /webhooks',
        'MutatingWebhookConfiguration /webhooks',
        'CustomResourceDefinition /spec/conversion/webhook/clientConfig/caBundle',
      ]);
    }
  });

  test('x509-certificate-exporter watches the Gateways\' and cert-manager\'s namespaces, and monitoring.certificateNamespaces', () => {
    const includes = (config: PlatformConfig) => synth(config).manifests.get('mycluster-0')!
      .find((m) => m.kind === 'HelmRelease' && m.metadata.name === 'x509-certificate-exporter').spec.values.secretsExporter.includeNamespaces;
    const config = example();
    expect(includes(config)).toEqual(['cert-manager', 'gateways']);
    const cluster = { ...config.clusters[0]!, monitoring: { ...config.clusters[0]!.monitoring, certificateNamespaces: ['shop', 'gateways'] } };
    expect(includes({ ...config, clusters: [cluster] })).toEqual(['cert-manager', 'gateways', 'shop']);
  });

  test('a cluster without applications gets no gateways, certificates or routes', () => {
    const config = { ...example(), applications: [] };
    expect([...kustomizations(config).keys()].sort())
      .toEqual(['approle-rotation', 'backup', 'controllers', 'gateway-api-crds', 'issuers', 'monitoring', 'prometheus-operator-crds', 'secrets', 'trust']);
    expect(synth(config).folders.map((f) => f.folder)).toEqual([
      'mycluster-0/flux', 'mycluster-0/prometheus-operator-crds', 'mycluster-0/controllers', 'mycluster-0/secrets', 'mycluster-0/trust', 'mycluster-0/monitoring', 'mycluster-0/issuers',
      'mycluster-0/backup', 'mycluster-0/approle-rotation',
    ]);
  });

  test('monitoring is optional per cluster; without it, cert-manager exports no ServiceMonitor', () => {
    const config = example();
    const cluster = { ...config.clusters[0]!, monitoring: { enabled: false } };
    const manifests = synth({ ...config, clusters: [cluster] }).manifests.get('mycluster-0')!;
    expect(manifests.some((m) => m.kind === 'PrometheusRule')).toBe(false);
    expect(manifests.some((m) => m.metadata.name === 'x509-certificate-exporter')).toBe(false);
    expect(manifests.find((m) => m.metadata.name === 'cert-manager' && m.kind === 'HelmRelease').spec.values.prometheus.servicemonitor.enabled).toBe(false);
    const withIt = synth(config).manifests.get('mycluster-0')!;
    expect(withIt.filter((m) => m.kind === 'PrometheusRule').map((m) => m.metadata.name)).toEqual(['certificate-expiry', 'vault', 'approle-rotation', 'vault-backup']);
    expect(withIt.find((m) => m.metadata.name === 'cert-manager' && m.kind === 'HelmRelease').spec.values.prometheus.servicemonitor.enabled).toBe(true);
  });

  test('monitoring.selectorLabels reach every PrometheusRule and ServiceMonitor value of the charts; without them none is set', () => {
    const labelsOf = (config: PlatformConfig) => {
      const manifests = synth(config).manifests.get('mycluster-0')!;
      const values = (name: string) => manifests.find((m) => m.kind === 'HelmRelease' && m.metadata.name === name).spec.values;
      return {
        rules: manifests.filter((m) => m.kind === 'PrometheusRule').map((m) => m.metadata.labels.release),
        certManager: values('cert-manager').prometheus.servicemonitor.labels,
        trustManager: values('trust-manager').app.metrics.service.servicemonitor.labels,
        externalSecrets: values('external-secrets').serviceMonitor.additionalLabels,
        exporter: values('x509-certificate-exporter').prometheusServiceMonitor.extraLabels,
      };
    };
    const config = example();
    const release = { release: 'kube-prometheus-stack' };
    expect(config.clusters[0]!.monitoring!.selectorLabels).toEqual(release);
    expect(labelsOf(config)).toEqual({
      rules: ['kube-prometheus-stack', 'kube-prometheus-stack', 'kube-prometheus-stack', 'kube-prometheus-stack'],
      certManager: release, trustManager: release, externalSecrets: release, exporter: release,
    });
    const cluster = { ...config.clusters[0]!, monitoring: { enabled: true, vaultAlerts: true } };
    expect(labelsOf({ ...config, clusters: [cluster] })).toEqual({
      rules: [undefined, undefined, undefined, undefined], certManager: undefined, trustManager: undefined, externalSecrets: undefined, exporter: undefined,
    });
  });

  test('the prometheus-operator CRDs are installed before controllers unless the cluster says it has them, or renders no monitoring object', () => {
    const config = example();
    const ks = kustomizations(config);
    expect(ks.get('prometheus-operator-crds').spec.healthChecks).toEqual([
      { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', name: 'prometheus-operator-crds', namespace: 'flux-system' },
    ]);
    const release = synth(config).manifests.get('mycluster-0')!.find((m) => m.kind === 'HelmRelease' && m.metadata.name === 'prometheus-operator-crds');
    expect(release.spec.chart.spec).toMatchObject({ chart: 'prometheus-operator-crds', version: '31.0.1', sourceRef: { name: 'prometheus-community' } });
    expect(release.spec.values).toEqual({ crds: { annotations: { 'helm.sh/resource-policy': 'keep' } } });
    const present = { ...config.clusters[0]!, monitoring: { ...config.clusters[0]!.monitoring, prometheusOperatorCrds: 'present' as const } };
    expect(kustomizations({ ...config, clusters: [present] }).has('prometheus-operator-crds')).toBe(false);
    expect(kustomizations({ ...config, clusters: [present] }).get('controllers').spec.dependsOn).toEqual([{ name: 'gateway-api-crds', namespace: 'flux-system' }]);
    const none = { ...config.clusters[0]!, monitoring: { enabled: false }, certManager: { serviceMonitor: false } };
    expect(kustomizations({ ...config, clusters: [none] }).has('prometheus-operator-crds')).toBe(false);
    const certManagerOnly = { ...none, certManager: { serviceMonitor: true } };
    expect(kustomizations({ ...config, clusters: [certManagerOnly] }).has('prometheus-operator-crds')).toBe(true);
  });

  test('the monitoring thresholds of the configuration reach the alert rules', () => {
    const config = example();
    const cluster = { ...config.clusters[0]!, monitoring: { enabled: true, warningDaysLeft: 40, criticalDaysLeft: 10 } };
    const rule = synth({ ...config, clusters: [cluster] }).manifests.get('mycluster-0')!.find((m) => m.kind === 'PrometheusRule');
    const exprs = rule.spec.groups[0].rules.map((r: any) => r.expr);
    expect(exprs[0]).toBe('(x509_cert_not_after - time()) < 40 * 86400 and (x509_cert_not_after - time()) >= 10 * 86400');
    expect(exprs[1]).toBe('(x509_cert_not_after - time()) < 10 * 86400');
  });

  test('only public applications: no private Gateway, no certificates layer', () => {
    const config = example();
    const manifests = synth({ ...config, applications: config.applications!.filter((a) => a.gateway === 'public') }).manifests.get('mycluster-0')!;
    expect(manifests.filter((m) => m.kind === 'Gateway').map((m) => m.metadata.name)).toEqual(['public']);
    expect(manifests.some((m) => m.kind === 'Certificate')).toBe(false);
  });

  test('HTTP-01 is attached to the public Gateway only where the cluster has one', () => {
    const config = { ...example(), acme: { ...example().acme, http01: true } };
    const solvers = (c: PlatformConfig) => synth(c).manifests.get('mycluster-0')!
      .find((m) => m.kind === 'ClusterIssuer' && m.metadata.name === 'letsencrypt-prod').spec.acme.solvers;
    expect(solvers(config)[1].http01.gatewayHTTPRoute.parentRefs[0]).toMatchObject({ name: 'public', namespace: 'gateways', sectionName: 'http' });
    const privateOnly = { ...config, applications: config.applications!.filter((a) => a.gateway === 'private') };
    expect(solvers(privateOnly)).toHaveLength(1);
  });

  test('applications go to their cluster; each cluster is rendered under its own folder', () => {
    const config = example();
    const second = { ...config.clusters[0]!, name: 'second', workloadIdentity: { type: 'pod-identity' as const } };
    const apps = config.applications!.map((a, i) => ({ ...a, cluster: i === 0 ? 'mycluster-0' : 'second' }));
    const rendered = synth({ ...config, clusters: [config.clusters[0]!, second], applications: apps });
    const routes = (cluster: string) => rendered.manifests.get(cluster)!.filter((m) => m.kind === 'HTTPRoute' && m.metadata.namespace !== 'gateways').map((m) => m.metadata.name);
    expect(routes('mycluster-0')).toEqual(['echo']);
    expect(routes('second')).toEqual(['grafana']);
    const release = rendered.manifests.get('second')!.find((m) => m.kind === 'HelmRelease' && m.metadata.name === 'cert-manager');
    expect(release.spec.values.serviceAccount).toEqual({});
    expect(rendered.files.some((f) => f.path === 'second/flux/kustomization.flux-system.routes.yaml')).toBe(true);
  });

  test('fails, naming the object, when the cross-object checks find an inconsistency', () => {
    // A hostname the validator would reject, bypassing it, reaches the route construct's check.
    const config = example();
    const bad = { ...config, applications: [{ ...config.applications![0]!, hostname: 'a.b.example.com' }] };
    expect(() => synth(bad)).toThrow('route "echo/echo": gateway "public" (*.example.com) has no certificate for "a.b.example.com"');
  });

  describe('applications[].createNamespace', () => {
    const withCreated = (edit: (apps: any[]) => void = () => {}): PlatformConfig => {
      const config = example();
      const applications = config.applications!.map((app, i) => ({ ...app, createNamespace: i === 0 }));
      edit(applications);
      return { ...config, applications };
    };
    const namespacesIn = (config: PlatformConfig) => synth(config).manifests.get('mycluster-0')!
      .filter((m) => m.kind === 'Namespace');

    test('the namespaces layer creates the namespace: restricted, the trust label, never pruned; routes waits for it', () => {
      // GIVEN
      const config = withCreated();
      // WHEN
      const ks = kustomizations(config);
      const rendered = synth(config);
      // THEN
      expect(ks.get('namespaces').spec.dependsOn).toBeUndefined();
      expect(ks.get('namespaces').spec.path).toBe('./dist/mycluster-0/namespaces');
      expect(ks.get('routes').spec.dependsOn.map((d: any) => d.name)).toEqual(['gateways', 'namespaces']);
      expect(rendered.files.filter((f) => f.path.startsWith('mycluster-0/namespaces/')).map((f) => f.path))
        .toEqual(['mycluster-0/namespaces/kustomization.yaml', 'mycluster-0/namespaces/namespace.echo.yaml']);
      const echo = rendered.manifests.get('mycluster-0')!.find((m) => m.kind === 'Namespace' && m.metadata.name === 'echo');
      expect(echo.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'gateway-pki',
        'gateway-pki.io/private-ca': 'true',
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      });
      expect(echo.metadata.annotations).toEqual({ 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });
      // observability did not ask: nothing creates it.
      expect(namespacesIn(config).map((m) => m.metadata.name)).not.toContain('observability');
    });

    test('trust.namespaceLabels label the created namespaces instead of the default label', () => {
      const config = { ...withCreated(), trust: { ...example().trust, namespaceLabels: { 'acme.io/trust': 'private' } } };
      const echo = namespacesIn(config).find((m) => m.metadata.name === 'echo');
      expect(echo.metadata.labels['acme.io/trust']).toBe('private');
      expect(echo.metadata.labels['gateway-pki.io/private-ca']).toBeUndefined();
    });

    test('applications sharing a namespace get it once, whichever asks; sorted whatever the order of the applications', () => {
      const config = withCreated((apps) => {
        apps.push({ ...apps[0], name: 'echo-2', hostname: 'echo2.example.com', createNamespace: false });
        apps[1].createNamespace = true;
      });
      const reversed = { ...config, applications: [...config.applications!].reverse() };
      const files = (c: PlatformConfig) => synth(c).files.filter((f) => f.path.startsWith('mycluster-0/namespaces/'));
      expect(files(config).map((f) => f.path)).toEqual([
        'mycluster-0/namespaces/kustomization.yaml', 'mycluster-0/namespaces/namespace.echo.yaml', 'mycluster-0/namespaces/namespace.observability.yaml',
      ]);
      expect(files(reversed)).toEqual(files(config));
    });

    test('no application asks: no namespaces layer, and routes waits for gateways only', () => {
      const ks = kustomizations(example());
      expect(ks.has('namespaces')).toBe(false);
      expect(ks.get('routes').spec.dependsOn.map((d: any) => d.name)).toEqual(['gateways']);
    });

    test('refuses to create a namespace the platform creates itself, naming it and its layer', () => {
      // The rotation jobs' namespace is not one the configuration check knows (it exists only with rotation on).
      const config = withCreated((apps) => { apps[0].namespace = 'vault-approle-rotation'; });
      expect(() => synth(config)).toThrow('applications[].createNamespace: namespace "vault-approle-rotation" is one the platform creates itself '
        + '(layer approle-rotation): set createNamespace to false for the applications in "vault-approle-rotation"');
    });
  });
});
