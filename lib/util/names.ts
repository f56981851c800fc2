/**
 * Names that two parts of the platform must agree on, derived in one place.
 *
 * Names are contracts (STYLE.md 1.6): renaming one renames the object it names, so Flux prunes
 * and recreates it, or Terraform plans a replacement. Derive them here and nowhere else.
 */

/** The label every object we emit carries, so that a reader (or `kubectl get -l`) can tell ours apart. */
export const MANAGED_BY_LABEL = { 'app.kubernetes.io/managed-by': 'gateway-pki' } as const;

/**
 * Name of the IAM role that cert-manager assumes to solve DNS-01 challenges in Route53.
 *
 * The Terraform side creates the role under this very name, so the IRSA annotation written into
 * `dist/` and the role agree by construction. IAM role names are limited to 64 characters; a
 * cluster name is at most 63, so the suffix is kept short and the result truncated predictably.
 */
export function certManagerRoleName(clusterName: string): string {
  return `${clusterName}-cert-manager-dns01`.slice(0, 64);
}

/**
 * AWS partition of a region: `aws-cn` for China, `aws-us-gov` for GovCloud, `aws` elsewhere.
 * ARNs we derive (rather than read from Terraform) must carry the right one.
 */
export function awsPartition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The DNS suffix of AWS service endpoints in a partition: `amazonaws.com.cn` in China. */
export function awsDnsSuffix(partition: string): string {
  return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/** ARN of {@link certManagerRoleName} for a cluster in `region` of account `accountId`. */
export function certManagerRoleArn(accountId: string, region: string, clusterName: string): string {
  return `arn:${awsPartition(region)}:iam::${accountId}:role/${certManagerRoleName(clusterName)}`;
}

/** Prefix of the AWS Secrets Manager secrets of a cluster (its AppRole secret ids). */
export function clusterSecretsPrefix(clusterName: string): string {
  return `gateway-pki/${clusterName}/`;
}

/**
 * Name, in AWS Secrets Manager, of the secret holding the secret id of a Vault AppRole for a cluster
 * (`cert-manager`, `vault-snapshot`). The Terraform stack creates the secret, empty; an operator
 * puts the secret id in (docs/operations.md, "AppRole rotation"); an ExternalSecret copies it into
 * the cluster.
 */
export function appRoleSecretIdName(clusterName: string, appRole: string): string {
  return `${clusterSecretsPrefix(clusterName)}vault-approle/${appRole}`;
}

/** Namespace of cert-manager (and trust-manager), where its AppRole secret id is delivered. */
export const CERT_MANAGER_NAMESPACE = 'cert-manager';

/** The AppRole roles of the platform, as the Vault configuration stack names them. */
export const CERT_MANAGER_APPROLE = 'cert-manager';
export const SNAPSHOT_APPROLE = 'vault-snapshot';

/**
 * Name of the namespaced SecretStore (AWS Secrets Manager) in each namespace that receives an
 * AppRole secret id: the namespace's ExternalSecret reads from it, and from nothing else.
 */
export const SECRET_STORE_NAME = 'aws-secrets-manager';

/**
 * The service account, in each namespace that receives an AppRole secret id, whose token External
 * Secrets exchanges for that namespace's reader role (IRSA): the role trusts exactly it.
 */
export const SECRET_STORE_SERVICE_ACCOUNT = 'aws-secrets-reader';

/** Namespace and service account of the External Secrets Operator's controller, pinned by the Helm values in `dist/`. */
export const EXTERNAL_SECRETS_NAMESPACE = 'external-secrets';

/** `clusters[].gateways.namespace` when omitted: the Gateways, their certificates and Secrets. */
export const DEFAULT_GATEWAYS_NAMESPACE = 'gateways';
export const EXTERNAL_SECRETS_SERVICE_ACCOUNT = 'external-secrets';

/**
 * Name of the Vault ClusterIssuer. With Kubernetes auth, cert-manager requests the service account
 * token for the audience `vault://<issuer name>`, which the Vault role binds.
 */
export const VAULT_ISSUER_NAME = 'vault';

/**
 * Name of the IAM role that reads one AppRole's secret id (`cert-manager`, `vault-snapshot`) of a
 * cluster, for the one namespace that receives it: `<cluster>-<appRole>-secret-id`. The cluster
 * name is shortened, not the suffix, so that the roles of one cluster never share a name within
 * IAM's 64 characters.
 */
export function secretIdReaderRoleName(clusterName: string, appRole: string): string {
  const suffix = `-${appRole}-secret-id`;
  return `${clusterName.slice(0, 64 - suffix.length)}${suffix}`;
}

/** ARN of {@link secretIdReaderRoleName}. */
export function secretIdReaderRoleArn(accountId: string, region: string, clusterName: string, appRole: string): string {
  return `arn:${awsPartition(region)}:iam::${accountId}:role/${secretIdReaderRoleName(clusterName, appRole)}`;
}

/** Name of the IAM role the Vault backup jobs of a cluster assume (IRSA or Pod Identity). */
export function vaultBackupRoleName(clusterName: string): string {
  return `${clusterName}-vault-backup`.slice(0, 64);
}

/** ARN of {@link vaultBackupRoleName}. */
export function vaultBackupRoleArn(accountId: string, region: string, clusterName: string): string {
  return `arn:${awsPartition(region)}:iam::${accountId}:role/${vaultBackupRoleName(clusterName)}`;
}

/** Default S3 bucket of the Vault snapshots: account and region make it globally unique. */
export function defaultBackupBucketName(accountId: string, region: string): string {
  return `${accountId}-${region}-vault-snapshots`;
}

/** The service account of the backup jobs: the IAM role trusts it (IRSA) or is associated with it (Pod Identity). */
export const VAULT_BACKUP_SERVICE_ACCOUNT = 'vault-backup';

/**
 * Prefix of the snapshot objects in the bucket (`raft/YYYY/MM/DD/vault-<UTC time>.snap`): the backup
 * role may write and read under it only.
 */
export const VAULT_SNAPSHOT_KEY_PREFIX = 'raft';

/**
 * Alias of the snapshots' KMS key, named after its bucket: the jobs name the key by this alias
 * (`--sse-kms-key-id`), whose ARN is known before the key exists.
 */
export function vaultBackupKeyAlias(bucketName: string): string {
  return `alias/${bucketName}`;
}

/** ARN of {@link vaultBackupKeyAlias} in `region` of account `accountId`. */
export function vaultBackupKeyAliasArn(accountId: string, region: string, bucketName: string): string {
  return `arn:${awsPartition(region)}:kms:${region}:${accountId}:${vaultBackupKeyAlias(bucketName)}`;
}

/** Terraform stack of the Vault servers on AWS. */
export const VAULT_AWS_STACK = 'vault-aws';
/** Terraform stack that configures Vault itself (PKI, AppRoles, policies), applied once Vault is initialised. */
export const VAULT_CONFIG_STACK = 'vault-config';
/** Terraform stack of the snapshot bucket, its key and the backup role: it outlives the Vault cluster. */
export const VAULT_BACKUP_STACK = 'vault-backup-aws';

/** The label Kubernetes sets on every namespace to its own name, which namespace selectors match on. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * Namespace of the AppRole secret-id rotation CronJobs, and their service account: the rotation
 * role in IAM trusts exactly it, and Vault's AWS auth role is bound to that IAM role.
 */
export const APPROLE_ROTATION_NAMESPACE = 'vault-approle-rotation';
export const APPROLE_ROTATION_SERVICE_ACCOUNT = 'approle-rotation';

/** The rotation CronJob of one AppRole: `rotate-<role>-secret-id`. */
export function appRoleRotationCronJobName(appRole: string): string {
  return `rotate-${appRole}-secret-id`;
}

/** Name of the IAM role a cluster's rotation jobs assume: they write its secret ids and log in to Vault as it. */
export function appRoleRotationRoleName(clusterName: string): string {
  return `${clusterName}-approle-rotation`.slice(0, 64);
}

/** ARN of {@link appRoleRotationRoleName}. */
export function appRoleRotationRoleArn(accountId: string, region: string, clusterName: string): string {
  return `arn:${awsPartition(region)}:iam::${accountId}:role/${appRoleRotationRoleName(clusterName)}`;
}

/**
 * Mount path of Vault's AWS auth method (IAM principals prove who they are with a signed
 * `sts:GetCallerIdentity`): the Vault nodes' launch gate and the rotation jobs log in there.
 */
export const VAULT_AWS_AUTH_PATH = 'aws';

/** Vault role of the nodes' launch gate: reads autopilot's state, nothing else. */
export const VAULT_NODE_GATE_ROLE = 'vault-node-gate';

/** Vault role (AWS auth) and policy of one cluster's rotation jobs. */
export function appRoleRotationVaultRole(clusterName: string): string {
  return `approle-rotation-${clusterName}`;
}

/** `vaultCluster.name` when omitted. */
export const DEFAULT_VAULT_CLUSTER_NAME = 'vault';

/** Name of the IAM role of the Vault nodes of `vaultCluster.name` (the vault-aws stack creates it). */
export function vaultNodeRoleName(vaultClusterName: string): string {
  return `${vaultClusterName}-node`;
}

/** ARN of {@link vaultNodeRoleName}. */
export function vaultNodeRoleArn(accountId: string, region: string, vaultClusterName: string): string {
  return `arn:${awsPartition(region)}:iam::${accountId}:role/${vaultNodeRoleName(vaultClusterName)}`;
}
