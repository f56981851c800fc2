/**
 * Certificates and keys for the CA bundle tests, generated on the fly in a scratch folder with the
 * openssl CLI (node:crypto cannot sign certificates). Nothing here is committed: each test file
 * makes its own folder and removes it.
 */

import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Minimal openssl configuration: no extension but those each command adds, no prompt. */
const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
default_ca = ca_default
[ca_default]
database = index.txt
new_certs_dir = .
rand_serial = yes
default_md = sha256
policy = policy_any
copy_extensions = copy
unique_subject = no
[policy_any]
commonName = supplied
`;

const CA_EXTENSIONS = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];

/** The same extensions, for `openssl x509 -req`, which signs a request with another CA's key. */
const CA_EXTENSIONS_FILE = `[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
`;

/** A scratch folder that makes certificates; call {@link PkiFixtures.remove} when done. */
export class PkiFixtures {
  readonly dir = mkdtempSync(join(tmpdir(), 'gateway-pki-fixtures-'));
  private count = 0;

  constructor() {
    writeFileSync(join(this.dir, 'openssl.cnf'), OPENSSL_CONFIG);
    writeFileSync(join(this.dir, 'index.txt'), '');
    writeFileSync(join(this.dir, 'ca-ext.cnf'), CA_EXTENSIONS_FILE);
  }

  /** An intermediate CA certificate (PEM) and the new self-signed root CA certificate that signed it. */
  intermediate(commonName: string, rootCommonName: string): { intermediate: string; root: string } {
    const root = this.next();
    this.openssl(['req', '-x509', ...this.newKey(root), '-subj', `/CN=${rootCommonName}`, '-days', '30', ...CA_EXTENSIONS,
      '-out', `${root}.pem`]);
    return { intermediate: this.signedBy(commonName, root), root: this.read(`${root}.pem`) };
  }

  /**
   * A CA certificate (PEM) whose issuer is its own subject, but signed by another key (that of a
   * self-signed CA of the same name): names alone would take it for a root.
   */
  sameNameOtherKey(commonName: string): string {
    const signer = this.next();
    this.openssl(['req', '-x509', ...this.newKey(signer), '-subj', `/CN=${commonName}`, '-days', '30', ...CA_EXTENSIONS,
      '-out', `${signer}.pem`]);
    return this.signedBy(commonName, signer);
  }

  /** A self-signed CA certificate (PEM), valid for 30 days from now. */
  ca(commonName: string): string {
    return this.selfSigned(commonName, CA_EXTENSIONS);
  }

  /** A self-signed server certificate (PEM) that is not a CA: basicConstraints CA:FALSE. */
  leaf(commonName: string): string {
    return this.selfSigned(commonName, [
      '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', `subjectAltName=DNS:${commonName}`,
    ]);
  }

  /** A self-signed CA certificate (PEM) valid during January 2020 only, hence expired. */
  expiredCa(commonName: string): string {
    const name = this.next();
    this.openssl(['req', '-new', ...this.newKey(name), '-subj', `/CN=${commonName}`, ...CA_EXTENSIONS, '-out', `${name}.csr`]);
    this.openssl(['ca', '-batch', '-selfsign', '-config', 'openssl.cnf', '-keyfile', `${name}.key`, '-in', `${name}.csr`,
      '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-notext', '-out', `${name}.pem`]);
    return this.read(`${name}.pem`);
  }

  /** A certificate signing request (PEM), a block that is not a certificate. */
  csr(commonName: string): string {
    const name = this.next();
    this.openssl(['req', '-new', ...this.newKey(name), '-subj', `/CN=${commonName}`, '-out', `${name}.csr`]);
    return this.read(`${name}.csr`);
  }

  /** Writes `content` to a file of the scratch folder and returns its path. */
  write(file: string, content: string | Buffer): string {
    const path = join(this.dir, file);
    writeFileSync(path, content);
    return path;
  }

  /** Removes the scratch folder, keys included. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private selfSigned(commonName: string, extensions: readonly string[]): string {
    const name = this.next();
    this.openssl(['req', '-x509', ...this.newKey(name), '-subj', `/CN=${commonName}`, '-days', '30', ...extensions, '-out', `${name}.pem`]);
    return this.read(`${name}.pem`);
  }

  /** A CA certificate for a new key, signed by the fixture `issuer` (its `.pem` and `.key` files). */
  private signedBy(commonName: string, issuer: string): string {
    const name = this.next();
    this.openssl(['req', '-new', ...this.newKey(name), '-subj', `/CN=${commonName}`, '-out', `${name}.csr`]);
    this.openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`,
      '-set_serial', String(this.count), '-days', '30', '-extfile', 'ca-ext.cnf', '-extensions', 'ca_ext', '-out', `${name}.pem`]);
    return this.read(`${name}.pem`);
  }

  private newKey(name: string): string[] {
    return ['-config', 'openssl.cnf', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`];
  }

  private next(): string {
    this.count += 1;
    return `fixture-${this.count}`;
  }

  private read(file: string): string {
    return readFileSync(join(this.dir, file), 'utf8');
  }

  private openssl(args: readonly string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

/** Private keys in the PEM forms one may find, by label. */
export function privateKeys(): Record<string, string> {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return {
    'PRIVATE KEY': ec.export({ type: 'pkcs8', format: 'pem' }).toString(),
    'EC PRIVATE KEY': ec.export({ type: 'sec1', format: 'pem' }).toString(),
    'RSA PRIVATE KEY': rsa.export({ type: 'pkcs1', format: 'pem' }).toString(),
    'ENCRYPTED PRIVATE KEY': ec.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'fixture' }).toString(),
  };
}

/** The base64 lines of a PEM text: what must never appear in a message. */
export function pemBodyLines(pem: string): string[] {
  return pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
}
