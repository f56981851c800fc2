import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { DEFAULT_BACKUP_NAMESPACE, DEFAULT_EXPIRE_AFTER_DAYS, DEFAULT_GLACIER_AFTER_DAYS, type ResolvedBackup } from '../config/backup.js';
import type { PlatformConfig } from '../config/types.js';
import {
  awsPartition, VAULT_BACKUP_SERVICE_ACCOUNT, VAULT_SNAPSHOT_KEY_PREFIX, vaultBackupKeyAlias, vaultBackupRoleName,
} from '../util/names.js';
import { policyDocument, resourcePolicyDocument, trustDocument } from './iam.js';
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
 * The bucket and the key refuse `terraform destroy` (`prevent_destroy`): they must outlive the
 * Vault cluster they back up.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-configuration-examples.html
 */
export class VaultBackupStorage extends Construct {
  public readonly key: KmsKey;
  public readonly bucket: S3Bucket;
  public readonly role: IamRole;

  constructor(scope: Construct, id: string, props: VaultBackupStorageProps) {
    super(scope, id);
    const prefix = props.keyPrefix ?? VAULT_SNAPSHOT_KEY_PREFIX;
    const glacierAfterDays = props.glacierAfterDays ?? DEFAULT_GLACIER_AFTER_DAYS;
    const expireAfterDays = props.expireAfterDays ?? DEFAULT_EXPIRE_AFTER_DAYS;
    if (!/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/.test(prefix)) {
      throw new Error(`'keyPrefix' must be S3 key segments without leading or trailing "/", got "${prefix}"`);
    }
    if (!(Number.isInteger(glacierAfterDays) && Number.isInteger(expireAfterDays) && glacierAfterDays > 0 && expireAfterDays > glacierAfterDays)) {
      throw new Error(`'expireAfterDays' (${expireAfterDays}) must be a whole number of days after 'glacierAfterDays' (${glacierAfterDays})`);
    }
    const partition = awsPartition(props.region);
    const serviceAccount = props.serviceAccount ?? { namespace: DEFAULT_BACKUP_NAMESPACE, name: VAULT_BACKUP_SERVICE_ACCOUNT };

    this.key = new KmsKey(this, 'Key', {
      description: `Vault Raft snapshots in s3://${props.bucketName}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      lifecycle: { preventDestroy: true },
    });
    new KmsAlias(this, 'KeyAlias', { name: vaultBackupKeyAlias(props.bucketName), targetKeyId: this.key.keyId });

    this.bucket = new S3Bucket(this, 'Bucket', { bucket: props.bucketName, lifecycle: { preventDestroy: true } });
    const bucket = this.bucket.id;
    new S3BucketOwnershipControls(this, 'Ownership', { bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new S3BucketPublicAccessBlock(this, 'PublicAccessBlock', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'Encryption', {
      bucket,
      rule: [{
        applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.key.arn },
        bucketKeyEnabled: true,
      }],
    });
    const versioning = new S3BucketVersioningA(this, 'Versioning', { bucket, versioningConfiguration: { status: 'Enabled' } });
    new S3BucketPolicy(this, 'Policy', {
      bucket,
      policy: resourcePolicyDocument([
        {
          sid: 'DenyPlainHttp',
          effect: 'Deny',
          principal: '*',
          actions: ['s3:*'],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          conditions: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          sid: 'DenyTlsBelow12',
          effect: 'Deny',
          principal: '*',
          actions: ['s3:*'],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          conditions: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
        },
      ]),
    });
    new S3BucketLifecycleConfiguration(this, 'Lifecycle', {
      bucket,
      // Noncurrent-version rules act on versions: AWS asks for versioning to be on first.
      dependsOn: [versioning],
      rule: [
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
      ],
    });

    this.role = new IamRole(this, 'Role', {
      name: props.roleName,
      description: `Vault backup jobs: write and read snapshots in s3://${props.bucketName}/${prefix}/`,
      assumeRolePolicy: trustDocument([workloadTrustStatement({
        identity: props.identity, serviceAccount, accountId: props.accountId, partition, irsaSid: 'VaultBackupServiceAccount',
      })]),
      maxSessionDuration: 3600,
    });
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
          conditions: { StringEquals: { 'kms:ViaService': `s3.${props.region}.${dnsSuffix(partition)}` } },
        },
      ]),
    });
    podIdentityAssociation(this, 'PodIdentity', props.identity, serviceAccount, this.role.arn);
  }
}

/** The DNS suffix of AWS endpoints in a partition. */
function dnsSuffix(partition: string): string {
  return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
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
    new AwsProvider(this, 'aws', {
      region: backup.region,
      allowedAccountIds: [platform.aws.accountId],
      defaultTags: [{ tags: { ...DEFAULT_TAGS, 'gateway-pki/component': 'vault-backup' } }],
    });
    new AwsAccountCheck(this, 'AwsAccount', { accountId: platform.aws.accountId });
    if (cluster.workloadIdentity.type === 'irsa') {
      new IrsaProviderCheck(this, 'OidcProvider', { oidcProviderArn: cluster.workloadIdentity.oidcProviderArn });
    }

    this.storage = new VaultBackupStorage(this, 'VaultBackup', {
      bucketName: backup.bucketName,
      glacierAfterDays: backup.glacierAfterDays,
      expireAfterDays: backup.expireAfterDays,
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
    new TerraformOutput(this, 'vault_backup_role_arn', {
      value: this.storage.role.arn,
      description: 'IAM role the backup jobs assume (annotated on their service account with IRSA)',
    });
  }
}
