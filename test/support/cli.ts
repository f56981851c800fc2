import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');
export const SYNTH_BUNDLE = resolve(PROJECT_ROOT, 'build', 'synth.cjs');
/**
 * The tests' example: a copy of the example the project ships (test/fixtures/example/, with its
 * pki/ chain), so that the tests pass whatever a user makes of config/platform.yaml.
 */
export const EXAMPLE_DIR = resolve(PROJECT_ROOT, 'test', 'fixtures', 'example');
export const EXAMPLE_CONFIG = resolve(EXAMPLE_DIR, 'platform.yaml');
/** The user's own platform: the configuration the committed dist/ is synthesized from. */
export const PLATFORM_CONFIG = resolve(PROJECT_ROOT, 'config', 'platform.yaml');
export const COMMITTED_DIST = resolve(PROJECT_ROOT, 'dist');

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the synth bundle (built by the global setup) as `npm run synth` would, without npm. */
export function runSynth(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const childEnv = { ...process.env, ...env };
    for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
    execFile(process.execPath, [SYNTH_BUNDLE, ...args], { cwd: PROJECT_ROOT, env: childEnv }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export const VALIDATE_BUNDLE = resolve(PROJECT_ROOT, 'build', 'validate.cjs');

/** Runs the validate bundle (built by the global setup) as `npm run validate` would, from `cwd`. */
export function runValidate(
  args: readonly string[], cwd: string = PROJECT_ROOT, bundle: string = VALIDATE_BUNDLE, unset: readonly string[] = [],
): Promise<RunResult> {
  const env = { ...process.env };
  for (const name of unset) delete env[name];
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [bundle, ...args], { cwd, env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}
