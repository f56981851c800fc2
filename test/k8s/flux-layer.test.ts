import { describe, expect, test } from 'vitest';
import { HelmRelease } from '../../imports/flux-helmreleases-helm.toolkit.fluxcd.io.js';
import { FluxLayer } from '../../lib/k8s/flux-layer.js';
import { GatewayApiCrds } from '../../lib/k8s/gateway-api-crds.js';
import { only, testChart, yamlOf } from '../support/k8s.js';

const REPO = { kind: 'GitRepository', name: 'flux-system' } as const;

describe('FluxLayer', () => {
  test('default configuration', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    new FluxLayer(chart, 'Issuers', { name: 'issuers', path: './dist/prod/issuers', sourceRef: REPO });
    // THEN
    expect(yamlOf(chart)).toMatchSnapshot();
    const spec = only(chart, 'Kustomization', 'issuers').spec;
    expect(spec).toMatchObject({
      path: './dist/prod/issuers',
      prune: true,
      wait: true,
      interval: '10m',
      timeout: '5m',
      sourceRef: { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' },
    });
    expect(spec.dependsOn).toBeUndefined();
    expect(spec.healthChecks).toBeUndefined();
  });

  test('healthCheckExprs are rendered as given, beside wait (Flux evaluates them only with wait or healthChecks)', () => {
    const chart = testChart();
    new FluxLayer(chart, 'Gateways', {
      name: 'gateways', path: './g', sourceRef: REPO,
      healthCheckExprs: [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', current: 'true', failed: 'false' }],
    });
    const spec = only(chart, 'Kustomization', 'gateways').spec;
    expect(spec.wait).toBe(true);
    expect(spec.healthCheckExprs).toEqual([{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', current: 'true', failed: 'false' }]);
    const plain = testChart();
    new FluxLayer(plain, 'Issuers', { name: 'issuers', path: './i', sourceRef: REPO, healthCheckExprs: [] });
    expect(only(plain, 'Kustomization', 'issuers').spec.healthCheckExprs).toBeUndefined();
  });

  test('dependsOn is built from the layers it is given', () => {
    const chart = testChart();
    const crds = new FluxLayer(chart, 'Crds', { name: 'crds', path: './crds', sourceRef: REPO });
    const controllers = new FluxLayer(chart, 'Controllers', { name: 'controllers', path: './c', sourceRef: REPO, dependsOn: [crds] });
    new FluxLayer(chart, 'Issuers', { name: 'issuers', path: './i', sourceRef: REPO, dependsOn: [crds, controllers] });
    expect(only(chart, 'Kustomization', 'issuers').spec.dependsOn).toEqual([
      { name: 'crds', namespace: 'flux-system' },
      { name: 'controllers', namespace: 'flux-system' },
    ]);
  });

  test('health checks replace wait, which would make Flux ignore them', () => {
    const chart = testChart();
    const release = new HelmRelease(chart, 'Release', {
      metadata: { name: 'cert-manager', namespace: 'cert-manager' },
      spec: { interval: '1h' },
    });
    new FluxLayer(chart, 'Controllers', { name: 'controllers', path: './c', sourceRef: REPO, healthChecks: [release] });
    const spec = only(chart, 'Kustomization', 'controllers').spec;
    expect(spec.wait).toBeUndefined();
    expect(spec.healthChecks).toEqual([
      { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', name: 'cert-manager', namespace: 'cert-manager' },
    ]);
  });

  test('interval, timeout and prune are honoured', () => {
    const chart = testChart();
    new FluxLayer(chart, 'L', { name: 'l', path: './l', sourceRef: REPO, interval: '1h', timeout: '2m', prune: false });
    expect(only(chart, 'Kustomization').spec).toMatchObject({ interval: '1h', timeout: '2m', prune: false });
  });
});

describe('GatewayApiCrds', () => {
  test('installs the standard channel from the pinned upstream tag, never pruned', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    const crds = new GatewayApiCrds(chart, 'GatewayApiCrds', { version: 'v1.6.1' });
    // THEN
    expect(yamlOf(chart)).toMatchSnapshot();
    expect(only(chart, 'GitRepository', 'gateway-api').spec).toEqual({
      url: 'https://github.com/kubernetes-sigs/gateway-api',
      ref: { tag: 'v1.6.1' },
      interval: '1h',
      sparseCheckout: ['config/crd/standard'],
    });
    const spec = only(chart, 'Kustomization', 'gateway-api-crds').spec;
    expect(spec).toMatchObject({
      path: './config/crd/standard',
      prune: false,
      wait: true,
      sourceRef: { kind: 'GitRepository', name: 'gateway-api', namespace: 'flux-system' },
    });
    expect(crds.layer.name).toBe('gateway-api-crds');
  });
});
