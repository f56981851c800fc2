/**
 * Running the PKI command as `npm run pki` does, in throw-away workspaces, and reading what it wrote
 * with the real openssl CLI and Node's X509Certificate.
 */
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { CertifiedKeyPair } from '../../lib/pki/certificate-authority.js';
import { readKeyPair } from '../../lib/pki/key-pair.js';
import { x509 } from '../../lib/pki/x509.js';
import { EXAMPLE_CONFIG, PROJECT_ROOT, type RunResult } from './cli.js';

export const PKI_BUNDLE = resolve(PROJECT_ROOT, 'build', 'pki.cjs');

/** Runs the PKI bundle (built by the global setup) with `args`, from `cwd`. */
export function runPki(args: readonly string[], cwd: string = PROJECT_ROOT): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [PKI_BUNDLE, ...args], { cwd }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A folder holding a copy of the example configuration (edited by `edit`), its pki/ folder, and room for `.tls/`. */
export interface PkiWorkspace {
  readonly root: string;
  /** `<root>/config/platform.yaml`. */
  readonly config: string;
  /** `<root>/config/pki/ca-chain.pem`, the chain synth reads. */
  readonly committedChain: string;
  /** `<root>/.tls`. */
  readonly tls: string;
}

/** The example configuration as plain data. */
export function exampleConfig(): any {
  return parse(readFileSync(EXAMPLE_CONFIG, 'utf8'));
}

const workspaces: string[] = [];

/**
 * A new workspace with the example configuration, changed by `edit`. Removed, keys included, by
 * {@link removeWorkspaces}, which each test file calls in `afterAll`.
 */
export function pkiWorkspace(edit: (config: any) => void = () => {}): PkiWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'pki-'));
  workspaces.push(root);
  const configDir = join(root, 'config');
  cpSync(join(EXAMPLE_CONFIG, '..', 'pki'), join(configDir, 'pki'), { recursive: true });
  const config = exampleConfig();
  edit(config);
  writeFileSync(join(configDir, 'platform.yaml'), stringify(config));
  return { root, config: join(configDir, 'platform.yaml'), committedChain: join(configDir, 'pki', 'ca-chain.pem'), tls: join(root, '.tls') };
}

/** Removes every workspace made so far. */
export function removeWorkspaces(): void {
  for (const root of workspaces.splice(0)) {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Runs `init` in the workspace, `--out <root>/.tls` unless `args` gives another. */
export function initIn(ws: PkiWorkspace, ...args: string[]): Promise<RunResult> {
  return runPki(['init', '--config', ws.config, ...(args.includes('--out') ? [] : ['--out', ws.tls]), ...args]);
}

/** Runs `check` or `renew-server` in the workspace on `<root>/.tls` unless `args` gives `--dir`. */
export function runIn(ws: PkiWorkspace, subcommand: 'check' | 'renew-server', ...args: string[]): Promise<RunResult> {
  return runPki([subcommand, '--config', ws.config, ...(args.includes('--dir') ? [] : ['--dir', ws.tls]), ...args]);
}

/** Runs openssl; returns its output, or throws with its error output. */
export function openssl(args: readonly string[], cwd?: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `openssl x509 -text -noout` of a certificate file. */
export function opensslText(file: string): string {
  return openssl(['x509', '-in', file, '-noout', '-text']);
}

/** `openssl verify -CAfile root -untrusted intermediate [options] leaf`: its output, or the error output when it fails. */
export function opensslVerify(dir: string, leaf = 'vault.pem', options: readonly string[] = []): { ok: boolean; output: string } {
  try {
    return { ok: true, output: openssl(['verify', '-CAfile', 'root-ca.pem', '-untrusted', 'intermediate-ca.pem', ...options, leaf], dir) };
  } catch (err) {
    const failure = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

/** A certificate file read by Node.js. */
export function nodeCertificate(file: string): X509Certificate {
  return new X509Certificate(readFileSync(file));
}

/** Every file of `dir` with its bytes and modification time, to prove nothing changed. */
export function snapshotDir(dir: string): Map<string, { content: string; mtimeMs: number; mode: number }> {
  const files = new Map<string, { content: string; mtimeMs: number; mode: number }>();
  for (const name of readdirSync(dir).sort()) {
    const stat = statSync(join(dir, name));
    files.set(name, { content: readFileSync(join(dir, name), 'base64'), mtimeMs: stat.mtimeMs, mode: stat.mode & 0o777 });
  }
  return files;
}

/** Whole days between two dates, rounded. */
export function daysBetween(from: Date | string, to: Date | string): number {
  return Math.round((new Date(to).getTime() - new Date(from).getTime()) / 86_400_000);
}

/** The intermediate (or root) CA of a PKI directory, as the library reads it, to sign crafted certificates. */
export async function readCa(dir: string, which: 'root' | 'intermediate'): Promise<CertifiedKeyPair> {
  const prefix = which === 'root' ? 'root-ca' : 'intermediate-ca';
  return {
    certificate: new x509.X509Certificate(readFileSync(join(dir, `${prefix}.pem`), 'utf8')),
    keyPair: await readKeyPair(readFileSync(join(dir, `${prefix}-key.pem`), 'utf8'), `${prefix}-key.pem`),
  };
}
