import { describe, expect, it } from 'vitest';
import type { PlatformConfig } from '../../lib/config/types.js';
import { validateConfig } from '../../lib/config/validate.js';
import { configWarnings, formatWarning } from '../../lib/config/warnings.js';
import { exampleWith, withSecondCluster } from '../support/example-config.js';

/** The example edited, checked valid first: warnings are only for valid configurations. */
function valid(edit: (config: any) => void): PlatformConfig {
  const config = exampleWith(edit);
  expect(validateConfig(config)).toEqual([]);
  return config as PlatformConfig;
}

describe('configWarnings', () => {
  it('has nothing to say about the example', () => {
    expect(configWarnings(valid(() => {}))).toEqual([]);
  });

  it('names each monitoring setting ignored because monitoring is off, and the backup cluster left without alerts', () => {
    // GIVEN
    const config = valid((c) => { c.clusters[0].monitoring.enabled = false; c.clusters[0].monitoring.warningDaysLeft = 21; });
    // WHEN
    const warnings = configWarnings(config).map(formatWarning);
    // THEN
    expect(warnings).toContain('clusters[0].monitoring.warningDaysLeft: is ignored: monitoring.enabled is false in cluster "mycluster-0", '
      + 'so nothing reads it (remove it, or set monitoring.enabled: true)');
    expect(warnings).not.toContainEqual(expect.stringMatching(/^clusters\[0\]\.monitoring\.enabled:/));
    expect(warnings.at(-1)).toBe('backup: the backups run in cluster "mycluster-0", whose monitoring is off: no backup alert '
      + '(VaultBackupFailed, VaultBackupStale, VaultBackupVerificationFailed) will ever fire '
      + '(set clusters[0].monitoring.enabled: true, or run the backups in a monitored cluster)');
  });

  it('says when monitoring is off by default', () => {
    const config = valid((c) => { c.clusters[0].monitoring = { warningDaysLeft: 21 }; });
    expect(configWarnings(config)[0]).toEqual({
      path: 'clusters[0].monitoring.warningDaysLeft',
      message: 'is ignored: monitoring.enabled is not set (false by default) in cluster "mycluster-0", so nothing reads it '
        + '(remove it, or set monitoring.enabled: true)',
    });
  });

  it('keeps quiet about the settings cert-manager\'s own ServiceMonitor still uses', () => {
    const config = valid((c) => {
      c.clusters[0].monitoring = { enabled: false, selectorLabels: { release: 'prometheus' }, warningDaysLeft: 21 };
      c.clusters[0].certManager.serviceMonitor = true;
    });
    expect(configWarnings(config).map((warning) => warning.path)).toEqual(['clusters[0].monitoring.warningDaysLeft', 'backup']);
  });

  it('names backup.cluster when the backups run in an unmonitored cluster it names', () => {
    const config = valid((c) => {
      withSecondCluster(c);
      c.clusters[1].monitoring = { enabled: false };
      c.backup.cluster = 'mycluster-1';
    });
    expect(configWarnings(config).map((warning) => warning.path)).toEqual(['backup.cluster']);
  });

  it('names the rotation settings ignored because rotation is off', () => {
    const config = valid((c) => { c.vault.setup = { ...c.vault.setup, appRoleRotation: { enabled: false, schedule: '17 5 * * 1' } }; });
    expect(configWarnings(config).map(formatWarning)).toEqual([
      'vault.setup.appRoleRotation.schedule: is ignored: appRoleRotation.enabled is false, so no rotation job reads it (remove it, or set enabled: true)',
    ]);
  });
});
