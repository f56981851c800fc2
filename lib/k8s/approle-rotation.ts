import { Construct } from 'constructs';
import type { RotatedAppRole } from '../config/approle-rotation.js';
import type { VaultEngine } from '../config/types.js';
import {
  APPROLE_ROTATION_NAMESPACE, APPROLE_ROTATION_SERVICE_ACCOUNT, appRoleRotationCronJobName, MANAGED_BY_LABEL,
} from '../util/names.js';
import { APPROLE_ROTATION_SCRIPT } from './backup-scripts.js';
import { CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT } from './cert-manager.js';
import {
  type Container, type EnvVar, KubeConfigMap, KubeCronJob, KubeRole, KubeRoleBinding, KubeServiceAccount, type Volume,
} from './core.js';
import { platformNamespace } from './namespace.js';
import { FLUX_SUBSTITUTE_ANNOTATION, SKIP_CONTAINERS_ANNOTATION } from './vault-backup.js';

export const APPROLE_ROTATION_SCRIPTS_CONFIGMAP = 'approle-rotation-script';

/** How long the publish step waits for External Secrets to write the new secret id into the cluster's Secret. */
export const SYNC_TIMEOUT_SECONDS = 300;

/** The user every rotation container runs as: not root, and not an id the images give a meaning to. */
const RUN_AS = 65532;
const SCRIPT_KEY = 'approle-rotation.sh';
const SCRIPTS_DIR = '/scripts';
/** A memory emptyDir: the new secret id and the exported AWS credentials never touch a disk. */
const WORK_DIR = '/work';
const CA_DIR = '/etc/ssl/private-ca';
const KUBE_DIR = '/var/run/secrets/approle-rotation/kubernetes';
/** The Kubernetes API token lives ten minutes: the publish step takes at most SYNC_TIMEOUT_SECONDS. */
const KUBE_TOKEN_SECONDS = 600;

/** A rotation moves a few hundred bytes: small containers, and an ephemeral-storage bound for their logs. */
const RESOURCES: Container['resources'] = {
  requests: { cpu: '10m', memory: '64Mi', 'ephemeral-storage': '16Mi' },
  limits: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': '64Mi' },
};

/** Where a rotated secret id lands in the cluster: the ExternalSecret that copies it, and its Secret. */
export interface RotatedSecretTarget {
  readonly appRole: RotatedAppRole;
  /** Name in Secrets Manager. */
  readonly remoteKey: string;
  readonly namespace: string;
  readonly externalSecretName: string;
  readonly secretName: string;
  readonly secretKey: string;
}

export interface AppRoleRotationProps {
  readonly clusterName: string;
  readonly targets: readonly RotatedSecretTarget[];
  /** When each CronJob runs, in UTC. */
  readonly schedule: string;
  /** Vault's address (`https://…`) and the name on its certificate. */
  readonly vault: { readonly address: string; readonly serverName: string; readonly engine: VaultEngine; readonly image: string };
  /** Vault's AWS auth method: its mount, the jobs' role there, the server id header it requires, the Region of its STS. */
  readonly awsAuth: { readonly path: string; readonly role: string; readonly serverId: string; readonly region: string };
  readonly awsCliImage: string;
  /** Region of the secrets (the cluster's). */
  readonly region: string;
  /** IRSA: the IAM role the service account is annotated with; Pod Identity: nothing in the cluster. */
  readonly awsIdentity: { readonly type: 'irsa'; readonly roleArn: string } | { readonly type: 'pod-identity' };
  /** The private root's ConfigMap in the namespace (trust-manager's Bundle), to verify Vault's certificate. */
  readonly caConfigMap: { readonly name: string; readonly key: string };
  /** Labels that make trust-manager put the private root in the namespace. */
  readonly trustNamespaceLabels: Readonly<Record<string, string>>;
  /**
   * AppRoles whose {@link AppRoleSecretSyncGrant} the caller places itself, in the layer that creates
   * their namespace (the backup namespace comes after this layer could wait for it).
   * @default []
   */
  readonly grantsElsewhere?: readonly string[];
}

/**
 * The rotation of a cluster's Vault AppRole secret ids: in the namespace
 * {@link APPROLE_ROTATION_NAMESPACE}, one CronJob per AppRole, each running
 * `lib/k8s/scripts/approle-rotation.sh` in four containers (the three first as init containers,
 * so that a failed step stops the run):
 *
 * 1. `credentials` (AWS CLI): the pod's AWS credentials, exported into a memory emptyDir;
 * 2. `register` (Vault CLI): logs in with Vault's AWS auth as the jobs' IAM role and registers a
 *    new random secret id, tagged with the cluster's name;
 * 3. `publish` (AWS CLI): puts it in Secrets Manager, annotates the ExternalSecret with
 *    `force-sync` and waits until the Secret holds it;
 * 4. `revoke` (Vault CLI): destroys the cluster's other secret ids of the AppRole.
 *
 * Least privilege in the cluster: the service account's token is not mounted; only the publish
 * container gets a ten-minute API token, and a Role in each target namespace lets it get and
 * patch that one ExternalSecret and get that one Secret. Pods meet the `restricted` standard.
 */
export class AppRoleRotation extends Construct {
  public readonly namespace = APPROLE_ROTATION_NAMESPACE;
  public readonly cronJobs: readonly KubeCronJob[];

  constructor(scope: Construct, id: string, props: AppRoleRotationProps) {
    super(scope, id);
    if (props.targets.length === 0) throw new Error(`cluster ${props.clusterName}: AppRole rotation needs at least one target`);
    if (!/^https:\/\//.test(props.vault.address)) {
      throw new Error(`'vault.address' must be an https:// URL (Vault's certificate is always verified), got "${props.vault.address}"`);
    }
    const labels = { ...MANAGED_BY_LABEL, 'app.kubernetes.io/name': 'approle-rotation' };
    platformNamespace(this, 'Namespace', { name: this.namespace, labels: props.trustNamespaceLabels });
    const serviceAccount = new KubeServiceAccount(this, 'ServiceAccount', {
      metadata: {
        name: APPROLE_ROTATION_SERVICE_ACCOUNT,
        namespace: this.namespace,
        labels,
        annotations: props.awsIdentity.type === 'irsa' ? { 'eks.amazonaws.com/role-arn': props.awsIdentity.roleArn } : undefined,
      },
      // Only the publish container talks to the Kubernetes API, with its own projected token.
      automountServiceAccountToken: false,
    });
    new KubeConfigMap(this, 'Script', {
      metadata: { name: APPROLE_ROTATION_SCRIPTS_CONFIGMAP, namespace: this.namespace, labels, annotations: { [FLUX_SUBSTITUTE_ANNOTATION]: 'disabled' } },
      data: { [SCRIPT_KEY]: APPROLE_ROTATION_SCRIPT },
    });

    const cli = props.vault.engine === 'openbao' ? 'bao' : 'vault';
    const prefix = props.vault.engine === 'openbao' ? 'BAO' : 'VAULT';
    const mounts = {
      work: { name: 'work', mountPath: WORK_DIR },
      tmp: { name: 'tmp', mountPath: '/tmp' },
      scripts: { name: 'scripts', mountPath: SCRIPTS_DIR, readOnly: true },
      ca: { name: 'private-ca', mountPath: CA_DIR, readOnly: true },
      kube: { name: 'kubernetes-api', mountPath: KUBE_DIR, readOnly: true },
    };
    const volumes: Volume[] = [
      { name: 'work', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
      { name: 'tmp', emptyDir: { sizeLimit: '16Mi' } },
      { name: 'scripts', configMap: { name: APPROLE_ROTATION_SCRIPTS_CONFIGMAP } },
      { name: 'private-ca', configMap: { name: props.caConfigMap.name, items: [{ key: props.caConfigMap.key, path: props.caConfigMap.key }] } },
      {
        name: 'kubernetes-api',
        projected: {
          sources: [
            { serviceAccountToken: { path: 'token', expirationSeconds: KUBE_TOKEN_SECONDS } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          ],
        },
      },
    ];
    const container = (name: string, image: string, env: EnvVar[], volumeMounts: NonNullable<Container['volumeMounts']>): Container => ({
      name,
      image,
      command: ['/bin/sh', `${SCRIPTS_DIR}/${SCRIPT_KEY}`, name],
      env: [{ name: 'WORK_DIR', value: WORK_DIR }, { name: 'HOME', value: '/tmp' }, ...env],
      volumeMounts: [mounts.work, mounts.tmp, mounts.scripts, ...volumeMounts],
      resources: RESOURCES,
      securityContext: { ...CONTAINER_SECURITY_CONTEXT, capabilities: { drop: [...CONTAINER_SECURITY_CONTEXT.capabilities.drop] } },
    });

    this.cronJobs = props.targets.map((target) => {
      const name = appRoleRotationCronJobName(target.appRole.name);
      const jobLabels = { ...labels, 'app.kubernetes.io/component': target.appRole.name };
      const vaultEnv: EnvVar[] = [
        { name: 'VAULT_CLI', value: cli },
        { name: `${prefix}_ADDR`, value: props.vault.address },
        { name: `${prefix}_CACERT`, value: `${CA_DIR}/${props.caConfigMap.key}` },
        { name: `${prefix}_TLS_SERVER_NAME`, value: props.vault.serverName },
        { name: 'AWS_AUTH_PATH', value: props.awsAuth.path },
        { name: 'AWS_AUTH_ROLE', value: props.awsAuth.role },
        { name: 'AWS_AUTH_SERVER_ID', value: props.awsAuth.serverId },
        { name: 'AWS_AUTH_REGION', value: props.awsAuth.region },
        { name: 'APPROLE_MOUNT', value: target.appRole.mount },
        { name: 'APPROLE_NAME', value: target.appRole.name },
        { name: 'CLUSTER_NAME', value: props.clusterName },
      ];
      if (!props.grantsElsewhere?.includes(target.appRole.name)) {
        new AppRoleSecretSyncGrant(this, `Grant-${target.appRole.name}`, { target, labels: jobLabels });
      }
      return new KubeCronJob(this, `CronJob-${target.appRole.name}`, {
        metadata: { name, namespace: this.namespace, labels: jobLabels },
        spec: {
          schedule: props.schedule,
          timeZone: 'Etc/UTC',
          concurrencyPolicy: 'Forbid',
          // A day late is still this week's rotation; the late alert covers missed runs.
          startingDeadlineSeconds: 86_400,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            metadata: { labels: jobLabels },
            spec: {
              // One retry: a failed run leaves the old secret id valid, and the next one cleans up.
              backoffLimit: 1,
              activeDeadlineSeconds: 1800,
              // Eight days: a failed Job (and its logs) stays until the next weekly run.
              ttlSecondsAfterFinished: 8 * 86_400,
              template: {
                // The Vault CLI containers get no AWS credentials from the webhook: they read the exported ones.
                metadata: { labels: jobLabels, annotations: { [SKIP_CONTAINERS_ANNOTATION]: 'register,revoke' } },
                spec: {
                  serviceAccountName: serviceAccount.name,
                  automountServiceAccountToken: false,
                  restartPolicy: 'Never',
                  securityContext: { ...POD_SECURITY_CONTEXT, runAsUser: RUN_AS, runAsGroup: RUN_AS, fsGroup: RUN_AS },
                  initContainers: [
                    container('credentials', props.awsCliImage, [{ name: 'AWS_REGION', value: props.region }], []),
                    container('register', props.vault.image, vaultEnv, [mounts.ca]),
                    container('publish', props.awsCliImage, [
                      { name: 'AWS_REGION', value: props.region },
                      { name: 'SECRET_ID_NAME', value: target.remoteKey },
                      { name: 'KUBERNETES_TOKEN_FILE', value: `${KUBE_DIR}/token` },
                      { name: 'KUBERNETES_CA_FILE', value: `${KUBE_DIR}/ca.crt` },
                      { name: 'EXTERNAL_SECRET_NAMESPACE', value: target.namespace },
                      { name: 'EXTERNAL_SECRET_NAME', value: target.externalSecretName },
                      { name: 'SECRET_NAME', value: target.secretName },
                      { name: 'SECRET_KEY', value: target.secretKey },
                      { name: 'SYNC_TIMEOUT_SECONDS', value: String(SYNC_TIMEOUT_SECONDS) },
                    ], [mounts.kube]),
                  ],
                  containers: [container('revoke', props.vault.image, vaultEnv, [mounts.ca])],
                  volumes,
                },
              },
            },
          },
        },
      });
    });
  }

}

export interface AppRoleSecretSyncGrantProps {
  readonly target: RotatedSecretTarget;
  /** @default - the rotation's labels */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * What a rotation job may do in its target's namespace: get and patch its one ExternalSecret (the
 * `force-sync` annotation), get its one Secret (to see the new secret id arrive); nothing else. A
 * Role and RoleBinding of that namespace, bound to the jobs' service account. Built apart from
 * {@link AppRoleRotation} so that it can go in the layer that creates the namespace.
 */
export class AppRoleSecretSyncGrant extends Construct {
  constructor(scope: Construct, id: string, props: AppRoleSecretSyncGrantProps) {
    super(scope, id);
    const { target } = props;
    const name = `approle-rotation-${target.appRole.name}`;
    const labels = { ...(props.labels ?? { ...MANAGED_BY_LABEL, 'app.kubernetes.io/name': 'approle-rotation', 'app.kubernetes.io/component': target.appRole.name }) };
    new KubeRole(this, 'Role', {
      metadata: { name, namespace: target.namespace, labels },
      rules: [
        { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], resourceNames: [target.externalSecretName], verbs: ['get', 'patch'] },
        { apiGroups: [''], resources: ['secrets'], resourceNames: [target.secretName], verbs: ['get'] },
      ],
    });
    new KubeRoleBinding(this, 'RoleBinding', {
      metadata: { name, namespace: target.namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: APPROLE_ROTATION_SERVICE_ACCOUNT, namespace: APPROLE_ROTATION_NAMESPACE }],
    });
  }
}
