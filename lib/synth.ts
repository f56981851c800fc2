import { App } from 'cdk8s';
import type { PlatformConfig } from './config/types.js';
import { buildPlatform } from './k8s/platform.js';
import { renderDist, type RenderedDist } from './output/render.js';

/**
 * Environment variables that change what cdk8s writes (key order, name hashing). Output must not
 * depend on the machine it is synthesized on, so their presence is an error rather than a surprise
 * in the next pull request.
 */
export const NONDETERMINISTIC_ENV = ['CDK8S_DISABLE_SORT', 'CDK8S_LEGACY_HASH'] as const;

/** Throws when the environment would make cdk8s output differ from one machine to another. */
export function assertDeterministicEnvironment(env: NodeJS.ProcessEnv): void {
  const set = NONDETERMINISTIC_ENV.filter((name) => env[name] !== undefined);
  if (set.length > 0) {
    throw new Error(`${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set: unset it, synthesized output must not depend on the environment`);
  }
}

/**
 * Builds the Kubernetes side of the platform from a validated configuration and renders the files
 * of `dist/`. Pure: reads nothing, writes nothing.
 */
export function synthesizeKubernetes(config: PlatformConfig): RenderedDist {
  const app = new App({ outdir: 'dist' });
  const clusters = buildPlatform(app, config);
  const errors = app.node.findAll().flatMap((c) => c.node.validate().map((e) => `[${c.node.path}] ${e}`));
  if (errors.length > 0) {
    throw new Error(`the platform is inconsistent (${errors.length} problem${errors.length > 1 ? 's' : ''}):\n  ${errors.join('\n  ')}`);
  }
  return renderDist(clusters);
}
