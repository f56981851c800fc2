import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { HelmRelease } from '../../imports/flux-helmreleases-helm.toolkit.fluxcd.io.js';
import type { ClusterConfig, PlatformConfig } from '../config/types.js';
import { certManagerRoleArn } from '../util/names.js';
import { CertManager, CertManagerAwsIdentity } from './cert-manager.js';
import { FluxLayer, FluxSourceRef } from './flux-layer.js';
import { GatewayApiCrds } from './gateway-api-crds.js';

/** Folder, relative to the repository root, that Flux reads the synthesized layers from. */
export const DIST_DIR = 'dist';

/** The folder of `dist/<cluster>/` holding the Flux Kustomizations (`flux bootstrap --path` points here). */
export const FLUX_FOLDER = 'flux';

/** One folder of `dist/<cluster>/`: a chart of manifests, applied by Flux as one Kustomization. */
export interface Layer {
  /** Folder name under `dist/<cluster>/`, and the name of its Flux Kustomization. */
  readonly name: string;
  readonly chart: Chart;
}

export interface ClusterPlatformProps {
  readonly platform: PlatformConfig;
  readonly cluster: ClusterConfig;
}

/**
 * Everything one cluster gets, as cdk8s charts: one chart per `dist/<cluster>/<layer>/` folder,
 * plus the `flux/` chart whose Kustomizations apply those folders in dependency order.
 *
 * Layers (each waits for the previous ones to be Ready):
 *
 * | layer              | holds                                                   | after            |
 * |--------------------|---------------------------------------------------------|------------------|
 * | `gateway-api-crds` | Gateway API CRDs, from the upstream release tag         | -                |
 * | `controllers`      | cert-manager: namespace, chart source, HelmRelease      | gateway-api-crds |
 *
 * Charts carry no namespace: every object names its own, and cluster-scoped ones stay unscoped.
 */
export class ClusterPlatform extends Construct {
  public readonly clusterName: string;
  /** The Kustomizations and Flux sources, written to `dist/<cluster>/flux/`. */
  public readonly fluxChart: Chart;
  /** The layers, in the order Flux applies them. */
  public readonly layers: readonly Layer[];

  constructor(scope: Construct, id: string, props: ClusterPlatformProps) {
    super(scope, id);
    const { platform, cluster } = props;
    this.clusterName = cluster.name;
    const region = cluster.region ?? platform.aws.region;
    const flux = {
      interval: cluster.flux?.interval ?? '10m',
      timeout: cluster.flux?.timeout ?? '5m',
    };
    const repository: FluxSourceRef = {
      kind: 'GitRepository',
      name: cluster.flux?.gitRepository ?? 'flux-system',
    };
    const layerPath = (layer: string) => `./${DIST_DIR}/${cluster.name}/${layer}`;

    this.fluxChart = new Chart(this, 'flux', { disableResourceNameHashes: true });
    const gatewayApi = new GatewayApiCrds(this.fluxChart, 'GatewayApiCrds', {
      version: platform.versions.gatewayApi,
      timeout: flux.timeout,
    });

    const controllers = new Chart(this, 'controllers', { disableResourceNameHashes: true });
    const awsIdentity: CertManagerAwsIdentity = cluster.workloadIdentity.type === 'irsa'
      ? { type: 'irsa', roleArn: certManagerRoleArn(platform.aws.accountId, region, cluster.name) }
      : { type: 'pod-identity' };
    new CertManager(controllers, 'CertManager', {
      version: platform.versions.certManager,
      awsIdentity,
      replicas: cluster.certManager?.replicas,
      serviceMonitor: cluster.certManager?.serviceMonitor,
    });
    new FluxLayer(this.fluxChart, 'Controllers', {
      name: 'controllers',
      path: layerPath('controllers'),
      sourceRef: repository,
      dependsOn: [gatewayApi.layer],
      healthChecks: helmReleasesOf(controllers),
      ...flux,
    });

    this.layers = [{ name: 'controllers', chart: controllers }];
  }
}

/** Builds the charts of every declared cluster, in configuration order. */
export function buildPlatform(app: App, platform: PlatformConfig): ClusterPlatform[] {
  return platform.clusters.map((cluster) => new ClusterPlatform(app, cluster.name, { platform, cluster }));
}

/**
 * The HelmReleases of a chart. Matched by group, version and kind: cdk8s makes `instanceof` true
 * for any ApiObject subclass (`ApiObject[Symbol.hasInstance]`), so it cannot tell kinds apart.
 */
function helmReleasesOf(chart: Chart): ApiObject[] {
  return chart.node.findAll().filter((c): c is ApiObject =>
    c instanceof ApiObject && c.apiVersion === HelmRelease.GVK.apiVersion && c.kind === HelmRelease.GVK.kind);
}
