import { Duration, Size } from 'cdk8s';
import * as plus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  ExternalSecret,
  ExternalSecretSpecSecretStoreRefKind,
  ExternalSecretSpecTargetCreationPolicy,
  ExternalSecretSpecTargetDeletionPolicy,
} from '../../imports/eso-externalsecrets-external-secrets.io.js';
import { DEFAULT_BACKUP_NAMESPACE, DEFAULT_BACKUP_SCHEDULE, DEFAULT_MAX_AGE_HOURS, DEFAULT_VERIFY_SCHEDULE } from '../config/backup.js';
import type { VaultEngine } from '../config/types.js';
import { parseCronSchedule } from '../util/cron.js';
import { MANAGED_BY_LABEL, VAULT_BACKUP_SERVICE_ACCOUNT } from '../util/names.js';
import { JOB_LIB_KEY, JOB_LIB_SCRIPT, VAULT_BACKUP_SCRIPT } from './backup-scripts.js';
import type { AwsSecretsManagerStore } from './external-secrets.js';
import { PRUNE_DISABLED_ANNOTATION } from './flux-layer.js';
import { platformNamespace } from './namespace.js';
import { PlatformCronJob, type PlatformContainerProps } from './platform-cron-job.js';

/** Names of the objects of the backup layer: what the runbook (docs/operations.md, "Back up and restore Vault") and the alerts refer to. */
export const SNAPSHOT_CRONJOB = 'vault-snapshot';
export const VERIFY_CRONJOB = 'vault-snapshot-verify';
export const BACKUP_SCRIPTS_CONFIGMAP = 'vault-backup-scripts';
/** The Secret the ExternalSecret writes, holding the snapshot AppRole's secret id under {@link APPROLE_SECRET_KEY}. */
export const APPROLE_SECRET = 'vault-snapshot-approle';
export const APPROLE_SECRET_KEY = 'secretId';

/** The annotation that keeps Flux's post-build variable substitution away from an object (the script's `${…}`). */
export const FLUX_SUBSTITUTE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/substitute';

/** The script's file in the ConfigMap, and where the containers find it. */
const SCRIPT_KEY = 'vault-backup.sh';
const SCRIPTS_DIR = '/scripts';
/** The emptyDir the steps of one Job hand the snapshot over in. */
const WORK_DIR = '/work';
const CA_DIR = '/etc/ssl/private-ca';
const SECRET_ID_DIR = '/var/run/secrets/vault-snapshot';

/**
 * Room for a snapshot, its checksum and, while it is verified, its unpacked archive. A PKI-only
 * Vault's Raft data is a few megabytes; the limit evicts a pod that would fill the node's disk.
 */
const WORK_SIZE_LIMIT = Size.gibibytes(2);
const TMP_SIZE_LIMIT = Size.mebibytes(64);

/**
 * Local disk of each container: the emptyDirs count against the pod's ephemeral storage, so the
 * scheduler reserves room for the work volume (requests), and the kubelet evicts the pod past the
 * work and tmp volumes plus room for logs (limits, 2560 MiB), before the node's disk fills.
 * cdk8s-plus writes ephemeral storage in GiB: the limit reads `2.5Gi`.
 */
export const EPHEMERAL_STORAGE = { request: WORK_SIZE_LIMIT, limit: Size.gibibytes(2.5) } as const;

/**
 * Sizing: the Vault CLI streams the snapshot to disk; the AWS CLI (Python) holds multipart parts in
 * memory, 8 MiB each, up to 10 at a time.
 */
const VAULT_CLI_RESOURCES: plus.ContainerResources = {
  cpu: { request: plus.Cpu.millis(50), limit: plus.Cpu.millis(500) },
  memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
  ephemeralStorage: EPHEMERAL_STORAGE,
};
const AWS_CLI_RESOURCES: plus.ContainerResources = {
  cpu: { request: plus.Cpu.millis(50), limit: plus.Cpu.units(1) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
  ephemeralStorage: EPHEMERAL_STORAGE,
};

/**
 * The pod annotation that keeps the EKS pod identity webhook (IRSA and Pod Identity) from putting
 * AWS credentials into the named containers: the Vault CLI containers never call AWS.
 *
 * @see https://github.com/aws/amazon-eks-pod-identity-webhook#usage
 */
export const SKIP_CONTAINERS_ANNOTATION = 'eks.amazonaws.com/skip-containers';

/** Vault's default client timeout, 60 s, counts the whole snapshot download; ten minutes leave room. */
const CLIENT_TIMEOUT = '600s';

/** How the jobs' pods get AWS rights (S3 and KMS). */
export type BackupAwsIdentity =
  | { readonly type: 'irsa'; readonly roleArn: string }
  | { readonly type: 'pod-identity' };

/** The Vault (or OpenBao) cluster to snapshot, and how. */
export interface SnapshotSource {
  /** `https://` address of the API. */
  readonly address: string;
  /** The name Vault's certificate is verified against, also for the leader's address. @default - the host of `address` */
  readonly serverName?: string;
  /** `vault` runs the `vault` CLI and sets `VAULT_*`; `openbao` runs `bao` and sets `BAO_*`. */
  readonly engine: VaultEngine;
  /** The image holding that CLI, pinned. @example 'hashicorp/vault:1.21.1' */
  readonly image: string;
  /** Whether the CLI has `operator raft snapshot inspect` (Vault 1.15 and later). @default false */
  readonly snapshotInspect?: boolean;
  /** Mount path of the AppRole auth method. @default 'approle' */
  readonly appRoleMount?: string;
  /** The snapshot agent's role id (not a secret). */
  readonly roleId: string;
}

/** Where the snapshots go. */
export interface SnapshotStore {
  readonly bucket: string;
  /** Key prefix, without slashes at the ends. */
  readonly keyPrefix: string;
  /** The KMS key objects are encrypted with: an id, ARN, alias or alias ARN. */
  readonly kmsKeyId: string;
  readonly region: string;
}

/** What {@link VaultBackup} builds from: where the jobs run, what they snapshot, where it goes. */
export interface VaultBackupProps {
  /** Namespace created for the jobs. @default 'vault-backup' */
  readonly namespace?: string;
  /**
   * Labels of the namespace that make trust-manager put the private root there (the
   * `private-ca` ConfigMap the jobs verify Vault's certificate with).
   */
  readonly trustNamespaceLabels: Readonly<Record<string, string>>;
  /** The ConfigMap and key that trust-manager writes the private root to. */
  readonly caConfigMap: { readonly name: string; readonly key: string };
  /** Service account of the jobs, the one the IAM role trusts. @default 'vault-backup' */
  readonly serviceAccountName?: string;
  readonly awsIdentity: BackupAwsIdentity;
  /** The SecretStore of `namespace` (AWS Secrets Manager, this namespace's reader role) the AppRole secret id is read from. */
  readonly secretStore: AwsSecretsManagerStore;
  /** Name of the AWS Secrets Manager secret holding the secret id, as a plain string. */
  readonly secretIdRemoteKey: string;
  readonly source: SnapshotSource;
  readonly store: SnapshotStore;
  /** The AWS CLI image, pinned. @example 'amazon/aws-cli:2.31.0' */
  readonly awsCliImage: string;
  /** Cron schedule of the snapshots, in UTC. @default '0 4 * * *' */
  readonly schedule?: string;
  /** Cron schedule of the verification, in UTC. @default '0 6 * * 0' */
  readonly verifySchedule?: string;
  /** Hours after which the newest snapshot is too old and the verification fails. @default 26 */
  readonly maxAgeHours?: number;
}

/**
 * Vault Raft snapshots to S3, and their weekly verification: the objects of the `backup` layer.
 *
 * - a Namespace enforcing the `restricted` Pod Security Standard, labelled to receive the private
 *   root from trust-manager;
 * - the ServiceAccount the IAM role trusts (annotated with it under IRSA);
 * - an ExternalSecret, on the namespace's own SecretStore, writing the snapshot AppRole's secret id into the Secret
 *   {@link APPROLE_SECRET} (never in Git);
 * - the script (`lib/k8s/scripts/vault-backup.sh`) in a ConfigMap, out of Flux's variable
 *   substitution, which would rewrite its `${…}`;
 * - CronJob {@link SNAPSHOT_CRONJOB}: an init container of the Vault image logs in with the
 *   AppRole, finds the Raft leader and saves a snapshot with its SHA-256 into an emptyDir; the AWS
 *   CLI container uploads both with SSE-KMS to `<prefix>/YYYY/MM/DD/vault-<UTC time>.snap`;
 * - CronJob {@link VERIFY_CRONJOB}: the AWS CLI downloads the newest snapshot, the Vault image
 *   checks its SHA-256, its age, its archive's own checksums and, where the CLI has it,
 *   `operator raft snapshot inspect`.
 *
 * Every container runs as a non-root user with a read-only root filesystem, no capability, no
 * privilege escalation and the runtime's seccomp profile, with requests and limits; images are
 * pinned. Vault's certificate is always verified, against the private root.
 *
 * @see https://developer.hashicorp.com/vault/docs/commands/operator/raft#snapshot
 * @see https://external-secrets.io/latest/api/externalsecret/
 * @see https://fluxcd.io/flux/components/kustomize/kustomizations/#post-build-variable-substitution
 */
export class VaultBackup extends Construct {
  public readonly namespace: string;
  public readonly serviceAccount: plus.ServiceAccount;
  public readonly externalSecret: ExternalSecret;
  public readonly scripts: plus.ConfigMap;
  public readonly snapshotJob: PlatformCronJob;
  public readonly verifyJob: PlatformCronJob;

  constructor(scope: Construct, id: string, props: VaultBackupProps) {
    super(scope, id);
    const schedule = props.schedule ?? DEFAULT_BACKUP_SCHEDULE;
    const verifySchedule = props.verifySchedule ?? DEFAULT_VERIFY_SCHEDULE;
    const maxAgeHours = props.maxAgeHours ?? DEFAULT_MAX_AGE_HOURS;
    checkSchedule('schedule', schedule);
    checkSchedule('verifySchedule', verifySchedule);
    if (!Number.isInteger(maxAgeHours) || maxAgeHours < 1) {
      throw new Error(`'maxAgeHours' must be a positive whole number of hours, got ${maxAgeHours}`);
    }
    checkPinned('source.image', props.source.image);
    checkPinned('awsCliImage', props.awsCliImage);
    if (!/^https:\/\/[^/]+/.test(props.source.address)) {
      throw new Error(`'source.address' must be an https:// URL (Vault's certificate is always verified), got "${props.source.address}"`);
    }

    this.namespace = props.namespace ?? DEFAULT_BACKUP_NAMESPACE;
    if (props.secretStore.namespace !== this.namespace) {
      throw new Error(`'secretStore' must be the SecretStore of namespace '${this.namespace}', got one in '${props.secretStore.namespace}' `
        + '(an ExternalSecret reads from the store of its own namespace only)');
    }
    const labels = { ...MANAGED_BY_LABEL, 'app.kubernetes.io/name': 'vault-backup' };
    // Every pod here meets the restricted standard; the trust labels bring the private root.
    // It holds the snapshot agent's AppRole secret id: never pruned.
    platformNamespace(this, 'Namespace', { name: this.namespace, labels: props.trustNamespaceLabels, keepOnPrune: true });

    this.serviceAccount = new plus.ServiceAccount(this, 'ServiceAccount', {
      metadata: {
        name: props.serviceAccountName ?? VAULT_BACKUP_SERVICE_ACCOUNT,
        namespace: this.namespace,
        labels,
        annotations: props.awsIdentity.type === 'irsa' ? { 'eks.amazonaws.com/role-arn': props.awsIdentity.roleArn } : undefined,
      },
      // The pods call AWS and Vault, never the Kubernetes API. The IRSA and Pod Identity webhooks
      // project their own token. (cdk8s-plus's default too; said here, since it matters.)
      automountToken: false,
    });

    this.externalSecret = new ExternalSecret(this, 'AppRoleSecretId', {
      // Never pruned by Flux: deleting it deletes the Secret it owns.
      metadata: { name: APPROLE_SECRET, namespace: this.namespace, labels, annotations: { ...PRUNE_DISABLED_ANNOTATION } },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: ExternalSecretSpecSecretStoreRefKind.SECRET_STORE, name: props.secretStore.storeName },
        // Owned by the ExternalSecret; kept if the secret in AWS disappears, so one mistaken deletion
        // there does not stop the next night's snapshot.
        target: {
          name: APPROLE_SECRET,
          creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER,
          deletionPolicy: ExternalSecretSpecTargetDeletionPolicy.RETAIN,
        },
        data: [{ secretKey: APPROLE_SECRET_KEY, remoteRef: { key: props.secretIdRemoteKey } }],
      },
    });

    this.scripts = new plus.ConfigMap(this, 'Scripts', {
      metadata: {
        name: BACKUP_SCRIPTS_CONFIGMAP,
        namespace: this.namespace,
        labels,
        // Flux would replace the script's ${VAR} by cluster variables (empty ones by nothing).
        annotations: { [FLUX_SUBSTITUTE_ANNOTATION]: 'disabled' },
      },
      // Updated in place with the next synth, like every other object; not `immutable`.
      immutable: false,
      data: { [SCRIPT_KEY]: VAULT_BACKUP_SCRIPT, [JOB_LIB_KEY]: JOB_LIB_SCRIPT },
    });

    const source = props.source;
    const cli = source.engine === 'openbao' ? 'bao' : 'vault';
    const prefix = source.engine === 'openbao' ? 'BAO' : 'VAULT';
    const serverName = source.serverName ?? new URL(source.address).hostname;
    const command = (step: string) => ['/bin/sh', `${SCRIPTS_DIR}/${SCRIPT_KEY}`, step];
    const common = { WORK_DIR, HOME: '/tmp' };
    const aws = { AWS_REGION: props.store.region, SNAPSHOT_BUCKET: props.store.bucket, SNAPSHOT_PREFIX: props.store.keyPrefix };

    // One Volume object per volume and CronJob: cdk8s-plus adds each mounted one to the pod.
    const volumes = (job: string) => ({
      work: plus.Volume.fromEmptyDir(this, `${job}WorkVolume`, 'work', { sizeLimit: WORK_SIZE_LIMIT }),
      tmp: plus.Volume.fromEmptyDir(this, `${job}TmpVolume`, 'tmp', { sizeLimit: TMP_SIZE_LIMIT }),
      scripts: plus.Volume.fromConfigMap(this, `${job}ScriptsVolume`, this.scripts, { name: 'scripts' }),
    });
    const mount = (volume: plus.Volume, path: string, readOnly?: boolean): plus.VolumeMount => ({ volume, path, readOnly });
    type Volumes = ReturnType<typeof volumes>;
    const vaultContainer = (name: string, step: string, env: Record<string, string>, volumeMounts: plus.VolumeMount[]): PlatformContainerProps => ({
      name,
      image: source.image,
      command: command(step),
      env: { ...common, VAULT_CLI: cli, ...env },
      volumeMounts,
      resources: VAULT_CLI_RESOURCES,
    });
    const awsContainer = (name: string, step: string, env: Record<string, string>, v: Volumes): PlatformContainerProps => ({
      name,
      image: props.awsCliImage,
      command: command(step),
      env: { ...common, ...aws, ...env },
      volumeMounts: [mount(v.work, WORK_DIR), mount(v.tmp, '/tmp'), mount(v.scripts, SCRIPTS_DIR, true)],
      resources: AWS_CLI_RESOURCES,
    });

    const snapshot = volumes('Snapshot');
    const privateCa = plus.Volume.fromConfigMap(this, 'PrivateCaVolume',
      plus.ConfigMap.fromConfigMapName(this, 'PrivateCa', props.caConfigMap.name),
      { name: 'private-ca', items: { [props.caConfigMap.key]: { path: props.caConfigMap.key } } });
    // Readable by the pod's group only (fsGroup), in the snapshot container only.
    const secretId = plus.Volume.fromSecret(this, 'AppRoleVolume',
      plus.Secret.fromSecretName(this, 'AppRoleSecret', APPROLE_SECRET), { name: 'approle', defaultMode: 0o440 });
    this.snapshotJob = new PlatformCronJob(this, 'Snapshot', {
      name: SNAPSHOT_CRONJOB,
      namespace: this.namespace,
      labels: { ...labels, 'app.kubernetes.io/component': 'snapshot' },
      podAnnotations: { [SKIP_CONTAINERS_ANNOTATION]: 'snapshot' },
      schedule,
      serviceAccount: this.serviceAccount,
      // Started up to an hour late (a controller restart), never more: the stale alert covers a missed night.
      startingDeadline: Duration.hours(1),
      // Two retries: a leader election or a network blip does not cost the night's snapshot.
      backoffLimit: 2,
      initContainers: [vaultContainer('snapshot', 'snapshot', {
        [`${prefix}_ADDR`]: source.address,
        [`${prefix}_CACERT`]: `${CA_DIR}/${props.caConfigMap.key}`,
        [`${prefix}_TLS_SERVER_NAME`]: serverName,
        [`${prefix}_CLIENT_TIMEOUT`]: CLIENT_TIMEOUT,
        APPROLE_MOUNT: source.appRoleMount ?? 'approle',
        APPROLE_ROLE_ID: source.roleId,
        APPROLE_SECRET_ID_FILE: `${SECRET_ID_DIR}/${APPROLE_SECRET_KEY}`,
      }, [
        mount(snapshot.work, WORK_DIR), mount(snapshot.tmp, '/tmp'), mount(snapshot.scripts, SCRIPTS_DIR, true),
        mount(privateCa, CA_DIR, true), mount(secretId, SECRET_ID_DIR, true),
      ])],
      containers: [awsContainer('upload', 'upload', { SNAPSHOT_KMS_KEY_ID: props.store.kmsKeyId }, snapshot)],
    });

    const verify = volumes('Verify');
    this.verifyJob = new PlatformCronJob(this, 'Verify', {
      name: VERIFY_CRONJOB,
      namespace: this.namespace,
      labels: { ...labels, 'app.kubernetes.io/component': 'verify' },
      podAnnotations: { [SKIP_CONTAINERS_ANNOTATION]: 'verify' },
      schedule: verifySchedule,
      serviceAccount: this.serviceAccount,
      // Weekly: six hours late is still that week's verification.
      startingDeadline: Duration.hours(6),
      // One retry for a transient S3 error; a bad snapshot fails both.
      backoffLimit: 1,
      initContainers: [awsContainer('fetch', 'fetch', {}, verify)],
      containers: [vaultContainer('verify', 'verify', {
        SNAPSHOT_MAX_AGE_HOURS: String(maxAgeHours),
        SNAPSHOT_INSPECT: String(source.snapshotInspect ?? false),
      }, [mount(verify.work, WORK_DIR), mount(verify.tmp, '/tmp'), mount(verify.scripts, SCRIPTS_DIR, true)])],
    });
  }
}

function checkSchedule(prop: string, schedule: string): void {
  const parsed = parseCronSchedule(schedule);
  if ('error' in parsed) {
    throw new Error(`'${prop}' must be a cron schedule of 5 fields, got "${schedule}" (${parsed.error})`);
  }
}

/** An image whose content cannot change under its name: a tag other than `latest`, or a digest. */
function checkPinned(prop: string, image: string): void {
  const tag = /:([^/@]+)(@|$)/.exec(image)?.[1];
  if (!/@sha256:[0-9a-f]{64}$/.test(image) && (tag === undefined || tag === 'latest')) {
    throw new Error(`'${prop}' must be pinned by a tag other than "latest" or by a digest, got "${image}"`);
  }
}
