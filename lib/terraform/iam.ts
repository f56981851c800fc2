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
