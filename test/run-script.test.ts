/**
 * `npm run synth` as typed (scripts/run.cjs): the bundles are rebuilt only when an input changed,
 * in the same process, and two runs never build at once. On a copy of the project, so that the
 * builds here never race the suite's own build/.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PROJECT_ROOT } from './support/cli.js';

let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'run-script-'));
  for (const entry of ['apps', 'lib', 'imports', 'scripts', 'config', 'package.json', 'package-lock.json', 'tsconfig.json']) {
    cpSync(join(PROJECT_ROOT, entry), join(project, entry), { recursive: true });
  }
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
});

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
});

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(project, 'scripts', 'run.cjs'), ...args], { cwd: project }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** When the synth bundle was last written: changes only when a build ran. */
const builtAt = (): number => statSync(join(project, 'build', 'synth.bundle.cjs')).mtimeMs;
const record = (): { stat: string; content: string } => JSON.parse(readFileSync(join(project, 'build', '.inputs.json'), 'utf8'));

describe('scripts/run.cjs', () => {
  test('builds when build/ is missing, then runs the bundle with the arguments', async () => {
    const first = await run('synth', '--help');
    expect(first.stderr).toBe('synth: building build/ (first run, or the sources changed since the last build; a few seconds)\n');
    expect(first.stdout).toMatch(/^usage: npm run synth -- /);
    expect(first.code).toBe(0);
    expect(record().content).toMatch(/^[0-9a-f]{64}$/);
  });

  test('no input changed: no build; a touched file with the same content: no build, the quick fingerprint refreshed', async () => {
    const built = builtAt();
    expect(await run('synth', '--help')).toEqual({ code: 0, stdout: expect.stringMatching(/^usage/), stderr: '' });
    expect(builtAt()).toBe(built);
    const before = record();
    const file = join(project, 'lib', 'synth.ts');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect((await run('validate', '--help')).code).toBe(0);
    expect(builtAt()).toBe(built);
    expect(record().content).toBe(before.content);
    expect(record().stat).not.toBe(before.stat);
  });

  test('an input changed: rebuilt once, by one of two runs started together, and both run the new code', async () => {
    const built = builtAt();
    const before = record().content;
    // A change the runs can see: the usage text they print.
    const source = join(project, 'apps', 'synth.ts');
    const text = readFileSync(source, 'utf8');
    expect(text).toContain("'npm run synth -- [--config FILE]");
    writeFileSync(source, text.replace("'npm run synth -- [--config FILE]", "'(changed) npm run synth -- [--config FILE]"));
    const [a, b] = await Promise.all([run('synth', '--help'), run('synth', '--help')]);
    expect([a.code, b.code]).toEqual([0, 0]);
    // One built; the other waited on build/.build.lock and found build/ current.
    expect([a.stderr, b.stderr].filter((stderr) => stderr.includes('building build/'))).toHaveLength(1);
    expect(a.stdout).toMatch(/^usage: \(changed\) npm run synth -- /);
    expect(b.stdout).toBe(a.stdout);
    expect(builtAt()).not.toBe(built);
    expect(record().content).not.toBe(before);
    const rebuilt = builtAt();
    expect((await run('synth', '--help')).code).toBe(0);
    expect(builtAt()).toBe(rebuilt);
  });

  test('an unknown entry: exit 2', async () => {
    expect(await run('deploy')).toEqual({ code: 2, stdout: '', stderr: 'scripts/run.cjs: expected one of synth, pki, validate, got "deploy"\n' });
  });
});
