import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { Construct } from 'constructs';
import { policyDocument, trustDocument } from './iam.js';
import { SECRETS_KEY_READ_ACTIONS, type SecretsKey, secretsManagerEndpoint } from './secrets-key.js';
import { type PodIdentity, podIdentityAssociation, type ServiceAccountRef, workloadTrustStatement } from './workload-identity.js';

/** What External Secrets may do with the cluster's secrets: read a value and its metadata, nothing else. */
export const EXTERNAL_SECRETS_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] as const;

export interface ExternalSecretsRoleProps {
  /** Role name, shared with the IRSA annotation of External Secrets' service account. */
  readonly roleName: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  /** Name prefix of the secrets the role reads (`gateway-pki/<cluster>/`); each secret is under it. */
  readonly secretsPrefix: string;
  readonly identity: PodIdentity;
  readonly serviceAccount: ServiceAccountRef;
  /** The key of the secrets under `secretsPrefix`: the role may decrypt with it through Secrets Manager. */
  readonly secretsKey: SecretsKey;
}

/**
 * The IAM role of a cluster's External Secrets Operator: it reads the secrets named under the
 * cluster's prefix in AWS Secrets Manager, and nothing more.
 *
 * - Trust: exactly the operator's service account (IRSA, or EKS Pod Identity with its association).
 * - Permissions: `GetSecretValue` and `DescribeSecret` on
 *   `arn:<partition>:secretsmanager:<region>:<account>:secret:<prefix>*` (Secrets Manager appends a
 *   random suffix to every secret's ARN, hence the trailing `*` after the name prefix), and
 *   `kms:Decrypt` on the secrets' customer-managed key through Secrets Manager only (the key's
 *   policy names this role as a reader, see {@link SecretsKey}).
 *
 * @see https://external-secrets.io/latest/provider/aws-secrets-manager/
 */
export class ExternalSecretsRole extends Construct {
  public readonly role: IamRole;
  public readonly roleArn: string;

  constructor(scope: Construct, id: string, props: ExternalSecretsRoleProps) {
    super(scope, id);
    const secretsArn = `arn:${props.partition}:secretsmanager:${props.region}:${props.accountId}:secret:${props.secretsPrefix}*`;
    this.role = new IamRole(this, 'Resource', {
      name: props.roleName,
      description: `External Secrets Operator: reads the secrets ${props.secretsPrefix}* in Secrets Manager`,
      assumeRolePolicy: trustDocument([workloadTrustStatement({
        identity: props.identity,
        serviceAccount: props.serviceAccount,
        accountId: props.accountId,
        partition: props.partition,
        irsaSid: 'ExternalSecretsServiceAccount',
      })]),
      maxSessionDuration: 3600,
    });
    this.roleArn = this.role.arn;
    new IamRolePolicy(this, 'ReadSecrets', {
      role: this.role.name,
      name: 'read-cluster-secrets',
      policy: policyDocument([
        { sid: 'ReadClusterSecrets', actions: [...EXTERNAL_SECRETS_ACTIONS], resources: [secretsArn] },
        {
          sid: 'DecryptClusterSecrets',
          actions: SECRETS_KEY_READ_ACTIONS,
          resources: [props.secretsKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': secretsManagerEndpoint(props.region, props.partition) } },
        },
      ]),
    });
    podIdentityAssociation(this, 'PodIdentity', props.identity, props.serviceAccount, this.role.arn);
  }
}

export interface AppRoleSecretIdSecretProps {
  /** Name in Secrets Manager (`appRoleSecretIdName(cluster, role)`). */
  readonly name: string;
  /** The Vault AppRole whose secret id it holds. */
  readonly appRole: string;
  /** Encrypts the value; its readers alone may get it (a secret policy denies everyone else). */
  readonly secretsKey: SecretsKey;
}

/**
 * An empty Secrets Manager secret for the secret id of a Vault AppRole: Terraform creates the secret,
 * never its value, so the secret id is never in Terraform's state. The rotation job (or, with
 * rotation off, an operator: README, "Rotate an AppRole secret id") puts the value in; External
 * Secrets copies it into the cluster.
 */
export class AppRoleSecretIdSecret extends Construct {
  public readonly secret: SecretsmanagerSecret;
  public readonly appRole: string;

  constructor(scope: Construct, id: string, props: AppRoleSecretIdSecretProps) {
    super(scope, id);
    this.appRole = props.appRole;
    this.secret = new SecretsmanagerSecret(this, 'Resource', {
      name: props.name,
      description: `Secret id of the Vault AppRole "${props.appRole}", put in by its rotation job or an operator (never by Terraform)`,
      kmsKeyId: props.secretsKey.keyArn,
    });
    props.secretsKey.restrictReaders(`${id}Policy`, this.secret.arn);
  }
}
