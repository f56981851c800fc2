import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { Construct } from 'constructs';
import { awsDnsSuffix } from '../../util/names.js';
import { type PolicyStatement, resourcePolicyDocument } from '../iam.js';
import { keyAdministration } from '../kms.js';

/**
 * What the CloudWatch agent needs to write into an existing log group: create its stream (one per
 * instance), find it again after a restart, put events. Not `CreateLogGroup` nor
 * `PutRetentionPolicy`: the group and its retention are this stack's.
 */
export const AUDIT_LOG_SHIPPING_ACTIONS = ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'] as const;

/**
 * What a service encrypting with the key does (AWS's documented key policies, actions named): CloudWatch
 * Logs for the log group, the Auto Scaling group's service-linked role for the volumes it launches.
 */
const KEY_USE_ACTIONS = [
  'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

export interface VaultAuditLogProps {
  /** The cluster's name: the log group is `/gateway-pki/<name>/audit`, the key's alias `alias/<name>-audit`. */
  readonly name: string;
  /** Product name, for descriptions. */
  readonly product: string;
  readonly accountId: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
  /** Days CloudWatch Logs keeps the events (one of the values it accepts, checked by the configuration). @default 365 */
  readonly retentionDays?: number;
  /** @default 30 */
  readonly keyDeletionWindowDays?: number;
}

/**
 * Where Vault's audit trail goes when it leaves the node: a CloudWatch log group with a retention,
 * encrypted with its own KMS key, which also encrypts each node's audit volume.
 *
 * - **Key**: rotation on, an explicit policy: the account administers it (named actions), CloudWatch
 *   Logs uses it for this log group only (encryption context), the Auto Scaling service-linked role
 *   uses it for the volumes it launches (and grants EC2 its use for the volume's life).
 * - **Log group**: `/gateway-pki/<name>/audit`, one stream per instance; its name and ARN are
 *   literals, known at synth, so that the key policy can name the group the group is encrypted with.
 * - **Shipping**: {@link shippingStatement} is the node role's whole access: create a stream and put
 *   events into this group, nothing else (no read, no delete, no other group).
 */
export class VaultAuditLog extends Construct {
  public readonly logGroupName: string;
  /** `arn:…:log-group:<name>` (without `:*`). */
  public readonly logGroupArn: string;
  public readonly keyArn: string;
  public readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: VaultAuditLogProps) {
    super(scope, id);
    const partition = props.partition ?? 'aws';
    this.logGroupName = `/gateway-pki/${props.name}/audit`;
    this.logGroupArn = `arn:${partition}:logs:${props.region}:${props.accountId}:log-group:${this.logGroupName}`;
    const key = new KmsKey(this, 'Key', {
      description: `${props.product} audit trail of cluster ${props.name}: audit volumes and the CloudWatch log group`,
      keyUsage: 'ENCRYPT_DECRYPT',
      customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      enableKeyRotation: true,
      deletionWindowInDays: props.keyDeletionWindowDays ?? 30,
      policy: auditKeyPolicy({ partition, accountId: props.accountId, region: props.region, logGroupArn: this.logGroupArn }),
      // Without the key, the log group and the volumes cannot be read again.
      lifecycle: { preventDestroy: true },
    });
    new KmsAlias(this, 'KeyAlias', { name: `alias/${props.name}-audit`, targetKeyId: key.keyId });
    this.keyArn = key.arn;
    this.logGroup = new CloudwatchLogGroup(this, 'Resource', {
      name: this.logGroupName,
      retentionInDays: props.retentionDays ?? 365,
      kmsKeyId: key.arn,
      // The audit trail outlives the cluster: `terraform destroy` of the stack must not take it.
      lifecycle: { preventDestroy: true },
    });
  }

  /** The node role's statement: write this group's streams, and nothing more. */
  public shippingStatement(): PolicyStatement {
    // `<group>:*` is how IAM names the group's streams and the group itself for stream actions; a
    // group name cannot hold ":", so no other group matches.
    return { sid: 'AuditLogShipping', actions: [...AUDIT_LOG_SHIPPING_ACTIONS], resources: [`${this.logGroupArn}:*`] };
  }
}

/**
 * The audit key's policy: the account administers it; CloudWatch Logs of the Region (its service
 * principal carries the partition's DNS suffix: `logs.<region>.amazonaws.com.cn` in China) uses it
 * for this log group only; the Auto Scaling service-linked role uses it for the volumes it
 * launches, and may grant EC2 its use for them.
 */
function auditKeyPolicy(props: { partition: string; accountId: string; region: string; logGroupArn: string }): string {
  const { partition, accountId, region } = props;
  const autoScaling = { AWS: autoScalingServiceRole(partition, accountId) };
  return resourcePolicyDocument([
    keyAdministration(partition, accountId),
    {
      sid: 'CloudWatchLogsEncryptsTheAuditLogGroup',
      principal: { Service: `logs.${region}.${awsDnsSuffix(partition)}` },
      actions: KEY_USE_ACTIONS,
      resources: ['*'],
      conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': props.logGroupArn } },
    },
    { sid: 'AutoScalingEncryptsTheAuditVolumes', principal: autoScaling, actions: KEY_USE_ACTIONS, resources: ['*'] },
    {
      sid: 'AutoScalingGrantsEc2TheVolumeKey',
      principal: autoScaling,
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      // Only grants to AWS services for the volumes they attach, never to a principal.
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    },
  ]);
}

/** The service-linked role Auto Scaling launches instances with (created by AWS on the first group of the account). */
function autoScalingServiceRole(partition: string, accountId: string): string {
  return `arn:${partition}:iam::${accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
}
