import * as plus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { SecretStore, SecretStoreSpecProviderAwsService } from '../../imports/eso-secretstores-external-secrets.io.js';
import {
  ExternalSecret,
  ExternalSecretSpecSecretStoreRefKind,
  ExternalSecretSpecTargetCreationPolicy,
  ExternalSecretSpecTargetDeletionPolicy,
} from '../../imports/eso-externalsecrets-external-secrets.io.js';
import type { HelmRelease } from '../../imports/flux-helmreleases-helm.toolkit.fluxcd.io.js';
import type { HelmRepository } from '../../imports/flux-helmrepositories-source.toolkit.fluxcd.io.js';
import {
  EXTERNAL_SECRETS_NAMESPACE, EXTERNAL_SECRETS_SERVICE_ACCOUNT, MANAGED_BY_LABEL, SECRET_STORE_NAME, SECRET_STORE_SERVICE_ACCOUNT,
} from '../util/names.js';
import { CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT } from './cert-manager.js';
import { chartRelease, chartRepository } from './helm.js';
import { PRUNE_DISABLED_ANNOTATION } from './flux-layer.js';
import { platformNamespace } from './namespace.js';

/** The Helm repository of the External Secrets Operator. */
export const EXTERNAL_SECRETS_CHART_REPOSITORY = 'https://charts.external-secrets.io';

/**
 * How often External Secrets re-reads a secret id from Secrets Manager: a rotated secret id reaches
 * the cluster within the hour (or at once, with the `force-sync` annotation of docs/operations.md, "AppRole rotation").
 */
export const SECRET_ID_REFRESH_INTERVAL = '1h';

/** Requests and limits of each component: a few secrets, refreshed hourly, need little. */
const RESOURCES = {
  controller: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } },
  webhook: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
  certController: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '100m', memory: '256Mi' } },
} as const;

export interface ExternalSecretsOperatorProps {
  /** Chart version, pinned (no `v`). @example '2.9.0' */
  readonly version: string;
  /** Create ServiceMonitors (needs the prometheus-operator CRDs). @default false */
  readonly serviceMonitor?: boolean;
  /** Labels of the ServiceMonitors, by which Prometheus selects them (`serviceMonitor.additionalLabels`). @default {} */
  readonly serviceMonitorLabels?: Readonly<Record<string, string>>;
  /**
   * The operator's image pinned by digest (`imageDigests.externalSecrets.controller`), one image for
   * the controller, the webhook and the cert controller. The chart has no digest value: its tag
   * becomes `v<version>@sha256:…` (its appVersion is `v` and the chart version). @default - by tag
   */
  readonly imageDigest?: string;
}

/**
 * The External Secrets Operator, installed by a Flux HelmRelease of its chart, which delivers the
 * Vault AppRole secret ids from AWS Secrets Manager into the cluster, so that they never go through
 * `dist/` or Git.
 *
 * - CRDs installed and upgraded by the chart (`installCRDs`), kept by Helm on uninstall
 *   (`crds.annotations` sets `helm.sh/resource-policy: keep` on each); the HelmRelease is never
 *   pruned by Flux either.
 * - Its own namespace, enforcing the `restricted` Pod Security Standard; every component non-root,
 *   read-only root filesystem, no capability, seccomp `RuntimeDefault`, requests and limits (the
 *   chart's `*.securityContext.enabled` switches render them).
 * - Two replicas of the controller (leader election) and of the webhook, each with a disruption
 *   budget: the webhook validates every ExternalSecret, and a drained node must not block them.
 * - No AWS rights of its own: each namespace's {@link AwsSecretsManagerStore} names a service account
 *   of its namespace whose IAM role reads that namespace's secret id only. The operator may request
 *   tokens of those service accounts alone (`rbac.serviceAccountTokenCreate: false`, and a Role per
 *   store); its own service account's name is fixed, as those Roles are bound to it.
 *
 * @see https://external-secrets.io/latest/introduction/getting-started/
 */
export class ExternalSecretsOperator extends Construct {
  public readonly namespace = EXTERNAL_SECRETS_NAMESPACE;
  public readonly release: HelmRelease;
  public readonly repository: HelmRepository;

  constructor(scope: Construct, id: string, props: ExternalSecretsOperatorProps) {
    super(scope, id);
    platformNamespace(this, 'Namespace', { name: this.namespace });
    this.repository = chartRepository(this, 'Repository', {
      name: 'external-secrets', namespace: this.namespace, url: EXTERNAL_SECRETS_CHART_REPOSITORY,
    });
    const pod = { enabled: true, ...POD_SECURITY_CONTEXT };
    const container = { enabled: true, ...CONTAINER_SECURITY_CONTEXT };
    const budget = { enabled: true, minAvailable: 1 };
    this.release = chartRelease(this, 'Resource', {
      name: 'external-secrets',
      namespace: this.namespace,
      chart: 'external-secrets',
      version: props.version,
      repository: this.repository,
      keepOnPrune: true,
      values: {
        installCRDs: true,
        ...esoImage(props),
        // Helm keeps the CRDs when the release is uninstalled: deleting them would delete every
        // ExternalSecret, and through `creationPolicy: Owner` the AppRole Secrets they created.
        crds: { annotations: { 'helm.sh/resource-policy': 'keep' } },
        replicaCount: 2,
        leaderElect: true,
        // No AWS rights of its own: each namespace's SecretStore brings its own (see AwsSecretsManagerStore).
        serviceAccount: { create: true, name: EXTERNAL_SECRETS_SERVICE_ACCOUNT },
        // Tokens of the stores' service accounts only, granted per namespace by AwsSecretsManagerStore.
        rbac: { serviceAccountTokenCreate: false },
        podSecurityContext: pod,
        securityContext: container,
        resources: RESOURCES.controller,
        podDisruptionBudget: budget,
        serviceMonitor: { enabled: props.serviceMonitor ?? false, additionalLabels: props.serviceMonitorLabels ? { ...props.serviceMonitorLabels } : undefined },
        webhook: {
          ...esoImage(props),
          replicaCount: 2,
          podSecurityContext: pod,
          securityContext: container,
          resources: RESOURCES.webhook,
          podDisruptionBudget: budget,
        },
        certController: {
          ...esoImage(props),
          podSecurityContext: pod,
          securityContext: container,
          resources: RESOURCES.certController,
        },
      },
    });
  }
}

/** `image.tag` pinned by digest, `v<version>@sha256:…`, or nothing (the chart's appVersion tag). */
function esoImage(props: ExternalSecretsOperatorProps): { image?: { tag: string } } {
  return props.imageDigest === undefined ? {} : { image: { tag: `v${props.version}@${props.imageDigest}` } };
}

export interface AwsSecretsManagerStoreProps {
  /** Region of the secrets: the cluster's. */
  readonly region: string;
  /** The one namespace whose ExternalSecrets use the store, and where its service account lives. */
  readonly namespace: string;
  /**
   * The IAM role that reads this namespace's secret id, and only it ({@link secretIdReaderRoleArn}):
   * the service account is annotated with it, and the role trusts exactly that service account.
   */
  readonly roleArn: string;
  /** @default SECRET_STORE_NAME */
  readonly name?: string;
  /** @default SECRET_STORE_SERVICE_ACCOUNT */
  readonly serviceAccountName?: string;
}

/**
 * The SecretStore of one namespace that receives a Vault AppRole secret id: AWS Secrets Manager in
 * the cluster's region, with credentials that read that namespace's secret id only.
 *
 * - A namespaced SecretStore: only ExternalSecrets of its namespace may use it; no ClusterSecretStore
 *   exists, so no namespace can name another's store.
 * - Credentials: `auth.jwt.serviceAccountRef` names a service account of the same namespace
 *   (a namespaced store cannot name one elsewhere), annotated with the namespace's reader role.
 *   External Secrets requests a token of it for the audience `sts.amazonaws.com` and exchanges it
 *   with STS (`AssumeRoleWithWebIdentity`); the role trusts `system:serviceaccount:<ns>:<name>`
 *   only, so a store elsewhere pointing at this role is refused by AWS. The operator's own pods
 *   hold no AWS rights, so a store without `auth` reads nothing.
 * - The operator may request tokens of this service account only (a Role with `resourceNames`,
 *   bound to the operator's service account): the chart's cluster-wide `serviceaccounts/token`
 *   right is switched off (`rbac.serviceAccountTokenCreate: false`).
 * - The service account mounts no token anywhere: no pod runs as it.
 *
 * @see https://external-secrets.io/latest/provider/aws-secrets-manager/
 */
export class AwsSecretsManagerStore extends Construct {
  public readonly storeName: string;
  public readonly namespace: string;
  public readonly serviceAccount: plus.ServiceAccount;
  public readonly resource: SecretStore;

  constructor(scope: Construct, id: string, props: AwsSecretsManagerStoreProps) {
    super(scope, id);
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@-]{1,64}$/.test(props.roleArn)) {
      throw new Error(`secret store in namespace '${props.namespace}': 'roleArn' must be an IAM role ARN, got "${props.roleArn}"`);
    }
    this.storeName = props.name ?? SECRET_STORE_NAME;
    this.namespace = props.namespace;
    const serviceAccountName = props.serviceAccountName ?? SECRET_STORE_SERVICE_ACCOUNT;
    this.serviceAccount = secretStoreServiceAccount(this, props.namespace, serviceAccountName, props.roleArn);
    const labels = { ...MANAGED_BY_LABEL };
    // External Secrets' controller may request a token of this one service account, in this namespace only.
    const metadata = { name: `${serviceAccountName}-token-request`, namespace: props.namespace, labels };
    const tokenRequest = new plus.Role(this, 'TokenRequestRole', { metadata });
    tokenRequest.allow(['create'], { apiGroup: '', resourceType: 'serviceaccounts/token', resourceName: serviceAccountName });
    const binding = new plus.RoleBinding(this, 'TokenRequestBinding', { metadata, role: tokenRequest });
    binding.addSubjects(plus.ServiceAccount.fromServiceAccountName(this, 'Controller', EXTERNAL_SECRETS_SERVICE_ACCOUNT, {
      namespaceName: EXTERNAL_SECRETS_NAMESPACE,
    }));
    this.resource = new SecretStore(this, 'Resource', {
      metadata: { name: this.storeName, namespace: props.namespace, labels },
      spec: {
        provider: {
          aws: {
            service: SecretStoreSpecProviderAwsService.SECRETS_MANAGER,
            region: props.region,
            auth: { jwt: { serviceAccountRef: { name: serviceAccountName } } },
          },
        },
      },
    });
  }
}

/**
 * The service account whose token External Secrets exchanges for a namespace's reader role (IRSA
 * annotation), a cdk8s-plus ServiceAccount like the platform's others.
 */
function secretStoreServiceAccount(scope: Construct, namespace: string, name: string, roleArn: string): plus.ServiceAccount {
  return new plus.ServiceAccount(scope, 'ServiceAccount', {
    metadata: { name, namespace, labels: { ...MANAGED_BY_LABEL }, annotations: { 'eks.amazonaws.com/role-arn': roleArn } },
    automountToken: false,
  });
}

export interface AppRoleSecretIdProps {
  /** The SecretStore of `namespace`: an ExternalSecret can only use its own namespace's store. */
  readonly store: AwsSecretsManagerStore;
  /** Name, in Secrets Manager, of the secret holding the secret id (its value is the secret id alone). */
  readonly remoteKey: string;
  /** Namespace of the Secret to create. */
  readonly namespace: string;
  /** Name of the Secret to create (and of the ExternalSecret). */
  readonly secretName: string;
  /** Key of the Secret's data holding the secret id. */
  readonly secretKey: string;
  /** @default SECRET_ID_REFRESH_INTERVAL */
  readonly refreshInterval?: string;
}

/**
 * An ExternalSecret that creates the Secret holding a Vault AppRole secret id, copied from AWS
 * Secrets Manager. The Secret is owned by the ExternalSecret (`creationPolicy: Owner`: removed with
 * it; the ExternalSecret is therefore never pruned by Flux), and kept if the remote secret disappears (`deletionPolicy: Retain`), so a mistaken deletion in
 * AWS does not cut cert-manager from Vault at once.
 *
 * @see https://external-secrets.io/latest/api/externalsecret/
 */
export class AppRoleSecretId extends Construct {
  public readonly resource: ExternalSecret;

  constructor(scope: Construct, id: string, props: AppRoleSecretIdProps) {
    super(scope, id);
    if (props.store.namespace !== props.namespace) {
      throw new Error(`ExternalSecret ${props.namespace}/${props.secretName}: its store '${props.store.storeName}' is in namespace '${props.store.namespace}'; `
        + 'an ExternalSecret reads from the SecretStore of its own namespace only');
    }
    this.resource = new ExternalSecret(this, 'Resource', {
      // Never pruned: with `creationPolicy: Owner`, deleting it deletes the AppRole Secret.
      metadata: {
        name: props.secretName, namespace: props.namespace, labels: { ...MANAGED_BY_LABEL }, annotations: { ...PRUNE_DISABLED_ANNOTATION },
      },
      spec: {
        refreshInterval: props.refreshInterval ?? SECRET_ID_REFRESH_INTERVAL,
        secretStoreRef: { kind: ExternalSecretSpecSecretStoreRefKind.SECRET_STORE, name: props.store.storeName },
        target: {
          name: props.secretName,
          creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER,
          deletionPolicy: ExternalSecretSpecTargetDeletionPolicy.RETAIN,
        },
        data: [{ secretKey: props.secretKey, remoteRef: { key: props.remoteKey } }],
      },
    });
  }
}
