import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { HelmRelease } from '../../imports/flux-helmreleases-helm.toolkit.fluxcd.io.js';
import { type ResolvedBackup, resolveBackup } from '../config/backup.js';
import type { ApplicationConfig, ClusterConfig, PlatformConfig } from '../config/types.js';
import { type AppRoleSettings, appRoleSettings, appRolesDeliveredTo, vaultAuth, vaultAwsAuthServerId } from '../config/vault-setup.js';
import {
  APPROLE_ROTATION_NAMESPACE, appRoleRotationCronJobName, appRoleRotationRoleArn, appRoleRotationVaultRole, appRoleSecretIdName, CERT_MANAGER_APPROLE,
  certManagerRoleArn, DEFAULT_GATEWAYS_NAMESPACE, secretIdReaderRoleArn,
  SNAPSHOT_APPROLE, VAULT_AWS_AUTH_PATH, VAULT_BACKUP_SERVICE_ACCOUNT, VAULT_SNAPSHOT_KEY_PREFIX, vaultBackupKeyAliasArn, vaultBackupRoleArn,
} from '../util/names.js';
import { AlertRules, appRoleRotationAlerts, certificateExpiryAlerts, certManagerAlerts, vaultAlerts, vaultBackupAlerts } from './alert-rules.js';
import { AppRoleRotation, AppRoleSecretSyncGrant, type RotatedSecretTarget } from './approle-rotation.js';
import { type AppRoleRotationSettings, appRoleRotationSettings, rotationAlertAges } from '../config/approle-rotation.js';
import { ApplicationNamespaces } from './application-namespaces.js';
import { ApplicationRoute } from './application-route.js';
import { CertManager, CertManagerAwsIdentity } from './cert-manager.js';
import { AppRoleSecretId, AwsSecretsManagerStore, ExternalSecretsOperator } from './external-secrets.js';
import { PrivateCertificate } from './certificate.js';
import { type FluxHealthCheckExpr, FluxLayer } from './flux-layer.js';
import { GatewayApiCrds } from './gateway-api-crds.js';
import { GATEWAY_HEALTH_CHECK_EXPRS, PlatformGateway, PrivateGateway, PublicGateway } from './gateway.js';
import { GatewayHttp01Solver, LetsEncryptIssuer, Route53Solver } from './letsencrypt-issuer.js';
import { DEFAULT_TRUST_NAMESPACE_LABELS, PrivateCaBundle, TRUST_BUNDLE_KEY, TrustManager } from './trust-manager.js';
import { APPROLE_SECRET, APPROLE_SECRET_KEY, SNAPSHOT_CRONJOB, VaultBackup, VERIFY_CRONJOB } from './vault-backup.js';
import { VaultIssuer } from './vault-issuer.js';
import { X509CertificateExporter } from './x509-exporter.js';
import { platformNamespace } from './namespace.js';
import { PrometheusOperatorCrds } from './prometheus-operator-crds.js';
import { type EgressAllowance, NamespaceIsolation } from './network-policy.js';

/** Folder, relative to the repository root, that Flux reads the synthesized layers from. */
export const DIST_DIR = 'dist';

/** The folder of `dist/<cluster>/` holding the Flux Kustomizations (`flux bootstrap --path` points here). */
export const FLUX_FOLDER = 'flux';

/** Names of the two Gateways, which routes and the HTTP-01 solver refer to. */
export const PUBLIC_GATEWAY = 'public';
export const PRIVATE_GATEWAY = 'private';

/** One folder of `dist/<cluster>/`: a chart of manifests, applied by Flux as one Kustomization. */
export interface Layer {
  /** Folder name under `dist/<cluster>/`, and the name of its Flux Kustomization. */
  readonly name: string;
  readonly chart: Chart;
}

/** Files the configuration points to, read and checked by the loader. */
export interface PlatformInputs {
  /** PEM of the CA chain Vault's TLS certificate chains to, certificates only; absent when `vault.caBundleSecretRef` is used. */
  readonly vaultCaBundle?: string;
  /** PEM of the private PKI's root certificate(s), self-signed only, that trust-manager distributes. */
  readonly trustRoots: string;
}

export interface ClusterPlatformProps {
  readonly platform: PlatformConfig;
  readonly cluster: ClusterConfig;
  readonly inputs: PlatformInputs;
}

/**
 * Everything one cluster gets, as cdk8s charts: one chart per `dist/<cluster>/<layer>/` folder,
 * plus the `flux/` chart whose Kustomizations apply those folders in dependency order.
 *
 * Layers (each waits for the previous ones to be Ready):
 *
 * | layer              | holds                                                   | after                  |
 * |--------------------|---------------------------------------------------------|------------------------|
 * | `gateway-api-crds` | Gateway API CRDs, from the upstream release tag         | -                      |
 * | `controllers`      | cert-manager, trust-manager (and External Secrets) HelmReleases | gateway-api-crds |
 * | `secrets`          | cert-manager's SecretStore and AppRole secret id (AppRole login) | controllers     |
 * | `trust`            | the private root, distributed by a trust-manager Bundle | controllers            |
 * | `monitoring`       | x509-certificate-exporter, alert rules (optional)       | controllers            |
 * | `issuers`          | ClusterIssuers: Let's Encrypt staging and prod, Vault   | controllers            |
 * | `gateways`         | gateways namespace, public and private Gateway          | issuers                |
 * | `certificates`     | the private Gateway's Certificate (Vault)               | issuers, gateways      |
 * | `namespaces`       | the applications' namespaces (applications[].createNamespace) | -               |
 * | `routes`           | one HTTPRoute per declared application                  | gateways, namespaces   |
 * | `backup`           | Vault snapshot and verification CronJobs, their SecretStore (optional) | secrets, trust |
 * | `approle-rotation` | AppRole secret id rotation CronJobs (vault.setup.appRoleRotation) | secrets, trust |
 *
 * Gateways, certificates and routes exist only for the gateways that have applications; `namespaces`
 * only when one of them asks for its namespace; `backup` only in the cluster that `backup.cluster` names. Charts
 * carry no namespace: every object names its own, and cluster-scoped ones stay unscoped.
 */
export class ClusterPlatform extends Construct {
  public readonly clusterName: string;
  /** The Kustomizations and Flux sources, written to `dist/<cluster>/flux/`. */
  public readonly fluxChart: Chart;
  /** The Gateway API CRDs: the `gateway-api-crds` Kustomization, and the version of the bootstrap bundle. */
  public readonly gatewayApiCrds: GatewayApiCrds;
  /** The layers, in the order Flux applies them. */
  public readonly layers: readonly Layer[];
  /**
   * The `secrets` layer (cert-manager's SecretStore and the ExternalSecret of its AppRole secret id),
   * which `backup` depends on when it exists; `undefined` without AppRole login (Kubernetes auth).
   */
  public readonly secretsLayer?: FluxLayer;

  private readonly layerList: Layer[] = [];
  private readonly platform: PlatformConfig;
  private readonly cluster: ClusterConfig;
  private readonly region: string;
  private readonly inputs: PlatformInputs;
  /** The `backup` section, when this cluster runs the backup jobs. */
  private readonly backup: ResolvedBackup | undefined;

  constructor(scope: Construct, id: string, props: ClusterPlatformProps) {
    super(scope, id);
    this.platform = props.platform;
    this.inputs = props.inputs;
    this.cluster = props.cluster;
    this.clusterName = props.cluster.name;
    this.region = props.cluster.region ?? props.platform.aws.region;
    this.layers = this.layerList;
    const backup = resolveBackup(this.platform);
    this.backup = backup?.cluster.name === this.clusterName ? backup : undefined;
    this.fluxChart = new Chart(this, FLUX_FOLDER, { disableResourceNameHashes: true });

    const crds = this.gatewayApiCrds = new GatewayApiCrds(this.fluxChart, 'GatewayApiCrds', {
      version: this.platform.versions.gatewayApi,
      timeout: this.cluster.flux?.timeout,
    });
    const applications = (this.platform.applications ?? [])
      .filter((app) => (app.cluster ?? this.platform.clusters[0]!.name) === this.clusterName);
    const monitoringCrds = this.rendersMonitoringObjects() && this.cluster.monitoring?.prometheusOperatorCrds !== 'present'
      ? this.addPrometheusOperatorCrds()
      : undefined;
    const controllers = this.addControllers([crds.layer, ...(monitoringCrds ? [monitoringCrds] : [])]);
    const certManagerAppRole = appRoleSettings(this.platform);
    if (controllers.externalSecrets && certManagerAppRole) this.secretsLayer = this.addSecrets(controllers, certManagerAppRole);
    const trust = this.addTrust(controllers);
    if (this.cluster.monitoring?.enabled) this.addMonitoring(controllers);
    const namespaces = this.addApplicationNamespaces(applications);
    const issuers = this.addIssuers(controllers, applications.some((app) => app.gateway === 'public'));
    if (applications.length > 0) this.addGateways(issuers, applications, namespaces);
    const rotation = appRoleRotationSettings(this.platform, this.cluster);
    const rotated = rotation && controllers.externalSecrets ? this.rotationTargets(rotation, controllers) : [];
    if (this.backup) this.addBackup(this.backup, controllers, trust, rotated.find((t) => t.appRole.name === SNAPSHOT_APPROLE));
    if (rotation && rotated.length > 0) this.addAppRoleRotation(rotation, rotated, controllers, trust);
  }

  /**
   * `namespaces`: the namespaces of the applications that ask for theirs (applications[].createNamespace),
   * which `routes` waits for. None when no application asks. Refused at synth when the platform
   * creates one of them itself (its labels and pruning are the platform's).
   */
  private addApplicationNamespaces(applications: readonly ApplicationConfig[]): FluxLayer | undefined {
    const wanted = applications.filter((app) => app.createNamespace === true).map((app) => app.namespace);
    if (wanted.length === 0) return undefined;
    const chart = this.newLayerChart(APPLICATION_NAMESPACES_LAYER);
    const created = new ApplicationNamespaces(chart, 'ApplicationNamespaces', {
      namespaces: wanted,
      trustNamespaceLabels: this.platform.trust?.namespaceLabels ?? DEFAULT_TRUST_NAMESPACE_LABELS,
    });
    this.node.addValidation({
      validate: () => {
        const ours = new Set(created.namespaces.map((ns) => ns.name));
        return this.layerList.filter((layer) => layer.chart !== chart).flatMap((layer) => namespacesOf(layer.chart)
          .filter((name) => ours.has(name))
          .map((name) => `applications[].createNamespace: namespace "${name}" is one the platform creates itself (layer ${layer.name}): `
            + `set createNamespace to false for the applications in "${name}"`));
      },
    });
    return this.applyLayer(chart, []);
  }

  /** Whether the cluster gets ServiceMonitors or PrometheusRules, which need the prometheus-operator CRDs. */
  private rendersMonitoringObjects(): boolean {
    return (this.cluster.monitoring?.enabled ?? false) || (this.cluster.certManager?.serviceMonitor ?? false);
  }

  /**
   * `prometheus-operator-crds`: the ServiceMonitor and PrometheusRule CRDs (and the rest of the
   * chart's), which the charts of `controllers` render objects of; Ready with its HelmRelease.
   */
  private addPrometheusOperatorCrds(): FluxLayer {
    const chart = this.newLayerChart('prometheus-operator-crds');
    const crds = new PrometheusOperatorCrds(chart, 'PrometheusOperatorCrds', { version: this.platform.versions.prometheusOperatorCrds! });
    return this.applyLayer(chart, [], [crds.release]);
  }

  /** `controllers`: cert-manager, then trust-manager; Ready when both HelmReleases are. */
  private addControllers(crds: readonly FluxLayer[]): Controllers {
    const chart = this.newLayerChart('controllers');
    const { platform, cluster } = this;
    const awsIdentity: CertManagerAwsIdentity = cluster.workloadIdentity.type === 'irsa'
      ? { type: 'irsa', roleArn: certManagerRoleArn(platform.aws.accountId, this.region, cluster.name) }
      : { type: 'pod-identity' };
    const digests = platform.imageDigests ?? {};
    const certManager = new CertManager(chart, 'CertManager', {
      version: platform.versions.certManager,
      imageDigests: digests.certManager,
      awsIdentity,
      replicas: cluster.certManager?.replicas,
      serviceMonitor: cluster.certManager?.serviceMonitor ?? cluster.monitoring?.enabled ?? false,
      serviceMonitorLabels: cluster.monitoring?.selectorLabels,
    });
    const trustManager = new TrustManager(chart, 'TrustManager', {
      version: platform.versions.trustManager,
      repository: certManager.repository,
      certManager: certManager.release,
      namespace: certManager.namespace,
      serviceMonitor: cluster.monitoring?.enabled ?? false,
      serviceMonitorLabels: cluster.monitoring?.selectorLabels,
      controllerImageDigest: digests.trustManager?.controller,
    });
    // Only where a Vault AppRole secret id must reach the cluster (validation requires the version then).
    const externalSecrets = appRolesDeliveredTo(platform, cluster).length > 0
      ? new ExternalSecretsOperator(chart, 'ExternalSecrets', {
        version: platform.versions.externalSecrets!,
        imageDigest: digests.externalSecrets?.controller,
        serviceMonitor: cluster.monitoring?.enabled ?? false,
        serviceMonitorLabels: cluster.monitoring?.selectorLabels,
      })
      : undefined;
    const metrics = this.rendersMonitoringObjects();
    new NamespaceIsolation(chart, 'CertManagerNetwork', {
      namespace: certManager.namespace,
      egress: [
        // ACME, Route53 and STS (DNS-01), the EKS API endpoint: public or VPC addresses not known here.
        { name: 'https', ports: [443] },
        // The DNS-01 self-check asks the zone's authoritative name servers directly.
        { name: 'dns-authoritative', ports: [53], udp: true },
        ...(platform.acme.http01 ? [{ name: 'http01-self-check', ports: [80] }] : []),
        this.vaultEgress(),
        ...this.podIdentityEgress(),
      ],
      ingress: [
        // The API server calls the webhooks of cert-manager (10250) and trust-manager (6443).
        { name: 'webhooks', ports: [CERT_MANAGER_WEBHOOK_PORT, TRUST_MANAGER_WEBHOOK_PORT], from: 'anywhere' },
        ...(metrics ? [{ name: 'metrics', ports: [CERT_MANAGER_METRICS_PORT], from: 'cluster' as const }] : []),
      ],
    });
    if (externalSecrets) {
      new NamespaceIsolation(chart, 'ExternalSecretsNetwork', {
        namespace: externalSecrets.namespace,
        // Secrets Manager, STS (each SecretStore's web identity), the EKS API endpoint. No Pod
        // Identity agent: the controller has no AWS credentials of its own.
        egress: [{ name: 'https', ports: [443] }],
        ingress: [
          { name: 'webhook', ports: [EXTERNAL_SECRETS_WEBHOOK_PORT], from: 'anywhere' },
          ...(cluster.monitoring?.enabled ? [{ name: 'metrics', ports: [EXTERNAL_SECRETS_METRICS_PORT], from: 'cluster' as const }] : []),
        ],
      });
    }
    return {
      layer: this.applyLayer(chart, crds, helmReleasesOf(chart), { timeout: CONTROLLERS_LAYER_TIMEOUT }),
      certManager, trustManager, externalSecrets,
    };
  }

  /**
   * Egress to Vault, on the port of `vault.address` (443 when it has none): to the VPC of the
   * `vaultCluster` when the platform runs Vault, otherwise anywhere (its address is not known here).
   */
  private vaultEgress(): EgressAllowance {
    const url = new URL(this.platform.vault.address);
    const port = url.port === '' ? 443 : Number(url.port);
    const vpcCidr = this.platform.vaultCluster?.network.vpcCidr;
    return { name: 'vault', ports: [port], cidrs: vpcCidr ? [vpcCidr] : undefined };
  }

  /** With EKS Pod Identity, the node's agent on its link-local addresses, port 80, hands out the credentials. */
  private podIdentityEgress(): EgressAllowance[] {
    return this.cluster.workloadIdentity.type === 'pod-identity'
      ? [{ name: 'eks-pod-identity-agent', ports: [80], cidrs: EKS_POD_IDENTITY_AGENT_CIDRS }]
      : [];
  }

  /**
   * `secrets`: cert-manager's SecretStore on AWS Secrets Manager (with its reader service account,
   * whose role reads cert-manager's AppRole secret id only) and its ExternalSecret, which creates the
   * Secret the Vault ClusterIssuer reads. Only with AppRole login; the backup namespace has its own
   * store, in `backup`, beside its ExternalSecret. Ready once the store is (its IAM role works): the
   * ExternalSecret cannot be Ready before an operator puts the secret id in Secrets Manager, after
   * `vault operator init`, and that must not hold back the layers after this one; its health shows
   * in the Vault issuer.
   */
  private addSecrets(controllers: Controllers, certManagerAppRole: AppRoleSettings): FluxLayer {
    const chart = this.newLayerChart('secrets');
    const { cluster } = this;
    const store = this.secretStore(chart, controllers.certManager.namespace, CERT_MANAGER_APPROLE);
    new AppRoleSecretId(chart, 'CertManagerAppRoleSecretId', {
      store,
      remoteKey: appRoleSecretIdName(cluster.name, CERT_MANAGER_APPROLE),
      namespace: controllers.certManager.namespace,
      secretName: certManagerAppRole.secretName,
      secretKey: certManagerAppRole.secretKey,
    });
    return this.applyLayer(chart, [controllers.layer], [store.resource]);
  }

  /** The SecretStore of `namespace`, with the role that reads `appRole`'s secret id for it alone. */
  private secretStore(chart: Chart, namespace: string, appRole: string): AwsSecretsManagerStore {
    return new AwsSecretsManagerStore(chart, 'SecretStore', {
      region: this.region,
      namespace,
      roleArn: secretIdReaderRoleArn(this.platform.aws.accountId, this.region, this.clusterName, appRole),
    });
  }

  /** `trust`: the private root, in a ConfigMap of every namespace that asks for it. */
  private addTrust(controllers: Controllers): Trust {
    const chart = this.newLayerChart('trust');
    const bundle = new PrivateCaBundle(chart, 'PrivateCa', {
      rootsPem: this.inputs.trustRoots,
      trustNamespace: controllers.trustManager.namespace,
      namespaceLabels: this.platform.trust?.namespaceLabels,
    });
    return { layer: this.applyLayer(chart, [controllers.layer]), bundle };
  }

  /** `monitoring`: x509-certificate-exporter and the alert rules, in the exporter's namespace. */
  private addMonitoring(controllers: Controllers): void {
    const monitoring = this.cluster.monitoring!;
    const chart = this.newLayerChart('monitoring');
    const exporter = new X509CertificateExporter(chart, 'X509CertificateExporter', {
      version: this.platform.versions.x509CertificateExporter!,
      imageDigest: this.platform.imageDigests?.x509CertificateExporter?.exporter,
      serviceMonitorLabels: monitoring.selectorLabels,
      secretNamespaces: [this.gatewaysNamespace(), controllers.certManager.namespace, ...(monitoring.certificateNamespaces ?? [])],
    });
    new NamespaceIsolation(chart, 'ExporterNetwork', {
      namespace: exporter.namespace,
      // The API server (it lists the TLS Secrets), whose EKS endpoint addresses are not known here.
      egress: [{ name: 'kube-apiserver', ports: [443] }],
      ingress: [{ name: 'metrics', ports: [X509_EXPORTER_METRICS_PORT], from: 'cluster' }],
    });
    new AlertRules(chart, 'CertificateAlerts', {
      name: 'certificate-expiry',
      namespace: exporter.namespace,
      selectorLabels: monitoring.selectorLabels,
      groups: [
        certificateExpiryAlerts({ warningDaysLeft: monitoring.warningDaysLeft, criticalDaysLeft: monitoring.criticalDaysLeft }),
        certManagerAlerts(),
      ],
    });
    if (monitoring.vaultAlerts) {
      new AlertRules(chart, 'VaultAlerts', {
        name: 'vault', namespace: exporter.namespace, selectorLabels: monitoring.selectorLabels, groups: [vaultAlerts()],
      });
    }
    const rotation = appRoleRotationSettings(this.platform, this.cluster);
    if (rotation && appRolesDeliveredTo(this.platform, this.cluster).length > 0) {
      new AlertRules(chart, 'AppRoleRotationAlerts', {
        name: 'approle-rotation',
        namespace: exporter.namespace,
        selectorLabels: monitoring.selectorLabels,
        groups: [appRoleRotationAlerts({
          namespace: APPROLE_ROTATION_NAMESPACE,
          cronJobs: rotation.appRoles.map((appRole) => {
            const ages = rotationAlertAges(rotation, appRole);
            return { cronJob: appRoleRotationCronJobName(appRole.name), appRole: appRole.name, lateAfterSeconds: ages.late, expiringAfterSeconds: ages.expiring };
          }),
        })],
      });
    }
    if (this.backup) {
      // Beside the other rules, in the one namespace Prometheus' ruleNamespaceSelector must include.
      new AlertRules(chart, 'VaultBackupAlerts', {
        name: 'vault-backup',
        namespace: exporter.namespace,
        selectorLabels: monitoring.selectorLabels,
        groups: [vaultBackupAlerts({
          namespace: this.backup.namespace,
          snapshotCronJob: SNAPSHOT_CRONJOB,
          verifyCronJob: VERIFY_CRONJOB,
          maxAgeHours: this.backup.maxAgeHours,
        })],
      });
    }
    this.applyLayer(chart, [controllers.layer]);
  }

  /**
   * `issuers`: both Let's Encrypt environments and Vault. The optional HTTP-01 solver answers
   * through the public Gateway, so it exists only when the cluster has one.
   */
  private addIssuers(controllers: Controllers, hasPublicGateway: boolean): Issuers {
    const chart = this.newLayerChart('issuers');
    const { platform } = this;
    const dns01 = new Route53Solver({
      zone: platform.dns.publicZone.name,
      hostedZoneID: platform.dns.publicZone.hostedZoneID,
      region: this.region,
    });
    const http01 = platform.acme.http01 && hasPublicGateway
      ? new GatewayHttp01Solver({ gatewayName: PUBLIC_GATEWAY, gatewayNamespace: this.gatewaysNamespace() })
      : undefined;
    const letsEncrypt = {
      staging: new LetsEncryptIssuer(chart, 'LetsEncryptStaging', { email: platform.acme.email, environment: 'staging', dns01, http01 }),
      production: new LetsEncryptIssuer(chart, 'LetsEncryptProduction', { email: platform.acme.email, environment: 'production', dns01, http01 }),
    };
    const auth = vaultAuth(platform);
    const vault = new VaultIssuer(chart, 'Vault', {
      server: platform.vault.address,
      pkiMount: platform.vault.pki?.mount,
      pkiRole: platform.vault.pki?.role,
      caBundlePem: this.inputs.vaultCaBundle,
      caBundleSecretRef: platform.vault.caBundleSecretRef,
      serverName: platform.vault.serverName,
      auth: auth.appRole
        ? {
          appRole: {
            path: auth.appRole.path,
            roleId: auth.appRole.roleId,
            secretName: auth.appRole.secretRef?.name,
            secretKey: auth.appRole.secretRef?.key,
          },
        }
        : { kubernetes: { ...auth.kubernetes! } },
      certManagerNamespace: controllers.certManager.namespace,
    });
    // The layer is Ready once the Let's Encrypt accounts are registered. The Vault issuer is not
    // waited for here: until Vault is initialised and its AppRole secret delivered it cannot be
    // Ready, and that must not hold back the public Gateway. Its health shows in the
    // `certificates` layer, whose Certificate only becomes Ready once Vault signs it.
    const layer = this.applyLayer(chart, [controllers.layer], [letsEncrypt.staging.resource, letsEncrypt.production.resource]);
    return { layer, letsEncrypt, vault };
  }

  /**
   * `gateways` (the namespace and the Gateways of the applications' kinds), `certificates` (the
   * private Gateway's, when there are private applications) and `routes` (one per application).
   */
  private addGateways(issuers: Issuers, applications: readonly ApplicationConfig[], namespaces: FluxLayer | undefined): void {
    const { platform, cluster } = this;
    const namespace = this.gatewaysNamespace();
    const publicApps = applications.filter((app) => app.gateway === 'public');
    const privateApps = applications.filter((app) => app.gateway === 'private');

    const chart = this.newLayerChart('gateways');
    // Some implementations run their proxies here: baseline enforced, restricted reported.
    // It holds the Gateways' TLS Secrets (the public one's key is Let's Encrypt-rate-limited): never pruned.
    platformNamespace(chart, 'Namespace', { name: namespace, enforce: 'baseline', keepOnPrune: true });
    const common = {
      namespace,
      gatewayClassName: cluster.gatewayClassName,
      loadBalancerTargetType: cluster.gateways?.loadBalancerTargetType,
    };
    const gateways: Partial<Record<'public' | 'private', PlatformGateway>> = {};
    if (publicApps.length > 0) {
      gateways.public = new PublicGateway(chart, 'Public', {
        ...common,
        name: PUBLIC_GATEWAY,
        zone: platform.dns.publicZone.name,
        routeNamespaces: publicApps.map((app) => app.namespace),
        hostnames: publicApps.map((app) => app.hostname),
        issuer: issuers.letsEncrypt[platform.acme.gatewayIssuer ?? 'production'],
        renewBefore: platform.publicCertificate?.renewBefore,
        privateKey: platform.publicCertificate?.privateKey,
      });
    }
    let certificates: Chart | undefined;
    if (privateApps.length > 0) {
      certificates = this.newLayerChart('certificates');
      const certificate = new PrivateCertificate(certificates, 'PrivateGateway', {
        name: 'private-gateway-tls',
        namespace,
        issuer: issuers.vault,
        dnsNames: privateApps.map((app) => app.hostname),
        duration: platform.privateCertificate?.duration,
        renewBefore: platform.privateCertificate?.renewBefore,
        privateKey: platform.privateCertificate?.privateKey,
      });
      gateways.private = new PrivateGateway(chart, 'Private', {
        ...common,
        name: PRIVATE_GATEWAY,
        zone: platform.dns.privateZone.name,
        routeNamespaces: privateApps.map((app) => app.namespace),
        hostnames: privateApps.map((app) => app.hostname),
        certificate,
      });
    }
    // Gateways Programmed, the HTTPS redirects accepted: kstatus alone would count them healthy at once.
    const gatewaysLayer = this.applyLayer(chart, [issuers.layer], undefined, {
      healthCheckExprs: GATEWAY_HEALTH_CHECK_EXPRS, timeout: GATEWAYS_LAYER_TIMEOUT,
    });
    if (certificates) this.applyLayer(certificates, [issuers.layer, gatewaysLayer]);

    const routes = this.newLayerChart('routes');
    for (const app of applications) {
      new ApplicationRoute(routes, routeId(app), {
        name: app.name,
        namespace: app.namespace,
        gateway: gateways[app.gateway]!,
        hostname: app.hostname,
        serviceName: app.service.name,
        servicePort: app.service.port,
        path: app.path,
      });
    }
    this.applyLayer(routes, [gatewaysLayer, ...(namespaces ? [namespaces] : [])], undefined, { healthCheckExprs: GATEWAY_HEALTH_CHECK_EXPRS });
  }

  /**
   * `backup`: the Vault snapshot and verification CronJobs, in the cluster `backup.cluster` names.
   * After `secrets` (the ClusterSecretStore their ExternalSecret reads) and `trust` (the jobs verify
   * Vault's certificate with the private root it distributes).
   */
  private addBackup(backup: ResolvedBackup, controllers: Controllers, trust: Trust, rotated: RotatedSecretTarget | undefined): void {
    const chart = this.newLayerChart('backup');
    const { platform } = this;
    new VaultBackup(chart, 'VaultBackup', {
      namespace: backup.namespace,
      trustNamespaceLabels: platform.trust?.namespaceLabels ?? DEFAULT_TRUST_NAMESPACE_LABELS,
      caConfigMap: { name: trust.bundle.bundleName, key: TRUST_BUNDLE_KEY },
      serviceAccountName: VAULT_BACKUP_SERVICE_ACCOUNT,
      awsIdentity: this.cluster.workloadIdentity.type === 'irsa'
        ? { type: 'irsa', roleArn: vaultBackupRoleArn(platform.aws.accountId, backup.region, this.clusterName) }
        : { type: 'pod-identity' },
      secretStore: this.secretStore(chart, backup.namespace, SNAPSHOT_APPROLE),
      secretIdRemoteKey: appRoleSecretIdName(this.clusterName, SNAPSHOT_APPROLE),
      source: {
        address: platform.vault.address,
        serverName: platform.vault.serverName,
        engine: backup.engine,
        image: backup.vaultImage,
        snapshotInspect: backup.snapshotInspect,
        appRoleMount: backup.appRoleMount,
        roleId: backup.roleId,
      },
      store: {
        bucket: backup.bucketName,
        keyPrefix: VAULT_SNAPSHOT_KEY_PREFIX,
        kmsKeyId: vaultBackupKeyAliasArn(platform.aws.accountId, backup.region, backup.bucketName),
        region: backup.region,
      },
      awsCliImage: backup.awsCliImage,
      schedule: backup.schedule,
      verifySchedule: backup.verifySchedule,
      maxAgeHours: backup.maxAgeHours,
    });
    new NamespaceIsolation(chart, 'Network', {
      namespace: backup.namespace,
      // Vault, then S3, STS and KMS; nothing may connect to the jobs.
      egress: [this.vaultEgress(), { name: 'aws-https', ports: [443] }, ...this.podIdentityEgress()],
    });
    // After the External Secrets Operator (controllers, or secrets after it, which cert-manager's
    // AppRole login adds) and the private root. It waits for all its objects, its SecretStore too.
    // The rotation job's rights on the snapshot secret, here with its namespace: the backup layer is
    // Ready only once that secret arrives, which the rotation job makes, so that layer cannot wait for this one.
    if (rotated) new AppRoleSecretSyncGrant(chart, 'AppRoleRotationGrant', { target: rotated });
    this.applyLayer(chart, [this.secretsLayer ?? controllers.layer, trust.layer]);
  }

  /**
   * `approle-rotation`: a CronJob per AppRole secret id the cluster receives, which replaces it
   * weekly (vault.setup.appRoleRotation). After `secrets` (or `controllers` without it: the External Secrets CRDs) and
   * `trust` (it verifies Vault's certificate); never after `backup`, which waits for the snapshot
   * secret id this layer's job makes (its rights on that namespace are in `backup`).
   */
  private addAppRoleRotation(rotation: AppRoleRotationSettings, targets: readonly RotatedSecretTarget[], controllers: Controllers, trust: Trust): void {
    const chart = this.newLayerChart('approle-rotation');
    const { platform, cluster } = this;
    const jobs = new AppRoleRotation(chart, 'AppRoleRotation', {
      clusterName: cluster.name,
      targets,
      grantsElsewhere: [SNAPSHOT_APPROLE],
      schedule: rotation.schedule,
      vault: {
        address: platform.vault.address,
        serverName: platform.vault.serverName ?? new URL(platform.vault.address).hostname,
        engine: rotation.engine,
        image: rotation.vaultImage,
      },
      awsAuth: {
        path: VAULT_AWS_AUTH_PATH,
        role: appRoleRotationVaultRole(cluster.name),
        serverId: vaultAwsAuthServerId(platform),
        region: platform.vaultCluster!.region ?? platform.aws.region,
      },
      awsCliImage: rotation.awsCliImage,
      region: this.region,
      awsIdentity: cluster.workloadIdentity.type === 'irsa'
        ? { type: 'irsa', roleArn: appRoleRotationRoleArn(platform.aws.accountId, this.region, cluster.name) }
        : { type: 'pod-identity' },
      caConfigMap: { name: trust.bundle.bundleName, key: TRUST_BUNDLE_KEY },
      trustNamespaceLabels: platform.trust?.namespaceLabels ?? DEFAULT_TRUST_NAMESPACE_LABELS,
    });
    new NamespaceIsolation(chart, 'Network', {
      namespace: jobs.namespace,
      // Vault; Secrets Manager, STS and the Kubernetes API (EKS endpoint addresses are not known here).
      egress: [this.vaultEgress(), { name: 'https', ports: [443] }, ...this.podIdentityEgress()],
    });
    this.applyLayer(chart, [this.secretsLayer ?? controllers.layer, trust.layer]);
  }

  /** Where each rotated secret id lands: its ExternalSecret and Secret, in its consumer's namespace. */
  private rotationTargets(rotation: AppRoleRotationSettings, controllers: Controllers): RotatedSecretTarget[] {
    return rotation.appRoles.map((appRole) => {
      const remoteKey = appRoleSecretIdName(this.clusterName, appRole.name);
      if (appRole.name === SNAPSHOT_APPROLE) {
        return { appRole, remoteKey, namespace: this.backup!.namespace, externalSecretName: APPROLE_SECRET, secretName: APPROLE_SECRET, secretKey: APPROLE_SECRET_KEY };
      }
      const certManager = appRoleSettings(this.platform)!;
      return {
        appRole, remoteKey, namespace: controllers.certManager.namespace,
        externalSecretName: certManager.secretName, secretName: certManager.secretName, secretKey: certManager.secretKey,
      };
    });
  }

  private gatewaysNamespace(): string {
    return this.cluster.gateways?.namespace ?? DEFAULT_GATEWAYS_NAMESPACE;
  }

  /** A new chart for the layer folder `name`; charts carry no namespace (see the class comment). */
  private newLayerChart(name: string): Chart {
    const chart = new Chart(this, name, { disableResourceNameHashes: true });
    this.layerList.push({ name, chart });
    return chart;
  }

  /**
   * The Flux Kustomization that applies a layer chart, named and pathed after it. Its timeout is
   * `clusters[].flux.timeout` when set, otherwise the layer's own default.
   */
  private applyLayer(chart: Chart, dependsOn: readonly FluxLayer[], healthChecks?: readonly ApiObject[], options: LayerOptions = {}): FluxLayer {
    const name = chart.node.id;
    return new FluxLayer(this.fluxChart, name, {
      name,
      path: `./${DIST_DIR}/${this.clusterName}/${name}`,
      sourceRef: { kind: 'GitRepository', name: this.cluster.flux?.gitRepository ?? 'flux-system' },
      dependsOn,
      healthChecks,
      healthCheckExprs: options.healthCheckExprs,
      interval: this.cluster.flux?.interval,
      timeout: this.cluster.flux?.timeout ?? options.timeout,
    });
  }
}

/** The layer of the applications' namespaces (applications[].createNamespace). */
export const APPLICATION_NAMESPACES_LAYER = 'namespaces';

/** Ports the NetworkPolicies open, as the charts' defaults set them (checked in each chart's values). */
export const CERT_MANAGER_WEBHOOK_PORT = 10250;
export const CERT_MANAGER_METRICS_PORT = 9402;
export const TRUST_MANAGER_WEBHOOK_PORT = 6443;
export const EXTERNAL_SECRETS_WEBHOOK_PORT = 10250;
export const EXTERNAL_SECRETS_METRICS_PORT = 8080;
export const X509_EXPORTER_METRICS_PORT = 9793;

/** The EKS Pod Identity agent's link-local addresses (IPv4 and IPv6). */
export const EKS_POD_IDENTITY_AGENT_CIDRS = ['169.254.170.23/32', 'fd00:ec2::23/128'] as const;

/** What a layer adds to the Kustomization's defaults. */
interface LayerOptions {
  /** @default - no expression: kstatus judges every object */
  readonly healthCheckExprs?: readonly FluxHealthCheckExpr[];
  /** @default - FluxLayer's default, '5m' */
  readonly timeout?: string;
}

/**
 * How long the `gateways` layer may take: an NLB is provisioned for each Gateway (two to five
 * minutes) before the implementation reports it Programmed.
 */
export const GATEWAYS_LAYER_TIMEOUT = '15m';

/**
 * How long the `controllers` layer may take: three releases install in it one after the other
 * (cert-manager, then trust-manager, whose webhook certificate cert-manager issues), each with its
 * CRDs, webhook and retries.
 */
export const CONTROLLERS_LAYER_TIMEOUT = '15m';

/** What the `controllers` layer provides to the layers after it. */
interface Controllers {
  readonly layer: FluxLayer;
  readonly certManager: CertManager;
  readonly trustManager: TrustManager;
  /** `undefined` when the cluster receives no AppRole secret id. */
  readonly externalSecrets?: ExternalSecretsOperator;
}

/** What the `trust` layer provides to the layers after it. */
interface Trust {
  readonly layer: FluxLayer;
  readonly bundle: PrivateCaBundle;
}

/** What the `issuers` layer provides to the layers after it. */
interface Issuers {
  readonly layer: FluxLayer;
  readonly letsEncrypt: Record<'staging' | 'production', LetsEncryptIssuer>;
  readonly vault: VaultIssuer;
}

/** Construct id of an application's route: its namespace and name, unique per cluster. */
function routeId(app: ApplicationConfig): string {
  return `${app.namespace}-${app.name}`;
}

/** Builds the charts of every declared cluster, in configuration order. */
export function buildPlatform(app: App, platform: PlatformConfig, inputs: PlatformInputs): ClusterPlatform[] {
  return platform.clusters.map((cluster) => new ClusterPlatform(app, cluster.name, { platform, cluster, inputs }));
}

/** The names of the Namespaces a chart creates. */
function namespacesOf(chart: Chart): string[] {
  return chart.node.findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject && c.apiVersion === 'v1' && c.kind === 'Namespace')
    .map((ns) => ns.name);
}

/**
 * The HelmReleases of a chart. Matched by group, version and kind: cdk8s makes `instanceof` true
 * for any ApiObject subclass (`ApiObject[Symbol.hasInstance]`), so it cannot tell kinds apart.
 */
function helmReleasesOf(chart: Chart): ApiObject[] {
  return chart.node.findAll().filter((c): c is ApiObject =>
    c instanceof ApiObject && c.apiVersion === HelmRelease.GVK.apiVersion && c.kind === HelmRelease.GVK.kind);
}
