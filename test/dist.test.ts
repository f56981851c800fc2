/**
 * The committed dist/ is what Flux applies: it must be exactly what the code synthesizes, the same
 * on every run, accepted by the upstream schemas, buildable by kustomize, ordered for Flux, and
 * free of secret material.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, test } from 'vitest';
import { readOwnedTree, readTree } from './support/tree.js';
import { checkCel } from '../lib/validate/cel-check.js';
import type { ValidationInput } from '../lib/validate/findings.js';
import { readOutput } from '../lib/validate/read-output.js';
import { checkSchema } from '../lib/validate/schema-check.js';
import { SchemaRegistry } from '../lib/validate/schemas.js';
import { checkSecrets } from '../lib/validate/secrets.js';
import { COMMITTED_DIST, EXAMPLE_CONFIG, PLATFORM_CONFIG, runSynth } from './support/cli.js';
import { checkRules, findPromtool } from './support/promtool.js';

let first: Map<string, string>;
let second: Map<string, string>;
let firstOutput: string;
/** The folder of the first synth: `<dir>/dist`, `<dir>/cdktf.out`. */
let firstOutputDir: string;
let firstTerraform: Map<string, string>;
let secondTerraform: Map<string, string>;
/** The first synth as `npm run validate` reads it: the product's checks run on it below. */
let input: ValidationInput;

/** The user's platform (config/platform.yaml), synthesized: what the committed dist/ must be. */
let platform: Map<string, string>;
let platformOutputDir: string;

beforeAll(async () => {
  const [a, b, p] = [mkdtempSync(join(tmpdir(), 'synth-a-')), mkdtempSync(join(tmpdir(), 'synth-b-')), mkdtempSync(join(tmpdir(), 'synth-platform-'))];
  const [runA, runB, runP] = await Promise.all([
    runSynth(['--config', EXAMPLE_CONFIG, '--out', join(a, 'dist'), '--terraform-out', join(a, 'cdktf.out')]),
    runSynth(['--config', EXAMPLE_CONFIG, '--out', join(b, 'dist'), '--terraform-out', join(b, 'cdktf.out')]),
    runSynth(['--config', PLATFORM_CONFIG, '--out', join(p, 'dist'), '--terraform-out', join(p, 'cdktf.out')]),
  ]);
  expect(runP.code, runP.stdout + runP.stderr).toBe(0);
  platform = readTree(join(p, 'dist'));
  platformOutputDir = p;
  expect(runA.stderr).toBe('');
  expect(runA.code).toBe(0);
  expect(runB.code).toBe(0);
  first = readTree(join(a, 'dist'));
  second = readTree(join(b, 'dist'));
  firstTerraform = readTree(join(a, 'cdktf.out'));
  secondTerraform = readTree(join(b, 'cdktf.out'));
  firstOutput = runA.stdout;
  firstOutputDir = a;
  const read = readOutput([{ path: join(a, 'dist'), label: 'dist' }, { path: join(a, 'cdktf.out'), label: 'cdktf.out' }]);
  expect(read.findings).toEqual([]);
  input = read.input;
});

/** The YAML documents of every manifest file of `tree` (kustomization.yaml and synth's own manifest excluded). */
function objects(tree: Map<string, string>): Array<{ file: string; object: any }> {
  return [...tree.entries()]
    .filter(([file]) => file.endsWith('.yaml') && !file.endsWith('/kustomization.yaml'))
    .flatMap(([file, text]) => parseAllDocuments(text).map((doc) => ({ file, object: doc.toJS() })));
}

describe('dist/', () => {
  test('the committed dist/ is what the code synthesizes (run `npm run synth` and commit it otherwise)', () => {
    // What synth owns in the committed dist/ (a flux-system/ that flux bootstrap committed is not synth's).
    const committed = readOwnedTree(COMMITTED_DIST);
    const stale = [...new Set([...committed.keys(), ...platform.keys()])]
      .filter((path) => committed.get(path) !== platform.get(path))
      .sort();
    expect(stale, `stale files in dist/: ${stale.join(', ')}`).toEqual([]);
  });

  test('synth --check agrees: the committed dist/ is up to date (what CI runs)', async () => {
    // Against a fresh cdktf.out/: cdktf.out/ is not committed, so the check is about dist/ only.
    const check = await runSynth(['--check', '--config', PLATFORM_CONFIG, '--out', COMMITTED_DIST, '--terraform-out', join(platformOutputDir, 'cdktf.out')]);
    expect(check.stdout).toMatch(/^check: .*dist\/ and .*cdktf\.out\/ are what the configuration gives\n$/);
    expect(check.code).toBe(0);
  });

  test('two synths of the same configuration are byte-identical, Kubernetes and Terraform alike', () => {
    expect([...first.keys()]).toEqual([...second.keys()]);
    for (const [path, content] of first) expect(second.get(path), path).toBe(content);
    expect([...firstTerraform.keys()]).toEqual(expect.arrayContaining(['manifest.json', 'stacks/mycluster-0-aws/cdk.tf.json', 'stacks/vault-config/cdk.tf.json']));
    expect(secondTerraform).toEqual(firstTerraform);
  });

  test('synth prints a summary of objects per layer and of file changes', () => {
    expect(firstOutput).toMatch(/^synthesized 1 cluster, \d+ objects, into .*dist\/$/m);
    expect(firstOutput).toMatch(/^ {2}mycluster-0\/flux +\d+ objects$/m);
    expect(firstOutput).toMatch(/^ {2}mycluster-0\/controllers +\d+ objects$/m);
    expect(firstOutput).toMatch(/^files: \d+ added, 0 changed, 0 removed$/m);
  });

  // The schema, CEL and secret checks are the product's own (`npm run validate`), run here on the
  // fresh synth; test/validate/ proves each of their rules fires on a broken fixture.
  test('every object validates against the upstream CRD and Kubernetes schemas, unknown fields included', () => {
    expect(checkSchema(input, SchemaRegistry.load())).toEqual([]);
    expect(input.manifests.length).toBeGreaterThanOrEqual(6);
  });

  test('every object passes the CEL rules (x-kubernetes-validations) of its CRD, as the API server evaluates them', () => {
    expect(checkCel(input, SchemaRegistry.load())).toEqual([]);
  });

  test('every PrometheusRule passes promtool check rules', () => {
    const promtool = findPromtool();
    expect(promtool, 'promtool is required (Debian package prometheus; .ci/run installs it)').toBeDefined();
    const rules = objects(first).filter(({ object }) => object.kind === 'PrometheusRule');
    expect(rules.length).toBeGreaterThan(0);
    for (const { file, object } of rules) {
      const result = checkRules(promtool!, { groups: object.spec.groups });
      expect(result.ok, `${file}: ${result.output}`).toBe(true);
    }
  });

  test('every object is named explicitly, labelled as ours, and free of hash suffixes', () => {
    for (const { file, object } of objects(first)) {
      expect(object.metadata.name, file).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      expect(object.metadata.name, file).not.toMatch(/-c8[0-9a-f]{6}$/);
      expect(object.metadata.labels?.['app.kubernetes.io/managed-by'], file).toBe('gateway-pki');
    }
  });

  test('no secret material: no Secret objects, no private keys (base64-embedded ones included), no tokens', () => {
    for (const { file, object } of input.manifests) expect(object.kind, file).not.toBe('Secret');
    expect(checkSecrets(input)).toEqual([]);
    // The scan did read the embedded, base64 CA bundle of the Vault issuer.
    expect(input.manifests.some(({ object }) => object.kind === 'ClusterIssuer' && object.spec.vault?.caBundle)).toBe(true);
  });

  test('Flux applies the layers in dependency order, from paths that exist', () => {
    const kustomizations = objects(first)
      .filter(({ object }) => object.kind === 'Kustomization' && object.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/'))
      .map(({ object }) => object);
    const names = new Set(kustomizations.map((k) => k.metadata.name));
    const order: string[] = [];
    const visit = (name: string, trail: string[]): void => {
      expect(trail, `dependency cycle: ${[...trail, name].join(' -> ')}`).not.toContain(name);
      if (order.includes(name)) return;
      const k = kustomizations.find((x) => x.metadata.name === name)!;
      for (const dep of k.spec.dependsOn ?? []) {
        expect(names, `${name} depends on ${dep.name}, which is not emitted`).toContain(dep.name);
        visit(dep.name, [...trail, name]);
      }
      order.push(name);
    };
    for (const name of [...names].sort()) visit(name, []);
    expect(order.indexOf('gateway-api-crds')).toBeLessThan(order.indexOf('controllers'));

    for (const k of kustomizations.filter((x) => x.spec.sourceRef.name === 'flux-system')) {
      const folder = k.spec.path.replace(/^\.\/dist\//, '');
      expect([...first.keys()].some((p) => p.startsWith(`${folder}/`)), `${k.metadata.name}: ${k.spec.path} is empty`).toBe(true);
      expect(first.has(`${folder}/kustomization.yaml`), `${k.spec.path}/kustomization.yaml`).toBe(true);
    }
  });

  test('kubectl kustomize builds every layer offline', () => {
    const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find(existsSync);
    expect(kubectl, 'kubectl is required by this test (.ci/run installs it)').toBeDefined();
    // bootstrap/gateway-api-crds fetches the upstream repository: not a layer, not offline.
    const layers = [...first.keys()].filter((p) => p.endsWith('/kustomization.yaml') && !p.includes('/bootstrap/')).map((p) => dirname(p));
    expect(layers.length).toBeGreaterThan(0);
    for (const layer of layers) {
      const built = execFileSync(kubectl!, ['kustomize', join(firstOutputDir, 'dist', layer)], { encoding: 'utf8' });
      const listed = [...first.keys()].filter((p) => dirname(p) === layer && !p.endsWith('/kustomization.yaml'));
      expect(parseAllDocuments(built).length, layer).toBe(listed.length);
    }
  });
});
