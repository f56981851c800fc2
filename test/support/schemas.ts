/**
 * The schema validator moved into the product (`lib/validate/schemas.ts`, the `schema` check of
 * `npm run validate`); the tests keep importing it from here.
 */
export * from '../../lib/validate/schemas.js';
