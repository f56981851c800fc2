import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DistFile } from '../../lib/output/render.js';
import { findMirror } from './setup.js';
import { findTool } from './tools.js';

/** The filesystem mirror holding hashicorp/aws (the global setup exports the one it found as GATEWAY_PKI_TF_MIRROR), or undefined. */
export function findProviderMirror(): string | undefined {
  return findMirror(process.env, undefined, false);
}

export function findTerraform(): string | undefined {
  return findTool('terraform');
}

/** Writes synthesized files into a fresh folder and returns it. */
export function writeFiles(files: readonly DistFile[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tf-'));
  for (const file of files) {
    const target = join(dir, ...file.path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content);
  }
  return dir;
}

/**
 * The environment that makes Terraform install providers from the filesystem mirror only (no
 * registry: there is no network), with a CLI configuration written into `dir`.
 */
export function offlineTerraformEnv(mirror: string, dir: string): NodeJS.ProcessEnv {
  const cliConfig = join(dir, 'terraformrc');
  // The mirror is also the plugin cache: `init` links the 700 MB provider instead of copying it
  // into every stack (seconds per stack). With no lock file yet, Terraform only links from the
  // cache when allowed to record the cached package's checksum in the new lock file.
  writeFileSync(cliConfig, `plugin_cache_dir = "${mirror}"\nplugin_cache_may_break_dependency_lock_file = true\n`
    + `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n`
    + `  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n`);
  return { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
}

/** What {@link terraformValidateReport} found. */
export interface TerraformValidateReport {
  /** Per validated stack, the diagnostics Terraform reported (empty when valid). */
  readonly diagnostics: Record<string, string[]>;
  /**
   * Per stack that was not validated, why: a provider it requires is not in the mirror (no network
   * here to download it). Never silent: the tests assert on it, and it is printed.
   */
  readonly notValidated: Record<string, string>;
}

/**
 * Runs `terraform init -backend=false` and `terraform validate -json` in every stack of `outdir`,
 * offline, with a CLI configuration whose only provider source is the filesystem mirror. A stack
 * requiring a provider the mirror does not hold (at the pinned version) cannot be initialised: it is
 * skipped and listed in `notValidated` with the reason, and printed to stderr.
 */
export function terraformValidateReport(terraform: string, mirror: string, outdir: string, only?: readonly string[]): TerraformValidateReport {
  const env = offlineTerraformEnv(mirror, outdir);
  const diagnostics: Record<string, string[]> = {};
  const notValidated: Record<string, string> = {};
  const stacksDir = join(outdir, 'stacks');
  for (const stack of readdirSync(stacksDir).sort().filter((name) => only === undefined || only.includes(name))) {
    const cwd = join(stacksDir, stack);
    const missing = missingProviders(join(cwd, 'cdk.tf.json'), mirror);
    if (missing.length > 0) {
      notValidated[stack] = `not validated: provider ${missing.join(', ')} not in the mirror ${mirror} (no network to install it)`;
      process.stderr.write(`terraform validate: stack ${stack} ${notValidated[stack]}\n`);
      continue;
    }
    execFileSync(terraform, ['init', '-backend=false', '-input=false', '-no-color'], { cwd, env, stdio: 'pipe' });
    let output: string;
    try {
      output = execFileSync(terraform, ['validate', '-json', '-no-color'], { cwd, env, encoding: 'utf8' });
    } catch (err) {
      output = (err as { stdout?: string }).stdout ?? String(err);
    }
    const report = JSON.parse(output) as { valid: boolean; diagnostics: Array<{ severity: string; summary: string; detail?: string }> };
    diagnostics[stack] = report.diagnostics.map((d) => `${d.severity}: ${d.summary}${d.detail ? ` (${d.detail})` : ''}`);
    if (!report.valid && diagnostics[stack]!.length === 0) diagnostics[stack] = ['invalid, without diagnostics'];
  }
  return { diagnostics, notValidated };
}

/**
 * Like {@link terraformValidateReport}, returning the diagnostics of the validated stacks only; the
 * stacks it could not validate are printed to stderr.
 */
export function terraformValidate(terraform: string, mirror: string, outdir: string, only?: readonly string[]): Record<string, string[]> {
  return terraformValidateReport(terraform, mirror, outdir, only).diagnostics;
}

/**
 * The providers a stack requires (`terraform.required_providers`) that the filesystem mirror lacks
 * at their version, as `host/namespace/type version`. A source without host is on
 * registry.terraform.io; without namespace, in `hashicorp` (Terraform's own rules).
 */
export function missingProviders(stackFile: string, mirror: string): string[] {
  const stack = JSON.parse(readFileSync(stackFile, 'utf8')) as { terraform?: { required_providers?: Record<string, { source?: string; version?: string }> } };
  return Object.entries(stack.terraform?.required_providers ?? {}).flatMap(([name, { source, version }]) => {
    const parts = (source ?? name).split('/');
    const [host, namespace, type] = parts.length === 3 ? parts : parts.length === 2 ? ['registry.terraform.io', ...parts] : ['registry.terraform.io', 'hashicorp', parts[0]!];
    const dir = join(mirror, host!, namespace!, type!);
    // Unpacked (`<version>/<os_arch>/`) or packed (`terraform-provider-<type>_<version>_<os>_<arch>.zip`) layouts.
    const present = existsSync(dir) && (version === undefined
      || existsSync(join(dir, version))
      || readdirSync(dir).some((f) => f.startsWith(`terraform-provider-${type}_${version}_`)));
    return present ? [] : [`${host}/${namespace}/${type}${version ? ` ${version}` : ''}`];
  });
}
