/**
 * The issuing CAs' certificate files (`vault.pki.issuers[].certificateFile`), read and checked at
 * synth: each is what `npm run pki -- sign-issuing` wrote on the offline machine, the certificate
 * the intermediate signed for a key Vault generated, followed by its chain. The vault-config stack
 * hands it to Vault (`set-signed`) as synthesized, so what is checked here is what is applied.
 *
 * A missing file is no problem: that issuer is not signed yet, and the stack renders only its key
 * and CSR (phase 1). A file that is there must be usable, or synth fails:
 *
 * | check                                                                  | why                                                   |
 * |------------------------------------------------------------------------|-------------------------------------------------------|
 * | certificates only, CAs, valid now, no private key (ca-bundle.ts)       | the file is committed and public                      |
 * | the issuing CA first, each certificate signed by the next, a self-signed root last | Vault serves this chain with every certificate |
 * | a CA of the configured chain (`vault.caBundleFile`, else `trust.rootsFile`) in it | clients trust that chain, not another PKI's  |
 * | the issuing CA: basicConstraints critical, CA, path length 0           | it signs end-entity certificates only                 |
 * | its name constraints, if any, cover `vault.pki.allowedDomains`         | else Vault signs names every client rejects           |
 * | at most one issuer without a file; the default issuer signed once any is | one CSR at a time; the role never loses its issuer  |
 */

import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import {
  BASIC_CONSTRAINTS_OID, certificateExtensions, NAME_CONSTRAINTS_OID, parseBasicConstraints, permittedDnsSubtrees,
} from '../util/der.js';
import { certificateBlocks } from '../util/pem.js';
import { isInDnsZone } from '../util/validators.js';
import { isSelfSigned, readIssuingChain } from './ca-bundle.js';
import type { PathSegment } from './errors.js';
import type { PlatformConfig } from './types.js';
import { vaultPkiSettings } from './vault-setup.js';

/** The signed issuing CAs, by issuer name: each file's certificates, normalized (issuing CA first). */
export type IssuingCertificates = Readonly<Record<string, string>>;

/** A problem of an issuing CA's file, at its path in the configuration. */
export interface IssuingProblem {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

/** What {@link readIssuingCertificates} found. */
export interface IssuingCertificatesRead {
  readonly certificates: IssuingCertificates;
  readonly problems: readonly IssuingProblem[];
}

/**
 * Reads and checks the file of every issuer of a valid configuration.
 * @param baseDir the directory the files are relative to (the configuration file's)
 * @param trustedPem the configured CA chain (`vault.caBundleFile`, else the roots of `trust.rootsFile`), normalized
 * @param now the moment certificates must be valid at
 */
export function readIssuingCertificates(config: PlatformConfig, baseDir: string, trustedPem: string, now: Date = new Date()): IssuingCertificatesRead {
  const settings = vaultPkiSettings(config);
  const certificates: Record<string, string> = {};
  const problems: IssuingProblem[] = [];
  const pending: string[] = [];
  settings.issuers.forEach((issuer, index) => {
    const path = ['vault', 'pki', 'issuers', index, 'certificateFile'];
    const file = join(baseDir, issuer.certificateFile);
    const chain = readIssuingChain(file, now);
    if (chain === undefined) {
      pending.push(issuer.name);
      return;
    }
    const found = chain.problems.length > 0 ? chain.problems : issuingChainProblems(chain.pem, file, trustedPem, settings.allowedDomains);
    problems.push(...found.map((message) => ({ path, message })));
    if (found.length === 0) certificates[issuer.name] = chain.pem;
  });
  if (pending.length > 1) {
    problems.push({
      path: ['vault', 'pki', 'issuers'],
      message: `expected at most one issuer without its certificate file, got ${pending.length} (${pending.map((n) => JSON.stringify(n)).join(', ')}): `
        + 'the stack outputs one CSR (issuing_csr) at a time; add the next issuer once the previous one is signed',
    });
  }
  const signed = settings.issuers.filter((issuer) => !pending.includes(issuer.name));
  if (signed.length > 0 && pending.includes(settings.defaultIssuer)) {
    const file = settings.issuers.find((issuer) => issuer.name === settings.defaultIssuer)!.certificateFile;
    problems.push({
      path: ['vault', 'pki', 'defaultIssuer'],
      message: `expected a signed issuer, got ${JSON.stringify(settings.defaultIssuer)}, whose certificate file ${file} does not exist yet `
        + `(the role would lose its issuer): keep ${JSON.stringify(signed[0]!.name)} as the default until sign-issuing has written it`,
    });
  }
  return { certificates, problems };
}

/**
 * What is wrong with the certificates of an issuing CA's file (CAs valid now, already checked), or
 * nothing.
 * @param pem the file's certificates, normalized
 * @param file the file, as messages show it
 * @param trustedPem the configured CA chain
 * @param allowedDomains `vault.pki.allowedDomains` in effect
 */
export function issuingChainProblems(pem: string, file: string, trustedPem: string, allowedDomains: readonly string[]): string[] {
  const blocks = certificateBlocks(pem);
  const chain = blocks.map((block) => new X509Certificate(block));
  const issuing = chain[0]!;
  const subject = (certificate: X509Certificate) => JSON.stringify(certificate.subject.split('\n').join(', '));
  const problems: string[] = [];
  if (chain.length === 1) {
    return [`expected the issuing CA's certificate followed by its chain (intermediate, root), got one certificate in ${file}, subject `
      + `${subject(issuing)} (Vault serves that chain with every certificate it signs: use the file "npm run pki -- sign-issuing" wrote)`];
  }
  for (let index = 0; index + 1 < chain.length; index += 1) {
    const [certificate, next] = [chain[index]!, chain[index + 1]!];
    if (!certificate.checkIssued(next) || !certificate.verify(next.publicKey)) {
      problems.push(`expected each certificate to be signed by the next one (issuing CA, intermediate, root), got certificate ${index + 1} of `
        + `${file}, subject ${subject(certificate)}, not signed by certificate ${index + 2}, subject ${subject(next)}`);
    }
  }
  if (!isSelfSigned(chain.at(-1)!)) {
    problems.push(`expected the chain to end with the self-signed root CA, got ${subject(chain.at(-1)!)} last in ${file}`);
  }
  const trusted = new Set(certificateBlocks(trustedPem).map((block) => new X509Certificate(block).fingerprint256));
  if (!chain.slice(1).some((certificate) => trusted.has(certificate.fingerprint256))) {
    problems.push(`expected a chain through the CAs clients trust (vault.caBundleFile, or trust.rootsFile), got ${file} whose CAs `
      + `(${chain.slice(1).map(subject).join(', ')}) are none of them: was it signed by another PKI's intermediate?`);
  }

  let extensions;
  try {
    extensions = certificateExtensions(Buffer.from(issuing.raw));
  } catch (err) {
    return [...problems, `expected an X.509 certificate first in ${file}, got one whose extensions do not parse (${(err as Error).message})`];
  }
  const basic = extensions.find((extension) => extension.oid === BASIC_CONSTRAINTS_OID);
  const constraints = basic === undefined ? undefined : parseBasicConstraints(basic.value);
  if (!basic?.critical || constraints?.pathLength !== 0) {
    problems.push(`expected the issuing CA first in ${file}, with basicConstraints critical, CA:TRUE, pathlen:0 (it signs end-entity `
      + `certificates only), got subject ${subject(issuing)} with ${constraints === undefined ? 'no basicConstraints'
        : `${basic!.critical ? 'critical' : 'non-critical'} basicConstraints, path length ${constraints.pathLength ?? 'unlimited'}`}`);
  }
  const names = extensions.find((extension) => extension.oid === NAME_CONSTRAINTS_OID);
  const zones = names === undefined ? [] : permittedDnsSubtrees(names.value);
  const outside = zones.length === 0 ? [] : allowedDomains.filter((domain) => !zones.some((zone) => isInDnsZone(domain, zone)));
  if (outside.length > 0) {
    problems.push(`expected an issuing CA permitting vault.pki.allowedDomains, got ${file} whose name constraints permit `
      + `${zones.map((zone) => JSON.stringify(zone)).join(', ')} only (certificates for ${outside.map((d) => JSON.stringify(d)).join(', ')} `
      + 'would be rejected by every client: sign a new issuing CA with "npm run pki -- sign-issuing")');
  }
  return problems;
}
