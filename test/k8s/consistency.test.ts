import { describe, expect, test } from 'vitest';
import { checkConsistency, type Manifest } from '../../lib/k8s/consistency.js';

/** A consistent set: one issuer, a shim-annotated public Gateway, a private one with its Certificate, routes. */
function objects(): any[] {
  return [
    { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'letsencrypt-prod' }, spec: { acme: { solvers: [] } } },
    { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'vault' }, spec: { vault: {} } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
      metadata: { name: 'public', namespace: 'gateways', annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' } },
      spec: {
        listeners: [
          {
            name: 'https', hostname: '*.example.com', tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'public-tls' }] },
            allowedRoutes: { namespaces: { from: 'Selector', selector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['echo'] }] } } },
          },
          { name: 'http', allowedRoutes: { namespaces: { from: 'Same' } } },
        ],
      },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'private', namespace: 'gateways' },
      spec: {
        listeners: [{
          name: 'https', hostname: '*.priv.example.com', tls: { certificateRefs: [{ kind: 'Secret', name: 'private-tls' }] },
          allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } } },
        }],
      },
    },
    {
      apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'private-tls', namespace: 'gateways' },
      spec: { secretName: 'private-tls', issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'vault' } },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'echo', namespace: 'echo' },
      spec: { parentRefs: [{ name: 'public', namespace: 'gateways', sectionName: 'https' }] },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'grafana', namespace: 'observability' },
      spec: { parentRefs: [{ name: 'private', namespace: 'gateways', sectionName: 'https' }] },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'redirect', namespace: 'gateways' },
      spec: { parentRefs: [{ name: 'public', sectionName: 'http' }] },
    },
  ];
}

const find = (list: any[], kind: string, name: string) => list.find((m) => m.kind === kind && m.metadata.name === name);

describe('checkConsistency', () => {
  test('a consistent cluster has no problem', () => {
    expect(checkConsistency(objects() as Manifest[])).toEqual([]);
  });

  test('a Certificate naming an issuer that is not emitted', () => {
    const list = objects();
    find(list, 'Certificate', 'private-tls').spec.issuerRef.name = 'vaultt';
    expect(checkConsistency(list)).toEqual([
      'Certificate gateways/private-tls: issuerRef names ClusterIssuer "vaultt", which is not emitted (emitted: letsencrypt-prod, vault)',
    ]);
  });

  test('a gateway-shim annotation naming an issuer that is not emitted', () => {
    const list = objects();
    find(list, 'Gateway', 'public').metadata.annotations['cert-manager.io/cluster-issuer'] = 'letsencrypt-production';
    expect(checkConsistency(list)).toEqual([
      'Gateway gateways/public: annotation cert-manager.io/cluster-issuer names "letsencrypt-production", which is not emitted (emitted: letsencrypt-prod, vault)',
    ]);
  });

  test('a shim-annotated TLS listener without hostname', () => {
    const list = objects();
    delete find(list, 'Gateway', 'public').spec.listeners[0].hostname;
    expect(checkConsistency(list)).toEqual([
      'Gateway gateways/public: listener "https" has no hostname: the gateway-shim cannot know which name to certify',
    ]);
  });

  test('a shim-annotated TLS listener in Passthrough mode', () => {
    const list = objects();
    find(list, 'Gateway', 'public').spec.listeners[0].tls.mode = 'Passthrough';
    expect(checkConsistency(list)).toEqual([
      'Gateway gateways/public: listener "https" has TLS mode Passthrough: the gateway-shim only serves Terminate',
    ]);
  });

  test('a shim-annotated listener referencing a Secret of another namespace', () => {
    const list = objects();
    find(list, 'Gateway', 'public').spec.listeners[0].tls.certificateRefs[0].namespace = 'cert-manager';
    expect(checkConsistency(list)).toEqual([
      'Gateway gateways/public: listener "https" references Secret cert-manager/public-tls: the gateway-shim ignores Secrets outside the Gateway\'s namespace',
    ]);
  });

  test('a listener Secret that nothing writes', () => {
    const list = objects();
    find(list, 'Certificate', 'private-tls').spec.secretName = 'other';
    expect(checkConsistency(list)).toEqual([
      'Gateway gateways/private: listener "https" serves Secret gateways/private-tls, which no emitted Certificate writes and no gateway-shim annotation requests',
    ]);
  });

  test('a route whose Gateway is not emitted', () => {
    const list = objects();
    find(list, 'HTTPRoute', 'echo').spec.parentRefs[0].name = 'pubic';
    expect(checkConsistency(list)).toEqual(['HTTPRoute echo/echo: parentRef names Gateway gateways/pubic, which is not emitted']);
  });

  test('a route naming a listener the Gateway does not have', () => {
    const list = objects();
    find(list, 'HTTPRoute', 'echo').spec.parentRefs[0].sectionName = 'tls';
    expect(checkConsistency(list)).toEqual(['HTTPRoute echo/echo: Gateway gateways/public has no listener "tls"']);
  });

  test('a route from a namespace the listener does not admit (expressions, labels, Same)', () => {
    const list = objects();
    find(list, 'HTTPRoute', 'echo').metadata.namespace = 'intruder';
    find(list, 'HTTPRoute', 'grafana').metadata.namespace = 'intruder';
    find(list, 'HTTPRoute', 'redirect').metadata.namespace = 'intruder';
    find(list, 'HTTPRoute', 'redirect').spec.parentRefs[0].namespace = 'gateways';
    expect(checkConsistency(list)).toEqual([
      'HTTPRoute intruder/echo: listener "https" of Gateway gateways/public does not admit HTTPRoutes from namespace "intruder"',
      'HTTPRoute intruder/grafana: listener "https" of Gateway gateways/private does not admit HTTPRoutes from namespace "intruder"',
      'HTTPRoute intruder/redirect: listener "http" of Gateway gateways/public does not admit HTTPRoutes from namespace "intruder"',
    ]);
  });

  test('an HTTP-01 solver attached to a Gateway that is not emitted', () => {
    const list = objects();
    find(list, 'ClusterIssuer', 'letsencrypt-prod').spec.acme.solvers.push({
      http01: { gatewayHTTPRoute: { parentRefs: [{ name: 'public', namespace: 'edge', sectionName: 'http' }] } },
    });
    expect(checkConsistency(list)).toEqual([
      'ClusterIssuer letsencrypt-prod: HTTP-01 solver attaches to Gateway edge/public listener "http", which is not emitted',
    ]);
  });
});
