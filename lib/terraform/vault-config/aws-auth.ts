import { AuthBackend } from '@cdktf/provider-vault/lib/auth-backend/index.js';
import { AwsAuthBackendClient } from '@cdktf/provider-vault/lib/aws-auth-backend-client/index.js';
import { AwsAuthBackendRole } from '@cdktf/provider-vault/lib/aws-auth-backend-role/index.js';
import { Construct } from 'constructs';
import { awsDnsSuffix, VAULT_AWS_AUTH_PATH } from '../../util/names.js';

/** One IAM role that may log in, and what its token may do. */
export interface AwsAuthLogin {
  /** Vault role name, in the login (`vault login -method=aws role=<name>`). */
  readonly name: string;
  /** The one IAM role (its ARN) that may log in as it. */
  readonly iamRoleArn: string;
  readonly policies: readonly string[];
  /** Token lifetime in seconds, not renewable past it. */
  readonly tokenTtlSeconds: number;
  /** How many requests the token serves. @default 0 (unlimited within its lifetime) */
  readonly tokenNumUses?: number;
}

export interface VaultAwsAuthProps {
  /** Region of the Vault servers: logins are checked with the STS endpoint there. */
  readonly region: string;
  readonly partition: string;
  /**
   * The value every login must sign in its `X-Vault-AWS-IAM-Server-ID` header (Vault's server
   * name): a signed request made for another Vault cannot be replayed here.
   */
  readonly serverIdHeader: string;
  readonly logins: readonly AwsAuthLogin[];
}

/**
 * Vault's AWS auth method, `iam` type only: a workload proves its IAM role with a signed
 * `sts:GetCallerIdentity` that Vault forwards to the regional STS endpoint, so no secret is
 * handed to it. The Vault nodes' launch gate and the AppRole rotation jobs log in here.
 *
 * - Each role binds exactly one IAM role ARN, resolved to its unique id (`resolve_aws_unique_ids`:
 *   a role deleted and created again under the same name does not inherit the login; the Vault
 *   nodes' own role may call `iam:GetRole` on these ARNs for that).
 * - The `X-Vault-AWS-IAM-Server-ID` header is required and must be Vault's server name.
 * - Tokens are short, not renewable past their TTL; no EC2-type (instance identity) login.
 *
 * @see https://developer.hashicorp.com/vault/docs/auth/aws#iam-auth-method
 */
export class VaultAwsAuth extends Construct {
  public readonly backend: AuthBackend;
  public readonly roles: readonly AwsAuthBackendRole[];

  constructor(scope: Construct, id: string, props: VaultAwsAuthProps) {
    super(scope, id);
    if (props.logins.length === 0) throw new Error('the AWS auth method needs at least one login');
    this.backend = new AuthBackend(this, 'Resource', {
      type: 'aws',
      path: VAULT_AWS_AUTH_PATH,
      description: 'IAM roles of the platform (the Vault nodes\' launch gate, the AppRole rotation jobs), proven by signed sts:GetCallerIdentity',
    });
    const client = new AwsAuthBackendClient(this, 'Client', {
      backend: this.backend.path,
      stsEndpoint: `https://sts.${props.region}.${awsDnsSuffix(props.partition)}`,
      stsRegion: props.region,
      iamServerIdHeaderValue: props.serverIdHeader,
    });
    this.roles = props.logins.map((login) => new AwsAuthBackendRole(this, `Role-${login.name}`, {
      backend: this.backend.path,
      role: login.name,
      authType: 'iam',
      boundIamPrincipalArns: [login.iamRoleArn],
      resolveAwsUniqueIds: true,
      tokenPolicies: [...login.policies],
      tokenTtl: login.tokenTtlSeconds,
      tokenMaxTtl: login.tokenTtlSeconds,
      tokenNumUses: login.tokenNumUses ?? 0,
      dependsOn: [client],
    }));
  }
}
