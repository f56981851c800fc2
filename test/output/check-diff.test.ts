/**
 * `npm run synth -- --check` and `npm run diff` as users run them: they compare the output folders
 * with what the configuration gives, and never write.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { previewOutputs } from '../../lib/output/commit.js';
import { renderDiff, renderDiffStat } from '../../lib/output/diff.js';
import { EXAMPLE_CONFIG, runSynth, SYNTH_BUNDLE } from '../support/cli.js';
import { readTree } from '../support/tree.js';
import { secondCluster } from '../support/example-config.js';

let work: string;
/** A synth of the example into `<base>/dist` and `<base>/cdktf.out`, with its config in `<base>/config`. */
let base: string;

const HELMRELEASE = 'mycluster-0/controllers/helmrelease.cert-manager.cert-manager.yaml';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'check-diff-'));
  base = join(work, 'base');
  cpSync(join(EXAMPLE_CONFIG, '..'), join(base, 'config'), { recursive: true });
  const run = await runSynth(args(base));
  expect(run.code).toBe(0);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function args(root: string, ...more: string[]): string[] {
  return ['--config', join(root, 'config', 'platform.yaml'), '--out', join(root, 'dist'), '--terraform-out', join(root, 'cdktf.out'), ...more];
}

/** A copy of the base synth, its configuration changed by `edit`. */
function copyWith(name: string, edit: (config: any) => void = () => {}): string {
  const root = join(work, name);
  cpSync(base, root, { recursive: true });
  const file = join(root, 'config', 'platform.yaml');
  const config = parse(readFileSync(file, 'utf8'));
  edit(config);
  writeFileSync(file, stringify(config));
  return root;
}

const moreReplicas = (config: any): void => { config.clusters[0].certManager = { ...config.clusters[0].certManager, replicas: 3 }; };

describe('npm run synth -- --check', () => {
  test('up to date: exit 0, one line, nothing written', async () => {
    const root = copyWith('clean');
    const before = readTree(root);
    const run = await runSynth(args(root, '--check'));
    expect(run).toEqual({ code: 0, stderr: '', stdout: `check: ${join(root, 'dist')}/ and ${join(root, 'cdktf.out')}/ are what the configuration gives\n` });
    expect(readTree(root)).toEqual(before);
  });

  test('after a configuration change: exit 1, each file that would change, nothing written', async () => {
    const root = copyWith('changed', moreReplicas);
    const before = readTree(root);
    const run = await runSynth(args(root, '--check'));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe([
      `check: ${join(root, 'dist')}/ is out of date: 0 to add, 1 to change, 0 to remove`,
      `  ~ ${join(root, 'dist')}/${HELMRELEASE}`,
      'run `npm run synth` (and commit dist/), or `npm run diff` to see the changes',
      '',
    ].join('\n'));
    expect(readTree(root)).toEqual(before);
  });

  test('files others put in the folders do not count; a file synth owns that is gone, or an extra one, does', async () => {
    const root = copyWith('foreign');
    mkdirSync(join(root, 'dist', 'mycluster-0', 'flux', 'flux-system'), { recursive: true });
    writeFileSync(join(root, 'dist', 'mycluster-0', 'flux', 'flux-system', 'gotk-sync.yaml'), 'kind: GitRepository\n');
    writeFileSync(join(root, 'cdktf.out', 'stacks', 'vault-aws', '.terraform.lock.hcl'), '# lock\n');
    expect((await runSynth(args(root, '--check'))).code).toBe(0);
    unlinkSync(join(root, 'dist', HELMRELEASE));
    const run = await runSynth(args(root, '--check', '--json'));
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.upToDate).toBe(false);
    expect(report.outputs.map((o: any) => [o.upToDate, o.added, o.changed, o.removed])).toEqual([
      [false, [HELMRELEASE], [], []],
      [true, [], [], []],
    ]);
  });

  test('a cluster removed from the configuration: its files are listed as removed', async () => {
    const root = copyWith('second-cluster', (config) => {
      config.clusters.push(secondCluster(config.clusters[0]));
      for (const application of config.applications) application.cluster = 'mycluster-0';
      if (config.backup) config.backup.cluster = 'mycluster-0';
    });
    const two = await runSynth(args(root));
    expect(two.stderr).toBe('');
    expect(two.code).toBe(0);
    writeFileSync(join(root, 'config', 'platform.yaml'), readFileSync(join(base, 'config', 'platform.yaml')));
    const run = await runSynth(args(root, '--check'));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^  - ${join(root, 'dist')}/mycluster-1/flux/kustomization\\.flux-system\\.controllers\\.yaml$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^  - ${join(root, 'cdktf.out')}/stacks/mycluster-1-aws/cdk\\.tf\\.json$`, 'm'));
  });

  test('a manifest edited by hand, or the journal of an interrupted synth, is out of date', async () => {
    const edited = copyWith('manifest-edited');
    const manifest = join(edited, 'dist', '.gateway-pki-output.json');
    // The same list of files, reformatted: nothing to add or remove, but not what synth writes.
    writeFileSync(manifest, JSON.stringify(JSON.parse(readFileSync(manifest, 'utf8'))));
    const run = await runSynth(args(edited, '--check'));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`  ~ ${join(edited, 'dist')}/.gateway-pki-output.json (the list of files synth owns)\n`);
    const interrupted = copyWith('interrupted');
    writeFileSync(join(interrupted, 'dist', '.gateway-pki-commit.json'), '{"generator":"gateway-pki","targets":[]}\n');
    const journal = await runSynth(args(interrupted, '--check', '--json'));
    expect(journal.code).toBe(1);
    expect(JSON.parse(journal.stdout).outputs[0]).toMatchObject({ upToDate: false, interrupted: true, added: [], changed: [], removed: [] });
  });

  test('bad combinations of options: exit 2 with the usage', async () => {
    for (const [options, message] of [
      [['--check', '--diff'], '--check and --diff are two answers to one question: give one'],
      [['--stat'], '--stat goes with --diff'],
      [['--diff', '--json'], '--json does not go with --diff'],
    ] as const) {
      const run = await runSynth(args(base, ...options));
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain('usage: npm run synth');
    }
  });
});

describe('npm run synth -- --json', () => {
  test('the summary of a write as JSON: clusters, objects per layer, stacks, what changed in each folder', async () => {
    const root = copyWith('json', moreReplicas);
    const run = await runSynth(args(root, '--json'));
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.clusters).toEqual(['mycluster-0']);
    expect(summary.objects).toBe(summary.layers.reduce((n: number, layer: { objects: number }) => n + layer.objects, 0));
    expect(summary.stacks).toEqual(expect.arrayContaining(['mycluster-0-aws', 'vault-config']));
    expect(summary.outputs.map((o: any) => [o.folder, o.added, o.changed, o.removed])).toEqual([
      [join(root, 'dist'), [], [HELMRELEASE], []],
      [join(root, 'cdktf.out'), [], [], []],
    ]);
    expect(summary.next).toEqual([expect.stringMatching(/^vault-config is in phase 1 of 2/)]);
  });
});

describe('npm run diff', () => {
  test('the unified diff of a configuration change, plain in a pipe, exit 0, nothing written', async () => {
    const root = copyWith('diff', moreReplicas);
    const before = readTree(root);
    const run = await runSynth(args(root, '--diff'));
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toContain('\u001b[');
    const dist = join(root, 'dist');
    expect(run.stdout.split('\n').slice(0, 3)).toEqual([`--- a/${dist}/${HELMRELEASE}`, `+++ b/${dist}/${HELMRELEASE}`, expect.stringMatching(/^@@ -\d+,7 \+\d+,7 @@$/)]);
    expect(run.stdout.split('\n').filter((line) => /^[+-] /.test(line) || /^[+-]\s+replicaCount/.test(line))).toEqual([
      '-      replicaCount: 2', '+      replicaCount: 3', '-    replicaCount: 2', '+    replicaCount: 3', '-      replicaCount: 2', '+      replicaCount: 3',
    ]);
    expect(readTree(root)).toEqual(before);
    const stat = await runSynth(args(root, '--diff', '--stat'));
    expect(stat).toEqual({ code: 0, stderr: '', stdout: ` ${dist}/${HELMRELEASE} | 6 +++---\n 1 file changed, 3 insertions(+), 3 deletions(-)\n` });
  });

  test('a reader that stops early (npm run diff | head -1) ends it quietly', async () => {
    // Four more clusters: a diff of every file of each, far more than the 64 KiB a pipe holds.
    const root = copyWith('diff-head', (config) => {
      for (const n of [1, 2, 3, 4]) {
        const cluster = secondCluster(config.clusters[0], `mycluster-${n}`);
        cluster.workloadIdentity.oidcProviderArn = cluster.workloadIdentity.oidcProviderArn.replace(/\/id\/.*$/, `/id/${String(n).repeat(32)}`);
        config.clusters.push(cluster);
      }
      for (const application of config.applications) application.cluster = 'mycluster-0';
      config.backup.cluster = 'mycluster-0';
    });
    const { stderr, code } = await new Promise<{ stderr: string; code: number | null }>((done) => {
      const child = spawn(process.execPath, [SYNTH_BUNDLE, ...args(root, '--diff')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (chunk) => { err += chunk; });
      child.stdout.once('data', () => child.stdout.destroy());
      child.on('close', (exit) => done({ stderr: err, code: exit }));
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  test('nothing to change: no output at all', async () => {
    expect(await runSynth(args(base, '--diff'))).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await runSynth(args(base, '--diff', '--stat'))).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('renderDiff', () => {
  const preview = (dir: string) => previewOutputs([{
    dir, label: 'dist', adopt: () => ({ owned: [] }),
    files: [{ path: 'a/kept.yaml', content: 'x: 1\n' }, { path: 'a/changed.yaml', content: 'x: 1\ny: 3\n' }, { path: 'a/new.yaml', content: 'n: 1\n' }],
  }]);

  test('added files from /dev/null, removed ones to it, colours only when asked', () => {
    const dir = join(work, 'render');
    mkdirSync(join(dir, 'a'), { recursive: true });
    writeFileSync(join(dir, 'a', 'kept.yaml'), 'x: 1\n');
    writeFileSync(join(dir, 'a', 'changed.yaml'), 'x: 1\ny: 2\n');
    writeFileSync(join(dir, 'a', 'gone.yaml'), 'g: 1\n');
    writeFileSync(join(dir, '.gateway-pki-output.json'), JSON.stringify({ generator: 'gateway-pki', files: ['a/changed.yaml', 'a/gone.yaml', 'a/kept.yaml'] }));
    const previews = preview(dir);
    expect(renderDiff(previews)).toBe([
      '--- a/dist/a/changed.yaml', '+++ b/dist/a/changed.yaml', '@@ -1,2 +1,2 @@', ' x: 1', '-y: 2', '+y: 3',
      '--- a/dist/a/gone.yaml', '+++ /dev/null', '@@ -1,1 +0,0 @@', '-g: 1',
      '--- /dev/null', '+++ b/dist/a/new.yaml', '@@ -0,0 +1,1 @@', '+n: 1',
      '',
    ].join('\n'));
    const colored = renderDiff(previews, { color: true });
    expect(colored).toContain('\u001b[32m+y: 3\u001b[0m');
    expect(colored).toContain('\u001b[31m-y: 2\u001b[0m');
    expect(renderDiffStat(previews)).toBe([
      ' dist/a/changed.yaml | 2 +-',
      ' dist/a/gone.yaml    | 1 -',
      ' dist/a/new.yaml     | 1 +',
      ' 3 files changed, 2 insertions(+), 2 deletions(-)',
      '',
    ].join('\n'));
  });
});
