import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { SecretsmanagerSecretPolicy } from '@cdktf/provider-aws/lib/secretsmanager-secret-policy/index.js';
import { Construct } from 'constructs';
import { awsDnsSuffix } from '../util/names.js';
import { resourcePolicyDocument } from './iam.js';
import { accountPrincipal, keyAdministration } from './kms.js';

/** What a reader of the secrets may do with their key, through Secrets Manager only. */
export const SECRETS_KEY_READ_ACTIONS = ['kms:Decrypt'] as const;
/** What writing a secret value takes (PutSecretValue encrypts under a new data key). */
export const SECRETS_KEY_WRITE_ACTIONS = ['kms:GenerateDataKey', 'kms:Encrypt'] as const;

export interface SecretsKeyProps {
  /** `alias/…` of the key. */
  readonly alias: string;
  readonly description: string;
  readonly accountId: string;
  readonly partition: string;
  /** Region of the secrets: the key is used through `secretsmanager.<region>.<suffix>` only. */
  readonly region: string;
  /**
   * The only principals that may decrypt the secrets (and so read them): role ARNs, or Terraform
   * expressions that resolve to them.
   */
  readonly readers: readonly string[];
  /** @default 30 */
  readonly deletionWindowDays?: number;
}

/**
 * A customer-managed KMS key for a set of Secrets Manager secrets, and the secret policies that
 * go with it.
 *
 * - Key policy: the account administers the key (named actions); writing goes through the
 *   account's IAM policies (operators and jobs that put a new value need `kms:GenerateDataKey` on
 *   this key in their own policy); decrypting is for `readers` only, and only through Secrets
 *   Manager in `region`. An IAM policy granting `kms:Decrypt` on `*` to someone else gives them
 *   nothing here.
 * - {@link restrictReaders}: a secret policy that denies `secretsmanager:GetSecretValue` to every
 *   principal but `readers`, so that a broad `GetSecretValue` in someone's IAM policy is refused
 *   before KMS is even asked.
 *
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_resource-policies.html
 */
export class SecretsKey extends Construct {
  public readonly key: KmsKey;
  public readonly keyArn: string;
  private readonly readers: readonly string[];

  constructor(scope: Construct, id: string, props: SecretsKeyProps) {
    super(scope, id);
    if (props.readers.length === 0) throw new Error(`secrets key ${props.alias}: 'readers' must name at least one principal`);
    this.readers = props.readers;
    const viaSecretsManager = { StringEquals: { 'kms:ViaService': secretsManagerEndpoint(props.region, props.partition) } };
    this.key = new KmsKey(this, 'Resource', {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowDays ?? 30,
      policy: resourcePolicyDocument([
        keyAdministration(props.partition, props.accountId),
        {
          sid: 'AccountWritesThroughSecretsManager',
          principal: { AWS: accountPrincipal(props.partition, props.accountId) },
          actions: SECRETS_KEY_WRITE_ACTIONS,
          resources: ['*'],
          conditions: viaSecretsManager,
        },
        {
          sid: 'ReadersDecryptThroughSecretsManager',
          principal: { AWS: [...props.readers] },
          actions: SECRETS_KEY_READ_ACTIONS,
          resources: ['*'],
          conditions: viaSecretsManager,
        },
      ]),
    });
    this.keyArn = this.key.arn;
    new KmsAlias(this, 'Alias', { name: props.alias, targetKeyId: this.key.keyId });
  }

  /**
   * Attaches to `secretArn` a policy denying `GetSecretValue` to every principal but `readers`: by
   * default all of the key's readers; a secret read by one of them only names that one.
   * @throws Error when `readers` is empty or names a principal that is not a reader of the key
   */
  public restrictReaders(id: string, secretArn: string, readers: readonly string[] = this.readers): SecretsmanagerSecretPolicy {
    if (readers.length === 0) throw new Error(`secret policy ${id}: 'readers' must name at least one principal`);
    const strangers = readers.filter((reader) => !this.readers.includes(reader));
    if (strangers.length > 0) throw new Error(`secret policy ${id}: ${strangers.join(', ')} cannot decrypt with the key, so cannot read the secret; name readers of the key only`);
    return new SecretsmanagerSecretPolicy(this, id, {
      secretArn,
      blockPublicPolicy: true,
      policy: resourcePolicyDocument([{
        sid: 'OnlyReadersGetTheValue',
        effect: 'Deny',
        principal: { AWS: '*' },
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': [...readers] } },
      }]),
    });
  }
}

/** The Secrets Manager endpoint of a Region, as `kms:ViaService` names it. */
export function secretsManagerEndpoint(region: string, partition: string): string {
  return `secretsmanager.${region}.${awsDnsSuffix(partition)}`;
}
