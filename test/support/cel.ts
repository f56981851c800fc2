/**
 * The CEL evaluator moved into the product (`lib/validate/cel.ts`, the `cel` check of
 * `npm run validate`); the tests keep importing it from here.
 */
export * from '../../lib/validate/cel.js';
