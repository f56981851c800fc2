import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Kustomization,
  KustomizationSpecSourceRefKind,
} from '../../imports/flux-kustomizations-kustomize.toolkit.fluxcd.io.js';
import { MANAGED_BY_LABEL } from '../util/names.js';

/** Namespace where Flux runs and where `flux bootstrap` puts its own objects. */
export const FLUX_NAMESPACE = 'flux-system';

/**
 * The annotation that makes Flux's garbage collection skip an object: removed from the layer (a
 * renamed construct, a refactoring, a layer dropped by mistake), it stays in the cluster instead of
 * being deleted, and with it the state it holds. Deleting it is then a deliberate `kubectl delete`.
 *
 * @see https://fluxcd.io/flux/components/kustomize/kustomizations/#prune
 */
export const PRUNE_DISABLED_ANNOTATION = { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } as const;

/** A Flux source that a layer's Kustomization reads its manifests from. */
export interface FluxSourceRef {
  readonly kind: 'GitRepository' | 'OCIRepository';
  readonly name: string;
  /** @default FLUX_NAMESPACE */
  readonly namespace?: string;
}

/**
 * How Flux judges the health of one kind of object that has no `Ready` condition (Flux
 * `spec.healthCheckExprs`): CEL expressions over the object itself (`status`, `metadata`…).
 * Without one, kstatus counts such an object healthy as soon as it exists.
 *
 * @see https://fluxcd.io/flux/components/kustomize/kustomizations/#health-check-expressions
 */
export interface FluxHealthCheckExpr {
  readonly apiVersion: string;
  readonly kind: string;
  /** True once the object reached the desired state. */
  readonly current: string;
  /** True when it cannot get there: the layer fails at once instead of at its timeout. @default - only the timeout fails it */
  readonly failed?: string;
}

export interface FluxLayerProps {
  /** Name of the Kustomization (in `flux-system`); by convention also the layer's folder under `dist/<cluster>/`. */
  readonly name: string;
  /** Path of the layer's manifests inside the source, `./`-relative. @example './dist/prod/controllers' */
  readonly path: string;
  /** Where the manifests come from: the repository holding `dist/`, or an upstream one. */
  readonly sourceRef: FluxSourceRef;
  /**
   * Layers that must be Ready before this one is applied (Flux `spec.dependsOn`). Objects, not
   * names, so a renamed layer cannot leave a dangling dependency.
   * @default []
   */
  readonly dependsOn?: readonly FluxLayer[];
  /**
   * Objects of the layer whose health decides the layer's readiness, typically its HelmReleases.
   * When given, Flux checks exactly these (`spec.healthChecks`); otherwise it waits for every
   * object it applied (`spec.wait: true`). The two are exclusive in Flux: with `wait` set,
   * `healthChecks` is ignored.
   * @default - wait for every object of the layer
   */
  readonly healthChecks?: readonly ApiObject[];
  /**
   * Health of kinds that kstatus cannot judge (a Gateway has no `Ready` condition), applied to the
   * objects that `wait` or `healthChecks` select.
   * @default []
   */
  readonly healthCheckExprs?: readonly FluxHealthCheckExpr[];
  /** How often Flux re-applies the layer and corrects drift, a Go duration. @default '10m' */
  readonly interval?: string;
  /** How long an apply plus its health checks may take, a Go duration. @default '5m' */
  readonly timeout?: string;
  /**
   * Delete from the cluster what disappears from the layer. Off only for layers whose objects
   * must outlive a mistaken removal (CRDs: deleting one deletes every object of its kind).
   * @default true
   */
  readonly prune?: boolean;
}

/**
 * One Flux `Kustomization`: a folder of manifests that Flux applies as a unit, after the layers it
 * depends on are Ready.
 *
 * Layering follows the Flux multi-tenancy and `flux2-kustomize-helm-example` repositories:
 * controllers (with their CRDs) first, their custom resources in later layers, so that an object
 * is never applied before the API that serves it exists.
 *
 * @see https://fluxcd.io/flux/components/kustomize/kustomizations/
 */
export class FluxLayer extends Construct {
  /** The Kustomization's name, which `dependsOn` entries of other layers refer to. */
  public readonly name: string;
  public readonly kustomization: Kustomization;

  constructor(scope: Construct, id: string, props: FluxLayerProps) {
    super(scope, id);
    this.name = props.name;
    const healthChecks = props.healthChecks ?? [];
    const dependsOn = props.dependsOn ?? [];

    this.kustomization = new Kustomization(this, 'Resource', {
      metadata: { name: props.name, namespace: FLUX_NAMESPACE, labels: { ...MANAGED_BY_LABEL } },
      spec: {
        interval: props.interval ?? '10m',
        timeout: props.timeout ?? '5m',
        // A failed apply is retried sooner than the regular interval.
        retryInterval: '2m',
        sourceRef: {
          kind: sourceRefKind(props.sourceRef.kind),
          name: props.sourceRef.name,
          namespace: props.sourceRef.namespace ?? FLUX_NAMESPACE,
        },
        path: props.path,
        prune: props.prune ?? true,
        dependsOn: dependsOn.length > 0
          ? dependsOn.map((layer) => ({ name: layer.name, namespace: FLUX_NAMESPACE }))
          : undefined,
        wait: healthChecks.length === 0 ? true : undefined,
        healthChecks: healthChecks.length > 0
          ? healthChecks.map((obj) => ({
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            name: obj.name,
            namespace: obj.metadata.namespace,
          }))
          : undefined,
        healthCheckExprs: props.healthCheckExprs && props.healthCheckExprs.length > 0
          ? props.healthCheckExprs.map((e) => ({ apiVersion: e.apiVersion, kind: e.kind, current: e.current, failed: e.failed }))
          : undefined,
      },
    });
  }
}

function sourceRefKind(kind: FluxSourceRef['kind']): KustomizationSpecSourceRefKind {
  return kind === 'GitRepository'
    ? KustomizationSpecSourceRefKind.GIT_REPOSITORY
    : KustomizationSpecSourceRefKind.OCI_REPOSITORY;
}
