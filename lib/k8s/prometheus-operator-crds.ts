import { Construct } from 'constructs';
import type { HelmRelease } from '../../imports/flux-helmreleases-helm.toolkit.fluxcd.io.js';
import { FLUX_NAMESPACE } from './flux-layer.js';
import { chartRelease, chartRepository } from './helm.js';

/** The prometheus-community Helm repository, where the `prometheus-operator-crds` chart is published. */
export const PROMETHEUS_COMMUNITY_CHART_REPOSITORY = 'https://prometheus-community.github.io/helm-charts';

export interface PrometheusOperatorCrdsProps {
  /** Chart version, pinned (no `v`). @example '31.0.1' */
  readonly version: string;
  /** Namespace of the chart source and the release (the CRDs are cluster-scoped). @default FLUX_NAMESPACE */
  readonly namespace?: string;
}

/**
 * The prometheus-operator CRDs (ServiceMonitor, PrometheusRule…), installed by a Flux HelmRelease of
 * the prometheus-community `prometheus-operator-crds` chart, for clusters that do not have them yet.
 *
 * cert-manager, trust-manager, External Secrets and x509-certificate-exporter render
 * ServiceMonitors, and our alert rules are PrometheusRules: without these CRDs the `controllers`
 * layer fails and every layer after it waits. The chart renders its CRDs as templates (upgraded
 * with the release); Helm keeps them on uninstall (`crds.annotations`), and Flux never prunes the
 * release: deleting a CRD deletes every object of its kind, a kube-prometheus-stack's included.
 *
 * @see https://github.com/prometheus-community/helm-charts/tree/main/charts/prometheus-operator-crds
 */
export class PrometheusOperatorCrds extends Construct {
  public readonly release: HelmRelease;

  constructor(scope: Construct, id: string, props: PrometheusOperatorCrdsProps) {
    super(scope, id);
    const namespace = props.namespace ?? FLUX_NAMESPACE;
    const repository = chartRepository(this, 'Repository', {
      name: 'prometheus-community', namespace, url: PROMETHEUS_COMMUNITY_CHART_REPOSITORY,
    });
    this.release = chartRelease(this, 'Resource', {
      name: 'prometheus-operator-crds',
      namespace,
      chart: 'prometheus-operator-crds',
      version: props.version,
      repository,
      keepOnPrune: true,
      values: { crds: { annotations: { 'helm.sh/resource-policy': 'keep' } } },
    });
  }
}
