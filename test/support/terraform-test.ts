/**
 * Running `terraform test` on synthesized stacks: our `.tftest.hcl` files (test/terraform/plan/)
 * plan a stack against a mocked hashicorp/aws provider, offline, with the provider's real schema
 * from the filesystem mirror. Asynchronous, so that several stacks plan at once.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Terraform's exit status and output (stdout then stderr). */
interface RunOutput {
  readonly code: number;
  readonly output: string;
}

/** No run here takes more than seconds; a hung provider fails the test rather than the suite. */
const TERRAFORM_TIMEOUT_MS = 120_000;

function run(terraform: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunOutput> {
  return new Promise((resolve) => {
    execFile(terraform, args, { cwd, env, timeout: TERRAFORM_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      const killed = error?.killed ? `\nterraform ${args[0]} killed after ${TERRAFORM_TIMEOUT_MS / 1000} s\n` : '';
      resolve({ code, output: `${stdout}${stderr}${killed}` });
    });
  });
}

/** `terraform init -backend=false` in a stack folder; throws with Terraform's output when it fails. */
export async function terraformInit(terraform: string, env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  const result = await run(terraform, ['init', '-backend=false', '-input=false', '-no-color'], cwd, env);
  if (result.code !== 0) throw new Error(`terraform init failed in ${cwd}:\n${result.output}`);
}

/**
 * What the mocks take from the configuration under test, so that the test files name nothing of
 * it: the account Terraform's credentials belong to (the caller identity) and, for the Vault
 * cluster, the VPC the configuration describes.
 */
export interface MockedAccount {
  readonly accountId: string;
  readonly vpc?: { readonly id: string; readonly cidr: string };
}

/** Folder, beside the test file, of the mocks written from the configuration (`mock_provider "aws" { source = "./fixture" }`). */
export const MOCKS_FOLDER = 'fixture';

/** The mocks of {@link MockedAccount} as a `.tfmock.hcl` file. */
export function mockedAccountFile(account: MockedAccount): string {
  const lines = [
    '# Written by test/support/terraform-test.ts from the configuration under test.',
    'mock_data "aws_caller_identity" {',
    `  defaults = { account_id = ${hcl(account.accountId)}, arn = ${hcl(`arn:aws:iam::${account.accountId}:role/plan-test`)}, user_id = "AROAPLANTEST:plan-test" }`,
    '}',
  ];
  if (account.vpc) {
    lines.push('mock_data "aws_vpc" {', `  defaults = { id = ${hcl(account.vpc.id)}, cidr_block = ${hcl(account.vpc.cidr)} }`, '}');
  }
  return `${lines.join('\n')}\n`;
}

/** Copies `testFile` into the stack folder, with the mocks of `account` beside it. */
export function addPlanTest(stackDir: string, testFile: string, account: MockedAccount): void {
  copyFileSync(testFile, join(stackDir, basename(testFile)));
  mkdirSync(join(stackDir, MOCKS_FOLDER), { recursive: true });
  writeFileSync(join(stackDir, MOCKS_FOLDER, 'aws.tfmock.hcl'), mockedAccountFile(account));
}

/** The outcome of one `terraform test`. */
export interface PlanTestResult {
  readonly ok: boolean;
  /** Terraform's output, uncoloured: what a failing test shows. */
  readonly output: string;
  readonly seconds: number;
}

/**
 * `terraform test` in an initialised stack folder. `vars` become `-var` options; the test files
 * declare no variable blocks, so Terraform parses each value as an HCL expression: JSON literals
 * (strings, numbers, lists) are exactly that.
 */
export async function terraformTest(terraform: string, env: NodeJS.ProcessEnv, cwd: string, vars: Readonly<Record<string, unknown>>): Promise<PlanTestResult> {
  const started = performance.now();
  const args = ['test', '-no-color', ...Object.entries(vars).flatMap(([name, value]) => ['-var', `${name}=${JSON.stringify(value)}`])];
  const result = await run(terraform, args, cwd, env);
  return { ok: result.code === 0, output: result.output, seconds: (performance.now() - started) / 1000 };
}

/** A JSON string is an HCL string literal, as long as it holds no template sequence. */
function hcl(value: string): string {
  if (value.includes('${') || value.includes('%{')) throw new Error(`not a plain HCL string: ${value}`);
  return JSON.stringify(value);
}

/** Runs the functions given to it at most `limit` at a time, in the order given. */
export function concurrencyLimit(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < limit) running += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve)); // a finishing task hands its slot over
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}
