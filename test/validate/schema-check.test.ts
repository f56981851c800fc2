import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkCel } from '../../lib/validate/cel-check.js';
import { checkSchema } from '../../lib/validate/schema-check.js';
import { SchemaRegistry } from '../../lib/validate/schemas.js';
import { inputOf, widget, widgetCrdRoot } from './support.js';

let registry: SchemaRegistry;
beforeAll(() => {
  registry = SchemaRegistry.load();
});

const FILE = 'dist/c1/gateways/gateway.gateways.public.yaml';
const gateway = () => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'public', namespace: 'gateways' },
  spec: {
    gatewayClassName: 'cilium',
    listeners: [{ name: 'https', hostname: '*.example.com', port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'public-tls' }] } }],
  },
});

describe('checkSchema', () => {
  test('a valid object has no finding', () => {
    expect(checkSchema(inputOf({ [FILE]: gateway() }), registry)).toEqual([]);
  });

  test('schema: unknown fields, wrong values and a missing namespace, each with its file, object and path', () => {
    const gw: any = gateway();
    gw.spec.listeners[0].port = 70000;
    gw.spec.listeners[0].tsl = {};
    gw.metadata.labels = { 'app.kubernetes.io/part-of': 'not valid!' };
    const ns = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' }, extra: true };
    const findings = checkSchema(inputOf({ [FILE]: gw, 'dist/c1/trust/configmap.c.yaml': ns }), registry);
    expect(findings.map((f) => [f.rule, f.severity, f.file, f.object, f.path])).toEqual([
      ['schema', 'error', FILE, 'Gateway gateways/public', 'metadata.labels["app.kubernetes.io/part-of"]'],
      ['schema', 'error', FILE, 'Gateway gateways/public', 'spec.listeners[0].tsl'],
      ['schema', 'error', FILE, 'Gateway gateways/public', 'spec.listeners[0].port'],
      ['schema', 'error', 'dist/c1/trust/configmap.c.yaml', 'ConfigMap c', 'metadata.namespace'],
      ['schema', 'error', 'dist/c1/trust/configmap.c.yaml', 'ConfigMap c', 'extra'],
    ]);
    expect(findings.map((f) => f.message)).toEqual([
      'invalid label value "not valid!" (at most 63 alphanumeric characters, "-", "_" or ".", starting and ending alphanumeric)',
      'unknown field',
      'must be <= 65535',
      'ConfigMap is namespaced and must set its namespace explicitly',
      'unknown field',
    ]);
  });

  test('schema: a kind no schema knows, and an object that is not one, have no path', () => {
    const findings = checkSchema(inputOf({ 'dist/c1/a/x.yaml': [{ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't' } }, 'text'] }), registry);
    expect(findings.map((f) => [f.object, f.path, f.message])).toEqual([
      ['Thing t', undefined, 'no schema known for example.com/v1 Thing'],
      ['? ?', undefined, 'not an object (string)'],
    ]);
  });

  test('StatefulSet, DaemonSet and Pod have core schemas too', () => {
    const pod = { containers: [{ name: 'c', image: 'busybox' }] };
    const template = { metadata: { labels: { app: 'a' } }, spec: pod };
    const objects = {
      'dist/c1/a/pod.yaml': { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec: pod },
      'dist/c1/a/sts.yaml': { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's', namespace: 'n' }, spec: { serviceName: 's', selector: { matchLabels: { app: 'a' } }, template } },
      'dist/c1/a/ds.yaml': { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd', namespace: 'n' }, spec: { selector: { matchLabels: { app: 'a' } }, template, replicas: 2 } },
    };
    expect(checkSchema(inputOf(objects), registry).map((f) => [f.object, f.path, f.message])).toEqual([['DaemonSet n/d', 'spec.replicas', 'unknown field']]);
  });
});

describe('checkCel', () => {
  test('cel: a rule of the CRD that the object breaks, as the API server would refuse it', () => {
    const gw: any = gateway();
    gw.spec.listeners[0].tls.mode = 'Passthrough';
    const findings = checkCel(inputOf({ [FILE]: gw }), registry);
    expect(findings.map((f) => [f.rule, f.severity, f.file, f.object, f.path])).toEqual([['cel', 'error', FILE, 'Gateway gateways/public', 'spec.listeners']]);
    expect(findings[0]!.message).toBe('tls mode must be Terminate for protocol HTTPS');
  });

  test('kinds without a CRD are left to the schema check', () => {
    expect(checkCel(inputOf({ 'dist/c1/a/x.yaml': [{ apiVersion: 'example.com/v1', kind: 'Thing' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } }, 7] }), registry)).toEqual([]);
  });

  describe('with a CRD whose rule this evaluator cannot run', () => {
    let root: string;
    beforeAll(() => {
      root = widgetCrdRoot();
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    test('cel: a rule that cannot be evaluated is a warning, not an error', () => {
      const findings = checkCel(inputOf({ 'dist/c1/a/widget.yaml': widget('https://example.com') }), SchemaRegistry.load(root));
      expect(findings).toEqual([{
        rule: 'cel', severity: 'warning', file: 'dist/c1/a/widget.yaml', object: 'Widget default/w1', path: 'spec.url',
        message: `cannot evaluate rule "isURL(self)": undeclared reference to 'isURL' (function not supported by this evaluator)`,
      }]);
    });
  });
});
