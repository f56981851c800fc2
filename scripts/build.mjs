#!/usr/bin/env node
// Bundles each entry, dependencies included, into one CommonJS file (build/<entry>.cjs; for synth,
// build/synth.bundle.cjs started by build/synth.cjs through scripts/launch.cjs, a V8 code
// cache), so that `npm run synth` starts in a fraction of a second: no ts-node, no type checking on the hot path (`npm run
// typecheck` and `npm test` do that), no module resolution across node_modules.
// Measured on 2 cores: 0.30 s with dependencies external, 0.22 s bundled with the archiver stub,
// 0.17 s with the code cache. With the three Vault stacks: 0.27 s, 0.24 s without cdktf's token
// stack traces (scripts/stack-trace-stub.cjs) and its preparing pass (lib/terraform/platform-stack.ts),
// 0.23 s with identifiers minified (a 2.1 MB bundle instead of 2.9 MB; names kept for stack traces),
// 0.21 s without cdk8s-plus-28 (1.9 MB; lib/k8s/core.ts); with it again for the workload objects
// (#22), +20 ms and +313 KB (docs/development.md, "Performance"): CommonJS, bundled whole, no tree-shaking.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(import.meta.dirname, '..');

/**
 * Files that modules read beside themselves, `readFileSync(new URL('./x', import.meta.url), 'utf8')`
 * (the backup script, lib/k8s/backup-scripts.ts), become their text in the bundle: a CommonJS
 * bundle has no `import.meta.url`, and the files are not shipped with it. Any other use of
 * `import.meta` in lib/ or apps/ fails the build rather than the run.
 */
const inlineFileReads = {
  name: 'inline-file-reads',
  setup(context) {
    const own = [join(root, 'lib'), join(root, 'apps')];
    context.onLoad({ filter: /[\\/](lib|apps)[\\/].*\.ts$/ }, (args) => {
      if (!own.some((dir) => args.path.startsWith(dir))) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta')) return undefined;
      const contents = source.replace(/readFileSync\(new URL\('(\.{1,2}\/[^']+)', import\.meta\.url\), 'utf8'\)/g,
        (_call, relative) => JSON.stringify(readFileSync(resolve(dirname(args.path), relative), 'utf8')));
      if (contents.includes('import.meta')) {
        return { errors: [{ text: 'import.meta is not available in the CommonJS bundle; only readFileSync(new URL(\'./file\', import.meta.url), \'utf8\') is inlined' }] };
      }
      return { contents, loader: 'ts', resolveDir: dirname(args.path), watchFiles: [args.path] };
    });
  },
};

/** cdktf's token stack traces, replaced by scripts/stack-trace-stub.cjs (see there why). */
const noTokenStackTraces = {
  name: 'no-token-stack-traces',
  setup(context) {
    context.onResolve({ filter: /[\\/]stack-trace$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]cdktf[\\/]lib[\\/]/.test(args.importer)) return undefined;
      return { path: join(root, 'scripts', 'stack-trace-stub.cjs') };
    });
  },
};

/** Entry points, by output name. */
export const ENTRIES = { synth: 'apps/synth.ts', pki: 'apps/pki.ts', validate: 'apps/validate.ts' };

/**
 * Entries started through the code-cache launcher. Not `pki`: it runs rarely, and must stay one
 * self-contained file that can be carried to an air-gapped machine.
 */
const CODE_CACHED = ['synth'];

const { inputFiles, recordBuild } = createRequire(import.meta.url)('./inputs.cjs');

/**
 * Builds every bundle into build/, and records the fingerprint of the inputs it was built from
 * (scripts/inputs.cjs), taken before the build so that an input changed during the build makes
 * the next run build again.
 */
export async function buildAll() {
  const inputs = inputFiles();
  await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, src]) => [CODE_CACHED.includes(name) ? `${name}.bundle` : name, src])),
    outdir: 'build',
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // cdktf requires archiver at load time for TerraformAsset zips, which we never create.
    alias: { archiver: './scripts/archiver-stub.cjs' },
    plugins: [inlineFileReads, noTokenStackTraces],
    sourcemap: 'linked',
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: true,
    keepNames: true,
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'scripts', 'launch.cjs'), join(root, 'build', 'launch.cjs'));
  for (const name of CODE_CACHED) {
    // The bundle's hash names its code cache: V8 checks only a cached script's source length, so a
    // rebuilt bundle of the same length would otherwise run the previous build's bytecode.
    const hash = createHash('sha256').update(readFileSync(join(root, 'build', `${name}.bundle.cjs`))).digest('hex').slice(0, 16);
    writeFileSync(join(root, 'build', `${name}.cjs`), `'use strict';\nrequire('./launch.cjs')('${name}.bundle.cjs', '${hash}');\n`);
  }
  recordBuild(inputs);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildAll();
