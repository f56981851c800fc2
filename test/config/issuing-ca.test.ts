/**
 * The issuing CAs' certificate files, read and checked at synth (lib/config/issuing-ca.ts): absent
 * is phase 1, present must be a usable chain below what clients trust.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '../../lib/config/errors.js';
import { readIssuingCertificates } from '../../lib/config/issuing-ca.js';
import { parseConfig, parsePlatform } from '../../lib/config/load.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { initPki } from '../../lib/pki/init.js';
import { pkiProfile } from '../../lib/pki/profile.js';
import { issuingProfile, signIssuingCa } from '../../lib/pki/sign-issuing.js';
import { exampleConfig, pemCertificates, vaultLikeCsr } from '../support/pki.js';

/** A signed issuing CA of one PKI and the chain clients trust, made once. */
interface Pki {
  readonly dir: string;
  /** `ca-chain.pem`: intermediate + root. */
  readonly trusted: string;
  /** What sign-issuing wrote: issuing CA, intermediate, root. */
  readonly signed: string;
}

async function makePki(): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), 'issuing-'));
  const config = configWith(() => {});
  await initPki({ profile: pkiProfile(config), outDir: join(dir, 'tls') });
  const csrFile = join(dir, 'vault.csr');
  writeFileSync(csrFile, (await vaultLikeCsr()).pem);
  await signIssuingCa({ profile: issuingProfile(config), dir: join(dir, 'tls'), csrFile, outFile: join(dir, 'signed.pem') });
  return { dir, trusted: readFileSync(join(dir, 'tls', 'ca-chain.pem'), 'utf8'), signed: readFileSync(join(dir, 'signed.pem'), 'utf8') };
}

function configWith(edit: (config: any) => void): PlatformConfig {
  const config = exampleConfig();
  edit(config);
  return parseConfig(stringify(config), 'platform.yaml');
}

let pki: Pki;
let other: Pki;
beforeAll(async () => {
  [pki, other] = await Promise.all([makePki(), makePki()]);
});

/** A configuration folder holding `files` (path → content). */
function folder(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'issuing-config-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const read = (files: Readonly<Record<string, string>>, config = configWith(() => {}), now?: Date) =>
  readIssuingCertificates(config, folder(files), pki.trusted, now);

describe('readIssuingCertificates', () => {
  test('no file yet: nothing signed, no problem (phase 1)', () => {
    expect(read({})).toEqual({ certificates: {}, problems: [] });
  });

  test('the file sign-issuing wrote: the chain, normalized, by issuer name', () => {
    const result = read({ 'pki/issuing-ca.pem': `# signed on the offline machine\r\n${pki.signed.replaceAll('\n', '\r\n')}` });
    expect(result).toEqual({ certificates: { 'issuing-ca': pki.signed }, problems: [] });
  });

  const path = ['vault', 'pki', 'issuers', 0, 'certificateFile'];
  test.each<[string, () => Record<string, string>, string]>([
    ['the issuing CA alone', () => ({ 'pki/issuing-ca.pem': pemCertificates(pki.signed)[0]! }),
      'expected the issuing CA\'s certificate followed by its chain (intermediate, root), got one certificate in '],
    ['its chain out of order', () => {
      const [issuing, intermediate, root] = pemCertificates(pki.signed);
      return { 'pki/issuing-ca.pem': issuing! + root! + intermediate! };
    }, 'expected each certificate to be signed by the next one (issuing CA, intermediate, root), got certificate 1 of '],
    ['another PKI\'s issuing CA', () => ({ 'pki/issuing-ca.pem': other.signed }),
      'expected a chain through the CAs clients trust (vault.caBundleFile, or trust.rootsFile), got '],
    ['the intermediate in place of the issuing CA', () => ({ 'pki/issuing-ca.pem': pki.trusted }),
      'with basicConstraints critical, CA:TRUE, pathlen:0 (it signs end-entity certificates only), got subject "O=Example Corp, C=FR, CN=Example Corp Intermediate CA" with critical basicConstraints, path length 1'],
    ['a private key in the file', () => ({ 'pki/issuing-ca.pem': `${pki.signed}-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n-----END PRIVATE KEY-----\n` }),
      'expected certificates only, got a private key at line '],
  ])('fails on %s, at vault.pki.issuers[0].certificateFile', (_what, files, message) => {
    const result = read(files());
    expect(result.certificates).toEqual({});
    expect(result.problems.map((problem) => problem.path)).toContainEqual(path);
    expect(result.problems.map((problem) => problem.message)).toContainEqual(expect.stringContaining(message));
    expect(JSON.stringify(result.problems)).not.toContain('MIGHAgEAMBMG');
  });

  test('fails on an expired issuing CA', () => {
    const result = read({ 'pki/issuing-ca.pem': pki.signed }, undefined, new Date(Date.now() + 3 * 365 * 86_400_000));
    expect(result.problems[0]!.message).toMatch(/^expected certificates valid now, got a CA certificate at line 1 of .* that expired on /);
  });

  test('fails when the issuing CA does not permit an allowed domain added since it was signed', () => {
    const config = configWith((c) => { c.vault.pki.allowedDomains = ['priv.example.com', 'cluster.local', 'corp.example.net']; });
    const result = read({ 'pki/issuing-ca.pem': pki.signed }, config);
    expect(result.problems).toEqual([{ path, message: expect.stringContaining('whose name constraints permit "priv.example.com", "cluster.local" only '
      + '(certificates for "corp.example.net" would be rejected by every client: sign a new issuing CA with "npm run pki -- sign-issuing")') }]);
  });

  test('fails with two issuers awaiting a certificate, and with a default issuer not signed while another is', () => {
    const two = configWith((c) => { c.vault.pki.issuers = [{ name: 'issuing-ca' }, { name: 'next' }, { name: 'later' }]; });
    expect(read({ 'pki/issuing-ca.pem': pki.signed }, two).problems).toEqual([{
      path: ['vault', 'pki', 'issuers'],
      message: 'expected at most one issuer without its certificate file, got 2 ("next", "later"): the stack outputs one CSR (issuing_csr) at a time; '
        + 'add the next issuer once the previous one is signed',
    }]);
    const early = configWith((c) => { c.vault.pki.issuers = [{ name: 'issuing-ca' }, { name: 'next' }]; c.vault.pki.defaultIssuer = 'next'; });
    expect(read({ 'pki/issuing-ca.pem': pki.signed }, early).problems).toEqual([{
      path: ['vault', 'pki', 'defaultIssuer'],
      message: 'expected a signed issuer, got "next", whose certificate file pki/next.pem does not exist yet (the role would lose its issuer): '
        + 'keep "issuing-ca" as the default until sign-issuing has written it',
    }]);
  });
});

describe('parsePlatform reads the issuing CAs\' files', () => {
  const text = (edit: (c: any) => void = () => {}): string => {
    const config = exampleConfig();
    edit(config);
    return stringify(config);
  };

  test('returns the signed ones, checked against vault.caBundleFile', () => {
    const dir = folder({ 'pki/ca-chain.pem': pki.trusted, 'pki/issuing-ca.pem': pki.signed });
    expect(parsePlatform(text(), 'platform.yaml', dir).issuingCertificates).toEqual({ 'issuing-ca': pki.signed });
  });

  test('reports a broken file with its line, and only once nothing else is wrong', () => {
    const dir = folder({ 'pki/ca-chain.pem': pki.trusted, 'pki/issuing-ca.pem': other.signed });
    expect(() => parsePlatform(text(), 'platform.yaml', dir)).toThrow(/vault\.pki\.issuers\[0\]\.certificateFile \(line \d+\): expected a chain through the CAs clients trust/);
    let error: unknown;
    try {
      parsePlatform(text((c) => { c.acme.email = 'ops@'; }), 'platform.yaml', dir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((problem) => problem.path)).toEqual(['acme.email']);
  });
});
