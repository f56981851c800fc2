import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DistFile } from '../../lib/output/render.js';

/** Where these machines keep the hashicorp/aws provider mirror (`.ci/run` exports the one it found). */
const MIRROR_CANDIDATES = ['/opt/tf-plugins', '/usr/share/terraform/plugins', '/usr/local/share/terraform/plugins'];

/** The filesystem mirror holding hashicorp/aws, or undefined. */
export function findProviderMirror(): string | undefined {
  const fromEnv = process.env.GATEWAY_PKI_TF_MIRROR;
  const candidates = fromEnv ? [fromEnv] : MIRROR_CANDIDATES;
  return candidates.find((dir) => existsSync(join(dir, 'registry.terraform.io', 'hashicorp', 'aws')));
}

export function findTerraform(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
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
 * Runs `terraform init -backend=false` and `terraform validate -json` in every stack of `outdir`,
 * offline, with a CLI configuration whose only provider source is the filesystem mirror.
 * Returns, per stack, the diagnostics Terraform reported (empty when valid).
 */
export function terraformValidate(terraform: string, mirror: string, outdir: string): Record<string, string[]> {
  const cliConfig = join(outdir, 'terraformrc');
  writeFileSync(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n`);
  const env = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  const results: Record<string, string[]> = {};
  const stacksDir = join(outdir, 'stacks');
  for (const stack of readdirSync(stacksDir).sort()) {
    const cwd = join(stacksDir, stack);
    execFileSync(terraform, ['init', '-backend=false', '-input=false', '-no-color'], { cwd, env, stdio: 'pipe' });
    let output: string;
    try {
      output = execFileSync(terraform, ['validate', '-json', '-no-color'], { cwd, env, encoding: 'utf8' });
    } catch (err) {
      output = (err as { stdout?: string }).stdout ?? String(err);
    }
    const report = JSON.parse(output) as { valid: boolean; diagnostics: Array<{ severity: string; summary: string; detail?: string }> };
    results[stack] = report.diagnostics.map((d) => `${d.severity}: ${d.summary}${d.detail ? ` (${d.detail})` : ''}`);
    if (!report.valid && results[stack]!.length === 0) results[stack] = ['invalid, without diagnostics'];
  }
  return results;
}
