#!/usr/bin/env node
// Bundles each entry, dependencies included, into one CommonJS file (build/<entry>.cjs), so that
// `npm run synth` starts in a fraction of a second: no ts-node, no type checking on the hot path
// (`npm run typecheck` and `npm test` do that), no module resolution across node_modules.
// Measured on 2 cores: 0.30 s with dependencies external, 0.20 s bundled with the archiver stub.
import { build } from 'esbuild';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(import.meta.dirname, '..');

/** Entry points, by output name. */
export const ENTRIES = { synth: 'apps/synth.ts', pki: 'apps/pki.ts' };

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
    // cdktf requires archiver at load time for TerraformAsset zips, which we never create.
    alias: { archiver: './scripts/archiver-stub.cjs' },
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildAll();
