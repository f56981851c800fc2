/**
 * Reading certificates from PEM files of the PKI directory, with messages that name the file.
 */

import { X509Certificate as NodeCertificate } from 'node:crypto';
import { certificateBlocks } from '../util/pem.js';
import { PkiError } from './errors.js';
import { x509 } from './x509.js';

/** A certificate read twice: by `@peculiar/x509` (extensions) and by Node.js (signatures, as OpenSSL checks them). */
export interface ParsedCertificate {
  readonly x509: x509.X509Certificate;
  readonly node: NodeCertificate;
  /** The PEM block, normalized, ending with a newline. */
  readonly pem: string;
}

/**
 * The certificates of a PEM text, in order.
 * @param file the file, as messages name it
 * @throws PkiError when a block does not parse
 */
export function parseCertificates(text: string, file: string): ParsedCertificate[] {
  return certificateBlocks(text).map((block, index) => {
    try {
      const node = new NodeCertificate(block);
      const parsed = new x509.X509Certificate(block);
      return { x509: parsed, node, pem: `${parsed.toString('pem').replace(/\r\n/g, '\n').trimEnd()}\n` };
    } catch (err) {
      throw new PkiError(`${file}: expected X.509 certificates, got a CERTIFICATE block (number ${index + 1}) that does not parse `
        + `(${(err as Error).message})`);
    }
  });
}

/**
 * The one certificate of a PEM text.
 * @throws PkiError when there is none, more than one, or it does not parse
 */
export function parseCertificate(text: string, file: string): ParsedCertificate {
  const certificates = parseCertificates(text, file);
  if (certificates.length !== 1) {
    throw new PkiError(`${file}: expected exactly one PEM certificate, got ${certificates.length}`);
  }
  return certificates[0]!;
}

/** `2031-11-28T19:10:23Z`: a certificate date as messages show it. */
export function showDate(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}
