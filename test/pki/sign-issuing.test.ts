/**
 * `sign-issuing`: the offline intermediate signs the CSR of an issuing CA whose key Vault keeps.
 * CSRs are made by the openssl CLI and by a stand-in for Vault's (subject CN, O, C, no SAN); what
 * comes out is read back by openssl, which also verifies the chain and its name constraints.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { PkiError } from '../../lib/pki/errors.js';
import { initPki } from '../../lib/pki/init.js';
import { pkiProfile } from '../../lib/pki/profile.js';
import { issuingProfile, signIssuingCa } from '../../lib/pki/sign-issuing.js';
import { x509 } from '../../lib/pki/x509.js';
import { authorityKeyIdentifier, randomSerialNumber, subjectName } from '../../lib/pki/certificate-authority.js';
import { generateKeyPair, privateKeyPem, signingAlgorithm } from '../../lib/pki/key-pair.js';
import { nameConstraintsExtension } from '../../lib/pki/name-constraints.js';
import {
  exampleConfig, initIn, openssl, opensslCsr, pemCertificates, type PkiWorkspace, pkiWorkspace, readCa, removeWorkspaces, runIn,
  snapshotDir, vaultLikeCsr,
} from '../support/pki.js';

afterAll(removeWorkspaces);

const SUBJECT = '/CN=Example Corp Issuing CA/O=Example Corp/C=FR';
const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
const DAY_MS = 86_400_000;

/** The workspace's issuing certificate file (`vault.pki.issuers[0].certificateFile`, by default `pki/issuing-ca.pem`). */
const issuingFile = (ws: PkiWorkspace): string => join(ws.config, '..', 'pki', 'issuing-ca.pem');

/** The first certificate of a file, alone in `<file>.first.pem`, for openssl verify (which reads one). */
function firstCertificate(file: string): string {
  const out = `${file}.first.pem`;
  writeFileSync(out, pemCertificates(readFileSync(file, 'utf8'))[0]!);
  return out;
}

/** `openssl verify` of `leaf` with the workspace's root as the trust anchor and `untrusted` as intermediates. */
function verify(ws: PkiWorkspace, leaf: string, untrusted: readonly string[]): { ok: boolean; output: string } {
  const chain = join(ws.root, 'untrusted.pem');
  writeFileSync(chain, untrusted.map((file) => readFileSync(file, 'utf8')).join(''));
  try {
    return { ok: true, output: openssl(['verify', '-CAfile', join(ws.tls, 'root-ca.pem'), '-untrusted', chain, leaf]) };
  } catch (err) {
    const failure = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

describe('sign-issuing with the example configuration', () => {
  let ws: PkiWorkspace;
  let run: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    ws = pkiWorkspace();
    expect((await initIn(ws)).code).toBe(0);
    // GIVEN a CSR made by openssl, as an operator testing the command would
    const csr = opensslCsr(ws.root, 'issuing', P256, SUBJECT);
    // WHEN
    run = await runIn(ws, 'sign-issuing', '--csr', csr);
  });

  test('writes the issuing CA, the intermediate and the root to vault.pki.issuers[0].certificateFile, mode 0644', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('signed the issuing CA CN=Example Corp Issuing CA, O=Example Corp, C=FR with the intermediate CA of');
    expect(run.stdout).toMatch(/0644 .*config\/pki\/issuing-ca\.pem {2}\(issuing CA, intermediate, root: public, commit it\)/);
    expect(statSync(issuingFile(ws)).mode & 0o777).toBe(0o644);
    const [, intermediate, root] = pemCertificates(readFileSync(issuingFile(ws), 'utf8'));
    expect([intermediate, root]).toEqual([readFileSync(join(ws.tls, 'intermediate-ca.pem'), 'utf8'), readFileSync(join(ws.tls, 'root-ca.pem'), 'utf8')]);
    expect(readFileSync(issuingFile(ws), 'utf8')).not.toMatch(/PRIVATE KEY/);
  });

  test('openssl verifies it up to the root', () => {
    const result = verify(ws, firstCertificate(issuingFile(ws)), [join(ws.tls, 'intermediate-ca.pem')]);
    expect(result.output.trim()).toMatch(/: OK$/);
    expect(result.ok).toBe(true);
  });

  test('is a CA for end entities only, keyCertSign and cRLSign, constrained to the allowed domains, signed with SHA-384', () => {
    const text = openssl(['x509', '-in', issuingFile(ws), '-noout', '-text']);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
    expect(text).toMatch(/X509v3 Name Constraints: critical\n\s+Permitted:\n\s+DNS:priv\.example\.com\n\s+DNS:cluster\.local\n/);
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA384');
    expect(text).toContain('Subject: CN = Example Corp Issuing CA, O = Example Corp, C = FR');
    // Without pki.intermediateCaIssuersUrl and pki.intermediateCrlUrl: neither extension.
    expect(text).not.toMatch(/Authority Information Access|CRL Distribution Points|Subject Alternative Name/);
    const issuing = new x509.X509Certificate(pemCertificates(readFileSync(issuingFile(ws), 'utf8'))[0]!);
    const intermediate = new x509.X509Certificate(readFileSync(join(ws.tls, 'intermediate-ca.pem'), 'utf8'));
    expect(issuing.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId)
      .toBe(intermediate.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
    // Two years from an hour ago.
    expect(Math.round((issuing.notAfter.getTime() - issuing.notBefore.getTime()) / DAY_MS)).toBe(730);
  });

  test('what it signs verifies inside the allowed domains, and nowhere else (name constraints)', () => {
    // GIVEN leaves signed with the CSR's key, as Vault signs with the issuing key
    const issuing = firstCertificate(issuingFile(ws));
    const leaf = (name: string): string => {
      const csr = opensslCsr(ws.root, name, P256, `/O=Example Corp/CN=${name}`);
      const out = join(ws.root, `${name}.pem`);
      writeFileSync(join(ws.root, `${name}.ext`), `subjectAltName=DNS:${name}\nbasicConstraints=critical,CA:FALSE\n`);
      openssl(['x509', '-req', '-in', csr, '-CA', issuing, '-CAkey', join(ws.root, 'issuing-key.pem'), '-CAcreateserial',
        '-days', '30', '-extfile', join(ws.root, `${name}.ext`), '-out', out]);
      return out;
    };
    // WHEN / THEN
    expect(verify(ws, leaf('grafana.priv.example.com'), [issuing, join(ws.tls, 'intermediate-ca.pem')]).ok).toBe(true);
    const outside = verify(ws, leaf('www.bank.example.org'), [issuing, join(ws.tls, 'intermediate-ca.pem')]);
    expect(outside.ok).toBe(false);
    expect(outside.output).toMatch(/permitted subtree violation/);
  });

  test('check lists the issuing CA and passes; it warns before the issuing CA ends', async () => {
    const check = await runIn(ws, 'check');
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^issuing CA "issuing-ca" +CN=Example Corp Issuing CA, O=Example Corp, C=FR +not after \S+ +\(7(29|30) days left\)$/m);
    expect(check.stdout).toContain('check passed: 4 certificates');
    const soon = await runIn(ws, 'check', '--warn-days', '800');
    expect(soon.code).toBe(0);
    expect(soon.stderr).toMatch(/warning: .*issuing-ca\.pem: the issuing CA "issuing-ca" certificate expires in 7(29|30) days, .* sign a new issuing CA/);
  });

  test('refuses to overwrite the file without --force, and replaces it with --force', async () => {
    // GIVEN
    const before = readFileSync(issuingFile(ws), 'utf8');
    const csr = opensslCsr(ws.root, 'again', P256, SUBJECT);
    // WHEN
    const refused = await runIn(ws, 'sign-issuing', '--csr', csr);
    // THEN
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`refusing to overwrite ${issuingFile(ws)}: it is the certificate of an issuer Vault may already use; `
      + 'give another --out, or pass --force to replace it\nnothing was written.');
    expect(readFileSync(issuingFile(ws), 'utf8')).toBe(before);
    const forced = await runIn(ws, 'sign-issuing', '--csr', csr, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(issuingFile(ws), 'utf8')).not.toBe(before);
  });
});

describe('sign-issuing refuses a CSR it must not sign, writing nothing', () => {
  let ws: PkiWorkspace;

  beforeAll(async () => {
    ws = pkiWorkspace();
    expect((await initIn(ws)).code).toBe(0);
  });

  /** Turns a CSR file into one whose last signature byte is flipped. */
  function tampered(file: string): string {
    const der = Buffer.from(readFileSync(file, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 3] ^= 0x01;
    const out = file.replace(/\.csr$/, '-tampered.csr');
    writeFileSync(out, `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`);
    return out;
  }

  const cases: ReadonlyArray<[string, (dir: string) => string, string]> = [
    ['another organization', (dir) => opensslCsr(dir, 'org', P256, '/CN=Issuing CA/O=Other Corp/C=FR'),
      'expected the subject organization O="Example Corp" (organization.name), got "Other Corp" in "CN=Issuing CA, O=Other Corp, C=FR"'],
    ['no organization', (dir) => opensslCsr(dir, 'no-org', P256, '/CN=Issuing CA'),
      'expected the subject organization O="Example Corp" (organization.name), got none'],
    ['another country', (dir) => opensslCsr(dir, 'country', P256, '/CN=Issuing CA/O=Example Corp/C=DE'),
      'expected the subject country C="FR" (organization.country), got "DE"'],
    ['an organizational unit', (dir) => opensslCsr(dir, 'ou', P256, '/CN=Issuing CA/OU=Platform/O=Example Corp'),
      'expected a subject of CN, O, C only, got OU too'],
    ['subject alternative names', (dir) => opensslCsr(dir, 'san', P256, SUBJECT, ['-addext', 'subjectAltName=DNS:vault.priv.example.com']),
      'expected a CA request without subject alternative names, got a subjectAltName extension request'],
    ['an RSA 1024 key', (dir) => opensslCsr(dir, 'rsa1024', ['-newkey', 'rsa:1024'], SUBJECT),
      'expected an issuing CA key of ECDSA P-256 or P-384, or RSA 2048, 3072, 4096 bits, got an RSA 1024-bit key (too weak'],
    ['a P-192 key', (dir) => opensslCsr(dir, 'p192', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-192'], SUBJECT),
      'got an EC key on curve prime192v1 (too weak, or not verified by every client)'],
    ['a P-521 key, which Chrome does not verify', (dir) => opensslCsr(dir, 'p521', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'], SUBJECT),
      'got an EC key on curve secp521r1'],
    ['a strong key that is not vault.pki.issuingKey', (dir) => opensslCsr(dir, 'p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], SUBJECT),
      'expected the key vault.pki.issuingKey configures (ECDSA P-256), got ECDSA P-384: take the CSR Vault made for this configuration'],
    ['a tampered signature', (dir) => tampered(opensslCsr(dir, 'tamper', P256, SUBJECT)),
      'expected a CSR signed by its own key, got one whose signature does not verify'],
    ['a file holding the private key too', (dir) => {
      const csr = opensslCsr(dir, 'with-key', P256, SUBJECT);
      writeFileSync(csr, readFileSync(csr, 'utf8') + readFileSync(join(dir, 'with-key-key.pem'), 'utf8'));
      return csr;
    }, 'expected a CSR only, got a file holding a private key (not shown)'],
    ['a certificate instead of a CSR', (dir) => {
      const file = join(dir, 'certificate.csr');
      writeFileSync(file, readFileSync(join(dir, '.tls', 'intermediate-ca.pem')));
      return file;
    }, 'expected one PEM "CERTIFICATE REQUEST" block (the issuing_csr output of vault-config), got a "CERTIFICATE" block'],
    ['a missing file', (dir) => join(dir, 'missing.csr'), 'cannot read the CSR (no such file); write it with "terraform output -raw issuing_csr > issuing.csr"'],
  ];

  test.each(cases)('%s', async (_what, make, message) => {
    // GIVEN
    const csr = make(ws.root);
    const before = snapshotDir(join(ws.config, '..', 'pki'));
    // WHEN
    const run = await runIn(ws, 'sign-issuing', '--csr', csr);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toMatch(/\nnothing was written\.\n$/);
    expect(run.stderr).not.toMatch(/BEGIN .*PRIVATE KEY|MIG/);
    expect(snapshotDir(join(ws.config, '..', 'pki'))).toEqual(before);
    expect(existsSync(issuingFile(ws))).toBe(false);
  });

  test('exits 2 without --csr', async () => {
    const run = await runIn(ws, 'sign-issuing');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('pki: sign-issuing needs --csr FILE');
  });
});

describe('sign-issuing follows the configuration', () => {
  test('signs a stand-in for Vault\'s CSR with an RSA issuing key, and writes the configured AIA and CRL URLs', async () => {
    // GIVEN
    const ws = pkiWorkspace((c) => {
      c.vault.pki.issuingKey = { type: 'rsa' };
      c.pki = { intermediateCaIssuersUrl: 'http://pki.example.com/intermediate-ca.crt', intermediateCrlUrl: 'http://pki.example.com/intermediate-ca.crl' };
    });
    expect((await initIn(ws)).code).toBe(0);
    const csr = join(ws.root, 'vault.csr');
    writeFileSync(csr, (await vaultLikeCsr('CN=Example Corp Issuing CA, O=Example Corp, C=FR', 'RSA-2048')).pem);
    // WHEN
    const run = await runIn(ws, 'sign-issuing', '--csr', csr);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const text = openssl(['x509', '-in', issuingFile(ws), '-noout', '-text']);
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toMatch(/Authority Information Access: \n\s+CA Issuers - URI:http:\/\/pki\.example\.com\/intermediate-ca\.crt\n/);
    expect(text).toMatch(/X509v3 CRL Distribution Points: \n+\s+Full Name:\n\s+URI:http:\/\/pki\.example\.com\/intermediate-ca\.crl\n/);
    expect(verify(ws, firstCertificate(issuingFile(ws)), [join(ws.tls, 'intermediate-ca.pem')]).ok).toBe(true);
  });

  test('writes the certificate file of the issuer that has none yet; asks for --out when several have none', async () => {
    // GIVEN the first issuer signed, a second added
    const ws = pkiWorkspace((c) => { c.vault.pki.issuers = [{ name: 'issuing-ca' }, { name: 'issuing-ca-2027' }]; });
    expect((await initIn(ws)).code).toBe(0);
    const csr = join(ws.root, 'vault.csr');
    writeFileSync(csr, (await vaultLikeCsr()).pem);
    const several = await runIn(ws, 'sign-issuing', '--csr', csr);
    expect(several.code).toBe(1);
    expect(several.stderr).toContain('several issuers of vault.pki.issuers have no certificate file yet ("issuing-ca", "issuing-ca-2027"): '
      + 'give the one this CSR is for with --out');
    expect((await runIn(ws, 'sign-issuing', '--csr', csr, '--out', issuingFile(ws))).code).toBe(0);
    // WHEN
    const next = await runIn(ws, 'sign-issuing', '--csr', csr);
    // THEN
    expect(next.code, next.stderr).toBe(0);
    expect(existsSync(join(ws.config, '..', 'pki', 'issuing-ca-2027.pem'))).toBe(true);
  });
});

describe('signIssuingCa: lifetime and the intermediate', () => {
  let ws: PkiWorkspace;
  let csrFile: string;
  const config = () => parseConfig(JSON.stringify(exampleConfig()), 'platform.yaml');

  beforeAll(async () => {
    ws = pkiWorkspace();
    expect((await initIn(ws)).code).toBe(0);
    csrFile = join(ws.root, 'vault.csr');
    writeFileSync(csrFile, (await vaultLikeCsr()).pem);
  });

  test('cuts the lifetime at the intermediate\'s notAfter, saying so', async () => {
    // GIVEN a year left to the intermediate
    const intermediate = (await readCa(ws.tls, 'intermediate')).certificate;
    const now = new Date(intermediate.notAfter.getTime() - 365 * DAY_MS);
    // WHEN
    const result = await signIssuingCa({ profile: issuingProfile(config()), dir: ws.tls, csrFile, outFile: join(ws.root, 'cut.pem'), now });
    // THEN
    expect(result.certificate.notAfter).toEqual(intermediate.notAfter);
    expect(result.note).toMatch(/^the issuing CA ends with the intermediate CA on \S+, before vault\.pki\.issuingCaTtl/);
  });

  test('refuses when less than vault.pki.leafMaxTtl would remain', async () => {
    const intermediate = (await readCa(ws.tls, 'intermediate')).certificate;
    const now = new Date(intermediate.notAfter.getTime() - 30 * DAY_MS);
    const outFile = join(ws.root, 'short.pem');
    await expect(signIssuingCa({ profile: issuingProfile(config()), dir: ws.tls, csrFile, outFile, now }))
      .rejects.toThrow(/leaving the issuing CA 30 days, less than vault\.pki\.leafMaxTtl \(90 days\): Vault would refuse every certificate/);
    expect(existsSync(outFile)).toBe(false);
  });

  test('refuses allowed domains outside the intermediate\'s name constraints', async () => {
    const profile = { ...issuingProfile(config()), permittedZones: ['priv.example.com', 'example.org'] };
    const outFile = join(ws.root, 'wider.pem');
    await expect(signIssuingCa({ profile, dir: ws.tls, csrFile, outFile }))
      .rejects.toThrow('vault.pki.allowedDomains: expected domains within the intermediate CA\'s name constraints ("priv.example.com", '
        + '"cluster.local"), got "example.org"');
    expect(existsSync(outFile)).toBe(false);
  });

  test('refuses an intermediate whose path length allows no CA below it', async () => {
    // GIVEN an intermediate with pathlen 0, signed by the same root
    const root = await readCa(ws.tls, 'root');
    const profile = pkiProfile(config());
    const keyPair = await generateKeyPair('ECDSA-P384');
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerialNumber(), subject: subjectName(profile, 'Flat Intermediate'), issuer: root.certificate.subjectName,
      notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 1000 * DAY_MS), publicKey: keyPair.keys.publicKey,
      signingKey: root.keyPair.keys.privateKey, signingAlgorithm: signingAlgorithm(root.keyPair.type),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keyPair.keys.publicKey),
        authorityKeyIdentifier(root.certificate),
        nameConstraintsExtension(profile.permittedZones),
      ],
    });
    const flat = pkiWorkspace();
    await initPki({ profile, outDir: flat.tls });
    writeFileSync(join(flat.tls, 'root-ca.pem'), readFileSync(join(ws.tls, 'root-ca.pem')));
    writeFileSync(join(flat.tls, 'intermediate-ca.pem'), certificate.toString('pem'));
    writeFileSync(join(flat.tls, 'intermediate-ca-key.pem'), await privateKeyPem(keyPair));
    // WHEN / THEN
    const outFile = join(flat.root, 'flat.pem');
    const signing = signIssuingCa({ profile: issuingProfile(config()), dir: flat.tls, csrFile, outFile });
    await expect(signing).rejects.toBeInstanceOf(PkiError);
    await expect(signing).rejects.toThrow('expected an intermediate CA whose path length allows a CA below it (at least 1), got 0');
    expect(existsSync(outFile)).toBe(false);
  });
});
