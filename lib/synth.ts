import { App } from 'cdk8s';
import type { PlatformConfig } from './config/types.js';
import { checkConsistency, type Manifest } from './k8s/consistency.js';
import { buildPlatform, type PlatformInputs } from './k8s/platform.js';
import type { ExtraManifests } from './output/extra-manifests.js';
import { renderDist, type RenderedDist } from './output/render.js';

/**
 * Environment variables that change what cdk8s or CDKTF write (key order, name hashing, HCL
 * instead of JSON, a single stack). Output must not depend on the machine it is synthesized on,
 * so their presence is an error rather than a surprise in the next pull request.
 */
export const NONDETERMINISTIC_ENV = ['CDK8S_DISABLE_SORT', 'CDK8S_LEGACY_HASH', 'SYNTH_HCL_OUTPUT', 'CDKTF_TARGET_STACK_ID'] as const;

/** Throws when the environment would make cdk8s output differ from one machine to another. */
export function assertDeterministicEnvironment(env: NodeJS.ProcessEnv): void {
  const set = NONDETERMINISTIC_ENV.filter((name) => env[name] !== undefined);
  if (set.length > 0) {
    throw new Error(`${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set: unset it, synthesized output must not depend on the environment`);
  }
}

/** The synthesized platform is inconsistent: every problem, with the construct or object it concerns. */
export class SynthError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(`the platform is inconsistent (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${problems.join('\n  ')}`);
  }
}

/**
 * Builds the Kubernetes side of the platform from a validated configuration and renders the files
 * of `dist/`, with the user's own manifests (`extra`, already read: lib/output/extra-manifests.ts)
 * in their layers. Pure: reads nothing, writes nothing. Throws {@link SynthError} when constructs
 * report validation errors or the objects of a cluster reference each other inconsistently, and
 * ExtraManifestsError when the user's manifests cannot be added.
 * @param shownExtra how messages name the folder of the user's manifests (`config/extra`)
 */
export function synthesizeKubernetes(config: PlatformConfig, inputs: PlatformInputs, extra?: ExtraManifests, shownExtra?: string): RenderedDist {
  const app = new App({ outdir: 'dist' });
  const clusters = buildPlatform(app, config, inputs);
  const problems = app.node.findAll().flatMap((c) => c.node.validate().map((e) => `[${c.node.path}] ${e}`));
  if (problems.length > 0) throw new SynthError(problems);
  const rendered = renderDist(clusters, extra, shownExtra);
  for (const [cluster, manifests] of rendered.manifests) {
    problems.push(...checkConsistency(manifests as Manifest[]).map((e) => `${cluster}: ${e}`));
  }
  if (problems.length > 0) throw new SynthError(problems);
  return rendered;
}
