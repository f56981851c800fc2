import { describe, expect, test } from 'vitest';
import { celEnv, celList, celMap, parse, plan, type CelInput } from '@bufbuild/cel';
import { ApplicationRoute } from '../../lib/k8s/application-route.js';
import { PrivateCertificate } from '../../lib/k8s/certificate.js';
import { ClusterIssuerRef } from '../../lib/k8s/cluster-issuer.js';
import { GATEWAY_HEALTH_CHECK_EXPRS, PrivateGateway, PublicGateway, targetTypeFor } from '../../lib/k8s/gateway.js';
import { manifestsOf, only, testChart, yamlOf } from '../support/k8s.js';

const common = { namespace: 'gateways', gatewayClassName: 'cilium' };
const letsencrypt = ClusterIssuerRef.fromName('letsencrypt-prod');

function publicGateway(chart = testChart(), extra: Partial<ConstructorParameters<typeof PublicGateway>[2]> = {}) {
  return new PublicGateway(chart, 'Public', {
    ...common, zone: 'example.com', routeNamespaces: ['echo', 'shop'], hostnames: ['shop.example.com', 'echo.example.com'],
    issuer: letsencrypt, ...extra,
  });
}

function privateGateway(chart = testChart()) {
  const certificate = new PrivateCertificate(chart, 'Cert', {
    name: 'private-gateway-tls', namespace: 'gateways', issuer: ClusterIssuerRef.fromName('vault'),
    dnsNames: ['grafana.priv.example.com', 'a.b.priv.example.com'],
  });
  return new PrivateGateway(chart, 'Private', {
    ...common, zone: 'priv.example.com', routeNamespaces: ['observability'], hostnames: ['grafana.priv.example.com'], certificate,
  });
}

describe('PublicGateway', () => {
  test('default configuration', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    publicGateway(chart);
    // THEN
    expect(yamlOf(chart)).toMatchSnapshot();
    const gw = only(chart, 'Gateway', 'public');
    expect(gw.metadata.annotations).toEqual({
      'cert-manager.io/cluster-issuer': 'letsencrypt-prod',
      'cert-manager.io/private-key-algorithm': 'ECDSA',
      'cert-manager.io/private-key-size': '256',
      'cert-manager.io/private-key-rotation-policy': 'Always',
    });
    const [https, http] = gw.spec.listeners;
    expect(https).toMatchObject({
      name: 'https', protocol: 'HTTPS', port: 443, hostname: '*.example.com',
      tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'public-tls' }] },
    });
    expect(https.tls.certificateRefs[0].namespace).toBeUndefined();
    expect(https.allowedRoutes.namespaces).toEqual({
      from: 'Selector',
      selector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['echo', 'shop'] }] },
    });
    expect(http).toMatchObject({ name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'Same' } } });
    expect(gw.spec.infrastructure.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'instance',
      'external-dns.alpha.kubernetes.io/hostname': 'echo.example.com,shop.example.com',
    });
  });

  test('the NLB target type is the implementation\'s: instance for cilium (no pod endpoints), ip for others, overridable', () => {
    const targetType = (props: Partial<ConstructorParameters<typeof PublicGateway>[2]>) => {
      const chart = testChart();
      publicGateway(chart, props);
      return only(chart, 'Gateway', 'public').spec.infrastructure.annotations['service.beta.kubernetes.io/aws-load-balancer-nlb-target-type'];
    };
    expect(targetType({})).toBe('instance');
    expect(targetType({ gatewayClassName: 'envoy-gateway' })).toBe('ip');
    expect(targetType({ gatewayClassName: 'istio' })).toBe('ip');
    expect(targetType({ loadBalancerTargetType: 'ip' })).toBe('ip');
    expect(targetType({ gatewayClassName: 'istio', loadBalancerTargetType: 'instance' })).toBe('instance');
    // A class named like an Object.prototype member is not mistaken for a known implementation.
    expect(targetTypeFor('constructor')).toBe('ip');
  });

  test('the HTTP listener\'s only route redirects to HTTPS', () => {
    const chart = testChart();
    publicGateway(chart);
    const redirect = only(chart, 'HTTPRoute', 'public-https-redirect');
    expect(redirect.metadata.namespace).toBe('gateways');
    expect(redirect.spec.parentRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateways', sectionName: 'http' },
    ]);
    expect(redirect.spec.rules).toEqual([{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }]);
    expect(redirect.spec.hostnames).toBeUndefined();
  });

  test('renew-before and key annotations are honoured', () => {
    const chart = testChart();
    publicGateway(chart, { renewBefore: '720h', privateKey: { algorithm: 'RSA', size: 4096 }, tlsSecretName: 'wildcard' });
    const gw = only(chart, 'Gateway');
    expect(gw.metadata.annotations).toMatchObject({
      'cert-manager.io/renew-before': '720h', 'cert-manager.io/private-key-algorithm': 'RSA', 'cert-manager.io/private-key-size': '4096',
    });
    expect(gw.spec.listeners[0].tls.certificateRefs[0].name).toBe('wildcard');
  });

  test('serves one label below the zone only: the wildcard certificate covers no deeper name', () => {
    const gw = publicGateway();
    expect(gw.serves('echo.example.com')).toBe(true);
    expect(gw.serves('a.b.example.com')).toBe(false);
    expect(gw.serves('example.com')).toBe(false);
    expect(gw.serves('echo.example.org')).toBe(false);
  });

  test('fails when no namespace may attach routes', () => {
    expect(() => publicGateway(testChart(), { routeNamespaces: [] }))
      .toThrow('gateway "public" admits no namespace: give it at least one application');
  });

  test('fails when a route namespace is not a namespace name', () => {
    expect(() => publicGateway(testChart(), { routeNamespaces: ['echo', 'Team_A'] }))
      .toThrow('gateway "public": route namespace "Team_A" is not a DNS-1123 label');
  });
});

describe('PrivateGateway', () => {
  test('default configuration: internal, serving the Vault certificate\'s Secret', () => {
    const chart = testChart();
    privateGateway(chart);
    expect(yamlOf(chart)).toMatchSnapshot();
    const gw = only(chart, 'Gateway', 'private');
    expect(gw.metadata.annotations).toBeUndefined();
    expect(gw.spec.infrastructure.annotations['service.beta.kubernetes.io/aws-load-balancer-scheme']).toBe('internal');
    expect(gw.spec.listeners[0]).toMatchObject({
      hostname: '*.priv.example.com', tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'private-gateway-tls' }] },
    });
  });

  test('serves exactly the names on its certificate, deeper ones included', () => {
    const gw = privateGateway();
    expect(gw.serves('grafana.priv.example.com')).toBe(true);
    expect(gw.serves('a.b.priv.example.com')).toBe(true);
    expect(gw.serves('other.priv.example.com')).toBe(false);
  });

  test('fails when the certificate lives in another namespace', () => {
    const chart = testChart();
    const certificate = new PrivateCertificate(chart, 'Cert', {
      name: 'c', namespace: 'elsewhere', issuer: ClusterIssuerRef.fromName('vault'), dnsNames: ['a.priv.example.com'],
    });
    expect(() => new PrivateGateway(chart, 'Private', {
      ...common, zone: 'priv.example.com', routeNamespaces: ['x'], hostnames: [], certificate,
    })).toThrow('gateway "private" in namespace "gateways" cannot serve the certificate of namespace "elsewhere": a Gateway reads Secrets of its own namespace only');
  });
});

describe('ApplicationRoute', () => {
  test('attaches to the HTTPS listener with the host name and the service', () => {
    // GIVEN
    const chart = testChart();
    const gateway = publicGateway(chart);
    // WHEN
    new ApplicationRoute(chart, 'Echo', {
      name: 'echo', namespace: 'echo', gateway, hostname: 'echo.example.com', serviceName: 'echo', servicePort: 8080, path: '/api',
    });
    // THEN
    const route = only(chart, 'HTTPRoute', 'echo');
    expect(route.metadata.namespace).toBe('echo');
    expect(route.spec).toEqual({
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateways', sectionName: 'https' }],
      hostnames: ['echo.example.com'],
      rules: [{
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
        backendRefs: [{ group: '', kind: 'Service', name: 'echo', port: 8080 }],
      }],
    });
    expect(manifestsOf(chart).filter((m) => m.kind === 'HTTPRoute')).toHaveLength(2);
  });

  test('fails when the gateway does not admit the namespace', () => {
    const chart = testChart();
    const gateway = publicGateway(chart);
    expect(() => new ApplicationRoute(chart, 'X', {
      name: 'x', namespace: 'intruder', gateway, hostname: 'x.example.com', serviceName: 'x', servicePort: 80,
    })).toThrow('route "intruder/x": gateway "public" does not admit routes from namespace "intruder"');
  });

  test('fails when the gateway has no certificate for the host name', () => {
    const chart = testChart();
    const gateway = publicGateway(chart);
    expect(() => new ApplicationRoute(chart, 'X', {
      name: 'x', namespace: 'echo', gateway, hostname: 'deep.echo.example.com', serviceName: 'x', servicePort: 80,
    })).toThrow('route "echo/x": gateway "public" (*.example.com) has no certificate for "deep.echo.example.com"');
  });
});

describe('GATEWAY_HEALTH_CHECK_EXPRS (what Flux waits for)', () => {
  const toCel = (v: unknown): CelInput => {
    if (Array.isArray(v)) return celList(v.map(toCel));
    if (v !== null && typeof v === 'object') return celMap(new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)])));
    return v as CelInput;
  };
  /** Flux evaluates each expression with the object's top-level fields as variables. */
  const evaluate = (kind: string, which: 'current' | 'failed', object: Record<string, unknown>): unknown => {
    const expr = GATEWAY_HEALTH_CHECK_EXPRS.find((e) => e.kind === kind)![which]!;
    const bindings = Object.fromEntries(Object.entries(object).map(([k, v]) => [k, toCel(v)]));
    return (plan(celEnv(), parse(expr)) as (b: Record<string, CelInput>) => unknown)(bindings);
  };
  const condition = (type: string, status: string, reason = 'Whatever') => ({ type, status, reason, message: '' });
  const gateway = (...conditions: object[]) => ({ metadata: { name: 'public' }, status: { conditions } });
  const route = (...parents: object[][]) => ({ metadata: { name: 'echo' }, status: { parents: parents.map((conditions) => ({ conditions })) } });

  test('a Gateway is healthy once Programmed; no controller (the CRD defaults, Pending) is in progress, not failed', () => {
    const pending = gateway(condition('Accepted', 'Unknown', 'Pending'), condition('Programmed', 'Unknown', 'Pending'));
    expect([evaluate('Gateway', 'current', pending), evaluate('Gateway', 'failed', pending)]).toEqual([false, false]);
    const noStatus = { metadata: { name: 'public' } };
    expect([evaluate('Gateway', 'current', noStatus), evaluate('Gateway', 'failed', noStatus)]).toEqual([false, false]);
    const waitingForAddress = gateway(condition('Accepted', 'True'), condition('Programmed', 'False', 'AddressNotAssigned'));
    expect([evaluate('Gateway', 'current', waitingForAddress), evaluate('Gateway', 'failed', waitingForAddress)]).toEqual([false, false]);
    const programmed = gateway(condition('Accepted', 'True'), condition('Programmed', 'True'));
    expect(evaluate('Gateway', 'current', programmed)).toBe(true);
    const refused = gateway(condition('Accepted', 'False', 'UnsupportedAddress'), condition('Programmed', 'False'));
    expect(evaluate('Gateway', 'failed', refused)).toBe(true);
  });

  test('an HTTPRoute is healthy once every parent accepted it; none yet is in progress; one refusal fails', () => {
    const none = { metadata: { name: 'echo' }, status: { parents: [] } };
    expect([evaluate('HTTPRoute', 'current', none), evaluate('HTTPRoute', 'failed', none)]).toEqual([false, false]);
    const noStatus = { metadata: { name: 'echo' } };
    expect([evaluate('HTTPRoute', 'current', noStatus), evaluate('HTTPRoute', 'failed', noStatus)]).toEqual([false, false]);
    expect(evaluate('HTTPRoute', 'current', route([condition('Accepted', 'True'), condition('ResolvedRefs', 'True')]))).toBe(true);
    const oneOfTwo = route([condition('Accepted', 'True')], [condition('ResolvedRefs', 'True')]);
    expect([evaluate('HTTPRoute', 'current', oneOfTwo), evaluate('HTTPRoute', 'failed', oneOfTwo)]).toEqual([false, false]);
    const refused = route([condition('Accepted', 'False', 'NotAllowedByListeners')]);
    expect([evaluate('HTTPRoute', 'current', refused), evaluate('HTTPRoute', 'failed', refused)]).toEqual([false, true]);
  });
});
