/**
 * `npm run pki -- init`, run for real: every certificate checked with `openssl verify` and read back
 * with `openssl x509 -text` and Node's X509Certificate.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readCaBundle } from '../../lib/config/ca-bundle.js';
import { randomSerialNumber, subjectName } from '../../lib/pki/certificate-authority.js';
import { generateKeyPair, signingAlgorithm } from '../../lib/pki/key-pair.js';
import { pkiProfile } from '../../lib/pki/profile.js';
import { x509 } from '../../lib/pki/x509.js';
import {
  daysBetween, exampleConfig, initIn, nodeCertificate, opensslText, opensslVerify, type PkiWorkspace, pkiWorkspace, readCa,
  removeWorkspaces, runIn, snapshotDir,
} from '../support/pki.js';

afterAll(removeWorkspaces);

// No bundle.pem: the intermediate key is never written for Vault to import (it signs the issuing CA offline).
const FILES = ['ca-chain.pem', 'intermediate-ca-key.pem', 'intermediate-ca.pem', 'root-ca-key.pem', 'root-ca.pem', 'vault-key.pem', 'vault.pem'];
const KEY_FILES = ['intermediate-ca-key.pem', 'root-ca-key.pem', 'vault-key.pem'];
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** The SPKI of a private key file, to compare with a certificate's. */
function publicKeyOf(file: string): string {
  return createPublicKey(readFileSync(file, 'utf8')).export({ type: 'spki', format: 'pem' }) as string;
}

function spkiOf(certificate: X509Certificate): string {
  return certificate.publicKey.export({ type: 'spki', format: 'pem' }) as string;
}

describe('pki init with the example configuration', () => {
  let ws: PkiWorkspace;
  let stdout: string;
  const file = (name: string): string => join(ws.tls, name);

  beforeAll(async () => {
    ws = pkiWorkspace();
    const run = await initIn(ws);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    stdout = run.stdout;
  });

  test('writes the seven files, keys 0600 and certificates 0644, in a 0700 directory', () => {
    expect(readdirSync(ws.tls).sort()).toEqual(FILES);
    for (const name of FILES) {
      expect([name, statSync(file(name)).mode & 0o777]).toEqual([name, KEY_FILES.includes(name) ? 0o600 : 0o644]);
    }
    expect(statSync(ws.tls).mode & 0o777).toBe(0o700);
    expect(stdout).toContain('created the three-tier PKI of Example Corp');
    expect(stdout).toMatch(/^ {2}0600 .*root-ca-key\.pem$/m);
  });

  test('openssl verifies the Vault certificate through the intermediate to the root', () => {
    const verify = opensslVerify(ws.tls);
    expect(verify.output.trim()).toBe('vault.pem: OK');
    expect(verify.ok).toBe(true);
    expect(opensslVerify(ws.tls, 'intermediate-ca.pem').output.trim()).toBe('intermediate-ca.pem: OK');
  });

  test('the root CA: self-signed, ECDSA P-384 with SHA-384, 10 years, CA without path length, keyCertSign and cRLSign', () => {
    const text = opensslText(file('root-ca.pem'));
    expect(text).toContain('Subject: O = Example Corp, C = FR, CN = Example Corp Root CA');
    expect(text).toContain('Issuer: O = Example Corp, C = FR, CN = Example Corp Root CA');
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA384');
    expect(text).toContain('NIST CURVE: P-384');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
    expect(text).toContain('X509v3 Subject Key Identifier');
    const root = nodeCertificate(file('root-ca.pem'));
    expect(root.ca).toBe(true);
    expect(root.checkIssued(root)).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(Math.abs(daysBetween(root.validFrom, root.validTo) - 3652)).toBeLessThanOrEqual(1);
    expect(daysBetween(root.validFrom, new Date())).toBe(0);
  });

  test('the intermediate CA: signed by the root, P-384, 5 years, pathlen 1, name-constrained to the Vault role\'s domains', () => {
    const text = opensslText(file('intermediate-ca.pem'));
    expect(text).toContain('Subject: O = Example Corp, C = FR, CN = Example Corp Intermediate CA');
    expect(text).toContain('Issuer: O = Example Corp, C = FR, CN = Example Corp Root CA');
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA384');
    expect(text).toContain('NIST CURVE: P-384');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:1\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign\n/);
    expect(text).toMatch(/X509v3 Name Constraints: critical\n\s+Permitted:\n\s+DNS:priv\.example\.com\n\s+DNS:cluster\.local\n/);
    const rootSki = /X509v3 Subject Key Identifier: \n\s+(\S+)/.exec(opensslText(file('root-ca.pem')))![1];
    expect(text).toMatch(new RegExp(`X509v3 Authority Key Identifier: \\n\\s+(keyid:)?${rootSki}`));
    const root = nodeCertificate(file('root-ca.pem'));
    const intermediate = nodeCertificate(file('intermediate-ca.pem'));
    expect(intermediate.ca).toBe(true);
    expect(intermediate.checkIssued(root)).toBe(true);
    expect(intermediate.verify(root.publicKey)).toBe(true);
    expect(intermediate.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(Math.abs(daysBetween(intermediate.validFrom, intermediate.validTo) - 1826)).toBeLessThanOrEqual(1);
  });

  test('the Vault certificate: signed by the intermediate, P-256, 1 year, not a CA, serverAuth and clientAuth, its host as SAN', () => {
    const text = opensslText(file('vault.pem'));
    expect(text).toContain('Subject: O = Example Corp, C = FR, CN = vault.priv.example.com');
    expect(text).toContain('Issuer: O = Example Corp, C = FR, CN = Example Corp Intermediate CA');
    expect(text).toContain('NIST CURVE: P-256');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/);
    expect(text).toMatch(/X509v3 Subject Alternative Name: \n\s+DNS:vault\.priv\.example\.com\n/);
    const intermediate = nodeCertificate(file('intermediate-ca.pem'));
    const server = nodeCertificate(file('vault.pem'));
    expect(server.ca).toBe(false);
    expect(server.checkIssued(intermediate)).toBe(true);
    expect(server.verify(intermediate.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe('DNS:vault.priv.example.com');
    expect(server.keyUsage).toEqual([SERVER_AUTH, CLIENT_AUTH]);
    expect(server.checkHost('vault.priv.example.com')).toBe('vault.priv.example.com');
    expect(server.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect([365, 366]).toContain(daysBetween(server.validFrom, server.validTo));
  });

  test('serial numbers are random, positive and 16 bytes long', () => {
    const serials = ['root-ca.pem', 'intermediate-ca.pem', 'vault.pem'].map((name) => nodeCertificate(file(name)).serialNumber);
    expect(new Set(serials).size).toBe(3);
    for (const serial of serials) {
      expect(serial).toMatch(/^[4-7][0-9A-F]{31}$/);
    }
  });

  test('each private key is PKCS#8 PEM and matches its certificate', () => {
    for (const [key, certificate] of [['root-ca-key.pem', 'root-ca.pem'], ['intermediate-ca-key.pem', 'intermediate-ca.pem'],
      ['vault-key.pem', 'vault.pem']]) {
      const pem = readFileSync(file(key!), 'utf8');
      expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
      expect(publicKeyOf(file(key!))).toBe(spkiOf(nodeCertificate(file(certificate!))));
    }
  });

  test('ca-chain.pem is intermediate then root; only the intermediate\'s own key file holds its key', () => {
    const intermediate = readFileSync(file('intermediate-ca.pem'), 'utf8');
    const root = readFileSync(file('root-ca.pem'), 'utf8');
    expect(readFileSync(file('ca-chain.pem'), 'utf8')).toBe(intermediate + root);
    const intermediateKey = readFileSync(file('intermediate-ca-key.pem'), 'utf8');
    expect(FILES.filter((name) => readFileSync(file(name), 'utf8').includes(intermediateKey.trim()))).toEqual(['intermediate-ca-key.pem']);
  });

  test('the chain synth reads (vault.caBundleFile) is the same chain, certificates only, and synth accepts it', () => {
    expect(readFileSync(ws.committedChain, 'utf8')).toBe(readFileSync(file('ca-chain.pem'), 'utf8'));
    expect(readFileSync(ws.committedChain, 'utf8')).not.toContain('PRIVATE KEY');
    expect(statSync(ws.committedChain).mode & 0o777).toBe(0o644);
    expect(readCaBundle(ws.committedChain).problems).toEqual([]);
    expect(stdout).toMatch(/ca-chain\.pem {2}\(vault\.caBundleFile: the chain synth embeds; commit it\)$/m);
  });

  test('check passes on what init wrote', async () => {
    const run = await runIn(ws, 'check');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  test('the name constraints hold: openssl rejects a name outside the private zone signed by the intermediate', async () => {
    // GIVEN a certificate for a public name, signed with the intermediate's key (as a stolen key would)
    const intermediate = await readCa(ws.tls, 'intermediate');
    const profile = pkiProfile(exampleConfig());
    const keyPair = await generateKeyPair('ECDSA-P256');
    const rogue = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerialNumber(),
      subject: subjectName(profile, 'www.example.org'),
      issuer: intermediate.certificate.subjectName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKey: keyPair.keys.publicKey,
      signingKey: intermediate.keyPair.keys.privateKey,
      signingAlgorithm: signingAlgorithm(intermediate.keyPair.type),
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'www.example.org' }])],
    });
    writeFileSync(join(ws.root, 'rogue.pem'), rogue.toString('pem'));
    // WHEN
    const verify = opensslVerify(ws.tls, join(ws.root, 'rogue.pem'));
    // THEN
    expect(verify.ok).toBe(false);
    expect(verify.output).toContain('permitted subtree violation');
  });

  // Vault's issuing CA (the vault-config stack's pki_private_issuer) sits below the intermediate: a
  // pathlen of 0 or name constraints without cluster.local would make clients reject what it signs.
  test('an issuing CA below the intermediate, as Vault makes it, signs names of every allowed domain that openssl verifies', async () => {
    // GIVEN an issuing CA signed by the intermediate (pathlen 0), and its certificates for each allowed domain and one outside
    const intermediate = await readCa(ws.tls, 'intermediate');
    const profile = pkiProfile(exampleConfig());
    const issuingKey = await generateKeyPair('ECDSA-P256');
    const issuing = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerialNumber(),
      subject: subjectName(profile, 'Example Corp Issuing CA'),
      issuer: intermediate.certificate.subjectName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKey: issuingKey.keys.publicKey,
      signingKey: intermediate.keyPair.keys.privateKey,
      signingAlgorithm: signingAlgorithm(intermediate.keyPair.type),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    writeFileSync(join(ws.root, 'issuing.pem'), issuing.toString('pem'));
    const leaf = async (name: string) => {
      const keyPair = await generateKeyPair('ECDSA-P256');
      const certificate = await x509.X509CertificateGenerator.create({
        serialNumber: randomSerialNumber(),
        subject: subjectName(profile, name),
        issuer: issuing.subjectName,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 3_600_000),
        publicKey: keyPair.keys.publicKey,
        signingKey: issuingKey.keys.privateKey,
        signingAlgorithm: signingAlgorithm(issuingKey.type),
        extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }])],
      });
      const file = join(ws.root, `${name}.pem`);
      writeFileSync(file, certificate.toString('pem'));
      return opensslVerify(ws.tls, file, ['-untrusted', join(ws.root, 'issuing.pem')]);
    };
    // WHEN / THEN
    expect(profile.permittedZones).toEqual(['priv.example.com', 'cluster.local']);
    expect((await leaf('grafana.priv.example.com')).ok).toBe(true);
    expect((await leaf('vault.vault.svc.cluster.local')).ok).toBe(true);
    const outside = await leaf('www.example.org');
    expect(outside.ok).toBe(false);
    expect(outside.output).toContain('permitted subtree violation');
  });
});

describe('pki init with pki settings', () => {
  test('an RSA server key, extra DNS names and IP addresses: keyEncipherment added, every name verified by openssl', async () => {
    // GIVEN
    const ws = pkiWorkspace((c) => {
      c.pki = {
        serverKey: { algorithm: 'RSA' },
        serverExtraDnsNames: ['vault-0.priv.example.com', 'vault-1.priv.example.com'],
        serverIpAddresses: ['127.0.0.1', '::1'],
      };
    });
    // WHEN
    const run = await initIn(ws);
    // THEN
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const text = opensslText(join(ws.tls, 'vault.pem'));
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    expect(nodeCertificate(join(ws.tls, 'vault.pem')).subjectAltName).toBe('DNS:vault.priv.example.com, DNS:vault-0.priv.example.com, '
      + 'DNS:vault-1.priv.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(nodeCertificate(join(ws.tls, 'vault.pem')).publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(opensslVerify(ws.tls).output.trim()).toBe('vault.pem: OK');
    for (const host of ['vault.priv.example.com', 'vault-0.priv.example.com', 'vault-1.priv.example.com']) {
      expect(opensslVerify(ws.tls, 'vault.pem', ['-verify_hostname', host]).output.trim()).toBe('vault.pem: OK');
    }
    for (const ip of ['127.0.0.1', '::1']) {
      expect(opensslVerify(ws.tls, 'vault.pem', ['-verify_ip', ip]).output.trim()).toBe('vault.pem: OK');
    }
    expect(opensslVerify(ws.tls, 'vault.pem', ['-verify_hostname', 'vault-2.priv.example.com']).ok).toBe(false);
    expect((await runIn(ws, 'check')).code).toBe(0);
  });

  test('vault.serverName in the private zone is on the certificate too', async () => {
    const ws = pkiWorkspace((c) => { c.vault.serverName = 'vault-api.priv.example.com'; });
    const run = await initIn(ws);
    expect(run.code).toBe(0);
    expect(nodeCertificate(join(ws.tls, 'vault.pem')).subjectAltName).toBe('DNS:vault.priv.example.com, DNS:vault-api.priv.example.com');
  });

  test('fails when vault.serverName is outside the private zone, and writes nothing', async () => {
    const ws = pkiWorkspace((c) => { c.vault.serverName = 'vault.example.org'; });
    const before = readFileSync(ws.committedChain);
    const run = await initIn(ws);
    expect(run.code).toBe(1);
    // The configuration's own rule (the one synth applies), with the field's line.
    expect(run.stderr).toMatch(/^ {2}vault\.serverName \(line \d+\): expected a name in the private zone "priv\.example\.com"/m);
    expect(run.stderr).toContain('got "vault.example.org"');
    expect(existsSync(ws.tls)).toBe(false);
    expect(readFileSync(ws.committedChain)).toEqual(before);
  });

  test('with vault.caBundleSecretRef, writes the PKI directory only and says where the chain goes', async () => {
    const ws = pkiWorkspace((c) => { delete c.vault.caBundleFile; c.vault.caBundleSecretRef = { name: 'vault-ca' }; c.trust = { rootsFile: 'pki/root-ca.pem' }; });
    const before = readFileSync(ws.committedChain);
    const run = await initIn(ws);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('vault.caBundleFile is not set: put ca-chain.pem in the Secret that vault.caBundleSecretRef names');
    expect(readFileSync(ws.committedChain)).toEqual(before);
    expect(readdirSync(ws.tls).sort()).toEqual(FILES);
  });

  test('creates the directory of vault.caBundleFile when missing', async () => {
    const ws = pkiWorkspace((c) => { c.vault.caBundleFile = 'trust/vault/ca-chain.pem'; });
    const run = await initIn(ws);
    expect(run.code).toBe(0);
    expect(readFileSync(join(ws.config, '..', 'trust', 'vault', 'ca-chain.pem'), 'utf8'))
      .toBe(readFileSync(join(ws.tls, 'ca-chain.pem'), 'utf8'));
  });
});

describe('pki init refuses to overwrite keys', () => {
  test('a second init without --force fails, naming the keys, and changes nothing', async () => {
    // GIVEN
    const ws = pkiWorkspace();
    expect((await initIn(ws)).code).toBe(0);
    const tls = snapshotDir(ws.tls);
    const chain = snapshotDir(join(ws.committedChain, '..'));
    // WHEN
    const run = await initIn(ws);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`refusing to overwrite the private keys already in ${ws.tls}: `
      + 'root-ca-key.pem, intermediate-ca-key.pem, vault-key.pem');
    expect(run.stderr).toContain('pass --force');
    expect(run.stderr).toContain('nothing was written');
    expect(snapshotDir(ws.tls)).toEqual(tls);
    expect(snapshotDir(join(ws.committedChain, '..'))).toEqual(chain);
  });

  test('one key file is enough to refuse, and no other file is created', async () => {
    const ws = pkiWorkspace();
    mkdirSync(ws.tls);
    writeFileSync(join(ws.tls, 'vault-key.pem'), 'an old key\n', { mode: 0o600 });
    const before = readFileSync(ws.committedChain);
    const run = await initIn(ws);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`already in ${ws.tls}: vault-key.pem (`);
    expect(readdirSync(ws.tls)).toEqual(['vault-key.pem']);
    expect(readFileSync(ws.committedChain)).toEqual(before);
  });

  test('--force replaces every file with a new PKI, modes kept, no temporary file left', async () => {
    const ws = pkiWorkspace();
    expect((await initIn(ws)).code).toBe(0);
    const oldRoot = nodeCertificate(join(ws.tls, 'root-ca.pem')).serialNumber;
    const oldChain = readFileSync(ws.committedChain, 'utf8');
    const run = await initIn(ws, '--force');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('(replacing root-ca-key.pem, intermediate-ca-key.pem, vault-key.pem)');
    expect(nodeCertificate(join(ws.tls, 'root-ca.pem')).serialNumber).not.toBe(oldRoot);
    expect(readFileSync(ws.committedChain, 'utf8')).not.toBe(oldChain);
    expect(readdirSync(ws.tls).sort()).toEqual(FILES);
    expect(readdirSync(join(ws.committedChain, '..'))).toEqual(['ca-chain.pem']);
    for (const name of KEY_FILES) {
      expect(statSync(join(ws.tls, name)).mode & 0o777).toBe(0o600);
    }
    expect(opensslVerify(ws.tls).ok).toBe(true);
  });

  test('refuses to put the keys in the directory of the committed chain', async () => {
    const ws = pkiWorkspace();
    const before = snapshotDir(join(ws.committedChain, '..'));
    const run = await initIn(ws, '--out', join(ws.committedChain, '..'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('expected a directory for the private keys apart from the committed chain');
    expect(snapshotDir(join(ws.committedChain, '..'))).toEqual(before);
  });

  test('a file in place of the directory is reported, nothing written', async () => {
    const ws = pkiWorkspace();
    writeFileSync(ws.tls, 'not a directory');
    const run = await initIn(ws);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('expected a directory for the PKI files, got a file');
    rmSync(ws.tls);
  });
});
