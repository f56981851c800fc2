#!/usr/bin/env node
// Regenerates imports/ from the upstream CRDs named in cdk8s.yaml, offline: each release URL is
// mapped to its unmodified copy in ../shared/crds (see ../shared/crds/SOURCES.md), then
// `cdk8s import` runs on the local files with the same module names.
//
//   npm run import                 # uses cdk8s-cli from PATH, else `npx cdk8s-cli@<pinned>`
//   npm run import -- --online     # imports straight from the URLs (needs GitHub access)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cdk8sImports, crdTreePath } from './crd-sources.mjs';

const CDK8S_CLI = 'cdk8s-cli@2.207.60';
const root = resolve(import.meta.dirname, '..');
const sharedCrds = resolve(root, '..', 'shared', 'crds');

function localCopy(url) {
  const file = join(sharedCrds, ...crdTreePath(url).split('/'));
  if (!existsSync(file)) throw new Error(`${file} not found (is ../shared beside the project?)`);
  return file;
}

const online = process.argv.includes('--online');
const specs = cdk8sImports(readFileSync(join(root, 'cdk8s.yaml'), 'utf8')).map(({ name, url }) => `${name}:=${online ? url : localCopy(url)}`);

let cli = ['npx', '--yes', CDK8S_CLI];
try {
  execFileSync('cdk8s', ['--version'], { stdio: 'ignore' });
  cli = ['cdk8s'];
} catch { /* not installed globally: fall back to npx */ }

// `cdk8s import` appends every spec it imports to cdk8s.yaml: put the file back as it was, so that
// it keeps naming the upstream release URLs only (never this machine's paths).
const configFile = join(root, 'cdk8s.yaml');
const config = readFileSync(configFile, 'utf8');
rmSync(join(root, 'imports'), { recursive: true, force: true });
try {
  for (const spec of specs) {
    execFileSync(cli[0], [...cli.slice(1), 'import', '--no-check-upgrade', '-l', 'typescript', '-o', 'imports', spec], {
      cwd: root, stdio: 'inherit',
    });
  }
} finally {
  writeFileSync(configFile, config);
}
