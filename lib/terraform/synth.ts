import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { App } from 'cdktf';
import { resolveBackup } from '../config/backup.js';
import type { IssuingCertificates } from '../config/issuing-ca.js';
import type { PlatformConfig } from '../config/types.js';
import { vaultPkiSettings } from '../config/vault-setup.js';
import type { DistFile } from '../output/render.js';
import { DEFAULT_CONFIG_DIR_FROM_STACK, type TerraformFiles } from './files.js';
import { stateBackend } from './state.js';
import { VAULT_AWS_STACK, VAULT_BACKUP_STACK, VAULT_CONFIG_STACK } from '../util/names.js';
import { ClusterAwsStack, clusterStackName } from './stacks.js';
import { VaultBackupStack } from './vault-backup-storage.js';
import { VaultAwsStack } from './vault-cluster/stack.js';
import { vaultPkiBootstrap } from './vault-config/pki.js';
import { VaultConfigStack } from './vault-config/stack.js';

/** What {@link synthesizeTerraform} needs besides the configuration. */
export interface TerraformSynthOptions extends TerraformFiles {
  /**
   * The issuing CAs signed offline so far (`LoadedPlatform.issuingCertificates`).
   * @default {} - none: the vault-config stack renders phase 1
   */
  readonly issuingCertificates?: IssuingCertificates;
}

/**
 * Builds every Terraform stack of the platform and returns the files of `cdktf.out/`
 * (`manifest.json`, `stacks/<stack>/cdk.tf.json`), sorted by path.
 *
 * CDKTF writes to a folder; it writes into a private temporary one that is read back and removed,
 * so that the caller swaps `cdktf.out/` in only once everything succeeded, as for `dist/`. Stack
 * traces are off, so no machine path reaches the output.
 * @param options where stacks find the configuration's files (TLS material) at plan time, and, from
 *   the same folder, their local state (`terraform.backend.local.directory`); the signed issuing CAs
 */
export function synthesizeTerraform(config: PlatformConfig, options: TerraformSynthOptions = {}): DistFile[] {
  const { issuingCertificates, ...files } = options;
  const outdir = mkdtempSync(join(tmpdir(), 'gateway-pki-cdktf-'));
  try {
    const app = new App({ outdir, stackTraces: false, hclOutput: false });
    const state = stateBackend(config, files.configDirFromStack ?? DEFAULT_CONFIG_DIR_FROM_STACK);
    for (const cluster of config.clusters) {
      new ClusterAwsStack(app, clusterStackName(cluster), { platform: config, cluster, state });
    }
    if (config.vaultCluster) new VaultAwsStack(app, VAULT_AWS_STACK, { platform: config, cluster: config.vaultCluster, files, state });
    new VaultConfigStack(app, VAULT_CONFIG_STACK, { platform: config, files, issuingCertificates, state });
    const backup = resolveBackup(config);
    if (backup) new VaultBackupStack(app, VAULT_BACKUP_STACK, { platform: config, backup, state });
    app.synth();
    return readdirSync(outdir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const full = join(e.parentPath, e.name);
        return { path: relative(outdir, full).split(sep).join('/'), content: readFileSync(full, 'utf8') };
      })
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * What the operator does next with the Terraform output, one line each: while an issuer awaits its
 * certificate, the steps of the two-phase bootstrap (docs/architecture.md, "The Vault configuration"). Empty when
 * there is nothing to do but apply.
 */
export function terraformNextSteps(config: PlatformConfig, issuingCertificates: IssuingCertificates = {}): string[] {
  const bootstrap = vaultPkiBootstrap(vaultPkiSettings(config), issuingCertificates);
  const pending = bootstrap.pendingIssuer;
  if (pending === undefined) return [];
  const where = bootstrap.phase === 1 ? 'phase 1 of 2: no issuing CA is signed yet' : `issuer "${pending.name}" awaits its certificate`;
  return [`next: ${VAULT_CONFIG_STACK} is in ${where}; apply it, run "terraform output -raw issuing_csr > issuing.csr", sign it where `
    + `the intermediate key is with "npm run pki -- sign-issuing --csr issuing.csr" (it writes ${pending.certificateFile} beside the `
    + 'configuration), commit that file, then synth and apply again (docs/architecture.md, "The Vault configuration")'];
}
