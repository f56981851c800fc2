// Builds build/synth.cjs once before the suite, so that the CLI tests run the code under test
// exactly as `npm run synth` does.
// @ts-expect-error: plain JavaScript module without type declarations
import { buildAll } from '../scripts/build.mjs';

export default async function setup(): Promise<void> {
  await buildAll();
}
