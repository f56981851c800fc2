import { readFileSync } from 'node:fs';

/**
 * The script of the backup jobs (snapshot, upload, fetch, verify), kept as a shell file,
 * `lib/k8s/scripts/vault-backup.sh`, so that it reads as one, and so that shellcheck and the tests
 * run the very file the ConfigMap carries.
 *
 * Read beside this module under vitest, tsc and ts-node; in the synth bundle, which has no `lib/`
 * to read from, `scripts/build.mjs` replaces the read by the file's text.
 */
export const VAULT_BACKUP_SCRIPT: string = readFileSync(new URL('./scripts/vault-backup.sh', import.meta.url), 'utf8');

/** The script of the AppRole rotation jobs (credentials, register, publish, revoke), `lib/k8s/scripts/approle-rotation.sh`, read the same way. */
export const APPROLE_ROTATION_SCRIPT: string = readFileSync(new URL('./scripts/approle-rotation.sh', import.meta.url), 'utf8');

/**
 * What both job scripts source from their own folder (lib/k8s/scripts/job-lib.sh): the log, fail,
 * require and exit handling. Each ConfigMap carries it beside its script, as {@link JOB_LIB_KEY}.
 */
export const JOB_LIB_SCRIPT: string = readFileSync(new URL('./scripts/job-lib.sh', import.meta.url), 'utf8');
export const JOB_LIB_KEY = 'job-lib.sh';
