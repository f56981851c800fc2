import { describe, expect, test } from 'vitest';
import type { Finding } from '../../lib/validate/findings.js';
import { formatReport, formatSummary, sortFindings, summarize, toJsonReport } from '../../lib/validate/report.js';
import { inputOf } from './support.js';

const GW = 'dist/c1/gateways/gateway.gateways.public.yaml';
const findings: Finding[] = [
  { rule: 'schema', severity: 'error', file: GW, object: 'Gateway gateways/public', path: 'spec.listeners[0].port', message: 'must be <= 65535' },
  { rule: 'secret/private-key', severity: 'error', file: 'dist/c1/a/x.yaml', message: 'line 3: PEM private key' },
  { rule: 'cel', severity: 'warning', file: 'dist/c1/a/w.yaml', object: 'Widget default/w1', path: 'spec.url', message: 'cannot evaluate rule "isURL(self)"' },
  { rule: 'ref/issuer', severity: 'error', file: GW, object: 'Gateway gateways/public', path: 'metadata.annotations["cert-manager.io/cluster-issuer"]', message: 'names "x", which is not emitted' },
  { rule: 'TF-001', severity: 'error', file: 'cdktf.out/stacks/s/cdk.tf.json', object: 'aws_iam_role.r', message: 'too broad' },
];

describe('report', () => {
  test('findings sort by file, object, rule, path, message; duplicates are dropped', () => {
    const sorted = sortFindings([...findings, findings[0]!]);
    expect(sorted.map((f) => [f.file, f.rule])).toEqual([
      ['cdktf.out/stacks/s/cdk.tf.json', 'TF-001'],
      ['dist/c1/a/w.yaml', 'cel'],
      ['dist/c1/a/x.yaml', 'secret/private-key'],
      [GW, 'ref/issuer'],
      [GW, 'schema'],
    ]);
    expect(sortFindings([...findings].reverse())).toEqual(sorted);
  });

  test('the human report groups by file and object, one line per finding, then the summary', () => {
    const sorted = sortFindings(findings);
    const summary = summarize(sorted, inputOf({ [GW]: {}, 'dist/c1/a/w.yaml': {} }, { terraform: { 'cdktf.out/stacks/s/cdk.tf.json': {} } }));
    expect(formatReport(sorted, summary)).toBe([
      'cdktf.out/stacks/s/cdk.tf.json  aws_iam_role.r',
      '  TF-001  too broad',
      '',
      'dist/c1/a/w.yaml  Widget default/w1',
      '  cel  spec.url: warning: cannot evaluate rule "isURL(self)"',
      '',
      'dist/c1/a/x.yaml',
      '  secret/private-key  line 3: PEM private key',
      '',
      `${GW}  Gateway gateways/public`,
      '  ref/issuer  metadata.annotations["cert-manager.io/cluster-issuer"]: names "x", which is not emitted',
      '  schema      spec.listeners[0].port: must be <= 65535',
      '',
      'validate: 4 errors, 1 warning in 3 files (2 objects, 1 stack)',
      '',
    ].join('\n'));
  });

  test('a clean run prints the summary only', () => {
    const summary = summarize([], inputOf({ 'dist/c1/a/x.yaml': {} }));
    expect(formatReport([], summary)).toBe('validate: 0 errors, 0 warnings in 1 file (1 object, 0 stacks)\n');
    expect(formatSummary({ errors: 1, warnings: 2, files: 3, objects: 4, stacks: 5 })).toBe('validate: 1 error, 2 warnings in 3 files (4 objects, 5 stacks)');
  });

  test('the JSON report: every finding with its keys in one order, and the summary', () => {
    const report = toJsonReport(sortFindings(findings), { errors: 4, warnings: 1, files: 3, objects: 2, stacks: 1 });
    expect(Object.keys(report)).toEqual(['findings', 'summary']);
    expect(report.findings.map((f) => Object.keys(f))).toEqual([
      ['rule', 'severity', 'file', 'object', 'message'],
      ['rule', 'severity', 'file', 'object', 'path', 'message'],
      ['rule', 'severity', 'file', 'message'],
      ['rule', 'severity', 'file', 'object', 'path', 'message'],
      ['rule', 'severity', 'file', 'object', 'path', 'message'],
    ]);
    expect(report.summary).toEqual({ errors: 4, warnings: 1, files: 3, objects: 2, stacks: 1 });
  });
});
