/**
 * KMS key policies as typed statements: who administers a key, who may use it, and which calls
 * only a break-glass role may make. Every key of the platform has an explicit policy built from
 * these (policy rule TF-016 refuses a key without one).
 *
 * A key policy is the key's first authority: a principal it does not name (directly, or through
 * the account when a statement delegates to IAM) cannot use the key, whatever its IAM policies say.
 *
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
 */
import type { ResourcePolicyStatement } from './iam.js';

/**
 * What the account's administrators may do with a key, through their IAM policies: named actions,
 * no `kms:*`, and no cryptographic use (no Encrypt, Decrypt or GenerateDataKey).
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion', 'kms:CreateAlias', 'kms:DeleteAlias', 'kms:DescribeKey', 'kms:DisableKey', 'kms:DisableKeyRotation',
  'kms:EnableKey', 'kms:EnableKeyRotation', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListGrants',
  'kms:ListKeyPolicies', 'kms:ListKeyRotations', 'kms:ListResourceTags', 'kms:PutKeyPolicy', 'kms:RevokeGrant',
  'kms:RotateKeyOnDemand', 'kms:ScheduleKeyDeletion', 'kms:TagResource', 'kms:UntagResource', 'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
] as const;

/** Administration of a multi-Region primary key: {@link KEY_ADMIN_ACTIONS} and creating its replicas. */
export const MULTI_REGION_ADMIN_ACTIONS = [...KEY_ADMIN_ACTIONS, 'kms:ReplicateKey', 'kms:UpdatePrimaryRegion'] as const;

/**
 * The calls that make a key unusable or hand it to someone else: scheduling its deletion (after the
 * window, every ciphertext is lost), disabling it (every decrypt fails at once), replacing its
 * policy (the next policy can allow anything). A guarded key denies them to all but a break-glass role.
 */
export const KEY_DESTRUCTION_ACTIONS = ['kms:DisableKey', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'] as const;

/** The AWS account's root principal: in a key policy, it delegates to the account's IAM policies. */
export function accountPrincipal(partition: string, accountId: string): string {
  return `arn:${partition}:iam::${accountId}:root`;
}

/** The account administers the key through IAM (named actions only). In a key policy, `*` is this key. */
export function keyAdministration(partition: string, accountId: string, actions: readonly string[] = KEY_ADMIN_ACTIONS): ResourcePolicyStatement {
  return { sid: 'AccountAdministersTheKey', principal: { AWS: accountPrincipal(partition, accountId) }, actions, resources: ['*'] };
}

/**
 * Denies {@link KEY_DESTRUCTION_ACTIONS} to every principal, the account's root included, except
 * `breakGlassRoleArn`. The comparison is on `aws:PrincipalArn`, a string: a break-glass role deleted
 * and created again under the same ARN still matches, where a `Principal` element would have been
 * rewritten to the deleted role's unique id (and never match again).
 */
export function denyKeyDestruction(breakGlassRoleArn: string): ResourcePolicyStatement {
  return {
    sid: 'OnlyBreakGlassDestroysTheKey',
    effect: 'Deny',
    principal: { AWS: '*' },
    actions: KEY_DESTRUCTION_ACTIONS,
    resources: ['*'],
    conditions: { ArnNotEquals: { 'aws:PrincipalArn': breakGlassRoleArn } },
  };
}
