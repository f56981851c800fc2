/**
 * `init`: the whole PKI at once (root, intermediate, Vault server certificate) and its files, plus
 * the public chain where synth reads it (`vault.caBundleFile`).
 *
 * Nothing is written until every certificate is made, and then every file at once (see files.ts).
 * Existing keys are never replaced without `force`: they may be the only copy of a PKI that clients
 * already trust.
 */

import { dirname, join, resolve } from 'node:path';
import { certificatePem, createIntermediateCa, createRootCa } from './certificate-authority.js';
import { PkiError } from './errors.js';
import {
  CERTIFICATE_FILE_MODE, ensureDirectory, existingFiles, type FileToWrite, KEY_FILE_MODE, KEY_FILES, PKI_DIRECTORY_MODE, PKI_FILES,
  removeIfEmpty, writeFilesAtomically,
} from './files.js';
import { privateKeyPem } from './key-pair.js';
import type { PkiProfile } from './profile.js';
import { issueServerCertificate } from './server-certificate.js';
import type { x509 } from './x509.js';

/** Mode of the directory of the committed chain, when `init` creates it: it holds certificates only. */
const CHAIN_DIRECTORY_MODE = 0o755;

/** What {@link initPki} needs. */
export interface InitOptions {
  readonly profile: PkiProfile;
  /** Directory of the PKI files; created (mode 0700) when missing. */
  readonly outDir: string;
  /**
   * Where synth reads the chain (`vault.caBundleFile`, resolved against the configuration's
   * directory): `ca-chain.pem` is written there too.
   * @default - written in `outDir` only
   */
  readonly chainFile?: string;
  /** Replace the keys already in `outDir`. @default false */
  readonly force?: boolean;
  /** @default - the current time */
  readonly now?: Date;
}

/** What {@link initPki} made. */
export interface InitResult {
  readonly root: x509.X509Certificate;
  readonly intermediate: x509.X509Certificate;
  readonly server: x509.X509Certificate;
  /** Every file written, with its mode, in the order of the file table (files.ts), the chain for synth last. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly mode: number }>;
  /** The key files that were replaced (only with `force`). */
  readonly replaced: readonly string[];
}

/**
 * Makes the three-tier PKI and writes its files.
 * @throws PkiError when keys exist in `outDir` and `force` is not set (nothing is changed), or when
 * `outDir` is the directory of the committed chain (keys would end up next to a committed file)
 */
export async function initPki(options: InitOptions): Promise<InitResult> {
  const { profile, outDir } = options;
  const now = options.now ?? new Date();
  if (options.chainFile !== undefined && resolve(dirname(options.chainFile)) === resolve(outDir)) {
    throw new PkiError(`${outDir}: expected a directory for the private keys apart from the committed chain `
      + `${options.chainFile} (vault.caBundleFile), got its very directory; give a directory git ignores, such as --out .tls`);
  }
  const existing = existingFiles(outDir, KEY_FILES);
  if (existing.length > 0 && options.force !== true) {
    throw new PkiError(`refusing to overwrite the private keys already in ${outDir}: ${existing.join(', ')} `
      + '(they may be the only copy of a PKI that clients trust: move them away, or pass --force to replace the whole PKI, '
      + 'after which every client must trust the new ca-chain.pem)');
  }

  const root = await createRootCa(profile, now);
  const intermediate = await createIntermediateCa(profile, root, now);
  const server = await issueServerCertificate(profile, intermediate, now);

  const rootPem = certificatePem(root.certificate);
  const intermediatePem = certificatePem(intermediate.certificate);
  const chainPem = intermediatePem + rootPem;
  const at = (name: string): string => join(outDir, name);
  const files: FileToWrite[] = [
    { path: at(PKI_FILES.rootCertificate), content: rootPem, mode: CERTIFICATE_FILE_MODE },
    { path: at(PKI_FILES.rootKey), content: await privateKeyPem(root.keyPair), mode: KEY_FILE_MODE },
    { path: at(PKI_FILES.intermediateCertificate), content: intermediatePem, mode: CERTIFICATE_FILE_MODE },
    { path: at(PKI_FILES.intermediateKey), content: await privateKeyPem(intermediate.keyPair), mode: KEY_FILE_MODE },
    { path: at(PKI_FILES.serverCertificate), content: certificatePem(server.certificate), mode: CERTIFICATE_FILE_MODE },
    { path: at(PKI_FILES.serverKey), content: await privateKeyPem(server.keyPair), mode: KEY_FILE_MODE },
    { path: at(PKI_FILES.chain), content: chainPem, mode: CERTIFICATE_FILE_MODE },
  ];
  if (options.chainFile !== undefined) {
    files.push({ path: options.chainFile, content: chainPem, mode: CERTIFICATE_FILE_MODE });
  }

  const created = [ensureDirectory(outDir, PKI_DIRECTORY_MODE)];
  try {
    if (options.chainFile !== undefined) {
      created.push(ensureDirectory(dirname(options.chainFile), CHAIN_DIRECTORY_MODE));
    }
    writeFilesAtomically(files);
  } catch (err) {
    created.reverse().forEach(removeIfEmpty);
    throw err;
  }
  return {
    root: root.certificate,
    intermediate: intermediate.certificate,
    server: server.certificate,
    files: files.map(({ path, mode }) => ({ path, mode })),
    replaced: existing,
  };
}
