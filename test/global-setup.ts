// Builds the bundles (build/synth.cjs, build/pki.cjs, build/validate.cjs) once before the suite, so
// that the CLI tests run the code under test exactly as `npm run synth`, `pki` and `validate` do.
// @ts-expect-error: plain JavaScript module without type declarations
import { buildAll } from '../scripts/build.mjs';

export default async function setup(): Promise<void> {
  await buildAll();
}
