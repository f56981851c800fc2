/**
 * The two certificate authorities of the three-tier PKI: the root, self-signed, kept offline, and the
 * intermediate it signs, which Vault imports as the issuer of every private certificate.
 *
 * | CA           | key        | lifetime | basicConstraints       | keyUsage (critical)                       | other                                   |
 * |--------------|------------|----------|------------------------|-------------------------------------------|-----------------------------------------|
 * | root         | ECDSA P-384| 10 years | critical, CA, no pathlen | keyCertSign, cRLSign                    | SKI                                     |
 * | intermediate | ECDSA P-384| 5 years  | critical, CA, pathlen 1  | keyCertSign, cRLSign, digitalSignature  | SKI, AKI, name constraints: the permitted zones |
 *
 * - The root has no path length: what bounds the chain is the intermediate's `pathlen:1`: it signs
 *   Vault's server certificate and one more CA, the issuing CA that the Vault configuration stack
 *   creates below it (key inside Vault, `max_path_length` 0), which signs the private certificates.
 *   With `pathlen:0` every client would reject that issuing CA. A later second intermediate (another
 *   Vault, another zone) needs no new root.
 * - The intermediate has `digitalSignature` besides the CA bits because Vault signs its OCSP responses
 *   with the issuer's own key (no delegated responder), and the CA/Browser Forum profile asks for
 *   that bit on a CA key that signs OCSP responses.
 * - The intermediate is name-constrained to the private zone and the Vault role's allowed domains
 *   (`permittedZones` of the profile; see name-constraints.ts): the issuing CA below it inherits them.
 * - Lifetimes are fixed, not configurable: they are the article's, and a longer root is no safer.
 *   Every notBefore is backdated by {@link NOT_BEFORE_BACKDATE_MS}; no certificate outlives its issuer.
 */

import type { PkiProfile } from './profile.js';
import { generateKeyPair, type KeyPair, signingAlgorithm } from './key-pair.js';
import { INTERMEDIATE_CA_LIFETIME_YEARS, ROOT_CA_LIFETIME_YEARS } from './lifetimes.js';
import { nameConstraintsExtension } from './name-constraints.js';
import { x509 } from './x509.js';

export { INTERMEDIATE_CA_LIFETIME_YEARS, ROOT_CA_LIFETIME_YEARS } from './lifetimes.js';

/**
 * Path length constraint of the intermediate: one CA below it, Vault's issuing CA, then end entities.
 */
export const INTERMEDIATE_CA_PATH_LENGTH = 1;

/**
 * How far before the moment of signing every certificate starts to be valid: one hour, for clients
 * whose clock is behind the offline machine's (a certificate "not yet valid" fails every handshake).
 */
export const NOT_BEFORE_BACKDATE_MS = 60 * 60 * 1000;

/** Length of serial numbers, in bytes: 16 random bytes, well above the 64 bits of entropy CAs must use. */
export const SERIAL_NUMBER_BYTES = 16;

/** A certificate with the key pair of its subject. */
export interface CertifiedKeyPair {
  readonly certificate: x509.X509Certificate;
  readonly keyPair: KeyPair;
}

/**
 * A random positive serial number of exactly {@link SERIAL_NUMBER_BYTES} bytes, as hexadecimal: the
 * top bit is cleared (a set one would make the DER integer negative) and the next one set (so no
 * leading zero byte is dropped).
 */
export function randomSerialNumber(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(SERIAL_NUMBER_BYTES));
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return Buffer.from(bytes).toString('hex');
}

/** `date` plus `years` calendar years (29 February becomes 1 March). */
export function addYears(date: Date, years: number): Date {
  const result = new Date(date.getTime());
  result.setUTCFullYear(result.getUTCFullYear() + years);
  return result;
}

/**
 * The validity of a certificate signed at `now` for `years`, backdated, cut at `issuerNotAfter` so
 * that it never outlives its issuer.
 */
export function validity(now: Date, years: number, issuerNotAfter?: Date): { notBefore: Date; notAfter: Date } {
  // X.509 times have a one-second resolution: drop the milliseconds so what is written is what is meant.
  const notBefore = new Date(Math.floor((now.getTime() - NOT_BEFORE_BACKDATE_MS) / 1000) * 1000);
  const full = addYears(notBefore, years);
  const notAfter = issuerNotAfter !== undefined && issuerNotAfter.getTime() < full.getTime() ? issuerNotAfter : full;
  return { notBefore, notAfter };
}

/** The subject `O=<organization>, C=<country>, CN=<commonName>` (CN left out when `undefined`). */
export function subjectName(profile: PkiProfile, commonName: string | undefined): x509.JsonName {
  const name: x509.JsonName = [{ O: [profile.organization] }, { C: [profile.country] }];
  if (commonName !== undefined) {
    name.push({ CN: [commonName] });
  }
  return name;
}

const CA_KEY_USAGES = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

/** Creates the root CA: a new P-384 key and its self-signed certificate. */
export async function createRootCa(profile: PkiProfile, now: Date = new Date()): Promise<CertifiedKeyPair> {
  const keyPair = await generateKeyPair('ECDSA-P384');
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: subjectName(profile, profile.rootCommonName),
    ...validity(now, ROOT_CA_LIFETIME_YEARS),
    keys: keyPair.keys,
    signingAlgorithm: signingAlgorithm(keyPair.type),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGES, true),
      await x509.SubjectKeyIdentifierExtension.create(keyPair.keys.publicKey),
    ],
  });
  return { certificate, keyPair };
}

/** Creates the intermediate CA: a new P-384 key and its certificate, signed by `root`. */
export async function createIntermediateCa(
  profile: PkiProfile, root: CertifiedKeyPair, now: Date = new Date(),
): Promise<CertifiedKeyPair> {
  const keyPair = await generateKeyPair('ECDSA-P384');
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: subjectName(profile, profile.intermediateCommonName),
    issuer: root.certificate.subjectName,
    ...validity(now, INTERMEDIATE_CA_LIFETIME_YEARS, root.certificate.notAfter),
    publicKey: keyPair.keys.publicKey,
    signingKey: root.keyPair.keys.privateKey,
    signingAlgorithm: signingAlgorithm(root.keyPair.type),
    extensions: [
      new x509.BasicConstraintsExtension(true, INTERMEDIATE_CA_PATH_LENGTH, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGES | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keyPair.keys.publicKey),
      authorityKeyIdentifier(root.certificate),
      nameConstraintsExtension(profile.permittedZones),
    ],
  });
  return { certificate, keyPair };
}

/** The authority key identifier pointing at `issuer`'s subject key identifier (RFC 5280 section 4.2.1.1). */
export function authorityKeyIdentifier(issuer: x509.X509Certificate): x509.AuthorityKeyIdentifierExtension {
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!ski) {
    throw new Error(`issuer ${issuer.subject} has no subject key identifier`);
  }
  return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
}

/** A certificate as PEM, ending with a newline. */
export function certificatePem(certificate: x509.X509Certificate): string {
  return `${certificate.toString('pem').replace(/\r\n/g, '\n').trimEnd()}\n`;
}
