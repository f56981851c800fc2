import { Construct } from 'constructs';
import {
  HelmRelease,
  HelmReleaseSpecChartSpecSourceRefKind,
  HelmReleaseSpecDriftDetectionMode,
  HelmReleaseSpecUpgradeRemediationStrategy,
} from '../../imports/flux-helmreleases-helm.toolkit.fluxcd.io.js';
import { HelmRepository } from '../../imports/flux-helmrepositories-source.toolkit.fluxcd.io.js';
import { MANAGED_BY_LABEL } from '../util/names.js';
import { PRUNE_DISABLED_ANNOTATION } from './flux-layer.js';

export interface ChartRepositoryProps {
  readonly name: string;
  readonly namespace: string;
  readonly url: string;
}

/** A Flux HelmRepository, re-indexed every 12 hours (chart versions are pinned: nothing floats with it). */
export function chartRepository(scope: Construct, id: string, props: ChartRepositoryProps): HelmRepository {
  return new HelmRepository(scope, id, {
    metadata: { name: props.name, namespace: props.namespace, labels: { ...MANAGED_BY_LABEL } },
    spec: { url: props.url, interval: '12h' },
  });
}

export interface ChartReleaseProps {
  /** Name of the HelmRelease and of the Helm release. */
  readonly name: string;
  readonly namespace: string;
  readonly chart: string;
  /** Exact chart version. */
  readonly version: string;
  readonly repository: HelmRepository;
  readonly values: Record<string, unknown>;
  /** Releases that must be Ready first (Flux `spec.dependsOn`). @default [] */
  readonly dependsOn?: readonly HelmRelease[];
  /** How often Flux reconciles the release and corrects drift. @default '30m' */
  readonly interval?: string;
  /**
   * The release installs CRDs whose objects hold state (Certificates, ExternalSecrets, Bundles):
   * Flux never prunes the HelmRelease ({@link PRUNE_DISABLED_ANNOTATION}), so a HelmRelease dropped
   * from `dist/` is not uninstalled.
   * @default false
   */
  readonly keepOnPrune?: boolean;
}

/**
 * A Flux HelmRelease of a pinned chart: retried three times on install, rolled back after three
 * failed upgrades, so a bad upgrade never leaves a half-applied release in place.
 *
 * @see https://fluxcd.io/flux/components/helm/helmreleases/
 */
export function chartRelease(scope: Construct, id: string, props: ChartReleaseProps): HelmRelease {
  const dependsOn = props.dependsOn ?? [];
  return new HelmRelease(scope, id, {
    metadata: {
      name: props.name,
      namespace: props.namespace,
      labels: { ...MANAGED_BY_LABEL },
      annotations: props.keepOnPrune ? { ...PRUNE_DISABLED_ANNOTATION } : undefined,
    },
    spec: {
      interval: props.interval ?? '30m',
      releaseName: props.name,
      chart: {
        spec: {
          chart: props.chart,
          version: props.version,
          sourceRef: {
            kind: HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY,
            name: props.repository.name,
            namespace: props.repository.metadata.namespace,
          },
          interval: '12h',
        },
      },
      dependsOn: dependsOn.length > 0
        ? dependsOn.map((release) => ({ name: release.name, namespace: release.metadata.namespace }))
        : undefined,
      // Objects of the release edited in the cluster are put back as the chart renders them. The
      // CA bundles that cert-manager's cainjector and External Secrets' cert-controller write into
      // webhook configurations and CRDs are theirs, not drift.
      driftDetection: {
        mode: HelmReleaseSpecDriftDetectionMode.ENABLED,
        ignore: [
          { paths: ['/webhooks'], target: { kind: 'ValidatingWebhookConfiguration' } },
          { paths: ['/webhooks'], target: { kind: 'MutatingWebhookConfiguration' } },
          { paths: ['/spec/conversion/webhook/clientConfig/caBundle'], target: { kind: 'CustomResourceDefinition' } },
        ],
      },
      install: { remediation: { retries: 3 } },
      upgrade: { remediation: { retries: 3, strategy: HelmReleaseSpecUpgradeRemediationStrategy.ROLLBACK } },
      values: props.values,
    },
  });
}
