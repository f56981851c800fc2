import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone/index.js';
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { Construct } from 'constructs';
import { policyDocument, trustDocument, type PolicyStatement, type TrustStatement } from './iam.js';

/** The Kubernetes service account that assumes the role. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** How the cluster's pods assume IAM roles. */
export type PodIdentity =
  | { readonly type: 'irsa'; readonly oidcProviderArn: string }
  | { readonly type: 'pod-identity'; readonly eksClusterName: string; readonly region: string };

export interface CertManagerDnsRoleProps {
  /** Role name, shared with the IRSA annotation of cert-manager's service account. */
  readonly roleName: string;
  readonly accountId: string;
  /** AWS partition of the ARNs. @default 'aws' */
  readonly partition?: string;
  /** The public zone cert-manager writes challenge records into. */
  readonly zoneName: string;
  /** @default - looked up by name (a data source), and cert-manager may list zones by name */
  readonly hostedZoneID?: string;
  readonly identity: PodIdentity;
  /** @default - cert-manager/cert-manager */
  readonly serviceAccount?: ServiceAccountRef;
}

/**
 * The IAM role cert-manager assumes to answer DNS-01 challenges in Route53, and nothing more.
 *
 * - Trust: the cluster's OIDC provider for exactly cert-manager's service account and the STS
 *   audience (IRSA), or EKS Pod Identity from this account and cluster, with its association.
 * - Permissions: UPSERT and DELETE of TXT records named `_acme-challenge.…` in the public zone
 *   only; listing that zone's records; reading change status. Looking a zone up by name is granted
 *   only when its id is not known (that action has no resource type to scope it to).
 *
 * @see https://cert-manager.io/docs/configuration/acme/dns01/route53/
 */
export class CertManagerDnsRole extends Construct {
  public readonly role: IamRole;
  public readonly roleArn: string;

  constructor(scope: Construct, id: string, props: CertManagerDnsRoleProps) {
    super(scope, id);
    const partition = props.partition ?? 'aws';
    const serviceAccount = props.serviceAccount ?? { namespace: 'cert-manager', name: 'cert-manager' };
    const zoneId = props.hostedZoneID
      ?? new DataAwsRoute53Zone(this, 'Zone', { name: props.zoneName, privateZone: false }).zoneId;
    const zoneArn = `arn:${partition}:route53:::hostedzone/${zoneId}`;

    this.role = new IamRole(this, 'Resource', {
      name: props.roleName,
      description: `cert-manager DNS-01 in Route53 zone ${props.zoneName}`,
      assumeRolePolicy: trustDocument([trustStatement(props, serviceAccount, partition)]),
      maxSessionDuration: 3600,
    });
    this.roleArn = this.role.arn;

    const statements: PolicyStatement[] = [
      {
        sid: 'ChallengeRecords',
        actions: ['route53:ChangeResourceRecordSets'],
        resources: [zoneArn],
        conditions: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
            'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'],
          },
          'ForAllValues:StringLike': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': [
              `_acme-challenge.${props.zoneName}`,
              `_acme-challenge.*.${props.zoneName}`,
            ],
          },
        },
      },
      { sid: 'ListZoneRecords', actions: ['route53:ListResourceRecordSets'], resources: [zoneArn] },
      { sid: 'ChangeStatus', actions: ['route53:GetChange'], resources: [`arn:${partition}:route53:::change/*`] },
    ];
    if (props.hostedZoneID === undefined) {
      // ListHostedZonesByName has no resource type: it can only be granted on "*".
      statements.push({ sid: 'FindZoneByName', actions: ['route53:ListHostedZonesByName'], resources: ['*'] });
    }
    new IamRolePolicy(this, 'Route53', { role: this.role.name, name: 'route53-dns01', policy: policyDocument(statements) });

    if (props.identity.type === 'pod-identity') {
      new EksPodIdentityAssociation(this, 'PodIdentity', {
        clusterName: props.identity.eksClusterName,
        namespace: serviceAccount.namespace,
        serviceAccount: serviceAccount.name,
        roleArn: this.role.arn,
      });
    }
  }
}

function trustStatement(props: CertManagerDnsRoleProps, sa: ServiceAccountRef, partition: string): TrustStatement {
  const identity = props.identity;
  if (identity.type === 'irsa') {
    const issuer = identity.oidcProviderArn.split(':oidc-provider/')[1];
    if (!issuer) throw new Error(`'oidcProviderArn' must be an IAM OIDC provider ARN, got "${identity.oidcProviderArn}"`);
    return {
      sid: 'CertManagerServiceAccount',
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
      ArnEquals: { 'aws:SourceArn': `arn:${partition}:eks:${identity.region}:${props.accountId}:cluster/${identity.eksClusterName}` },
    },
  };
}
