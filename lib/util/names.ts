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

/** ARN of {@link certManagerRoleName} for a cluster in `region` of account `accountId`. */
export function certManagerRoleArn(accountId: string, region: string, clusterName: string): string {
  return `arn:${awsPartition(region)}:iam::${accountId}:role/${certManagerRoleName(clusterName)}`;
}
