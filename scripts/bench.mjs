#!/usr/bin/env node
// npm run bench: how fast `npm run synth` is, measured as ratios against baselines run in the same
// script on the same machine (never as absolute timings in the test suite, which would flake).
//
//   (a) `npm run synth` as users type it (npm, scripts/run.cjs finding build/ current, the bundle),
//       and the bundle alone (build/synth.cjs, node started directly), on the example;
//   (b) `kubectl kustomize` over every layer folder (a) rendered: the cost of hand-written YAML;
//   (c) the same program run the stock CDKTF template way: ts-node, provider imported from its
//       barrel (a copy of the sources with the deep imports rewritten);
//   (d) synth of generated configurations with 10, 100 and 1000 applications;
//   and the peak memory (max RSS) of (a). Medians of RUNS runs after one warm-up each.
//
//   npm run bench [-- --runs 7] [-- --test]   (--test also times `npm test`, target ≤ 120 s)
//
// Exits 1 when a target is missed.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { buildAll } from './build.mjs';

const root = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, test: { type: 'boolean', default: false } },
});
const RUNS = Math.max(5, Number(args.runs));
const TARGETS = {
  npmSynthOverKustomize: 0.5, // at most
  synthOverKustomize: 0.25, // at most
  templateOverSynth: 15, // at least
  thousandOverTen: 5, // at most
  peakMiB: 300, // at most
  npmTestSeconds: 120, // at most
};

const work = mkdtempSync(join(tmpdir(), 'gateway-pki-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function run(command, argv, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, argv, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${command} ${argv.join(' ')} failed (${result.status}):\n${result.stderr || result.stdout}`);
  }
  return { ms, stdout: result.stdout, stderr: result.stderr };
}

/** Median wall time of `runs` calls of `fn`, after one warm-up call. */
function median(fn, runs = RUNS) {
  fn();
  const samples = Array.from({ length: runs }, () => fn()).sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/** A configuration folder (configuration + its pki/ folder) with `apps` generated applications. */
function configWithApps(apps) {
  const dir = join(work, `config-${apps}`);
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, 'config', 'pki'), join(dir, 'pki'), { recursive: true });
  const config = parse(readFileSync(join(root, 'config', 'platform.yaml'), 'utf8'));
  config.applications = Array.from({ length: apps }, (_, i) => {
    const isPublic = i % 2 === 0;
    return {
      name: `app-${i}`,
      namespace: `team-${i % 20}`,
      gateway: isPublic ? 'public' : 'private',
      hostname: isPublic ? `app-${i}.${config.dns.publicZone.name}` : `app-${i}.${config.dns.privateZone.name}`,
      service: { name: `svc-${i}`, port: 8080 },
    };
  });
  writeFileSync(join(dir, 'platform.yaml'), stringify(config));
  return join(dir, 'platform.yaml');
}

function synthArgs(config, out) {
  return [join(root, 'build', 'synth.cjs'), '--config', config, '--out', join(out, 'dist'), '--terraform-out', join(out, 'cdktf.out')];
}

/**
 * A copy of the sources where every deep provider import becomes the barrel import the stock
 * template uses: `import * as aws from '@cdktf/provider-aws'` and `import IamRole = aws.iamRole.IamRole`.
 */
function templateCopy() {
  const dir = join(work, 'template');
  for (const entry of ['apps', 'lib', 'imports', 'config', 'tsconfig.json', 'package.json']) {
    cpSync(join(root, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const deep = /^import \{ ([\w, ]+) \} from '@cdktf\/provider-aws\/lib\/([\w-]+)\/index\.js';$/gm;
  const camel = (folder) => folder.replace(/-(\w)/g, (_m, c) => c.toUpperCase());
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        if (!deep.test(text)) continue;
        deep.lastIndex = 0;
        const rewritten = text.replace(deep, (_m, names, folderName) => names.split(',').map((n) => n.trim())
          .map((name) => `import ${name} = aws.${camel(folderName)}.${name};`).join('\n'));
        writeFileSync(path, `import * as aws from '@cdktf/provider-aws';\n${rewritten}`);
      }
    }
  };
  walk(join(dir, 'lib'));
  return dir;
}

await buildAll();
const results = [];
const report = (label, ms, runs = RUNS) => results.push({ label, ms, runs });
/** Progress on stderr: every measurement takes seconds (a warm-up and RUNS runs). */
const progress = (what) => process.stderr.write(`bench: ${what}…\n`);

// (a) production synth, and its layers
const example = join(root, 'config', 'platform.yaml');
const out = join(work, 'example');
progress('synth, npm run synth');
const synthMs = median(() => run(process.execPath, synthArgs(example, out)).ms);
report('synth: node build/synth.cjs, example configuration', synthMs);
const npmOut = join(work, 'npm-example');
const npmSynthMs = median(() => run('npm', ['run', 'synth', '--', ...synthArgs(example, npmOut).slice(1)], { cwd: root }).ms);
report('synth: npm run synth, as typed', npmSynthMs);
const layers = readdirSync(join(out, 'dist'), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .flatMap((cluster) => readdirSync(join(out, 'dist', cluster.name)).map((layer) => join(out, 'dist', cluster.name, layer)))
  .filter((dir) => existsSync(join(dir, 'kustomization.yaml')))
  .sort();

// (b) kustomize over the rendered layers
progress('kubectl kustomize');
const kustomizeMs = median(() => layers.reduce((total, dir) => total + run('kubectl', ['kustomize', dir]).ms, 0));
report(`kubectl kustomize: ${layers.length} layer folders`, kustomizeMs);

// peak memory of (a)
const rss = join(work, 'rss.cjs');
writeFileSync(rss, "process.on('exit', () => process.stderr.write(`maxrss ${process.resourceUsage().maxRSS}\\n`));\n");
progress('peak memory');
const peakKiB = Math.max(...Array.from({ length: RUNS }, () =>
  Number(/maxrss (\d+)/.exec(run(process.execPath, ['-r', rss, ...synthArgs(example, out)]).stderr)[1])));

// (c) the stock template way
const template = templateCopy();
const templateRuns = Math.min(RUNS, 5);
progress('the template way (ts-node, barrel imports)');
const templateMs = median(() => run(process.execPath, ['--no-warnings', '--loader', 'ts-node/esm', 'apps/synth.ts',
  '--out', join(work, 'template-out', 'dist'), '--terraform-out', join(work, 'template-out', 'cdktf.out')], { cwd: template }).ms, templateRuns);
report('template way: ts-node, provider barrel import', templateMs, templateRuns);

// (d) generated configurations
const byApps = {};
for (const apps of [10, 100, 1000]) {
  const config = configWithApps(apps);
  progress(`synth with ${apps} applications`);
  byApps[apps] = median(() => run(process.execPath, synthArgs(config, join(work, `apps-${apps}`))).ms);
  report(`synth: ${apps} applications`, byApps[apps]);
}

let npmTestSeconds;
if (args.test) {
  progress('npm test');
  npmTestSeconds = run('npm', ['test'], { cwd: root }).ms / 1000;
  report('npm test', npmTestSeconds * 1000, 1);
}

const width = Math.max(...results.map((r) => r.label.length));
console.log(`${'measurement'.padEnd(width)}  ${'median'.padStart(10)}  runs`);
for (const r of results) {
  const shown = r.ms >= 1000 ? `${(r.ms / 1000).toFixed(2)} s` : `${r.ms.toFixed(0)} ms`;
  console.log(`${r.label.padEnd(width)}  ${shown.padStart(10)}  ${r.runs}`);
}
console.log('');

const ratios = {
  npmSynthOverKustomize: npmSynthMs / kustomizeMs,
  synthOverKustomize: synthMs / kustomizeMs,
  templateOverSynth: templateMs / synthMs,
  thousandOverTen: byApps[1000] / byApps[10],
  peakMiB: peakKiB / 1024,
};
console.log(`npm run synth / kustomize: ${ratios.npmSynthOverKustomize.toFixed(2)}`);
console.log(`in-process synth / kustomize: ${ratios.synthOverKustomize.toFixed(2)}`);
console.log(`template / synth ratio: ${ratios.templateOverSynth.toFixed(1)}`);
console.log(`1000 / 10 apps ratio: ${ratios.thousandOverTen.toFixed(2)}`);
console.log(`peak MiB: ${ratios.peakMiB.toFixed(0)}`);
if (npmTestSeconds !== undefined) console.log(`npm test seconds: ${npmTestSeconds.toFixed(0)}`);

const missed = [
  ratios.npmSynthOverKustomize > TARGETS.npmSynthOverKustomize
    && `npm run synth / kustomize ${ratios.npmSynthOverKustomize.toFixed(2)} > ${TARGETS.npmSynthOverKustomize}`,
  ratios.synthOverKustomize > TARGETS.synthOverKustomize && `in-process synth / kustomize ${ratios.synthOverKustomize.toFixed(2)} > ${TARGETS.synthOverKustomize}`,
  ratios.templateOverSynth < TARGETS.templateOverSynth && `template / synth ${ratios.templateOverSynth.toFixed(1)} < ${TARGETS.templateOverSynth}`,
  ratios.thousandOverTen > TARGETS.thousandOverTen && `1000 / 10 apps ${ratios.thousandOverTen.toFixed(2)} > ${TARGETS.thousandOverTen}`,
  ratios.peakMiB > TARGETS.peakMiB && `peak ${ratios.peakMiB.toFixed(0)} MiB > ${TARGETS.peakMiB}`,
  npmTestSeconds !== undefined && npmTestSeconds > TARGETS.npmTestSeconds && `npm test ${npmTestSeconds.toFixed(0)} s > ${TARGETS.npmTestSeconds}`,
].filter(Boolean);
console.log(missed.length === 0 ? '\nevery target holds' : `\ntargets missed:\n  ${missed.join('\n  ')}`);
process.exitCode = missed.length === 0 ? 0 : 1;
