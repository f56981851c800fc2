import { Construct } from 'constructs';
import {
  PrometheusRule,
  PrometheusRuleSpecGroupsRulesExpr,
} from '../../imports/prom-prometheusrules-monitoring.coreos.com.js';
import { MANAGED_BY_LABEL } from '../util/names.js';

/** One alerting rule, as typed data: rendered to a PrometheusRule and to a promtool rule file alike. */
export interface AlertRule {
  readonly alert: string;
  /** PromQL; true (non-empty) while the condition holds. */
  readonly expr: string;
  /** How long the condition must hold before the alert fires. */
  readonly for: string;
  readonly severity: 'warning' | 'critical';
  /** One line, may use `{{ $labels.x }}` and `{{ $value }}`. */
  readonly summary: string;
  /** What it means and what to do. */
  readonly description: string;
}

export interface AlertGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

const SECONDS_PER_DAY = 86_400;

/** Days before expiry at which certificates are warned about and paged for (x509-certificate-exporter's defaults). */
export const DEFAULT_WARNING_DAYS_LEFT = 28;
export const DEFAULT_CRITICAL_DAYS_LEFT = 14;

export interface CertificateExpiryThresholds {
  /** @default DEFAULT_WARNING_DAYS_LEFT */
  readonly warningDaysLeft?: number;
  /** @default DEFAULT_CRITICAL_DAYS_LEFT */
  readonly criticalDaysLeft?: number;
}

/**
 * Alerts on the certificates themselves, from x509-certificate-exporter's metrics: every TLS
 * Secret's `tls.crt` and `ca.crt`, whoever issued it. The warning and critical windows do not
 * overlap, so one certificate raises one alert at a time.
 */
export function certificateExpiryAlerts(thresholds: CertificateExpiryThresholds = {}): AlertGroup {
  const warning = thresholds.warningDaysLeft ?? DEFAULT_WARNING_DAYS_LEFT;
  const critical = thresholds.criticalDaysLeft ?? DEFAULT_CRITICAL_DAYS_LEFT;
  if (!(Number.isInteger(critical) && Number.isInteger(warning) && critical > 0 && critical < warning)) {
    throw new Error(`certificate expiry thresholds must be whole days with 0 < critical < warning, got critical ${critical} and warning ${warning}`);
  }
  const left = '(x509_cert_not_after - time())';
  const where = '{{ $labels.secret_namespace }}/{{ $labels.secret_name }} ({{ $labels.secret_key }}, CN={{ $labels.subject_CN }})';
  return {
    name: 'x509-certificates',
    rules: [
      {
        alert: 'X509CertificateExpiresSoon',
        expr: `${left} < ${warning} * ${SECONDS_PER_DAY} and ${left} >= ${critical} * ${SECONDS_PER_DAY}`,
        for: '15m',
        severity: 'warning',
        summary: `Certificate ${where} expires in less than ${warning} days`,
        description: 'cert-manager renews well before this point: check the Certificate and its issuer (kubectl describe certificate, cmctl status certificate).',
      },
      {
        alert: 'X509CertificateExpiresVerySoon',
        expr: `${left} < ${critical} * ${SECONDS_PER_DAY}`,
        for: '15m',
        severity: 'critical',
        summary: `Certificate ${where} expires in less than ${critical} days`,
        description: 'Renewal has been failing for days. Fix the issuer (ACME rate limits, DNS-01 credentials, Vault reachability or AppRole secret) before clients start failing.',
      },
      {
        alert: 'X509CertificateExpired',
        expr: 'x509_cert_expired == 1',
        for: '5m',
        severity: 'critical',
        summary: `Certificate ${where} has expired`,
        description: 'Clients reject it now. Renew it by hand (cmctl renew) once the issuer works again.',
      },
      {
        alert: 'X509ExporterReadErrors',
        expr: 'delta(x509_read_errors[15m]) > 0',
        for: '5m',
        severity: 'warning',
        summary: 'x509-certificate-exporter cannot read some certificates',
        description: 'Expiry alerts may be missing for the certificates it cannot read: check the exporter logs and its RBAC.',
      },
    ],
  };
}

/**
 * Alerts on cert-manager's own view of its Certificates (cert-manager's metrics): one that stays
 * not Ready, one whose renewal is overdue (less than half of its renew-before window left), and
 * no metrics at all (without them, none of these alerts can fire).
 */
export function certManagerAlerts(): AlertGroup {
  const expiresIn = '(certmanager_certificate_expiration_timestamp_seconds - time())';
  const renewBefore = '(certmanager_certificate_expiration_timestamp_seconds - on (namespace, name) certmanager_certificate_renewal_timestamp_seconds)';
  return {
    name: 'cert-manager',
    rules: [
      {
        alert: 'CertManagerCertificateNotReady',
        expr: 'max by (namespace, name) (certmanager_certificate_ready_status{condition!="True"}) == 1',
        for: '15m',
        severity: 'warning',
        summary: 'Certificate {{ $labels.namespace }}/{{ $labels.name }} has not been Ready for 15 minutes',
        description: 'kubectl describe certificate -n {{ $labels.namespace }} {{ $labels.name }} shows the failing CertificateRequest, Order or Challenge.',
      },
      {
        alert: 'CertManagerCertificateRenewalFailing',
        expr: `${expiresIn} < on (namespace, name) (${renewBefore} / 2)`,
        for: '15m',
        severity: 'critical',
        summary: 'Certificate {{ $labels.namespace }}/{{ $labels.name }} should have been renewed long ago',
        description: 'Less than half of its renew-before window is left: renewal keeps failing. Check the issuer and the CertificateRequests.',
      },
      {
        alert: 'CertManagerMetricsAbsent',
        expr: 'absent(certmanager_controller_sync_call_count)',
        for: '15m',
        severity: 'critical',
        summary: 'No cert-manager metrics',
        description: 'cert-manager is down or not scraped: no certificate alert can fire. Check its pods and its ServiceMonitor.',
      },
    ],
  };
}

/**
 * Alerts on the Vault cluster, for a Prometheus that scrapes Vault's `/v1/sys/metrics`
 * (telemetry with `disable_hostname`): a sealed node, no active node (or no metrics), and an
 * autopilot that could not survive the loss of one more voter.
 */
export function vaultAlerts(): AlertGroup {
  return {
    name: 'vault',
    rules: [
      {
        alert: 'VaultSealed',
        expr: 'vault_core_unsealed == 0',
        for: '1m',
        severity: 'critical',
        summary: 'Vault node {{ $labels.instance }} is sealed',
        description: 'With KMS auto-unseal a sealed node means the KMS key is unreachable or the instance role lost kms:Decrypt.',
      },
      {
        alert: 'VaultNoActiveNode',
        expr: '(max(vault_core_active) or vector(0)) < 1',
        for: '2m',
        severity: 'critical',
        summary: 'No active Vault node',
        description: 'Raft has no leader, or Vault is not scraped: private certificates cannot be signed.',
      },
      {
        alert: 'VaultAutopilotFailureToleranceLow',
        expr: 'min(vault_autopilot_failure_tolerance) < 1',
        for: '10m',
        severity: 'warning',
        summary: 'Vault cannot lose another voter',
        description: 'Raft autopilot failure tolerance is {{ $value }}: replace the failed nodes before the next loss costs quorum.',
      },
    ],
  };
}

/** The backup CronJobs {@link vaultBackupAlerts} watches, and when backups are stale. */
export interface VaultBackupAlertsOptions {
  /** Namespace of the backup CronJobs. */
  readonly namespace: string;
  /** The CronJob that takes the snapshots. */
  readonly snapshotCronJob: string;
  /** The CronJob that verifies the newest snapshot. */
  readonly verifyCronJob: string;
  /** Hours without a successful snapshot after which backups are stale. */
  readonly maxAgeHours: number;
}

/**
 * Alerts on the Vault backups, from kube-state-metrics' CronJob and Job series: a snapshot or
 * verification Job that failed (until a later run of the same CronJob succeeds), and no successful
 * snapshot for `maxAgeHours` (nor since the CronJob exists, nor a CronJob at all: without
 * kube-state-metrics, nothing shows that backups run).
 *
 * A Job counts as failed once Kubernetes gives up on it (its `Failed` condition, after the retries
 * of `backoffLimit` or at `activeDeadlineSeconds`), not at each failed pod.
 * @see https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/job-metrics.md
 * @see https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/cronjob-metrics.md
 */
export function vaultBackupAlerts(options: VaultBackupAlertsOptions): AlertGroup {
  const { namespace, snapshotCronJob, verifyCronJob, maxAgeHours } = options;
  if (!Number.isInteger(maxAgeHours) || maxAgeHours < 1) {
    throw new Error(`backup alerts: 'maxAgeHours' must be a positive whole number of hours, got ${maxAgeHours}`);
  }
  const ns = `namespace="${namespace}"`;
  const cronJob = (name: string) => `{${ns}, cronjob="${name}"}`;
  // A failed Job of the CronJob, unless the CronJob succeeded since that Job started.
  const failedJob = (name: string) => [
    `kube_job_failed{${ns}, condition="true"} == 1`,
    `and on (namespace, job_name) kube_job_owner{${ns}, owner_kind="CronJob", owner_name="${name}"}`,
    `unless on (namespace, job_name) (kube_job_status_start_time{${ns}} < on (namespace) group_left () `
      + `max by (namespace) (kube_cronjob_status_last_successful_time${cronJob(name)}))`,
  ].join('\n');
  const maxAge = `${maxAgeHours} * 3600`;
  const job = '{{ $labels.namespace }}/{{ $labels.job_name }}';
  return {
    name: 'vault-backup',
    rules: [
      {
        alert: 'VaultBackupFailed',
        expr: failedJob(snapshotCronJob),
        for: '1m',
        severity: 'warning',
        summary: `Vault snapshot Job ${job} failed`,
        description: `kubectl -n {{ $labels.namespace }} logs job/{{ $labels.job_name }} --all-containers names the step that failed (login, leader, save, upload). `
          + `The alert clears once a later run succeeds; VaultBackupStale fires if none does within ${maxAgeHours} hours.`,
      },
      {
        alert: 'VaultBackupVerificationFailed',
        expr: failedJob(verifyCronJob),
        for: '1m',
        severity: 'critical',
        summary: `Vault snapshot verification Job ${job} failed`,
        description: 'The newest snapshot in S3 is missing, too old, corrupt or unreadable: a restore from it may not work. '
          + `kubectl -n {{ $labels.namespace }} logs job/{{ $labels.job_name }} --all-containers says which check failed.`,
      },
      {
        alert: 'VaultBackupStale',
        expr: [
          `(time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time${cronJob(snapshotCronJob)})) > ${maxAge}`,
          `or ((time() - max by (namespace, cronjob) (kube_cronjob_created${cronJob(snapshotCronJob)})) > ${maxAge}`,
          `  unless on (namespace, cronjob) kube_cronjob_status_last_successful_time${cronJob(snapshotCronJob)})`,
          `or absent(kube_cronjob_created${cronJob(snapshotCronJob)})`,
        ].join('\n'),
        for: '10m',
        severity: 'critical',
        summary: `No successful Vault snapshot for more than ${maxAgeHours} hours`,
        description: `CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} has not succeeded for ${maxAgeHours} hours, has never succeeded, `
          + 'or is not there (or kube-state-metrics is not scraped). Losing Vault now would lose everything since the last snapshot: '
          + 'run one by hand (docs/operations.md, "Back up and restore Vault") and fix what fails.',
      },
    ],
  };
}

/** One rotation CronJob, and the ages of its secret id at which to warn and page. */
export interface RotationCronJobAlert {
  readonly cronJob: string;
  /** The AppRole it rotates, for the reader. */
  readonly appRole: string;
  /** Seconds without a successful run after which the rotation is late (a warning). */
  readonly lateAfterSeconds: number;
  /** Seconds without a successful run after which the secret id may expire within days (a page). */
  readonly expiringAfterSeconds: number;
}

export interface AppRoleRotationAlertsOptions {
  readonly namespace: string;
  readonly cronJobs: readonly RotationCronJobAlert[];
}

/**
 * Alerts on the AppRole secret id rotation, from kube-state-metrics' CronJob and Job series. The
 * rotation job is the only writer of the secret ids, so the time since its last success bounds
 * the age of the secret id in use:
 *
 * - `AppRoleSecretIdRotationFailed`: a rotation Job failed (until a later run succeeds);
 * - `AppRoleSecretIdRotationLate`: no success for two runs' wait (nor since the CronJob exists);
 * - `AppRoleSecretIdExpiring`: no success for the secret id's lifetime minus a week: it may stop
 *   working within days, and the consumer (cert-manager, the snapshots) with it.
 */
export function appRoleRotationAlerts(options: AppRoleRotationAlertsOptions): AlertGroup {
  if (options.cronJobs.length === 0) throw new Error('rotation alerts: at least one CronJob');
  for (const job of options.cronJobs) {
    if (!(Number.isInteger(job.lateAfterSeconds) && Number.isInteger(job.expiringAfterSeconds) && job.lateAfterSeconds > 0
      && job.lateAfterSeconds < job.expiringAfterSeconds)) {
      throw new Error(`rotation alerts of ${job.cronJob}: expected whole seconds with 0 < late < expiring, got late ${job.lateAfterSeconds} `
        + `and expiring ${job.expiringAfterSeconds}`);
    }
  }
  const ns = `namespace="${options.namespace}"`;
  const names = options.cronJobs.map((job) => job.cronJob).join('|');
  const since = (job: RotationCronJobAlert, seconds: number) => {
    const selector = `{${ns}, cronjob="${job.cronJob}"}`;
    return [
      `(time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time${selector})) > ${seconds}`,
      `or ((time() - max by (namespace, cronjob) (kube_cronjob_created${selector})) > ${seconds}`,
      `  unless on (namespace, cronjob) kube_cronjob_status_last_successful_time${selector})`,
    ].join('\n');
  };
  const anyOf = (clause: (job: RotationCronJobAlert) => string) => options.cronJobs.map((job) => `(${clause(job)})`).join('\nor ');
  const days = (seconds: number) => Math.round((seconds / 86_400) * 10) / 10;
  const thresholds = (pick: (job: RotationCronJobAlert) => number) =>
    options.cronJobs.map((job) => `${job.appRole}: ${days(pick(job))} days`).join(', ');
  return {
    name: 'approle-rotation',
    rules: [
      {
        alert: 'AppRoleSecretIdRotationFailed',
        expr: [
          `kube_job_failed{${ns}, condition="true"} == 1`,
          `and on (namespace, job_name) kube_job_owner{${ns}, owner_kind="CronJob", owner_name=~"${names}"}`,
          `unless on (namespace, job_name) (kube_job_status_start_time{${ns}} < on (namespace) group_left () `
            + `max by (namespace) (kube_cronjob_status_last_successful_time{${ns}, cronjob=~"${names}"}))`,
        ].join('\n'),
        for: '1m',
        severity: 'warning',
        summary: 'AppRole secret id rotation Job {{ $labels.namespace }}/{{ $labels.job_name }} failed',
        description: 'kubectl -n {{ $labels.namespace }} logs job/{{ $labels.job_name }} --all-containers names the step that failed '
          + '(credentials, register, publish, revoke). The secret id in use stays valid; the next run retries and destroys what this one left.',
      },
      {
        alert: 'AppRoleSecretIdRotationLate',
        expr: anyOf((job) => since(job, job.lateAfterSeconds)),
        for: '10m',
        severity: 'warning',
        summary: 'AppRole secret id of {{ $labels.cronjob }} not rotated for two runs',
        description: `No successful run of {{ $labels.namespace }}/{{ $labels.cronjob }} for two scheduled runs (${thresholds((job) => job.lateAfterSeconds)}), `
          + 'or none since it exists (after the first apply, start one: docs/operations.md, "AppRole rotation").',
      },
      {
        alert: 'AppRoleSecretIdExpiring',
        expr: anyOf((job) => since(job, job.expiringAfterSeconds)),
        for: '10m',
        severity: 'critical',
        summary: 'AppRole secret id of {{ $labels.cronjob }} may expire within a week',
        description: `The secret id in use may be older than its lifetime minus a week (${thresholds((job) => job.expiringAfterSeconds)}): `
          + 'when it expires, its consumer can no longer log in to Vault. Fix the rotation (its Job logs) and run it by hand.',
      },
    ],
  };
}

export interface AlertRulesProps {
  /** Name of the PrometheusRule. */
  readonly name: string;
  readonly namespace: string;
  readonly groups: readonly AlertGroup[];
  /**
   * Labels by which the cluster's Prometheus selects rules (`ruleSelector`; a default
   * kube-prometheus-stack selects `release: <its release name>` and ignores any other rule).
   * @default {}
   */
  readonly selectorLabels?: Readonly<Record<string, string>>;
}

/**
 * A PrometheusRule rendered from typed alert groups; `ruleFile()` renders the same groups as a
 * Prometheus rule file, which the tests check with `promtool`.
 *
 * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusRule
 */
export class AlertRules extends Construct {
  public readonly rule: PrometheusRule;
  public readonly groups: readonly AlertGroup[];

  constructor(scope: Construct, id: string, props: AlertRulesProps) {
    super(scope, id);
    this.groups = props.groups;
    this.rule = new PrometheusRule(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: { ...props.selectorLabels, ...MANAGED_BY_LABEL } },
      spec: {
        groups: props.groups.map((group) => ({
          name: group.name,
          rules: group.rules.map((rule) => ({
            alert: rule.alert,
            expr: PrometheusRuleSpecGroupsRulesExpr.fromString(rule.expr),
            for: rule.for,
            labels: { severity: rule.severity },
            annotations: { summary: rule.summary, description: rule.description },
          })),
        })),
      },
    });
  }
}

/** The groups as a Prometheus rule file (`promtool check rules`), in the PrometheusRule's shape. */
export function ruleFile(groups: readonly AlertGroup[]): { groups: unknown[] } {
  return {
    groups: groups.map((group) => ({
      name: group.name,
      rules: group.rules.map((rule) => ({
        alert: rule.alert,
        expr: rule.expr,
        for: rule.for,
        labels: { severity: rule.severity },
        annotations: { summary: rule.summary, description: rule.description },
      })),
    })),
  };
}
