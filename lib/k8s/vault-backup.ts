import { Construct } from 'constructs';
import {
  type Container, type EnvVar, KubeConfigMap, KubeCronJob, KubeServiceAccount, type PodSpec, type SecurityContext, type Volume,
} from './core.js';
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
import { VAULT_BACKUP_SCRIPT } from './backup-scripts.js';
import { CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT } from './cert-manager.js';
import type { AwsSecretsManagerStore } from './external-secrets.js';
import { PRUNE_DISABLED_ANNOTATION } from './flux-layer.js';
import { platformNamespace } from './namespace.js';

/** Names of the objects of the backup layer: what the README's runbook and the alerts refer to. */
export const SNAPSHOT_CRONJOB = 'vault-snapshot';
export const VERIFY_CRONJOB = 'vault-snapshot-verify';
export const BACKUP_SCRIPTS_CONFIGMAP = 'vault-backup-scripts';
/** The Secret the ExternalSecret writes, holding the snapshot AppRole's secret id under {@link APPROLE_SECRET_KEY}. */
export const APPROLE_SECRET = 'vault-snapshot-approle';
export const APPROLE_SECRET_KEY = 'secretId';

/** The annotation that keeps Flux's post-build variable substitution away from an object (the script's `${…}`). */
export const FLUX_SUBSTITUTE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/substitute';

/** The user every backup container runs as: not root, and not an id the images give a meaning to. */
const RUN_AS = 65532;

/** cert-manager's container settings: non-root, read-only root, no capability, no escalation, seccomp. */
const SECURITY_CONTEXT: SecurityContext = {
  ...CONTAINER_SECURITY_CONTEXT,
  capabilities: { drop: [...CONTAINER_SECURITY_CONTEXT.capabilities.drop] },
};

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
const WORK_SIZE_LIMIT = '2Gi';

/**
 * Sizing: the Vault CLI streams the snapshot to disk; the AWS CLI (Python) holds multipart parts in
 * memory, 8 MiB each, up to 10 at a time.
 */
const VAULT_CLI_RESOURCES = { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } };
const AWS_CLI_RESOURCES = { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } };

/**
 * Local disk of each container: the emptyDirs count against the pod's ephemeral storage, so the
 * scheduler reserves room for the work volume (requests), and the kubelet evicts the pod past the
 * work and tmp volumes plus room for logs (limits), before the node's disk fills.
 */
export const EPHEMERAL_STORAGE = { request: WORK_SIZE_LIMIT, limit: '2560Mi' } as const;

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
  public readonly serviceAccount: KubeServiceAccount;
  public readonly externalSecret: ExternalSecret;
  public readonly scripts: KubeConfigMap;
  public readonly snapshotJob: KubeCronJob;
  public readonly verifyJob: KubeCronJob;

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

    this.serviceAccount = new KubeServiceAccount(this, 'ServiceAccount', {
      metadata: {
        name: props.serviceAccountName ?? VAULT_BACKUP_SERVICE_ACCOUNT,
        namespace: this.namespace,
        labels,
        annotations: props.awsIdentity.type === 'irsa' ? { 'eks.amazonaws.com/role-arn': props.awsIdentity.roleArn } : undefined,
      },
      // The pods call AWS and Vault, never the Kubernetes API. The IRSA and Pod Identity webhooks
      // project their own token.
      automountServiceAccountToken: false,
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

    this.scripts = new KubeConfigMap(this, 'Scripts', {
      metadata: {
        name: BACKUP_SCRIPTS_CONFIGMAP,
        namespace: this.namespace,
        labels,
        // Flux would replace the script's ${VAR} by cluster variables (empty ones by nothing).
        annotations: { [FLUX_SUBSTITUTE_ANNOTATION]: 'disabled' },
      },
      data: { [SCRIPT_KEY]: VAULT_BACKUP_SCRIPT },
    });

    const source = props.source;
    const cli = source.engine === 'openbao' ? 'bao' : 'vault';
    const prefix = source.engine === 'openbao' ? 'BAO' : 'VAULT';
    const serverName = source.serverName ?? new URL(source.address).hostname;
    const run = (step: string): Pick<Container, 'command'> => ({ command: ['/bin/sh', `${SCRIPTS_DIR}/${SCRIPT_KEY}`, step] });
    const common: EnvVar[] = [{ name: 'WORK_DIR', value: WORK_DIR }, { name: 'HOME', value: '/tmp' }];
    const aws: EnvVar[] = [
      { name: 'AWS_REGION', value: props.store.region },
      { name: 'SNAPSHOT_BUCKET', value: props.store.bucket },
      { name: 'SNAPSHOT_PREFIX', value: props.store.keyPrefix },
    ];
    const mounts = {
      work: { name: 'work', mountPath: WORK_DIR },
      tmp: { name: 'tmp', mountPath: '/tmp' },
      scripts: { name: 'scripts', mountPath: SCRIPTS_DIR, readOnly: true },
      ca: { name: 'private-ca', mountPath: CA_DIR, readOnly: true },
      secretId: { name: 'approle', mountPath: SECRET_ID_DIR, readOnly: true },
    };
    const vaultContainer = (name: string, step: string, env: EnvVar[], volumeMounts: Container['volumeMounts']): Container => ({
      name,
      image: source.image,
      ...run(step),
      env: [...common, { name: 'VAULT_CLI', value: cli }, ...env],
      volumeMounts,
      resources: resources(VAULT_CLI_RESOURCES),
      securityContext: SECURITY_CONTEXT,
    });
    const awsContainer = (name: string, step: string, env: EnvVar[]): Container => ({
      name,
      image: props.awsCliImage,
      ...run(step),
      env: [...common, ...aws, ...env],
      volumeMounts: [mounts.work, mounts.tmp, mounts.scripts],
      resources: resources(AWS_CLI_RESOURCES),
      securityContext: SECURITY_CONTEXT,
    });
    const volumes: Volume[] = [
      { name: 'work', emptyDir: { sizeLimit: WORK_SIZE_LIMIT } },
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      { name: 'scripts', configMap: { name: BACKUP_SCRIPTS_CONFIGMAP } },
    ];
    const pod = (initContainers: Container[], containers: Container[], extraVolumes: Volume[]): PodSpec => ({
      serviceAccountName: this.serviceAccount.name,
      automountServiceAccountToken: false,
      // A failed step leaves its pod (and logs) behind; the Job starts a new pod for a retry.
      restartPolicy: 'Never',
      securityContext: { ...POD_SECURITY_CONTEXT, runAsUser: RUN_AS, runAsGroup: RUN_AS, fsGroup: RUN_AS },
      initContainers,
      containers,
      volumes: [...volumes, ...extraVolumes],
    });

    this.snapshotJob = cronJob(this, 'Snapshot', {
      name: SNAPSHOT_CRONJOB,
      namespace: this.namespace,
      labels: { ...labels, 'app.kubernetes.io/component': 'snapshot' },
      podAnnotations: { [SKIP_CONTAINERS_ANNOTATION]: 'snapshot' },
      schedule,
      // Started up to an hour late (a controller restart), never more: the stale alert covers a missed night.
      startingDeadlineSeconds: 3600,
      // Two retries: a leader election or a network blip does not cost the night's snapshot.
      backoffLimit: 2,
      pod: pod(
        [vaultContainer('snapshot', 'snapshot', [
          { name: `${prefix}_ADDR`, value: source.address },
          { name: `${prefix}_CACERT`, value: `${CA_DIR}/${props.caConfigMap.key}` },
          { name: `${prefix}_TLS_SERVER_NAME`, value: serverName },
          { name: `${prefix}_CLIENT_TIMEOUT`, value: CLIENT_TIMEOUT },
          { name: 'APPROLE_MOUNT', value: source.appRoleMount ?? 'approle' },
          { name: 'APPROLE_ROLE_ID', value: source.roleId },
          { name: 'APPROLE_SECRET_ID_FILE', value: `${SECRET_ID_DIR}/${APPROLE_SECRET_KEY}` },
        ], [mounts.work, mounts.tmp, mounts.scripts, mounts.ca, mounts.secretId])],
        [awsContainer('upload', 'upload', [{ name: 'SNAPSHOT_KMS_KEY_ID', value: props.store.kmsKeyId }])],
        [
          { name: 'private-ca', configMap: { name: props.caConfigMap.name, items: [{ key: props.caConfigMap.key, path: props.caConfigMap.key }] } },
          // Readable by the pod's group only (fsGroup), in the snapshot container only.
          { name: 'approle', secret: { secretName: APPROLE_SECRET, defaultMode: 0o440 } },
        ],
      ),
    });

    this.verifyJob = cronJob(this, 'Verify', {
      name: VERIFY_CRONJOB,
      namespace: this.namespace,
      labels: { ...labels, 'app.kubernetes.io/component': 'verify' },
      podAnnotations: { [SKIP_CONTAINERS_ANNOTATION]: 'verify' },
      schedule: verifySchedule,
      // Weekly: six hours late is still that week's verification.
      startingDeadlineSeconds: 6 * 3600,
      // One retry for a transient S3 error; a bad snapshot fails both.
      backoffLimit: 1,
      pod: pod(
        [awsContainer('fetch', 'fetch', [])],
        [vaultContainer('verify', 'verify', [
          { name: 'SNAPSHOT_MAX_AGE_HOURS', value: String(maxAgeHours) },
          { name: 'SNAPSHOT_INSPECT', value: String(source.snapshotInspect ?? false) },
        ], [mounts.work, mounts.tmp, mounts.scripts])],
        [],
      ),
    });
  }
}

interface CronJobOptions {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Annotations of the Jobs' pods. */
  readonly podAnnotations: Record<string, string>;
  readonly schedule: string;
  readonly startingDeadlineSeconds: number;
  readonly backoffLimit: number;
  readonly pod: PodSpec;
}

/** A CronJob of the backup layer: one run at a time, in UTC, bounded in time, its Jobs kept a while for their logs. */
function cronJob(scope: Construct, id: string, options: CronJobOptions): KubeCronJob {
  return new KubeCronJob(scope, id, {
    metadata: { name: options.name, namespace: options.namespace, labels: options.labels },
    spec: {
      schedule: options.schedule,
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: options.startingDeadlineSeconds,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: options.labels },
        spec: {
          backoffLimit: options.backoffLimit,
          // A snapshot of a PKI Vault takes seconds; half an hour bounds a hung connection.
          activeDeadlineSeconds: 1800,
          // Eight days: longer than the weekly verification's period, so a failed Job (and its
          // alert) stays until the next run has had its chance.
          ttlSecondsAfterFinished: 8 * 86_400,
          template: { metadata: { labels: options.labels, annotations: options.podAnnotations }, spec: options.pod },
        },
      },
    },
  });
}

function resources(sizing: typeof VAULT_CLI_RESOURCES): Container['resources'] {
  return {
    requests: { ...sizing.requests, 'ephemeral-storage': EPHEMERAL_STORAGE.request },
    limits: { ...sizing.limits, 'ephemeral-storage': EPHEMERAL_STORAGE.limit },
  };
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
