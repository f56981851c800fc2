/**
 * `npm run validate` as users run it: the bundle built by the global setup, on the committed dist/,
 * on a fresh synth, and on broken copies.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { readTree } from '../support/tree.js';
import type { ValidationReport } from '../../lib/validate/report.js';
import { EXAMPLE_CONFIG, EXAMPLE_DIR, runSynth, runValidate, VALIDATE_BUNDLE } from '../support/cli.js';
import { widget, widgetCrdRoot } from './support.js';

const USAGE = 'usage: npm run validate -- [--crds DIR] [--config FILE] [--json] [DIR ...]\n';

let work: string;
/** A fresh synth of the example configuration: `<work>/synth/dist`, `<work>/synth/cdktf.out`. */
let synth: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'validate-command-'));
  synth = join(work, 'synth');
  const run = await runSynth(['--config', EXAMPLE_CONFIG, '--out', join(synth, 'dist'), '--terraform-out', join(synth, 'cdktf.out')]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  // Configurations next to a copy of the example's pki/ folder, which they name relatively.
  cpSync(EXAMPLE_DIR, join(work, 'config'), { recursive: true });
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** A copy of the fresh synth's dist/ in its own folder, changed by `edit` (path under dist/ → new text, or null to delete). */
function brokenCopy(name: string, edit: Record<string, string>): string {
  const root = join(work, name);
  cpSync(join(synth, 'dist'), join(root, 'dist'), { recursive: true });
  for (const [path, text] of Object.entries(edit)) writeFileSync(join(root, 'dist', path), text);
  return root;
}

describe('npm run validate', () => {
  test('the committed dist/ and a freshly synthesized cdktf.out/ validate clean', async () => {
    const result = await runValidate(['dist', join(synth, 'cdktf.out')]);
    expect(result.stderr).toBe('');
    // The cluster's stack, vault-config, and the stacks of the configuration's other sections.
    expect(result.stdout).toMatch(/^validate: 0 errors, 0 warnings in \d+ files \(\d+ objects, \d+ stacks\)\n$/);
    expect(result.code).toBe(0);
  });

  test('with no folder named, validates dist/ and cdktf.out/ of the working directory (a fresh synth: clean)', async () => {
    const result = await runValidate(['--json'], synth);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as ValidationReport;
    expect(report.findings).toEqual([]);
    const layers = [...readTree(join(synth, 'dist')).keys()].filter((path) => path.endsWith('/kustomization.yaml')).length;
    const terraformFiles = readTree(join(synth, 'cdktf.out')).size;
    const stackFiles = [...readTree(join(synth, 'cdktf.out')).keys()].filter((path) => path.endsWith('/cdk.tf.json')).length;
    expect(report.summary.stacks).toBe(stackFiles);
    expect(report.summary.stacks).toBeGreaterThanOrEqual(2); // mycluster-0-aws, vault-config
    expect(report.summary.objects).toBeGreaterThanOrEqual(30);
    expect(report.summary.files).toBe(report.summary.objects + layers /* kustomization.yaml */ + 1 /* dist's .gateway-pki-output.json */
      + terraformFiles /* manifest.json, cdk.tf.json, .gateway-pki-output.json */);
  });

  test('errors: exit 1, the report names rule, file, object and path of each', async () => {
    const root = brokenCopy('broken', {
      'mycluster-0/gateways/gateway.gateways.public.yaml': readFileSync(join(synth, 'dist', 'mycluster-0/gateways/gateway.gateways.public.yaml'), 'utf8')
        .replace('cluster-issuer: letsencrypt-prod', 'cluster-issuer: letsencrypt-production')
        .replace('port: 443', 'port: 70000'),
      'mycluster-0/controllers/secret.cert-manager.vault-approle.yaml': stringify({
        apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vault-approle', namespace: 'cert-manager' }, stringData: { secretId: '6f1c2a3b-9d8e-4f70-8a1b-2c3d4e5f6a7b' },
      }),
    });
    const result = await runValidate([], root);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    const group = (header: string) => lines.slice(lines.indexOf(header) + 1, lines.indexOf('', lines.indexOf(header)));
    expect(group('dist/mycluster-0/gateways/gateway.gateways.public.yaml  Gateway gateways/public')).toEqual([
      '  ref/issuer  metadata.annotations["cert-manager.io/cluster-issuer"]: annotation cert-manager.io/cluster-issuer names "letsencrypt-production", which is not emitted (emitted: letsencrypt-prod, letsencrypt-staging, vault)',
      '  schema      spec.listeners[0].port: must be <= 65535',
    ]);
    expect(group('dist/mycluster-0/controllers/secret.cert-manager.vault-approle.yaml  Secret cert-manager/vault-approle').map((l) => l.split(': ')[0])).toEqual([
      '  secret/approle-secret-id  stringData.secretId',
      '  secret/secret-object      stringData',
    ]);
    expect(result.stdout).toMatch(/\n\nvalidate: 4 errors, 0 warnings in \d+ files \(\d+ objects, 0 stacks\)\n$/);
  });

  test('TF-011: a stack whose local state is inside cdktf.out/ fails, named by stack and backend', async () => {
    // GIVEN a copy of the fresh cdktf.out/ whose vault-config stack keeps state in its own folder, as before 0.2
    const out = join(work, 'state-inside', 'cdktf.out');
    cpSync(join(synth, 'cdktf.out'), out, { recursive: true });
    const stackFile = join(out, 'stacks', 'vault-config', 'cdk.tf.json');
    const stack = JSON.parse(readFileSync(stackFile, 'utf8'));
    stack.terraform.backend = { local: { path: 'terraform.tfstate' } };
    writeFileSync(stackFile, JSON.stringify(stack, null, 2));
    // WHEN
    const result = await runValidate(['--json', out]);
    // THEN
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as ValidationReport;
    expect(report.findings.map((f) => [f.rule, f.file, f.object, f.path])).toEqual([
      ['TF-011', expect.stringMatching(/cdktf\.out\/stacks\/vault-config\/cdk\.tf\.json$/), 'terraform.backend.local', 'path'],
    ]);
    expect(report.findings[0]!.message).toMatch(/^the state "terraform.tfstate" is .*cdktf\.out\/stacks\/vault-config\/terraform\.tfstate, inside .*cdktf\.out\//);
  });

  test('--json: { findings, summary }, the same findings', async () => {
    const root = brokenCopy('broken-json', {
      'mycluster-0/flux/kustomization.flux-system.issuers.yaml': readFileSync(join(synth, 'dist', 'mycluster-0/flux/kustomization.flux-system.issuers.yaml'), 'utf8')
        .replace('path: ./dist/mycluster-0/issuers', 'path: ./dist/mycluster-0/isuers'),
    });
    const result = await runValidate(['--json', join(root, 'dist')]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as ValidationReport;
    expect(report.findings).toEqual([{
      rule: 'ref/flux-path', severity: 'error', file: 'dist/mycluster-0/flux/kustomization.flux-system.issuers.yaml',
      object: 'Kustomization flux-system/issuers', path: 'spec.path',
      message: expect.stringMatching(/^path "\.\/dist\/mycluster-0\/isuers" is not a folder of the output/),
    }]);
    expect(report.summary).toEqual({ errors: 1, warnings: 0, files: expect.any(Number), objects: expect.any(Number), stacks: 0 });
  });

  test('warnings alone: exit 0', async () => {
    const crds = widgetCrdRoot();
    try {
      const root = join(work, 'warnings');
      mkdirSync(join(root, 'dist', 'c1', 'apps'), { recursive: true });
      writeFileSync(join(root, 'dist', 'c1', 'apps', 'widget.default.w1.yaml'), stringify(widget('https://example.com')));
      const result = await runValidate(['--crds', crds, 'dist'], root);
      expect(result.stdout).toBe([
        'dist/c1/apps/widget.default.w1.yaml  Widget default/w1',
        `  cel  spec.url: warning: cannot evaluate rule "isURL(self)": undeclared reference to 'isURL' (function not supported by this evaluator)`,
        '',
        'validate: 0 errors, 1 warning in 1 file (1 object, 0 stacks)',
        '',
      ].join('\n'));
      expect(result.code).toBe(0);
    } finally {
      rmSync(crds, { recursive: true, force: true });
    }
  });

  test('policy suppressions come from the configuration; one naming no rule is an error about the configuration', async () => {
    const config = join(work, 'config', 'suppressions.yaml');
    writeFileSync(config, `${readFileSync(EXAMPLE_CONFIG, 'utf8')}\n${stringify({ validation: { suppressions: [{ rule: 'K8S-999', reason: 'testing the suppressions' }] } })}`);
    const result = await runValidate(['--config', config, '--json', 'dist']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as ValidationReport;
    expect(report.findings.map((f) => [f.rule, f.severity, f.file, f.path])).toEqual([['suppression', 'error', config, 'validation.suppressions[0].rule']]);
  });

  test('an invalid configuration: exit 1 with its problems, as synth reports them', async () => {
    const config = join(work, 'config', 'invalid.yaml');
    writeFileSync(config, `${readFileSync(EXAMPLE_CONFIG, 'utf8')}\n${stringify({ validation: { suppressions: [{ rule: 'K8S-001', reason: 'ok' }] } })}`);
    const result = await runValidate(['--config', config, 'dist']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.replace(/\(line \d+\)/, '(line N)')).toBe(
      `${config}: configuration is invalid (1 problem):\n`
        + '  validation.suppressions[0].reason (line N): expected a reason of at least 10 characters saying why the finding is accepted, got "ok" (2 characters)\n',
    );
    const missing = await runValidate(['--config', join(work, 'nowhere.yaml'), 'dist']);
    expect(missing).toEqual({ code: 2, stdout: '', stderr: `validate: ${join(work, 'nowhere.yaml')}: configuration file not found\n${USAGE}` });
  });

  test('no CRD folder: exit 2, saying how to pass one', async () => {
    // The bundle alone in a project folder with no ../shared/crds beside it.
    const project = join(work, 'alone', 'project');
    mkdirSync(join(project, 'build'), { recursive: true });
    mkdirSync(join(project, 'dist'));
    writeFileSync(join(project, 'package.json'), '{}\n');
    copyFileSync(VALIDATE_BUNDLE, join(project, 'build', 'validate.cjs'));
    // Without GATEWAY_PKI_CRDS, which npm test sets to the CRDs it found.
    const result = await runValidate([], project, join(project, 'build', 'validate.cjs'), ['GATEWAY_PKI_CRDS']);
    expect(result).toEqual({
      code: 2, stdout: '',
      stderr: `validate: upstream CRDs not found: pass --crds DIR, a folder holding the CRD files named in cdk8s.yaml\n${USAGE}`,
    });
    const missing = await runValidate(['--crds', join(work, 'nowhere'), 'dist']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`validate: upstream CRDs not found in ${join(work, 'nowhere')}: pass --crds DIR, a folder holding the CRD files named in cdk8s.yaml\n${USAGE}`);
    const empty = await runValidate(['--crds', work, 'dist']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^validate: upstream CRDs not usable in .*: pass --crds DIR/);
  });

  test('bad usage: exit 2 with the usage', async () => {
    const unknown = await runValidate(['--strict']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^validate: Unknown option '--strict'/); // Node's own wording, which varies between versions
    expect(unknown.stderr.endsWith(`\n${USAGE}`)).toBe(true);
    const notAFolder = await runValidate(['dist/nowhere']);
    expect(notAFolder).toEqual({ code: 2, stdout: '', stderr: `validate: dist/nowhere is not a folder\n${USAGE}` });
    const noDist = await runValidate([], work);
    expect(noDist).toEqual({ code: 2, stdout: '', stderr: `validate: dist/ not found here: run npm run synth first, or name the folders to validate\n${USAGE}` });
    const help = await runValidate(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.startsWith(`${USAGE}\n`)).toBe(true); // the usage, then what it does and its options (test/help.test.ts)
  });
});
