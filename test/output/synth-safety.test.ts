/**
 * `npm run synth` as users run it never destroys what it did not write: Terraform state, lock
 * and override files and `flux bootstrap`'s folder survive; refused folders leave the checkout
 * byte-identical; a synth killed (SIGKILL) before any step of its commit leaves the old output or
 * the new one, and the next synth completes; two synths at once never interleave; a read-only
 * dist/ fails clearly with both outputs untouched.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, test } from 'vitest';
import { recoverOutputs } from '../../lib/output/commit.js';
import { EXAMPLE_CONFIG, type RunResult, SYNTH_BUNDLE } from '../support/cli.js';
import { readTree } from '../support/tree.js';

interface Workspace {
  readonly root: string;
  readonly dist: string;
  readonly tf: string;
}

/** A repository-like folder: config/ (the example, or `config`), a .git folder, nothing else. */
function workspace(config: unknown = parse(readFileSync(EXAMPLE_CONFIG, 'utf8'))): Workspace {
  const root = mkdtempSync(join(tmpdir(), 'synth-safety-'));
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  cpSync(dirname(EXAMPLE_CONFIG), join(root, 'config'), { recursive: true });
  writeConfig(root, config);
  return { root, dist: join(root, 'dist'), tf: join(root, 'cdktf.out') };
}

function writeConfig(root: string, config: unknown): void {
  writeFileSync(join(root, 'config', 'platform.yaml'), stringify(config));
}

function copy(ws: Workspace): Workspace {
  const root = mkdtempSync(join(tmpdir(), 'synth-safety-'));
  cpSync(ws.root, root, { recursive: true });
  return { root, dist: join(root, 'dist'), tf: join(root, 'cdktf.out') };
}

interface Run extends RunResult {
  readonly signal: NodeJS.Signals | null;
}

/** `node build/synth.cjs ARGS` from `cwd`, as `npm run synth` does from the repository's root. */
function synth(cwd: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}, bundle = SYNTH_BUNDLE, prefix: readonly string[] = []): Promise<Run> {
  return new Promise((done) => {
    const [command, ...rest] = [...prefix, process.execPath, bundle, ...args];
    execFile(command!, rest, { cwd, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr, signal: (error as { signal?: NodeJS.Signals } | null)?.signal ?? null });
    });
  });
}

/** Everything in the two outputs (foreign files included), as one map. */
function outputs(ws: Workspace): Map<string, string> {
  const all = new Map<string, string>();
  for (const [label, dir] of [['dist', ws.dist], ['cdktf.out', ws.tf]] as const) {
    for (const [path, content] of readTree(dir)) all.set(`${label}/${path}`, content);
  }
  return all;
}

/** Files others own, as a real checkout has them after `flux bootstrap`, `terraform init` and some editing. */
const FOREIGN: Record<string, string> = {
  'dist/mycluster-0/flux/flux-system/gotk-sync.yaml': 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n',
  'dist/mycluster-0/flux/flux-system/kustomization.yaml': 'resources: [gotk-components.yaml, gotk-sync.yaml]\n',
  'dist/NOTES.md': 'what we changed by hand\n',
  'cdktf.out/stacks/vault-aws/.terraform.lock.hcl': '# This file is maintained automatically by "terraform init".\n',
  'cdktf.out/stacks/vault-aws/.terraform/terraform.tfstate': '{"version": 3, "backend": {"type": "local"}}\n',
  'cdktf.out/stacks/vault-aws/main_override.tf.json': '{"resource": {}}\n',
  'cdktf.out/stacks/vault-config/terraform.tfstate.backup': '{"version": 4}\n',
  'terraform-state/vault-aws.tfstate': '{"version": 4, "serial": 42}\n',
};

function plantForeign(ws: Workspace): void {
  for (const [path, content] of Object.entries(FOREIGN)) {
    mkdirSync(dirname(join(ws.root, path)), { recursive: true });
    writeFileSync(join(ws.root, path), content);
  }
}

function expectForeignIntact(ws: Workspace): void {
  for (const [path, content] of Object.entries(FOREIGN)) expect(readFileSync(join(ws.root, path), 'utf8'), path).toBe(content);
}

/**
 * A configuration whose synth adds, changes and removes files in both outputs: one application
 * less (its route goes), one more (a route comes), 3 Raft voters (vault-aws changes).
 */
function changedConfig(): any {
  const config = parse(readFileSync(EXAMPLE_CONFIG, 'utf8'));
  config.applications = [
    config.applications[0],
    { name: 'docs', namespace: 'docs', gateway: 'public', hostname: 'docs.example.com', service: { name: 'docs', port: 80 } },
  ];
  config.vaultCluster.voters = 3;
  return config;
}

/** The old state: the example synthesized, then foreign files added. */
let base: Workspace;
let oldState: Map<string, string>;
/** What a synth of changedConfig() gives from the old state. */
let newState: Map<string, string>;

beforeAll(async () => {
  base = workspace();
  const first = await synth(base.root);
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  plantForeign(base);
  oldState = outputs(base);
  const expected = copy(base);
  writeConfig(expected.root, changedConfig());
  const run = await synth(expected.root);
  expect(run.code).toBe(0);
  newState = outputs(expected);
  expect(newState).not.toEqual(oldState);
});

describe('what synth keeps', () => {
  test('state, lock, override and flux-system files, and a user\'s file, survive two synths that change both outputs', async () => {
    const ws = copy(base);
    writeConfig(ws.root, changedConfig());
    const run = await synth(ws.root);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^files: 1 added, 3 changed, 6 removed; 3 files synth did not write kept as they are$/m);
    expect(run.stdout).toMatch(/^terraform: .* 0 added, 1 changed, 0 removed; 4 files synth did not write kept as they are$/m);
    expectForeignIntact(ws);
    writeConfig(ws.root, parse(readFileSync(EXAMPLE_CONFIG, 'utf8')));
    expect((await synth(ws.root)).code).toBe(0);
    expectForeignIntact(ws);
    expect(outputs(ws)).toEqual(oldState);
  });

  test.each([
    ['inside cdktf.out/', '../cdktf.out/state', 'cdktf.out'],
    ['inside dist/ (committed)', '../dist/mycluster-0/state', 'dist'],
  ])('refuses a local state folder %s: exit 1 naming the field, and changes nothing', async (_where, directory, output) => {
    const ws = copy(base);
    const config = parse(readFileSync(EXAMPLE_CONFIG, 'utf8'));
    writeConfig(ws.root, { ...config, terraform: { backend: { local: { directory } } } });
    const before = readTree(ws.root);
    const run = await synth(ws.root);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`terraform.backend.local.directory: expected a folder outside ${output}/, got ${JSON.stringify(directory)}`);
    expect(run.stderr).toContain('synth owns');
    expect(readTree(ws.root)).toEqual(before);
  });

  test('refuses to run while Terraform state sits in a stack folder, says how to move it, and changes nothing', async () => {
    const ws = copy(base);
    writeFileSync(join(ws.tf, 'stacks/vault-config/terraform.tfstate'), '{"version": 4}\n');
    const before = readTree(ws.root);
    const run = await synth(ws.root);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Terraform state in the output folder, where earlier versions kept it: cdktf.out/stacks/vault-config/terraform.tfstate.');
    expect(run.stderr).toContain('    mkdir -p terraform-state\n    mv cdktf.out/stacks/vault-config/terraform.tfstate terraform-state/vault-config.tfstate\n');
    expect(run.stderr).toContain('dist/ and cdktf.out/ were left unchanged.');
    expect(readTree(ws.root)).toEqual(before);
  });
});

describe('folders synth refuses', () => {
  test.each([
    ['an empty --out (an unset variable)', ['--out', ''], '--out is empty (an unset shell variable?)'],
    ['the repository\'s root', ['--out', '.'], '--out "." is the folder synth runs in'],
    ['the configuration\'s folder', ['--out', 'config'], '--out "config" is the configuration\'s folder'],
    ['a parent of the repository', ['--terraform-out', '..'], '--terraform-out ".." contains the folder synth runs in'],
    ['a folder with a foreign file and no manifest', ['--out', 'docs'], 'docs/ holds files that synth did not write (guide.md)'],
    ['both outputs in one folder', ['--out', 'out', '--terraform-out', 'out'], 'overlap: each output needs a folder of its own'],
  ])('refuses %s: exit 2, the checkout byte-identical', async (_what, args, message) => {
    const ws = copy(base);
    mkdirSync(join(ws.root, 'docs'));
    writeFileSync(join(ws.root, 'docs', 'guide.md'), '# guide\n');
    const before = readTree(ws.root);
    const run = await synth(ws.root, args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
    expect(readTree(ws.root)).toEqual(before);
  });
});

describe('a synth killed at any step of its commit', () => {
  test('leaves the old output or the new one, never a mix; the next synth completes, foreign files kept', async () => {
    // The steps of a synth from the old state to the new one, as the fault hook numbers them.
    const traced = copy(base);
    writeConfig(traced.root, changedConfig());
    const trace = join(traced.root, 'steps.txt');
    expect((await synth(traced.root, [], { GATEWAY_PKI_FAULT: `trace:${trace}` })).code).toBe(0);
    const steps = readFileSync(trace, 'utf8').trim().split('\n');
    const commit = steps.findIndex((line) => /^\d+ rename .*\.gateway-pki-commit\.json\.tmp /.test(line)) + 1;
    expect(commit).toBeGreaterThan(5);
    expect(steps.length).toBeGreaterThan(commit + 5);

    for (let step = 1; step <= steps.length; step += 1) {
      const ws = copy(base);
      writeConfig(ws.root, changedConfig());
      const killed = await synth(ws.root, [], { GATEWAY_PKI_FAULT: `crash:${step}` });
      expect(killed.signal, `step ${step}: ${steps[step - 1]}`).toBe('SIGKILL');
      if (step % 3 === 0 || Math.abs(step - commit) <= 1) {
        // The next synth recovers by itself, and writes the new output.
        const next = await synth(ws.root);
        expect(next.code, `after a kill at step ${step}: ${next.stderr}`).toBe(0);
        expect(outputs(ws), `after a kill at step ${step} and a synth`).toEqual(newState);
        expectForeignIntact(ws);
      } else {
        // What the next start does first: before the commit point, the old output; from it on, the new.
        recoverOutputs([{ dir: ws.dist, label: 'dist' }, { dir: ws.tf, label: 'cdktf.out' }]);
        expect(outputs(ws), `a kill before step ${step}: ${steps[step - 1]}`).toEqual(step <= commit ? oldState : newState);
      }
    }
    // One synth per step (about 40): 20 s alone on 2 cores, several times that beside other work.
  }, 300_000);
});

describe('two synths at once', () => {
  test('the second waits for the first, then writes its own output: nothing interleaves, foreign files kept', async () => {
    const ws = copy(base);
    writeConfig(ws.root, changedConfig());
    const release = join(ws.root, 'release');
    // The first holds both locks and stops before its third step (staging).
    const first = synth(ws.root, [], { GATEWAY_PKI_FAULT: `pause:3:${release}` });
    await until(() => existsSync(join(ws.dist, '.gateway-pki.lock')));
    const third = parse(readFileSync(EXAMPLE_CONFIG, 'utf8'));
    third.vaultCluster.voters = 7;
    const thirdConfig = join(ws.root, 'config', 'seven.yaml');
    writeFileSync(thirdConfig, stringify(third));
    const second = startSynth(ws.root, ['--config', thirdConfig]);
    await until(() => second.stderr().includes('waiting for synth'));
    // Nothing but the first one's locks has changed yet.
    const now = outputs(ws);
    expect([...now.keys()].filter((path) => path.endsWith('/.gateway-pki.lock')).sort()).toEqual(['cdktf.out/.gateway-pki.lock', 'dist/.gateway-pki.lock']);
    for (const lock of ['cdktf.out/.gateway-pki.lock', 'dist/.gateway-pki.lock']) now.delete(lock);
    expect(now).toEqual(oldState);
    writeFileSync(release, '');
    const [a, b] = [await first, await second.done];
    expect(a.code).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/^synth: waiting for synth \(pid \d+\) to finish with (dist|cdktf\.out)\/ …$/m);
    expectForeignIntact(ws);

    const expected = copy(base);
    writeConfig(expected.root, third);
    expect((await synth(expected.root)).code).toBe(0);
    const wanted = outputs(expected);
    // The second synth's configuration is a file of its own, so its relative paths to the configuration folder match.
    expect(outputs(ws)).toEqual(wanted);
  });

  test('started together, both finish and the result is one of them, whole', async () => {
    const ws = copy(base);
    writeConfig(ws.root, changedConfig());
    const runs = await Promise.all([synth(ws.root), synth(ws.root)]);
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    expect(outputs(ws)).toEqual(newState);
  });
});

describe('a read-only dist/', () => {
  test('fails with a clear message, both outputs untouched', async () => {
    const ws = copy(base);
    writeConfig(ws.root, changedConfig());
    // The bundle runs from the workspace, so that an unprivileged user can read it.
    mkdirSync(join(ws.root, 'build'));
    for (const file of readdirSync(dirname(SYNTH_BUNDLE)).filter((f) => /^(synth(\.bundle)?|launch)\.cjs$/.test(f))) {
      cpSync(join(dirname(SYNTH_BUNDLE), file), join(ws.root, 'build', file));
    }
    const asRoot = process.getuid?.() === 0;
    const nobody = 65534;
    walk(ws.root, (path, isDir) => {
      if (asRoot) chownSync(path, nobody, nobody);
      chmodSync(path, isDir ? 0o755 : 0o644);
    });
    walk(ws.dist, (path, isDir) => chmodSync(path, isDir ? 0o555 : 0o444));
    chmodSync(ws.root, 0o755);
    const before = outputs(ws);
    const prefix = asRoot ? ['setpriv', `--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups'] : [];
    const run = await synth(ws.root, [], { HOME: ws.root }, join(ws.root, 'build', 'synth.cjs'), prefix);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^synth: cannot write the output \(permission denied: check who owns the output folders and their modes\): EACCES: .*dist/m);
    expect(run.stderr).toContain('dist/ and cdktf.out/ were left unchanged.');
    walk(ws.dist, (path, isDir) => chmodSync(path, isDir ? 0o755 : 0o644));
    expect(outputs(ws)).toEqual(before);
    expect(existsSync(join(ws.tf, '.gateway-pki.lock'))).toBe(false);
  });
});

function walk(dir: string, visit: (path: string, isDir: boolean) => void): void {
  visit(dir, true);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, visit);
    else if (statSync(path).isFile()) visit(path, false);
  }
}

function startSynth(cwd: string, args: readonly string[]): { done: Promise<Run>; stderr: () => string } {
  let stderr = '';
  let stdout = '';
  const child = spawn(process.execPath, [SYNTH_BUNDLE, ...args], { cwd });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code: code ?? 1, stdout, stderr, signal })));
  return { done, stderr: () => stderr };
}

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

