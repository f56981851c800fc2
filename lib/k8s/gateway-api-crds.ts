import { Construct } from 'constructs';
import { GitRepository } from '../../imports/flux-gitrepositories-source.toolkit.fluxcd.io.js';
import { MANAGED_BY_LABEL } from '../util/names.js';
import { FLUX_NAMESPACE, FluxLayer } from './flux-layer.js';

/** Upstream repository of the Gateway API; its release tags hold the CRDs of each channel. */
export const GATEWAY_API_REPOSITORY = 'https://github.com/kubernetes-sigs/gateway-api';

/** Folder of the standard-channel CRDs in that repository (the experimental one would add alpha kinds). */
export const GATEWAY_API_STANDARD_PATH = 'config/crd/standard';

/**
 * Folder of `dist/<cluster>/`, outside every layer (Flux never reads it), holding the same CRDs as a
 * kustomization to apply by hand before the CNI: Cilium looks for the Gateway API CRDs once, when
 * its operator starts, so they must exist before Cilium is installed.
 */
export const GATEWAY_API_BOOTSTRAP_FOLDER = 'bootstrap/gateway-api-crds';

/**
 * The kustomization of {@link GATEWAY_API_BOOTSTRAP_FOLDER}: the standard-channel CRDs of the
 * release `version`, as a kustomize remote resource (the repository, `//`, the folder, the tag),
 * the very folder and tag the `gateway-api-crds` Kustomization applies.
 */
export function gatewayApiBootstrapKustomization(version: string): Record<string, unknown> {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [`${GATEWAY_API_REPOSITORY}//${GATEWAY_API_STANDARD_PATH}?ref=${version}`],
  };
}

export interface GatewayApiCrdsProps {
  /** Release tag whose standard-channel CRDs are installed. @example 'v1.6.1' */
  readonly version: string;
  /** Kustomization name. @default 'gateway-api-crds' */
  readonly name?: string;
  /** How often Flux checks the tag and re-applies, a Go duration. @default '1h' */
  readonly interval?: string;
  /** @default '5m' */
  readonly timeout?: string;
}

/**
 * The Gateway API CRDs (standard channel), installed by Flux straight from the upstream release.
 *
 * A `GitRepository` pinned to the release tag, checked out sparsely (only the CRD folder), and a
 * Kustomization that applies the folder with the upstream `kustomization.yaml`. Nothing is copied
 * into `dist/`: the reviewer sees the pinned tag, and upgrading is a one-line change of
 * `versions.gatewayApi`. Pruning is off: removing a CRD would delete every Gateway and route.
 *
 * Lives in the `flux/` folder because it is itself a Flux object, not a layer of our manifests.
 *
 * @see https://gateway-api.sigs.k8s.io/guides/#installing-gateway-api
 */
export class GatewayApiCrds extends Construct {
  public readonly layer: FluxLayer;
  /** The release tag installed. */
  public readonly version: string;
  public readonly source: GitRepository;

  constructor(scope: Construct, id: string, props: GatewayApiCrdsProps) {
    super(scope, id);
    this.version = props.version;
    const interval = props.interval ?? '1h';
    this.source = new GitRepository(this, 'Source', {
      metadata: { name: 'gateway-api', namespace: FLUX_NAMESPACE, labels: { ...MANAGED_BY_LABEL } },
      spec: {
        url: GATEWAY_API_REPOSITORY,
        ref: { tag: props.version },
        interval,
        // Only the CRD folder is fetched and stored as the artifact.
        sparseCheckout: [GATEWAY_API_STANDARD_PATH],
      },
    });
    this.layer = new FluxLayer(this, 'Resource', {
      name: props.name ?? 'gateway-api-crds',
      path: `./${GATEWAY_API_STANDARD_PATH}`,
      sourceRef: { kind: 'GitRepository', name: this.source.name },
      interval,
      timeout: props.timeout,
      prune: false,
    });
  }
}
