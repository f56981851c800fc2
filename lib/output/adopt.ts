/**
 * How synth recognizes output folders that an earlier version wrote before output manifests
 * existed (lib/output/ownership.ts), so that upgrading takes them over instead of refusing them.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { FLUX_FOLDER } from '../k8s/platform.js';
import type { LegacyAdoption } from './ownership.js';
import { listFiles, RESERVED_PREFIX } from './ownership.js';
import { GENERATED_HEADER_PREFIX } from './render.js';

/** The folder `flux bootstrap` commits under `dist/<cluster>/flux/`: never synth's. */
export const BOOTSTRAP_FOLDER = 'flux-system';

/**
 * `dist/`: synth's files are those that start with its header; the `flux-system/` folders are
 * Flux's. Any other file makes the folder foreign.
 */
export const adoptGeneratedManifests: LegacyAdoption = (dir) => {
  const isBootstrap = (folder: string) => {
    const parts = folder.split('/');
    return parts.length === 3 && parts[1] === FLUX_FOLDER && parts[2] === BOOTSTRAP_FOLDER;
  };
  const files = listFiles(dir, isBootstrap).filter((path) => !path.startsWith(RESERVED_PREFIX));
  const foreign = files.filter((path) => !startsWith(join(dir, path), GENERATED_HEADER_PREFIX));
  return foreign.length > 0 ? { foreign } : { owned: files };
};

/**
 * `cdktf.out/`: CDKTF's `manifest.json` names the stack files it wrote; they and it are synth's.
 * Everything else (`.terraform/`, lock files, overrides) is kept. No `manifest.json`, no adoption.
 */
export const adoptCdktfOutput: LegacyAdoption = (dir) => {
  const manifest = join(dir, 'manifest.json');
  let stacks: Record<string, { synthesizedStackPath?: unknown }> | undefined;
  try {
    stacks = (JSON.parse(readFileSync(manifest, 'utf8')) as { stacks?: typeof stacks }).stacks;
  } catch {
    stacks = undefined;
  }
  if (stacks === undefined || typeof stacks !== 'object') {
    return { foreign: listFiles(dir).filter((path) => !path.startsWith(RESERVED_PREFIX)) };
  }
  const owned = Object.values(stacks)
    .map((stack) => stack.synthesizedStackPath)
    .filter((path): path is string => typeof path === 'string' && /^stacks\/[^/]+\/cdk\.tf\.json$/.test(path) && existsSync(join(dir, path)));
  return { owned: ['manifest.json', ...owned] };
};

/** Whether the file begins with `prefix`, reading no more than that. */
function startsWith(file: string, prefix: string): boolean {
  const buffer = Buffer.alloc(Buffer.byteLength(prefix));
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false; // a dangling link, a socket: not a file synth wrote
  }
  try {
    return readSync(fd, buffer, 0, buffer.length, 0) === buffer.length && buffer.toString('utf8') === prefix;
  } finally {
    closeSync(fd);
  }
}
