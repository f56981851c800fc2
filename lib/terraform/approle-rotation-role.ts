import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { Construct } from 'constructs';
import { policyDocument, trustDocument } from './iam.js';
import { SECRETS_KEY_WRITE_ACTIONS, type SecretsKey, secretsManagerEndpoint } from './secrets-key.js';
import { type PodIdentity, podIdentityAssociation, type ServiceAccountRef, workloadTrustStatement } from './workload-identity.js';

/** What a rotation job does with the secret id secrets: put a new value, read their metadata. Never read a value. */
export const APPROLE_ROTATION_ACTIONS = ['secretsmanager:PutSecretValue', 'secretsmanager:DescribeSecret'] as const;

export interface AppRoleRotationRoleProps {
  /** Role name, shared with the IRSA annotation of the jobs' service account and with Vault's AWS auth role. */
  readonly roleName: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  /** ARNs of the Secrets Manager secrets whose value the jobs replace (Terraform references). */
  readonly secretArns: readonly string[];
  readonly identity: PodIdentity;
  readonly serviceAccount: ServiceAccountRef;
  /** The key of those secrets: the role may encrypt with it, through Secrets Manager only. */
  readonly secretsKey: SecretsKey;
}

/**
 * The IAM role of a cluster's AppRole rotation jobs. It is their identity twice: towards Secrets
 * Manager, where they put each new secret id, and towards Vault, whose AWS auth method lets this
 * role (and no other) log in to create and destroy the cluster's secret ids.
 *
 * - Trust: exactly the jobs' service account (IRSA, or EKS Pod Identity with its association).
 * - Permissions: `PutSecretValue` and `DescribeSecret` on the cluster's secret id secrets, by ARN;
 *   `kms:GenerateDataKey`/`kms:Encrypt` on their key through Secrets Manager only. No
 *   `GetSecretValue` and no `kms:Decrypt`: the job writes secret ids it made, and reads none back
 *   (the secrets' policies deny everyone but External Secrets the read anyway).
 * - Logging in to Vault takes a signed `sts:GetCallerIdentity`, which needs no permission.
 */
export class AppRoleRotationRole extends Construct {
  public readonly role: IamRole;

  constructor(scope: Construct, id: string, props: AppRoleRotationRoleProps) {
    super(scope, id);
    if (props.secretArns.length === 0) throw new Error(`rotation role ${props.roleName}: 'secretArns' must name at least one secret`);
    this.role = new IamRole(this, 'Resource', {
      name: props.roleName,
      description: 'AppRole secret id rotation: puts new secret ids in Secrets Manager, logs in to Vault (AWS auth)',
      assumeRolePolicy: trustDocument([workloadTrustStatement({
        identity: props.identity,
        serviceAccount: props.serviceAccount,
        accountId: props.accountId,
        partition: props.partition,
        irsaSid: 'AppRoleRotationServiceAccount',
      })]),
      maxSessionDuration: 3600,
    });
    new IamRolePolicy(this, 'WriteSecretIds', {
      role: this.role.name,
      name: 'write-approle-secret-ids',
      policy: policyDocument([
        { sid: 'PutSecretIds', actions: [...APPROLE_ROTATION_ACTIONS], resources: [...props.secretArns] },
        {
          sid: 'EncryptSecretIds',
          actions: SECRETS_KEY_WRITE_ACTIONS,
          resources: [props.secretsKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': secretsManagerEndpoint(props.region, props.partition) } },
        },
      ]),
    });
    podIdentityAssociation(this, 'PodIdentity', props.identity, props.serviceAccount, this.role.arn);
  }
}
