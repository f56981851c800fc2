import { Construct } from 'constructs';
import {
  ClusterSecretStore,
  ClusterSecretStoreSpecProviderAwsService,
} from '../../imports/eso-clustersecretstores-external-secrets.io.js';
import {
  ExternalSecret,
  ExternalSecretSpecSecretStoreRefKind,
  ExternalSecretSpecTargetCreationPolicy,
  ExternalSecretSpecTargetDeletionPolicy,
} from '../../imports/eso-externalsecrets-external-secrets.io.js';
import type { HelmRelease } from '../../imports/flux-helmreleases-helm.toolkit.fluxcd.io.js';
import type { HelmRepository } from '../../imports/flux-helmrepositories-source.toolkit.fluxcd.io.js';
import { EXTERNAL_SECRETS_NAMESPACE, EXTERNAL_SECRETS_SERVICE_ACCOUNT, MANAGED_BY_LABEL, SECRET_STORE_NAME } from '../util/names.js';
import { CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT } from './cert-manager.js';
import { chartRelease, chartRepository } from './helm.js';
import { PRUNE_DISABLED_ANNOTATION } from './flux-layer.js';
import { platformNamespace } from './namespace.js';

/** The Helm repository of the External Secrets Operator. */
export const EXTERNAL_SECRETS_CHART_REPOSITORY = 'https://charts.external-secrets.io';

/**
 * How often External Secrets re-reads a secret id from Secrets Manager: a rotated secret id reaches
 * the cluster within the hour (or at once, with the `force-sync` annotation of the README's runbook).
 */
export const SECRET_ID_REFRESH_INTERVAL = '1h';

/**
 * How the operator's controller obtains AWS credentials.
 *
 * - `irsa`: its service account is annotated with the role to assume.
 * - `pod-identity`: an EKS Pod Identity association on the AWS side names the service account.
 */
export type ExternalSecretsAwsIdentity =
  | { readonly type: 'irsa'; readonly roleArn: string }
  | { readonly type: 'pod-identity' };

/** Requests and limits of each component: a few secrets, refreshed hourly, need little. */
const RESOURCES = {
  controller: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } },
  webhook: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
  certController: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '100m', memory: '256Mi' } },
} as const;

export interface ExternalSecretsOperatorProps {
  /** Chart version, pinned (no `v`). @example '2.9.0' */
  readonly version: string;
  readonly awsIdentity: ExternalSecretsAwsIdentity;
  /** Create ServiceMonitors (needs the prometheus-operator CRDs). @default false */
  readonly serviceMonitor?: boolean;
  /** Labels of the ServiceMonitors, by which Prometheus selects them (`serviceMonitor.additionalLabels`). @default {} */
  readonly serviceMonitorLabels?: Readonly<Record<string, string>>;
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
 * - AWS rights by IRSA (the service account's annotation) or Pod Identity (nothing in the cluster);
 *   the service account's name is fixed, as the IAM role trusts exactly it.
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
        // Helm keeps the CRDs when the release is uninstalled: deleting them would delete every
        // ExternalSecret, and through `creationPolicy: Owner` the AppRole Secrets they created.
        crds: { annotations: { 'helm.sh/resource-policy': 'keep' } },
        replicaCount: 2,
        leaderElect: true,
        serviceAccount: {
          create: true,
          name: EXTERNAL_SECRETS_SERVICE_ACCOUNT,
          ...(props.awsIdentity.type === 'irsa' ? { annotations: { 'eks.amazonaws.com/role-arn': props.awsIdentity.roleArn } } : {}),
        },
        podSecurityContext: pod,
        securityContext: container,
        resources: RESOURCES.controller,
        podDisruptionBudget: budget,
        serviceMonitor: { enabled: props.serviceMonitor ?? false, additionalLabels: props.serviceMonitorLabels ? { ...props.serviceMonitorLabels } : undefined },
        webhook: {
          replicaCount: 2,
          podSecurityContext: pod,
          securityContext: container,
          resources: RESOURCES.webhook,
          podDisruptionBudget: budget,
        },
        certController: {
          podSecurityContext: pod,
          securityContext: container,
          resources: RESOURCES.certController,
        },
      },
    });
  }
}

export interface AwsSecretsManagerStoreProps {
  /** Region of the secrets: the cluster's. */
  readonly region: string;
  /**
   * The only namespaces whose ExternalSecrets may use the store: a ClusterSecretStore is otherwise
   * open to every namespace, which could then read every AppRole secret id of the cluster.
   */
  readonly namespaces: readonly string[];
  /** @default SECRET_STORE_NAME */
  readonly name?: string;
}

/**
 * The ClusterSecretStore every ExternalSecret of the platform reads from: AWS Secrets Manager in the
 * cluster's region, with the operator's ambient credentials (IRSA or Pod Identity: no access key),
 * restricted to the namespaces that need it.
 *
 * @see https://external-secrets.io/latest/provider/aws-secrets-manager/
 */
export class AwsSecretsManagerStore extends Construct {
  public readonly storeName: string;
  public readonly resource: ClusterSecretStore;

  constructor(scope: Construct, id: string, props: AwsSecretsManagerStoreProps) {
    super(scope, id);
    if (props.namespaces.length === 0) throw new Error(`secret store '${props.name ?? SECRET_STORE_NAME}' needs at least one namespace allowed to use it`);
    this.storeName = props.name ?? SECRET_STORE_NAME;
    this.resource = new ClusterSecretStore(this, 'Resource', {
      metadata: { name: this.storeName, labels: { ...MANAGED_BY_LABEL } },
      spec: {
        conditions: [{ namespaces: [...props.namespaces] }],
        provider: { aws: { service: ClusterSecretStoreSpecProviderAwsService.SECRETS_MANAGER, region: props.region } },
      },
    });
  }
}

export interface AppRoleSecretIdProps {
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
    this.resource = new ExternalSecret(this, 'Resource', {
      // Never pruned: with `creationPolicy: Owner`, deleting it deletes the AppRole Secret.
      metadata: {
        name: props.secretName, namespace: props.namespace, labels: { ...MANAGED_BY_LABEL }, annotations: { ...PRUNE_DISABLED_ANNOTATION },
      },
      spec: {
        refreshInterval: props.refreshInterval ?? SECRET_ID_REFRESH_INTERVAL,
        secretStoreRef: { kind: ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE, name: props.store.storeName },
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
