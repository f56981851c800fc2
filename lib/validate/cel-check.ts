/**
 * The `cel` check: the CEL rules (`x-kubernetes-validations`) of every object's CRD, as the API
 * server evaluates them on create (transition rules skipped), by {@link evaluateCelRules}.
 */
import { evaluateCelRules, type CelRuleOutcome } from './cel.js';
import { objectId, type Finding, type ValidationInput } from './findings.js';
import type { SchemaRegistry } from './schemas.js';

/**
 * A rule that fails or errors is an error, as the API server would refuse the object. A rule this
 * evaluator cannot run is a warning: nothing was checked, which is not the output's fault. Objects
 * of kinds without a served CRD are left to the `schema` check.
 */
export function checkCel(input: ValidationInput, registry: SchemaRegistry): Finding[] {
  const findings: Finding[] = [];
  for (const { file, object } of input.manifests) {
    const { apiVersion, kind } = object ?? {};
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !registry.openApiSchema(apiVersion, kind)) continue;
    const outcomes: CelRuleOutcome[] = [];
    evaluateCelRules(registry, object, (o) => outcomes.push(o));
    for (const o of outcomes) {
      if (o.outcome !== 'fail' && o.outcome !== 'error' && o.outcome !== 'unsupported') continue;
      findings.push({
        rule: 'cel',
        severity: o.outcome === 'unsupported' ? 'warning' : 'error',
        file,
        object: objectId(object),
        path: o.field ?? o.path,
        message: o.detail ?? o.message ?? `fails rule ${o.rule}`,
      });
    }
  }
  return findings;
}
