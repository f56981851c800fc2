/**
 * What a valid configuration says that will have no effect: synth still writes its output (exit
 * 0), and prints each warning in its summary and in `--json`, so a setting that silently does
 * nothing, or an alert that can never fire, is seen before it is relied on.
 *
 * | warning                                                              | why                                                  |
 * |----------------------------------------------------------------------|------------------------------------------------------|
 * | `clusters[].monitoring.*` given while `monitoring.enabled` is not true | no exporter, no alert rule: the settings are unused (`selectorLabels` and `prometheusOperatorCrds` still serve `certManager.serviceMonitor: true`) |
 * | `vault.setup.appRoleRotation.*` given with `enabled: false`          | no rotation CronJob reads them                       |
 * | the backup cluster without monitoring                                | its backup alerts are rules of that monitoring: none ever fires |
 */

import { formatPath, type PathSegment } from './errors.js';
import type { PlatformConfig } from './types.js';

/** A setting with no effect, at its path in the configuration. */
export interface ConfigWarning {
  /** As {@link formatPath} writes it, e.g. `clusters[1].monitoring.warningDaysLeft`. */
  readonly path: string;
  readonly message: string;
}

/** `path: message`, as synth prints a warning. */
export function formatWarning(warning: ConfigWarning): string {
  return `${warning.path}: ${warning.message}`;
}

/** Every warning of a configuration that passed validation, in document order. */
export function configWarnings(config: PlatformConfig): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const add = (path: readonly PathSegment[], message: string): void => { warnings.push({ path: formatPath(path), message }); };

  const rotation = config.vault.setup?.appRoleRotation;
  if (rotation?.enabled === false) {
    for (const key of Object.keys(rotation).filter((name) => name !== 'enabled')) {
      add(['vault', 'setup', 'appRoleRotation', key], 'is ignored: appRoleRotation.enabled is false, so no rotation job reads it '
        + '(remove it, or set enabled: true)');
    }
  }

  config.clusters.forEach((cluster, index) => {
    const monitoring = cluster.monitoring;
    if (monitoring === undefined || monitoring.enabled === true) return;
    const off = monitoring.enabled === false ? 'monitoring.enabled is false' : 'monitoring.enabled is not set (false by default)';
    // cert-manager's own ServiceMonitor, asked for apart from monitoring, still uses these two.
    const used = cluster.certManager?.serviceMonitor === true ? ['enabled', 'selectorLabels', 'prometheusOperatorCrds'] : ['enabled'];
    for (const key of Object.keys(monitoring).filter((name) => !used.includes(name))) {
      add(['clusters', index, 'monitoring', key], `is ignored: ${off} in cluster "${cluster.name}", so nothing reads it `
        + '(remove it, or set monitoring.enabled: true)');
    }
  });

  if (config.backup !== undefined) {
    const name = config.backup.cluster ?? config.clusters[0]!.name;
    const index = config.clusters.findIndex((cluster) => cluster.name === name);
    if (index >= 0 && config.clusters[index]!.monitoring?.enabled !== true) {
      add(config.backup.cluster === undefined ? ['backup'] : ['backup', 'cluster'],
        `the backups run in cluster "${name}", whose monitoring is off: no backup alert (VaultBackupFailed, VaultBackupStale, VaultBackupVerificationFailed) will ever fire `
          + `(set clusters[${index}].monitoring.enabled: true, or run the backups in a monitored cluster)`);
    }
  }
  return warnings;
}
