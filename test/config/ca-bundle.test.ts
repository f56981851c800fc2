import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isSelfSigned, parseCaBundle, parseTrustRoots, readCaBundle, readTrustRoots, trustRootsOfCaBundle,
} from '../../lib/config/ca-bundle.js';
import { PkiFixtures, pemBodyLines, privateKeys } from './pki-fixtures.js';

const EXAMPLE_BUNDLE_FILE = resolve(__dirname, '../fixtures/example/pki/ca-chain.pem');
const EXAMPLE_BUNDLE = readFileSync(EXAMPLE_BUNDLE_FILE, 'utf8');
const FILE = 'pki/ca-chain.pem';
/** Line of a block appended to the example bundle (its lines end with a newline). */
const APPENDED_LINE = EXAMPLE_BUNDLE.split('\n').length;
/** Line of the root's BEGIN line in the example bundle, after the intermediate. */
const ROOT_LINE = EXAMPLE_BUNDLE.split('\n').indexOf('-----BEGIN CERTIFICATE-----', 1) + 1;
/** The certificates of the example bundle: the intermediate, then the root. */
const [EXAMPLE_INTERMEDIATE, EXAMPLE_ROOT] = EXAMPLE_BUNDLE.split(/(?<=-----END CERTIFICATE-----\n)/) as [string, string];
const ROOTS_FILE = 'pki/roots.pem';

const pki = new PkiFixtures();
afterAll(() => pki.remove());

describe('readCaBundle', () => {
  it('returns the example chain, intermediate then root, unchanged since it is already normalized', () => {
    // WHEN
    const bundle = readCaBundle(EXAMPLE_BUNDLE_FILE);
    // THEN
    expect(bundle.problems).toEqual([]);
    expect(bundle.pem).toBe(EXAMPLE_BUNDLE);
    const subjects = bundle.pem.split(/(?<=-----END CERTIFICATE-----\n)/).map((pem) => new X509Certificate(pem).subject);
    expect(subjects).toEqual([
      'O=Example Corp\nC=FR\nCN=Example Corp Intermediate CA',
      'O=Example Corp\nC=FR\nCN=Example Corp Root CA',
    ]);
  });

  it('names the resolved path of a missing file', () => {
    // GIVEN
    const file = join(pki.dir, 'pki', 'missing.pem');
    // WHEN
    const bundle = readCaBundle(file);
    // THEN
    expect(bundle).toEqual({
      pem: '',
      problems: [`expected a PEM file of CA certificates, got no such file: ${file} (the path is relative to the directory of the configuration file)`],
    });
  });

  it('reports a directory', () => {
    // GIVEN
    const dir = join(pki.dir, 'a-directory.pem');
    mkdirSync(dir);
    // WHEN
    const bundle = readCaBundle(dir);
    // THEN
    expect(bundle.problems).toEqual([
      `expected a PEM file of CA certificates, got a directory: ${dir} (the path is relative to the directory of the configuration file)`,
    ]);
  });

  it('recognizes a DER certificate and says how to convert it', () => {
    // GIVEN
    const der = new X509Certificate(pki.ca('DER CA')).raw;
    const file = pki.write('ca.der', der);
    // WHEN
    const bundle = readCaBundle(file);
    // THEN
    expect(bundle.problems).toEqual([
      `expected the PEM certificates of the CAs that issued Vault's TLS certificate, got no "CERTIFICATE" block in ${file} `
        + '(it looks like DER: convert it with "openssl x509 -inform der -in <file>")',
    ]);
  });
});

describe('parseCaBundle', () => {
  it('normalizes line endings, indentation and blank lines, and drops the text around the blocks', () => {
    // GIVEN
    const messy = `# Vault CA chain\r\nintermediate:\r\n${EXAMPLE_BUNDLE.split('-----END CERTIFICATE-----\n')[0]!
      .replaceAll('\n', '\r\n  ')}-----END CERTIFICATE-----\r\n\r\nroot, from openssl x509 -text:\r\n`
      + `Certificate:\r\n    Data: ...\r\n${EXAMPLE_BUNDLE.split('-----END CERTIFICATE-----\n')[1]!}-----END CERTIFICATE-----`;
    // WHEN
    const bundle = parseCaBundle(messy, FILE);
    // THEN
    expect(bundle.problems).toEqual([]);
    expect(bundle.pem).toBe(EXAMPLE_BUNDLE);
  });

  it('rewraps a certificate written on one line', () => {
    // GIVEN
    const [first] = EXAMPLE_BUNDLE.split(/(?<=-----END CERTIFICATE-----\n)/);
    const oneLine = first!.replace(/\n(?!-----)/g, '').replace('-----BEGIN CERTIFICATE-----', '-----BEGIN CERTIFICATE-----\n');
    // WHEN
    const bundle = parseCaBundle(oneLine, FILE);
    // THEN
    expect(bundle).toEqual({ pem: first, problems: [] });
  });

  it('keeps the certificates in file order', () => {
    // GIVEN
    const [intermediate, root] = EXAMPLE_BUNDLE.split(/(?<=-----END CERTIFICATE-----\n)/);
    const other = pki.ca('Other Root');
    // WHEN
    const bundle = parseCaBundle(`${root}${other}${intermediate}`, FILE);
    // THEN
    expect(bundle.pem).toBe(`${root}${other}${intermediate}`);
  });

  it.each([
    ['an empty file', '', 'got an empty file'],
    ['only whitespace', ' \n\n', 'got an empty file'],
    ['only comments', '# the chain goes here\n', `got no "CERTIFICATE" block in ${FILE}`],
  ])('reports %s', (_, text, got) => {
    // WHEN
    const bundle = parseCaBundle(text, FILE);
    // THEN
    expect(bundle).toEqual({ pem: '', problems: [`expected the PEM certificates of the CAs that issued Vault's TLS certificate, ${got}`] });
  });

  describe('refuses a private key without ever showing it', () => {
    const keys = privateKeys();

    it.each(Object.keys(keys))('a "%s" block next to the certificates', (label) => {
      // GIVEN
      const key = keys[label]!;
      const text = `${EXAMPLE_BUNDLE}${key}`;
      // WHEN
      const bundle = parseCaBundle(text, FILE);
      // THEN
      expect(bundle).toEqual({
        pem: '',
        problems: [`expected certificates only, got a private key at line ${APPENDED_LINE} of ${FILE} (a "${label}" block): the bundle must hold `
          + 'certificates only and the key must stay offline; remove it, and replace the key if the file was ever committed'],
      });
      for (const line of pemBodyLines(key)) {
        expect(bundle.problems.join('\n')).not.toContain(line.slice(0, 16));
      }
    });

    it('a key alone: the missing certificates are reported too', () => {
      // WHEN
      const bundle = parseCaBundle(keys['PRIVATE KEY']!, FILE);
      // THEN
      expect(bundle.problems).toHaveLength(2);
      expect(bundle.problems[0]).toMatch(/^expected certificates only, got a private key at line 1 of pki\/ca-chain\.pem/);
      expect(bundle.problems[1]).toBe(`expected the PEM certificates of the CAs that issued Vault's TLS certificate, got no "CERTIFICATE" block in ${FILE}`);
    });

    it('a key block cut short', () => {
      // GIVEN
      const key = keys['EC PRIVATE KEY']!;
      const text = `${EXAMPLE_BUNDLE}${key.slice(0, key.indexOf('-----END'))}`;
      // WHEN
      const bundle = parseCaBundle(text, FILE);
      // THEN
      expect(bundle.problems).toEqual([
        expect.stringMatching(new RegExp(`^expected certificates only, got a private key at line ${APPENDED_LINE} .*"EC PRIVATE KEY" block`)),
      ]);
    });
  });

  it('refuses a block that is not a certificate', () => {
    // GIVEN
    const text = `${EXAMPLE_BUNDLE}${pki.csr('vault.priv.example.com')}`;
    // WHEN
    const bundle = parseCaBundle(text, FILE);
    // THEN
    expect(bundle.problems).toEqual([`expected only "CERTIFICATE" blocks, got a "CERTIFICATE REQUEST" block at line ${APPENDED_LINE} of ${FILE}`]);
  });

  it('refuses a certificate block without its END line', () => {
    // GIVEN
    const text = EXAMPLE_BUNDLE.replace(/-----END CERTIFICATE-----\n$/, '');
    // WHEN
    const bundle = parseCaBundle(text, FILE);
    // THEN
    expect(bundle.problems).toEqual([
      `expected a complete PEM block, got a "CERTIFICATE" block at line ${ROOT_LINE} of ${FILE} without its "-----END CERTIFICATE-----" line`,
    ]);
  });

  it('refuses a certificate block ended by another label', () => {
    // GIVEN
    const text = EXAMPLE_BUNDLE.replace(/-----END CERTIFICATE-----\n$/, '-----END X509 CRL-----\n');
    // WHEN
    const bundle = parseCaBundle(text, FILE);
    // THEN
    expect(bundle.problems).toEqual([
      `expected a complete PEM block, got a "CERTIFICATE" block at line ${ROOT_LINE} of ${FILE} ended by "-----END X509 CRL-----"`,
    ]);
  });

  it('refuses an END line without its BEGIN line, where a certificate would be silently lost', () => {
    // GIVEN: the root's BEGIN line deleted
    const lines = EXAMPLE_BUNDLE.split('\n');
    lines.splice(ROOT_LINE - 1, 1);
    // WHEN
    const bundle = parseCaBundle(lines.join('\n'), FILE);
    // THEN
    expect(bundle.problems).toEqual([
      `expected PEM blocks between BEGIN and END lines, got a "-----END CERTIFICATE-----" line at line ${APPENDED_LINE - 2} of ${FILE} without its BEGIN line`,
    ]);
  });

  it('refuses a certificate block that does not parse as X.509', () => {
    // GIVEN
    const text = `${EXAMPLE_BUNDLE}-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n`;
    // WHEN
    const bundle = parseCaBundle(text, FILE);
    // THEN
    expect(bundle.problems).toEqual([
      expect.stringMatching(new RegExp(`^expected an X\\.509 certificate, got a "CERTIFICATE" block at line ${APPENDED_LINE} of ${FILE} that does not parse \\(.+\\)$`)),
    ]);
  });

  it('refuses a certificate that is not a CA, naming its subject', () => {
    // GIVEN
    const text = `${pki.leaf('vault.priv.example.com')}${EXAMPLE_BUNDLE}`;
    // WHEN
    const bundle = parseCaBundle(text, FILE);
    // THEN
    expect(bundle.problems).toEqual([
      `expected CA certificates only, got a certificate that is not a CA at line 1 of ${FILE}, subject "CN=vault.priv.example.com" `
        + '(no basicConstraints CA:TRUE; give the chain of the CAs that issued Vault\'s certificate, not a server certificate)',
    ]);
  });

  it('refuses an expired CA, naming its subject and notAfter', () => {
    // GIVEN
    const text = `${EXAMPLE_BUNDLE}${pki.expiredCa('Old Root CA')}`;
    // WHEN
    const bundle = parseCaBundle(text, FILE);
    // THEN
    expect(bundle.problems).toEqual([
      `expected certificates valid now, got a CA certificate at line ${APPENDED_LINE} of ${FILE} that expired on 2020-02-01T00:00:00Z, `
        + 'subject "CN=Old Root CA" (renew it, or remove it from the bundle)',
    ]);
  });

  it('checks expiry against the moment given', () => {
    // WHEN
    const bundle = parseCaBundle(EXAMPLE_BUNDLE, FILE, new Date('2034-01-01T00:00:00Z'));
    // THEN: the intermediate expires in 2031, the root in 2036
    expect(bundle.problems).toEqual([expect.stringMatching(
      /^expected certificates valid now, got a CA certificate at line 1 of .* that expired on 2031-.*subject "O=Example Corp, C=FR, CN=Example Corp Intermediate CA"/,
    )]);
  });

  it('reports every problem of the file at once, in file order', () => {
    // GIVEN
    const text = [
      pki.leaf('leaf.example.com'),
      EXAMPLE_BUNDLE,
      privateKeys()['RSA PRIVATE KEY'],
      pki.expiredCa('Old Root CA'),
    ].join('# next\n');
    // WHEN
    const bundle = parseCaBundle(text, FILE);
    // THEN
    expect(bundle.pem).toBe('');
    expect(bundle.problems).toEqual([
      expect.stringMatching(/^expected CA certificates only, got a certificate that is not a CA at line 1 /),
      expect.stringMatching(/^expected certificates only, got a private key at line \d+ .*"RSA PRIVATE KEY"/),
      expect.stringMatching(/^expected certificates valid now, got a CA certificate at line \d+ .* that expired on 2020-02-01T00:00:00Z/),
    ]);
  });
});

describe('isSelfSigned', () => {
  it('tells the example root from its intermediate', () => {
    expect(isSelfSigned(new X509Certificate(EXAMPLE_ROOT))).toBe(true);
    expect(isSelfSigned(new X509Certificate(EXAMPLE_INTERMEDIATE))).toBe(false);
  });

  it('does not take a certificate whose issuer is its own subject, but signed by another key, for a root', () => {
    // GIVEN
    const certificate = new X509Certificate(pki.sameNameOtherKey('Look-alike Root CA'));
    // WHEN / THEN
    expect(certificate.subject).toBe(certificate.issuer);
    expect(isSelfSigned(certificate)).toBe(false);
  });
});

describe('trustRootsOfCaBundle', () => {
  it('keeps the root of the example chain, the last certificate of the file', () => {
    // WHEN
    const roots = trustRootsOfCaBundle(EXAMPLE_BUNDLE, FILE);
    // THEN
    expect(roots).toEqual({ pem: EXAMPLE_ROOT, problems: [] });
  });

  it('reports a bundle with no root, suggesting trust.rootsFile', () => {
    // WHEN
    const roots = trustRootsOfCaBundle(EXAMPLE_INTERMEDIATE, FILE);
    // THEN
    expect(roots).toEqual({
      pem: '',
      problems: [`expected at least one self-signed root CA certificate to distribute, got only a certificate issued by another CA in ${FILE}: `
        + 'subject "O=Example Corp, C=FR, CN=Example Corp Intermediate CA" issued by "O=Example Corp, C=FR, CN=Example Corp Root CA" '
        + '(intermediates are never distributed; add the self-signed root CA certificate that issued it to the bundle, '
        + 'or name a file of root certificates in trust.rootsFile)'],
    });
  });
});

describe('parseTrustRoots', () => {
  it('keeps every self-signed certificate, in file order, and leaves out the others', () => {
    // GIVEN
    const { intermediate, root } = pki.intermediate('Intermediate CA 2', 'Root CA 2');
    const other = pki.ca('Root CA 3');
    // WHEN
    const roots = parseTrustRoots(`${other}${EXAMPLE_BUNDLE}# rotation\n${intermediate}${root}`, ROOTS_FILE);
    // THEN
    expect(roots).toEqual({ pem: `${other}${EXAMPLE_ROOT}${root}`, problems: [] });
  });

  it('names every certificate of a file without a root, up to three', () => {
    // GIVEN
    const intermediates = ['A', 'B', 'C', 'D'].map((name) => pki.intermediate(`Intermediate ${name}`, `Root ${name}`).intermediate);
    // WHEN
    const roots = parseTrustRoots(intermediates.join(''), ROOTS_FILE);
    // THEN
    expect(roots.problems).toEqual([
      `expected at least one self-signed root CA certificate to distribute, got only 4 certificates issued by another CA in ${ROOTS_FILE}: `
        + 'subject "CN=Intermediate A" issued by "CN=Root A", subject "CN=Intermediate B" issued by "CN=Root B", '
        + 'subject "CN=Intermediate C" issued by "CN=Root C", 1 more '
        + '(intermediates are never distributed; add the self-signed root CA certificate that issued it)',
    ]);
  });

  it('rejects a certificate signed by another key under its own name', () => {
    // WHEN
    const roots = parseTrustRoots(pki.sameNameOtherKey('Look-alike Root CA'), ROOTS_FILE);
    // THEN
    expect(roots.problems).toEqual([expect.stringMatching(
      /^expected at least one self-signed root CA certificate to distribute, got only a certificate issued by another CA in pki\/roots\.pem: subject "CN=Look-alike Root CA" issued by "CN=Look-alike Root CA"/,
    )]);
  });

  it('checks the file as a CA bundle first, worded for a roots file, and then looks for no root', () => {
    // GIVEN
    const key = privateKeys()['RSA PRIVATE KEY']!;
    // WHEN
    const roots = parseTrustRoots(`${pki.leaf('vault.priv.example.com')}${EXAMPLE_INTERMEDIATE}${key}${pki.expiredCa('Old Root CA')}`, ROOTS_FILE);
    // THEN
    expect(roots.pem).toBe('');
    expect(roots.problems).toEqual([
      `expected CA certificates only, got a certificate that is not a CA at line 1 of ${ROOTS_FILE}, subject "CN=vault.priv.example.com" `
        + '(no basicConstraints CA:TRUE; give the root CA certificates to distribute, not a server certificate)',
      expect.stringMatching(/^expected certificates only, got a private key at line \d+ of pki\/roots\.pem \(a "RSA PRIVATE KEY" block\): the roots file must hold certificates only/),
      expect.stringMatching(/^expected certificates valid now, .* subject "CN=Old Root CA" \(renew it, or remove it from the roots file\)$/),
    ]);
    for (const line of pemBodyLines(key)) {
      expect(roots.problems.join('\n')).not.toContain(line.slice(0, 16));
    }
  });

  it('reports an empty file in the words of a roots file', () => {
    expect(parseTrustRoots('', ROOTS_FILE)).toEqual({
      pem: '',
      problems: ['expected the PEM certificates of the root CAs to distribute, got an empty file'],
    });
  });
});

describe('readTrustRoots', () => {
  it('reads the roots of a file', () => {
    // GIVEN
    const file = pki.write('roots.pem', `# roots\n${EXAMPLE_BUNDLE}`);
    // WHEN / THEN
    expect(readTrustRoots(file)).toEqual({ pem: EXAMPLE_ROOT, problems: [] });
  });

  it('names the resolved path of a missing file', () => {
    // GIVEN
    const file = join(pki.dir, 'pki', 'missing-roots.pem');
    // WHEN / THEN
    expect(readTrustRoots(file)).toEqual({
      pem: '',
      problems: [`expected a PEM file of CA certificates, got no such file: ${file} (the path is relative to the directory of the configuration file)`],
    });
  });
});
