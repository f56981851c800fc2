/**
 * The CA bundle file named by `vault.caBundleFile`: the PEM chain that Vault's TLS certificate
 * chains to, which becomes the Vault ClusterIssuer's `caBundle`. (A bundle given through
 * `vault.caBundleSecretRef` lives in a Secret of the cluster and is not checked here.)
 *
 * Only certificates of CAs, valid today, may be in it: the file is committed with the configuration,
 * so a private key found there is refused (and never shown), and a leaf or an expired CA would only
 * fail later, inside the cluster, as an unexplained TLS error. Text outside PEM blocks (comments,
 * `openssl x509 -text` output) is ignored.
 *
 * Also the roots that trust-manager distributes to workloads: the self-signed certificates of
 * `trust.rootsFile` (checked like a CA bundle), or, without that file, of the CA bundle. Certificates
 * issued by another CA are left out, so an intermediate is never distributed as a trust anchor.
 */

import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { showValue } from './errors.js';
import { certificateBlocks } from '../util/pem.js';

/** The certificates of a CA bundle file, or what is wrong with it. */
export interface CaBundle {
  /**
   * The certificate blocks in file order, each normalized to
   * `-----BEGIN CERTIFICATE-----\n<base64, 64 columns>\n-----END CERTIFICATE-----\n`; empty when
   * there are problems.
   */
  readonly pem: string;
  /**
   * Everything wrong with the file, in file order, each worded as the message of a configuration
   * problem (`expected …, got …`); empty when the bundle can be used.
   */
  readonly problems: readonly string[];
}

/** Label of the PEM blocks a bundle holds (RFC 7468 section 5). */
const CERTIFICATE_LABEL = 'CERTIFICATE';

/** How the messages name what a file should hold, which differs between the CA bundle and a roots file. */
interface Wording {
  /** Completes "expected …, got an empty file". */
  readonly certificates: string;
  /** The likely fix of a certificate that is not a CA. */
  readonly notCaFix: string;
  /** The file, as the fixes name it. */
  readonly holder: string;
}

const CA_BUNDLE_WORDING: Wording = {
  certificates: 'the PEM certificates of the CAs that issued Vault\'s TLS certificate',
  notCaFix: 'give the chain of the CAs that issued Vault\'s certificate, not a server certificate',
  holder: 'the bundle',
};

const TRUST_ROOTS_WORDING: Wording = {
  certificates: 'the PEM certificates of the root CAs to distribute',
  notCaFix: 'give the root CA certificates to distribute, not a server certificate',
  holder: 'the roots file',
};

const ISSUING_CHAIN_WORDING: Wording = {
  certificates: 'the PEM certificates of the issuing CA then of its chain (intermediate, root), as "npm run pki -- sign-issuing" writes them',
  notCaFix: 'give the file sign-issuing wrote: the issuing CA and the CAs above it, no server certificate',
  holder: 'the issuing CA\'s file',
};

/**
 * Reads the file of an issuing CA (`vault.pki.issuers[].certificateFile`), checked as a CA bundle is
 * (CA certificates valid now, no private key, nothing but certificates); `undefined` when there is
 * no such file, which is not a problem: that issuer is not signed yet. Its order and chain are
 * checked by issuing-ca.ts.
 * @param file path of the file, as the messages show it (already resolved against the configuration's directory)
 * @param now the moment certificates must be valid at
 */
export function readIssuingChain(file: string, now: Date = new Date()): CaBundle | undefined {
  if (!existsSync(file)) return undefined;
  const content = readPemFile(file);
  return typeof content === 'string' ? { pem: '', problems: [content] } : parseCertificates(content, file, now, ISSUING_CHAIN_WORDING);
}

/**
 * Reads and checks the CA bundle file `file`.
 * @param file path of the file, as the messages show it (already resolved against the configuration's directory)
 * @param now the moment certificates must be valid at
 */
export function readCaBundle(file: string, now: Date = new Date()): CaBundle {
  const content = readPemFile(file);
  return typeof content === 'string' ? { pem: '', problems: [content] } : parseCaBundle(content, file, now);
}

/**
 * Checks the content of a CA bundle file.
 * @param content the file's content, as text or as read
 * @param file the file, as the messages show it
 * @param now the moment certificates must be valid at
 */
export function parseCaBundle(content: string | Buffer, file: string, now: Date = new Date()): CaBundle {
  return parseCertificates(content, file, now, CA_BUNDLE_WORDING);
}

/**
 * Reads the roots file `file` (`trust.rootsFile`): checked as a CA bundle is, then reduced to its
 * self-signed certificates; see {@link parseTrustRoots}.
 * @param file path of the file, as the messages show it (already resolved against the configuration's directory)
 * @param now the moment certificates must be valid at
 */
export function readTrustRoots(file: string, now: Date = new Date()): CaBundle {
  const content = readPemFile(file);
  return typeof content === 'string' ? { pem: '', problems: [content] } : parseTrustRoots(content, file, now);
}

/**
 * Checks the content of a roots file like a CA bundle (CA certificates valid now, no private key),
 * then keeps its self-signed certificates, in file order: `pem` holds those alone. Certificates
 * issued by another CA are ignored; a file with no self-signed one is a problem.
 * @param content the file's content, as text or as read
 * @param file the file, as the messages show it
 * @param now the moment certificates must be valid at
 */
export function parseTrustRoots(content: string | Buffer, file: string, now: Date = new Date()): CaBundle {
  const checked = parseCertificates(content, file, now, TRUST_ROOTS_WORDING);
  return checked.problems.length > 0
    ? checked
    : selfSignedRoots(checked.pem, file, 'add the self-signed root CA certificate that issued it');
}

/**
 * The roots to distribute when no roots file is given: the self-signed certificates of the CA
 * bundle, already read and checked (the `pem` of {@link readCaBundle}, so the file is not read again).
 * @param bundlePem the normalized certificates of the CA bundle
 * @param file the CA bundle file, as the messages show it
 */
export function trustRootsOfCaBundle(bundlePem: string, file: string): CaBundle {
  return selfSignedRoots(bundlePem, file,
    'add the self-signed root CA certificate that issued it to the bundle, or name a file of root certificates in trust.rootsFile');
}

/**
 * Whether `certificate` is self-signed: its issuer is its own subject and its own key verifies its
 * signature (a certificate whose names match but which another key signed is not a root).
 */
export function isSelfSigned(certificate: X509Certificate): boolean {
  return certificate.checkIssued(certificate) && certificate.verify(certificate.publicKey);
}

/** Longest list of certificates a message names one by one. */
const NAMED_CERTIFICATES_MAX = 3;

/**
 * The self-signed certificates of `pem` (normalized blocks), in order; a problem when there is none.
 * @param fix the likely fix, ending the message
 */
function selfSignedRoots(pem: string, file: string, fix: string): CaBundle {
  const blocks = certificateBlocks(pem);
  const certificates = blocks.map((block) => ({ block, certificate: new X509Certificate(block) }));
  const roots = certificates.filter(({ certificate }) => isSelfSigned(certificate));
  if (roots.length > 0) {
    return { pem: roots.map(({ block }) => block).join(''), problems: [] };
  }
  const expected = 'expected at least one self-signed root CA certificate to distribute';
  if (certificates.length === 0) {
    return { pem: '', problems: [`${expected}, got no certificate in ${file}`] };
  }
  const named = certificates.slice(0, NAMED_CERTIFICATES_MAX).map(({ certificate }) =>
    `subject ${distinguishedName(certificate.subject)} issued by ${distinguishedName(certificate.issuer)}`);
  if (certificates.length > NAMED_CERTIFICATES_MAX) {
    named.push(`${certificates.length - NAMED_CERTIFICATES_MAX} more`);
  }
  const count = certificates.length === 1 ? 'a certificate' : `${certificates.length} certificates`;
  return {
    pem: '',
    problems: [`${expected}, got only ${count} issued by another CA in ${file}: ${named.join(', ')} `
      + `(intermediates are never distributed; ${fix})`],
  };
}

/** A distinguished name as Node gives it (one attribute a line), shown on one line. */
function distinguishedName(name: string): string {
  return showValue(name.split('\n').join(', '));
}

/**
 * The content of `file`, or the problem of reading it, worded as a configuration problem.
 */
function readPemFile(file: string): Buffer | string {
  try {
    return readFileSync(file);
  } catch (err) {
    return `expected a PEM file of CA certificates, got ${readErrorText(err)}: ${file} `
      + '(the path is relative to the directory of the configuration file)';
  }
}

/** Checks the PEM certificates of a file, worded for what the file is. */
function parseCertificates(content: string | Buffer, file: string, now: Date, wording: Wording): CaBundle {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  // A DER certificate starts with a SEQUENCE tag (0x30) and a long-form length (0x81 or 0x82), never text.
  const looksLikeDer = typeof content !== 'string' && content[0] === 0x30 && (content[1] === 0x81 || content[1] === 0x82);
  const problems: string[] = [];
  const certificates: string[] = [];
  const blocks = scanPem(text);
  for (const block of blocks) {
    const where = `at line ${block.line} of ${file}`;
    if (/PRIVATE KEY/.test(block.label) || /PRIVATE KEY/.test(block.endLabel ?? '')) {
      // Name the block by its label and line only: nothing of its content may reach a log.
      problems.push(`expected certificates only, got a private key ${where} (a "${block.label}" block): ${wording.holder} must hold `
        + 'certificates only and the key must stay offline; remove it, and replace the key if the file was ever committed');
      continue;
    }
    if (block.kind === 'stray-end') {
      problems.push(`expected PEM blocks between BEGIN and END lines, got a "-----END ${block.label}-----" line ${where} `
        + 'without its BEGIN line');
      continue;
    }
    if (block.endLabel === undefined) {
      problems.push(`expected a complete PEM block, got a "${block.label}" block ${where} without its "-----END ${block.label}-----" line`);
      continue;
    }
    if (block.endLabel !== block.label) {
      problems.push(`expected a complete PEM block, got a "${block.label}" block ${where} ended by "-----END ${block.endLabel}-----"`);
      continue;
    }
    if (block.label !== CERTIFICATE_LABEL) {
      problems.push(`expected only "${CERTIFICATE_LABEL}" blocks, got a "${block.label}" block ${where}`);
      continue;
    }
    const problem = certificateProblem(block.body, where, now, wording);
    if (typeof problem === 'string') {
      problems.push(problem);
    } else {
      certificates.push(problem.pem);
    }
  }
  if (!blocks.some((block) => block.label === CERTIFICATE_LABEL && block.kind === 'block')) {
    const hint = looksLikeDer ? ' (it looks like DER: convert it with "openssl x509 -inform der -in <file>")' : '';
    const got = text.trim() === '' ? 'an empty file' : `no "${CERTIFICATE_LABEL}" block in ${file}`;
    problems.push(`expected ${wording.certificates}, got ${got}${hint}`);
  }
  return problems.length > 0 ? { pem: '', problems } : { pem: certificates.join(''), problems };
}

/**
 * Checks one `CERTIFICATE` block: an X.509 certificate, of a CA, not expired. Returns the problem,
 * or the certificate normalized.
 */
function certificateProblem(body: readonly string[], where: string, now: Date, wording: Wording): string | { pem: string } {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(`-----BEGIN ${CERTIFICATE_LABEL}-----\n${body.join('\n')}\n-----END ${CERTIFICATE_LABEL}-----\n`);
  } catch (err) {
    return `expected an X.509 certificate, got a "${CERTIFICATE_LABEL}" block ${where} that does not parse (${opensslReason(err)})`;
  }
  const subject = distinguishedName(certificate.subject);
  if (!certificate.ca) {
    return `expected CA certificates only, got a certificate that is not a CA ${where}, subject ${subject} `
      + `(no basicConstraints CA:TRUE; ${wording.notCaFix})`;
  }
  const notAfter = new Date(certificate.validTo);
  if (notAfter.getTime() < now.getTime()) {
    return `expected certificates valid now, got a CA certificate ${where} that expired on `
      + `${notAfter.toISOString().replace('.000Z', 'Z')}, subject ${subject} (renew it, or remove it from ${wording.holder})`;
  }
  const pem = certificate.toString();
  return { pem: pem.endsWith('\n') ? pem : `${pem}\n` };
}

interface PemBlock {
  readonly kind: 'block' | 'stray-end';
  /** Label of the BEGIN line (of the END line, for a stray one). */
  readonly label: string;
  /** Label of the END line; `undefined` when the file or the next BEGIN line cuts the block short. */
  readonly endLabel?: string;
  /** The lines between BEGIN and END, trimmed, empty ones dropped. */
  readonly body: readonly string[];
  /** 1-based line of the BEGIN (or stray END) line. */
  readonly line: number;
}

const BEGIN_LINE = /^-----BEGIN ([^-]*)-----$/;
const END_LINE = /^-----END ([^-]*)-----$/;

/** The PEM blocks of `text` in order, with any END line that closes nothing. */
function scanPem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let open: { label: string; body: string[]; line: number } | undefined;
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const line = raw.trim();
    const begin = BEGIN_LINE.exec(line);
    const end = END_LINE.exec(line);
    if (begin) {
      if (open) {
        blocks.push({ kind: 'block', label: open.label, body: open.body, line: open.line });
      }
      open = { label: begin[1]!, body: [], line: index + 1 };
    } else if (end) {
      if (open) {
        blocks.push({ kind: 'block', label: open.label, endLabel: end[1]!, body: open.body, line: open.line });
        open = undefined;
      } else {
        blocks.push({ kind: 'stray-end', label: end[1]!, body: [], line: index + 1 });
      }
    } else if (open && line !== '') {
      open.body.push(line);
    }
  });
  if (open) {
    blocks.push({ kind: 'block', label: open.label, body: open.body, line: open.line });
  }
  return blocks;
}

function readErrorText(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'a directory';
    case 'EACCES':
    case 'EPERM':
      return 'a file it has no permission to read';
    default:
      return `a file that cannot be read (${(err as Error).message})`;
  }
}

/** `error:068000A8:asn1 encoding routines::wrong tag` → `wrong tag`. */
function opensslReason(err: unknown): string {
  const message = (err as Error).message;
  return message.slice(message.lastIndexOf(':') + 1).trim() || message;
}
