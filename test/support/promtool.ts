import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findTool } from './tools.js';

/** promtool, from Debian's `prometheus` package (`.ci/run` installs it). */
export function findPromtool(): string | undefined {
  return findTool('promtool');
}

export interface PromtoolResult {
  readonly ok: boolean;
  readonly output: string;
}

function run(promtool: string, args: string[]): PromtoolResult {
  try {
    return { ok: true, output: execFileSync(promtool, args, { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** `promtool check rules` on a rule file made of `groups`. */
export function checkRules(promtool: string, ruleFile: unknown): PromtoolResult {
  const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
  writeFileSync(join(dir, 'rules.yaml'), stringify(ruleFile));
  return run(promtool, ['check', 'rules', join(dir, 'rules.yaml')]);
}

/** `promtool test rules` with unit tests (`tests`) against a rule file. */
export function testRules(promtool: string, ruleFile: unknown, tests: unknown[]): PromtoolResult {
  const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
  writeFileSync(join(dir, 'rules.yaml'), stringify(ruleFile));
  writeFileSync(join(dir, 'tests.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }));
  return run(promtool, ['test', 'rules', join(dir, 'tests.yaml')]);
}
