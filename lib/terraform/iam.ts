/**
 * IAM policy documents as typed data, rendered to JSON in one place.
 *
 * Statements name their actions and resources explicitly: no wildcard action, and `*` as a
 * resource only where the AWS action has no resource type (each such use says why).
 */

export interface PolicyStatement {
  /** Statement id: says what the statement is for. */
  readonly sid: string;
  /** @default 'Allow' */
  readonly effect?: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** Condition operator → key → values. */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** A trust (assume-role) statement. */
export interface TrustStatement {
  readonly sid: string;
  readonly principal: { readonly Federated: string } | { readonly Service: string };
  readonly actions: readonly string[];
  readonly conditions?: PolicyStatement['conditions'];
}

/** Renders permission statements to an IAM policy document (JSON, stable key order). */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  if (statements.length === 0) throw new Error('an IAM policy needs at least one statement');
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((s) => {
      for (const action of s.actions) {
        if (action === '*' || action.endsWith(':*')) throw new Error(`statement "${s.sid}": wildcard action "${action}" is not allowed`);
      }
      return {
        Sid: s.sid,
        Effect: s.effect ?? 'Allow',
        Action: [...s.actions],
        Resource: [...s.resources],
        ...(s.conditions ? { Condition: s.conditions } : {}),
      };
    }),
  });
}

/** Renders trust statements to an assume-role policy document. */
export function trustDocument(statements: readonly TrustStatement[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((s) => ({
      Sid: s.sid,
      Effect: 'Allow',
      Principal: s.principal,
      Action: [...s.actions],
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  });
}

/** A statement of a resource policy (an S3 bucket policy): a principal, then as {@link PolicyStatement}. */
export interface ResourcePolicyStatement extends PolicyStatement {
  /** `'*'` for everyone, as deny-all statements name it. */
  readonly principal: '*' | { readonly AWS: string | readonly string[] } | { readonly Service: string };
}

/**
 * Renders resource policy statements. A wildcard action is allowed in a Deny only: denying every
 * action (the TLS-only rule of a bucket) takes nothing away from least privilege.
 */
export function resourcePolicyDocument(statements: readonly ResourcePolicyStatement[]): string {
  if (statements.length === 0) throw new Error('a resource policy needs at least one statement');
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((s) => {
      const effect = s.effect ?? 'Allow';
      for (const action of s.actions) {
        if (effect === 'Allow' && (action === '*' || action.endsWith(':*'))) {
          throw new Error(`statement "${s.sid}": wildcard action "${action}" is not allowed in an Allow`);
        }
      }
      return {
        Sid: s.sid,
        Effect: effect,
        Principal: s.principal,
        Action: [...s.actions],
        Resource: [...s.resources],
        ...(s.conditions ? { Condition: s.conditions } : {}),
      };
    }),
  });
}
