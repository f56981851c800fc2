/**
 * The files of the PKI on disk: their names, their modes, and writing a set of them all or nothing.
 *
 * | file                      | holds                                             | mode |
 * |---------------------------|---------------------------------------------------|------|
 * | `root-ca.pem`             | root CA certificate                               | 0644 |
 * | `root-ca-key.pem`         | root CA key: goes offline, never to Vault          | 0600 |
 * | `intermediate-ca.pem`     | intermediate CA certificate                       | 0644 |
 * | `intermediate-ca-key.pem` | intermediate CA key                               | 0600 |
 * | `vault.pem`               | Vault server certificate                          | 0644 |
 * | `vault-key.pem`           | Vault server key                                  | 0600 |
 * | `ca-chain.pem`            | intermediate + root certificates: what clients trust | 0644 |
 *
 * No file holds the intermediate key for Vault any more (the former `bundle.pem`): the intermediate
 * signs the issuing CA offline (`sign-issuing`), and its key never leaves this directory.
 *
 * Writing is atomic per set: every file is first written in full to a temporary file beside its
 * target (mode set, data flushed to disk), and only when all of them are written are they renamed
 * over their targets. A failure before the renames removes the temporary files and leaves every
 * target as it was; a rename within one directory replaces the old file at once, so no reader ever
 * sees half a key.
 */

import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PkiError } from './errors.js';

/** The file names of the PKI inside its directory. */
export const PKI_FILES = {
  rootCertificate: 'root-ca.pem',
  rootKey: 'root-ca-key.pem',
  intermediateCertificate: 'intermediate-ca.pem',
  intermediateKey: 'intermediate-ca-key.pem',
  serverCertificate: 'vault.pem',
  serverKey: 'vault-key.pem',
  chain: 'ca-chain.pem',
} as const;

/**
 * The intermediate key and chain that earlier versions wrote for Vault to import (`pem_bundle`):
 * nothing reads it now, and `check` asks for it to be deleted.
 */
export const LEGACY_BUNDLE_FILE = 'bundle.pem';

/** The files that hold a private key: `init` refuses to replace any of them without `--force`. */
export const KEY_FILES: readonly string[] = [PKI_FILES.rootKey, PKI_FILES.intermediateKey, PKI_FILES.serverKey];

/** Mode of files holding a private key: the owner reads and writes, nobody else. */
export const KEY_FILE_MODE = 0o600;

/** Mode of certificate files: public. */
export const CERTIFICATE_FILE_MODE = 0o644;

/** Mode of a PKI directory created by `init`: it holds keys. */
export const PKI_DIRECTORY_MODE = 0o700;

/** One file to write. */
export interface FileToWrite {
  /** Where, absolute or relative to the working directory. */
  readonly path: string;
  readonly content: string;
  /** Exact mode of the file, whatever the umask. */
  readonly mode: number;
}

/** The files among `names` that exist in `dir`, in the order given. */
export function existingFiles(dir: string, names: readonly string[]): string[] {
  return names.filter((name) => existsSync(join(dir, name)));
}

/**
 * Creates `dir` (and its parents) with `mode` when missing.
 * @returns the first directory created, to remove it if what follows fails, or `undefined`
 * @throws PkiError when `dir` exists and is not a directory
 */
export function ensureDirectory(dir: string, mode: number): string | undefined {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) {
      throw new PkiError(`${dir}: expected a directory for the PKI files, got a file; give another --out`);
    }
    return undefined;
  }
  return mkdirSync(dir, { recursive: true, mode });
}

/**
 * Writes every file of `files` or none of them (see the module comment). Their directories must exist.
 * @throws Error of the file system, after removing every temporary file, when a file cannot be written
 */
export function writeFilesAtomically(files: readonly FileToWrite[]): void {
  const staged: Array<{ temporary: string; target: string }> = [];
  try {
    for (const file of files) {
      const temporary = join(dirname(file.path), `.${basename(file.path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
      // 'wx': never follow or reuse an existing file; the mode is set before any byte is written.
      const fd = openSync(temporary, 'wx', file.mode);
      staged.push({ temporary, target: file.path });
      try {
        fchmodSync(fd, file.mode);
        writeSync(fd, file.content);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  } catch (err) {
    for (const { temporary } of staged) {
      try {
        unlinkSync(temporary);
      } catch {
        // Already gone: nothing to clean.
      }
    }
    throw err;
  }
  for (const { temporary, target } of staged) {
    renameSync(temporary, target);
  }
  for (const dir of new Set(staged.map(({ target }) => dirname(target)))) {
    syncDirectory(dir);
  }
}

/** Removes `dir` if it is empty (a directory `init` created before failing). */
export function removeIfEmpty(dir: string | undefined): void {
  if (dir === undefined) {
    return;
  }
  try {
    rmdirSync(dir);
  } catch {
    // Not empty, or already gone: leave it.
  }
}

/**
 * Reads a file of the PKI directory.
 * @throws PkiError naming the file when it is missing or unreadable, with `hint` (what to do)
 */
export function readPkiFile(dir: string, name: string, hint: string): string {
  const path = join(dir, name);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new PkiError(`${path}: cannot read it (${reason}); ${hint}`);
  }
}

/** Flushes a directory's entries (the renames) to disk; not every platform allows it, which is harmless. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot open a directory: the renames are still done.
  } finally {
    if (fd !== undefined) {
      closeSync(fd);
    }
  }
}
