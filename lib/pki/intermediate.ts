/**
 * The intermediate CA of a PKI directory, read to sign with: what `renew-server` and `sign-issuing`
 * run on, on the machine where the intermediate key is. The root key is never needed.
 */

import { join } from 'node:path';
import type { CertifiedKeyPair } from './certificate-authority.js';
import { PkiError } from './errors.js';
import { PKI_FILES, readPkiFile } from './files.js';
import { parsePrivateKey, publicKeyDer, readKeyPair } from './key-pair.js';
import { parseCertificate, showDate } from './pem.js';

/**
 * The intermediate CA of `dir`, checked: key and certificate match, a CA, valid at `now`.
 * @param command the subcommand that needs it, as messages name it (`renew-server`)
 * @throws PkiError naming the file and the fix otherwise
 */
export async function readIntermediate(dir: string, now: Date, command: string): Promise<CertifiedKeyPair> {
  const hint = `${command} needs the intermediate CA made by init (intermediate-ca.pem and intermediate-ca-key.pem); `
    + 'the root key is not needed';
  const certificateFile = join(dir, PKI_FILES.intermediateCertificate);
  const keyFile = join(dir, PKI_FILES.intermediateKey);
  const certificate = parseCertificate(readPkiFile(dir, PKI_FILES.intermediateCertificate, hint), certificateFile);
  const keyPem = readPkiFile(dir, PKI_FILES.intermediateKey, hint);
  const keyObject = parsePrivateKey(keyPem, keyFile);
  if (!publicKeyDer(keyObject).equals(certificate.node.publicKey.export({ type: 'spki', format: 'der' }))) {
    throw new PkiError(`${keyFile}: expected the private key of ${certificateFile}, got another key `
      + '(the two files come from different runs of init; copy both from the same one)');
  }
  if (!certificate.node.ca) {
    throw new PkiError(`${certificateFile}: expected a CA certificate, got one without basicConstraints CA:TRUE, subject ${certificate.x509.subject}`);
  }
  if (now.getTime() > certificate.x509.notAfter.getTime()) {
    throw new PkiError(`${certificateFile}: the intermediate CA expired on ${showDate(certificate.x509.notAfter)}; it can sign nothing `
      + 'valid: make a new PKI, or a new intermediate from the offline root (see the docs/pki.md, "Private PKI")');
  }
  if (now.getTime() < certificate.x509.notBefore.getTime()) {
    throw new PkiError(`${certificateFile}: the intermediate CA is not valid before ${showDate(certificate.x509.notBefore)}; `
      + 'check this machine\'s clock');
  }
  return { certificate: certificate.x509, keyPair: await readKeyPair(keyPem, keyFile) };
}
