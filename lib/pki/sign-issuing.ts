/**
 * `sign-issuing`: the offline intermediate CA signs the CSR of an issuing CA whose key Vault
 * generated (the `issuing_csr` output of the vault-config stack), on the machine where the
 * intermediate key is. The intermediate key never goes online, the issuing key never leaves Vault:
 * only a CSR comes in and a public certificate goes out.
 *
 * The CSR is checked first, and anything else is refused (nothing written):
 * - one PEM `CERTIFICATE REQUEST` whose signature verifies with its own key (proof of possession,
 *   and no byte changed on the way);
 * - a key of {@link ISSUING_KEY_BITS} (ECDSA P-256 or P-384, RSA 2048 to 4096), the one
 *   `vault.pki.issuingKey` configures;
 * - a subject of CN, O and C only, `O=` the configuration's `organization.name` (and `C=`, when
 *   present, its `organization.country`);
 * - no subjectAltName requested: a CA has no host name. Other requested extensions are ignored,
 *   never copied: the profile below is ours.
 *
 * | field            | value                                                                            |
 * |------------------|----------------------------------------------------------------------------------|
 * | subject, key     | the CSR's                                                                        |
 * | lifetime         | `vault.pki.issuingCaTtl` from an hour ago, cut at the intermediate's notAfter (refused when the rest is shorter than `vault.pki.leafMaxTtl`) |
 * | basicConstraints | critical, CA, pathlen 0: it signs end-entity certificates only                  |
 * | keyUsage         | critical, keyCertSign, cRLSign                                                   |
 * | nameConstraints  | critical, permitted DNS subtrees: `vault.pki.allowedDomains`, each within the intermediate's |
 * | identifiers      | SKI of the CSR's key, AKI (the intermediate's SKI)                              |
 * | AIA, CRL DP      | `pki.intermediateCaIssuersUrl`, `pki.intermediateCrlUrl`, when configured        |
 *
 * The output is the certificate followed by the intermediate and the root, what Vault's
 * `set-signed` takes and the vault-config stack reads; public (mode 0644), written atomically,
 * never over an existing file without `force`.
 */

import { X509Certificate as NodeCertificate, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PlatformConfig } from '../config/types.js';
import { goDurationSeconds, ISSUING_KEY_BITS, type VaultKey, vaultPkiSettings } from '../config/vault-setup.js';
import { pemBlocks } from '../util/pem.js';
import {
  authorityKeyIdentifier, certificatePem, INTERMEDIATE_CA_PATH_LENGTH, NOT_BEFORE_BACKDATE_MS, randomSerialNumber,
} from './certificate-authority.js';
import { PkiError } from './errors.js';
import { CERTIFICATE_FILE_MODE, ensureDirectory, PKI_FILES, readPkiFile, removeIfEmpty, writeFilesAtomically } from './files.js';
import { readIntermediate } from './intermediate.js';
import { signingAlgorithm } from './key-pair.js';
import { isWithinDnsZone, nameConstraintsExtension, permittedDnsZones } from './name-constraints.js';
import { parseCertificate, showDate } from './pem.js';
import { permittedZones } from './profile.js';
import { x509 } from './x509.js';

/** Mode of the directory of the certificate file, when `sign-issuing` creates it: it holds certificates only. */
const CERTIFICATE_DIRECTORY_MODE = 0o755;

/** Object identifier of subjectAltName, refused in a CA's request. */
const SUBJECT_ALT_NAME_OID = '2.5.29.17';

/** The subject attributes an issuing CA's request may carry: what the vault-config stack asks Vault for. */
const SUBJECT_ATTRIBUTES = ['CN', 'O', 'C'] as const;

/** Node's names of the curves of {@link ISSUING_KEY_BITS}. */
const CURVE_BITS: Readonly<Record<string, number>> = { prime256v1: 256, secp384r1: 384 };

const DAY_MS = 24 * 60 * 60 * 1000;

/** What the configuration says an issuing CA's certificate is. */
export interface IssuingProfile {
  /** `organization.name`: the `O=` the CSR must carry. */
  readonly organization: string;
  /** `organization.country`: the `C=` the CSR may carry. */
  readonly country: string;
  /** `vault.pki.issuingKey`: the key the CSR must have. */
  readonly key: VaultKey;
  /** `vault.pki.allowedDomains`, reduced to the subtrees that matter: the name constraints. */
  readonly permittedZones: readonly string[];
  /** `vault.pki.issuingCaTtl`, in milliseconds. */
  readonly lifetimeMs: number;
  /** `vault.pki.leafMaxTtl`, in milliseconds: the shortest lifetime left that is of any use. */
  readonly leafMaxTtlMs: number;
  /** `pki.intermediateCaIssuersUrl`. @default - no Authority Information Access */
  readonly caIssuersUrl?: string;
  /** `pki.intermediateCrlUrl`. @default - no CRL distribution points */
  readonly crlUrl?: string;
}

/** The issuing profile of a validated configuration. */
export function issuingProfile(config: PlatformConfig): IssuingProfile {
  const settings = vaultPkiSettings(config);
  const caIssuersUrl = config.pki?.intermediateCaIssuersUrl;
  const crlUrl = config.pki?.intermediateCrlUrl;
  return {
    organization: config.organization.name,
    country: config.organization.country,
    key: settings.issuingKey,
    permittedZones: permittedZones(settings.allowedDomains),
    lifetimeMs: goDurationSeconds(settings.issuingCaTtl) * 1000,
    leafMaxTtlMs: goDurationSeconds(settings.leafMaxTtl) * 1000,
    ...(caIssuersUrl === undefined ? {} : { caIssuersUrl }),
    ...(crlUrl === undefined ? {} : { crlUrl }),
  };
}

/**
 * Where `sign-issuing` writes when `--out` is not given, resolved against the configuration file's
 * directory: the certificate file of the one issuer of `vault.pki.issuers` that has none yet, or,
 * when every issuer has one, the default issuer's (which `force` alone replaces).
 * @throws PkiError when several issuers have no certificate file yet
 */
export function defaultIssuingOut(config: PlatformConfig, configDir: string): string {
  const settings = vaultPkiSettings(config);
  const pending = settings.issuers.filter((issuer) => !existsSync(resolve(configDir, issuer.certificateFile)));
  if (pending.length > 1) {
    throw new PkiError(`several issuers of vault.pki.issuers have no certificate file yet (${pending.map((i) => JSON.stringify(i.name)).join(', ')}): `
      + 'give the one this CSR is for with --out');
  }
  const issuer = pending[0] ?? settings.issuers.find((candidate) => candidate.name === settings.defaultIssuer)!;
  return resolve(configDir, issuer.certificateFile);
}

/** What {@link signIssuingCa} needs. */
export interface SignIssuingOptions {
  readonly profile: IssuingProfile;
  /** The PKI directory, holding the intermediate's certificate and key and the root's certificate. */
  readonly dir: string;
  /** The CSR file, as `terraform output -raw issuing_csr` wrote it. */
  readonly csrFile: string;
  /** Where the certificate and its chain go. */
  readonly outFile: string;
  /** Replace `outFile` when it exists. @default false */
  readonly force?: boolean;
  /** @default - the current time */
  readonly now?: Date;
}

/** What {@link signIssuingCa} made. */
export interface SignIssuingResult {
  readonly certificate: x509.X509Certificate;
  /** The file written, with its mode. */
  readonly file: { readonly path: string; readonly mode: number };
  /** Set when the lifetime was cut at the intermediate's end of validity. */
  readonly note?: string;
}

/**
 * Checks the CSR, signs it with the directory's intermediate CA, and writes the certificate and its
 * chain to `outFile` (see the module comment).
 * @throws PkiError, having written nothing, when the CSR, the intermediate or the configuration do not fit
 */
export async function signIssuingCa(options: SignIssuingOptions): Promise<SignIssuingResult> {
  const { profile, dir, csrFile, outFile } = options;
  const now = options.now ?? new Date();
  if (existsSync(outFile) && options.force !== true) {
    throw new PkiError(`refusing to overwrite ${outFile}: it is the certificate of an issuer Vault may already use; give another --out, `
      + 'or pass --force to replace it');
  }
  const csr = await readIssuingCsr(csrFile, profile);
  const intermediate = await readIntermediate(dir, now, 'sign-issuing');
  const intermediateFile = join(dir, PKI_FILES.intermediateCertificate);
  const rootFile = join(dir, PKI_FILES.rootCertificate);
  const root = parseCertificate(readPkiFile(dir, PKI_FILES.rootCertificate,
    'sign-issuing writes the chain up to the root: copy root-ca.pem (the certificate, not its key) beside the intermediate'), rootFile);
  const intermediateNode = new NodeCertificate(intermediate.certificate.toString('pem'));
  if (!intermediateNode.checkIssued(root.node) || !intermediateNode.verify(root.node.publicKey)) {
    throw new PkiError(`${intermediateFile}: expected the intermediate CA signed by the root of ${rootFile}, got one whose issuer is `
      + `"${intermediate.certificate.issuer}" (the files come from different runs of init?)`);
  }
  const pathLength = intermediate.certificate.getExtension(x509.BasicConstraintsExtension)?.pathLength;
  if (pathLength !== undefined && pathLength < INTERMEDIATE_CA_PATH_LENGTH) {
    throw new PkiError(`${intermediateFile}: expected an intermediate CA whose path length allows a CA below it (at least `
      + `${INTERMEDIATE_CA_PATH_LENGTH}), got ${pathLength}: every client would reject the issuing CA; make a new intermediate with init`);
  }
  const intermediateZones = permittedDnsZones(intermediate.certificate);
  const outside = intermediateZones === undefined ? []
    : profile.permittedZones.filter((zone) => !intermediateZones.some((permitted) => isWithinDnsZone(zone, permitted)));
  if (outside.length > 0) {
    throw new PkiError(`vault.pki.allowedDomains: expected domains within the intermediate CA's name constraints `
      + `(${intermediateZones!.map((zone) => JSON.stringify(zone)).join(', ')}), got ${outside.map((zone) => JSON.stringify(zone)).join(', ')} `
      + '(the issuing CA cannot permit more than its issuer: remove them, or make a new intermediate with init on the offline machine)');
  }

  // X.509 times have a one-second resolution: drop the milliseconds so what is written is what is meant.
  const notBefore = new Date(Math.floor((now.getTime() - NOT_BEFORE_BACKDATE_MS) / 1000) * 1000);
  const full = new Date(notBefore.getTime() + profile.lifetimeMs);
  const cut = intermediate.certificate.notAfter.getTime() < full.getTime();
  const notAfter = cut ? intermediate.certificate.notAfter : full;
  if (notAfter.getTime() - now.getTime() < profile.leafMaxTtlMs) {
    throw new PkiError(`${intermediateFile}: the intermediate CA ends on ${showDate(intermediate.certificate.notAfter)}, leaving the issuing CA `
      + `${Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS)} days, less than vault.pki.leafMaxTtl (${Math.round(profile.leafMaxTtlMs / DAY_MS)} `
      + 'days): Vault would refuse every certificate of that lifetime; rotate the intermediate first (see the docs/pki.md, "Private PKI")');
  }

  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
    authorityKeyIdentifier(intermediate.certificate),
    nameConstraintsExtension(profile.permittedZones),
  ];
  if (profile.caIssuersUrl !== undefined) {
    extensions.push(new x509.AuthorityInfoAccessExtension({ caIssuers: new x509.GeneralName('url', profile.caIssuersUrl) }));
  }
  if (profile.crlUrl !== undefined) {
    extensions.push(new x509.CRLDistributionPointsExtension([profile.crlUrl]));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: csr.subjectName,
    issuer: intermediate.certificate.subjectName,
    notBefore,
    notAfter,
    publicKey: csr.publicKey,
    signingKey: intermediate.keyPair.keys.privateKey,
    signingAlgorithm: signingAlgorithm(intermediate.keyPair.type),
    extensions,
  });

  const file = { path: outFile, content: certificatePem(certificate) + certificatePem(intermediate.certificate) + root.pem, mode: CERTIFICATE_FILE_MODE };
  const created = ensureDirectory(dirname(outFile), CERTIFICATE_DIRECTORY_MODE);
  try {
    writeFilesAtomically([file]);
  } catch (err) {
    removeIfEmpty(created);
    throw err;
  }
  return {
    certificate,
    file: { path: file.path, mode: file.mode },
    ...(cut ? {
      note: `the issuing CA ends with the intermediate CA on ${showDate(notAfter)}, before vault.pki.issuingCaTtl: rotate the `
        + 'intermediate before then (see the docs/pki.md, "Private PKI")',
    } : {}),
  };
}

/**
 * Reads and checks the CSR of an issuing CA (see the module comment).
 * @throws PkiError naming the file, what is wrong and the fix
 */
export async function readIssuingCsr(file: string, profile: IssuingProfile): Promise<x509.Pkcs10CertificateRequest> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PkiError(`${file}: cannot read the CSR (${code === 'ENOENT' ? 'no such file' : (err as Error).message}); write it with `
      + '"terraform output -raw issuing_csr > issuing.csr" in the vault-config stack\'s folder');
  }
  const blocks = pemBlocks(text);
  if (blocks.some((block) => /PRIVATE KEY/.test(block.label)) || /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new PkiError(`${file}: expected a CSR only, got a file holding a private key (not shown): the issuing CA's key stays in Vault; `
      + 'give the CSR alone, and replace that key');
  }
  const requests = blocks.filter((block) => block.label === 'CERTIFICATE REQUEST');
  if (requests.length !== 1 || blocks.length !== 1) {
    const got = blocks.length === 0 ? 'no PEM block' : blocks.map((block) => `a "${block.label}" block`).join(', ');
    throw new PkiError(`${file}: expected one PEM "CERTIFICATE REQUEST" block (the issuing_csr output of vault-config), got ${got}`);
  }
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(requests[0]!.pem);
  } catch (err) {
    throw new PkiError(`${file}: expected a PKCS#10 certificate request, got one that does not parse (${(err as Error).message})`);
  }

  checkKey(file, csr, profile);
  let verified: boolean;
  try {
    verified = await csr.verify();
  } catch (err) {
    throw new PkiError(`${file}: the CSR's signature cannot be verified (${(err as Error).message}); make a new CSR`);
  }
  if (!verified) {
    throw new PkiError(`${file}: expected a CSR signed by its own key, got one whose signature does not verify (changed on the way, `
      + 'or made for another key): take it again from "terraform output -raw issuing_csr"');
  }
  checkSubject(file, csr, profile);
  const san = csr.extensions.find((extension) => extension.type === SUBJECT_ALT_NAME_OID);
  if (san !== undefined) {
    throw new PkiError(`${file}: expected a CA request without subject alternative names, got a subjectAltName extension request `
      + '(a CA has no host name; the vault-config stack makes its CSR without one)');
  }
  return csr;
}

function checkKey(file: string, csr: x509.Pkcs10CertificateRequest, profile: IssuingProfile): void {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (err) {
    throw new PkiError(`${file}: expected a CSR with an ECDSA or RSA public key, got a key that does not parse (${(err as Error).message})`);
  }
  const details = key.asymmetricKeyDetails ?? {};
  const got: VaultKey | undefined = key.asymmetricKeyType === 'ec' && details.namedCurve !== undefined && CURVE_BITS[details.namedCurve] !== undefined
    ? { type: 'ec', bits: CURVE_BITS[details.namedCurve]! }
    : key.asymmetricKeyType === 'rsa' && ISSUING_KEY_BITS.rsa.includes(details.modulusLength ?? 0) ? { type: 'rsa', bits: details.modulusLength! }
      : undefined;
  const allowed = `ECDSA ${ISSUING_KEY_BITS.ec.map((bits) => `P-${bits}`).join(' or ')}, or RSA ${ISSUING_KEY_BITS.rsa.join(', ')} bits`;
  if (got === undefined) {
    const shown = key.asymmetricKeyType === 'ec' ? `an EC key on curve ${details.namedCurve ?? 'unknown'}`
      : key.asymmetricKeyType === 'rsa' ? `an RSA ${details.modulusLength ?? '?'}-bit key` : `a ${key.asymmetricKeyType ?? 'unknown'} key`;
    throw new PkiError(`${file}: expected an issuing CA key of ${allowed}, got ${shown} (too weak, or not verified by every client)`);
  }
  if (got.type !== profile.key.type || got.bits !== profile.key.bits) {
    throw new PkiError(`${file}: expected the key vault.pki.issuingKey configures (${describe(profile.key)}), got ${describe(got)}: `
      + 'take the CSR Vault made for this configuration ("terraform output -raw issuing_csr")');
  }
}

function describe(key: VaultKey): string {
  return key.type === 'ec' ? `ECDSA P-${key.bits}` : `RSA ${key.bits}`;
}

function checkSubject(file: string, csr: x509.Pkcs10CertificateRequest, profile: IssuingProfile): void {
  const attributes = csr.subjectName.toJSON().flatMap((rdn) => Object.entries(rdn).flatMap(([type, values]) => values.map((value) => ({ type, value }))));
  const others = attributes.filter(({ type }) => !(SUBJECT_ATTRIBUTES as readonly string[]).includes(type));
  if (others.length > 0) {
    throw new PkiError(`${file}: expected a subject of ${SUBJECT_ATTRIBUTES.join(', ')} only, got ${others.map(({ type }) => type).join(', ')} `
      + `too, in "${csr.subject}" (the vault-config stack asks Vault for CN, O and C)`);
  }
  const values = (type: string) => attributes.filter((attribute) => attribute.type === type).map((attribute) => attribute.value);
  const organizations = values('O');
  if (organizations.length !== 1 || organizations[0] !== profile.organization) {
    throw new PkiError(`${file}: expected the subject organization O=${JSON.stringify(profile.organization)} (organization.name), got `
      + `${organizations.length === 0 ? 'none' : organizations.map((o) => JSON.stringify(o)).join(', ')} in "${csr.subject}" (a CSR of `
      + 'another Vault or configuration?)');
  }
  const countries = values('C');
  if (countries.length > 1 || (countries.length === 1 && countries[0] !== profile.country)) {
    throw new PkiError(`${file}: expected the subject country C=${JSON.stringify(profile.country)} (organization.country), got `
      + `${countries.map((c) => JSON.stringify(c)).join(', ')} in "${csr.subject}"`);
  }
  if (values('CN').length !== 1) {
    throw new PkiError(`${file}: expected one common name (CN) naming the issuing CA, got ${values('CN').length} in "${csr.subject}"`);
  }
}
