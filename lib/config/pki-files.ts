/**
 * Where the PKI's files are: `pki.directory`, relative to the configuration file. `npm run pki`
 * writes them there, and the vault-aws stack reads the server certificate and its key from there
 * at plan time (the CA keys stay on the offline machine).
 */
import { posix } from 'node:path';
import type { PlatformConfig } from './types.js';

/** `pki.directory` when omitted: `.tls/` at the repository's root, seen from `config/`. */
export const DEFAULT_PKI_DIRECTORY = '../.tls';

/** `pki.directory`, relative to the configuration file. */
export function pkiDirectory(config: PlatformConfig): string {
  return config.pki?.directory ?? DEFAULT_PKI_DIRECTORY;
}

/** A file of the PKI directory, relative to the configuration file. */
export function pkiFile(config: PlatformConfig, name: string): string {
  return posix.join(pkiDirectory(config), name);
}
