import { describe, expect, it } from 'vitest';
import {
  addYears, createIntermediateCa, createRootCa, NOT_BEFORE_BACKDATE_MS, randomSerialNumber, validity,
} from '../../lib/pki/certificate-authority.js';
import { pkiProfile } from '../../lib/pki/profile.js';
import { expandIpAddress, issueServerCertificate } from '../../lib/pki/server-certificate.js';
import { exampleConfig } from '../support/pki.js';

const DAY_MS = 86_400_000;

describe('randomSerialNumber', () => {
  it('is 16 bytes, positive, without a leading zero byte, and different each time', () => {
    const serials = Array.from({ length: 200 }, randomSerialNumber);
    expect(new Set(serials).size).toBe(serials.length);
    for (const serial of serials) {
      expect(serial).toMatch(/^[4-7][0-9a-f]{31}$/);
    }
  });
});

describe('validity', () => {
  it('starts an hour early, at a whole second, and lasts whole calendar years', () => {
    const now = new Date('2026-03-01T12:00:00.750Z');
    const { notBefore, notAfter } = validity(now, 5);
    expect(notBefore.toISOString()).toBe('2026-03-01T11:00:00.000Z');
    expect(notAfter.toISOString()).toBe('2031-03-01T11:00:00.000Z');
    expect(now.getTime() - notBefore.getTime()).toBe(NOT_BEFORE_BACKDATE_MS + 750);
  });

  it('never ends after the issuer', () => {
    const issuerEnd = new Date('2027-01-01T00:00:00Z');
    expect(validity(new Date('2026-06-01T00:00:00Z'), 1, issuerEnd).notAfter).toEqual(issuerEnd);
  });

  it('adds calendar years, 29 February becoming 1 March', () => {
    expect(addYears(new Date('2028-02-29T00:00:00Z'), 1).toISOString()).toBe('2029-03-01T00:00:00.000Z');
  });
});

describe('issueServerCertificate', () => {
  it('cuts the server certificate at the end of an intermediate that has less than a year left', async () => {
    // GIVEN an intermediate made 4.5 years ago, with half a year left
    const profile = pkiProfile(exampleConfig());
    const root = await createRootCa(profile);
    const intermediate = await createIntermediateCa(profile, root, new Date(Date.now() - 4.5 * 365 * DAY_MS));
    // WHEN
    const server = await issueServerCertificate(profile, intermediate);
    // THEN
    expect(server.certificate.notAfter).toEqual(intermediate.certificate.notAfter);
  });

  it('fails when a name is outside the intermediate\'s constraints', async () => {
    const profile = pkiProfile(exampleConfig());
    const root = await createRootCa(profile);
    const intermediate = await createIntermediateCa(profile, root);
    await expect(issueServerCertificate({ ...profile, serverDnsNames: ['vault.example.org'] }, intermediate))
      .rejects.toThrow('the intermediate CA may only sign names in "priv.example.com", "cluster.local", got "vault.example.org"');
  });
});

describe('expandIpAddress', () => {
  it.each([
    ['10.0.0.10', '10.0.0.10'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['2001:db8::10', '2001:db8:0:0:0:0:0:10'],
    ['::ffff:10.0.0.1', '0:0:0:0:0:ffff:a00:1'],
    ['FE80:0:0:0:0:0:0:1', 'fe80:0:0:0:0:0:0:1'],
  ])('%s → %s', (address, expanded) => {
    expect(expandIpAddress(address)).toBe(expanded);
  });
});
