import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging/index.js';
import { S3BucketObjectLockConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-object-lock-configuration/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketReplicationConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-replication-configuration/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';
import { type TerraformProvider, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import {
  ACCESS_LOG_BUCKET_SUFFIX, DEFAULT_BACKUP_NAMESPACE, DEFAULT_EXPIRE_AFTER_DAYS, DEFAULT_GLACIER_AFTER_DAYS, DEFAULT_OBJECT_LOCK_DAYS, type ResolvedBackup,
} from '../config/backup.js';
import type { PlatformConfig } from '../config/types.js';
import {
  awsDnsSuffix, awsPartition, VAULT_BACKUP_SERVICE_ACCOUNT, VAULT_SNAPSHOT_KEY_PREFIX, vaultBackupKeyAlias, vaultBackupRoleName,
} from '../util/names.js';
import { policyDocument, resourcePolicyDocument, type ResourcePolicyStatement, trustDocument } from './iam.js';
import { accountPrincipal, keyAdministration } from './kms.js';
import { DEFAULT_TAGS } from './stacks.js';
import { AwsAccountCheck } from './aws-account-check.js';
import { IrsaProviderCheck, type PodIdentity, podIdentityAssociation, type ServiceAccountRef, workloadTrustStatement } from './workload-identity.js';
import { PlatformStack, type PlatformStackProps } from './platform-stack.js';

/** What the backup role may do with the snapshot objects, and nothing more. */
export const SNAPSHOT_OBJECT_ACTIONS = ['s3:PutObject', 's3:GetObject'] as const;
export const SNAPSHOT_LIST_ACTIONS = ['s3:ListBucket'] as const;
/** Encrypt (a data key for each upload) and decrypt (downloads, and the parts of multipart uploads). */
export const SNAPSHOT_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

/** Days an interrupted multipart upload (a snapshot job killed mid-upload) keeps its parts. */
const ABORT_INCOMPLETE_UPLOAD_DAYS = 1;

/** Days S3 server access logs are kept: a year of who read, wrote or tried to delete which snapshot. */
export const ACCESS_LOG_EXPIRE_DAYS = 365;

/** What S3 replication reads from the snapshot bucket: the configuration, then each version with its lock. */
export const REPLICATION_SOURCE_BUCKET_ACTIONS = ['s3:GetReplicationConfiguration', 's3:ListBucket'] as const;
export const REPLICATION_SOURCE_OBJECT_ACTIONS = [
  's3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging', 's3:GetObjectRetention', 's3:GetObjectLegalHold',
] as const;
/** What it writes to the replica: objects and their tags; no delete (deletions are not replicated). */
export const REPLICATION_DESTINATION_ACTIONS = ['s3:ReplicateObject', 's3:ReplicateTags'] as const;

/** The copy of the snapshots in the disaster-recovery Region. */
export interface SnapshotReplicaProps {
  readonly region: string;
  /** The provider of that Region. */
  readonly provider: TerraformProvider;
  /** Globally unique name of the replica bucket. */
  readonly bucketName: string;
}

/** The bucket, its key and the role of {@link VaultBackupStorage}. */
export interface VaultBackupStorageProps {
  /** Globally unique S3 bucket name. */
  readonly bucketName: string;
  /** Key prefix of the snapshots, without slashes at the ends; the role reads and writes under it only. */
  readonly keyPrefix?: string;
  /** Days before snapshots move to S3 Glacier Flexible Retrieval. @default 30 */
  readonly glacierAfterDays?: number;
  /** Days before snapshots, and versions that were replaced or deleted, are deleted. @default 120 */
  readonly expireAfterDays?: number;
  /** Days each version is locked from its upload, S3 Object Lock in governance mode; at most `expireAfterDays`. @default 30 */
  readonly objectLockDays?: number;
  /** Globally unique name of the bucket of the S3 server access logs. @default - `<bucketName>-logs` */
  readonly accessLogBucketName?: string;
  /** @default - no replica */
  readonly replica?: SnapshotReplicaProps;
  /**
   * Roles that may decrypt the snapshots to restore them by hand (the break-glass role), named
   * by ARN in a condition, so that they may be created later.
   * @default []
   */
  readonly restoreRoleArns?: readonly string[];
  /** Name of the IAM role the backup jobs assume. */
  readonly roleName: string;
  readonly accountId: string;
  /** Region of the bucket and key (the S3 endpoint the key may be used through). */
  readonly region: string;
  /** The jobs' cluster and how its pods assume roles. */
  readonly identity: PodIdentity;
  /** @default - vault-backup/vault-backup */
  readonly serviceAccount?: ServiceAccountRef;
}

/**
 * Where Vault's Raft snapshots are kept, and the role that puts them there.
 *
 * - KMS key of its own, rotated yearly, 30-day deletion window, alias `alias/<bucket>`;
 * - S3 bucket: default encryption SSE-KMS with that key and an S3 Bucket Key (one KMS call per
 *   bucket and period rather than per object), versioning, the four public access blocks, object
 *   ownership enforced (no ACLs), a policy refusing plain HTTP and TLS below 1.2;
 * - lifecycle under the prefix: to Glacier Flexible Retrieval after `glacierAfterDays`, deleted
 *   after `expireAfterDays`; replaced or deleted versions likewise, counted from the day they
 *   stopped being current (a deleted snapshot stays recoverable that long); expired delete markers
 *   removed, interrupted uploads aborted after a day;
 * - IAM role trusted by the jobs' service account only (IRSA, or Pod Identity with its
 *   association): `s3:ListBucket` on the bucket for the prefix, `s3:PutObject` and `s3:GetObject`
 *   under the prefix, `kms:GenerateDataKey` and `kms:Decrypt` on the key through S3 only. No
 *   delete: only the lifecycle removes snapshots.
 *
 * - key policy: explicit; the account administers (named actions, no decrypt), the backup role and
 *   the replication role use the key through S3, S3 log delivery encrypts the access logs, the
 *   restore roles decrypt through S3;
 * - Object Lock, governance mode, `objectLockDays` per version (on the existing bucket through its
 *   configuration, so the bucket is not replaced);
 * - server access logs to `<bucket>-logs`: encrypted with the same key, versioned, private,
 *   TLS-only, written by S3 log delivery for this bucket only, kept {@link ACCESS_LOG_EXPIRE_DAYS} days;
 * - with `replica`: a bucket and a key in that Region, the same companions, lock and lifecycle, and
 *   replication of the prefix through a role scoped to the two buckets and keys; deletions are not
 *   replicated.
 *
 * The buckets and the keys refuse `terraform destroy` (`prevent_destroy`): they must outlive the
 * Vault cluster they back up.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-configuration-examples.html
 */
export class VaultBackupStorage extends Construct {
  public readonly key: KmsKey;
  public readonly bucket: S3Bucket;
  public readonly role: IamRole;
  public readonly accessLogBucket: S3Bucket;
  /** `undefined` without a replica. */
  public readonly replicaBucket?: S3Bucket;
  /** `undefined` without a replica. */
  public readonly replicaKey?: KmsKey;

  constructor(scope: Construct, id: string, props: VaultBackupStorageProps) {
    super(scope, id);
    const prefix = props.keyPrefix ?? VAULT_SNAPSHOT_KEY_PREFIX;
    const glacierAfterDays = props.glacierAfterDays ?? DEFAULT_GLACIER_AFTER_DAYS;
    const expireAfterDays = props.expireAfterDays ?? DEFAULT_EXPIRE_AFTER_DAYS;
    const objectLockDays = props.objectLockDays ?? DEFAULT_OBJECT_LOCK_DAYS;
    if (!/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/.test(prefix)) {
      throw new Error(`'keyPrefix' must be S3 key segments without leading or trailing "/", got "${prefix}"`);
    }
    if (!(Number.isInteger(glacierAfterDays) && Number.isInteger(expireAfterDays) && glacierAfterDays > 0 && expireAfterDays > glacierAfterDays)) {
      throw new Error(`'expireAfterDays' (${expireAfterDays}) must be a whole number of days after 'glacierAfterDays' (${glacierAfterDays})`);
    }
    if (!(Number.isInteger(objectLockDays) && objectLockDays > 0 && objectLockDays <= expireAfterDays)) {
      throw new Error(`'objectLockDays' (${objectLockDays}) must be a whole number of days from 1 to 'expireAfterDays' (${expireAfterDays})`);
    }
    const partition = awsPartition(props.region);
    const serviceAccount = props.serviceAccount ?? { namespace: DEFAULT_BACKUP_NAMESPACE, name: VAULT_BACKUP_SERVICE_ACCOUNT };
    const bucketArn = `arn:${partition}:s3:::${props.bucketName}`;
    const accessLogBucketName = props.accessLogBucketName ?? accessLogBucketNameOf(props.bucketName);
    const logBucketArn = `arn:${partition}:s3:::${accessLogBucketName}`;
    const replicaArn = props.replica && `arn:${partition}:s3:::${props.replica.bucketName}`;
    // Names, not references: the key policies name the roles, and the roles' policies name the keys.
    const roleArn = `arn:${partition}:iam::${props.accountId}:role/${props.roleName}`;
    const replicationRoleName = `${props.roleName}-replication`;
    const replicationRoleArn = `arn:${partition}:iam::${props.accountId}:role/${replicationRoleName}`;
    const viaS3 = (region: string) => ({ StringEquals: { 'kms:ViaService': `s3.${region}.${awsDnsSuffix(partition)}` } });
    const restoreRoles = props.restoreRoleArns ?? [];

    this.role = new IamRole(this, 'Role', {
      name: props.roleName,
      description: `Vault backup jobs: write and read snapshots in s3://${props.bucketName}/${prefix}/`,
      assumeRolePolicy: trustDocument([workloadTrustStatement({
        identity: props.identity, serviceAccount, accountId: props.accountId, partition, irsaSid: 'VaultBackupServiceAccount',
      })]),
      maxSessionDuration: 3600,
    });
    const replicationRole = props.replica && new IamRole(this, 'ReplicationRole', {
      name: replicationRoleName,
      description: `S3 replication of s3://${props.bucketName}/${prefix}/ to s3://${props.replica.bucketName} in ${props.replica.region}`,
      assumeRolePolicy: trustDocument([{
        sid: 'S3Replication', principal: { Service: 's3.amazonaws.com' }, actions: ['sts:AssumeRole'],
        conditions: { StringEquals: { 'aws:SourceAccount': props.accountId } },
      }]),
      maxSessionDuration: 3600,
    });

    this.key = new KmsKey(this, 'Key', {
      description: `Vault Raft snapshots in s3://${props.bucketName}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: resourcePolicyDocument([
        keyAdministration(partition, props.accountId),
        {
          sid: 'BackupJobsUseTheKeyThroughS3', principal: { AWS: roleArn }, actions: SNAPSHOT_KEY_ACTIONS, resources: ['*'], conditions: viaS3(props.region),
        },
        // The access logs are encrypted with this key too: S3's log delivery writes them.
        {
          sid: 'S3LogDeliveryEncrypts',
          principal: { Service: 'logging.s3.amazonaws.com' },
          actions: ['kms:GenerateDataKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': props.accountId } },
        },
        ...(replicationRole ? [{
          sid: 'ReplicationDecryptsThroughS3', principal: { AWS: replicationRoleArn }, actions: ['kms:Decrypt'], resources: ['*'],
          conditions: viaS3(props.region),
        }] : []),
        ...restoreStatements(partition, props.accountId, restoreRoles, viaS3(props.region)),
      ]),
      // The role must exist before a key policy names it (KMS checks every principal).
      dependsOn: [this.role, ...(replicationRole ? [replicationRole] : [])],
      lifecycle: { preventDestroy: true },
    });
    new KmsAlias(this, 'KeyAlias', { name: vaultBackupKeyAlias(props.bucketName), targetKeyId: this.key.keyId });

    this.bucket = hardenedBucket(this, '', { name: props.bucketName, keyArn: this.key.arn, objectLock: true });
    const bucket = this.bucket.id;
    const versioning = this.node.findChild('Versioning') as S3BucketVersioningA;
    new S3BucketObjectLockConfigurationA(this, 'ObjectLock', {
      bucket,
      // Versioning first: Object Lock works on versions, and S3 refuses it on a bucket without them.
      dependsOn: [versioning],
      objectLockEnabled: 'Enabled',
      rule: { defaultRetention: { mode: 'GOVERNANCE', days: objectLockDays } },
    });
    new S3BucketLifecycleConfiguration(this, 'Lifecycle', {
      bucket,
      // Noncurrent-version rules act on versions: AWS asks for versioning to be on first.
      dependsOn: [versioning],
      rule: snapshotLifecycleRules(prefix, glacierAfterDays, expireAfterDays),
    });

    // ---- Access logs: S3 server access logging to a bucket of their own.
    this.accessLogBucket = hardenedBucket(this, 'AccessLogs', {
      name: accessLogBucketName,
      keyArn: this.key.arn,
      objectLock: false,
      extraStatements: [{
        sid: 'S3LogDeliveryWrites',
        principal: { Service: 'logging.s3.amazonaws.com' },
        actions: ['s3:PutObject'],
        resources: [`${logBucketArn}/*`],
        conditions: { ArnLike: { 'aws:SourceArn': bucketArn }, StringEquals: { 'aws:SourceAccount': props.accountId } },
      }],
    });
    new S3BucketLifecycleConfiguration(this, 'AccessLogsLifecycle', {
      bucket: this.accessLogBucket.id,
      dependsOn: [this.node.findChild('AccessLogsVersioning') as S3BucketVersioningA],
      rule: [{
        id: 'access-logs',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        expiration: [{ days: ACCESS_LOG_EXPIRE_DAYS }],
        noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: ABORT_INCOMPLETE_UPLOAD_DAYS }],
      }],
    });
    new S3BucketLoggingA(this, 'AccessLogging', {
      bucket,
      targetBucket: this.accessLogBucket.id,
      targetPrefix: `s3/${props.bucketName}/`,
      targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: 'EventTime' } },
    });

    // ---- Replica in the disaster-recovery Region: its own key, object lock and lifecycle.
    if (props.replica && replicationRole && replicaArn) {
      const replica = props.replica;
      this.replicaKey = new KmsKey(this, 'ReplicaKey', {
        provider: replica.provider,
        description: `Vault Raft snapshots in s3://${replica.bucketName}, replica of s3://${props.bucketName}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: resourcePolicyDocument([
          keyAdministration(partition, props.accountId),
          {
            sid: 'ReplicationEncryptsThroughS3', principal: { AWS: replicationRoleArn }, actions: ['kms:GenerateDataKey', 'kms:Encrypt'],
            resources: ['*'], conditions: viaS3(replica.region),
          },
          {
            sid: 'BackupJobsReadThroughS3', principal: { AWS: roleArn }, actions: ['kms:Decrypt'], resources: ['*'], conditions: viaS3(replica.region),
          },
          ...restoreStatements(partition, props.accountId, restoreRoles, viaS3(replica.region)),
        ]),
        dependsOn: [this.role, replicationRole],
        lifecycle: { preventDestroy: true },
      });
      new KmsAlias(this, 'ReplicaKeyAlias', { provider: replica.provider, name: vaultBackupKeyAlias(replica.bucketName), targetKeyId: this.replicaKey.keyId });
      this.replicaBucket = hardenedBucket(this, 'Replica', {
        name: replica.bucketName, keyArn: this.replicaKey.arn, objectLock: true, provider: replica.provider,
      });
      const replicaVersioning = this.node.findChild('ReplicaVersioning') as S3BucketVersioningA;
      new S3BucketObjectLockConfigurationA(this, 'ReplicaObjectLock', {
        provider: replica.provider,
        bucket: this.replicaBucket.id,
        dependsOn: [replicaVersioning],
        objectLockEnabled: 'Enabled',
        rule: { defaultRetention: { mode: 'GOVERNANCE', days: objectLockDays } },
      });
      new S3BucketLifecycleConfiguration(this, 'ReplicaLifecycle', {
        provider: replica.provider,
        bucket: this.replicaBucket.id,
        dependsOn: [replicaVersioning],
        rule: snapshotLifecycleRules(prefix, glacierAfterDays, expireAfterDays),
      });
      new IamRolePolicy(this, 'ReplicationPolicy', {
        role: replicationRole.name,
        name: 'replicate-snapshots',
        policy: policyDocument([
          { sid: 'ReadReplicationConfiguration', actions: REPLICATION_SOURCE_BUCKET_ACTIONS, resources: [bucketArn] },
          { sid: 'ReadSnapshotVersions', actions: REPLICATION_SOURCE_OBJECT_ACTIONS, resources: [`${bucketArn}/${prefix}/*`] },
          { sid: 'WriteReplicas', actions: REPLICATION_DESTINATION_ACTIONS, resources: [`${replicaArn}/${prefix}/*`] },
          { sid: 'DecryptSnapshots', actions: ['kms:Decrypt'], resources: [this.key.arn], conditions: viaS3(props.region) },
          { sid: 'EncryptReplicas', actions: ['kms:GenerateDataKey', 'kms:Encrypt'], resources: [this.replicaKey.arn], conditions: viaS3(replica.region) },
        ]),
      });
      new S3BucketReplicationConfigurationA(this, 'Replication', {
        bucket,
        role: replicationRole.arn,
        // Both buckets must be versioned first.
        dependsOn: [versioning, replicaVersioning],
        rule: [{
          id: 'snapshots-to-dr',
          status: 'Enabled',
          priority: 1,
          filter: { prefix: `${prefix}/` },
          // A deletion in the primary Region stays there: the replica keeps the snapshot.
          deleteMarkerReplication: { status: 'Disabled' },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: this.replicaBucket.arn,
            encryptionConfiguration: { replicaKmsKeyId: this.replicaKey.arn },
          },
        }],
      });
    }

    new IamRolePolicy(this, 'RolePolicy', {
      role: this.role.name,
      name: 'vault-snapshots',
      policy: policyDocument([
        {
          sid: 'ListSnapshots',
          actions: SNAPSHOT_LIST_ACTIONS,
          resources: [this.bucket.arn],
          conditions: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
        },
        { sid: 'WriteAndReadSnapshots', actions: SNAPSHOT_OBJECT_ACTIONS, resources: [`${this.bucket.arn}/${prefix}/*`] },
        {
          sid: 'UseSnapshotKeyThroughS3',
          actions: SNAPSHOT_KEY_ACTIONS,
          resources: [this.key.arn],
          conditions: viaS3(props.region),
        },
      ]),
    });
    podIdentityAssociation(this, 'PodIdentity', props.identity, serviceAccount, this.role.arn);
  }
}

/** The access-log bucket of a snapshot bucket: `<bucket>-logs`. */
export function accessLogBucketNameOf(bucketName: string): string {
  return `${bucketName}${ACCESS_LOG_BUCKET_SUFFIX}`;
}

/** Lets each restore role decrypt through S3: the account's principal, narrowed by ARN (the role may not exist yet). */
function restoreStatements(
  partition: string, accountId: string, roleArns: readonly string[], viaS3: ResourcePolicyStatement['conditions'],
): ResourcePolicyStatement[] {
  if (roleArns.length === 0) return [];
  return [{
    sid: 'RestoreRolesDecryptThroughS3',
    principal: { AWS: accountPrincipal(partition, accountId) },
    actions: ['kms:Decrypt'],
    resources: ['*'],
    conditions: { ...viaS3, ArnEquals: { 'aws:PrincipalArn': [...roleArns] } },
  }];
}

/** The lifecycle of the snapshots (the primary bucket's and the replica's alike). */
function snapshotLifecycleRules(prefix: string, glacierAfterDays: number, expireAfterDays: number) {
  return [
    {
      id: 'snapshots',
      status: 'Enabled',
      filter: [{ prefix: `${prefix}/` }],
      // Objects below 128 KiB (the checksum files) stay in Standard: S3's default minimum size.
      transition: [{ days: glacierAfterDays, storageClass: 'GLACIER' }],
      expiration: [{ days: expireAfterDays }],
      noncurrentVersionTransition: [{ noncurrentDays: glacierAfterDays, storageClass: 'GLACIER' }],
      noncurrentVersionExpiration: [{ noncurrentDays: expireAfterDays }],
      abortIncompleteMultipartUpload: [{ daysAfterInitiation: ABORT_INCOMPLETE_UPLOAD_DAYS }],
    },
    {
      // A delete marker whose versions are all gone hides nothing any more.
      id: 'expired-delete-markers',
      status: 'Enabled',
      filter: [{ prefix: `${prefix}/` }],
      expiration: [{ expiredObjectDeleteMarker: true }],
    },
  ];
}

interface HardenedBucketOptions {
  readonly name: string;
  readonly keyArn: string;
  /** Created with Object Lock allowed (the primary bucket gets it on the existing bucket, through its configuration). */
  readonly objectLock: boolean;
  readonly provider?: TerraformProvider;
  readonly extraStatements?: readonly ResourcePolicyStatement[];
}

/**
 * A bucket with every companion the policies require: objects owned by the bucket (no ACLs), the
 * four public access blocks, SSE-KMS with `keyArn` and an S3 Bucket Key, versioning, and a policy
 * refusing plain HTTP and TLS below 1.2. Kept on destroy. Construct ids are `<prefix>Bucket`,
 * `<prefix>Ownership`… (the primary bucket's, with an empty prefix, are those it always had).
 */
function hardenedBucket(scope: Construct, prefix: string, options: HardenedBucketOptions): S3Bucket {
  const { provider } = options;
  const created = new S3Bucket(scope, `${prefix}Bucket`, {
    provider,
    bucket: options.name,
    // A new replica is created with Object Lock; the existing primary bucket keeps its creation
    // arguments (changing them would replace it) and gets Object Lock from its configuration.
    ...(options.objectLock && prefix !== '' ? { objectLockEnabled: true } : {}),
    lifecycle: { preventDestroy: true },
  });
  const bucket = created.id;
  new S3BucketOwnershipControls(scope, `${prefix}Ownership`, { provider, bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } });
  new S3BucketPublicAccessBlock(scope, `${prefix}PublicAccessBlock`, {
    provider,
    bucket,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketServerSideEncryptionConfigurationA(scope, `${prefix}Encryption`, {
    provider,
    bucket,
    rule: [{
      applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: options.keyArn },
      bucketKeyEnabled: true,
    }],
  });
  new S3BucketVersioningA(scope, `${prefix}Versioning`, { provider, bucket, versioningConfiguration: { status: 'Enabled' } });
  new S3BucketPolicy(scope, `${prefix}Policy`, {
    provider,
    bucket,
    policy: resourcePolicyDocument([
      {
        sid: 'DenyPlainHttp',
        effect: 'Deny',
        principal: '*',
        actions: ['s3:*'],
        resources: [created.arn, `${created.arn}/*`],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        sid: 'DenyTlsBelow12',
        effect: 'Deny',
        principal: '*',
        actions: ['s3:*'],
        resources: [created.arn, `${created.arn}/*`],
        conditions: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
      },
      ...(options.extraStatements ?? []),
    ]),
  });
  return created;
}

/** What {@link VaultBackupStack} builds from. */
export interface VaultBackupStackProps extends PlatformStackProps {
  readonly platform: PlatformConfig;
  /** The `backup` section, defaults applied. */
  readonly backup: ResolvedBackup;
}

/**
 * The AWS side of the Vault backups, `vault-backup-aws`: a stack of its own because the snapshots
 * must outlive the Vault cluster (and its stack, `vault-aws`) they would restore. In the region of
 * the cluster that runs the jobs, against `aws.accountId` only, with the backend of
 * `terraform.backend` (as every stack of the platform).
 */
export class VaultBackupStack extends PlatformStack {
  public readonly storage: VaultBackupStorage;

  constructor(scope: Construct, id: string, props: VaultBackupStackProps) {
    super(scope, id, props);
    const { platform, backup } = props;
    const cluster = backup.cluster;
    const tags = [{ tags: { ...DEFAULT_TAGS, 'gateway-pki/component': 'vault-backup' } }];
    new AwsProvider(this, 'aws', { region: backup.region, allowedAccountIds: [platform.aws.accountId], defaultTags: tags });
    // `aws.dr`: the replica's bucket and key, in the Region of the seal key's replica.
    const drProvider = backup.replica === undefined
      ? undefined
      : new AwsProvider(this, 'aws-dr', { alias: 'dr', region: backup.replica.region, allowedAccountIds: [platform.aws.accountId], defaultTags: tags });
    new AwsAccountCheck(this, 'AwsAccount', { accountId: platform.aws.accountId });
    if (cluster.workloadIdentity.type === 'irsa') {
      new IrsaProviderCheck(this, 'OidcProvider', { oidcProviderArn: cluster.workloadIdentity.oidcProviderArn });
    }

    this.storage = new VaultBackupStorage(this, 'VaultBackup', {
      bucketName: backup.bucketName,
      glacierAfterDays: backup.glacierAfterDays,
      expireAfterDays: backup.expireAfterDays,
      objectLockDays: backup.objectLockDays,
      replica: backup.replica && drProvider && { region: backup.replica.region, bucketName: backup.replica.bucketName, provider: drProvider },
      restoreRoleArns: backup.restoreRoleArns,
      roleName: vaultBackupRoleName(cluster.name),
      accountId: platform.aws.accountId,
      region: backup.region,
      identity: cluster.workloadIdentity.type === 'irsa'
        ? { type: 'irsa', oidcProviderArn: cluster.workloadIdentity.oidcProviderArn }
        : { type: 'pod-identity', eksClusterName: cluster.workloadIdentity.eksClusterName ?? cluster.name, region: backup.region },
      serviceAccount: { namespace: backup.namespace, name: VAULT_BACKUP_SERVICE_ACCOUNT },
    });

    new TerraformOutput(this, 'vault_snapshot_bucket', {
      value: this.storage.bucket.bucket,
      description: 'S3 bucket of the Vault Raft snapshots',
    });
    new TerraformOutput(this, 'vault_snapshot_key_arn', {
      value: this.storage.key.arn,
      description: 'KMS key the snapshots are encrypted with (needed to read them back)',
    });
    if (this.storage.replicaBucket && this.storage.replicaKey) {
      new TerraformOutput(this, 'vault_snapshot_replica_bucket', {
        value: this.storage.replicaBucket.bucket,
        description: 'S3 bucket of the snapshots\' copy in the disaster-recovery Region',
      });
      new TerraformOutput(this, 'vault_snapshot_replica_key_arn', {
        value: this.storage.replicaKey.arn,
        description: 'KMS key of the snapshots\' copy (needed to read them back in the disaster-recovery Region)',
      });
    }
    new TerraformOutput(this, 'vault_snapshot_access_log_bucket', {
      value: this.storage.accessLogBucket.bucket,
      description: 'S3 bucket of the snapshot bucket\'s server access logs',
    });
    new TerraformOutput(this, 'vault_backup_role_arn', {
      value: this.storage.role.arn,
      description: 'IAM role the backup jobs assume (annotated on their service account with IRSA)',
    });
  }
}
