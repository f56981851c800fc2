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
import { type CryptoKeyPair, readKeyPair } from '../../lib/pki/key-pair.js';
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

/** Runs `check`, `renew-server` or `sign-issuing` in the workspace on `<root>/.tls` unless `args` gives `--dir`. */
export function runIn(ws: PkiWorkspace, subcommand: 'check' | 'renew-server' | 'sign-issuing', ...args: string[]): Promise<RunResult> {
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

/**
 * A CSR made by the openssl CLI in `dir` (its key beside it, `<name>-key.pem`), with the options of
 * `openssl req -new` that choose the key (`['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']`),
 * the subject, and more options (`['-addext', 'subjectAltName=DNS:x']`). Returns the CSR's path.
 */
export function opensslCsr(dir: string, name: string, key: readonly string[], subject: string, extra: readonly string[] = []): string {
  const csr = join(dir, `${name}.csr`);
  openssl(['req', '-new', ...key, '-nodes', '-keyout', join(dir, `${name}-key.pem`), '-subj', subject, ...extra, '-out', csr]);
  return csr;
}

/** The kinds of key {@link vaultLikeCsr} makes, as WebCrypto generates them. */
const CSR_KEYS = {
  'P-256': { algorithm: { name: 'ECDSA', namedCurve: 'P-256' }, signing: { name: 'ECDSA', hash: 'SHA-256' } },
  'P-384': { algorithm: { name: 'ECDSA', namedCurve: 'P-384' }, signing: { name: 'ECDSA', hash: 'SHA-384' } },
  'RSA-2048': {
    algorithm: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    signing: { name: 'RSASSA-PKCS1-v1_5' },
  },
} as const;

/**
 * A stand-in for the CSR Vault's `intermediate/generate/existing` returns for the vault-config
 * stack's request: subject CN, O and C, no extension request (`exclude_cn_from_sans`), signed by a
 * key made here (Vault keeps its own). Returns the PEM and the key pair, to sign leaves with it.
 */
export async function vaultLikeCsr(
  subject = 'CN=Example Corp Issuing CA, O=Example Corp, C=FR', key: keyof typeof CSR_KEYS = 'P-256',
): Promise<{ pem: string; keys: CryptoKeyPair }> {
  const { algorithm, signing } = CSR_KEYS[key];
  const keys = await globalThis.crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm: signing });
  return { pem: csr.toString('pem'), keys };
}

/** The certificates of a PEM text, each block ending with a newline. */
export function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g)!.map((block) => block.endsWith('\n') ? block : `${block}\n`);
}
