import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { Construct } from 'constructs';
import { policyDocument, trustDocument } from './iam.js';
import { SECRETS_KEY_READ_ACTIONS, type SecretsKey, secretsManagerEndpoint } from './secrets-key.js';
import { type ServiceAccountRef, workloadTrustStatement } from './workload-identity.js';

/** What a secret id's reader may do with its secret: read the value and its metadata, nothing else. */
export const SECRET_ID_READ_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] as const;

export interface SecretIdReaderRoleProps {
  /** Role name, shared with the IRSA annotation of the reader service account in `dist/` ({@link secretIdReaderRoleName}). */
  readonly roleName: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  /** The Vault AppRole whose secret id the role reads (`cert-manager`, `vault-snapshot`), for descriptions and ids. */
  readonly appRole: string;
  /** The one secret the role reads: the secret id of `appRole` for this cluster. */
  readonly secret: AppRoleSecretIdSecret;
  /** The cluster's OIDC provider: External Secrets exchanges the service account's token with it. */
  readonly oidcProviderArn: string;
  /**
   * The service account in the one namespace that receives the secret id, whose token External
   * Secrets requests for its SecretStore there (`auth.jwt.serviceAccountRef`).
   */
  readonly serviceAccount: ServiceAccountRef;
  /** The key of the secret: the role may decrypt with it through Secrets Manager, for this secret only. */
  readonly secretsKey: SecretsKey;
}

/**
 * The IAM role that reads one namespace's Vault AppRole secret id, and nothing else: External
 * Secrets assumes it for that namespace's SecretStore, with a token of the namespace's reader
 * service account (IRSA), so that no namespace can read another's secret id and the operator's own
 * pods need no AWS rights at all.
 *
 * - Trust: the cluster's OIDC provider, for exactly `system:serviceaccount:<namespace>:<name>` and
 *   the STS audience (`sts:AssumeRoleWithWebIdentity` only).
 * - Permissions: `GetSecretValue` and `DescribeSecret` on the one secret's ARN, and `kms:Decrypt` on
 *   the cluster's secrets key through Secrets Manager only, for that secret only (the encryption
 *   context Secrets Manager sends names it: `SecretARN`). The key's policy and the secret's policy
 *   name this role too (see {@link SecretsKey}).
 *
 * EKS Pod Identity cannot do this: its credentials belong to the pod (the operator's), whichever
 * store asks; the configuration refuses such clusters where secret ids are delivered.
 *
 * @see https://external-secrets.io/latest/provider/aws-secrets-manager/
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
 */
export class SecretIdReaderRole extends Construct {
  public readonly role: IamRole;
  public readonly roleArn: string;

  constructor(scope: Construct, id: string, props: SecretIdReaderRoleProps) {
    super(scope, id);
    const sa = props.serviceAccount;
    this.role = new IamRole(this, 'Resource', {
      name: props.roleName,
      description: `External Secrets, for ${sa.namespace}/${sa.name}: reads the secret id of the Vault AppRole "${props.appRole}" in Secrets Manager`,
      assumeRolePolicy: trustDocument([workloadTrustStatement({
        identity: { type: 'irsa', oidcProviderArn: props.oidcProviderArn },
        serviceAccount: sa,
        accountId: props.accountId,
        partition: props.partition,
        irsaSid: 'SecretStoreServiceAccount',
      })]),
      maxSessionDuration: 3600,
    });
    this.roleArn = this.role.arn;
    new IamRolePolicy(this, 'ReadSecretId', {
      role: this.role.name,
      name: 'read-secret-id',
      policy: policyDocument([
        { sid: 'ReadSecretId', actions: [...SECRET_ID_READ_ACTIONS], resources: [props.secret.secret.arn] },
        {
          sid: 'DecryptSecretId',
          actions: SECRETS_KEY_READ_ACTIONS,
          resources: [props.secretsKey.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': secretsManagerEndpoint(props.region, props.partition),
              'kms:EncryptionContext:SecretARN': props.secret.secret.arn,
            },
          },
        },
      ]),
    });
  }
}

export interface AppRoleSecretIdSecretProps {
  /** Name in Secrets Manager (`appRoleSecretIdName(cluster, role)`). */
  readonly name: string;
  /** The Vault AppRole whose secret id it holds. */
  readonly appRole: string;
  /** Encrypts the value. */
  readonly secretsKey: SecretsKey;
  /**
   * The only principal that may get the value (a secret policy denies everyone else): the ARN of
   * its namespace's reader role, one of the key's readers.
   */
  readonly reader: string;
}

/**
 * An empty Secrets Manager secret for the secret id of a Vault AppRole: Terraform creates the secret,
 * never its value, so the secret id is never in Terraform's state. The rotation job (or, with
 * rotation off, an operator: docs/operations.md, "AppRole rotation") puts the value in; External
 * Secrets copies it into the one namespace that uses it, with that namespace's
 * {@link SecretIdReaderRole}, the only principal its policy lets read it.
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
    props.secretsKey.restrictReaders(`${id}Policy`, this.secret.arn, [props.reader]);
  }
}
