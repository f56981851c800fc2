/**
 * What `npm test` needs beyond npm, brought by the test command itself (test/global-setup.ts), so
 * that the README's two commands are all a new machine needs:
 *
 * - command-line tools: installed with apt-get when they are missing and this is root on a Debian
 *   machine; otherwise the run stops at once, with the one command that installs them all;
 * - Terraform and a filesystem mirror of hashicorp/aws (no registry here): found, or named;
 * - the upstream CRDs: `GATEWAY_PKI_CRDS`, by default `../shared/crds` beside the project (where
 *   CI puts them); when absent, the release files named in `cdk8s.yaml` are downloaded once into
 *   `node_modules/.cache/gateway-pki/crds`; offline with neither, one error naming both ways.
 *
 * The decisions are pure functions ({@link planTools}, {@link crdFileLayout}) so that a test can
 * check each case without a machine in that state.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
// @ts-expect-error: plain JavaScript module without type declarations (shared with scripts/import-crds.mjs)
import { cdk8sImports, crdTreePath } from '../../scripts/crd-sources.mjs';
import { findTool } from './tools.js';

/** A command the tests run, and where it comes from. */
export interface ToolRequirement {
  readonly command: string;
  /** What the tests do with it, for messages. */
  readonly usedFor: string;
  /** Debian packages that provide it, the first available one is installed; none: not installable here. */
  readonly debianPackages: readonly string[];
  /** How to get it when no package can be installed. */
  readonly otherwise?: string;
}

export const TOOL_REQUIREMENTS: readonly ToolRequirement[] = [
  { command: 'kubectl', usedFor: 'kustomize builds of every dist/ layer', debianPackages: ['kubectl', 'kubernetes-client'] },
  { command: 'promtool', usedFor: 'checks and unit tests of the alert rules', debianPackages: ['prometheus'] },
  { command: 'shellcheck', usedFor: 'lints the generated shell scripts', debianPackages: ['shellcheck'] },
  { command: 'cloud-init', usedFor: 'checks the Vault nodes\' user data against its schema', debianPackages: ['cloud-init'] },
  {
    command: 'terraform',
    usedFor: 'terraform validate of every AWS stack',
    debianPackages: [],
    otherwise: 'Terraform 1.11 or later (https://developer.hashicorp.com/terraform/install)',
  },
];

/** What this machine offers, as {@link planTools} sees it. */
export interface MachineFacts {
  /** Commands found on PATH. */
  readonly present: ReadonlySet<string>;
  readonly isRoot: boolean;
  readonly hasAptGet: boolean;
}

/** What to do before the tests run. */
export interface ToolPlan {
  /** Debian packages to install now (root with apt-get), first choice of each missing tool. */
  readonly install: ReadonlyArray<{ readonly command: string; readonly packages: readonly string[] }>;
  /** Missing tools this run cannot bring: the run stops with {@link ToolPlan.message}. */
  readonly missing: readonly ToolRequirement[];
  /** The one message saying how to get every missing tool, when {@link ToolPlan.missing} is not empty. */
  readonly message?: string;
}

/** Decides, for the tools of `requirements` this machine lacks, which are installed and which are named. */
export function planTools(facts: MachineFacts, requirements: readonly ToolRequirement[] = TOOL_REQUIREMENTS): ToolPlan {
  const absent = requirements.filter((r) => !facts.present.has(r.command));
  const installable = facts.isRoot && facts.hasAptGet;
  const install = installable ? absent.filter((r) => r.debianPackages.length > 0).map((r) => ({ command: r.command, packages: r.debianPackages })) : [];
  const missing = absent.filter((r) => !install.some((i) => i.command === r.command));
  if (missing.length === 0) return { install, missing };
  const packages = missing.filter((r) => r.debianPackages.length > 0);
  const others = missing.filter((r) => r.debianPackages.length === 0);
  const lines = [`npm test needs ${missing.map((r) => r.command).join(', ')}, not found on PATH:`];
  for (const r of missing) lines.push(`  ${r.command}: ${r.usedFor}`);
  if (packages.length > 0) {
    const sudo = facts.isRoot ? '' : 'sudo ';
    const names = packages.map((r) => r.debianPackages[0]).join(' ');
    lines.push(facts.hasAptGet
      ? `Install them with: ${sudo}apt-get update && ${sudo}apt-get install -y ${names}   (npm test does it itself when run as root)`
      : `Install them (Debian packages: ${names}) with your system's package manager.`);
    for (const r of packages.filter((p) => p.debianPackages.length > 1)) {
      lines.push(`  (${r.command}: where the package ${r.debianPackages[0]} does not exist, ${r.debianPackages.slice(1).join(' or ')})`);
    }
  }
  for (const r of others) lines.push(`Install ${r.otherwise ?? r.command}.`);
  return { install, missing, message: lines.join('\n') };
}

/** The facts of this machine. */
export function machineFacts(requirements: readonly ToolRequirement[] = TOOL_REQUIREMENTS): MachineFacts {
  const present = new Set(requirements.map((r) => r.command).filter((command) => onPath(command)));
  return { present, isRoot: process.getuid?.() === 0, hasAptGet: onPath('apt-get') };
}

const onPath = (command: string): boolean => findTool(command) !== undefined;

/** Installs the planned packages with apt-get (one `update`, then each tool's first package that installs). */
export function installPackages(plan: ToolPlan, log: (line: string) => void): void {
  if (plan.install.length === 0) return;
  log(`setup: installing ${plan.install.map((i) => i.packages[0]).join(', ')} with apt-get (once; later runs find them)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  for (const { command, packages } of plan.install) {
    const installed = packages.some((name) => {
      try {
        execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', name], { stdio: ['ignore', 'ignore', 'inherit'], env });
        return onPath(command);
      } catch {
        return false;
      }
    });
    if (!installed) throw new Error(`setup: apt-get could not install ${command} (tried ${packages.join(', ')}); install it and run npm test again`);
  }
}

// ---------------------------------------------------------------------------------------------
// The Terraform provider mirror

/** Where machines keep a filesystem mirror of providers, looked at before searching the disk. */
export const MIRROR_CANDIDATES = ['/opt/tf-plugins', '/usr/share/terraform/plugins', '/usr/local/share/terraform/plugins'];

const AWS_PROVIDER = join('registry.terraform.io', 'hashicorp', 'aws');

/**
 * `GATEWAY_PKI_TF_MIRROR` when set, else the first candidate holding hashicorp/aws, else one found
 * on this file system (`find / -xdev`, once per run), else `undefined`.
 */
export function findMirror(env: NodeJS.ProcessEnv = process.env, candidates: readonly string[] = MIRROR_CANDIDATES, search = true): string | undefined {
  if (env.GATEWAY_PKI_TF_MIRROR) return existsSync(join(env.GATEWAY_PKI_TF_MIRROR, AWS_PROVIDER)) ? env.GATEWAY_PKI_TF_MIRROR : undefined;
  const known = candidates.find((dir) => existsSync(join(dir, AWS_PROVIDER)));
  if (known !== undefined || !search) return known;
  try {
    const found = execFileSync('find', ['/', '-xdev', '-path', `*/${AWS_PROVIDER}/*`, '-name', 'terraform-provider-aws*', '-print', '-quit'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 }).trim();
    // <mirror>/registry.terraform.io/hashicorp/aws/<version>/<platform>/terraform-provider-aws_…
    return found === '' ? undefined : resolve(dirname(found), '..', '..', '..', '..', '..');
  } catch (err) {
    const output = (err as { stdout?: string }).stdout?.trim();
    return output ? resolve(dirname(output), '..', '..', '..', '..', '..') : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The upstream CRDs

/** One CRD file to have: where it is published and where it goes in the tree. */
export interface CrdFile {
  readonly url: string;
  /** `/`-separated, relative to the CRD root: `<folder>/<tag>/[<channel>/]<file>`. */
  readonly path: string;
}

/** The CRD files `cdk8s.yaml` names (`name:=url`), each with its place in the CRD tree. */
export function crdFileLayout(cdk8sYaml: string): CrdFile[] {
  return (cdk8sImports(cdk8sYaml) as Array<{ url: string }>).map(({ url }) => ({ url, path: crdTreePath(url) as string }));
}

/** What {@link provideCrds} decided. */
export type CrdSource =
  | { readonly root: string; readonly how: 'given' | 'shared' | 'cache' | 'downloaded' }
  | { readonly error: string };

/**
 * The CRD root the tests use: `GATEWAY_PKI_CRDS` if set (it must hold every file), else
 * `../shared/crds` beside the project, else the download cache, filled now from the URLs of
 * `cdk8s.yaml` when something is missing.
 */
export async function provideCrds(projectRoot: string, env: NodeJS.ProcessEnv = process.env, download: typeof fetch = fetch): Promise<CrdSource> {
  const files = crdFileLayout(readFileSync(join(projectRoot, 'cdk8s.yaml'), 'utf8'));
  const complete = (root: string): boolean => files.every((file) => existsSync(join(root, ...file.path.split('/'))));
  if (env.GATEWAY_PKI_CRDS) {
    return complete(env.GATEWAY_PKI_CRDS)
      ? { root: resolve(env.GATEWAY_PKI_CRDS), how: 'given' }
      : { error: `GATEWAY_PKI_CRDS=${env.GATEWAY_PKI_CRDS} does not hold the CRD files cdk8s.yaml names (as <project>/<tag>/<file>, like ../shared/crds)` };
  }
  const shared = resolve(projectRoot, '..', 'shared', 'crds');
  if (complete(shared)) return { root: shared, how: 'shared' };
  const cache = join(projectRoot, 'node_modules', '.cache', 'gateway-pki', 'crds');
  if (complete(cache)) return { root: cache, how: 'cache' };
  const failures: string[] = [];
  for (const file of files) {
    const target = join(cache, ...file.path.split('/'));
    if (existsSync(target)) continue;
    try {
      const response = await download(file.url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const text = await response.text();
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(`${target}.tmp`, text);
      renameSync(`${target}.tmp`, target); // a half-downloaded file never counts as there
    } catch (err) {
      failures.push(`${file.url}: ${(err as Error).message}`);
    }
  }
  if (failures.length === 0) return { root: cache, how: 'downloaded' };
  return {
    error: `the upstream CRDs are needed by the schema tests, and neither way worked:\n`
      + `  - a copy in ${shared} (or the folder GATEWAY_PKI_CRDS names): not found;\n`
      + `  - a download of the release files cdk8s.yaml names into ${cache}: ${failures.length} of ${files.length} failed, e.g. ${failures[0]}.\n`
      + 'Put the CRDs there (see ../shared/crds/SOURCES.md), or run npm test once with access to raw.githubusercontent.com.',
  };
}
