import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as plus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { RotatedAppRole } from '../config/approle-rotation.js';
import type { VaultEngine } from '../config/types.js';
import {
  APPROLE_ROTATION_NAMESPACE, APPROLE_ROTATION_SERVICE_ACCOUNT, appRoleRotationCronJobName, MANAGED_BY_LABEL,
} from '../util/names.js';
import { APPROLE_ROTATION_SCRIPT, JOB_LIB_KEY, JOB_LIB_SCRIPT } from './backup-scripts.js';
import { platformNamespace } from './namespace.js';
import { type PlatformContainerProps, PlatformCronJob } from './platform-cron-job.js';
import { FLUX_SUBSTITUTE_ANNOTATION, SKIP_CONTAINERS_ANNOTATION } from './vault-backup.js';

export const APPROLE_ROTATION_SCRIPTS_CONFIGMAP = 'approle-rotation-script';

/** How long the publish step waits for External Secrets to write the new secret id into the cluster's Secret. */
export const SYNC_TIMEOUT_SECONDS = 300;

const SCRIPT_KEY = 'approle-rotation.sh';
const SCRIPTS_DIR = '/scripts';
/** A memory emptyDir: the new secret id and the exported AWS credentials never touch a disk. */
const WORK_DIR = '/work';
const CA_DIR = '/etc/ssl/private-ca';
const KUBE_DIR = '/var/run/secrets/approle-rotation/kubernetes';
/** The Kubernetes API token lives ten minutes: the publish step takes at most SYNC_TIMEOUT_SECONDS. */
const KUBE_TOKEN_SECONDS = 600;

/**
 * A rotation moves a few hundred bytes: small containers, and local disk for their logs and the
 * 16 MiB tmp volume (64 MiB reserved, evicted past 256 MiB). cdk8s-plus writes ephemeral storage in
 * Gi only, hence the fractions (`0.0625Gi` is 64 MiB).
 */
const RESOURCES: plus.ContainerResources = {
  cpu: { request: plus.Cpu.millis(10), limit: plus.Cpu.millis(250) },
  memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
  ephemeralStorage: { request: Size.gibibytes(1 / 16), limit: Size.gibibytes(1 / 4) },
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
  public readonly cronJobs: readonly PlatformCronJob[];

  constructor(scope: Construct, id: string, props: AppRoleRotationProps) {
    super(scope, id);
    if (props.targets.length === 0) throw new Error(`cluster ${props.clusterName}: AppRole rotation needs at least one target`);
    if (!/^https:\/\//.test(props.vault.address)) {
      throw new Error(`'vault.address' must be an https:// URL (Vault's certificate is always verified), got "${props.vault.address}"`);
    }
    const labels = { ...MANAGED_BY_LABEL, 'app.kubernetes.io/name': 'approle-rotation' };
    platformNamespace(this, 'Namespace', { name: this.namespace, labels: props.trustNamespaceLabels });
    const serviceAccount = new plus.ServiceAccount(this, 'ServiceAccount', {
      metadata: {
        name: APPROLE_ROTATION_SERVICE_ACCOUNT,
        namespace: this.namespace,
        labels,
        annotations: props.awsIdentity.type === 'irsa' ? { 'eks.amazonaws.com/role-arn': props.awsIdentity.roleArn } : undefined,
      },
      // Only the publish container talks to the Kubernetes API, with its own projected token.
      automountToken: false,
    });
    const script = new plus.ConfigMap(this, 'Script', {
      metadata: { name: APPROLE_ROTATION_SCRIPTS_CONFIGMAP, namespace: this.namespace, labels, annotations: { [FLUX_SUBSTITUTE_ANNOTATION]: 'disabled' } },
      immutable: false,
      data: { [SCRIPT_KEY]: APPROLE_ROTATION_SCRIPT, [JOB_LIB_KEY]: JOB_LIB_SCRIPT },
    });
    const privateCa = plus.ConfigMap.fromConfigMapName(this, 'PrivateCa', props.caConfigMap.name);

    const cli = props.vault.engine === 'openbao' ? 'bao' : 'vault';
    const prefix = props.vault.engine === 'openbao' ? 'BAO' : 'VAULT';
    this.cronJobs = props.targets.map((target) => {
      const role = target.appRole.name;
      const jobLabels = { ...labels, 'app.kubernetes.io/component': role };
      // One Volume object per volume and CronJob: cdk8s-plus adds each mounted one to the pod.
      const work = plus.Volume.fromEmptyDir(this, `${role}-Work`, 'work', { medium: plus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) });
      const tmp = plus.Volume.fromEmptyDir(this, `${role}-Tmp`, 'tmp', { sizeLimit: Size.mebibytes(16) });
      const scripts = plus.Volume.fromConfigMap(this, `${role}-Scripts`, script, { name: 'scripts' });
      const ca = plus.Volume.fromConfigMap(this, `${role}-PrivateCa`, privateCa,
        { name: 'private-ca', items: { [props.caConfigMap.key]: { path: props.caConfigMap.key } } });
      const base: plus.VolumeMount[] = [{ volume: work, path: WORK_DIR }, { volume: tmp, path: '/tmp' }, { volume: scripts, path: SCRIPTS_DIR, readOnly: true }];
      const step = (name: string, image: string, env: Record<string, string>, extra: plus.VolumeMount[] = []): PlatformContainerProps => ({
        name,
        image,
        command: ['/bin/sh', `${SCRIPTS_DIR}/${SCRIPT_KEY}`, name],
        env: { WORK_DIR, HOME: '/tmp', ...env },
        volumeMounts: [...base, ...extra],
        resources: RESOURCES,
      });
      const vaultEnv = {
        VAULT_CLI: cli,
        [`${prefix}_ADDR`]: props.vault.address,
        [`${prefix}_CACERT`]: `${CA_DIR}/${props.caConfigMap.key}`,
        [`${prefix}_TLS_SERVER_NAME`]: props.vault.serverName,
        AWS_AUTH_PATH: props.awsAuth.path,
        AWS_AUTH_ROLE: props.awsAuth.role,
        AWS_AUTH_SERVER_ID: props.awsAuth.serverId,
        AWS_AUTH_REGION: props.awsAuth.region,
        APPROLE_MOUNT: target.appRole.mount,
        APPROLE_NAME: role,
        CLUSTER_NAME: props.clusterName,
      };
      const caMount = { volume: ca, path: CA_DIR, readOnly: true };
      if (!props.grantsElsewhere?.includes(role)) {
        new AppRoleSecretSyncGrant(this, `Grant-${role}`, { target, labels: jobLabels });
      }
      const job = new PlatformCronJob(this, `CronJob-${role}`, {
        name: appRoleRotationCronJobName(role),
        namespace: this.namespace,
        labels: jobLabels,
        // The Vault CLI containers get no AWS credentials from the webhook: they read the exported ones.
        podAnnotations: { [SKIP_CONTAINERS_ANNOTATION]: 'register,revoke' },
        schedule: props.schedule,
        serviceAccount,
        // A day late is still this week's rotation; the late alert covers missed runs.
        startingDeadline: Duration.days(1),
        // One retry: a failed run leaves the old secret id valid, and the next one cleans up.
        backoffLimit: 1,
        initContainers: [
          step('credentials', props.awsCliImage, { AWS_REGION: props.region }),
          step('register', props.vault.image, vaultEnv, [caMount]),
          step('publish', props.awsCliImage, {
            AWS_REGION: props.region,
            SECRET_ID_NAME: target.remoteKey,
            KUBERNETES_TOKEN_FILE: `${KUBE_DIR}/token`,
            KUBERNETES_CA_FILE: `${KUBE_DIR}/ca.crt`,
            EXTERNAL_SECRET_NAMESPACE: target.namespace,
            EXTERNAL_SECRET_NAME: target.externalSecretName,
            SECRET_NAME: target.secretName,
            SECRET_KEY: target.secretKey,
            SYNC_TIMEOUT_SECONDS: String(SYNC_TIMEOUT_SECONDS),
          }),
        ],
        containers: [step('revoke', props.vault.image, vaultEnv, [caMount])],
      });
      // cdk8s-plus has no projected volume: the publish step's short-lived API token and the
      // cluster's CA, mounted in that container only (the service account's own token is off).
      const pod = '/spec/jobTemplate/spec/template/spec';
      ApiObject.of(job).addJsonPatch(
        JsonPatch.add(`${pod}/volumes/-`, {
          name: 'kubernetes-api',
          projected: {
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: KUBE_TOKEN_SECONDS } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            ],
          },
        }),
        JsonPatch.add(`${pod}/initContainers/2/volumeMounts/-`, { mountPath: KUBE_DIR, name: 'kubernetes-api', readOnly: true }),
      );
      return job;
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
    const metadata = { name, namespace: target.namespace, labels };
    const role = new plus.Role(this, 'Role', { metadata });
    role.allow(['get', 'patch'], { apiGroup: 'external-secrets.io', resourceType: 'externalsecrets', resourceName: target.externalSecretName });
    role.allow(['get'], { apiGroup: '', resourceType: 'secrets', resourceName: target.secretName });
    const binding = new plus.RoleBinding(this, 'RoleBinding', { metadata, role });
    binding.addSubjects(plus.ServiceAccount.fromServiceAccountName(this, 'RotationServiceAccount', APPROLE_ROTATION_SERVICE_ACCOUNT, {
      namespaceName: APPROLE_ROTATION_NAMESPACE,
    }));
  }
}
