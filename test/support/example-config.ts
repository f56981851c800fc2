/**
 * A second cluster for tests, copied from the first: its own name and, with IRSA, its own OIDC
 * provider (two clusters may never share one: lib/config/check-ownership.ts).
 */
export function secondCluster(first: any, name = 'mycluster-1'): any {
  const copy = { ...structuredClone(first), name };
  const arn: unknown = copy.workloadIdentity?.oidcProviderArn;
  if (typeof arn === 'string') {
    // The provider's id: 32 hexadecimal digits, replaced by others of the same form.
    copy.workloadIdentity.oidcProviderArn = arn.replace(/\/id\/[0-9A-F]{32}$/, `/id/${'FEDCBA9876543210'.repeat(2)}`);
  }
  return copy;
}
