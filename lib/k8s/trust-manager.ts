import * as plus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { imageDigest } from './cert-manager.js';
import type { HelmRelease } from '../../imports/flux-helmreleases-helm.toolkit.fluxcd.io.js';
import type { HelmRepository } from '../../imports/flux-helmrepositories-source.toolkit.fluxcd.io.js';
import { Bundle } from '../../imports/trust-bundles-trust.cert-manager.io.js';
import { MANAGED_BY_LABEL } from '../util/names.js';
import { certificateBlocks } from '../util/pem.js';
import { chartRelease } from './helm.js';

export interface TrustManagerProps {
  /** Chart version, pinned (jetstack versions carry a `v`). @example 'v0.24.0' */
  readonly version: string;
  /** The jetstack repository (cert-manager's). */
  readonly repository: HelmRepository;
  /** cert-manager's release: trust-manager's webhook certificate is issued by cert-manager. */
  readonly certManager: HelmRelease;
  /**
   * Namespace of trust-manager, which is also its trust namespace: the only one whose ConfigMaps
   * and Secrets it reads as sources. cert-manager's, as upstream recommends.
   */
  readonly namespace: string;
  /** Create a ServiceMonitor for its metrics. @default false */
  readonly serviceMonitor?: boolean;
  /** Labels of the ServiceMonitor, by which Prometheus selects it (`app.metrics.service.servicemonitor.labels`). @default {} */
  readonly serviceMonitorLabels?: Readonly<Record<string, string>>;
  /** The controller's image pinned by digest (`imageDigests.trustManager.controller`). @default - by tag */
  readonly controllerImageDigest?: string;
}

/**
 * trust-manager, installed after cert-manager by a Flux HelmRelease of the jetstack chart.
 *
 * It copies the roots a {@link PrivateCaBundle} names into a ConfigMap in every selected
 * namespace. Secret targets stay off (no cluster-wide write on Secrets), and so does the public
 * CA package: our bundle carries the private root only.
 *
 * @see https://cert-manager.io/docs/trust/trust-manager/installation/
 */
export class TrustManager extends Construct {
  public readonly release: HelmRelease;
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: TrustManagerProps) {
    super(scope, id);
    this.namespace = props.namespace;
    this.release = chartRelease(this, 'Resource', {
      name: 'trust-manager',
      namespace: props.namespace,
      chart: 'trust-manager',
      version: props.version,
      repository: props.repository,
      dependsOn: [props.certManager],
      // Its Bundle CRD goes with an uninstall, and every distributed ConfigMap with it.
      keepOnPrune: true,
      values: {
        crds: { enabled: true },
        ...imageDigest(props.controllerImageDigest),
        replicaCount: 2,
        // With two replicas, a drain never takes both: the webhook validates every Bundle.
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
        app: {
          trust: { namespace: props.namespace },
          metrics: { service: { enabled: true, servicemonitor: { enabled: props.serviceMonitor ?? false, labels: props.serviceMonitorLabels ? { ...props.serviceMonitorLabels } : undefined } } },
        },
        defaultPackage: { enabled: false },
        secretTargets: { enabled: false },
        resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } },
        // No securityContext here: the chart's values schema rejects unknown keys, and its
        // default container context is already non-root, read-only, without capabilities.
      },
    });
  }
}

/** Labels a namespace carries to receive the private CA bundle, unless configured otherwise. */
export const DEFAULT_TRUST_NAMESPACE_LABELS = { 'gateway-pki.io/private-ca': 'true' } as const;

/** The key of the distributed ConfigMap, mounted by clients as a file (`ca.crt`, like Kubernetes' own). */
export const TRUST_BUNDLE_KEY = 'ca.crt';

export interface PrivateCaBundleProps {
  /** PEM of the root CA certificate(s): self-signed only, never intermediates. */
  readonly rootsPem: string;
  /** trust-manager's trust namespace, where the source ConfigMap lives. */
  readonly trustNamespace: string;
  /** @default DEFAULT_TRUST_NAMESPACE_LABELS */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  /** Name of the Bundle and of the ConfigMap it writes in each namespace. @default 'private-ca' */
  readonly name?: string;
}

/**
 * The private PKI's root, distributed by trust-manager to the namespaces that ask for it.
 *
 * The source is a ConfigMap we emit (`<name>-roots`, public data), never a Secret that
 * cert-manager writes: such a Secret carries the intermediate, whose rotation would silently
 * change what clients trust. Several roots can be listed, so a root rotation runs with both
 * trusted. Each selected namespace gets the ConfigMap `<name>` with the key `ca.crt`.
 *
 * @see https://cert-manager.io/docs/trust/trust-manager/
 */
export class PrivateCaBundle extends Construct {
  public readonly bundleName: string;
  public readonly bundle: Bundle;

  constructor(scope: Construct, id: string, props: PrivateCaBundleProps) {
    super(scope, id);
    this.bundleName = props.name ?? 'private-ca';
    const roots = certificateBlocks(props.rootsPem);
    if (roots.length === 0) throw new Error(`private CA bundle "${this.bundleName}" needs at least one root certificate`);
    if (/PRIVATE KEY/.test(props.rootsPem)) throw new Error(`private CA bundle "${this.bundleName}": the roots must not contain a private key`);
    const labels = { ...MANAGED_BY_LABEL };

    const source = new plus.ConfigMap(this, 'Roots', {
      metadata: { name: `${this.bundleName}-roots`, namespace: props.trustNamespace, labels },
      // Replaced in place when the roots change (a rotation adds one): not `immutable`.
      immutable: false,
      data: { 'roots.pem': roots.join('') },
    });
    this.bundle = new Bundle(this, 'Resource', {
      metadata: { name: this.bundleName, labels },
      spec: {
        sources: [{ configMap: { name: source.name, key: 'roots.pem' } }],
        target: {
          configMap: { key: TRUST_BUNDLE_KEY },
          namespaceSelector: { matchLabels: { ...(props.namespaceLabels ?? DEFAULT_TRUST_NAMESPACE_LABELS) } },
        },
      },
    });
  }
}
