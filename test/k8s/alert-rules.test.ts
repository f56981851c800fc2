import { describe, expect, test } from 'vitest';
import {
  type AlertGroup, AlertRules, certificateExpiryAlerts, certManagerAlerts, ruleFile, vaultAlerts,
} from '../../lib/k8s/alert-rules.js';
import { only, testChart, yamlOf } from '../support/k8s.js';
import { checkRules, findPromtool, testRules } from '../support/promtool.js';

const DAY = 86_400;

function promtool(): string {
  const found = findPromtool();
  expect(found, 'promtool is required (Debian package prometheus; .ci/run installs it)').toBeDefined();
  return found!;
}

/** The annotations an alert of `group` gets for `labels`, as Prometheus expands the templates. */
function annotations(group: AlertGroup, alert: string, labels: Record<string, string>, value = ''): Record<string, string> {
  const rule = group.rules.find((r) => r.alert === alert)!;
  const expand = (text: string) => text
    .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, name: string) => labels[name] ?? '')
    .replace(/\{\{ \$value \}\}/g, value);
  return { summary: expand(rule.summary), description: expand(rule.description) };
}

const CERT = { secret_namespace: 'gateways', secret_name: 'public-tls', secret_key: 'tls.crt', subject_CN: 'example.com' };
const series = (labels: Record<string, string>) => `x509_cert_not_after{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;

describe('AlertRules', () => {
  test('renders a PrometheusRule with severity labels and annotations', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    new AlertRules(chart, 'Alerts', { name: 'certificate-expiry', namespace: 'monitoring', groups: [certificateExpiryAlerts(), certManagerAlerts()] });
    // THEN
    expect(yamlOf(chart)).toMatchSnapshot();
    const rule = only(chart, 'PrometheusRule', 'certificate-expiry');
    expect(rule.spec.groups.map((g: any) => g.name)).toEqual(['x509-certificates', 'cert-manager']);
    expect(rule.spec.groups[0].rules[0]).toMatchObject({ alert: 'X509CertificateExpiresSoon', for: '15m', labels: { severity: 'warning' } });
  });

  test('every rule group passes promtool check rules', () => {
    const result = checkRules(promtool(), ruleFile([certificateExpiryAlerts(), certManagerAlerts(), vaultAlerts()]));
    expect(result.output).toContain('SUCCESS: 10 rules found');
    expect(result.ok).toBe(true);
  });

  test('promtool check rules catches a broken expression (the check is real)', () => {
    const broken = { name: 'broken', rules: [{ ...certManagerAlerts().rules[0]!, expr: 'sum(' }] };
    expect(checkRules(promtool(), ruleFile([broken])).ok).toBe(false);
  });

  test('certificate expiry: warning between the thresholds, critical below, nothing above', () => {
    const group = certificateExpiryAlerts();
    const at = (days: number, name: string) => ({ series: series({ ...CERT, secret_name: name }), values: `${days * DAY}x40` });
    const result = testRules(promtool(), ruleFile([group]), [{
      interval: '1m',
      input_series: [at(40, 'far'), at(20, 'soon'), at(10, 'very-soon')],
      alert_rule_test: [
        { eval_time: '20m', alertname: 'X509CertificateExpiresSoon', exp_alerts: [{ exp_labels: { severity: 'warning', ...CERT, secret_name: 'soon' }, exp_annotations: annotations(group, 'X509CertificateExpiresSoon', { ...CERT, secret_name: 'soon' }) }] },
        { eval_time: '20m', alertname: 'X509CertificateExpiresVerySoon', exp_alerts: [{ exp_labels: { severity: 'critical', ...CERT, secret_name: 'very-soon' }, exp_annotations: annotations(group, 'X509CertificateExpiresVerySoon', { ...CERT, secret_name: 'very-soon' }) }] },
        { eval_time: '10m', alertname: 'X509CertificateExpiresSoon', exp_alerts: [] },
      ],
    }]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  test('certificate expiry thresholds come from the configuration', () => {
    const group = certificateExpiryAlerts({ warningDaysLeft: 45, criticalDaysLeft: 7 });
    const labels = { ...CERT, secret_name: 'forty' };
    const result = testRules(promtool(), ruleFile([group]), [{
      interval: '1m',
      input_series: [{ series: series(labels), values: `${40 * DAY}x40` }],
      alert_rule_test: [
        { eval_time: '20m', alertname: 'X509CertificateExpiresSoon', exp_alerts: [{ exp_labels: { severity: 'warning', ...labels }, exp_annotations: annotations(group, 'X509CertificateExpiresSoon', labels) }] },
        { eval_time: '20m', alertname: 'X509CertificateExpiresVerySoon', exp_alerts: [] },
      ],
    }]);
    expect(result.output).toContain('SUCCESS');
    expect(group.rules[0]!.expr).toBe('(x509_cert_not_after - time()) < 45 * 86400 and (x509_cert_not_after - time()) >= 7 * 86400');
  });

  test('cert-manager: a Certificate not Ready for 15 minutes, and a renewal that is overdue', () => {
    const group = certManagerAlerts();
    const cert = { namespace: 'gateways', name: 'private-gateway-tls' };
    const issuer = { issuer_name: 'vault', issuer_kind: 'ClusterIssuer', issuer_group: 'cert-manager.io' };
    const labels = (extra: Record<string, string>) => Object.entries({ ...cert, ...issuer, ...extra }).map(([k, v]) => `${k}="${v}"`).join(',');
    // Expires in 8 days with a 20-day renew-before window: less than half of it is left.
    const expiry = 8 * DAY;
    const result = testRules(promtool(), ruleFile([group]), [{
      interval: '1m',
      input_series: [
        { series: `certmanager_certificate_ready_status{${labels({ condition: 'False' })}}`, values: '1x30' },
        { series: `certmanager_certificate_expiration_timestamp_seconds{${labels({})}}`, values: `${expiry}x30` },
        { series: `certmanager_certificate_renewal_timestamp_seconds{${labels({})}}`, values: `${expiry - 20 * DAY}x30` },
        { series: 'certmanager_controller_sync_call_count{controller="certificates-trigger"}', values: '0+1x30' },
      ],
      alert_rule_test: [
        { eval_time: '10m', alertname: 'CertManagerCertificateNotReady', exp_alerts: [] },
        { eval_time: '16m', alertname: 'CertManagerCertificateNotReady', exp_alerts: [{ exp_labels: { severity: 'warning', ...cert }, exp_annotations: annotations(group, 'CertManagerCertificateNotReady', cert) }] },
        { eval_time: '16m', alertname: 'CertManagerCertificateRenewalFailing', exp_alerts: [{ exp_labels: { severity: 'critical', ...cert }, exp_annotations: annotations(group, 'CertManagerCertificateRenewalFailing', cert) }] },
        { eval_time: '16m', alertname: 'CertManagerMetricsAbsent', exp_alerts: [] },
      ],
    }, {
      interval: '1m',
      input_series: [],
      alert_rule_test: [
        { eval_time: '16m', alertname: 'CertManagerMetricsAbsent', exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: annotations(group, 'CertManagerMetricsAbsent', {}) }] },
      ],
    }]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  test('Vault: a sealed node, no active node, failure tolerance below 1', () => {
    const group = vaultAlerts();
    const result = testRules(promtool(), ruleFile([group]), [{
      interval: '1m',
      input_series: [
        { series: 'vault_core_unsealed{instance="vault-a"}', values: '0x20' },
        { series: 'vault_core_active{instance="vault-a"}', values: '0x20' },
        { series: 'vault_autopilot_failure_tolerance{instance="vault-a"}', values: '0x20' },
      ],
      alert_rule_test: [
        { eval_time: '3m', alertname: 'VaultSealed', exp_alerts: [{ exp_labels: { severity: 'critical', instance: 'vault-a' }, exp_annotations: annotations(group, 'VaultSealed', { instance: 'vault-a' }) }] },
        { eval_time: '3m', alertname: 'VaultNoActiveNode', exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: annotations(group, 'VaultNoActiveNode', {}) }] },
        { eval_time: '11m', alertname: 'VaultAutopilotFailureToleranceLow', exp_alerts: [{ exp_labels: { severity: 'warning' }, exp_annotations: annotations(group, 'VaultAutopilotFailureToleranceLow', {}, '0') }] },
      ],
    }]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  test('fails when the thresholds are not 0 < critical < warning', () => {
    expect(() => certificateExpiryAlerts({ warningDaysLeft: 14, criticalDaysLeft: 14 }))
      .toThrow('certificate expiry thresholds must be whole days with 0 < critical < warning, got critical 14 and warning 14');
  });
});
