#!/usr/bin/env node
// Bundles the synth entry into one CommonJS file (build/synth.cjs), so that `npm run synth`
// starts in a fraction of a second: no ts-node, no type checking on the hot path (`npm run
// typecheck` and `npm test` do that). Dependencies stay in node_modules (`packages: external`).
import { build } from 'esbuild';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(import.meta.dirname, '..');

/** Entry points, by output name. */
export const ENTRIES = { synth: 'apps/synth.ts' };

export async function buildAll() {
  await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, src]) => [name, src])),
    outdir: 'build',
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildAll();
