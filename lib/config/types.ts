/**
 * The one platform configuration.
 *
 * A platform engineer describes the whole TLS/PKI platform once, in `config/platform.yaml`; every
 * Kubernetes manifest under `dist/` and every Terraform stack is derived from it. The types below
 * are what `loadConfig` returns once `validateConfig` has checked every field; optional fields
 * document their default with `@default`, applied where the value is used (lib/k8s/platform.ts and
 * the constructs' props).
 *
 * Field names follow the vocabulary of the upstream project each one ends up in (cert-manager,
 * Gateway API, Flux, AWS), so that its documentation can be searched with them.
 */

/** The organisation that owns the PKI; it appears in certificate subjects. */
export interface OrganizationConfig {
  /** Legal name, used as the `O=` of issued certificates. @example 'Example Corp' */
  readonly name: string;
  /** ISO 3166-1 alpha-2 country code, the `C=` of issued certificates. @example 'FR' */
  readonly country: string;
}

/** The AWS account that hosts Vault, Route53 zones and the EKS clusters. */
export interface AwsConfig {
  /** 12-digit account id. @example '123456789012' */
  readonly accountId: string;
  /** Default region for everything that names none. @example 'eu-west-3' */
  readonly region: string;
}

/** A Route53 hosted zone. */
export interface DnsZoneConfig {
  /** Fully qualified zone name, without the trailing dot. @example 'example.com' */
  readonly name: string;
  /**
   * Route53 hosted zone id, when known: cert-manager then skips the zone lookup and its IAM
   * policy can be scoped to this zone alone.
   * @default - looked up by name
   */
  readonly hostedZoneID?: string;
}

/** The public zone (Let's Encrypt, internet-facing Gateway) and the private zone (Vault, internal Gateway). */
export interface DnsConfig {
  readonly publicZone: DnsZoneConfig;
  /** Must differ from the public zone; usually a subdomain of it. @example { name: 'priv.example.com' } */
  readonly privateZone: DnsZoneConfig;
}

/** The ACME (Let's Encrypt) account and how public certificates are obtained. */
export interface AcmeConfig {
  /**
   * Contact address of the ACME account, registered with Let's Encrypt (account recovery, policy
   * notices; Let's Encrypt stopped sending expiry e-mails in 2025: alerting is ours to do). One
   * Let's Encrypt accepts: its domain ends in an IANA top-level domain and is not `example.com`,
   * `.net` or `.org` (lib/config/check-acme.ts).
   * @example 'security@example.com'
   */
  readonly email: string;
  /**
   * Which of the two Let's Encrypt ClusterIssuers (both are always emitted) the public Gateway's
   * `cert-manager.io/cluster-issuer` annotation names. Staging has generous rate limits and
   * untrusted certificates: use it while trying the platform out.
   * @default 'production'
   */
  readonly gatewayIssuer?: 'staging' | 'production';
  /**
   * Add an HTTP-01 solver, answered through the public Gateway's HTTP listener, for names outside
   * the public Route53 zone (DNS-01 stays the solver of the zone and of its wildcard).
   * @default false
   */
  readonly http01?: boolean;
}

/** Key of a certificate: algorithm and size, as cert-manager's `privateKey` names them. */
export interface PrivateKeyConfig {
  /** @default 'ECDSA' */
  readonly algorithm?: 'ECDSA' | 'RSA';
  /** Curve size for ECDSA (256, 384 or 521), modulus for RSA (2048, 3072 or 4096). @default - 256 for ECDSA, 2048 for RSA */
  readonly size?: number;
}

/**
 * The public Gateway's certificate, requested by cert-manager's gateway-shim from the Gateway's
 * annotations (Let's Encrypt decides the lifetime).
 */
export interface PublicCertificateConfig {
  /** Renew this long before expiry, a Go duration. @default - cert-manager's default, 2/3 of the lifetime */
  readonly renewBefore?: string;
  /** @default - ECDSA P-256 */
  readonly privateKey?: PrivateKeyConfig;
}

/** The private Gateway's Certificate, issued by Vault. */
export interface PrivateCertificateConfig {
  /** Lifetime requested from Vault, a Go duration; must not exceed the Vault role's `max_ttl`. @default '2160h' (90 days) */
  readonly duration?: string;
  /** Renew this long before expiry, a Go duration shorter than `duration`. @default '360h' (15 days) */
  readonly renewBefore?: string;
  /** @default - ECDSA P-256 */
  readonly privateKey?: PrivateKeyConfig;
}

/**
 * The Vault PKI secrets engine that signs private certificates, as the Vault configuration stack
 * (`vault-config`) builds it: the issuing mount, whose CA keys are generated inside Vault and never
 * leave it. Their certificates are signed offline by the intermediate CA (`npm run pki --
 * sign-issuing`), whose key never goes to Vault nor into Terraform state.
 */
export interface VaultPkiConfig {
  /** Mount path of the issuing PKI engine. @default 'pki_private_issuer' */
  readonly mount?: string;
  /** Role that restricts what may be signed (allowed domains, key types, TTLs). @default 'cert-manager' */
  readonly role?: string;
  /**
   * The issuing CAs of the mount, each a key inside Vault and the certificate the offline
   * intermediate signed for it. More than one during a rotation: the next issuer is added, signed,
   * made default (`defaultIssuer`) after an overlap, and the old one removed once its last
   * certificate has expired (docs/operations.md, "Rotate the issuing CA").
   * @default - [{ name: 'issuing-ca' }]
   */
  readonly issuers?: readonly VaultIssuerConfig[];
  /** The issuer that signs, the mount's default issuer and the role's. @default - the first of `issuers` */
  readonly defaultIssuer?: string;
  /** Lifetime of the issuing CA, a Go duration in hours; below the intermediate's 5 years. @default '17520h' (2 years) */
  readonly issuingCaTtl?: string;
  /**
   * Key of the issuing CAs, generated inside Vault: EC 256 or 384 (no P-521, which Chrome and
   * BoringSSL do not verify), RSA 2048, 3072 or 4096. `sign-issuing` signs CSRs of this key only.
   * @default - EC P-256
   */
  readonly issuingKey?: { readonly type?: 'ec' | 'rsa'; readonly bits?: number };
  /** Domains the role signs, with their subdomains. @default - [dns.privateZone.name, 'cluster.local'] */
  readonly allowedDomains?: readonly string[];
  /** Whether the role signs wildcard names (`*.app.priv.example.com`). @default false */
  readonly allowWildcardCertificates?: boolean;
  /** Default lifetime of a leaf certificate, a Go duration. @default '720h' (30 days) */
  readonly leafTtl?: string;
  /**
   * Longest lifetime of a leaf certificate; at least `privateCertificate.duration`, below `issuingCaTtl`.
   * @default '2160h' (90 days), or `privateCertificate.duration` when that is longer
   */
  readonly leafMaxTtl?: string;
  /** Key of leaf certificates the role accepts in CSRs. @default - EC P-256 (`privateCertificate.privateKey`) */
  readonly leafKey?: { readonly type?: 'ec' | 'rsa'; readonly bits?: number };
  /** Also let cert-manager call `<mount>/issue/<role>` (Vault generates the key), not only `sign`. @default false */
  readonly allowIssue?: boolean;
}

/** One issuing CA of `vault.pki.mount`. */
export interface VaultIssuerConfig {
  /**
   * Its name in Vault, also the name of its key there: a DNS-1123 label, not `default` (Vault
   * reserves it). Never rename one: the name is its identity in Vault and in Terraform state.
   */
  readonly name: string;
  /**
   * The PEM file of its certificate followed by its chain (issuing CA, intermediate, root) that
   * `npm run pki -- sign-issuing` writes, relative to the configuration file. Public: commit it.
   * Until it exists, the stack only creates the key and outputs its CSR (`issuing_csr`).
   * @default - `pki/<name>.pem`
   */
  readonly certificateFile?: string;
}

/** Reference to a key of a Kubernetes Secret in cert-manager's namespace. */
export interface SecretKeyRefConfig {
  /** @default 'vault-approle' */
  readonly name?: string;
  /** @default 'secretId' */
  readonly key?: string;
}

/**
 * How cert-manager logs in to Vault: exactly one of `appRole` (the article's choice) or
 * `kubernetes` (no secret to distribute: Vault verifies a service account token).
 */
export interface VaultAuthConfig {
  readonly appRole?: {
    /** Mount path of the AppRole auth method. @default 'approle' */
    readonly path?: string;
    /**
     * Role id of cert-manager's AppRole, a UUID. It is not a secret; fixing it here lets the Vault
     * configuration stack set the very same id, so the two agree by construction.
     */
    readonly roleId: string;
    /** The Secret (in cert-manager's namespace) holding the AppRole secret id. Never in `dist/`. @default - vault-approle / secretId */
    readonly secretRef?: SecretKeyRefConfig;
    /** CIDRs from which tokens of this role may be used (`token_bound_cidrs`): the cluster's pod or node ranges. @default [] (anywhere) */
    readonly tokenBoundCidrs?: readonly string[];
    /** CIDRs from which the secret id may log in (`secret_id_bound_cidrs`). @default [] (anywhere) */
    readonly secretIdBoundCidrs?: readonly string[];
    /** Lifetime of a secret id, a Go duration; rotate before it ends (docs/operations.md, "AppRole rotation"). @default '2160h' (90 days) */
    readonly secretIdTtl?: string;
  };
  readonly kubernetes?: {
    /** Vault path of the Kubernetes auth method. @default '/v1/auth/kubernetes' */
    readonly mountPath?: string;
    /** Vault role bound to the service account. */
    readonly role: string;
    /** Service account (in cert-manager's namespace) whose tokens cert-manager presents. @default 'vault-issuer' */
    readonly serviceAccount?: string;
  };
}

/** Where the Vault (or OpenBao) cluster answers, and how cert-manager uses it. */
export interface VaultConfig {
  /**
   * HTTPS address of the Vault API, a host name in the private zone.
   * @example 'https://vault.priv.example.com:8200'
   */
  readonly address: string;
  /**
   * PEM file of the CA chain that Vault's TLS certificate chains to (intermediate + root, as the
   * offline PKI command writes it), relative to the configuration file. Certificates only: a file
   * holding a private key is rejected. Read and checked at synth, it becomes the Vault
   * ClusterIssuer's `caBundle`.
   *
   * Exactly one of `caBundleFile` or `caBundleSecretRef`.
   * @example 'pki/ca-chain.pem'
   */
  readonly caBundleFile?: string;
  /**
   * The Secret, in cert-manager's namespace, whose key holds the PEM CA chain of Vault's TLS
   * certificate (one distributed by trust-manager, for instance). Becomes the Vault ClusterIssuer's
   * `caBundleSecretRef`; the Secret lives in the cluster, so nothing is read or checked at synth.
   *
   * Exactly one of `caBundleFile` or `caBundleSecretRef`.
   * @example { name: 'vault-ca' }
   */
  readonly caBundleSecretRef?: {
    /** Name of the Secret, a DNS-1123 subdomain. */
    readonly name: string;
    /** Key of the Secret's data that holds the PEM. @default 'ca.crt' */
    readonly key?: string;
  };
  /** Server name cert-manager checks Vault's certificate against. @default - the host of `address` */
  readonly serverName?: string;
  /** @default - every VaultPkiConfig default */
  readonly pki?: VaultPkiConfig;
  /**
   * How cert-manager logs in. Omitted, it presents a token of its own service account to Vault's
   * JWT auth, which trusts the cluster's OIDC issuer: no secret exists anywhere. AppRole is an
   * opt-in, for clusters Vault cannot verify that way.
   * @default { kubernetes: { role: 'cert-manager' } }
   */
  readonly auth?: VaultAuthConfig;
  /** @default - every VaultSetupConfig default */
  readonly setup?: VaultSetupConfig;
}

/**
 * What the Vault configuration stack (`vault-config`) sets up beyond PKI and AppRole: audit,
 * autopilot, an admin policy, a kv-v2 mount, and optionally the secret-less JWT login of the EKS
 * cluster.
 */
export interface VaultSetupConfig {
  /** File of the file audit device on each node. @default '/var/log/vault/audit.log' (OpenBao: '/var/log/openbao/audit.log') */
  readonly auditFilePath?: string;
  /** Autopilot removes a dead server after this long, a Go duration. @default '10m' */
  readonly deadServerLastContactThreshold?: string;
  /** Mount path of the kv-v2 engine for the platform's own secrets. @default 'kv' */
  readonly kvMount?: string;
  /** Name of the admin policy (every path except `sys/raw`, for humans behind MFA). @default 'admin' */
  readonly adminPolicy?: string;
  /**
   * Also configure a JWT auth method trusting each cluster's OIDC issuer (IRSA clusters), the
   * secret-less login for workloads. @default false
   */
  readonly kubernetesJwtAuth?: boolean;
  /**
   * The CronJobs that rotate each AppRole secret id a cluster receives (cert-manager's with AppRole
   * login, the snapshot agent's), and their alerts. Needs `vaultCluster`: the job logs in to Vault
   * with Vault's AWS auth method, as its own IAM role.
   * @default - on wherever a cluster receives an AppRole secret id and the platform has a `vaultCluster`
   */
  readonly appRoleRotation?: AppRoleRotationConfig;
}

/**
 * How AppRole secret ids are rotated: a CronJob per AppRole, in the namespace
 * `vault-approle-rotation` of the cluster that receives it, makes a new secret id, puts it in
 * Secrets Manager, has External Secrets copy it into the cluster at once, waits until the Secret
 * holds it, then destroys the cluster's older secret ids of that AppRole.
 * @example { schedule: '17 5 * * 1' }
 */
export interface AppRoleRotationConfig {
  /** `false`: secret ids are rotated by hand (docs/operations.md, "AppRole rotation"). @default true */
  readonly enabled?: boolean;
  /**
   * When the CronJobs run, in UTC. Two missed runs raise a warning; a secret id a week from the end
   * of its `secretIdTtl` pages, so the longest wait between two runs must leave room for both.
   * @default '17 5 * * 1' (Mondays 05:17 UTC)
   */
  readonly schedule?: string;
  /** @default - `backup.images` when set, else the `vaultCluster` version's official image and amazon/aws-cli */
  readonly images?: BackupImagesConfig;
}

/**
 * Key of the Vault server certificate made by the offline PKI command (`npm run pki`). The CAs'
 * keys are fixed: ECDSA P-384 for the root and the intermediate.
 */
export interface PkiServerKeyConfig {
  /**
   * `ECDSA` makes a P-256 key, `RSA` a 2048-bit one: the two every Vault client (Go, OpenSSL,
   * Java, the AWS load balancer health checks) accepts. No other size is offered.
   * @default 'ECDSA'
   */
  readonly algorithm?: 'ECDSA' | 'RSA';
}

/**
 * The offline three-tier PKI that `npm run pki -- init` creates: a root CA (ECDSA P-384, 10 years),
 * an intermediate CA signed by it (ECDSA P-384, 5 years, limited to names of the private zone) that
 * Vault imports as its issuer, and the TLS certificate of the Vault servers (1 year, never past the
 * intermediate), whose names are the host of `vault.address`, `vault.serverName` when it differs,
 * and the names and addresses below. The lifetimes are fixed (see lib/pki/certificate-authority.ts).
 *
 * Only read by the PKI command: synth reads the chain it writes (`vault.caBundleFile`).
 * @example { serverKey: { algorithm: 'ECDSA' }, serverExtraDnsNames: ['vault-0.priv.example.com'], serverIpAddresses: ['127.0.0.1'] }
 */
export interface PkiConfig {
  /**
   * Directory of the PKI's files, keys included (`npm run pki` writes and reads it; the `vault-aws`
   * stack reads the server certificate and its key from it at plan time, into write-only
   * arguments), relative to the configuration file. Never committed: it holds private keys.
   * @default '../.tls' (`.tls/` at the root of the repository, for `config/platform.yaml`)
   */
  readonly directory?: string;
  /** @default - ECDSA P-256 */
  readonly serverKey?: PkiServerKeyConfig;
  /**
   * More DNS names for the Vault server certificate, each in the private zone (the intermediate's
   * name constraints permit no other), such as one name per node for `retry_join`.
   * @default []
   * @example ['vault-0.priv.example.com', 'vault-1.priv.example.com']
   */
  readonly serverExtraDnsNames?: readonly string[];
  /**
   * IP addresses (IPv4 or IPv6) for the Vault server certificate, such as `127.0.0.1` so that the
   * Vault CLI on a node can reach `https://127.0.0.1:8200`.
   * @default []
   * @example ['127.0.0.1', '::1']
   */
  readonly serverIpAddresses?: readonly string[];
  /**
   * Where the intermediate CA's certificate is published (`http://` or `https://`), written by
   * `sign-issuing` into the issuing CAs' certificates as the Authority Information Access
   * `caIssuers` URL, so that clients missing the intermediate can fetch it.
   * @default - no Authority Information Access extension
   */
  readonly intermediateCaIssuersUrl?: string;
  /**
   * Where the intermediate CA's CRL is published, written by `sign-issuing` into the issuing CAs'
   * certificates as their CRL distribution point. Set it only if a CRL signed by the intermediate
   * is published there: clients that check revocation fail when it cannot be fetched.
   * @default - no CRL distribution points extension
   */
  readonly intermediateCrlUrl?: string;
}

/** Versions of everything the platform installs, pinned: nothing floats. */
export interface VersionsConfig {
  /** cert-manager Helm chart version (jetstack repository), 1.21.x. @example 'v1.21.1' */
  readonly certManager: string;
  /** Gateway API release whose standard-channel CRDs are installed. @example 'v1.6.1' */
  readonly gatewayApi: string;
  /** trust-manager Helm chart version (jetstack repository), which distributes the private root. @example 'v0.24.0' */
  readonly trustManager: string;
  /**
   * x509-certificate-exporter Helm chart version (enix repository, no `v`). Required as soon as
   * one cluster enables `monitoring`.
   * @example '3.19.1'
   */
  readonly x509CertificateExporter?: string;
  /**
   * External Secrets Operator Helm chart version (external-secrets repository, no `v`), which
   * delivers the AppRole secret ids from AWS Secrets Manager. Required as soon as a cluster needs
   * one (AppRole login, or the backup jobs).
   * @example '2.9.0'
   */
  readonly externalSecrets?: string;
  /**
   * prometheus-operator-crds Helm chart version (prometheus-community repository, no `v`), which
   * installs the ServiceMonitor and PrometheusRule CRDs. Required as soon as a cluster renders
   * ServiceMonitors or alert rules without declaring `monitoring.prometheusOperatorCrds: present`.
   * @example '31.0.1'
   */
  readonly prometheusOperatorCrds?: string;
}

/**
 * Digests of the images the Helm charts run, as the registry gives them for the chart's own tag
 * (`crane digest quay.io/jetstack/cert-manager-controller:v1.21.1`). Each set names the chart
 * version it was read for; it must equal `versions.<chart>`, so that a chart upgrade without new
 * digests is refused. An image without a digest runs by the chart's tag.
 * @example { certManager: { version: 'v1.21.1', controller: 'sha256:<64 hex digits>' } }
 */
export interface ImageDigestsConfig {
  /** @default - by tag */
  readonly certManager?: CertManagerImageDigests;
  /** @default - by tag */
  readonly trustManager?: TrustManagerImageDigests;
  /** @default - by tag */
  readonly externalSecrets?: ExternalSecretsImageDigests;
  /** @default - by tag */
  readonly x509CertificateExporter?: ExporterImageDigests;
}

/** cert-manager's five images (quay.io/jetstack/cert-manager-*). */
export interface CertManagerImageDigests {
  /** `versions.certManager`, for which the digests were read. @example 'v1.21.1' */
  readonly version: string;
  /** quay.io/jetstack/cert-manager-controller. @default - by tag */
  readonly controller?: string;
  /** quay.io/jetstack/cert-manager-webhook. @default - by tag */
  readonly webhook?: string;
  /** quay.io/jetstack/cert-manager-cainjector. @default - by tag */
  readonly cainjector?: string;
  /** quay.io/jetstack/cert-manager-acmesolver (the HTTP-01 solver pods). @default - by tag */
  readonly acmesolver?: string;
  /** quay.io/jetstack/cert-manager-startupapicheck. @default - by tag */
  readonly startupapicheck?: string;
}

/** trust-manager's images. */
export interface TrustManagerImageDigests {
  /** `versions.trustManager`, for which the digests were read. @example 'v0.24.0' */
  readonly version: string;
  /** quay.io/jetstack/trust-manager (its default CA package stays off: no image of its own). @default - by tag */
  readonly controller?: string;
}

/** The External Secrets Operator's image, which its controller, webhook and cert controller share. */
export interface ExternalSecretsImageDigests {
  /** `versions.externalSecrets`, for which the digest was read. @example '2.9.0' */
  readonly version: string;
  /** ghcr.io/external-secrets/external-secrets:v<version>. @default - by tag */
  readonly controller?: string;
}

/** x509-certificate-exporter's image. */
export interface ExporterImageDigests {
  /** `versions.x509CertificateExporter`, for which the digest was read. @example '3.19.1' */
  readonly version: string;
  /** docker.io/enix/x509-certificate-exporter. @default - by tag */
  readonly exporter?: string;
}

/**
 * Distribution of the private PKI's root CA to workloads, by trust-manager: a ConfigMap `ca.crt`
 * in every namespace that carries the selector's labels, so that clients (the backup job,
 * applications calling private services) verify private certificates.
 */
export interface TrustConfig {
  /**
   * PEM file of the root certificate(s) to distribute, relative to the configuration file. Only
   * self-signed CA certificates are taken: intermediates are never distributed, and two roots can
   * be trusted side by side during a root rotation.
   * @default - the self-signed certificates of `vault.caBundleFile` (required when `vault.caBundleSecretRef` is used)
   */
  readonly rootsFile?: string;
  /**
   * Labels a namespace must carry to receive the bundle (`namespaceSelector.matchLabels`).
   * @default { 'gateway-pki.io/private-ca': 'true' }
   */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
}

/** Certificate expiry alerting for one cluster (needs the prometheus-operator CRDs in it). */
export interface MonitoringConfig {
  /** Install x509-certificate-exporter and the alert rules in this cluster. @default false */
  readonly enabled?: boolean;
  /** Warn when a certificate expires within this many days. @default 28 */
  readonly warningDaysLeft?: number;
  /** Page when a certificate expires within this many days; fewer than `warningDaysLeft`. @default 14 */
  readonly criticalDaysLeft?: number;
  /**
   * Also emit the Vault alerts (sealed node, no leader, autopilot failure tolerance below 1), for
   * a Prometheus that scrapes Vault's `/v1/sys/metrics`.
   * @default false
   */
  readonly vaultAlerts?: boolean;
  /**
   * Labels put on every PrometheusRule and ServiceMonitor of the cluster, so that its Prometheus
   * selects them: a default kube-prometheus-stack selects `release: <its release name>` only
   * (`ruleSelector`, `serviceMonitorSelector`) and silently ignores the rest, `absent()` alerts included.
   * @default {}
   * @example { release: 'kube-prometheus-stack' }
   */
  readonly selectorLabels?: Readonly<Record<string, string>>;
  /**
   * Where the prometheus-operator CRDs come from: `install`, a `prometheus-operator-crds` layer
   * (chart `versions.prometheusOperatorCrds`) that `controllers` waits for; `present`, the cluster
   * already has them (a kube-prometheus-stack installed otherwise).
   * @default 'install'
   */
  readonly prometheusOperatorCrds?: 'install' | 'present';
  /**
   * More namespaces whose TLS Secrets x509-certificate-exporter watches, besides the Gateways'
   * and cert-manager's (`secretsExporter.includeNamespaces`): those of your own Certificates.
   * @default []
   */
  readonly certificateNamespaces?: readonly string[];
}

/**
 * How pods of a cluster obtain AWS credentials (cert-manager's Route53 DNS-01 solver, later the
 * backup job).
 *
 * - `irsa`: IAM Roles for Service Accounts; the service account is annotated with a role whose
 *   trust policy names the cluster's OIDC provider.
 * - `pod-identity`: EKS Pod Identity; an association on the AWS side, nothing on the service account.
 *   External Secrets' per-namespace SecretStores still use the OIDC provider (`oidcProviderArn`).
 */
export type WorkloadIdentityConfig =
  | {
    readonly type: 'irsa';
    /**
     * ARN of the cluster's IAM OIDC provider.
     * @example 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-3.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF'
     */
    readonly oidcProviderArn: string;
  }
  | {
    readonly type: 'pod-identity';
    /** Name of the EKS cluster, which the Pod Identity association names. @default - the cluster's `name` */
    readonly eksClusterName?: string;
    /**
     * ARN of the cluster's IAM OIDC provider, for External Secrets' SecretStores only: each
     * namespace's store exchanges its own service account's token for that namespace's reader role
     * (Pod Identity credentials would belong to the controller's pod, whichever store asks).
     * Required when the cluster receives AppRole secret ids (AppRole login, the backup cluster).
     * @default - none: no AppRole secret id may be delivered to the cluster
     */
    readonly oidcProviderArn?: string;
  };

/** Flux settings of one cluster. */
export interface FluxConfig {
  /**
   * Name of the GitRepository (in `flux-system`) that `flux bootstrap` created for this repository.
   * @default 'flux-system'
   */
  readonly gitRepository?: string;
  /** How often Flux re-applies each layer, a Go duration. @default '10m' */
  readonly interval?: string;
  /**
   * How long Flux waits for a layer to become healthy, a Go duration; when set, every layer's.
   * @default - '5m', '15m' for `controllers` (three chained releases) and `gateways` (the NLBs)
   */
  readonly timeout?: string;
}

/** cert-manager settings of one cluster. */
export interface CertManagerConfig {
  /** Replicas of the controller, the webhook and the cainjector (2 or more keeps issuance up during node drains). @default 2 */
  readonly replicas?: number;
  /** Create a ServiceMonitor for cert-manager's metrics (needs the prometheus-operator CRDs in the cluster). @default - the cluster's `monitoring.enabled` */
  readonly serviceMonitor?: boolean;
}

/** The Gateways of one cluster. */
export interface GatewaysConfig {
  /** Namespace of both Gateways, of the private Certificate and of their Secrets. @default 'gateways' */
  readonly namespace?: string;
  /**
   * What the NLBs in front of the Gateways register as targets: `instance` (the nodes, on the
   * Service's node port) or `ip` (the pods behind the Service). Cilium needs `instance`: its
   * Gateway Service has no pod endpoints.
   * @default - `instance` for the GatewayClass `cilium`, `ip` for any other
   */
  readonly loadBalancerTargetType?: 'instance' | 'ip';
}

/** One Kubernetes (EKS) cluster that Flux reconciles from `dist/<name>/`. */
export interface ClusterConfig {
  /** DNS-1123 label; also the folder under `dist/`. @example 'prod-eu' */
  readonly name: string;
  /** AWS region of the cluster. @default - `aws.region` */
  readonly region?: string;
  /** GatewayClass the cluster's Gateways use (the Gateway API implementation installed there). @example 'cilium' */
  readonly gatewayClassName: string;
  /** How the cluster's pods get AWS rights. */
  readonly workloadIdentity: WorkloadIdentityConfig;
  /** @default - every FluxConfig default */
  readonly flux?: FluxConfig;
  /** @default - every CertManagerConfig default */
  readonly certManager?: CertManagerConfig;
  /** @default - every GatewaysConfig default */
  readonly gateways?: GatewaysConfig;
  /** @default - monitoring disabled */
  readonly monitoring?: MonitoringConfig;
}

/** Which Gateway exposes an application. */
export type GatewayVisibility = 'public' | 'private';

/** The Kubernetes Service behind an application. */
export interface ServiceRefConfig {
  /** A Service name: a DNS-1035 label (starts with a letter). */
  readonly name: string;
  readonly port: number;
}

/**
 * An application exposed through a Gateway: it gets an HTTPRoute, a host name in the gateway's
 * zone, and (private ones) a DNS name on the private Certificate.
 */
export interface ApplicationConfig {
  /** DNS-1123 label, unique per cluster. */
  readonly name: string;
  /** Cluster that runs it. @default - the only cluster, when exactly one is declared */
  readonly cluster?: string;
  /** Namespace of the application and of its HTTPRoute. */
  readonly namespace: string;
  /** `public`: Let's Encrypt and the internet-facing Gateway; `private`: Vault PKI and the internal Gateway. */
  readonly gateway: GatewayVisibility;
  /**
   * Host name inside the zone of its gateway. A public name is exactly one label below the public
   * zone, since the public Gateway's certificate is the zone's wildcard; a private name may be
   * deeper (the private Certificate lists each name).
   * @example 'app.example.com'
   */
  readonly hostname: string;
  readonly service: ServiceRefConfig;
  /** Path prefix routed to the service. @default '/' */
  readonly path?: string;
  /**
   * Whether synth creates the application's namespace, in the `namespaces` layer that `routes`
   * waits for: restricted Pod Security enforced, the trust label (`trust.namespaceLabels`) so that
   * trust-manager puts the private root there, never pruned by Flux. Applications sharing a
   * namespace share it: one asking is enough.
   * Without it, the namespace is yours to create (in `extra/<cluster>/<layer>/`, or elsewhere).
   * @default false
   */
  readonly createNamespace?: boolean;
}

/**
 * One policy finding of `npm run validate` that the team accepts: a rule id, why, and optionally
 * the one object it is accepted for.
 *
 * Suppression is only by rule id (never by message or path, which change with the output), and
 * always with a reason. A suppression naming an unknown rule fails validation; one that no longer
 * matches any finding is reported as stale.
 * @example { rule: 'K8S-005', reason: 'the chart gives its hook Job no CPU limit; lifted with chart 1.22 (#31)', object: 'Job cert-manager/startupapicheck' }
 */
export interface PolicySuppressionConfig {
  /** Id of the policy rule, as `npm run validate` prints it: `K8S-` or `TF-` and three digits. @example 'K8S-005' */
  readonly rule: string;
  /**
   * Why the finding is accepted, for the next reviewer: at least 10 characters, saying why (and
   * ideally until when, or the issue that lifts it), not just "accepted".
   */
  readonly reason: string;
  /**
   * Only the findings on this object: `Kind namespace/name` (`Kind name` when cluster-scoped) for
   * Kubernetes, the resource address for Terraform.
   * @default - every object the rule reports
   * @example 'CronJob backup/vault-snapshot'
   */
  readonly object?: string;
}

/** Settings of `npm run validate`, which checks `dist/` and `cdktf.out/`. */
export interface ValidationConfig {
  /** Policy findings accepted, each by rule id with a reason. @default [] */
  readonly suppressions?: readonly PolicySuppressionConfig[];
}

/** The whole platform, as written in `config/platform.yaml`. */
export interface PlatformConfig {
  readonly organization: OrganizationConfig;
  readonly aws: AwsConfig;
  readonly dns: DnsConfig;
  readonly acme: AcmeConfig;
  readonly vault: VaultConfig;
  /** @default - every PublicCertificateConfig default */
  readonly publicCertificate?: PublicCertificateConfig;
  /** @default - every PrivateCertificateConfig default */
  readonly privateCertificate?: PrivateCertificateConfig;
  readonly versions: VersionsConfig;
  /**
   * The charts' images pinned by digest, each set with the chart version it was read for.
   * @default - images by the tag each chart's version implies
   */
  readonly imageDigests?: ImageDigestsConfig;
  /** At least one cluster; names unique. */
  readonly clusters: readonly ClusterConfig[];
  /** @default [] */
  readonly applications?: readonly ApplicationConfig[];
  /** @default - every PkiConfig default: an ECDSA P-256 Vault server key, no extra names */
  readonly pki?: PkiConfig;
  /** @default - every TrustConfig default */
  readonly trust?: TrustConfig;
  /** @default - no suppression: every policy finding fails validation */
  readonly validation?: ValidationConfig;
  /** The Vault servers on EC2 (stack `vault-aws`). @default - no Vault stack: Vault runs elsewhere */
  readonly vaultCluster?: VaultClusterConfig;
  /** Raft snapshots to S3, verified (stack `vault-backup-aws` and the `backup` layer). @default - no backups */
  readonly backup?: BackupConfig;
  /** How the Terraform stacks are run: where their state lives. @default - every TerraformConfig default */
  readonly terraform?: TerraformConfig;
}

// ---------------------------------------------------------------------------------------------
// Terraform state

/**
 * The Terraform side of the platform. State is never kept in the Terraform output folder
 * (`cdktf.out/`), which synth owns and rewrites.
 */
export interface TerraformConfig {
  /**
   * Where each stack keeps its state: exactly one of `local` and `s3`. S3 is the recommended
   * choice for a team (state shared, versioned, encrypted with your KMS key, locked).
   * @default - `{ local: {} }`: one `<stack>.tfstate` per stack in `terraform-state/` at the repository's root (git-ignored)
   */
  readonly backend?: TerraformBackendConfig;
}

/** Exactly one of the two. */
export interface TerraformBackendConfig {
  readonly local?: LocalStateConfig;
  readonly s3?: S3StateConfig;
}

/** State files on this machine (a single operator; back the folder up). */
export interface LocalStateConfig {
  /**
   * Folder of the state files (`<stack>.tfstate`), relative to the configuration file; never
   * inside the Terraform output folder.
   * @default '../terraform-state'
   */
  readonly directory?: string;
}

/**
 * Terraform's `s3` backend: one object per stack, `<keyPrefix>/<stack>.tfstate`, always encrypted
 * (`encrypt = true`) with `kmsKeyId`, and locked with S3's own lock file (`use_lockfile = true`,
 * Terraform 1.10 and later; no DynamoDB table). Create the bucket beforehand, with versioning on.
 */
export interface S3StateConfig {
  readonly bucket: string;
  /** @default 'gateway-pki' */
  readonly keyPrefix?: string;
  /** Region of the bucket. @default - `aws.region` */
  readonly region?: string;
  /** ARN of the KMS key that encrypts the state objects: state holds secrets (Vault tokens, the provider's reads). */
  readonly kmsKeyId: string;
}

// ---------------------------------------------------------------------------------------------
// Vault servers on AWS (stack `vault-aws`)

/** The server software: HashiCorp Vault or its fork OpenBao (same API, same Raft, `bao` CLI). */
export type VaultEngine = 'vault' | 'openbao';

/**
 * The Vault (or OpenBao) cluster on EC2: Raft storage, KMS auto-unseal, an internal NLB and a name
 * in the private zone, following the article and HashiCorp's reference architecture.
 */
export interface VaultClusterConfig {
  /** Name of the cluster: prefix of its AWS resource names, value of the auto-join tag. DNS-1123 label. @default 'vault' */
  readonly name?: string;
  /** @default 'vault' */
  readonly engine?: VaultEngine;
  /**
   * Package version, pinned: such as `1.21.1` for Vault, `2.4.1` for OpenBao.
   * @example '1.21.1'
   * @example '2.4.1'
   */
  readonly version: string;
  /**
   * SHA-256 of the OpenBao `.rpm` of `version` (from the release's checksums file), checked before
   * it is installed. Required with `openbao` (released on GitHub); not used with `vault`, whose
   * packages come from HashiCorp's signed repository (GPG key fingerprint pinned).
   */
  readonly packageSha256?: string;
  /** `dev`: one node, for trying out; `ha`: `voters` nodes over at least 3 availability zones. @default 'ha' */
  readonly mode?: 'dev' | 'ha';
  /** Raft voters in `ha`: 3, 5 or 7 (an even count adds no failure tolerance). @default 5 */
  readonly voters?: number;
  /** @default - `aws.region` */
  readonly region?: string;
  readonly network: VaultNetworkConfig;
  /** @default - a new KMS key, rotation on, 30-day deletion window */
  readonly unsealKey?: VaultUnsealKeyConfig;
  /**
   * Where the seal key is replicated, and the Raft snapshots with it: a restore needs both in one
   * Region. Required in `ha` when this stack creates the seal key.
   * @default - no replica (mode `dev`, or an `existingKeyArn` whose replicas you manage)
   */
  readonly disasterRecovery?: VaultDisasterRecoveryConfig;
  /** @default - every VaultTlsConfig default */
  readonly tls?: VaultTlsConfig;
  /** The machine image, pinned: a new image reaches the nodes only through a change here (or of the parameter) and a rolling refresh. */
  readonly ami: VaultAmiConfig;
  /** @default - every VaultInstancesConfig default */
  readonly instances?: VaultInstancesConfig;
  /** Let SSM Session Manager reach the nodes (AmazonSSMManagedInstanceCore). @default false */
  readonly ssm?: boolean;
  /**
   * The first apply, before `vault operator init`: the load balancer also counts uninitialised
   * nodes healthy (`uninitcode=200`), and a node enters service once its server answers, initialised
   * or not. Set it back to false once Vault is initialised and the `vault-config` stack applied:
   * from then on only unsealed nodes that joined the cluster enter service and stay in it.
   * @default false
   */
  readonly bootstrap?: boolean;
  /** @default - every VaultAuditConfig default */
  readonly audit?: VaultAuditConfig;
}

/**
 * Where the audit trail goes: the file device writes to its own encrypted EBS volume on each node
 * (`/var/log/vault`), the syslog device to a CloudWatch log group through the CloudWatch agent, so
 * that the trail outlives the node and a full disk stops neither device.
 */
export interface VaultAuditConfig {
  /** Size of the audit volume mounted on `/var/log/vault` (`/var/log/openbao`), GiB. @default 20 */
  readonly volumeGiB?: number;
  /** Days CloudWatch Logs keeps the audit log group's events; one of the values CloudWatch accepts. @default 365 */
  readonly logRetentionDays?: number;
  /**
   * Version of the Amazon CloudWatch agent installed on the nodes, pinned; its package's signature
   * is checked against Amazon's pinned key before install. @default '1.300068.0b1491'
   */
  readonly cloudWatchAgentVersion?: string;
}

/** Where the nodes run and who may reach the API. */
export interface VaultNetworkConfig {
  /** The VPC, by id (exactly one of `vpcId` or `vpcTags`). @example 'vpc-0123456789abcdef0' */
  readonly vpcId?: string;
  /** The VPC, found by its tags. @example { Name: 'shared' } */
  readonly vpcTags?: Readonly<Record<string, string>>;
  /** Private subnets, by id (exactly one of `subnetIds` or `subnetTags`); at least 3 in `ha`. */
  readonly subnetIds?: readonly string[];
  /** Private subnets, found by their tags in the VPC. @example { tier: 'private' } */
  readonly subnetTags?: Readonly<Record<string, string>>;
  /** CIDR of the VPC, allowed to reach the API on 8200 (the EKS clusters). */
  readonly vpcCidr: string;
  /** Security groups (the VPN's) allowed to reach the API on 8200. @default [] */
  readonly clientSecurityGroupIds?: readonly string[];
  /** CIDRs (the VPN's) allowed to reach the API on 8200; never 0.0.0.0/0. @default [] */
  readonly clientCidrs?: readonly string[];
  /**
   * Where the nodes may open HTTPS connections: the AWS APIs (KMS, Secrets Manager, EC2) and the
   * package repository. Narrow it to your proxies or VPC endpoints when you have them.
   * @default ['0.0.0.0/0']
   */
  readonly httpsEgressCidrs?: readonly string[];
}

/** The KMS key of the `awskms` seal. */
export interface VaultUnsealKeyConfig {
  /** Use this key rather than create one: its lifecycle then outlives the cluster's. */
  readonly existingKeyArn?: string;
  /** Days a deleted key stays recoverable (created key only), 7 to 30. @default 30 */
  readonly deletionWindowDays?: number;
  /**
   * ARN of the IAM role that alone may schedule the deletion of the created key, disable it or
   * replace its policy (the key policy denies those calls to every other principal, the account's
   * administrators and root included). Required when this stack creates the key; the role may be
   * created later, with the same ARN.
   * @example 'arn:aws:iam::123456789012:role/gateway-pki-break-glass'
   */
  readonly breakGlassRoleArn?: string;
}

/** The disaster-recovery Region of the Vault cluster. */
export interface VaultDisasterRecoveryConfig {
  /**
   * Region of the seal key's replica and of the snapshot bucket's replica: another Region than the
   * cluster's, in the same partition (multi-Region keys stay in their partition).
   * @example 'eu-central-1'
   */
  readonly region: string;
}

/**
 * The TLS material of the servers, made by `npm run pki -- init`, uploaded by Terraform to AWS
 * Secrets Manager with write-only arguments (never in the state, never in `cdktf.out/`) and fetched
 * by each node at boot. Paths are relative to the configuration file, read by Terraform at apply.
 */
export interface VaultTlsConfig {
  /** @default - `vault.pem` in `pki.directory` */
  readonly certificateFile?: string;
  /** @default - `vault-key.pem` in `pki.directory` */
  readonly keyFile?: string;
  /** @default - `ca-chain.pem` in `pki.directory` */
  readonly caChainFile?: string;
  /** Increase it after `npm run pki -- renew-server` so that Terraform uploads the new files. @default 1 */
  readonly revision?: number;
  /**
   * Lowest TLS version of the servers' listener, which terminates every client's TLS (the load
   * balancer passes TCP through). Only `tls12`: every modern client still negotiates TLS 1.3, but
   * the Network Load Balancer's HTTPS health checks fail against a TLS 1.3-only target (AWS
   * documents it), which would have the Auto Scaling group replace every node.
   * @default 'tls12'
   */
  readonly minVersion?: 'tls12';
}

/**
 * The machine image: Amazon Linux 2023 or an image built from it (dnf, AWS CLI, cloud-init), pinned
 * by exactly one of `id` and `ssmParameter`. Never "the most recent match of a filter": that changes
 * the launch template (and, through the rolling refresh, every node) without a change in Git.
 */
export interface VaultAmiConfig {
  /** The image id, in the cluster's region. @example 'ami-0123456789abcdef0' */
  readonly id?: string;
  /**
   * Name of an SSM parameter you own that holds the image id (your image pipeline publishes it
   * after its tests); read at plan time, so a new value shows in the plan as a new launch template.
   * Not one of AWS's public `/aws/service/...` parameters, which move by themselves.
   * @example '/golden-images/vault/al2023-x86_64'
   */
  readonly ssmParameter?: string;
  /** Architecture of the image, checked at plan time. @default 'x86_64' */
  readonly architecture?: 'x86_64' | 'arm64';
}

/** Instances of the Auto Scaling group. */
export interface VaultInstancesConfig {
  /**
   * Size, as HashiCorp's Raft reference architecture names them: `small` 2–4 vCPU and 8–16 GiB,
   * `large` 4–8 vCPU and 16–32 GiB; instance types are chosen by attributes.
   * @default 'small'
   */
  readonly size?: 'small' | 'large';
  /**
   * Instances always on demand; the rest is spot. Below the voter count only with `spotVoters`,
   * and never below the quorum.
   * @default - the voter count: every voter on demand
   */
  readonly onDemandBase?: number;
  /**
   * Accept voters on spot (`onDemandBase` below the voter count). Every node of this cluster is a
   * Raft voter (Vault's community edition promotes every healthy server), so a spot interruption
   * always costs failure tolerance. @default false
   */
  readonly spotVoters?: boolean;
  /** Raft data on an encrypted gp3 volume (`ebs`) or on instance-store NVMe in RAID0 (`instance-store`, the article's). @default 'ebs' */
  readonly storage?: 'ebs' | 'instance-store';
  /** Size of the data volume with `ebs`, GiB. @default 100 */
  readonly dataVolumeGiB?: number;
  /** Size of the root volume, GiB. @default 20 */
  readonly rootVolumeGiB?: number;
  /** Seconds before the load balancer's health check counts for a new instance. @default 300 */
  readonly healthCheckGracePeriod?: number;
}

// ---------------------------------------------------------------------------------------------
// Backups (stack `vault-backup-aws`, layer `backup`)

/**
 * Nightly Raft snapshots uploaded to S3 by a CronJob in one cluster, and a weekly job that fetches
 * the newest one and verifies it.
 */
export interface BackupConfig {
  /** Cluster that runs the jobs. @default - the only cluster, when exactly one is declared */
  readonly cluster?: string;
  /** Namespace of the jobs. @default 'vault-backup' */
  readonly namespace?: string;
  /** Cron schedule of the snapshot, in UTC. @default '0 4 * * *' */
  readonly schedule?: string;
  /** Cron schedule of the restore verification, in UTC. @default '0 6 * * 0' */
  readonly verifySchedule?: string;
  /** A backup older than this many hours is stale: alert, and the verification fails. @default 26 */
  readonly maxAgeHours?: number;
  /**
   * S3 bucket, at most 58 characters (its access-log bucket is `<bucketName>-logs`, its replica
   * `<bucketName>-dr`). @default - `<aws.accountId>-<region>-vault-snapshots`
   */
  readonly bucketName?: string;
  /** Days before snapshots move to Glacier. @default 30 */
  readonly glacierAfterDays?: number;
  /** Days before snapshots (and old versions) are deleted; at least `glacierAfterDays` + 90 (Glacier bills 90 days at least). @default 120 */
  readonly expireAfterDays?: number;
  /**
   * Days each snapshot version is locked (S3 Object Lock, governance mode) from its upload: no one
   * deletes or overwrites it meanwhile without `s3:BypassGovernanceRetention`. At most `expireAfterDays`.
   * @default 30
   */
  readonly objectLockDays?: number;
  /** The snapshot agent's AppRole: its role id, fixed as cert-manager's is, and where it may be used from. */
  readonly appRole: {
    /** A UUID. */
    readonly roleId: string;
    /** CIDRs from which the snapshot agent's tokens may be used (`token_bound_cidrs`): the backup cluster's pods. @default [] (anywhere) */
    readonly tokenBoundCidrs?: readonly string[];
    /** CIDRs from which its secret id may log in (`secret_id_bound_cidrs`). @default [] (anywhere) */
    readonly secretIdBoundCidrs?: readonly string[];
    /** Lifetime of its secret id, a Go duration; rotate before it ends (docs/operations.md, "AppRole rotation"). @default '2160h' (90 days) */
    readonly secretIdTtl?: string;
  };
  /**
   * Container images, pinned by a tag other than `latest`, optionally followed by the digest read
   * from the registry for that tag (`repository:tag@sha256:<digest>`; docs/operations.md, "Pin an image by digest").
   */
  readonly images?: BackupImagesConfig;
}

/** The two images of the platform's jobs (backups, AppRole rotation), pinned as `backup.images` says. */
export interface BackupImagesConfig {
  /** @default - `hashicorp/vault:<vaultCluster.version>` or `openbao/openbao:<version>` */
  readonly vault?: string;
  /** @default 'amazon/aws-cli:2.31.0' */
  readonly awsCli?: string;
}
