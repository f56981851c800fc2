import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { Construct } from 'constructs';
import { policyDocument, trustDocument, type PolicyStatement } from './iam.js';
import { type PodIdentity, podIdentityAssociation, type ServiceAccountRef, workloadTrustStatement } from './workload-identity.js';

export type { PodIdentity, ServiceAccountRef } from './workload-identity.js';

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
      assumeRolePolicy: trustDocument([workloadTrustStatement({
        identity: props.identity, serviceAccount, accountId: props.accountId, partition, irsaSid: 'CertManagerServiceAccount',
      })]),
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

    podIdentityAssociation(this, 'PodIdentity', props.identity, serviceAccount, this.role.arn);
  }
}
