/**
 * What `npm run validate` prints: findings sorted the same way on every run, grouped by file and
 * object for a reader, or as JSON for a program.
 *
 * ```
 * dist/mycluster-0/gateways/gateway.gateways.public.yaml  Gateway gateways/public
 *   ref/issuer  metadata.annotations["cert-manager.io/cluster-issuer"]: annotation cert-manager.io/cluster-issuer names "letsencrypt-production", which is not emitted (emitted: letsencrypt-prod, letsencrypt-staging, vault)
 *   schema      spec.listeners[0].port: must be <= 65535
 *
 * validate: 2 errors, 0 warnings in 40 files (31 objects, 1 stack)
 * ```
 */
import type { Finding, ValidationInput } from './findings.js';

/** The totals of a run. */
export interface ValidationSummary {
  readonly errors: number;
  readonly warnings: number;
  /** Files read (YAML, JSON, any text). */
  readonly files: number;
  /** Kubernetes objects. */
  readonly objects: number;
  /** Terraform stacks. */
  readonly stacks: number;
}

/** What `--json` prints. */
export interface ValidationReport {
  readonly findings: Finding[];
  readonly summary: ValidationSummary;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Findings ordered by file, object, rule, path and message (code-unit order: the same on every machine); duplicates dropped. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const key = (f: Finding) => [f.file, f.object ?? '', f.rule, f.path ?? '', f.message, f.severity];
  const sorted = [...findings].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) {
      const c = compare(ka[i]!, kb[i]!);
      if (c !== 0) return c;
    }
    return 0;
  });
  return sorted.filter((f, i) => i === 0 || key(f).join('\0') !== key(sorted[i - 1]!).join('\0'));
}

export function summarize(findings: readonly Finding[], input: ValidationInput): ValidationSummary {
  return {
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    files: input.files.size,
    objects: input.manifests.length,
    stacks: input.terraform.length,
  };
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** `validate: 2 errors, 1 warning in 40 files (31 objects, 1 stack)` */
export function formatSummary(s: ValidationSummary): string {
  return `validate: ${count(s.errors, 'error')}, ${count(s.warnings, 'warning')} in ${count(s.files, 'file')} (${count(s.objects, 'object')}, ${count(s.stacks, 'stack')})`;
}

/**
 * The human-readable report: one header per file and object (`<file>  <object>`), then one line
 * per finding, `  <rule>  <path>: <message>` (rules aligned within the group, `warning: ` before
 * the message of a warning), a blank line between groups, and the summary line last.
 * `findings` must be sorted ({@link sortFindings}).
 */
export function formatReport(findings: readonly Finding[], summary: ValidationSummary): string {
  const lines: string[] = [];
  let group: Finding[] = [];
  const flush = () => {
    if (group.length === 0) return;
    const head = group[0]!;
    lines.push(head.object ? `${head.file}  ${head.object}` : head.file);
    const width = Math.max(...group.map((f) => f.rule.length));
    for (const f of group) {
      const where = f.path ? `${f.path}: ` : '';
      lines.push(`  ${f.rule.padEnd(width)}  ${where}${f.severity === 'warning' ? 'warning: ' : ''}${f.message}`);
    }
    lines.push('');
    group = [];
  };
  for (const f of findings) {
    const head = group[0];
    if (head && (head.file !== f.file || head.object !== f.object)) flush();
    group.push(f);
  }
  flush();
  lines.push(formatSummary(summary));
  return `${lines.join('\n')}\n`;
}

/** The `--json` document; every finding's keys in the same order, absent ones left out. */
export function toJsonReport(findings: readonly Finding[], summary: ValidationSummary): ValidationReport {
  return {
    findings: findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      file: f.file,
      ...(f.object !== undefined && { object: f.object }),
      ...(f.path !== undefined && { path: f.path }),
      message: f.message,
    })),
    summary,
  };
}
