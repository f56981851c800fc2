/**
 * Reads synthesized output folders (`dist/`, `cdktf.out/`) into a {@link ValidationInput}: every
 * text file, the Kubernetes objects of every YAML file, the parsed Terraform stacks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Finding, ManifestObject, TerraformStackFile, ValidationInput } from './findings.js';
import { parseTerraformStack, STACK_FILE } from './terraform.js';

/** A folder to validate, and the name its files are reported under (`dist`, `cdktf.out`). */
export interface OutputFolder {
  readonly path: string;
  readonly label: string;
}

/** What reading found: the input of the checks, and the files that could not be parsed (`parse`). */
export interface ReadResult {
  readonly input: ValidationInput;
  readonly findings: Finding[];
}

/** kustomize's own file, listing a layer's files: not a cluster object. */
const KUSTOMIZE_FILE = /(^|\/)kustomization\.ya?ml$/;

/**
 * Folders that are not synthesized output: dot-folders (`.terraform/` after `terraform init`) and
 * the `flux-system/` that `flux bootstrap` commits under a cluster's `flux/` folder.
 */
function skipFolder(name: string, parent: string): boolean {
  return name.startsWith('.') || (name === 'flux-system' && parent === 'flux');
}

/** Relative paths (`/`-separated, sorted by code unit) of the files under `root`. */
function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string, parent: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!skipFolder(entry.name, parent)) walk(join(dir, entry.name), path, entry.name);
      } else if (entry.isFile()) {
        out.push(path);
      }
    }
  };
  walk(root, '', '');
  return out;
}

/**
 * Reads every file of `folders`. Binary files are skipped. YAML files give their documents as
 * objects (`kustomization.yaml` excepted), `stacks/<stack>/cdk.tf.json` gives a Terraform stack;
 * a YAML or JSON file that does not parse is a `parse` finding.
 */
export function readOutput(folders: readonly OutputFolder[]): ReadResult {
  const files = new Map<string, string>();
  const manifests: ManifestObject[] = [];
  const terraform: TerraformStackFile[] = [];
  const findings: Finding[] = [];
  for (const folder of folders) {
    for (const rel of listFiles(folder.path)) {
      const file = folder.label ? `${folder.label}/${rel}` : rel;
      if (files.has(file)) continue; // the same file through two overlapping folders
      const buffer = readFileSync(join(folder.path, ...rel.split('/')));
      if (buffer.includes(0)) continue;
      const text = buffer.toString('utf8');
      files.set(file, text);
      if (/\.ya?ml$/.test(rel)) {
        for (const doc of parseAllDocuments(text)) {
          if (doc.errors.length > 0) {
            findings.push({ rule: 'parse', severity: 'error', file, message: `not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}` });
            break;
          }
          const object: unknown = doc.toJS();
          if (object !== null && object !== undefined && !KUSTOMIZE_FILE.test(rel)) manifests.push({ file, object });
        }
      } else if (rel.endsWith('.json')) {
        const stack = STACK_FILE.test(rel);
        try {
          if (stack) terraform.push(parseTerraformStack(file, text));
          else JSON.parse(text);
        } catch (err) {
          findings.push({ rule: 'parse', severity: 'error', file, message: `not valid ${stack ? 'Terraform ' : ''}JSON: ${(err as Error).message}` });
        }
      }
    }
  }
  return { input: { manifests, files, terraform }, findings };
}
