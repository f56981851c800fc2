/**
 * Your own manifests (lib/output/extra-manifests.ts): what is read from extra/<cluster>/<layer>/,
 * where it lands in dist/, and every refusal, each naming the file and what is expected.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { ExtraManifestsError, readExtraManifests } from '../../lib/output/extra-manifests.js';
import { synthesizeKubernetes } from '../../lib/synth.js';
import { EXAMPLE } from '../support/example-config.js';

const CHAIN = readFileSync(new URL('../fixtures/example/pki/ca-chain.pem', import.meta.url), 'utf8');
const ROOT = CHAIN.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!.at(-1)!;
const CONFIG: PlatformConfig = parseConfig(stringify(EXAMPLE), 'platform.yaml');

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A configuration folder holding `files` under extra/ (path → text; a path ending in / is an empty folder). */
function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'extra-unit-'));
  roots.push(dir);
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, 'extra', path);
    if (path.endsWith('/')) {
      mkdirSync(full, { recursive: true });
    } else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
  }
  return dir;
}

/** Synthesizes the example with the extra/ folder of `files`. */
function synth(files: Record<string, string>) {
  const extra = readExtraManifests(configDir(files), 'config/extra');
  return synthesizeKubernetes(CONFIG, { vaultCaBundle: CHAIN, trustRoots: ROOT }, extra, 'config/extra');
}

/** The problems a synth with `files` is refused with. */
function refusal(files: Record<string, string>): readonly string[] {
  try {
    synth(files);
  } catch (err) {
    if (err instanceof ExtraManifestsError) return err.problems;
    throw err;
  }
  throw new Error('expected the extra manifests to be refused');
}

const configMap = (name: string, namespace = 'echo') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  a: b\n`;

describe('your own manifests', () => {
  test('no extra/ folder: nothing read, the output is what it is without', () => {
    const dir = mkdtempSync(join(tmpdir(), 'extra-none-'));
    roots.push(dir);
    expect(readExtraManifests(dir, 'config/extra')).toEqual({ files: [], folders: [], problems: [] });
  });

  test('a multi-document file lands in its layer as extra.<file>, counted and listed; empty documents and hidden files are skipped', () => {
    // GIVEN
    const text = `${configMap('one')}---\n${configMap('two')}---\n`;
    // WHEN
    const rendered = synth({ 'mycluster-0/issuers/settings.yaml': text, 'mycluster-0/issuers/.gitkeep': '' });
    // THEN
    const paths = rendered.files.map((f) => f.path).filter((p) => p.startsWith('mycluster-0/issuers/'));
    expect(paths).toEqual([
      'mycluster-0/issuers/clusterissuer.letsencrypt-prod.yaml', 'mycluster-0/issuers/clusterissuer.letsencrypt-staging.yaml',
      'mycluster-0/issuers/clusterissuer.vault.yaml', 'mycluster-0/issuers/extra.settings.yaml', 'mycluster-0/issuers/kustomization.yaml',
    ]);
    expect(rendered.files.find((f) => f.path === 'mycluster-0/issuers/kustomization.yaml')!.content).toContain('  - extra.settings.yaml\n');
    expect(rendered.folders.find((f) => f.folder === 'mycluster-0/issuers')!.objects).toBe(5);
    expect(rendered.manifests.get('mycluster-0')!.filter((m) => m.kind === 'ConfigMap' && m.metadata.namespace === 'echo').map((m) => m.metadata.name))
      .toEqual(['one', 'two']);
  });

  test('the namespaces layer takes your own manifests too, when an application creates its namespace', () => {
    const config: PlatformConfig = { ...CONFIG, applications: CONFIG.applications!.map((app, i) => ({ ...app, createNamespace: i === 0 })) };
    const extra = readExtraManifests(configDir({ 'mycluster-0/namespaces/quota.yaml': configMap('quota') }), 'config/extra');
    const rendered = synthesizeKubernetes(config, { vaultCaBundle: CHAIN, trustRoots: ROOT }, extra, 'config/extra');
    expect(rendered.files.map((f) => f.path).filter((p) => p.startsWith('mycluster-0/namespaces/')))
      .toEqual(['mycluster-0/namespaces/extra.quota.yaml', 'mycluster-0/namespaces/kustomization.yaml', 'mycluster-0/namespaces/namespace.echo.yaml']);
  });

  test.each<[string, Record<string, string>, string]>([
    ['an unknown cluster, with the nearest name', { 'mycluster-1/routes/a.yaml': configMap('a') },
      'config/extra/mycluster-1/: no cluster is named "mycluster-1"; did you mean "mycluster-0"? Expected a folder named after one of clusters[].name: "mycluster-0"'],
    ['an unknown cluster, far from any', { 'production/routes/a.yaml': configMap('a') },
      'config/extra/production/: no cluster is named "production". Expected a folder named after one of clusters[].name: "mycluster-0"'],
    ['an unknown layer, with the nearest name', { 'mycluster-0/route/a.yaml': configMap('a') },
      'config/extra/mycluster-0/route/: cluster "mycluster-0" has no layer "route"; did you mean "routes"? Expected a folder named after one of its layers: '
        + '"prometheus-operator-crds", "controllers", "secrets", "trust", "monitoring", "issuers", "gateways", "certificates", "routes", "backup", "approle-rotation"'],
    ['an empty folder of an unknown layer', { 'mycluster-0/namespaces/': '' },
      'config/extra/mycluster-0/namespaces/: cluster "mycluster-0" has no layer "namespaces"'],
    ['the flux folder, which has no kustomization.yaml of ours', { 'mycluster-0/flux/a.yaml': configMap('a') },
      'config/extra/mycluster-0/flux/: cluster "mycluster-0" has no layer "flux"'],
    ['a file that is not YAML', { 'mycluster-0/routes/notes.md': '# notes' },
      'config/extra/mycluster-0/routes/notes.md is not a YAML file: expected a name ending in .yaml or .yml'],
    ['a file that does not parse', { 'mycluster-0/routes/a.yaml': 'apiVersion: v1\nkind: [ConfigMap\n' },
      'config/extra/mycluster-0/routes/a.yaml (document 1) is not valid YAML: '],
    ['a document without apiVersion and metadata.name', { 'mycluster-0/routes/a.yaml': `${configMap('ok')}---\nkind: ConfigMap\nmetadata: {}\n` },
      'config/extra/mycluster-0/routes/a.yaml (document 2) has no apiVersion, metadata.name: every object needs apiVersion, kind and metadata.name (a string each)'],
    ['a document without kind', { 'mycluster-0/routes/a.yaml': 'apiVersion: v1\nmetadata:\n  name: a\n' },
      'config/extra/mycluster-0/routes/a.yaml (document 1) has no kind:'],
    ['a document that is a list', { 'mycluster-0/routes/a.yaml': '- a\n- b\n' },
      'config/extra/mycluster-0/routes/a.yaml (document 1) is not a Kubernetes object: expected a mapping with apiVersion, kind and metadata.name, got a list'],
    ['a file without objects', { 'mycluster-0/routes/a.yaml': '# nothing yet\n' },
      'config/extra/mycluster-0/routes/a.yaml holds no object'],
    ['a List, which would hide its items from the checks', { 'mycluster-0/routes/a.yaml': 'apiVersion: v1\nkind: ConfigMapList\nmetadata:\n  name: all\nitems: []\n' },
      'is a ConfigMapList (ConfigMapList all): write each object as its own document'],
    ['a Secret, pointing to External Secrets', { 'mycluster-0/routes/a.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: echo\ndata:\n  p: aHVudGVyMg==\n' },
      'config/extra/mycluster-0/routes/a.yaml (document 1) is a Secret (Secret echo/db): dist/ is committed to Git and must hold no secret material. '
        + 'Keep the value in AWS Secrets Manager and add an ExternalSecret (external-secrets.io/v1) with its SecretStore instead'],
    ['an object that is one of ours', { 'mycluster-0/routes/route.yaml': 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: echo\n  namespace: echo\n' },
      'config/extra/mycluster-0/routes/route.yaml: HTTPRoute echo/echo is already one of the platform\'s objects in cluster "mycluster-0": give yours another name'],
    ['a cluster-scoped object that is one of ours, from another layer', { 'mycluster-0/routes/issuer.yaml': 'apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: vault\n' },
      'ClusterIssuer vault is already one of the platform\'s objects in cluster "mycluster-0"'],
    ['the same object in two of your files', { 'mycluster-0/routes/a.yaml': configMap('same'), 'mycluster-0/trust/b.yaml': configMap('same') },
      'config/extra/mycluster-0/trust/b.yaml: ConfigMap echo/same is already defined in config/extra/mycluster-0/routes/a.yaml in cluster "mycluster-0"'],
    ['a subfolder in a layer folder', { 'mycluster-0/routes/more/a.yaml': configMap('a') },
      'config/extra/mycluster-0/routes/more is a folder: a layer folder holds YAML files only, no subfolders'],
    ['a file where a layer folder belongs', { 'mycluster-0/a.yaml': configMap('a') },
      'config/extra/mycluster-0/a.yaml is a file: expected a folder named after a layer of dist/mycluster-0/, holding YAML files'],
    ['a file where a cluster folder belongs', { 'a.yaml': configMap('a') },
      'config/extra/a.yaml is a file: expected a folder named after a cluster, holding one folder per layer'],
  ])('refuses %s', (_what, files, message) => {
    const problems = refusal(files);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  test('reports every problem at once, in the order of the folders', () => {
    const problems = refusal({
      'mycluster-0/routes/a.txt': '',
      'mycluster-0/routes/b.yaml': 'kind: ConfigMap\n',
      'other/routes/c.yaml': configMap('c'),
    });
    expect(problems.map((p) => p.split(' ')[0])).toEqual([
      'config/extra/mycluster-0/routes/a.txt', 'config/extra/mycluster-0/routes/b.yaml', 'config/extra/other/:',
    ]);
  });

  test('the error names the folder and the count', () => {
    expect(() => synth({ 'mycluster-0/routes/a.txt': '', 'mycluster-0/routes/b.md': '' }))
      .toThrow('your own manifests (extra/ beside the configuration) cannot be added (2 problems):\n  config/extra/mycluster-0/routes/a.txt is not a YAML file');
  });
});
