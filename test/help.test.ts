/**
 * `--help` on every command and subcommand: exit 0, the usage, then one line per option, each with
 * its default, and every option the command accepts among them.
 */
import { describe, expect, test } from 'vitest';
import { type RunResult, runSynth, runValidate } from './support/cli.js';
import { runPki } from './support/pki.js';

/** The option lines of a help text: those of its `options:` section. */
function optionLines(stdout: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.indexOf('options:');
  expect(start, 'an options: section').toBeGreaterThan(0);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

/** Checks the shape of a help and that it lists `flags`, in that order. */
function expectHelp(run: RunResult, usage: RegExp, flags: readonly string[]): void {
  expect(run.code).toBe(0);
  expect(run.stderr).toBe('');
  expect(run.stdout).toMatch(usage);
  const options = optionLines(run.stdout);
  for (const line of options) expect(line).toMatch(/^ {2}(-h, )?--[a-z-]+( [A-Z]+)? +\S.* \(default: [^)]+\)$/);
  expect(options.map((line) => /--[a-z-]+/.exec(line)![0])).toEqual(flags);
}

describe('--help', () => {
  test('synth', async () => {
    expectHelp(await runSynth(['--help']), /^usage: npm run synth -- /,
      ['--config', '--out', '--terraform-out', '--check', '--diff', '--stat', '--json', '--help']);
    // The defaults the options really have.
    const help = (await runSynth(['-h'])).stdout;
    expect(help).toMatch(/^ {2}--config FILE +the platform configuration \(default: config\/platform\.yaml\)$/m);
    expect(help).toMatch(/^ {2}--terraform-out DIR +the Terraform stacks \(default: cdktf\.out\)$/m);
  });

  test('validate', async () => {
    expectHelp(await runValidate(['--help']), /^usage: npm run validate -- /, ['--crds', '--config', '--json', '--help']);
  });

  test('pki, with its subcommands', async () => {
    const run = await runPki(['--help']);
    expectHelp(run, /^usage: npm run pki -- init /, ['--config', '--help']);
    for (const subcommand of ['init', 'check', 'renew-server', 'sign-issuing']) {
      expect(run.stdout).toMatch(new RegExp(`^ {2}${subcommand} +\\S`, 'm'));
    }
  });

  test.each([
    ['init', ['--config', '--out', '--force', '--help']],
    ['check', ['--config', '--dir', '--warn-days', '--help']],
    ['renew-server', ['--config', '--dir', '--help']],
    ['sign-issuing', ['--csr', '--config', '--dir', '--out', '--force', '--help']],
  ])('pki %s', async (subcommand, flags) => {
    // sign-issuing --help needs no --csr: help comes before any check of the command line.
    expectHelp(await runPki([subcommand, '--help']), new RegExp(`^usage: npm run pki -- ${subcommand} `), flags);
  });

  test('pki check says its --warn-days default', async () => {
    expect((await runPki(['check', '--help'])).stdout).toMatch(/--warn-days N +.* \(default: 30\)$/m);
  });
});
