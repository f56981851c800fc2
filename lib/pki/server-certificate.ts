/**
 * The TLS certificate of the Vault servers, signed by the intermediate CA.
 *
 * | field            | value                                                                 |
 * |------------------|-----------------------------------------------------------------------|
 * | key              | ECDSA P-256 (default) or RSA 2048 (`pki.serverKey.algorithm`), new each time |
 * | subject          | `O=<organization>, C=<country>, CN=<Vault host>` (no CN past 64 characters) |
 * | lifetime         | 1 year, never past the intermediate's notAfter                        |
 * | basicConstraints | critical, CA:FALSE                                                    |
 * | keyUsage         | critical, digitalSignature (+ keyEncipherment for RSA key exchange)   |
 * | extKeyUsage      | serverAuth (the API and cluster listeners), clientAuth (Raft nodes joining each other over mutual TLS) |
 * | subjectAltName   | DNS: Vault host, `vault.serverName`, `pki.serverExtraDnsNames`; IP: `pki.serverIpAddresses` |
 * | identifiers      | SKI, AKI (the intermediate's SKI)                                     |
 */

import { isIP } from 'node:net';
import { type CertifiedKeyPair, authorityKeyIdentifier, randomSerialNumber, subjectName, validity } from './certificate-authority.js';
import { PkiError } from './errors.js';
import { generateKeyPair, signingAlgorithm } from './key-pair.js';
import { isWithinDnsZone, permittedDnsZones } from './name-constraints.js';
import { COMMON_NAME_MAX_LENGTH, type PkiProfile } from './profile.js';
import { x509 } from './x509.js';

/** Lifetime of the Vault server certificate, in years: renewed yearly with `renew-server`. */
export const SERVER_CERTIFICATE_LIFETIME_YEARS = 1;

/**
 * Issues a new Vault server certificate, with a new key, from `intermediate`.
 * @param now the moment of signing; the certificate is valid from an hour before
 * @throws PkiError when a DNS name of the profile is outside the intermediate's name constraints
 * (the configuration's private zone changed since the intermediate was made)
 */
export async function issueServerCertificate(
  profile: PkiProfile, intermediate: CertifiedKeyPair, now: Date = new Date(),
): Promise<CertifiedKeyPair> {
  const zones = permittedDnsZones(intermediate.certificate);
  const outside = zones === undefined ? [] : profile.serverDnsNames.filter((name) => !zones.some((zone) => isWithinDnsZone(name, zone)));
  if (zones !== undefined && outside.length > 0) {
    throw new PkiError(`the intermediate CA may only sign names in ${zones.map((zone) => JSON.stringify(zone)).join(', ')}, `
      + `got ${outside.map((name) => JSON.stringify(name)).join(', ')} for Vault's certificate (dns.privateZone.name changed `
      + 'since the intermediate was made? make a new intermediate with "init --force" on the offline machine)');
  }
  const keyPair = await generateKeyPair(profile.serverKeyAlgorithm === 'RSA' ? 'RSA-2048' : 'ECDSA-P256');
  const usages = x509.KeyUsageFlags.digitalSignature
    // RSA key exchange (TLS 1.2 without forward secrecy) encrypts with the server key; ECDSA keys never do.
    | (keyPair.type === 'RSA-2048' ? x509.KeyUsageFlags.keyEncipherment : 0);
  const commonName = profile.vaultHost.length <= COMMON_NAME_MAX_LENGTH ? profile.vaultHost : undefined;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: subjectName(profile, commonName),
    issuer: intermediate.certificate.subjectName,
    ...validity(now, SERVER_CERTIFICATE_LIFETIME_YEARS, intermediate.certificate.notAfter),
    publicKey: keyPair.keys.publicKey,
    signingKey: intermediate.keyPair.keys.privateKey,
    signingAlgorithm: signingAlgorithm(intermediate.keyPair.type),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usages, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...profile.serverDnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...profile.serverIpAddresses.map((value) => ({ type: 'ip' as const, value: expandIpAddress(value) })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keyPair.keys.publicKey),
      authorityKeyIdentifier(intermediate.certificate),
    ],
  });
  return { certificate, keyPair };
}

/**
 * An IP address in the form `@peculiar/x509` encodes correctly: IPv4 as is, IPv6 as eight
 * hexadecimal groups. (Its own parser gets IPv4-mapped forms such as `::ffff:10.0.0.1` wrong.)
 * @param value a valid address (`isIpAddress`)
 * @example expandIpAddress('::ffff:10.0.0.1') // '0:0:0:0:0:ffff:a00:1'
 */
export function expandIpAddress(value: string): string {
  if (isIP(value) === 4) {
    return value;
  }
  let text = value;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((group) => parseInt(group, 16).toString(16)).join(':');
}
