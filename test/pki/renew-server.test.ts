/**
 * `npm run pki -- renew-server`: a new key and certificate from the intermediate in the directory,
 * without the root key; refused when the intermediate cannot sign.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { certificatePem, createIntermediateCa } from '../../lib/pki/certificate-authority.js';
import { privateKeyPem } from '../../lib/pki/key-pair.js';
import { pkiProfile } from '../../lib/pki/profile.js';
import { renewServerNextStep } from '../../lib/pki/renew-server.js';
import {
  exampleConfig, initIn, nodeCertificate, opensslText, opensslVerify, pkiWorkspace, readCa, removeWorkspaces, runIn, snapshotDir,
} from '../support/pki.js';

afterAll(removeWorkspaces);

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

describe('pki renew-server', () => {
  test('makes a new key and certificate that verify, without the root key, leaving the other files alone', async () => {
    // GIVEN a PKI whose root key went offline
    const ws = pkiWorkspace();
    expect((await initIn(ws)).code).toBe(0);
    rmSync(join(ws.tls, 'root-ca-key.pem'));
    const before = snapshotDir(ws.tls);
    const oldCertificate = nodeCertificate(join(ws.tls, 'vault.pem'));
    // WHEN
    const run = await runIn(ws, 'renew-server');
    // THEN
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^renewed the Vault server certificate in .*, new key, not after \d{4}-/);
    const after = snapshotDir(ws.tls);
    expect([...after.keys()].filter((name) => after.get(name)!.content !== before.get(name)!.content)).toEqual(['vault-key.pem', 'vault.pem']);
    const renewed = nodeCertificate(join(ws.tls, 'vault.pem'));
    expect(renewed.serialNumber).not.toBe(oldCertificate.serialNumber);
    expect(renewed.publicKey.export({ type: 'spki', format: 'pem' })).not.toBe(oldCertificate.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(createPublicKey(readFileSync(join(ws.tls, 'vault-key.pem'), 'utf8')).export({ type: 'spki', format: 'pem' }))
      .toBe(renewed.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(opensslVerify(ws.tls).output.trim()).toBe('vault.pem: OK');
    expect(statSync(join(ws.tls, 'vault-key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(ws.tls, 'vault.pem')).mode & 0o777).toBe(0o644);
    expect((await runIn(ws, 'check')).code).toBe(0);
    // The example has a vaultCluster: the next step goes through its TLS revision and the vault-aws stack.
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('next: raise vaultCluster.tls.revision (now 1) to 2 in the configuration, '
      + 'run "npm run synth", then apply the vault-aws stack (terraform apply in cdktf.out/stacks/vault-aws): Terraform uploads '
      + 'the new certificate and key, and the nodes are replaced one at a time with them');
  });

  test('ends with the next step of the configuration: its TLS revision, or Vault servers of one\'s own', () => {
    const withCluster = exampleConfig();
    withCluster.vaultCluster.tls = { revision: 4 };
    expect(renewServerNextStep(withCluster)).toMatch(/^next: raise vaultCluster\.tls\.revision \(now 4\) to 5 in the configuration, /);
    const own = exampleConfig();
    delete own.vaultCluster;
    expect(renewServerNextStep(own)).toBe('next: install vault.pem and vault-key.pem on the Vault nodes and reload them (SIGHUP)');
  });

  test('follows the configuration: names and key algorithm changed since init', async () => {
    const ws = pkiWorkspace();
    expect((await initIn(ws)).code).toBe(0);
    writeFileSync(ws.config, `${readFileSync(ws.config, 'utf8')}pki:\n  serverKey: { algorithm: RSA }\n  serverIpAddresses: ["10.0.0.10"]\n`);
    const run = await runIn(ws, 'renew-server');
    expect(run.code).toBe(0);
    expect(opensslText(join(ws.tls, 'vault.pem'))).toContain('Public-Key: (2048 bit)');
    expect(nodeCertificate(join(ws.tls, 'vault.pem')).subjectAltName).toBe('DNS:vault.priv.example.com, IP Address:10.0.0.10');
    expect(opensslVerify(ws.tls).ok).toBe(true);
  });

  test('refuses when the intermediate CA has expired, and changes nothing', async () => {
    // GIVEN an intermediate made six years ago by the same root, hence expired
    const ws = pkiWorkspace();
    expect((await initIn(ws)).code).toBe(0);
    const root = await readCa(ws.tls, 'root');
    const old = await createIntermediateCa(pkiProfile(exampleConfig()), root, new Date(Date.now() - 6 * YEAR_MS));
    writeFileSync(join(ws.tls, 'intermediate-ca.pem'), certificatePem(old.certificate));
    writeFileSync(join(ws.tls, 'intermediate-ca-key.pem'), await privateKeyPem(old.keyPair), { mode: 0o600 });
    const before = snapshotDir(ws.tls);
    // WHEN
    const run = await runIn(ws, 'renew-server');
    // THEN
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^pki renew-server: .*intermediate-ca\.pem: the intermediate CA expired on \d{4}-/);
    expect(run.stderr).toContain('nothing was written');
    expect(snapshotDir(ws.tls)).toEqual(before);
  });

  test('refuses without the intermediate key, naming it', async () => {
    const ws = pkiWorkspace();
    expect((await initIn(ws)).code).toBe(0);
    rmSync(join(ws.tls, 'intermediate-ca-key.pem'));
    const run = await runIn(ws, 'renew-server');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('intermediate-ca-key.pem: cannot read it (no such file); renew-server needs the intermediate CA');
  });

  test('refuses an intermediate key that is not the certificate\'s', async () => {
    const ws = pkiWorkspace();
    const other = pkiWorkspace();
    expect((await initIn(ws)).code).toBe(0);
    expect((await initIn(other)).code).toBe(0);
    writeFileSync(join(ws.tls, 'intermediate-ca-key.pem'), readFileSync(join(other.tls, 'intermediate-ca-key.pem')));
    const run = await runIn(ws, 'renew-server');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/intermediate-ca-key\.pem: expected the private key of .*intermediate-ca\.pem, got another key/);
  });

  test('refuses names outside the intermediate\'s constraints once the private zone changed', async () => {
    const ws = pkiWorkspace();
    expect((await initIn(ws)).code).toBe(0);
    const config = readFileSync(ws.config, 'utf8').replaceAll('priv.example.com', 'internal.example.com');
    writeFileSync(ws.config, config);
    const run = await runIn(ws, 'renew-server');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the intermediate CA may only sign names in "priv.example.com", "cluster.local", got "vault.internal.example.com"');
  });
});
