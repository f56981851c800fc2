// Proves lib/validate/cel.ts evaluates the CEL rules (x-kubernetes-validations) of the upstream
// CRDs as the API server does on create, with hand-written objects only.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileCelRules, evaluateCelRules, parseK8sIP, type CelRuleOutcome } from './support/cel.js';
import { DEFAULT_CRD_ROOT, SchemaRegistry } from './support/schemas.js';

let registry: SchemaRegistry;

beforeAll(() => {
  registry = SchemaRegistry.load();
});

const clone = <T>(o: T): T => structuredClone(o);

// ---------------------------------------------------------------------------------------------
// Every rule of every CRD
// ---------------------------------------------------------------------------------------------

/** Every served CRD apiVersion/kind of the registry (the CRD sets of SchemaRegistry). */
function crdKinds(): [string, string][] {
  return registry
    .knownKinds()
    .map((k) => k.split(' ') as [string, string])
    .filter(([apiVersion, kind]) => registry.lookup(apiVersion, kind).source === 'crd');
}

/**
 * An object with every property of the schema set (one item per list, one key per map), so that
 * every rule's path exists: scalars are the default, enum[0], or a value of their type and format.
 */
function fullValue(s: any): unknown {
  if (s.type !== 'object' && s.type !== 'array' && s.default !== undefined) return clone(s.default);
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (s['x-kubernetes-int-or-string'] === true) return 1;
  switch (s.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      if (s.properties) for (const [k, sub] of Object.entries(s.properties)) out[k] = fullValue(sub);
      else if (typeof s.additionalProperties === 'object') out.key = fullValue(s.additionalProperties);
      return out;
    }
    case 'array':
      return s.items ? [fullValue(s.items)] : [];
    case 'integer':
      return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'number':
      return 1.5;
    case 'boolean':
      return true;
    case 'string':
      switch (s.format) {
        case 'date-time':
          return '2024-01-01T00:00:00Z';
        case 'date':
          return '2024-01-01';
        case 'byte':
          return 'YWJj';
        case 'duration':
          return '1m';
      }
      return 'a';
  }
  return {};
}

describe('every CEL rule of the CRDs', () => {
  it('compiles every rule of every served CRD version, with nothing unsupported', () => {
    const counts: Record<string, number> = {};
    const unsupported: string[] = [];
    let total = 0;
    for (const [apiVersion, kind] of crdKinds()) {
      const rules = compileCelRules(registry, apiVersion, kind);
      // Same rules, same places, same order as SchemaRegistry.celRules().
      expect(rules.map((r) => [r.path, r.rule])).toEqual(registry.celRules(apiVersion, kind).map((r) => [r.path, r.rule]));
      if (rules.length > 0) counts[`${apiVersion} ${kind}`] = rules.length;
      total += rules.length;
      for (const r of rules) if (r.error !== undefined) unsupported.push(`${apiVersion} ${kind} ${r.path}: ${r.rule}: ${r.error}`);
    }
    console.log(`CEL rules: ${total} in ${Object.keys(counts).length} CRD versions`, counts);
    expect(unsupported).toEqual([]);
    expect(counts).toEqual({
      'cert-manager.io/v1 ClusterIssuer': 1,
      'cert-manager.io/v1 Issuer': 1,
      'external-secrets.io/v1 ClusterSecretStore': 15,
      'external-secrets.io/v1 SecretStore': 15,
      'gateway.networking.k8s.io/v1 BackendTLSPolicy': 8,
      'gateway.networking.k8s.io/v1 GRPCRoute': 33,
      'gateway.networking.k8s.io/v1 Gateway': 16,
      'gateway.networking.k8s.io/v1 GatewayClass': 1,
      'gateway.networking.k8s.io/v1 HTTPRoute': 89,
      'gateway.networking.k8s.io/v1 ListenerSet': 7,
      'gateway.networking.k8s.io/v1 TCPRoute': 3,
      'gateway.networking.k8s.io/v1 TLSRoute': 6,
      'gateway.networking.k8s.io/v1 UDPRoute': 3,
      'gateway.networking.k8s.io/v1beta1 Gateway': 16,
      'gateway.networking.k8s.io/v1beta1 GatewayClass': 1,
      'gateway.networking.k8s.io/v1beta1 HTTPRoute': 89,
      'helm.toolkit.fluxcd.io/v2 HelmRelease': 5,
      'kustomize.toolkit.fluxcd.io/v1 Kustomization': 2,
      'source.toolkit.fluxcd.io/v1 Bucket': 7,
      'source.toolkit.fluxcd.io/v1 GitRepository': 1,
      'source.toolkit.fluxcd.io/v1 HelmChart': 1,
      'trust.cert-manager.io/v1alpha1 Bundle': 5,
    });
    expect(total).toBe(325);
    // Kinds without any rule.
    for (const k of ['cert-manager.io/v1 Certificate', 'gateway.networking.k8s.io/v1 ReferenceGrant', 'external-secrets.io/v1 ExternalSecret']) {
      const [apiVersion, kind] = k.split(' ') as [string, string];
      expect(registry.lookup(apiVersion, kind).source).toBe('crd');
      expect(compileCelRules(registry, apiVersion, kind)).toEqual([]);
    }
  });

  it('evaluates every non-transition rule on an object that has every field, with no unsupported function', () => {
    const evaluated = new Set<string>();
    const problems: string[] = [];
    let expected = 0;
    for (const [apiVersion, kind] of crdKinds()) {
      const rules = compileCelRules(registry, apiVersion, kind);
      if (rules.length === 0) continue;
      const schema = registry.openApiSchema(apiVersion, kind)!;
      const obj = fullValue(schema) as any;
      Object.assign(obj, { apiVersion, kind, metadata: { name: 'full', namespace: 'default' } });
      const observe = (e: CelRuleOutcome): void => {
        if (e.outcome === 'pass' || e.outcome === 'fail' || e.outcome === 'error') evaluated.add(`${apiVersion} ${kind} ${e.schemaPath} ${e.rule}`);
        // Runtime errors that only data explains are fine (no such key, ...); unsupported ones are not.
        if (e.outcome === 'unsupported' || (e.outcome === 'error' && /overload|unbound|not supported|invalid data/.test(e.message ?? ''))) {
          problems.push(`${apiVersion} ${kind}: ${e.message}`);
        }
      };
      evaluateCelRules(registry, obj, observe);
      for (const r of rules) if (!r.transition) expected++;
      for (const r of rules) {
        const key = `${apiVersion} ${kind} ${r.path} ${r.rule}`;
        if (!r.transition && !evaluated.has(key)) problems.push(`never evaluated: ${key}`);
      }
    }
    expect(problems).toEqual([]);
    expect(expected).toBe(323); // 325 less the 2 GatewayClass transition rules
  });
});

// ---------------------------------------------------------------------------------------------
// Gateway
// ---------------------------------------------------------------------------------------------

const gateway = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'public', namespace: 'gateway' },
  spec: {
    gatewayClassName: 'istio',
    listeners: [
      {
        name: 'https',
        hostname: '*.example.com',
        port: 443,
        protocol: 'HTTPS',
        tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'wildcard-example-tls' }] },
        allowedRoutes: { namespaces: { from: 'All' } },
      },
      { name: 'http', hostname: '*.example.com', port: 80, protocol: 'HTTP' },
    ] as any[],
  },
};

describe('Gateway (gateway.networking.k8s.io/v1)', () => {
  it('accepts an HTTPS listener (Terminate, certificateRefs) with an HTTP listener', () => {
    expect(registry.validate(gateway)).toEqual([]);
    expect(evaluateCelRules(registry, gateway)).toEqual([]);
  });

  it('rejects two listeners with the same name', () => {
    const bad = clone(gateway);
    bad.spec.listeners[1].name = 'https';
    expect(evaluateCelRules(registry, bad)).toEqual(['Gateway/gateway/public: spec.listeners: Listener name must be unique within the Gateway']);
  });

  it('rejects an HTTP listener with tls', () => {
    const bad = clone(gateway);
    bad.spec.listeners[1].tls = { mode: 'Terminate', certificateRefs: [{ name: 'x' }] };
    expect(evaluateCelRules(registry, bad)).toEqual([
      "Gateway/gateway/public: spec.listeners: tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
    ]);
  });

  it('has no CEL rule requiring tls on an HTTPS listener (v1.6.1), but requires it on a TLS listener', () => {
    const https = clone(gateway);
    delete https.spec.listeners[0].tls;
    expect(evaluateCelRules(registry, https)).toEqual([]);
    const tls = clone(gateway);
    tls.spec.listeners[0].protocol = 'TLS';
    delete tls.spec.listeners[0].tls;
    expect(evaluateCelRules(registry, tls)).toEqual(['Gateway/gateway/public: spec.listeners: tls mode must be set for protocol TLS']);
  });

  it('rejects tls mode Passthrough on an HTTPS listener', () => {
    const bad = clone(gateway);
    bad.spec.listeners[0].tls.mode = 'Passthrough';
    expect(evaluateCelRules(registry, bad)).toEqual(['Gateway/gateway/public: spec.listeners: tls mode must be Terminate for protocol HTTPS']);
  });

  it('reports, like the API server, a Terminate tls without certificateRefs nor options (mode defaulted)', () => {
    const bad = clone(gateway);
    bad.spec.listeners[0].tls = {};
    // mode defaults to Terminate; size() of an absent field is a "no such key" error, not false.
    expect(evaluateCelRules(registry, bad)).toEqual([
      'Gateway/gateway/public: spec.listeners[0].tls: no such key: certificateRefs evaluating rule: certificateRefs or options must be specified when mode is Terminate',
    ]);
    bad.spec.listeners[0].tls = { options: { 'example.com/x': 'y' } };
    expect(evaluateCelRules(registry, bad)).toEqual([]);
  });

  it('rejects two listeners with the same port, protocol and hostname (int comparison of ports)', () => {
    const bad = clone(gateway);
    bad.spec.listeners[1] = { name: 'https-2', hostname: '*.example.com', port: 443, protocol: 'HTTPS', tls: clone(gateway.spec.listeners[0].tls) };
    expect(evaluateCelRules(registry, bad)).toEqual([
      'Gateway/gateway/public: spec.listeners: Combination of port, protocol and hostname must be unique for each listener',
    ]);
    bad.spec.listeners[1].port = 8443;
    expect(evaluateCelRules(registry, bad)).toEqual([]);
  });

  it('checks infrastructure label keys with RE2 and the strings extension', () => {
    const ok = clone(gateway) as any;
    ok.spec.infrastructure = { labels: { 'example.com/team': 'pki', tier: 'edge' } };
    expect(evaluateCelRules(registry, ok)).toEqual([]);
    const bad = clone(ok);
    bad.spec.infrastructure.labels = { 'Example.com/team': 'pki' };
    expect(evaluateCelRules(registry, bad)).toEqual([
      'Gateway/gateway/public: spec.infrastructure.labels: Label keys must be in the form of an optional DNS subdomain prefix followed by a required name segment of up to 63 characters.',
    ]);
    bad.spec.infrastructure.labels = { [`${'a'.repeat(253)}/x`]: 'v' };
    expect(evaluateCelRules(registry, bad)).toEqual([
      "Gateway/gateway/public: spec.infrastructure.labels: If specified, the label key's prefix must be a DNS subdomain not longer than 253 characters in total.",
    ]);
  });

  it('validates every item of a list on its own path', () => {
    const bad = clone(gateway) as any;
    bad.spec.addresses = [
      { type: 'Hostname', value: 'lb.example.com' },
      { type: 'Hostname', value: 'Bad_Host' },
    ];
    expect(evaluateCelRules(registry, bad)).toEqual([
      'Gateway/gateway/public: spec.addresses[1]: Hostname value must be empty or contain only valid characters (matching ^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// HTTPRoute
// ---------------------------------------------------------------------------------------------

const route = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'vault', namespace: 'vault' },
  spec: {
    parentRefs: [{ name: 'public', namespace: 'gateway', sectionName: 'https' }] as any[],
    hostnames: ['vault.example.com'],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/v1/' } }],
        backendRefs: [{ name: 'vault', port: 8200 }],
        timeouts: { request: '30s', backendRequest: '10s' },
      },
    ] as any[],
  },
};

describe('HTTPRoute (gateway.networking.k8s.io/v1)', () => {
  it('accepts a valid route', () => {
    expect(registry.validate(route)).toEqual([]);
    expect(evaluateCelRules(registry, route)).toEqual([]);
  });

  it('applies schema defaults first: a rule without matches, or no rules at all, is valid', () => {
    // Without the default `matches`, the `spec.rules` rule would fail with "no such key: matches".
    const noMatches = clone(route);
    delete noMatches.spec.rules[0].matches;
    expect(evaluateCelRules(registry, noMatches)).toEqual([]);
    const noRules = clone(route) as any;
    delete noRules.spec.rules;
    expect(evaluateCelRules(registry, noRules)).toEqual([]);
  });

  it('rejects a path match value that does not start with /', () => {
    const bad = clone(route);
    bad.spec.rules[0].matches[0].path.value = 'v1/';
    expect(evaluateCelRules(registry, bad)).toEqual([
      "HTTPRoute/vault/vault: spec.rules[0].matches[0].path: value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
    ]);
  });

  it('rejects a path with characters outside the RE2 character class', () => {
    const bad = clone(route);
    bad.spec.rules[0].matches[0].path.value = '/v1 /';
    expect(evaluateCelRules(registry, bad)).toEqual([
      "HTTPRoute/vault/vault: spec.rules[0].matches[0].path: must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']",
    ]);
  });

  it('rejects a RequestRedirect filter together with backendRefs', () => {
    const bad = clone(route);
    bad.spec.rules[0].filters = [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }];
    expect(evaluateCelRules(registry, bad)).toEqual(['HTTPRoute/vault/vault: spec.rules[0]: RequestRedirect filter must not be used together with backendRefs']);
  });

  it('rejects RequestRedirect and URLRewrite in the same rule', () => {
    const bad = clone(route);
    delete bad.spec.rules[0].backendRefs;
    bad.spec.rules[0].filters = [
      { type: 'RequestRedirect', requestRedirect: { scheme: 'https' } },
      { type: 'URLRewrite', urlRewrite: { hostname: 'other.example.com' } },
    ];
    expect(evaluateCelRules(registry, bad)).toEqual([
      'HTTPRoute/vault/vault: spec.rules[0].filters: May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both',
    ]);
  });

  it('rejects a filter whose type does not match its field', () => {
    const bad = clone(route);
    bad.spec.rules[0].filters = [{ type: 'URLRewrite', requestRedirect: { scheme: 'https' } }];
    expect(evaluateCelRules(registry, bad)).toEqual([
      'HTTPRoute/vault/vault: spec.rules[0]: RequestRedirect filter must not be used together with backendRefs',
      'HTTPRoute/vault/vault: spec.rules[0].filters[0]: filter.requestRedirect must be nil if the filter.type is not RequestRedirect',
      'HTTPRoute/vault/vault: spec.rules[0].filters[0]: filter.urlRewrite must be specified for URLRewrite filter.type',
    ]);
  });

  it('compares durations: backendRequest longer than request fails, a request of 0s disables the check', () => {
    const bad = clone(route);
    bad.spec.rules[0].timeouts = { request: '1m', backendRequest: '1h' };
    expect(evaluateCelRules(registry, bad)).toEqual(['HTTPRoute/vault/vault: spec.rules[0].timeouts: backendRequest timeout cannot be longer than request timeout']);
    bad.spec.rules[0].timeouts = { request: '0s', backendRequest: '1h' };
    expect(evaluateCelRules(registry, bad)).toEqual([]);
    bad.spec.rules[0].timeouts = { request: '1h', backendRequest: '59m59s' };
    expect(evaluateCelRules(registry, bad)).toEqual([]);
  });

  it('reads parentRefs[].namespace as __namespace__ (escaped CEL field)', () => {
    const twoGateways = clone(route);
    twoGateways.spec.parentRefs = [
      { name: 'public', namespace: 'gateway' },
      { name: 'public', namespace: 'other' },
    ];
    expect(evaluateCelRules(registry, twoGateways)).toEqual([]);
    const sameGateway = clone(twoGateways);
    sameGateway.spec.parentRefs[1] = { name: 'public', namespace: 'gateway', sectionName: 'https' };
    expect(evaluateCelRules(registry, sameGateway)).toEqual([
      'HTTPRoute/vault/vault: spec.parentRefs: sectionName must be specified when parentRefs includes 2 or more references to the same parent',
    ]);
  });

  it('rejects a Service backendRef without port', () => {
    const bad = clone(route);
    delete bad.spec.rules[0].backendRefs[0].port;
    expect(evaluateCelRules(registry, bad)).toEqual(['HTTPRoute/vault/vault: spec.rules[0].backendRefs[0]: Must have port for Service reference']);
  });
});

describe('TLSRoute (gateway.networking.k8s.io/v1): isIP and substring', () => {
  const tlsRoute = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'TLSRoute',
    metadata: { name: 'vault', namespace: 'vault' },
    spec: { parentRefs: [{ name: 'public', namespace: 'gateway' }], hostnames: ['vault.example.com', '*.example.com'], rules: [{ backendRefs: [{ name: 'vault', port: 8200 }] }] },
  };

  it('accepts hostnames and wildcards', () => {
    expect(registry.validate(tlsRoute)).toEqual([]);
    expect(evaluateCelRules(registry, tlsRoute)).toEqual([]);
  });

  it('rejects IP addresses and misplaced wildcards', () => {
    const bad = clone(tlsRoute);
    bad.spec.hostnames = ['10.0.0.1', 'vault.*.example.com'];
    expect(evaluateCelRules(registry, bad)).toEqual([
      'TLSRoute/vault/vault: spec.hostnames: Hostnames cannot contain an IP',
      'TLSRoute/vault/vault: spec.hostnames: Wildcards on hostnames must be the first label, and the rest of hostname must be valid based on RFC-1123',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// cert-manager
// ---------------------------------------------------------------------------------------------

describe('cert-manager (v1.21.1)', () => {
  const issuer = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name: 'venafi' },
    spec: { venafi: { zone: 'Default', cloud: { apiTokenSecretRef: { name: 'venafi-token', key: 'token' } } } } as any,
  };

  it('Certificate has no CEL rule', () => {
    expect(registry.celRules('cert-manager.io/v1', 'Certificate')).toEqual([]);
    expect(compileCelRules(registry, 'cert-manager.io/v1', 'Certificate')).toEqual([]);
  });

  it('ClusterIssuer has one rule, on spec.venafi', () => {
    expect(compileCelRules(registry, 'cert-manager.io/v1', 'ClusterIssuer')).toEqual([
      {
        path: 'spec.venafi',
        rule: '(has(self.tpp) ? 1 : 0) + (has(self.cloud) ? 1 : 0) + (has(self.ngts) ? 1 : 0) == 1',
        transition: false,
        optionalOldSelf: false,
      },
    ]);
  });

  it('accepts a venafi issuer with exactly one of tpp, cloud or ngts, and a vault issuer (rule not reached)', () => {
    expect(registry.validate(issuer)).toEqual([]);
    expect(evaluateCelRules(registry, issuer)).toEqual([]);
    const vault = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: 'vault' },
      spec: { vault: { server: 'https://vault.example.com', path: 'pki/sign/gateway', auth: { kubernetes: { role: 'issuer', mountPath: '/v1/auth/kubernetes', serviceAccountRef: { name: 'issuer' } } } } },
    };
    expect(evaluateCelRules(registry, vault)).toEqual([]);
  });

  it('rejects a venafi issuer with both tpp and cloud, or neither', () => {
    const both = clone(issuer);
    both.spec.venafi.tpp = { url: 'https://tpp.example.com/vedsdk', credentialsRef: { name: 'tpp' } };
    expect(registry.validate(both)).toEqual([]);
    expect(evaluateCelRules(registry, both)).toEqual(['ClusterIssuer/venafi: spec.venafi: exactly one of tpp, cloud, or ngts must be configured']);
    const neither = clone(issuer);
    delete neither.spec.venafi.cloud;
    expect(evaluateCelRules(registry, neither)).toEqual(['ClusterIssuer/venafi: spec.venafi: exactly one of tpp, cloud, or ngts must be configured']);
    const namespaced = { ...clone(both), kind: 'Issuer', metadata: { name: 'venafi', namespace: 'pki' } };
    expect(evaluateCelRules(registry, namespaced)).toEqual(['Issuer/pki/venafi: spec.venafi: exactly one of tpp, cloud, or ngts must be configured']);
  });
});

// ---------------------------------------------------------------------------------------------
// Transition rules
// ---------------------------------------------------------------------------------------------

describe('transition rules (oldSelf)', () => {
  it('skips GatewayClass spec.controllerName "self == oldSelf" on create', () => {
    expect(compileCelRules(registry, 'gateway.networking.k8s.io/v1', 'GatewayClass')).toEqual([
      { path: 'spec.controllerName', rule: 'self == oldSelf', transition: true, optionalOldSelf: false },
    ]);
    const gatewayClass = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'istio' },
      spec: { controllerName: 'istio.io/gateway-controller' },
    };
    const outcomes: CelRuleOutcome[] = [];
    expect(evaluateCelRules(registry, gatewayClass, (e) => outcomes.push(e))).toEqual([]);
    expect(outcomes).toEqual([{ schemaPath: 'spec.controllerName', path: 'spec.controllerName', rule: 'self == oldSelf', outcome: 'skipped' }]);
  });
});

// ---------------------------------------------------------------------------------------------
// Other CRD sets
// ---------------------------------------------------------------------------------------------

describe('Flux, external-secrets and trust-manager rules', () => {
  it('HelmRelease: exactly one of chart or chartRef', () => {
    const release = {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: 'cert-manager', namespace: 'cert-manager' },
      spec: { interval: '30m', chart: { spec: { chart: 'cert-manager', sourceRef: { kind: 'HelmRepository', name: 'jetstack' } } } } as any,
    };
    expect(evaluateCelRules(registry, release)).toEqual([]);
    release.spec.chartRef = { kind: 'OCIRepository', name: 'cert-manager' };
    expect(evaluateCelRules(registry, release)).toEqual(['HelmRelease/cert-manager/cert-manager: spec: either chart or chartRef must be set']);
  });

  it('SecretStore: reserved keys of a map ("in" on map keys)', () => {
    const store = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'aws', namespace: 'vault' },
      spec: { provider: { aws: { service: 'SecretsManager', region: 'eu-west-1', customSessionTags: { team: 'pki' } } } } as any,
    };
    expect(evaluateCelRules(registry, store)).toEqual([]);
    store.spec.provider.aws.customSessionTags.esoNamespace = 'x';
    expect(evaluateCelRules(registry, store)).toEqual([
      'SecretStore/vault/aws: spec.provider.aws.customSessionTags: customSessionTags cannot contain automatically injected reserved keys: esoNamespace, esoStoreName, esoStoreKind',
    ]);
  });

  it('Bundle: exactly one source kind per source (list literal, filter, size)', () => {
    const bundle = {
      apiVersion: 'trust.cert-manager.io/v1alpha1',
      kind: 'Bundle',
      metadata: { name: 'company-ca' },
      spec: { sources: [{ useDefaultCAs: true }, { secret: { name: 'root-ca', key: 'ca.crt' } }], target: { configMap: { key: 'ca.crt' } } } as any,
    };
    expect(evaluateCelRules(registry, bundle)).toEqual([]);
    bundle.spec.sources[1].inLine = 'pem';
    expect(evaluateCelRules(registry, bundle)).toEqual([
      'Bundle/company-ca: spec.sources[1]: exactly one of the fields in [configMap secret inLine useDefaultCAs] must be set',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// CEL semantics, on a test CRD
// ---------------------------------------------------------------------------------------------

const r = (rule: string, message: string, extra: Record<string, unknown> = {}) => ({ rule, message, ...extra });

/** A CRD made for these tests: one rule per semantic that matters. */
const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.test.example.com' },
  spec: {
    group: 'test.example.com',
    names: { kind: 'Widget', plural: 'widgets' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            'x-kubernetes-validations': [r("self.metadata.name.startsWith('w')", 'name must start with w')],
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: {
                type: 'object',
                'x-kubernetes-validations': [
                  r("!has(self.__namespace__) || self.__namespace__ == self.x__dash__y", 'namespace must equal x-y'),
                  r("self.mode == 'A' || self.mode == 'B'", 'mode must be A or B'),
                  {
                    rule: '!has(self.name) || self.name.size() <= 5',
                    messageExpression: "'name ' + self.name + ' is longer than ' + string(5)",
                    fieldPath: '.name',
                    reason: 'FieldValueInvalid',
                  },
                  { rule: "!has(self.s) || self.s != 'bad'", message: 'fallback message', messageExpression: "'s is ' + string(size(self.s) / 0)" },
                  r('!has(self.nullableField)', 'nullableField must not be set'),
                  r(
                    "!has(self.s) || (self.s.lowerAscii().upperAscii() == self.s.upperAscii() && 'a,b,c'.split(',').join('-') == 'a-b-c' && ' x '.trim() == 'x' && 'abcb'.lastIndexOf('b') == 3 && 'abc'.indexOf('c') == 2 && 'abc'.substring(1, 2) == 'b' && 'abc'.replace('b', '') == 'ac')",
                    'strings extension',
                  ),
                  r("!has(self.at) || self.at < timestamp('2030-01-01T00:00:00Z')", 'at must be before 2030'),
                  r('!has(self.data) || size(self.data) == 3', 'data must be 3 bytes'),
                  r("!has(self.wait) || self.wait <= duration('1h')", 'wait must be at most 1h'),
                  r(
                    "!has(self.items) || (self.items.exists_one(i, i.name == 'first') && self.items.map(i, i.weight).exists(w, w == 1))",
                    'exactly one item named first, and one of weight 1',
                  ),
                  r('!has(self.blobA) || !has(self.blobB) || self.blobA == self.blobB', 'blobA and blobB must be equal'),
                  r('self.version >= oldSelf.version', 'version must not decrease'),
                  r('!oldSelf.hasValue() || self.version >= oldSelf.value().version', 'version must not decrease (ratcheting)', { optionalOldSelf: true }),
                ],
                properties: {
                  port: {
                    'x-kubernetes-int-or-string': true,
                    'x-kubernetes-validations': [r("type(self) == int ? self > 0 && self < 65536 : self.matches('^[a-z]+$')", 'port must be 1-65535 or a name')],
                  },
                  ratio: { type: 'number', 'x-kubernetes-validations': [r('type(self) == double && self <= 1.0', 'ratio must be a double <= 1')] },
                  count: { type: 'integer', 'x-kubernetes-validations': [r('type(self) == int && self / 2 * 2 == self', 'count must be even')] },
                  namespace: { type: 'string' },
                  'x-y': { type: 'string' },
                  mode: { type: 'string', default: 'A' },
                  name: { type: 'string' },
                  s: { type: 'string', 'x-kubernetes-validations': [r("self.matches('^(?i)ab+c\\\\z')", 's must match (?i)ab+c')] },
                  ips: {
                    type: 'array',
                    items: { type: 'string' },
                    'x-kubernetes-validations': [{ rule: 'self.all(i, isIP(i))', messageExpression: "'invalid IPs: ' + self.filter(i, !isIP(i)).join(', ')" }],
                  },
                  at: { type: 'string', format: 'date-time' },
                  data: { type: 'string', format: 'byte' },
                  wait: { type: 'string', format: 'duration' },
                  nullableField: { type: 'string', nullable: true },
                  limits: { type: 'object', additionalProperties: { type: 'integer', 'x-kubernetes-validations': [r('self > 0', 'limit must be positive')] } },
                  items: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: { name: { type: 'string' }, weight: { type: 'integer', default: 1 } },
                      'x-kubernetes-validations': [r('self.weight <= 10', 'weight must be at most 10')],
                    },
                  },
                  template: {
                    type: 'object',
                    'x-kubernetes-embedded-resource': true,
                    'x-kubernetes-preserve-unknown-fields': true,
                    'x-kubernetes-validations': [r("self.kind == 'ConfigMap' && self.metadata.name != ''", 'template must be a named ConfigMap')],
                  },
                  version: { type: 'integer' },
                  blobA: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  blobB: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  createOnly: { type: 'string', 'x-kubernetes-validations': [r('oldSelf.hasValue()', 'createOnly can only be set on update', { optionalOldSelf: true })] },
                  url: { type: 'string', 'x-kubernetes-validations': [r('isURL(self)', 'must be a URL')] },
                  re: { type: 'string', 'x-kubernetes-validations': [r("self.matches('[')", 'bad regex')] },
                  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-validations': [r('has(self.foo)', 'extra needs foo')] },
                },
              },
            },
          },
        },
      },
    ],
  },
};

describe('CEL semantics (test CRD)', () => {
  let root: string;
  let widgets: SchemaRegistry;
  const widget = (spec: Record<string, unknown>, name = 'w1') => ({
    apiVersion: 'test.example.com/v1',
    kind: 'Widget',
    metadata: { name, namespace: 'default' },
    spec,
  });
  const evaluate = (spec: Record<string, unknown>, name?: string) => evaluateCelRules(widgets, widget(spec, name));

  beforeAll(() => {
    // The real CRD folders, except trust-manager's Bundle, replaced by the test CRD.
    root = mkdtempSync(join(tmpdir(), 'cel-crds-'));
    for (const project of readdirSync(DEFAULT_CRD_ROOT, { withFileTypes: true })) {
      if (project.isDirectory() && project.name !== 'trust-manager') symlinkSync(join(DEFAULT_CRD_ROOT, project.name), join(root, project.name));
    }
    mkdirSync(join(root, 'trust-manager', 'v0.0.0'), { recursive: true });
    writeFileSync(join(root, 'trust-manager', 'v0.0.0', 'trust.cert-manager.io_bundles.yaml'), stringify(widgetCrd));
    widgets = SchemaRegistry.load(root);
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('reports the rules this evaluator cannot run, at compile time', () => {
    const errors = compileCelRules(widgets, 'test.example.com/v1', 'Widget')
      .filter((c) => c.error !== undefined)
      .map((c) => `${c.path}: ${c.error}`);
    expect(errors).toEqual([
      "spec.url: undeclared reference to 'isURL' (function not supported by this evaluator)",
      'spec.re: invalid regular expression: error parsing regexp: missing closing ]: `[`',
      "spec.extra: undefined field 'foo'",
    ]);
  });

  it('passes a valid widget (defaults applied, transition rule skipped, optionalOldSelf rule run with no oldSelf)', () => {
    const outcomes: CelRuleOutcome[] = [];
    const errors = evaluateCelRules(
      widgets,
      widget({
        port: 'http',
        ratio: 1,
        count: 4,
        namespace: 'a',
        'x-y': 'a',
        name: 'short',
        s: 'ABBC',
        ips: ['10.0.0.1', '2001:db8::1'],
        at: '2024-05-01T10:00:00Z',
        data: 'YWJj',
        wait: '30m',
        nullableField: null,
        limits: { cpu: 2 },
        items: [{ name: 'first' }, { name: 'second', weight: 5 }],
        template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } },
        version: 3,
      }),
      (e) => outcomes.push(e),
    );
    expect(errors).toEqual([]);
    const spec = outcomes.filter((o) => o.schemaPath === 'spec');
    expect(spec.find((o) => o.rule === 'self.version >= oldSelf.version')?.outcome).toBe('skipped');
    expect(spec.find((o) => o.rule.startsWith('!oldSelf.hasValue()'))?.outcome).toBe('pass');
    expect(spec.find((o) => o.rule.startsWith("self.mode == 'A'"))?.outcome).toBe('pass'); // mode defaulted to A
    expect(outcomes.filter((o) => o.outcome !== 'skipped').every((o) => o.outcome === 'pass')).toBe(true);
  });

  it('binds the root to self (apiVersion, kind, metadata.name)', () => {
    expect(evaluate({}, 'x1')).toEqual(['Widget/default/x1: (root): name must start with w']);
  });

  it('types int-or-string as int or string, and reports other data', () => {
    expect(evaluate({ port: 8080 })).toEqual([]);
    expect(evaluate({ port: 'https' })).toEqual([]);
    expect(evaluate({ port: 0 })).toEqual(['Widget/default/w1: spec.port: port must be 1-65535 or a name']);
    expect(evaluate({ port: 'HTTPS' })).toEqual(['Widget/default/w1: spec.port: port must be 1-65535 or a name']);
    // Data that does not fit the schema fails the rules that read it, with the API server's error.
    expect(evaluate({ port: 1.5 })).toEqual([
      'Widget/default/w1: spec.port: invalid data, expected XIntOrString value to be either a string or integer evaluating rule: port must be 1-65535 or a name',
    ]);
    expect(evaluate({ items: [{ name: 'first', weight: '2' }] })).toEqual([
      'Widget/default/w1: spec: invalid data, expected int, got string evaluating rule: exactly one item named first, and one of weight 1',
      'Widget/default/w1: spec.items[0]: invalid data, expected int, got string evaluating rule: weight must be at most 10',
    ]);
  });

  it('types integer as int (integer division) and number as double (also for whole numbers)', () => {
    expect(evaluate({ count: 5 })).toEqual(['Widget/default/w1: spec.count: count must be even']);
    expect(evaluate({ ratio: 1 })).toEqual([]);
    expect(evaluate({ ratio: 1.5 })).toEqual(['Widget/default/w1: spec.ratio: ratio must be a double <= 1']);
  });

  it('escapes reserved and dashed property names', () => {
    expect(evaluate({ namespace: 'a', 'x-y': 'a' })).toEqual([]);
    expect(evaluate({ namespace: 'a', 'x-y': 'b' })).toEqual(['Widget/default/w1: spec: namespace must equal x-y']);
  });

  it('uses messageExpression and fieldPath, and falls back to message when messageExpression fails', () => {
    expect(evaluate({ name: 'toolong' })).toEqual(['Widget/default/w1: spec.name: name toolong is longer than 5']);
    // A node's own rules run before the rules below it, as in the API server.
    expect(evaluate({ s: 'bad' })).toEqual([
      'Widget/default/w1: spec: fallback message',
      'Widget/default/w1: spec.s: s must match (?i)ab+c',
    ]);
  });

  it('treats null fields as absent (has() is false)', () => {
    expect(evaluate({ nullableField: null })).toEqual([]);
    expect(evaluate({ nullableField: 'x' })).toEqual(['Widget/default/w1: spec: nullableField must not be set']);
  });

  it('uses RE2 syntax for matches: (?i) flags and \\z', () => {
    expect(evaluate({ s: 'aBbC' })).toEqual([]);
    expect(evaluate({ s: 'abc\n' })).toEqual(['Widget/default/w1: spec.s: s must match (?i)ab+c']);
  });

  it('converts date-time to timestamp, byte to bytes and duration formats to duration', () => {
    expect(evaluate({ at: '2031-01-01T00:00:00+02:00' })).toEqual(['Widget/default/w1: spec: at must be before 2030']);
    expect(evaluate({ data: 'YWJjZA==' })).toEqual(['Widget/default/w1: spec: data must be 3 bytes']);
    expect(evaluate({ wait: '1h' })).toEqual([]);
    expect(evaluate({ wait: '2d' })).toEqual(['Widget/default/w1: spec: wait must be at most 1h']);
  });

  it('runs map-value and list-item rules once per value, on their own path', () => {
    expect(evaluate({ limits: { cpu: 1, memory: 0 } })).toEqual(['Widget/default/w1: spec.limits[memory]: limit must be positive']);
    expect(evaluate({ items: [{ name: 'first' }, { name: 'second', weight: 11 }] })).toEqual(['Widget/default/w1: spec.items[1]: weight must be at most 10']);
    expect(evaluate({ items: [{ name: 'first' }, { name: 'first', weight: 2 }] })).toEqual([
      'Widget/default/w1: spec: exactly one item named first, and one of weight 1',
    ]);
  });

  it('exposes apiVersion, kind and metadata.name of embedded resources', () => {
    expect(evaluate({ template: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } } })).toEqual([
      'Widget/default/w1: spec.template: template must be a named ConfigMap',
    ]);
  });

  it('keeps the content of x-kubernetes-preserve-unknown-fields objects for equality', () => {
    expect(evaluate({ blobA: { x: [1, { y: 'z' }] }, blobB: { x: [1, { y: 'z' }] } })).toEqual([]);
    expect(evaluate({ blobA: { x: [1, { y: 'z' }] }, blobB: { x: [1, { y: 'Z' }] } })).toEqual(['Widget/default/w1: spec: blobA and blobB must be equal']);
  });

  it('runs optionalOldSelf rules on create with oldSelf absent', () => {
    expect(evaluate({ createOnly: 'x' })).toEqual(['Widget/default/w1: spec.createOnly: createOnly can only be set on update']);
  });

  it('implements isIP like Kubernetes (no zones, no IPv4-mapped IPv6, no leading zeros)', () => {
    expect(evaluate({ ips: ['10.0.0.1', '::1', '2001:db8::1', '::ffff:10.0.0.1', '010.0.0.1', 'fe80::1%eth0', 'example.com'] })).toEqual([
      'Widget/default/w1: spec.ips: invalid IPs: ::ffff:10.0.0.1, 010.0.0.1, fe80::1%eth0, example.com',
    ]);
    const valid = ['0.0.0.0', '255.255.255.255', '::', '::1', '1::', '2001:db8:0:0:0:0:2:1', '2001:db8::2:1', '64:ff9b::192.0.2.33', '::192.0.2.33', 'ABCD:EF01::'];
    const invalid = ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.04', ' 1.2.3.4', '1:2:3:4:5:6:7:8:9', '1::2::3', ':1::', '1::2:', '12345::', '1:2:3:4:5:6:7::8', '::ffff:1.2.3.4', '1.2.3.4%eth0', 'fe80::1%1', '2001:db8::1.2.3.4.5', 'g::1'];
    for (const ip of valid) expect(parseK8sIP(ip), ip).toBeDefined();
    for (const ip of invalid) expect(parseK8sIP(ip), ip).toBeUndefined();
  });

  it('reports rules that cannot be evaluated, only where they apply', () => {
    expect(evaluate({ url: 'https://example.com' })).toEqual([
      `Widget/default/w1: spec.url: cannot evaluate rule "isURL(self)": undeclared reference to 'isURL' (function not supported by this evaluator)`,
    ]);
    expect(evaluate({ re: 'x' })).toEqual([
      'Widget/default/w1: spec.re: cannot evaluate rule "self.matches(\'[\')": invalid regular expression: error parsing regexp: missing closing ]: `[`',
    ]);
    expect(evaluate({ extra: { foo: 1 } })).toEqual([`Widget/default/w1: spec.extra: cannot evaluate rule "has(self.foo)": undefined field 'foo'`]);
  });
});

// ---------------------------------------------------------------------------------------------
// Performance
// ---------------------------------------------------------------------------------------------

describe('performance', () => {
  it('evaluates ~50 objects, every HTTPRoute rule compiling', () => {
    const objects: unknown[] = [];
    for (let i = 0; i < 10; i++) {
      const g = clone(gateway);
      g.metadata.name = `gw-${i}`;
      objects.push(g);
      const rt = clone(route);
      rt.metadata.name = `route-${i}`;
      rt.spec.rules.push({ matches: [{ path: { type: 'Exact', value: `/p/${i}` } }, { headers: [{ name: 'x', value: 'y' }] }], backendRefs: [{ name: 'b', port: 80 }] });
      objects.push(rt);
      objects.push({ ...clone(route), kind: 'HTTPRoute', metadata: { name: `r2-${i}`, namespace: 'vault' } });
      objects.push({
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: `cert-${i}`, namespace: 'gateway' },
        spec: { secretName: 's', dnsNames: ['a.example.com'], issuerRef: { name: 'vault', kind: 'ClusterIssuer' } },
      });
      objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'gateway' }, data: {} });
    }
    expect(objects.length).toBe(50);
    // No timing assertion (it would flake on a loaded machine; `npm run bench` measures speed).
    for (const o of objects) expect(evaluateCelRules(registry, o)).toEqual([]);
    const rules = compileCelRules(registry, 'gateway.networking.k8s.io/v1', 'HTTPRoute');
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.filter((r) => r.error !== undefined)).toEqual([]);
  });
});

it('reports an object whose kind has no CRD schema, and nothing for core kinds', () => {
  expect(evaluateCelRules(registry, { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't' } })).toEqual([
    'Thing/t: CEL rules not evaluated: no served CRD version for example.com/v1 Thing',
  ]);
  expect(evaluateCelRules(registry, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gateway' } })).toEqual([]);
});
