/**
 * `check`: verifies a PKI directory as a TLS client and Vault would use it, and reports every
 * problem at once.
 *
 * - the chain: root self-signed, intermediate signed by the root, Vault's certificate signed by the
 *   intermediate (issuer names and signatures, checked by Node.js, that is by OpenSSL);
 * - each private key present matches its certificate and is readable by its owner only; the root
 *   key may be absent (kept offline);
 * - the profiles: CA flags, path length, key usages, extended key usages, key algorithms, the
 *   intermediate's name constraints, the server's names (those the configuration asks for, all
 *   within the constraints);
 * - validity now, with a warning for anything ending within `warnDays`;
 * - `ca-chain.pem` holds exactly this PKI's chain, and the committed chain synth reads holds it too
 *   (next to another one during a root rotation); a leftover `bundle.pem` (the intermediate key that
 *   Vault once imported) is a warning: nothing reads it, delete it;
 * - each issuing CA's certificate file that exists (`vault.pki.issuers[].certificateFile`): signed by
 *   the intermediate, CA with path length 0, keyCertSign and cRLSign, name constraints within the
 *   intermediate's and covering the allowed domains, followed by exactly intermediate and root, and
 *   valid now, with the same warning before it ends.
 *
 * Problems make `check` fail; warnings do not.
 */

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { INTERMEDIATE_CA_PATH_LENGTH } from './certificate-authority.js';
import { PkiError } from './errors.js';
import { KEY_FILE_MODE, LEGACY_BUNDLE_FILE, PKI_FILES, readPkiFile } from './files.js';
import { describeKeyType, keyTypeOf, type KeyType, parsePrivateKey, publicKeyDer } from './key-pair.js';
import { isWithinDnsZone, permittedDnsZones } from './name-constraints.js';
import { type ParsedCertificate, parseCertificate, parseCertificates, showDate } from './pem.js';
import type { PkiProfile } from './profile.js';
import { expandIpAddress } from './server-certificate.js';
import { x509 } from './x509.js';

/** `--warn-days` when not given: a month, enough to renew and roll out a certificate. */
export const DEFAULT_WARN_DAYS = 30;

/** Largest `--warn-days`: the root's lifetime (10 years); a longer window would warn about everything, always. */
export const WARN_DAYS_MAX = 3653;

const DAY_MS = 24 * 60 * 60 * 1000;

/** What {@link checkPki} needs. */
export interface CheckOptions {
  readonly profile: PkiProfile;
  /** The PKI directory. */
  readonly dir: string;
  /** Warn about certificates ending within this many days. @default DEFAULT_WARN_DAYS */
  readonly warnDays?: number;
  /** The committed chain synth reads (`vault.caBundleFile`, resolved); checked when given. */
  readonly chainFile?: string;
  /**
   * The issuing CAs' certificate files (`vault.pki.issuers`, resolved), each checked when it exists,
   * and the name constraints they must permit (`vault.pki.allowedDomains`, reduced).
   * @default - no issuing CA is checked
   */
  readonly issuing?: {
    readonly files: ReadonlyArray<{ readonly name: string; readonly file: string }>;
    readonly permittedZones: readonly string[];
  };
  /** @default - the current time */
  readonly now?: Date;
}

/** One certificate as `check` lists it. */
export interface CheckedCertificate {
  /** `root CA`, `intermediate CA`, `Vault server` or `issuing CA "<name>"`. */
  readonly role: string;
  readonly file: string;
  readonly subject: string;
  readonly notAfter: Date;
  /** Whole days from now to notAfter; negative once expired. */
  readonly daysLeft: number;
}

/** What {@link checkPki} found. */
export interface CheckReport {
  /** The certificates that could be read, root first. */
  readonly certificates: readonly CheckedCertificate[];
  /** Facts worth saying that are fine (the root key kept offline). */
  readonly notes: readonly string[];
  /** Expiry ahead, or a configuration the certificate no longer matches: check still passes. */
  readonly warnings: readonly string[];
  /** What is broken: check fails. */
  readonly problems: readonly string[];
}

interface Role {
  readonly name: string;
  readonly certificateFile: string;
  readonly keyFile: string;
  /** Absent key: a problem, or (the root's) a note. */
  readonly keyOptional: boolean;
}

const ROOT: Role = { name: 'root CA', certificateFile: PKI_FILES.rootCertificate, keyFile: PKI_FILES.rootKey, keyOptional: true };
const INTERMEDIATE: Role = {
  name: 'intermediate CA', certificateFile: PKI_FILES.intermediateCertificate, keyFile: PKI_FILES.intermediateKey, keyOptional: false,
};
const SERVER: Role = { name: 'Vault server', certificateFile: PKI_FILES.serverCertificate, keyFile: PKI_FILES.serverKey, keyOptional: false };

/** Checks the PKI directory `options.dir`; never throws on what it finds, reports it. */
export function checkPki(options: CheckOptions): CheckReport {
  const now = options.now ?? new Date();
  const warnDays = options.warnDays ?? DEFAULT_WARN_DAYS;
  const { dir, profile } = options;
  const path = (name: string): string => join(dir, name);
  const certificates: CheckedCertificate[] = [];
  const notes: string[] = [];
  const warnings: string[] = [];
  const problems: string[] = [];

  /** The file's text; `undefined` when it cannot be read (a problem), or is `optional` and absent. */
  const read = (name: string, optional = false): string | undefined => {
    if (optional && !existsSync(path(name))) {
      return undefined;
    }
    try {
      return readPkiFile(dir, name, 'run init first, or give the directory it wrote with --dir');
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  const certificateOf = (role: Role): ParsedCertificate | undefined => {
    const text = read(role.certificateFile);
    return text === undefined ? undefined : attempt(problems, () => parseCertificate(text, path(role.certificateFile)));
  };

  const root = certificateOf(ROOT);
  const intermediate = certificateOf(INTERMEDIATE);
  const server = certificateOf(SERVER);

  for (const [role, certificate] of [[ROOT, root], [INTERMEDIATE, intermediate], [SERVER, server]] as const) {
    checkKey(role, certificate);
    if (certificate) {
      checkValidity(role, certificate);
    }
  }

  if (root) {
    const file = path(ROOT.certificateFile);
    checkSignedBy(root, root, file, 'itself (a self-signed root)');
    checkCa(root, file, undefined);
    checkKeyType(root, file, ['ECDSA-P384']);
  }
  let zones: string[] | undefined;
  if (intermediate) {
    const file = path(INTERMEDIATE.certificateFile);
    if (root) {
      checkSignedBy(intermediate, root, file, `the root CA of ${path(ROOT.certificateFile)}`);
    }
    checkCa(intermediate, file, INTERMEDIATE_CA_PATH_LENGTH);
    checkKeyType(intermediate, file, ['ECDSA-P384']);
    zones = attempt(problems, () => permittedDnsZones(intermediate.x509), file);
    if (zones === undefined) {
      warnings.push(`${file}: the intermediate CA has no DNS name constraints: it may sign any name, not only `
        + `${profile.permittedZones.map((zone) => JSON.stringify(zone)).join(', ')}`);
    } else {
      const missing = profile.permittedZones.filter((zone) => !zones!.some((permitted) => isWithinDnsZone(zone, permitted)));
      if (missing.length > 0) {
        problems.push(`${file}: expected name constraints permitting ${profile.permittedZones.map((zone) => JSON.stringify(zone)).join(', ')} `
          + `(the private zone and vault.pki.allowedDomains), got ${zones.map((zone) => JSON.stringify(zone)).join(', ')} (certificates `
          + `Vault signs for ${missing.map((zone) => JSON.stringify(zone)).join(', ')} would not verify: make a new intermediate with init)`);
      }
    }
  }
  if (server) {
    checkServer(server, intermediate, zones);
  }
  checkChainFiles(root, intermediate);
  for (const issuing of options.issuing?.files ?? []) {
    checkIssuing(issuing.name, issuing.file, root, intermediate, zones);
  }

  return { certificates, notes, warnings, problems };

  function checkKey(role: Role, certificate: ParsedCertificate | undefined): void {
    const file = path(role.keyFile);
    const text = read(role.keyFile, role.keyOptional);
    if (text === undefined) {
      if (role.keyOptional) {
        notes.push(`${file}: not here, as it should be once the root key is kept offline`);
      }
      return;
    }
    checkMode(file);
    const key = attempt(problems, () => parsePrivateKey(text, file));
    if (key && certificate && !publicKeyDer(key).equals(certificate.node.publicKey.export({ type: 'spki', format: 'der' }))) {
      problems.push(`${file}: expected the private key of ${path(role.certificateFile)}, got another key (the files come from `
        + 'different runs of init, or the certificate was replaced without its key)');
    }
  }

  function checkMode(file: string): void {
    // POSIX modes only: Windows reports every file as 0666 or 0444.
    if (process.platform === 'win32') {
      return;
    }
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      problems.push(`${file}: expected mode ${octal(KEY_FILE_MODE)} for a private key, got ${octal(mode)} (readable by other `
        + `users; run "chmod ${octal(KEY_FILE_MODE)} ${file}")`);
    }
  }

  function checkValidity(role: Role, certificate: ParsedCertificate): void {
    checkValidityOf(role.name, path(role.certificateFile), certificate, renewal(role));
  }

  /** Lists the certificate; a problem when it is not valid now, a warning when it ends within `warnDays`. */
  function checkValidityOf(name: string, file: string, certificate: ParsedCertificate, renew: string): void {
    const { notBefore, notAfter } = certificate.x509;
    const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
    certificates.push({ role: name, file, subject: certificate.x509.subject, notAfter, daysLeft });
    if (now.getTime() < notBefore.getTime()) {
      problems.push(`${file}: the ${name} certificate is not valid before ${showDate(notBefore)} (check this machine's clock)`);
    } else if (now.getTime() > notAfter.getTime()) {
      problems.push(`${file}: the ${name} certificate expired on ${showDate(notAfter)}; ${renew}`);
    } else if (daysLeft < warnDays) {
      warnings.push(`${file}: the ${name} certificate expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'}, on `
        + `${showDate(notAfter)} (less than ${warnDays} days); ${renew}`);
    }
  }

  /**
   * An issuing CA's file, when it exists: the issuing CA then exactly intermediate and root, signed
   * by the intermediate, a CA with path length 0, name constraints within the intermediate's and
   * covering the allowed domains, valid now.
   */
  function checkIssuing(name: string, file: string, rootCertificate: ParsedCertificate | undefined,
    intermediateCertificate: ParsedCertificate | undefined, intermediateZones: string[] | undefined): void {
    if (!existsSync(file)) {
      notes.push(`${file}: issuer "${name}" is not signed yet (its CSR is the issuing_csr output of vault-config: run sign-issuing)`);
      return;
    }
    let text: string | undefined;
    try {
      text = readPkiFile('', file, 'sign-issuing writes it');
    } catch (err) {
      problems.push((err as Error).message);
      return;
    }
    const chain = attempt(problems, () => parseCertificates(text!, file));
    if (chain === undefined) return;
    const [issuing, ...rest] = chain;
    if (issuing === undefined) {
      problems.push(`${file}: expected the issuing CA's certificate, its intermediate and its root, got no certificate`);
      return;
    }
    const role = `issuing CA "${name}"`;
    checkValidityOf(role, file, issuing, 'sign a new issuing CA and rotate to it (see the docs/operations.md, "Rotate the issuing CA")');
    if (intermediateCertificate) {
      checkSignedBy(issuing, intermediateCertificate, file, `the intermediate CA of ${path(INTERMEDIATE.certificateFile)}`);
    }
    checkCa(issuing, file, 0);
    const expected = rootCertificate && intermediateCertificate ? [intermediateCertificate.pem, rootCertificate.pem] : undefined;
    if (expected && (rest.length !== expected.length || rest.some((certificate, index) => certificate.pem !== expected[index]))) {
      problems.push(`${file}: expected the issuing CA followed by the intermediate then the root certificate (of `
        + `${PKI_FILES.intermediateCertificate} and ${PKI_FILES.rootCertificate}), got ${rest.length} certificate${rest.length === 1 ? '' : 's'} `
        + 'after it that differ; Vault serves this chain: sign the issuing CA again with sign-issuing');
    }
    const zones = attempt(problems, () => permittedDnsZones(issuing.x509), file);
    const wanted = options.issuing?.permittedZones ?? [];
    if (zones === undefined) {
      warnings.push(`${file}: the ${role} has no DNS name constraints: only the intermediate's limit what it may sign`);
      return;
    }
    const outside = intermediateZones === undefined ? [] : zones.filter((zone) => !intermediateZones.some((parent) => isWithinDnsZone(zone, parent)));
    if (outside.length > 0) {
      problems.push(`${file}: expected name constraints within the intermediate's (${intermediateZones!.join(', ')}), got `
        + `${outside.join(', ')}: every TLS client rejects what it signs there`);
    }
    const missing = wanted.filter((zone) => !zones.some((permitted) => isWithinDnsZone(zone, permitted)));
    if (missing.length > 0) {
      warnings.push(`${file}: the ${role} does not permit ${missing.map((zone) => JSON.stringify(zone)).join(', ')} of vault.pki.allowedDomains `
        + '(certificates Vault signs there would not verify: sign a new issuing CA with sign-issuing)');
    }
  }

  function checkSignedBy(certificate: ParsedCertificate, issuer: ParsedCertificate, file: string, issuerName: string): void {
    if (!certificate.node.checkIssued(issuer.node)) {
      problems.push(`${file}: expected a certificate issued by ${issuerName}, got one whose issuer is "${certificate.x509.issuer}" `
        + `(subject of the expected issuer: "${issuer.x509.subject}"; the files come from different runs of init?)`);
    } else if (!certificate.node.verify(issuer.node.publicKey)) {
      problems.push(`${file}: expected a certificate signed by ${issuerName}, got one whose signature does not verify with `
        + 'that key (same names, another key: the files come from different runs of init)');
    }
  }

  /** A CA: basicConstraints critical CA:TRUE with `pathLength`, keyUsage critical with keyCertSign and cRLSign. */
  function checkCa(certificate: ParsedCertificate, file: string, pathLength: number | undefined): void {
    const constraints = certificate.x509.getExtension(x509.BasicConstraintsExtension);
    if (!constraints || !constraints.ca || !constraints.critical) {
      problems.push(`${file}: expected a CA certificate (basicConstraints critical, CA:TRUE), got ${constraints
        ? `basicConstraints ${constraints.critical ? 'critical' : 'not critical'}, CA:${constraints.ca ? 'TRUE' : 'FALSE'}`
        : 'no basicConstraints'}`);
    } else if (pathLength !== undefined && constraints.pathLength !== pathLength) {
      const why = pathLength === 0 ? 'it signs end-entity certificates only' : `at most ${pathLength} CA below it: Vault's issuing CA`;
      problems.push(`${file}: expected a path length constraint of ${pathLength} (${why}), `
        + `got ${constraints.pathLength === undefined ? 'none' : constraints.pathLength}`);
    }
    const usage = certificate.x509.getExtension(x509.KeyUsagesExtension);
    const needed = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;
    if (!usage || (usage.usages & needed) !== needed || !usage.critical) {
      problems.push(`${file}: expected keyUsage critical with keyCertSign and cRLSign, got ${describeKeyUsage(usage)}`);
    }
  }

  function checkKeyType(certificate: ParsedCertificate, file: string, allowed: readonly KeyType[]): KeyType | undefined {
    const type = attempt(problems, () => keyTypeOf(certificate.node.publicKey, file));
    if (type !== undefined && !allowed.includes(type)) {
      problems.push(`${file}: expected a ${allowed.map(describeKeyType).join(' or ')} key, got ${describeKeyType(type)}`);
    }
    return type;
  }

  function checkServer(certificate: ParsedCertificate, issuer: ParsedCertificate | undefined, permitted: string[] | undefined): void {
    const file = path(SERVER.certificateFile);
    if (issuer) {
      checkSignedBy(certificate, issuer, file, `the intermediate CA of ${path(INTERMEDIATE.certificateFile)}`);
    }
    if (certificate.node.ca) {
      problems.push(`${file}: expected a server certificate (basicConstraints CA:FALSE), got a CA certificate`);
    }
    const usage = certificate.x509.getExtension(x509.KeyUsagesExtension);
    if (!usage || (usage.usages & x509.KeyUsageFlags.digitalSignature) === 0) {
      problems.push(`${file}: expected keyUsage with digitalSignature (TLS handshakes), got ${describeKeyUsage(usage)}`);
    }
    const extended = certificate.x509.getExtension(x509.ExtendedKeyUsageExtension)?.usages.map(String) ?? [];
    const missingUsages = [['serverAuth', x509.ExtendedKeyUsage.serverAuth], ['clientAuth', x509.ExtendedKeyUsage.clientAuth]]
      .filter(([, oid]) => !extended.includes(oid!)).map(([name]) => name!);
    if (missingUsages.length > 0) {
      problems.push(`${file}: expected extendedKeyUsage serverAuth and clientAuth (the API and Raft's mutual TLS), `
        + `missing ${missingUsages.join(' and ')}; run renew-server`);
    }
    const type = checkKeyType(certificate, file, ['ECDSA-P256', 'RSA-2048']);
    const wanted: KeyType = profile.serverKeyAlgorithm === 'RSA' ? 'RSA-2048' : 'ECDSA-P256';
    if (type !== undefined && type !== wanted && (type === 'ECDSA-P256' || type === 'RSA-2048')) {
      warnings.push(`${file}: the Vault server key is ${describeKeyType(type)}, the configuration asks for ${describeKeyType(wanted)} `
        + '(pki.serverKey.algorithm); run renew-server to follow it');
    }

    const names = certificate.x509.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
    const dnsNames = names.filter((name) => name.type === 'dns').map((name) => name.value.toLowerCase());
    const addresses = names.filter((name) => name.type === 'ip').map((name) => expandIpAddress(name.value).toLowerCase());
    const missingNames = profile.serverDnsNames.filter((name) => !dnsNames.includes(name));
    const missingAddresses = profile.serverIpAddresses.filter((address) => !addresses.includes(expandIpAddress(address).toLowerCase()));
    if (missingNames.length > 0 || missingAddresses.length > 0) {
      const missing = [...missingNames, ...missingAddresses].map((name) => JSON.stringify(name)).join(', ');
      problems.push(`${file}: expected subject alternative names covering ${missing} (vault.address, vault.serverName, `
        + `pki.serverExtraDnsNames, pki.serverIpAddresses), got ${[...dnsNames, ...addresses].join(', ') || 'none'}; run renew-server`);
    }
    const outside = permitted === undefined ? [] : dnsNames.filter((name) => !permitted.some((zone) => isWithinDnsZone(name, zone)));
    if (outside.length > 0) {
      problems.push(`${file}: expected DNS names within the intermediate's name constraints (${permitted!.join(', ')}), got `
        + `${outside.join(', ')}: every TLS client rejects this certificate`);
    }
  }

  /**
   * `ca-chain.pem` holds exactly intermediate + root; the committed chain holds both, and maybe other
   * CAs. A leftover `bundle.pem` is reported.
   */
  function checkChainFiles(rootCertificate: ParsedCertificate | undefined, intermediateCertificate: ParsedCertificate | undefined): void {
    const expected = rootCertificate && intermediateCertificate ? [intermediateCertificate.pem, rootCertificate.pem] : undefined;
    const expectedText = `the intermediate then the root certificate (of ${PKI_FILES.intermediateCertificate} and ${PKI_FILES.rootCertificate})`;
    const compare = (file: string, text: string | undefined, fix: string): void => {
      if (text === undefined || expected === undefined) {
        return;
      }
      const got = attempt(problems, () => parseCertificates(text, file));
      if (got !== undefined && (got.length !== expected.length || got.some((certificate, index) => certificate.pem !== expected[index]))) {
        problems.push(`${file}: expected ${expectedText}, got ${got.length} certificate${got.length === 1 ? '' : 's'} `
          + `that differ${got.length === 1 ? 's' : ''}; ${fix}`);
      }
    };
    compare(path(PKI_FILES.chain), read(PKI_FILES.chain), `rebuild it: cat ${PKI_FILES.intermediateCertificate} ${PKI_FILES.rootCertificate}`);

    if (existsSync(path(LEGACY_BUNDLE_FILE))) {
      warnings.push(`${path(LEGACY_BUNDLE_FILE)}: a copy of the intermediate CA's key that Vault once imported; nothing reads it since `
        + 'the intermediate stays offline (sign-issuing): delete it (shred it), and take the intermediate key out of any Terraform state '
        + 'that held pem_bundle');
    }

    if (options.chainFile !== undefined) {
      let committed: string | undefined;
      try {
        committed = readPkiFile('', options.chainFile, 'init writes it');
      } catch (err) {
        problems.push(`${(err as Error).message} (vault.caBundleFile: synth embeds it in the Vault ClusterIssuer)`);
      }
      const file = options.chainFile;
      const got = committed === undefined || expected === undefined ? undefined : attempt(problems, () => parseCertificates(committed, file));
      if (got !== undefined && expected !== undefined) {
        // During a root rotation the committed chain holds the old chain and the new one: extra CAs are fine, missing ones are not.
        const pems = got.map((certificate) => certificate.pem);
        const missing = [['intermediate', expected[0]!], ['root', expected[1]!]].filter(([, pem]) => !pems.includes(pem!)).map(([name]) => name);
        if (missing.length > 0) {
          problems.push(`${file}: expected the chain of this PKI, got a file without its ${missing.join(' and ')} certificate${missing.length > 1 ? 's' : ''}; `
            + `it is vault.caBundleFile, what cert-manager trusts Vault with: copy ${path(PKI_FILES.chain)} over it, run "npm run synth" `
            + 'and commit both');
        } else if (pems.length > expected.length) {
          notes.push(`${file}: also trusts ${pems.length - expected.length} other CA certificate${pems.length - expected.length === 1 ? '' : 's'} `
            + '(a root rotation in progress? remove the old chain once every certificate it signed is gone)');
        }
      }
    }
  }
}

/** What to do about an ending certificate. */
function renewal(role: Role): string {
  switch (role) {
    case SERVER:
      return 'run "npm run pki -- renew-server"';
    case INTERMEDIATE:
      return 'make a new intermediate from the offline root (see the docs/pki.md, "Private PKI")';
    default:
      return 'plan a new root, trusted next to this one during the change (see the docs/pki.md, "Private PKI")';
  }
}

function describeKeyUsage(usage: x509.KeyUsagesExtension | null): string {
  if (!usage) {
    return 'no keyUsage';
  }
  const names = Object.entries(x509.KeyUsageFlags)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && (usage.usages & entry[1]) !== 0)
    .map(([name]) => name);
  return `keyUsage ${usage.critical ? 'critical' : 'not critical'} with ${names.join(', ') || 'nothing'}`;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

/** Runs `read`, recording a {@link PkiError} (or any error, prefixed with `file`) as a problem. */
function attempt<T>(problems: string[], read: () => T, file?: string): T | undefined {
  try {
    return read();
  } catch (err) {
    problems.push(err instanceof PkiError || file === undefined ? (err as Error).message : `${file}: ${(err as Error).message}`);
    return undefined;
  }
}
