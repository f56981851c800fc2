import { describe, expect, it } from 'vitest';
import { isWithinDnsZone, NAME_CONSTRAINTS_OID, nameConstraintsExtension, permittedDnsZones } from '../../lib/pki/name-constraints.js';
import { x509 } from '../../lib/pki/x509.js';
import { generateKeyPair, signingAlgorithm } from '../../lib/pki/key-pair.js';

/** A self-signed CA certificate carrying `extensions`. */
async function caWith(extensions: x509.Extension[]): Promise<x509.X509Certificate> {
  const keyPair = await generateKeyPair('ECDSA-P256');
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=test', keys: keyPair.keys, signingAlgorithm: signingAlgorithm(keyPair.type), extensions,
  });
}

describe('nameConstraintsExtension', () => {
  it('writes critical permitted DNS subtrees, in DER', () => {
    // WHEN
    const extension = nameConstraintsExtension(['priv.example.com']);
    // THEN
    expect(extension.type).toBe(NAME_CONSTRAINTS_OID);
    expect(extension.critical).toBe(true);
    // SEQUENCE { [0] { SEQUENCE { [2] "priv.example.com" } } }
    expect(Buffer.from(extension.value).toString('hex')).toBe(`3016a01430128210${Buffer.from('priv.example.com').toString('hex')}`);
  });

  it('uses long-form lengths for long zones, and reads them back', async () => {
    const zone = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example.com`;
    const certificate = await caWith([nameConstraintsExtension([zone, 'priv.example.com'])]);
    expect(permittedDnsZones(certificate)).toEqual([zone, 'priv.example.com']);
  });
});

describe('permittedDnsZones', () => {
  it('is undefined without the extension', async () => {
    expect(permittedDnsZones(await caWith([]))).toBeUndefined();
  });

  it('fails on a malformed extension', async () => {
    const certificate = await caWith([new x509.Extension(NAME_CONSTRAINTS_OID, true, Buffer.from('3005a003', 'hex'))]);
    expect(() => permittedDnsZones(certificate)).toThrow('malformed name constraints extension: truncated');
  });
});

describe('isWithinDnsZone', () => {
  it.each([
    ['priv.example.com', 'priv.example.com', true],
    ['vault.priv.example.com', 'priv.example.com', true],
    ['a.b.priv.example.com', 'priv.example.com', true],
    ['VAULT.priv.example.com', 'priv.example.com', true],
    ['notpriv.example.com', 'priv.example.com', false],
    ['example.com', 'priv.example.com', false],
    ['vault.priv.example.com', '.priv.example.com', true],
    ['priv.example.com', '.priv.example.com', false],
  ])('%s within %s: %s', (name, zone, within) => {
    expect(isWithinDnsZone(name, zone)).toBe(within);
  });
});
