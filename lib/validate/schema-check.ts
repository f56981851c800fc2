/**
 * The `schema` check: every object against the schema of its kind, the upstream CRD's or the
 * Kubernetes core one, with unknown fields as errors, as {@link SchemaRegistry} validates them.
 */
import { objectId, type Finding, type ValidationInput } from './findings.js';
import type { SchemaRegistry } from './schemas.js';

/** One `schema` error per problem of every object of `input`. */
export function checkSchema(input: ValidationInput, registry: SchemaRegistry): Finding[] {
  const findings: Finding[] = [];
  for (const { file, object } of input.manifests) {
    for (const problem of registry.check(object)) {
      const finding: Finding = { rule: 'schema', severity: 'error', file, object: objectId(object), message: problem.message };
      findings.push(problem.path === undefined ? finding : { ...finding, path: problem.path });
    }
  }
  return findings;
}
