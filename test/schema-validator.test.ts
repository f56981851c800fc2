// Proves the schema validator of lib/validate/schemas.ts is not vacuous, with hand-written
// objects only (no dependency on the synth code).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SchemaRegistry, loadYamlObjects } from './support/schemas.js';

let registry: SchemaRegistry;

beforeAll(() => {
  registry = SchemaRegistry.load();
});

/** Asserts there is at least one error and one of them contains every fragment given. */
function expectError(errors: string[], ...fragments: string[]): void {
  expect(errors.length, 'expected validation errors').toBeGreaterThan(0);
  const hit = errors.find((e) => fragments.every((f) => e.includes(f)));
  expect(hit, `no error containing ${JSON.stringify(fragments)} in:\n${errors.join('\n')}`).toBeDefined();
}

const clone = <T>(o: T): T => structuredClone(o);

const certificate = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'wildcard-example', namespace: 'gateway', labels: { 'app.kubernetes.io/part-of': 'gateway-pki' } },
  spec: {
    secretName: 'wildcard-example-tls',
    commonName: '*.example.com',
    dnsNames: ['*.example.com', 'example.com'],
    duration: '2160h',
    renewBefore: '360h',
    privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
    usages: ['server auth', 'digital signature'],
    issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'vault-issuer' },
  },
};

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
        allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { 'gateway-access': 'true' } } } },
      },
    ],
  },
};

describe('SchemaRegistry loading', () => {
  // No timing assertion here: timed tests flake on a loaded machine (`npm run bench` measures speed).
  it('knows every CRD kind we emit', () => {
    const kinds = registry.knownKinds();
    for (const k of [
      'cert-manager.io/v1 Certificate',
      'cert-manager.io/v1 ClusterIssuer',
      'gateway.networking.k8s.io/v1 HTTPRoute',
      'helm.toolkit.fluxcd.io/v2 HelmRelease',
      'kustomize.toolkit.fluxcd.io/v1 Kustomization',
      'source.toolkit.fluxcd.io/v1 GitRepository',
      'external-secrets.io/v1 ExternalSecret',
      'monitoring.coreos.com/v1 PrometheusRule',
      'trust.cert-manager.io/v1alpha1 Bundle',
      'v1 Namespace',
      'batch/v1 CronJob',
    ]) {
      expect(kinds).toContain(k);
    }
    // Standard channel only, no experimental group; ClusterBundle and provider-upjet-aws not loaded.
    expect(kinds.some((k) => k.includes('gateway.networking.x-k8s.io'))).toBe(false);
    expect(kinds.some((k) => k.includes('trust-manager.io/'))).toBe(false);
    expect(kinds.some((k) => k.includes('upbound.io'))).toBe(false);
  });

  it('throws a clear error when the CRD folder is missing', () => {
    expect(() => SchemaRegistry.load('/nonexistent/shared/crds')).toThrow(/CRD folder not found: \/nonexistent\/shared\/crds/);
  });
});

describe('CRD kinds', () => {
  it('accepts a valid cert-manager Certificate', () => {
    expect(registry.validate(certificate)).toEqual([]);
  });

  it('rejects an unknown field in a Certificate spec, naming it', () => {
    const bad = clone(certificate) as any;
    bad.spec.secretNmae = 'typo';
    expect(registry.validate(bad)).toEqual(['Certificate/gateway/wildcard-example: spec.secretNmae: unknown field']);
  });

  it('rejects unknown fields nested in arrays and at the top level', () => {
    const bad = clone(gateway) as any;
    bad.spec.listeners[0].tls.certificateRefs[0].nmae = 'x';
    bad.extra = true;
    const errors = registry.validate(bad);
    expectError(errors, 'Gateway/gateway/public: spec.listeners[0].tls.certificateRefs[0].nmae: unknown field');
    expectError(errors, 'extra: unknown field');
  });

  it('rejects a wrong type in a Certificate', () => {
    const bad = clone(certificate) as any;
    bad.spec.dnsNames = 'example.com';
    bad.spec.privateKey.size = '256';
    const errors = registry.validate(bad);
    expectError(errors, 'spec.dnsNames: must be array');
    expectError(errors, 'spec.privateKey.size: must be integer');
  });

  it('rejects a value outside an enum', () => {
    const bad = clone(certificate) as any;
    bad.spec.privateKey.algorithm = 'DSA';
    expectError(registry.validate(bad), 'spec.privateKey.algorithm: must be one of', '"ECDSA"');
  });

  it('rejects a Certificate without a required field', () => {
    const bad = clone(certificate) as any;
    delete bad.spec.secretName;
    delete bad.spec.issuerRef.name;
    const errors = registry.validate(bad);
    expectError(errors, 'spec.secretName: required field is missing');
    expectError(errors, 'spec.issuerRef.name: required field is missing');
  });

  it('accepts a Flux HelmRelease with arbitrary values (x-kubernetes-preserve-unknown-fields)', () => {
    const helmRelease = {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: 'cert-manager', namespace: 'cert-manager' },
      spec: {
        interval: '30m',
        releaseName: 'cert-manager',
        chart: {
          spec: {
            chart: 'cert-manager',
            version: 'v1.21.1',
            sourceRef: { kind: 'HelmRepository', name: 'jetstack', namespace: 'flux-system' },
            interval: '12h',
          },
        },
        install: { crds: 'CreateReplace', remediation: { retries: 3 } },
        upgrade: { crds: 'CreateReplace' },
        values: {
          crds: { enabled: true },
          replicaCount: 2,
          anything: { goes: [1, 'two', { three: null }] },
          podDisruptionBudget: { enabled: true, minAvailable: 1 },
        },
      },
    };
    expect(registry.validate(helmRelease)).toEqual([]);
    const bad = clone(helmRelease) as any;
    bad.spec.chart.spec.sourceRef.kind = 'GitRepo';
    bad.spec.valuez = {};
    const errors = registry.validate(bad);
    expectError(errors, 'spec.chart.spec.sourceRef.kind: must be one of');
    expectError(errors, 'spec.valuez: unknown field');
  });

  it('validates a Flux Kustomization (kustomize.toolkit.fluxcd.io/v1)', () => {
    const kustomization = {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'pki', namespace: 'flux-system' },
      spec: {
        interval: '10m',
        path: './dist/dev/pki',
        prune: true,
        wait: true,
        timeout: '5m',
        dependsOn: [{ name: 'cert-manager' }],
        sourceRef: { kind: 'GitRepository', name: 'platform' },
      },
    };
    expect(registry.validate(kustomization)).toEqual([]);
    const bad = clone(kustomization) as any;
    bad.spec.prune = 'yes';
    delete bad.spec.sourceRef;
    bad.spec.dependsOn[0].nmae = 'x';
    const errors = registry.validate(bad);
    expectError(errors, 'Kustomization/flux-system/pki: spec.prune: must be boolean');
    expectError(errors, 'spec.sourceRef: required field is missing');
    expectError(errors, 'spec.dependsOn[0].nmae: unknown field');
  });

  it('validates a Gateway, rejecting port 70000', () => {
    expect(registry.validate(gateway)).toEqual([]);
    const bad = clone(gateway);
    bad.spec.listeners[0]!.port = 70000;
    expect(registry.validate(bad)).toEqual(['Gateway/gateway/public: spec.listeners[0].port: must be <= 65535']);
  });

  it('validates an HTTPRoute (int port, enums, nested arrays)', () => {
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'vault', namespace: 'vault' },
      spec: {
        parentRefs: [{ name: 'public', namespace: 'gateway', sectionName: 'https' }],
        hostnames: ['vault.example.com'],
        rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'vault', port: 8200 }] }],
      },
    };
    expect(registry.validate(route)).toEqual([]);
    const bad = clone(route) as any;
    bad.spec.rules[0].matches[0].path.type = 'Glob';
    bad.spec.rules[0].backendRefs[0].port = '8200';
    const errors = registry.validate(bad);
    expectError(errors, 'spec.rules[0].matches[0].path.type: must be one of');
    expectError(errors, 'spec.rules[0].backendRefs[0].port: must be integer');
  });

  it('accepts ExternalSecret v1 and rejects the unserved v1beta1', () => {
    const externalSecret = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'vault-approle', namespace: 'cert-manager' },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'aws-secrets-manager' },
        target: { name: 'vault-approle', creationPolicy: 'Owner' },
        data: [{ secretKey: 'secretId', remoteRef: { key: 'pki/vault-approle', property: 'secret_id' } }],
      },
    };
    expect(registry.validate(externalSecret)).toEqual([]);
    const v1beta1 = { ...clone(externalSecret), apiVersion: 'external-secrets.io/v1beta1' };
    expectError(registry.validate(v1beta1), 'ExternalSecret/cert-manager/vault-approle', 'external-secrets.io/v1beta1', 'not served');
    const v9 = { ...clone(externalSecret), apiVersion: 'external-secrets.io/v9' };
    expectError(registry.validate(v9), 'not a version of ExternalSecret');
  });

  it('rejects a namespace on a cluster-scoped kind and a missing one on a namespaced kind', () => {
    const clusterIssuer = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: 'selfsigned' },
      spec: { selfSigned: {} },
    };
    expect(registry.validate(clusterIssuer)).toEqual([]);
    const namespaced = { ...clusterIssuer, metadata: { name: 'selfsigned', namespace: 'cert-manager' } };
    expectError(registry.validate(namespaced), 'ClusterIssuer/cert-manager/selfsigned: metadata.namespace', 'cluster-scoped');
    const noNamespace = clone(certificate) as any;
    delete noNamespace.metadata.namespace;
    expectError(registry.validate(noNamespace), 'Certificate/wildcard-example: metadata.namespace', 'namespaced');
  });

  it('checks metadata: name syntax, label syntax, string annotations, unknown fields', () => {
    const bad = clone(certificate) as any;
    bad.metadata.name = 'Wildcard_Example';
    bad.metadata.labels['bad key!'] = 'x';
    bad.metadata.labels.ok = 'not a valid value';
    bad.metadata.annotations = { note: 42 };
    bad.metadata.lables = {};
    const errors = registry.validate(bad);
    expectError(errors, 'metadata.name', 'DNS-1123 subdomain');
    expectError(errors, 'metadata.labels["bad key!"]: invalid key');
    expectError(errors, 'metadata.labels.ok: invalid label value');
    expectError(errors, 'metadata.annotations.note: must be string');
    expectError(errors, 'metadata.lables: unknown field');
    expectError(registry.validate({ ...certificate, metadata: undefined }), 'metadata: must be an object');
  });

  it('handles x-kubernetes-int-or-string and formats', () => {
    // ServiceMonitor endpoint targetPort is int-or-string.
    const serviceMonitor = (targetPort: unknown) => ({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'vault', namespace: 'vault' },
      spec: { selector: { matchLabels: { app: 'vault' } }, endpoints: [{ targetPort, interval: '30s' }] },
    });
    expect(registry.validate(serviceMonitor(8200))).toEqual([]);
    expect(registry.validate(serviceMonitor('metrics'))).toEqual([]);
    expect(registry.validate(serviceMonitor(true))).toEqual(['ServiceMonitor/vault/vault: spec.endpoints[0].targetPort: must be integer or string']);
    // PrometheusRule: the Go regexp `^(?i)(abort|warn)?$` compiles, and the rule expr is int-or-string.
    const rule = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'certs', namespace: 'monitoring' },
      spec: { groups: [{ name: 'certs', rules: [{ alert: 'CertExpiring', expr: 'certmanager_certificate_expiration_timestamp_seconds - time() < 604800', for: '1h', labels: { severity: 'warning' } }] }] },
    };
    expect(registry.validate(rule)).toEqual([]);
    const badRule = clone(rule) as any;
    badRule.spec.groups[0].rules[0].expr = ['x'];
    expectError(registry.validate(badRule), 'spec.groups[0].rules[0].expr');
  });

  it('rejects a bad trust-manager Bundle', () => {
    const bundle = {
      apiVersion: 'trust.cert-manager.io/v1alpha1',
      kind: 'Bundle',
      metadata: { name: 'internal-ca' },
      spec: { sources: [{ secret: { name: 'vault-ca', key: 'ca.crt' } }], target: { configMap: { key: 'ca.crt' } } },
    };
    expect(registry.validate(bundle)).toEqual([]);
    expectError(registry.validate({ ...bundle, spec: { ...bundle.spec, sources: 'x' } }), 'spec.sources: must be array');
  });
});

describe('core kinds (kubernetes-models)', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'cert-checker', namespace: 'pki' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'cert-checker' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'cert-checker' } },
        spec: {
          serviceAccountName: 'cert-checker',
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'checker',
              image: 'ghcr.io/example/checker:1.0.0',
              args: ['--interval=1h'],
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
              env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'checker', key: 'token' } } }],
              resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  };

  it('accepts a valid Namespace and rejects an unknown top-level field', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pki', labels: { 'kubernetes.io/metadata.name': 'pki' } } };
    expect(registry.validate(ns)).toEqual([]);
    expect(registry.validate({ ...ns, spce: {} })).toEqual(['Namespace/pki: spce: unknown field']);
    expectError(registry.validate({ ...ns, metadata: { name: 'pki', namespace: 'default' } }), 'Namespace is cluster-scoped');
    expectError(registry.validate({ ...ns, metadata: { name: 'pki.example' } }), 'DNS-1123 label');
  });

  it('accepts a valid Deployment and rejects bad container fields', () => {
    expect(registry.validate(deployment)).toEqual([]);
    const bad = clone(deployment) as any;
    bad.spec.template.spec.containers[0].imagee = 'typo';
    bad.spec.template.spec.containers[0].ports[0].containerPort = '8080';
    bad.spec.template.spec.containers[0].resources.requestz = {};
    expect(registry.validate(bad).sort()).toEqual(
      [
        'Deployment/pki/cert-checker: spec.template.spec.containers[0].imagee: unknown field',
        'Deployment/pki/cert-checker: spec.template.spec.containers[0].ports[0].containerPort: must be integer',
        'Deployment/pki/cert-checker: spec.template.spec.containers[0].resources.requestz: unknown field',
      ].sort(),
    );
    const noName = clone(deployment) as any;
    delete noName.spec.template.spec.containers[0].name;
    expectError(registry.validate(noName), 'spec.template.spec.containers[0].name: required field is missing');
  });

  it('validates a CronJob, a Service and RBAC objects', () => {
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'crl-refresh', namespace: 'pki' },
      spec: {
        schedule: '0 * * * *',
        concurrencyPolicy: 'Forbid',
        jobTemplate: { spec: { backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox:1.36' }] } } } },
      },
    };
    expect(registry.validate(cronJob)).toEqual([]);
    const badCron = clone(cronJob) as any;
    badCron.spec.jobTemplate.spec.template.spec.restartPolicy = 'Sometimes';
    badCron.spec.shedule = 'typo';
    const errors = registry.validate(badCron);
    expectError(errors, 'spec.jobTemplate.spec.template.spec.restartPolicy');
    expectError(errors, 'spec.shedule: unknown field');

    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'cert-checker', namespace: 'pki' },
      spec: { selector: { app: 'cert-checker' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    };
    expect(registry.validate(service)).toEqual([]);
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'cert-checker' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'cert-checker', namespace: 'pki' }],
    };
    expect(registry.validate(binding)).toEqual([]);
    expectError(registry.validate({ ...binding, subjects: [{ kind: 'ServiceAccount', nam: 'x' }] }), 'subjects[0].nam: unknown field');
    expectError(registry.validate({ ...service, metadata: { name: 'cert-checker' } }), 'Service is namespaced');
  });
});

describe('unknown kinds', () => {
  it('rejects an apiVersion/kind without a schema', () => {
    expect(registry.validate({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'n' } })).toEqual([
      'Widget/n/w: no schema known for example.com/v1 Widget',
    ]);
    expect(registry.validate({ apiVersion: 'cert-manager.io/v1', kind: 'Certificat', metadata: { name: 'c', namespace: 'n' } })).toEqual([
      'Certificat/n/c: no schema known for cert-manager.io/v1 Certificat',
    ]);
    // Core kinds not in the list are not waved through either.
    expectError(registry.validate({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'r', namespace: 'n' } }), 'no schema known for v1 ReplicationController');
  });

  it('rejects kustomize.config.k8s.io Kustomization (a kustomization.yaml is not a cluster object)', () => {
    expectError(
      registry.validate({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['a.yaml'] }),
      'no schema known for kustomize.config.k8s.io/v1beta1 Kustomization',
    );
  });

  it('rejects non-objects and objects without apiVersion/kind', () => {
    expectError(registry.validate(null), 'not an object');
    expectError(registry.validate([]), 'not an object');
    expectError(registry.validate({ metadata: { name: 'x' } }), 'apiVersion and kind');
  });
});

describe('celRules', () => {
  it('returns the CEL rules of Gateway and HTTPRoute', () => {
    const gatewayRules = registry.celRules('gateway.networking.k8s.io/v1', 'Gateway');
    const routeRules = registry.celRules('gateway.networking.k8s.io/v1', 'HTTPRoute');
    expect(gatewayRules.length).toBeGreaterThan(0);
    expect(routeRules.length).toBeGreaterThan(0);
    for (const r of [...gatewayRules, ...routeRules]) {
      expect(typeof r.path).toBe('string');
      expect(r.rule.length).toBeGreaterThan(0);
    }
    expect(gatewayRules.some((r) => r.path.startsWith('spec.listeners'))).toBe(true);
    expect(routeRules.some((r) => r.path.startsWith('spec.rules[*]'))).toBe(true);
  });

  it('returns nothing for core, unknown or unserved kinds', () => {
    expect(registry.celRules('v1', 'Namespace')).toEqual([]);
    expect(registry.celRules('example.com/v1', 'Widget')).toEqual([]);
    expect(registry.celRules('external-secrets.io/v1beta1', 'ExternalSecret')).toEqual([]);
  });
});

describe('loadYamlObjects', () => {
  it('reads every document of every *.yaml recursively, sorted, skipping kustomization.yaml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schemas-'));
    try {
      mkdirSync(join(dir, 'b'));
      mkdirSync(join(dir, 'a'));
      writeFileSync(join(dir, 'b', 'two.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: two\n');
      writeFileSync(join(dir, 'a', 'one.yaml'), '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: one\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: one-b\n---\n');
      writeFileSync(join(dir, 'a', 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n');
      writeFileSync(join(dir, 'a', 'notes.txt'), 'ignored');
      const docs = loadYamlObjects(dir);
      expect(docs.map((d) => [d.file, d.object.metadata.name])).toEqual([
        ['a/one.yaml', 'one'],
        ['a/one.yaml', 'one-b'],
        ['b/two.yaml', 'two'],
      ]);
      for (const d of docs) expect(registry.validate(d.object)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
