/**
 * How a Kubernetes service account of an EKS cluster assumes an IAM role: the trust statement (IRSA
 * or EKS Pod Identity) and, for Pod Identity, the association. Shared by every role a workload of the
 * platform assumes (cert-manager's DNS-01 role, External Secrets' role).
 */
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association/index.js';
import type { Construct } from 'constructs';
import type { TrustStatement } from './iam.js';

/** The Kubernetes service account that assumes the role. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** How the cluster's pods assume IAM roles. */
export type PodIdentity =
  | { readonly type: 'irsa'; readonly oidcProviderArn: string }
  | { readonly type: 'pod-identity'; readonly eksClusterName: string; readonly region: string };

export interface WorkloadTrustProps {
  readonly identity: PodIdentity;
  readonly serviceAccount: ServiceAccountRef;
  /** The account of the role (and of the EKS cluster, with Pod Identity). */
  readonly accountId: string;
  /** AWS partition of the ARNs. */
  readonly partition: string;
  /** Statement id of the IRSA statement, naming the workload. */
  readonly irsaSid: string;
}

/**
 * The trust statement letting exactly one service account assume a role: the cluster's OIDC
 * provider for `system:serviceaccount:<namespace>:<name>` with the STS audience (IRSA), or EKS Pod
 * Identity from this account and cluster.
 * @throws Error when the IRSA provider ARN is not an OIDC provider ARN
 */
export function workloadTrustStatement(props: WorkloadTrustProps): TrustStatement {
  const { identity, serviceAccount: sa } = props;
  if (identity.type === 'irsa') {
    const issuer = identity.oidcProviderArn.split(':oidc-provider/')[1];
    if (!issuer) throw new Error(`'oidcProviderArn' must be an IAM OIDC provider ARN, got "${identity.oidcProviderArn}"`);
    return {
      sid: props.irsaSid,
      principal: { Federated: identity.oidcProviderArn },
      actions: ['sts:AssumeRoleWithWebIdentity'],
      conditions: {
        StringEquals: {
          [`${issuer}:sub`]: `system:serviceaccount:${sa.namespace}:${sa.name}`,
          [`${issuer}:aud`]: 'sts.amazonaws.com',
        },
      },
    };
  }
  return {
    sid: 'EksPodIdentity',
    principal: { Service: 'pods.eks.amazonaws.com' },
    actions: ['sts:AssumeRole', 'sts:TagSession'],
    conditions: {
      StringEquals: { 'aws:SourceAccount': props.accountId },
      ArnEquals: { 'aws:SourceArn': `arn:${props.partition}:eks:${identity.region}:${props.accountId}:cluster/${identity.eksClusterName}` },
    },
  };
}

/** With Pod Identity, the association of the service account with the role; nothing with IRSA. */
export function podIdentityAssociation(
  scope: Construct, id: string, identity: PodIdentity, serviceAccount: ServiceAccountRef, roleArn: string,
): EksPodIdentityAssociation | undefined {
  if (identity.type !== 'pod-identity') return undefined;
  return new EksPodIdentityAssociation(scope, id, {
    clusterName: identity.eksClusterName,
    namespace: serviceAccount.namespace,
    serviceAccount: serviceAccount.name,
    roleArn,
  });
}
