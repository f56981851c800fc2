import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { dependable, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { ClusterConfig, PlatformConfig } from '../config/types.js';
import { appRoleRotationSettings } from '../config/approle-rotation.js';
import { secretIdDeliveries } from '../config/vault-setup.js';
import {
  APPROLE_ROTATION_NAMESPACE, APPROLE_ROTATION_SERVICE_ACCOUNT, appRoleRotationRoleName, appRoleSecretIdName, awsPartition, certManagerRoleName, clusterSecretsPrefix, SECRET_STORE_SERVICE_ACCOUNT, secretIdReaderRoleArn,
  secretIdReaderRoleName,
} from '../util/names.js';
import { AppRoleRotationRole } from './approle-rotation-role.js';
import { AwsAccountCheck } from './aws-account-check.js';
import { CertManagerDnsRole } from './cert-manager-dns-role.js';
import { AppRoleSecretIdSecret, SecretIdReaderRole } from './external-secrets-role.js';
import { SecretsKey } from './secrets-key.js';
import { IrsaProviderCheck, type PodIdentity } from './workload-identity.js';
import { PlatformStack, type PlatformStackProps } from './platform-stack.js';

/** Tags every AWS resource of the platform carries (through the provider's `default_tags`). */
export const DEFAULT_TAGS = { 'managed-by': 'gateway-pki' } as const;

export interface ClusterAwsStackProps extends PlatformStackProps {
  readonly platform: PlatformConfig;
  readonly cluster: ClusterConfig;
}

/**
 * What one cluster's workloads need in AWS: the role cert-manager assumes for Route53 DNS-01 (the
 * name its IRSA annotation in `dist/` already points to) and, when the cluster receives Vault AppRole
 * secret ids (cert-manager's AppRole login, the backup jobs), the empty Secrets Manager secrets and,
 * for each, the role that reads it for the one namespace receiving it.
 *
 * One stack per cluster, so that a cluster's Terraform state and credentials stay its own. The
 * provider refuses to run against any account but `aws.accountId`. The backend is
 * `terraform.backend` (lib/terraform/state.ts, set by PlatformStack): never the stack's own folder.
 */
export class ClusterAwsStack extends PlatformStack {
  public readonly certManagerRole: CertManagerDnsRole;
  /** One per namespace that receives an AppRole secret id (none when the cluster receives none). */
  public readonly secretIdReaders: readonly SecretIdReaderRole[] = [];
  /** `undefined` when the cluster rotates no AppRole secret id (vault.setup.appRoleRotation). */
  public readonly appRoleRotationRole?: AppRoleRotationRole;

  constructor(scope: Construct, id: string, props: ClusterAwsStackProps) {
    super(scope, id, props);
    const { platform, cluster } = props;
    const region = cluster.region ?? platform.aws.region;

    new AwsProvider(this, 'aws', {
      region,
      allowedAccountIds: [platform.aws.accountId],
      defaultTags: [{ tags: { ...DEFAULT_TAGS, 'gateway-pki/cluster': cluster.name } }],
    });
    new AwsAccountCheck(this, 'AwsAccount', { accountId: platform.aws.accountId });
    // IRSA's workloads, or (with Pod Identity) External Secrets' SecretStores, exchange tokens with it.
    if (cluster.workloadIdentity.oidcProviderArn !== undefined) {
      new IrsaProviderCheck(this, 'OidcProvider', { oidcProviderArn: cluster.workloadIdentity.oidcProviderArn });
    }

    this.certManagerRole = new CertManagerDnsRole(this, 'CertManagerDns01', {
      roleName: certManagerRoleName(cluster.name),
      accountId: platform.aws.accountId,
      partition: awsPartition(region),
      zoneName: platform.dns.publicZone.name,
      hostedZoneID: platform.dns.publicZone.hostedZoneID,
      identity: podIdentityOf(cluster, region),
    });

    const deliveries = secretIdDeliveries(platform, cluster);
    if (deliveries.length > 0) {
      // With Pod Identity too: only the OIDC provider gives each namespace's store its own credentials.
      const oidcProviderArn = cluster.workloadIdentity.oidcProviderArn;
      if (oidcProviderArn === undefined) {
        throw new Error(`cluster ${cluster.name}: workloadIdentity.oidcProviderArn is required to deliver AppRole secret ids (${deliveries.map((d) => d.appRole).join(', ')}): each namespace's SecretStore assumes its own role through it`);
      }
      const partition = awsPartition(region);
      // The roles' ARNs by name: the key policy is created before the roles, which refer to the key.
      const readerArn = (appRole: string) => secretIdReaderRoleArn(platform.aws.accountId, region, cluster.name, appRole);
      const secretsKey = new SecretsKey(this, 'SecretsKey', {
        alias: `alias/gateway-pki-${cluster.name}-secrets`,
        description: `Cluster ${cluster.name}: encrypts the AppRole secret ids ${clusterSecretsPrefix(cluster.name)}*, each read by its namespace's role only`,
        accountId: platform.aws.accountId,
        partition,
        region,
        readers: deliveries.map((delivery) => readerArn(delivery.appRole)),
      });
      const readers: SecretIdReaderRole[] = [];
      const secrets: AppRoleSecretIdSecret[] = [];
      for (const { appRole, namespace } of deliveries) {
        const secret = new AppRoleSecretIdSecret(this, `SecretId-${appRole}`, {
          name: appRoleSecretIdName(cluster.name, appRole), appRole, secretsKey, reader: readerArn(appRole),
        });
        secrets.push(secret);
        const reader = new SecretIdReaderRole(this, `SecretIdReader-${appRole}`, {
          roleName: secretIdReaderRoleName(cluster.name, appRole),
          accountId: platform.aws.accountId,
          region,
          partition,
          appRole,
          secret,
          oidcProviderArn,
          serviceAccount: { namespace, name: SECRET_STORE_SERVICE_ACCOUNT },
          secretsKey,
        });
        readers.push(reader);
        new TerraformOutput(this, `secret_id_reader_role_arn_${appRole.replaceAll('-', '_')}`, {
          value: reader.roleArn,
          description: `IAM role External Secrets assumes, for namespace ${namespace} only, to read the secret id of the AppRole "${appRole}"`,
        });
      }
      this.secretIdReaders = readers;
      // KMS refuses a key policy naming a principal that does not exist yet.
      secretsKey.key.dependsOn = readers.map((reader) => dependable(reader.role));

      const rotation = appRoleRotationSettings(platform, cluster);
      if (rotation) {
        const rotated = new Set(rotation.appRoles.map((r) => r.name));
        this.appRoleRotationRole = new AppRoleRotationRole(this, 'AppRoleRotation', {
          roleName: appRoleRotationRoleName(cluster.name),
          accountId: platform.aws.accountId,
          region,
          partition,
          secretArns: secrets.filter((secret) => rotated.has(secret.appRole)).map((secret) => secret.secret.arn),
          identity: podIdentityOf(cluster, region),
          serviceAccount: { namespace: APPROLE_ROTATION_NAMESPACE, name: APPROLE_ROTATION_SERVICE_ACCOUNT },
          secretsKey,
        });
        new TerraformOutput(this, 'approle_rotation_role_arn', {
          value: this.appRoleRotationRole.role.arn,
          description: 'IAM role of the AppRole rotation jobs: writes the secret ids, and logs in to Vault\'s AWS auth',
        });
      }
    }

    new TerraformOutput(this, 'cert_manager_role_arn', {
      value: this.certManagerRole.roleArn,
      description: 'IAM role cert-manager assumes for Route53 DNS-01 (annotated on its service account with IRSA)',
    });
  }
}

/** How the cluster's pods assume IAM roles, from its configuration. */
function podIdentityOf(cluster: ClusterConfig, region: string): PodIdentity {
  return cluster.workloadIdentity.type === 'irsa'
    ? { type: 'irsa', oidcProviderArn: cluster.workloadIdentity.oidcProviderArn }
    : { type: 'pod-identity', eksClusterName: cluster.workloadIdentity.eksClusterName ?? cluster.name, region };
}

/** The Terraform stack name of a cluster: `<cluster>-aws`, the folder under `cdktf.out/stacks/`. */
export function clusterStackName(cluster: ClusterConfig): string {
  return `${cluster.name}-aws`;
}
