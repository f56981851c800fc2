import { ApiObject, App, Chart } from 'cdk8s';
import { KubeNamespace } from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { HelmRelease } from '../../imports/flux-helmreleases-helm.toolkit.fluxcd.io.js';
import type { ApplicationConfig, ClusterConfig, PlatformConfig } from '../config/types.js';
import { certManagerRoleArn, MANAGED_BY_LABEL } from '../util/names.js';
import { ApplicationRoute } from './application-route.js';
import { CertManager, CertManagerAwsIdentity } from './cert-manager.js';
import { PrivateCertificate } from './certificate.js';
import { FluxLayer, FluxSourceRef } from './flux-layer.js';
import { GatewayApiCrds } from './gateway-api-crds.js';
import { PlatformGateway, PrivateGateway, PublicGateway } from './gateway.js';
import { GatewayHttp01Solver, LetsEncryptIssuer, Route53Solver } from './letsencrypt-issuer.js';
import { VaultIssuer } from './vault-issuer.js';

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

/** Files the configuration points to, read and checked by the loader. */
export interface PlatformInputs {
  /** PEM of the CA chain Vault's TLS certificate chains to, certificates only; absent when `vault.caBundleSecretRef` is used. */
  readonly vaultCaBundle?: string;
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
 * | `controllers`      | cert-manager: namespace, chart source, HelmRelease      | gateway-api-crds       |
 * | `issuers`          | ClusterIssuers: Let's Encrypt staging and prod, Vault   | controllers            |
 * | `gateways`         | gateways namespace, public and private Gateway          | issuers                |
 * | `certificates`     | the private Gateway's Certificate (Vault)               | issuers, gateways      |
 * | `routes`           | one HTTPRoute per declared application                  | gateways               |
 *
 * Gateways, certificates and routes exist only for the gateways that have applications. Charts
 * carry no namespace: every object names its own, and cluster-scoped ones stay unscoped.
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
    const certManager = new CertManager(controllers, 'CertManager', {
      version: platform.versions.certManager,
      awsIdentity,
      replicas: cluster.certManager?.replicas,
      serviceMonitor: cluster.certManager?.serviceMonitor,
    });
    const controllersLayer = new FluxLayer(this.fluxChart, 'Controllers', {
      name: 'controllers',
      path: layerPath('controllers'),
      sourceRef: repository,
      dependsOn: [gatewayApi.layer],
      healthChecks: helmReleasesOf(controllers),
      ...flux,
    });
    const layers: Layer[] = [{ name: 'controllers', chart: controllers }];
    const addLayer = (name: string, chart: Chart, dependsOn: FluxLayer[]): FluxLayer => {
      layers.push({ name, chart });
      return new FluxLayer(this.fluxChart, chart.node.id, { name, path: layerPath(name), sourceRef: repository, dependsOn, ...flux });
    };

    // Issuers: both Let's Encrypt environments and Vault.
    const applications = (platform.applications ?? []).filter((app) => (app.cluster ?? platform.clusters[0]!.name) === cluster.name);
    const publicApps = applications.filter((app) => app.gateway === 'public');
    const privateApps = applications.filter((app) => app.gateway === 'private');
    const gatewaysNamespace = cluster.gateways?.namespace ?? 'gateways';
    const publicGatewayName = 'public';

    const issuers = new Chart(this, 'issuers', { disableResourceNameHashes: true });
    const dns01 = new Route53Solver({
      zone: platform.dns.publicZone.name,
      hostedZoneID: platform.dns.publicZone.hostedZoneID,
      region,
    });
    const http01 = platform.acme.http01 && publicApps.length > 0
      ? new GatewayHttp01Solver({ gatewayName: publicGatewayName, gatewayNamespace: gatewaysNamespace })
      : undefined;
    const letsEncrypt = {
      staging: new LetsEncryptIssuer(issuers, 'LetsEncryptStaging', { email: platform.acme.email, environment: 'staging', dns01, http01 }),
      production: new LetsEncryptIssuer(issuers, 'LetsEncryptProduction', { email: platform.acme.email, environment: 'production', dns01, http01 }),
    };
    const vaultAuth = platform.vault.auth;
    const vault = new VaultIssuer(issuers, 'Vault', {
      server: platform.vault.address,
      pkiMount: platform.vault.pki?.mount,
      pkiRole: platform.vault.pki?.role,
      caBundlePem: props.inputs.vaultCaBundle,
      caBundleSecretRef: platform.vault.caBundleSecretRef,
      serverName: platform.vault.serverName,
      auth: vaultAuth.appRole
        ? {
          appRole: {
            path: vaultAuth.appRole.path,
            roleId: vaultAuth.appRole.roleId,
            secretName: vaultAuth.appRole.secretRef?.name,
            secretKey: vaultAuth.appRole.secretRef?.key,
          },
        }
        : { kubernetes: { ...vaultAuth.kubernetes! } },
      certManagerNamespace: certManager.namespace,
    });
    // The layer is Ready once the Let's Encrypt accounts are registered. The Vault issuer is not
    // waited for here: until Vault is initialised and its AppRole secret delivered it cannot be
    // Ready, and that must not hold back the public Gateway. Its health shows in the
    // `certificates` layer, whose Certificate only becomes Ready once Vault signs it.
    layers.push({ name: 'issuers', chart: issuers });
    const issuersLayer = new FluxLayer(this.fluxChart, 'issuers', {
      name: 'issuers',
      path: layerPath('issuers'),
      sourceRef: repository,
      dependsOn: [controllersLayer],
      healthChecks: [letsEncrypt.staging.resource, letsEncrypt.production.resource],
      ...flux,
    });

    if (applications.length > 0) {
      const gateways = new Chart(this, 'gateways', { disableResourceNameHashes: true });
      new KubeNamespace(gateways, 'Namespace', {
        metadata: {
          name: gatewaysNamespace,
          labels: {
            ...MANAGED_BY_LABEL,
            // Some implementations run their proxies here: baseline enforced, restricted reported.
            'pod-security.kubernetes.io/enforce': 'baseline',
            'pod-security.kubernetes.io/audit': 'restricted',
            'pod-security.kubernetes.io/warn': 'restricted',
          },
        },
      });
      const common = { namespace: gatewaysNamespace, gatewayClassName: cluster.gatewayClassName };
      const exposed: Record<'public' | 'private', PlatformGateway | undefined> = { public: undefined, private: undefined };
      let certificates: Chart | undefined;
      if (publicApps.length > 0) {
        exposed.public = new PublicGateway(gateways, 'Public', {
          ...common,
          name: publicGatewayName,
          zone: platform.dns.publicZone.name,
          routeNamespaces: publicApps.map((app) => app.namespace),
          hostnames: publicApps.map((app) => app.hostname),
          issuer: letsEncrypt[platform.acme.gatewayIssuer ?? 'production'],
          renewBefore: platform.publicCertificate?.renewBefore,
          privateKey: platform.publicCertificate?.privateKey,
        });
      }
      if (privateApps.length > 0) {
        certificates = new Chart(this, 'certificates', { disableResourceNameHashes: true });
        const certificate = new PrivateCertificate(certificates, 'PrivateGateway', {
          name: 'private-gateway-tls',
          namespace: gatewaysNamespace,
          issuer: vault,
          dnsNames: privateApps.map((app) => app.hostname),
          duration: platform.privateCertificate?.duration,
          renewBefore: platform.privateCertificate?.renewBefore,
          privateKey: platform.privateCertificate?.privateKey,
        });
        exposed.private = new PrivateGateway(gateways, 'Private', {
          ...common,
          name: 'private',
          zone: platform.dns.privateZone.name,
          routeNamespaces: privateApps.map((app) => app.namespace),
          hostnames: privateApps.map((app) => app.hostname),
          certificate,
        });
      }
      const gatewaysLayer = addLayer('gateways', gateways, [issuersLayer]);
      if (certificates) addLayer('certificates', certificates, [issuersLayer, gatewaysLayer]);

      const routes = new Chart(this, 'routes', { disableResourceNameHashes: true });
      for (const app of applications) {
        new ApplicationRoute(routes, routeId(app), {
          name: app.name,
          namespace: app.namespace,
          gateway: exposed[app.gateway]!,
          hostname: app.hostname,
          serviceName: app.service.name,
          servicePort: app.service.port,
          path: app.path,
        });
      }
      addLayer('routes', routes, [gatewaysLayer]);
    }

    this.layers = layers;
  }
}

/** Construct id of an application's route: its namespace and name, unique per cluster. */
function routeId(app: ApplicationConfig): string {
  return `${app.namespace}-${app.name}`;
}

/** Builds the charts of every declared cluster, in configuration order. */
export function buildPlatform(app: App, platform: PlatformConfig, inputs: PlatformInputs): ClusterPlatform[] {
  return platform.clusters.map((cluster) => new ClusterPlatform(app, cluster.name, { platform, cluster, inputs }));
}

/**
 * The HelmReleases of a chart. Matched by group, version and kind: cdk8s makes `instanceof` true
 * for any ApiObject subclass (`ApiObject[Symbol.hasInstance]`), so it cannot tell kinds apart.
 */
function helmReleasesOf(chart: Chart): ApiObject[] {
  return chart.node.findAll().filter((c): c is ApiObject =>
    c instanceof ApiObject && c.apiVersion === HelmRelease.GVK.apiVersion && c.kind === HelmRelease.GVK.kind);
}
