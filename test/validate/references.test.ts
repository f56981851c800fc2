import { describe, expect, test } from 'vitest';
import { checkReferences, clusterFolder } from '../../lib/validate/references.js';
import { inputOf, where } from './support.js';

const K = 'kustomize.toolkit.fluxcd.io/v1';
const bootstrap = { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' };
const meta = (name: string, namespace?: string) => ({ name, ...(namespace && { namespace }) });

/** One consistent cluster, `dist/c1/`, with every kind of reference these checks follow. */
function cluster(): Record<string, any> {
  return {
    'dist/c1/flux/gitrepository.flux-system.gateway-api.yaml': { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: meta('gateway-api', 'flux-system'), spec: {} },
    'dist/c1/flux/kustomization.flux-system.gateway-api-crds.yaml': {
      apiVersion: K, kind: 'Kustomization', metadata: meta('gateway-api-crds', 'flux-system'),
      spec: { path: './config/crd/standard', sourceRef: { kind: 'GitRepository', name: 'gateway-api', namespace: 'flux-system' } },
    },
    'dist/c1/flux/kustomization.flux-system.controllers.yaml': {
      apiVersion: K, kind: 'Kustomization', metadata: meta('controllers', 'flux-system'),
      spec: { path: './dist/c1/controllers', sourceRef: bootstrap, dependsOn: [{ name: 'gateway-api-crds', namespace: 'flux-system' }] },
    },
    'dist/c1/flux/kustomization.flux-system.issuers.yaml': {
      apiVersion: K, kind: 'Kustomization', metadata: meta('issuers', 'flux-system'),
      spec: { path: './dist/c1/issuers', sourceRef: bootstrap, dependsOn: [{ name: 'controllers' }] },
    },
    'dist/c1/flux/kustomization.flux-system.gateways.yaml': {
      apiVersion: K, kind: 'Kustomization', metadata: meta('gateways', 'flux-system'),
      spec: { path: 'dist/c1/gateways/', sourceRef: bootstrap, dependsOn: [{ name: 'issuers' }] },
    },
    'dist/c1/controllers/helmrepository.cert-manager.jetstack.yaml': { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: meta('jetstack', 'cert-manager'), spec: {} },
    'dist/c1/controllers/helmrelease.cert-manager.cert-manager.yaml': {
      apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: meta('cert-manager', 'cert-manager'),
      spec: { chart: { spec: { chart: 'cert-manager', sourceRef: { kind: 'HelmRepository', name: 'jetstack' } } } },
    },
    'dist/c1/controllers/helmrelease.cert-manager.trust-manager.yaml': {
      apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: meta('trust-manager', 'cert-manager'),
      spec: { chart: { spec: { chart: 'trust-manager', sourceRef: { kind: 'HelmRepository', name: 'jetstack', namespace: 'cert-manager' } } }, dependsOn: [{ name: 'cert-manager' }] },
    },
    'dist/c1/controllers/clustersecretstore.vault.yaml': { apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: meta('vault'), spec: {} },
    'dist/c1/controllers/secretstore.backup.local.yaml': { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: meta('local', 'backup'), spec: {} },
    'dist/c1/controllers/externalsecret.backup.token.yaml': {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: meta('token', 'backup'),
      spec: {
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' },
        data: [{ secretKey: 'a', remoteRef: { key: 'a' }, sourceRef: { storeRef: { name: 'local' } } }],
      },
    },
    'dist/c1/controllers/serviceaccount.backup.snapshot.yaml': { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('snapshot', 'backup') },
    'dist/c1/controllers/cronjob.backup.snapshot.yaml': {
      apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('snapshot', 'backup'),
      spec: { jobTemplate: { spec: { template: { spec: { serviceAccountName: 'snapshot', containers: [] } } } } },
    },
    'dist/c1/controllers/deployment.backup.web.yaml': {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web', 'backup'),
      spec: { template: { spec: { serviceAccountName: 'default', containers: [] } } },
    },
    'dist/c1/issuers/clusterissuer.vault.yaml': { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: meta('vault'), spec: { vault: {} } },
    'dist/c1/issuers/clusterissuer.letsencrypt-prod.yaml': {
      apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: meta('letsencrypt-prod'),
      spec: { acme: { solvers: [{ http01: { gatewayHTTPRoute: { parentRefs: [{ name: 'public', namespace: 'gateways', sectionName: 'http' }] } } }] } },
    },
    'dist/c1/gateways/gateway.gateways.public.yaml': {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
      metadata: { name: 'public', namespace: 'gateways', annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' } },
      spec: {
        listeners: [
          {
            name: 'https', hostname: '*.example.com', tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'public-tls' }] },
            allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': 'echo' } } } },
          },
          { name: 'http', allowedRoutes: { namespaces: { from: 'Same' } } },
        ],
      },
    },
    'dist/c1/gateways/gateway.gateways.private.yaml': {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: meta('private', 'gateways'),
      spec: { listeners: [{ name: 'https', hostname: '*.priv.example.com', tls: { certificateRefs: [{ name: 'private-tls' }] }, allowedRoutes: { namespaces: { from: 'All' } } }] },
    },
    'dist/c1/certificates/certificate.gateways.private-tls.yaml': {
      apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: meta('private-tls', 'gateways'),
      spec: { secretName: 'private-tls', issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'vault' } },
    },
    'dist/c1/routes/httproute.echo.echo.yaml': {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta('echo', 'echo'),
      spec: { parentRefs: [{ name: 'public', namespace: 'gateways', sectionName: 'https' }] },
    },
  };
}

const LAYER_FILES = {
  'dist/c1/controllers/kustomization.yaml': 'resources: []\n',
  'dist/c1/issuers/kustomization.yaml': 'resources: []\n',
  'dist/c1/gateways/kustomization.yaml': 'resources: []\n',
};

/** The findings of `rule` on the cluster after `change`. */
function check(change: (c: Record<string, any>) => void, rule: string, text: Record<string, string> = LAYER_FILES) {
  const objects = cluster();
  change(objects);
  const findings = checkReferences(inputOf(objects, { text }));
  expect(findings.filter((f) => f.rule !== rule), 'findings of other rules').toEqual([]);
  return findings;
}

const file = (suffix: string) => Object.keys(cluster()).find((f) => f.endsWith(suffix))!;
const obj = (c: Record<string, any>, suffix: string) => c[file(suffix)];

describe('checkReferences', () => {
  test('a consistent cluster has no finding', () => {
    expect(checkReferences(inputOf(cluster(), { text: LAYER_FILES }))).toEqual([]);
  });

  test('objects are looked up in their own cluster folder only', () => {
    expect(clusterFolder('dist/c1/flux/x.yaml')).toBe('dist/c1');
    const objects = cluster();
    const moved = Object.fromEntries(Object.entries(objects).map(([f, o]) => [f.includes('/issuers/') ? f.replace('dist/c1/', 'dist/c2/') : f, o]));
    const findings = checkReferences(inputOf(moved, { text: LAYER_FILES }));
    expect(where(findings, 'ref/issuer')).toEqual([
      [file('certificate.gateways.private-tls.yaml'), 'Certificate gateways/private-tls', 'spec.issuerRef.name'],
      [file('gateway.gateways.public.yaml'), 'Gateway gateways/public', 'metadata.annotations["cert-manager.io/cluster-issuer"]'],
    ]);
  });

  test('ref/issuer: a Certificate naming a ClusterIssuer that is not emitted', () => {
    const findings = check((c) => (obj(c, 'private-tls.yaml').spec.issuerRef.name = 'vaultt'), 'ref/issuer');
    expect(where(findings, 'ref/issuer')).toEqual([[file('certificate.gateways.private-tls.yaml'), 'Certificate gateways/private-tls', 'spec.issuerRef.name']]);
    expect(findings[0]!.message).toBe('issuerRef names ClusterIssuer "vaultt", which is not emitted (emitted: letsencrypt-prod, vault)');
  });

  test('ref/issuer: a Certificate naming an Issuer (the default kind) that its namespace does not have', () => {
    const findings = check((c) => (obj(c, 'private-tls.yaml').spec.issuerRef = { name: 'vault' }), 'ref/issuer');
    expect(findings.map((f) => f.message)).toEqual([
      'issuerRef names Issuer "vault" of namespace gateways, which is not emitted (emitted there: none; a ClusterIssuer needs kind: ClusterIssuer)',
    ]);
  });

  test('ref/issuer: gateway-shim annotations naming issuers that are not emitted', () => {
    const findings = check((c) => {
      obj(c, 'gateway.gateways.public.yaml').metadata.annotations['cert-manager.io/cluster-issuer'] = 'letsencrypt-production';
      obj(c, 'gateway.gateways.private.yaml').metadata.annotations = { 'cert-manager.io/issuer': 'local' };
    }, 'ref/issuer');
    expect(where(findings, 'ref/issuer')).toEqual([
      [file('gateway.gateways.public.yaml'), 'Gateway gateways/public', 'metadata.annotations["cert-manager.io/cluster-issuer"]'],
      [file('gateway.gateways.private.yaml'), 'Gateway gateways/private', 'metadata.annotations["cert-manager.io/issuer"]'],
    ]);
    expect(findings[0]!.message).toBe('annotation cert-manager.io/cluster-issuer names "letsencrypt-production", which is not emitted (emitted: letsencrypt-prod, vault)');
  });

  test('ref/certificate: a listener Secret that no Certificate writes', () => {
    const findings = check((c) => (obj(c, 'private-tls.yaml').spec.secretName = 'other'), 'ref/certificate');
    expect(where(findings, 'ref/certificate')).toEqual([[file('gateway.gateways.private.yaml'), 'Gateway gateways/private', 'spec.listeners[0].tls.certificateRefs[0]']]);
    expect(findings[0]!.message).toBe('listener "https" serves Secret gateways/private-tls, which no emitted Certificate writes and no gateway-shim annotation requests');
  });

  test('ref/certificate: a shim-annotated listener the gateway-shim cannot serve', () => {
    const findings = check((c) => {
      const listener = obj(c, 'gateway.gateways.public.yaml').spec.listeners[0];
      delete listener.hostname;
      listener.tls.mode = 'Passthrough';
    }, 'ref/certificate');
    expect(where(findings, 'ref/certificate')).toEqual([
      [file('gateway.gateways.public.yaml'), 'Gateway gateways/public', 'spec.listeners[0].hostname'],
      [file('gateway.gateways.public.yaml'), 'Gateway gateways/public', 'spec.listeners[0].tls.mode'],
    ]);
  });

  test('ref/route-parent: a missing Gateway, a missing listener, a namespace not admitted, an HTTP-01 solver on a missing listener', () => {
    const findings = check((c) => {
      const route = obj(c, 'httproute.echo.echo.yaml');
      route.spec.parentRefs.push({ name: 'pubic', namespace: 'gateways' }, { name: 'public', namespace: 'gateways', sectionName: 'tls' });
      route.metadata.namespace = 'intruder';
      obj(c, 'clusterissuer.letsencrypt-prod.yaml').spec.acme.solvers[0].http01.gatewayHTTPRoute.parentRefs[0].sectionName = 'http2';
    }, 'ref/route-parent');
    expect(where(findings, 'ref/route-parent')).toEqual([
      [file('httproute.echo.echo.yaml'), 'HTTPRoute intruder/echo', 'spec.parentRefs[0]'],
      [file('httproute.echo.echo.yaml'), 'HTTPRoute intruder/echo', 'spec.parentRefs[1]'],
      [file('httproute.echo.echo.yaml'), 'HTTPRoute intruder/echo', 'spec.parentRefs[2].sectionName'],
      [file('clusterissuer.letsencrypt-prod.yaml'), 'ClusterIssuer letsencrypt-prod', 'spec.acme.solvers[0].http01.gatewayHTTPRoute.parentRefs[0]'],
    ]);
    expect(findings.map((f) => f.message)).toEqual([
      'listener "https" of Gateway gateways/public does not admit HTTPRoutes from namespace "intruder"',
      'parentRef names Gateway gateways/pubic, which is not emitted',
      'Gateway gateways/public has no listener "tls"',
      'HTTP-01 solver attaches to Gateway gateways/public listener "http2", which is not emitted',
    ]);
  });

  test('ref/flux-depends-on: a Kustomization or HelmRelease depending on one that is not emitted', () => {
    const findings = check((c) => {
      obj(c, 'kustomization.flux-system.issuers.yaml').spec.dependsOn[0].name = 'controlers';
      obj(c, 'helmrelease.cert-manager.trust-manager.yaml').spec.dependsOn[0].namespace = 'other';
    }, 'ref/flux-depends-on');
    expect(where(findings, 'ref/flux-depends-on')).toEqual([
      [file('kustomization.flux-system.issuers.yaml'), 'Kustomization flux-system/issuers', 'spec.dependsOn[0]'],
      [file('helmrelease.cert-manager.trust-manager.yaml'), 'HelmRelease cert-manager/trust-manager', 'spec.dependsOn[0]'],
    ]);
    expect(findings[0]!.message).toBe('names Kustomization flux-system/controlers, which is not emitted (emitted in flux-system: controllers, gateway-api-crds, gateways, issuers)');
    expect(findings[1]!.message).toBe('names HelmRelease other/cert-manager, which is not emitted (emitted in other: none)');
  });

  test('ref/flux-depends-on: a dependency cycle, reported once', () => {
    const findings = check((c) => (obj(c, 'kustomization.flux-system.controllers.yaml').spec.dependsOn.push({ name: 'gateways' })), 'ref/flux-depends-on');
    expect(where(findings, 'ref/flux-depends-on')).toEqual([[file('kustomization.flux-system.issuers.yaml'), 'Kustomization flux-system/issuers', 'spec.dependsOn[0]']]);
    expect(findings[0]!.message).toBe(
      'closes a dependency cycle, Kustomization flux-system/controllers -> flux-system/gateways -> flux-system/issuers -> flux-system/controllers: Flux would wait forever; remove one of these dependencies',
    );
  });

  test('ref/flux-path: a path that is not a folder, a folder without kustomization.yaml, another cluster\'s folder', () => {
    const findings = check((c) => {
      obj(c, 'kustomization.flux-system.controllers.yaml').spec.path = './dist/c1/controlers';
      obj(c, 'kustomization.flux-system.gateways.yaml').spec.path = './dist/c2/gateways';
    }, 'ref/flux-path', { 'dist/c1/controllers/kustomization.yaml': '', 'dist/c1/gateways/kustomization.yaml': '' });
    expect(where(findings, 'ref/flux-path')).toEqual([
      [file('kustomization.flux-system.controllers.yaml'), 'Kustomization flux-system/controllers', 'spec.path'],
      [file('kustomization.flux-system.gateways.yaml'), 'Kustomization flux-system/gateways', 'spec.path'],
      [file('kustomization.flux-system.issuers.yaml'), 'Kustomization flux-system/issuers', 'spec.path'],
    ].sort());
    const message = (name: string) => findings.find((f) => f.object === `Kustomization flux-system/${name}`)!.message;
    expect(message('controllers')).toBe('path "./dist/c1/controlers" is not a folder of the output (layer folders of c1: ./dist/c1/controllers, ./dist/c1/gateways)');
    expect(message('gateways')).toMatch(/^path "\.\/dist\/c2\/gateways" is another cluster's folder, not one of c1/);
    expect(message('issuers')).toMatch(/^folder "\.\/dist\/c1\/issuers" has no kustomization\.yaml/);
  });

  test('ref/flux-path: paths are resolved against the folder validated, whatever its name', () => {
    const renamed = Object.fromEntries(Object.entries(cluster()).map(([f, o]) => [f.replace(/^dist\//, 'out/'), o]));
    const text = Object.fromEntries(Object.entries(LAYER_FILES).map(([f, t]) => [f.replace(/^dist\//, 'out/'), t]));
    expect(checkReferences(inputOf(renamed, { text }))).toEqual([]);
  });

  test('ref/flux-source: a Kustomization reading a source that is not emitted (bootstrap\'s flux-system excepted)', () => {
    const findings = check((c) => (obj(c, 'gateway-api-crds.yaml').spec.sourceRef.name = 'gateway-apii'), 'ref/flux-source');
    expect(where(findings, 'ref/flux-source')).toEqual([[file('kustomization.flux-system.gateway-api-crds.yaml'), 'Kustomization flux-system/gateway-api-crds', 'spec.sourceRef']]);
    expect(findings[0]!.message).toBe(
      'names GitRepository flux-system/gateway-apii, which is not emitted (emitted in flux-system: gateway-api; the one flux bootstrap creates is GitRepository flux-system/flux-system, which the layers read)',
    );
  });

  test('ref/flux-source: the bootstrap repository is the one the layers read (clusters[].flux.gitRepository), so one layer\'s typo stands out', () => {
    const renamed = (c: Record<string, any>) => {
      for (const name of ['controllers', 'issuers', 'gateways']) obj(c, `kustomization.flux-system.${name}.yaml`).spec.sourceRef = { kind: 'GitRepository', name: 'platform' };
    };
    expect(check(renamed, 'ref/flux-source')).toEqual([]);
    const findings = check((c) => {
      renamed(c);
      obj(c, 'kustomization.flux-system.issuers.yaml').spec.sourceRef.name = 'platfrom';
    }, 'ref/flux-source');
    expect(where(findings, 'ref/flux-source')).toEqual([[file('kustomization.flux-system.issuers.yaml'), 'Kustomization flux-system/issuers', 'spec.sourceRef']]);
    expect(findings[0]!.message).toMatch(/the one flux bootstrap creates is GitRepository flux-system\/platform, which the layers read\)$/);
  });

  test('ref/helm-source: a HelmRelease chart from a HelmRepository that is not emitted, or from another namespace', () => {
    const findings = check((c) => {
      obj(c, 'helmrelease.cert-manager.cert-manager.yaml').spec.chart.spec.sourceRef.name = 'jetstak';
      obj(c, 'helmrelease.cert-manager.trust-manager.yaml').spec.chart.spec.sourceRef.namespace = 'flux-system';
    }, 'ref/helm-source');
    expect(where(findings, 'ref/helm-source')).toEqual([
      [file('helmrelease.cert-manager.cert-manager.yaml'), 'HelmRelease cert-manager/cert-manager', 'spec.chart.spec.sourceRef'],
      [file('helmrelease.cert-manager.trust-manager.yaml'), 'HelmRelease cert-manager/trust-manager', 'spec.chart.spec.sourceRef'],
    ]);
    expect(findings[0]!.message).toBe('names HelmRepository cert-manager/jetstak, which is not emitted (emitted in cert-manager: jetstack)');
  });

  test('ref/helm-source: a chartRef to an OCIRepository that is not emitted', () => {
    const findings = check((c) => {
      const spec = obj(c, 'helmrelease.cert-manager.cert-manager.yaml').spec;
      delete spec.chart;
      spec.chartRef = { kind: 'OCIRepository', name: 'cert-manager' };
    }, 'ref/helm-source');
    expect(where(findings, 'ref/helm-source')).toEqual([[file('helmrelease.cert-manager.cert-manager.yaml'), 'HelmRelease cert-manager/cert-manager', 'spec.chartRef']]);
  });

  test('ref/secret-store: ExternalSecret store references that are not emitted', () => {
    const findings = check((c) => {
      const spec = obj(c, 'externalsecret.backup.token.yaml').spec;
      spec.secretStoreRef = { name: 'vault' }; // kind defaults to SecretStore, in the namespace
      spec.data[0].sourceRef.storeRef.name = 'locl';
    }, 'ref/secret-store');
    expect(where(findings, 'ref/secret-store')).toEqual([
      [file('externalsecret.backup.token.yaml'), 'ExternalSecret backup/token', 'spec.secretStoreRef'],
      [file('externalsecret.backup.token.yaml'), 'ExternalSecret backup/token', 'spec.data[0].sourceRef.storeRef'],
    ]);
    expect(findings.map((f) => f.message)).toEqual([
      'names SecretStore "vault" of namespace backup, which is not emitted (emitted: local)',
      'names SecretStore "locl" of namespace backup, which is not emitted (emitted: local)',
    ]);
  });

  test('ref/service-account: a workload running as a ServiceAccount its namespace does not get', () => {
    const findings = check((c) => {
      obj(c, 'cronjob.backup.snapshot.yaml').spec.jobTemplate.spec.template.spec.serviceAccountName = 'snapshots';
      obj(c, 'deployment.backup.web.yaml').metadata.namespace = 'web'; // "default" exists everywhere
      c['dist/c1/controllers/pod.web.debug.yaml'] = { apiVersion: 'v1', kind: 'Pod', metadata: meta('debug', 'web'), spec: { serviceAccount: 'snapshot', containers: [] } };
    }, 'ref/service-account');
    expect(where(findings, 'ref/service-account')).toEqual([
      [file('cronjob.backup.snapshot.yaml'), 'CronJob backup/snapshot', 'spec.jobTemplate.spec.template.spec.serviceAccountName'],
      ['dist/c1/controllers/pod.web.debug.yaml', 'Pod web/debug', 'spec.serviceAccount'],
    ]);
    expect(findings[0]!.message).toBe('"snapshots" is not an emitted ServiceAccount of namespace backup (emitted there: snapshot), so no pod would be created');
  });

  test('malformed objects are left to the schema check', () => {
    const objects = cluster();
    obj(objects, 'gateway.gateways.public.yaml').spec.listeners = 'not a list';
    obj(objects, 'httproute.echo.echo.yaml').spec.parentRefs = [null];
    objects['dist/c1/controllers/broken.yaml'] = [42, { kind: 'Deployment' }];
    expect(() => checkReferences(inputOf(objects, { text: LAYER_FILES }))).not.toThrow();
  });
});
