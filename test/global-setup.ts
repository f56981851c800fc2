// Brings what the tests need beyond npm (test/support/setup.ts), then builds the bundles
// (build/synth.cjs, build/pki.cjs, build/validate.cjs) once before the suite, so that the CLI tests
// run the code under test exactly as `npm run synth`, `pki` and `validate` do.
// @ts-expect-error: plain JavaScript module without type declarations
import { buildAll } from '../scripts/build.mjs';
import { resolve } from 'node:path';
import { findMirror, installPackages, machineFacts, planTools, provideCrds } from './support/setup.js';

const PROJECT_ROOT = resolve(import.meta.dirname, '..');

export default async function setup(): Promise<void> {
  const log = (line: string): void => { process.stderr.write(`${line}\n`); };
  const plan = planTools(machineFacts());
  installPackages(plan, log);
  const problems: string[] = plan.message === undefined ? [] : [plan.message];

  const mirror = findMirror();
  if (mirror === undefined) {
    problems.push('npm test needs a filesystem mirror of the hashicorp/aws provider 5.100.0 for terraform validate (no registry is reachable): '
      + 'make one with `terraform providers mirror DIR` on a connected machine, then set GATEWAY_PKI_TF_MIRROR=DIR');
  } else {
    // Inherited by the test workers, which start after this setup.
    process.env.GATEWAY_PKI_TF_MIRROR = mirror;
  }

  const crds = await provideCrds(PROJECT_ROOT);
  if ('error' in crds) {
    problems.push(`npm test: ${crds.error}`);
  } else {
    if (crds.how === 'downloaded') log(`setup: downloaded the upstream CRDs named in cdk8s.yaml into ${crds.root}`);
    process.env.GATEWAY_PKI_CRDS = crds.root;
  }
  if (problems.length > 0) throw new Error(`\n${problems.join('\n\n')}\n`);

  await buildAll();
}
