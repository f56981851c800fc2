import { Construct } from 'constructs';
import type { HelmRelease } from '../../imports/flux-helmreleases-helm.toolkit.fluxcd.io.js';
import { CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT } from './cert-manager.js';
import { chartRelease, chartRepository } from './helm.js';
import { platformNamespace } from './namespace.js';

/** The enix Helm repository, where x509-certificate-exporter's chart is published. */
export const ENIX_CHART_REPOSITORY = 'https://charts.enix.io';

export interface X509CertificateExporterProps {
  /** Chart version, pinned (enix versions carry no `v`). @example '3.19.1' */
  readonly version: string;
  /** @default 'x509-certificate-exporter' */
  readonly namespace?: string;
  /**
   * The only namespaces whose TLS Secrets the exporter watches (`secretsExporter.includeNamespaces`).
   * The chart's ClusterRole still lets it read every Secret: an accepted risk, see docs/architecture.md, "Trust and alerts as emitted".
   */
  readonly secretNamespaces: readonly string[];
  /** Labels of the ServiceMonitor, by which Prometheus selects it (`prometheusServiceMonitor.extraLabels`). @default {} */
  readonly serviceMonitorLabels?: Readonly<Record<string, string>>;
  /**
   * The exporter's image pinned by digest (`imageDigests.x509CertificateExporter.exporter`), as the
   * chart's `image.tagSuffix`: `<tag>@sha256:…`, which every chart version of the 3.x line renders
   * (its `image.digest` is recent). @default - by tag
   */
  readonly imageDigest?: string;
}

/**
 * x509-certificate-exporter (enix), installed by a Flux HelmRelease: it reads the `tls.crt` and
 * `ca.crt` of every TLS Secret, whatever issued it, and exports their expiry for Prometheus
 * (ServiceMonitor from the chart). Its alert rules are ours ({@link certificateExpiryAlerts}),
 * not the chart's, so that thresholds come from the configuration and `promtool` checks them.
 * The host-path exporters (which need root on every node) stay off.
 *
 * @see https://github.com/enix/x509-certificate-exporter
 */
export class X509CertificateExporter extends Construct {
  public readonly release: HelmRelease;
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: X509CertificateExporterProps) {
    super(scope, id);
    this.namespace = props.namespace ?? 'x509-certificate-exporter';
    platformNamespace(this, 'Namespace', { name: this.namespace });
    const repository = chartRepository(this, 'Repository', { name: 'enix', namespace: this.namespace, url: ENIX_CHART_REPOSITORY });
    this.release = chartRelease(this, 'Resource', {
      name: 'x509-certificate-exporter',
      namespace: this.namespace,
      chart: 'x509-certificate-exporter',
      version: props.version,
      repository,
      values: {
        secretsExporter: {
          enabled: true,
          includeNamespaces: [...new Set(props.secretNamespaces)].sort(),
          secretTypes: [
            { type: 'kubernetes.io/tls', key: 'tls.crt' },
            { type: 'kubernetes.io/tls', key: 'ca.crt' },
          ],
          resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { cpu: '200m', memory: '150Mi' } },
          podSecurityContext: POD_SECURITY_CONTEXT,
          securityContext: { ...CONTAINER_SECURITY_CONTEXT, runAsUser: 65534, runAsGroup: 65534 },
        },
        hostPathsExporter: { daemonSets: {} },
        prometheusServiceMonitor: { create: true, extraLabels: props.serviceMonitorLabels ? { ...props.serviceMonitorLabels } : undefined },
        prometheusRules: { create: false },
        ...(props.imageDigest ? { image: { tagSuffix: `@${props.imageDigest}` } } : {}),
      },
    });
  }
}
