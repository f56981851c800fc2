/**
 * `npm run validate`: every check over the synthesized output, in one pure function.
 *
 * | check        | rules                       | file                         |
 * |--------------|-----------------------------|------------------------------|
 * | reading      | `parse`                     | read-output.ts               |
 * | schemas      | `schema`                    | schema-check.ts, schemas.ts  |
 * | CEL rules    | `cel`                       | cel-check.ts, cel.ts         |
 * | references   | `ref/...`                   | references.ts                |
 * | secrets      | `secret/...`                | secrets.ts                   |
 * | policies     | `K8S-nnn`, `TF-nnn`, `suppression` | policies.ts           |
 */
import { checkCel } from './cel-check.js';
import type { Finding, ValidationInput } from './findings.js';
import { checkPolicies, type PolicySuppression } from './policies.js';
import { checkReferences } from './references.js';
import { sortFindings } from './report.js';
import { checkSchema } from './schema-check.js';
import type { SchemaRegistry } from './schemas.js';
import { checkSecrets } from './secrets.js';

export interface ValidateOptions {
  /** The upstream CRDs and core schemas. */
  readonly registry: SchemaRegistry;
  /** Policy findings the team accepts: `validation.suppressions` of the configuration. @default [] */
  readonly suppressions?: readonly PolicySuppression[];
  /** The configuration file the suppressions come from, as findings about them name it. @default 'config/platform.yaml' */
  readonly configFile?: string;
}

/** Every finding of every check over `input`, sorted ({@link sortFindings}). */
export function validateOutput(input: ValidationInput, options: ValidateOptions): Finding[] {
  return sortFindings([
    ...checkSchema(input, options.registry),
    ...checkCel(input, options.registry),
    ...checkReferences(input),
    ...checkSecrets(input),
    ...checkPolicies(input, options.suppressions ?? [], options.configFile === undefined ? {} : { configFile: options.configFile }),
  ]);
}
