import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic/index.js';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy/index.js';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { policyDocument, resourcePolicyDocument, trustDocument } from '../iam.js';
import { KEY_DESTRUCTION_ACTIONS, keyAdministration } from '../kms.js';

/** The KMS API calls the alarm reports, by CloudTrail event name: {@link KEY_DESTRUCTION_ACTIONS} without the `kms:` prefix. */
export const ALARMED_KMS_EVENTS = KEY_DESTRUCTION_ACTIONS.map((action) => action.replace(/^kms:/, ''));

/** A key watched by the alarm, and where its CloudTrail events are delivered. */
export interface WatchedKey {
  readonly arn: string;
  readonly region: string;
  /** The provider of that Region; `undefined` for the stack's own. */
  readonly provider?: TerraformProvider;
}

export interface KeyDestructionAlarmProps {
  /** Prefix of the names (`<name>-seal-key-alarm`). */
  readonly name: string;
  readonly accountId: string;
  readonly partition: string;
  /** Region of the topic (the stack's). */
  readonly region: string;
  /** The keys; the first one is in `region`. */
  readonly keys: readonly WatchedKey[];
}

/**
 * Tells someone when a KMS key is about to be destroyed: an EventBridge rule matches the CloudTrail
 * events of {@link KEY_DESTRUCTION_ACTIONS} on the watched keys (made or refused: an attempt
 * refused by the key policy is worth knowing about) and publishes them to an SNS topic.
 *
 * - Topic: encrypted with a key of its own (the AWS-managed `aws/sns` key cannot let EventBridge
 *   publish), whose policy lets EventBridge use it for this account only; the topic accepts
 *   publications from the rule alone. Subscribe your on-call address to it (docs/operations.md, "Seal-key disaster recovery").
 * - Other Regions: CloudTrail delivers an event to EventBridge in the Region of the call, so each
 *   other Region's rule forwards to this Region's default event bus, through a role that may put
 *   events there and nowhere else; the rule here matches them as its own.
 * - Needs CloudTrail recording management events in each Region (any trail of the account or of
 *   its organization).
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-kms.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
 */
export class KeyDestructionAlarm extends Construct {
  public readonly topic: SnsTopic;

  constructor(scope: Construct, id: string, props: KeyDestructionAlarmProps) {
    super(scope, id);
    const { accountId, partition, region } = props;
    if (props.keys[0]?.region !== region) {
      throw new Error(`alarm ${props.name}: the first watched key must be in the topic's region ${region}, got ${props.keys[0]?.region ?? 'no key'}`);
    }
    const pattern = JSON.stringify({
      source: ['aws.kms'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['kms.amazonaws.com'],
        eventName: [...ALARMED_KMS_EVENTS],
        resources: { ARN: props.keys.map((key) => key.arn) },
      },
    });

    const topicKey = new KmsKey(this, 'TopicKey', {
      description: `Encrypts the SNS topic ${props.name}-seal-key-alarm`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: resourcePolicyDocument([
        keyAdministration(partition, accountId),
        {
          sid: 'EventBridgePublishesToTheTopic',
          principal: { Service: 'events.amazonaws.com' },
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': accountId } },
        },
      ]),
    });
    new KmsAlias(this, 'TopicKeyAlias', { name: `alias/${props.name}-seal-key-alarm`, targetKeyId: topicKey.keyId });
    this.topic = new SnsTopic(this, 'Topic', { name: `${props.name}-seal-key-alarm`, kmsMasterKeyId: topicKey.arn });

    const rule = new CloudwatchEventRule(this, 'Rule', {
      name: `${props.name}-seal-key-destruction`,
      description: `Seal key of ${props.name}: ${ALARMED_KMS_EVENTS.join(', ')} called (or refused)`,
      eventPattern: pattern,
    });
    new CloudwatchEventTarget(this, 'ToTopic', { rule: rule.name, arn: this.topic.arn, targetId: 'sns' });
    new SnsTopicPolicy(this, 'TopicPolicy', {
      arn: this.topic.arn,
      policy: resourcePolicyDocument([{
        sid: 'TheRulePublishes',
        principal: { Service: 'events.amazonaws.com' },
        actions: ['sns:Publish'],
        resources: [this.topic.arn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.arn } },
      }]),
    });

    const bus = `arn:${partition}:events:${region}:${accountId}:event-bus/default`;
    for (const key of props.keys.filter((k) => k.region !== region)) {
      const suffix = key.region.replace(/-/g, '');
      const forwarder = new IamRole(this, `ForwarderRole-${suffix}`, {
        name: `${props.name}-seal-key-alarm-${key.region}`,
        description: `Forwards the seal key's KMS events from ${key.region} to the default event bus of ${region}`,
        assumeRolePolicy: trustDocument([{
          sid: 'EventBridge', principal: { Service: 'events.amazonaws.com' }, actions: ['sts:AssumeRole'],
          conditions: { StringEquals: { 'aws:SourceAccount': accountId } },
        }]),
        maxSessionDuration: 3600,
      });
      new IamRolePolicy(this, `ForwarderPolicy-${suffix}`, {
        role: forwarder.id,
        name: 'put-events-on-primary-bus',
        policy: policyDocument([{ sid: 'PutEventsOnPrimaryBus', actions: ['events:PutEvents'], resources: [bus] }]),
      });
      const remote = new CloudwatchEventRule(this, `Rule-${suffix}`, {
        provider: key.provider,
        name: `${props.name}-seal-key-destruction`,
        description: `Seal key replica of ${props.name}: forwards ${ALARMED_KMS_EVENTS.join(', ')} to ${region}`,
        eventPattern: pattern,
      });
      new CloudwatchEventTarget(this, `ToPrimaryBus-${suffix}`, {
        provider: key.provider, rule: remote.name, arn: bus, roleArn: forwarder.arn, targetId: 'primary-bus',
      });
    }
  }
}
