import { Construct } from 'constructs';
import type { CertManagerImageDigests } from '../config/types.js';
import type { HelmRelease } from '../../imports/flux-helmreleases-helm.toolkit.fluxcd.io.js';
import type { HelmRepository } from '../../imports/flux-helmrepositories-source.toolkit.fluxcd.io.js';
import { CERT_MANAGER_NAMESPACE } from '../util/names.js';
import { chartRelease, chartRepository } from './helm.js';
import { platformNamespace } from './namespace.js';

/** The jetstack Helm repository, where cert-manager's chart is published. */
export const JETSTACK_CHART_REPOSITORY = 'https://charts.jetstack.io';

/**
 * How cert-manager's controller obtains AWS credentials for Route53 DNS-01.
 *
 * - `irsa`: the service account is annotated with the role to assume (IAM Roles for Service Accounts).
 * - `pod-identity`: an EKS Pod Identity association on the AWS side names the service account;
 *   nothing is needed in the cluster.
 */
export type CertManagerAwsIdentity =
  | { readonly type: 'irsa'; readonly roleArn: string }
  | { readonly type: 'pod-identity' };

/** Requests and limits of one cert-manager component. */
interface ComponentResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/**
 * Sizing of each component. Requests follow what the components use at rest on a cluster with a
 * few hundred certificates; the memory limits leave room for the informer caches, which grow with
 * the number of Secrets and Certificates (the cainjector watches all of them).
 */
const RESOURCES: Record<'controller' | 'webhook' | 'cainjector' | 'startupapicheck', ComponentResources> = {
  controller: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
  webhook: { requests: { cpu: '20m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
  cainjector: { requests: { cpu: '20m', memory: '128Mi' }, limits: { cpu: '200m', memory: '512Mi' } },
  startupapicheck: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
};

/**
 * The pod and container security settings of every component, written out even where the chart's
 * defaults already match: a later chart default cannot weaken them, and a reviewer sees them.
 * They satisfy the `restricted` Pod Security Standard enforced on the namespace.
 */
export const POD_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
} as const;
export const CONTAINER_SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

export interface CertManagerProps {
  /** Chart version, pinned (jetstack versions carry a `v`). @example 'v1.21.1' */
  readonly version: string;
  /** How the controller gets AWS rights for Route53 DNS-01. */
  readonly awsIdentity: CertManagerAwsIdentity;
  /** Namespace of cert-manager, its chart source and its release. @default 'cert-manager' */
  readonly namespace?: string;
  /**
   * Replicas of the controller, the webhook and the cainjector. With 2 or more, each gets a
   * PodDisruptionBudget and pods are spread across zones, so a node drain never stops issuance
   * or blocks the API server's calls to the webhook.
   * @default 2
   */
  readonly replicas?: number;
  /** Create a ServiceMonitor (needs the prometheus-operator CRDs). @default false */
  readonly serviceMonitor?: boolean;
  /** Labels of the ServiceMonitor, by which Prometheus selects it (`prometheus.servicemonitor.labels`). @default {} */
  readonly serviceMonitorLabels?: Readonly<Record<string, string>>;
  /** How often Flux reconciles the release, a Go duration. @default '30m' */
  readonly interval?: string;
  /** Images pinned by digest (`imageDigests.certManager`); each replaces the chart's tag. @default - by tag */
  readonly imageDigests?: Omit<CertManagerImageDigests, 'version'>;
}

/**
 * cert-manager, installed by a Flux HelmRelease of the jetstack chart.
 *
 * - CRDs are installed and upgraded by the chart (`crds.enabled`), and kept if the release is
 *   ever uninstalled (`crds.keep`): deleting them would delete every Certificate.
 * - Gateway API support is on (`config.gatewayAPI.enabled`, the ControllerConfiguration field of
 *   cert-manager 1.21, which deprecates `enableGatewayAPI`; the `--enable-gateway-api` flag still
 *   exists, and the `ExperimentalGatewayAPISupport` feature gate, Beta, is on by default). The
 *   Gateway API CRDs must exist first: order the layer after them.
 * - The namespace and the HelmRelease are never pruned by Flux (`kustomize.toolkit.fluxcd.io/prune: disabled`):
 *   they hold the ACME account keys, the AppRole secret id and every Certificate.
 * - Hardened: non-root, read-only root filesystem, all capabilities dropped, seccomp, requests and
 *   limits, leader election in its own namespace (no rights needed in `kube-system`).
 *
 * @see https://cert-manager.io/docs/installation/helm/
 * @see https://cert-manager.io/docs/usage/gateway/
 */
export class CertManager extends Construct {
  public readonly namespace: string;
  public readonly release: HelmRelease;
  public readonly repository: HelmRepository;

  constructor(scope: Construct, id: string, props: CertManagerProps) {
    super(scope, id);
    const replicas = props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new Error(`cert-manager 'replicas' must be a positive integer, got ${replicas}`);
    }
    this.namespace = props.namespace ?? CERT_MANAGER_NAMESPACE;

    // Every cert-manager pod meets the restricted standard; enforce it so none regresses. The
    // namespace holds the ACME account keys and the Vault AppRole secret id: never pruned.
    platformNamespace(this, 'Namespace', { name: this.namespace, keepOnPrune: true });

    this.repository = chartRepository(this, 'Repository', {
      name: 'jetstack', namespace: this.namespace, url: JETSTACK_CHART_REPOSITORY,
    });
    this.release = chartRelease(this, 'Resource', {
      name: 'cert-manager',
      namespace: this.namespace,
      chart: 'cert-manager',
      version: props.version,
      repository: this.repository,
      interval: props.interval,
      keepOnPrune: true,
      values: this.values(replicas, props),
    });
  }

  private values(replicas: number, props: CertManagerProps): Record<string, unknown> {
    const highlyAvailable = replicas >= 2;
    const component = (name: keyof typeof RESOURCES, selectorComponent: string) => ({
      replicaCount: replicas,
      resources: RESOURCES[name],
      securityContext: POD_SECURITY_CONTEXT,
      containerSecurityContext: CONTAINER_SECURITY_CONTEXT,
      // A budget with a single replica would block every node drain; only with 2 or more.
      podDisruptionBudget: highlyAvailable ? { enabled: true, minAvailable: 1 } : { enabled: false },
      topologySpreadConstraints: highlyAvailable ? [zoneSpread(selectorComponent)] : [],
    });
    const serviceAccountAnnotations = props.awsIdentity.type === 'irsa'
      ? { 'eks.amazonaws.com/role-arn': props.awsIdentity.roleArn }
      : undefined;

    const digests = props.imageDigests ?? {};
    return {
      crds: { enabled: true, keep: true },
      global: { leaderElection: { namespace: this.namespace } },
      ...component('controller', 'controller'),
      ...imageDigest(digests.controller),
      ...(digests.acmesolver ? { acmesolver: imageDigest(digests.acmesolver) } : {}),
      config: {
        apiVersion: 'controller.config.cert-manager.io/v1alpha1',
        kind: 'ControllerConfiguration',
        gatewayAPI: { enabled: true },
      },
      serviceAccount: serviceAccountAnnotations ? { annotations: serviceAccountAnnotations } : {},
      webhook: { ...component('webhook', 'webhook'), ...imageDigest(digests.webhook) },
      cainjector: { ...component('cainjector', 'cainjector'), ...imageDigest(digests.cainjector) },
      startupapicheck: {
        ...imageDigest(digests.startupapicheck),
        resources: RESOURCES.startupapicheck,
        securityContext: POD_SECURITY_CONTEXT,
        containerSecurityContext: CONTAINER_SECURITY_CONTEXT,
      },
      prometheus: {
        enabled: true,
        servicemonitor: { enabled: props.serviceMonitor ?? false, labels: props.serviceMonitorLabels ? { ...props.serviceMonitorLabels } : undefined },
      },
    };
  }
}

/**
 * `image.digest` of a jetstack chart component (cert-manager's and trust-manager's charts): "Setting
 * a digest will override any tag", so the image runs by the digest read for the chart's tag.
 */
export function imageDigest(digest: string | undefined, key = 'image'): Record<string, { digest: string }> {
  return digest === undefined ? {} : { [key]: { digest } };
}

function zoneSpread(component: string) {
  return {
    maxSkew: 1,
    topologyKey: 'topology.kubernetes.io/zone',
    // Prefer spreading, but never leave a replica pending in a single-zone cluster.
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: {
      matchLabels: { 'app.kubernetes.io/instance': 'cert-manager', 'app.kubernetes.io/component': component },
    },
  };
}
