/**
 * `npm run pki -- check`: passes on what init wrote, fails (exit 1) on a broken chain, an expired
 * certificate, a mismatched key, a key others can read, or a committed chain that is not this PKI's.
 */
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { certificatePem } from '../../lib/pki/certificate-authority.js';
import { privateKeyPem } from '../../lib/pki/key-pair.js';
import { pkiProfile } from '../../lib/pki/profile.js';
import { issueServerCertificate } from '../../lib/pki/server-certificate.js';
import {
  exampleConfig, initIn, opensslVerify, pemCertificates, type PkiWorkspace, pkiWorkspace, readCa, removeWorkspaces, runIn, vaultLikeCsr,
} from '../support/pki.js';

afterAll(removeWorkspaces);

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

let ws: PkiWorkspace;

beforeEach(async () => {
  ws = pkiWorkspace();
  const run = await initIn(ws);
  expect(run.code).toBe(0);
});

describe('pki check', () => {
  test('passes on a fresh PKI: one line per certificate with its subject, end and days left', async () => {
    // WHEN
    const run = await runIn(ws, 'check');
    // THEN
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^root CA {10}O=Example Corp, C=FR, CN=Example Corp Root CA {2}not after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}\(365[23] days left\)$/);
    expect(lines[1]).toMatch(/^intermediate CA {2}O=Example Corp, C=FR, CN=Example Corp Intermediate CA {2}not after .*\(182[56] days left\)$/);
    expect(lines[2]).toMatch(/^Vault server {5}O=Example Corp, C=FR, CN=vault\.priv\.example\.com {2}not after .*\(36[45] days left\)$/);
    expect(lines.at(-1)).toBe('check passed: 3 certificates, 0 warnings');
  });

  test('warns, and still passes, about what ends within --warn-days', async () => {
    const run = await runIn(ws, 'check', '--warn-days', '400');
    expect(run.code).toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^warning: .*vault\.pem: the Vault server certificate expires in 36[45] days, on .* \(less than 400 days\); run "npm run pki -- renew-server"$/),
    ]);
    expect(run.stdout).toContain('check passed: 3 certificates, 1 warning');
  });

  test('passes without the root key, kept offline, and says so', async () => {
    rmSync(join(ws.tls, 'root-ca-key.pem'));
    const run = await runIn(ws, 'check');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^note: .*root-ca-key\.pem: not here, as it should be once the root key is kept offline$/m);
  });

  test('fails on a mismatched chain: an intermediate (and its key) from another init', async () => {
    // GIVEN
    const other = pkiWorkspace();
    expect((await initIn(other)).code).toBe(0);
    for (const name of ['intermediate-ca.pem', 'intermediate-ca-key.pem']) {
      copyFileSync(join(other.tls, name), join(ws.tls, name));
    }
    expect(opensslVerify(ws.tls).ok).toBe(false);
    // WHEN
    const run = await runIn(ws, 'check');
    // THEN
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^problem: .*intermediate-ca\.pem: expected a certificate issued by the root CA of .*root-ca\.pem/m);
    expect(run.stderr).toMatch(/^problem: .*vault\.pem: expected a certificate (issued|signed) by the intermediate CA/m);
    expect(run.stderr).toMatch(/^problem: .*ca-chain\.pem: expected the intermediate then the root certificate/m);
    expect(run.stderr).toMatch(/^check failed: \d+ problems, 0 warnings$/m);
  });

  test('fails on an expired Vault certificate', async () => {
    // GIVEN a server certificate signed by the right intermediate two years ago, hence expired a year ago
    const intermediate = await readCa(ws.tls, 'intermediate');
    const expired = await issueServerCertificate(pkiProfile(exampleConfig()), intermediate, new Date(Date.now() - 2 * YEAR_MS));
    writeFileSync(join(ws.tls, 'vault.pem'), certificatePem(expired.certificate));
    writeFileSync(join(ws.tls, 'vault-key.pem'), await privateKeyPem(expired.keyPair));
    // WHEN
    const run = await runIn(ws, 'check');
    // THEN
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^Vault server .*\(expired 36[456] days ago\)$/m);
    expect(run.stderr).toMatch(/^problem: .*vault\.pem: the Vault server certificate expired on \d{4}-.*; run "npm run pki -- renew-server"$/m);
    expect(run.stderr).toMatch(/^check failed: 1 problem, 0 warnings$/m);
  });

  test('fails when a key does not match its certificate', async () => {
    const other = pkiWorkspace();
    expect((await initIn(other)).code).toBe(0);
    copyFileSync(join(other.tls, 'vault-key.pem'), join(ws.tls, 'vault-key.pem'));
    const run = await runIn(ws, 'check');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^problem: .*vault-key\.pem: expected the private key of .*vault\.pem, got another key/m);
  });

  test('fails when a key is readable by other users', async () => {
    chmodSync(join(ws.tls, 'intermediate-ca-key.pem'), 0o644);
    const run = await runIn(ws, 'check');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^problem: .*intermediate-ca-key\.pem: expected mode 0600 for a private key, got 0644/m);
  });

  test('fails when the committed chain synth reads is not this PKI\'s', async () => {
    const other = pkiWorkspace();
    expect((await initIn(other)).code).toBe(0);
    copyFileSync(other.committedChain, ws.committedChain);
    const run = await runIn(ws, 'check');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`problem: ${ws.committedChain}: expected the chain of this PKI, got a file without its `
      + 'intermediate and root certificates; it is vault.caBundleFile, what cert-manager trusts Vault with');
  });

  test('passes while the committed chain also holds another PKI\'s chain (a root rotation), with a note', async () => {
    const next = pkiWorkspace();
    expect((await initIn(next)).code).toBe(0);
    writeFileSync(ws.committedChain, readFileSync(next.committedChain, 'utf8') + readFileSync(ws.committedChain, 'utf8'));
    const run = await runIn(ws, 'check');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`note: ${ws.committedChain}: also trusts 2 other CA certificates (a root rotation in progress?`);
  });

  test('fails when the configuration asks for a name the Vault certificate lacks', async () => {
    const config = readFileSync(ws.config, 'utf8');
    writeFileSync(ws.config, `${config}pki:\n  serverExtraDnsNames: [vault-0.priv.example.com]\n`);
    const run = await runIn(ws, 'check');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^problem: .*vault\.pem: expected subject alternative names covering "vault-0\.priv\.example\.com" .*; run renew-server$/m);
  });

  test('fails, naming the files, when the directory is empty', async () => {
    const run = await runIn(ws, 'check', '--dir', join(ws.root, 'nowhere'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^problem: .*nowhere\/root-ca\.pem: cannot read it \(no such file\); run init first/m);
    expect(run.stderr).toMatch(/^problem: .*nowhere\/vault-key\.pem: cannot read it/m);
  });

  test('notes an issuer not signed yet, and warns about a leftover bundle.pem (the intermediate key Vault once imported)', async () => {
    // GIVEN
    writeFileSync(join(ws.tls, 'bundle.pem'), readFileSync(join(ws.tls, 'intermediate-ca-key.pem')));
    // WHEN
    const run = await runIn(ws, 'check');
    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^note: .*config\/pki\/issuing-ca\.pem: issuer "issuing-ca" is not signed yet \(its CSR is the issuing_csr output of vault-config: run sign-issuing\)$/m);
    expect(run.stderr).toMatch(/^warning: .*bundle\.pem: a copy of the intermediate CA's key that Vault once imported; nothing reads it since the intermediate stays offline/m);
  });

  test('fails on an issuing CA file without its chain, or signed by another PKI\'s intermediate', async () => {
    // GIVEN an issuing CA signed here, and one signed by another PKI
    const csr = join(ws.root, 'vault.csr');
    writeFileSync(csr, (await vaultLikeCsr()).pem);
    const file = join(ws.config, '..', 'pki', 'issuing-ca.pem');
    expect((await runIn(ws, 'sign-issuing', '--csr', csr)).code).toBe(0);
    const other = pkiWorkspace();
    expect((await initIn(other)).code).toBe(0);
    expect((await runIn(other, 'sign-issuing', '--csr', csr)).code).toBe(0);
    // WHEN the chain is cut off
    writeFileSync(file, pemCertificates(readFileSync(file, 'utf8'))[0]!);
    const cut = await runIn(ws, 'check');
    // THEN
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain(`problem: ${file}: expected the issuing CA followed by the intermediate then the root certificate `
      + '(of intermediate-ca.pem and root-ca.pem), got 0 certificates after it that differ');
    // WHEN it comes from the other PKI
    copyFileSync(join(other.config, '..', 'pki', 'issuing-ca.pem'), file);
    const foreign = await runIn(ws, 'check');
    // THEN
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain(`problem: ${file}: expected a certificate issued by the intermediate CA of ${join(ws.tls, 'intermediate-ca.pem')}`);
    expect(foreign.stderr).toContain(`problem: ${file}: expected the issuing CA followed by the intermediate then the root certificate`);
  });
});
