/**
 * How a Kubernetes service account of an EKS cluster assumes an IAM role: the trust statement (IRSA
 * or EKS Pod Identity) and, for Pod Identity, the association. Shared by every role a workload of the
 * platform assumes (cert-manager's DNS-01 role, the backup role; the secret id readers, IRSA only).
 */
import { DataAwsIamOpenidConnectProvider } from '@cdktf/provider-aws/lib/data-aws-iam-openid-connect-provider/index.js';
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association/index.js';
import { Construct } from 'constructs';
import type { TrustStatement } from './iam.js';

/** The audience of the service account tokens IRSA exchanges, which the OIDC provider must accept. */
export const IRSA_AUDIENCE = 'sts.amazonaws.com';

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
          [`${issuer}:aud`]: IRSA_AUDIENCE,
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

export interface IrsaProviderCheckProps {
  /** The cluster's IAM OIDC provider, as the roles' trust statements name it. */
  readonly oidcProviderArn: string;
}

/**
 * Reads the cluster's IAM OIDC provider at plan time and stops the plan unless it accepts the STS
 * audience ({@link IRSA_AUDIENCE}) that the IRSA trust statements require.
 *
 * Without this, a missing provider (the EKS cluster not created yet, or the ARN of another account:
 * a role can only trust a provider of its own account) or one created without that client id
 * applies cleanly, and every `AssumeRoleWithWebIdentity` of the pods fails later, at run time,
 * with "Incorrect token audience" or "No OpenIDConnect provider found".
 * @see https://docs.aws.amazon.com/eks/latest/userguide/enable-iam-roles-for-service-accounts.html
 */
export class IrsaProviderCheck extends Construct {
  constructor(scope: Construct, id: string, props: IrsaProviderCheckProps) {
    super(scope, id);
    new DataAwsIamOpenidConnectProvider(this, 'Resource', {
      arn: props.oidcProviderArn,
      lifecycle: {
        postcondition: [{
          condition: `\${contains(self.client_id_list, "${IRSA_AUDIENCE}")}`,
          errorMessage: `The IAM OIDC provider ${props.oidcProviderArn} does not accept the audience ${IRSA_AUDIENCE} (its client ids are `
            + '${jsonencode(self.client_id_list)}): IRSA tokens would be refused; add that client id to the provider.',
        }],
      },
    });
  }
}
