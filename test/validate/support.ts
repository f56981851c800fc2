import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { Finding, ManifestObject, TerraformStackFile, ValidationInput } from '../../lib/validate/findings.js';
import { DEFAULT_CRD_ROOT } from '../../lib/validate/schemas.js';

/**
 * A ValidationInput from hand-made objects, by file (`dist/<cluster>/<layer>/<file>.yaml`), each
 * file's text being its objects as YAML; `text` adds files that hold no object (kustomization.yaml,
 * comments), `terraform` adds stacks by file.
 */
export function inputOf(
  objects: Record<string, unknown>,
  extra: { text?: Record<string, string>; terraform?: Record<string, unknown> } = {},
): ValidationInput {
  const manifests: ManifestObject[] = [];
  const files = new Map<string, string>();
  for (const [file, content] of Object.entries(objects)) {
    const list = Array.isArray(content) ? content : [content];
    for (const object of list) manifests.push({ file, object });
    files.set(file, list.map((o) => stringify(o)).join('---\n'));
  }
  const terraform: TerraformStackFile[] = [];
  for (const [file, stack] of Object.entries(extra.terraform ?? {})) {
    terraform.push({ file, stack });
    files.set(file, JSON.stringify(stack, null, 2));
  }
  for (const [file, text] of Object.entries(extra.text ?? {})) files.set(file, text);
  return { manifests, files, terraform };
}

/** The findings of `rule`, as `[file, object, path]` triples. */
export function where(findings: readonly Finding[], rule: string): Array<[string, string | undefined, string | undefined]> {
  return findings.filter((f) => f.rule === rule).map((f) => [f.file, f.object, f.path]);
}

/** Writes files (path → text) under a fresh temporary folder and returns it. */
export function writeTree(files: Record<string, string>, prefix = 'validate-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/**
 * A CRD folder with the real CRDs, except trust-manager's Bundle, replaced by a `Widget` CRD
 * (`test.example.com/v1`) whose one rule uses a function the CEL evaluator does not have
 * (`isURL`), for the warnings of rules that cannot be evaluated.
 */
export function widgetCrdRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'validate-crds-'));
  for (const project of readdirSync(DEFAULT_CRD_ROOT, { withFileTypes: true })) {
    if (project.isDirectory() && project.name !== 'trust-manager') symlinkSync(join(DEFAULT_CRD_ROOT, project.name), join(root, project.name));
  }
  mkdirSync(join(root, 'trust-manager', 'v0.0.0'), { recursive: true });
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.test.example.com' },
    spec: {
      group: 'test.example.com',
      names: { kind: 'Widget', plural: 'widgets' },
      scope: 'Namespaced',
      versions: [{
        name: 'v1', served: true, storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' },
              spec: { type: 'object', properties: { url: { type: 'string', 'x-kubernetes-validations': [{ rule: 'isURL(self)', message: 'must be a URL' }] } } },
            },
          },
        },
      }],
    },
  };
  writeFileSync(join(root, 'trust-manager', 'v0.0.0', 'trust.cert-manager.io_bundles.yaml'), stringify(crd));
  return root;
}

export const widget = (url: string) => ({ apiVersion: 'test.example.com/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'default' }, spec: { url } });
