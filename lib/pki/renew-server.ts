/**
 * `renew-server`: a new Vault server certificate, with a new key, from the intermediate CA already
 * in the PKI directory. The root key is not needed: it stays offline.
 */

import { join } from 'node:path';
import { certificatePem } from './certificate-authority.js';
import { CERTIFICATE_FILE_MODE, KEY_FILE_MODE, PKI_FILES, writeFilesAtomically } from './files.js';
import { readIntermediate } from './intermediate.js';
import { privateKeyPem } from './key-pair.js';
import { showDate } from './pem.js';
import type { PkiProfile } from './profile.js';
import { issueServerCertificate, SERVER_CERTIFICATE_LIFETIME_YEARS } from './server-certificate.js';
import type { x509 } from './x509.js';
import { VAULT_TLS_DEFAULT_REVISION } from '../config/check-vault-cluster.js';
import type { PlatformConfig } from '../config/types.js';
import { VAULT_AWS_STACK } from '../util/names.js';

/** What {@link renewServerCertificate} needs. */
export interface RenewServerOptions {
  readonly profile: PkiProfile;
  /** The PKI directory, holding `intermediate-ca.pem` and `intermediate-ca-key.pem`. */
  readonly dir: string;
  /** @default - the current time */
  readonly now?: Date;
}

/** What {@link renewServerCertificate} did. */
export interface RenewServerResult {
  readonly certificate: x509.X509Certificate;
  /** The files written, with their modes. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly mode: number }>;
  /** Set when the certificate is cut short by the intermediate's end of validity. */
  readonly note?: string;
}

/**
 * Issues a new server certificate from the directory's intermediate CA and replaces `vault.pem` and
 * `vault-key.pem` atomically.
 * @throws PkiError when the intermediate's files are missing, do not match, or it is not valid now
 */
export async function renewServerCertificate(options: RenewServerOptions): Promise<RenewServerResult> {
  const now = options.now ?? new Date();
  const intermediate = await readIntermediate(options.dir, now, 'renew-server');
  const server = await issueServerCertificate(options.profile, intermediate, now);
  const files = [
    { path: join(options.dir, PKI_FILES.serverCertificate), content: certificatePem(server.certificate), mode: CERTIFICATE_FILE_MODE },
    { path: join(options.dir, PKI_FILES.serverKey), content: await privateKeyPem(server.keyPair), mode: KEY_FILE_MODE },
  ];
  writeFilesAtomically(files);
  const cut = server.certificate.notAfter.getTime() === intermediate.certificate.notAfter.getTime();
  return {
    certificate: server.certificate,
    files: files.map(({ path, mode }) => ({ path, mode })),
    ...(cut ? {
      note: `the certificate ends with the intermediate CA on ${showDate(server.certificate.notAfter)}, before its `
        + `${SERVER_CERTIFICATE_LIFETIME_YEARS}-year lifetime: rotate the intermediate (see the docs/pki.md, "Private PKI")`,
    } : {}),
  };
}

/**
 * What to do once the server certificate is renewed: with `vaultCluster`, Terraform uploads the TLS
 * files to Secrets Manager when `tls.revision` changes, and the new revision in the nodes' user data
 * rolls them (an instance refresh), each new node fetching the new files; without it, the
 * Vault servers are the user's own.
 */
export function renewServerNextStep(config: PlatformConfig): string {
  if (config.vaultCluster === undefined) {
    return 'next: install vault.pem and vault-key.pem on the Vault nodes and reload them (SIGHUP)';
  }
  const revision = config.vaultCluster.tls?.revision ?? VAULT_TLS_DEFAULT_REVISION;
  return `next: raise vaultCluster.tls.revision (now ${revision}) to ${revision + 1} in the configuration, run "npm run synth", `
    + `then apply the ${VAULT_AWS_STACK} stack (terraform apply in cdktf.out/stacks/${VAULT_AWS_STACK}): Terraform uploads the new `
    + 'certificate and key, and the nodes are replaced one at a time with them';
}
