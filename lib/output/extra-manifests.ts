/**
 * The user's own manifests: `extra/<cluster>/<layer>/*.yaml` beside the configuration file
 * (`config/extra/...` for `config/platform.yaml`), copied by synth into `dist/<cluster>/<layer>/`
 * as `extra.<file>`, listed in that layer's `kustomization.yaml`, and owned by synth like every
 * file it writes (lib/output/ownership.ts): changed when the source changes, removed when it goes.
 *
 * The folder is not configurable: it follows the configuration file, so a second configuration
 * (`--config other/platform.yaml`) has its own (`other/extra/`). Reading is separate from placing:
 * {@link readExtraManifests} reads and parses the files, {@link placeExtraManifests} checks them
 * against the synthesized clusters (known cluster and layer, no object of ours redefined).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { nearest } from '../config/rules.js';

/** The folder of the user's own manifests, relative to the configuration file's folder. */
export const EXTRA_MANIFESTS_FOLDER = 'extra';

/** How a copied file is named in `dist/<cluster>/<layer>/`: never the `<kind>.…` of ours. */
export const EXTRA_FILE_PREFIX = 'extra.';

/** One object of a user's file, as far as the checks need it. */
export interface ExtraObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** `undefined` when the document gives none. */
  readonly namespace?: string;
  /** The whole document as JSON. */
  readonly manifest: Record<string, unknown>;
}

/** One YAML file of `extra/<cluster>/<layer>/`. */
export interface ExtraManifestFile {
  readonly cluster: string;
  readonly layer: string;
  /** The file's name, as in the source folder (`app-config.yaml`). */
  readonly name: string;
  /** `extra/<cluster>/<layer>/<name>`: relative to the configuration's folder, the same on every machine. */
  readonly source: string;
  /** The file's text, copied as it is. */
  readonly text: string;
  /** Its objects, in document order (empty documents left out). */
  readonly objects: readonly ExtraObject[];
}

/** What {@link readExtraManifests} found: the readable files, and what is wrong with the others. */
export interface ExtraManifests {
  /** Sorted by cluster, layer and name (byte-wise). */
  readonly files: readonly ExtraManifestFile[];
  /** Every `<cluster>/<layer>` folder, empty ones too (their names are checked all the same). */
  readonly folders: readonly { readonly cluster: string; readonly layer?: string }[];
  /** One line per problem, naming the file. */
  readonly problems: readonly string[];
}

/** Nothing to add: no `extra/` folder. */
export const NO_EXTRA_MANIFESTS: ExtraManifests = { files: [], folders: [], problems: [] };

/** The user's own manifests are refused; synth writes nothing. */
export class ExtraManifestsError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(`your own manifests (${EXTRA_MANIFESTS_FOLDER}/ beside the configuration) cannot be added `
      + `(${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${problems.join('\n  ')}`);
  }
}

const YAML_FILE = /\.ya?ml$/;

/**
 * Reads `<configDir>/extra/<cluster>/<layer>/*.yaml` (and `.yml`). Hidden files (`.gitkeep`) are
 * skipped; anything else that is not a YAML file of a layer folder is a problem, as are a file that
 * does not parse, a document that is not an object with `apiVersion`, `kind` and `metadata.name`,
 * a `List`, and a `Secret`.
 * @param shown how messages name `<configDir>/extra` (`config/extra`)
 */
export function readExtraManifests(configDir: string, shown: string): ExtraManifests {
  const root = join(configDir, EXTRA_MANIFESTS_FOLDER);
  if (!existsSync(root)) return NO_EXTRA_MANIFESTS;
  const files: ExtraManifestFile[] = [];
  const folders: Array<{ cluster: string; layer?: string }> = [];
  const problems: string[] = [];
  if (!statSync(root).isDirectory()) {
    return { files, folders, problems: [`${shown} is a file: expected a folder of <cluster>/<layer>/ folders`] };
  }
  for (const cluster of visibleEntries(root)) {
    const clusterDir = join(root, cluster);
    if (!statSync(clusterDir).isDirectory()) {
      problems.push(`${shown}/${cluster} is a file: expected a folder named after a cluster, holding one folder per layer`);
      continue;
    }
    folders.push({ cluster });
    for (const layer of visibleEntries(clusterDir)) {
      const layerDir = join(clusterDir, layer);
      if (!statSync(layerDir).isDirectory()) {
        problems.push(`${shown}/${cluster}/${layer} is a file: expected a folder named after a layer of dist/${cluster}/, holding YAML files`);
        continue;
      }
      folders.push({ cluster, layer });
      for (const name of visibleEntries(layerDir)) {
        const file = `${shown}/${cluster}/${layer}/${name}`;
        const path = join(layerDir, name);
        if (statSync(path).isDirectory()) {
          problems.push(`${file} is a folder: a layer folder holds YAML files only, no subfolders`);
        } else if (!YAML_FILE.test(name)) {
          problems.push(`${file} is not a YAML file: expected a name ending in .yaml or .yml`);
        } else {
          const text = readFileSync(path, 'utf8');
          const parsed = parseObjects(text, file);
          problems.push(...parsed.problems);
          if (parsed.problems.length === 0) {
            files.push({ cluster, layer, name, source: `${EXTRA_MANIFESTS_FOLDER}/${cluster}/${layer}/${name}`, text, objects: parsed.objects });
          }
        }
      }
    }
  }
  return { files, folders, problems };
}

/** The entries of a folder that are not hidden, sorted byte-wise so every machine reads them alike. */
function visibleEntries(dir: string): string[] {
  return readdirSync(dir).filter((name) => !name.startsWith('.')).sort(compare);
}

/** The objects of a (multi-document) YAML file, or what keeps it from being a list of Kubernetes objects. */
function parseObjects(text: string, file: string): { objects: ExtraObject[]; problems: string[] } {
  const objects: ExtraObject[] = [];
  const problems: string[] = [];
  parseAllDocuments(text).forEach((doc, index) => {
    const where = `${file} (document ${index + 1})`;
    if (doc.errors.length > 0) {
      problems.push(`${where} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return; // an empty document, such as after a trailing `---`
    const problem = objectProblem(value);
    if (problem !== undefined) {
      problems.push(`${where} ${problem}`);
      return;
    }
    const manifest = value as Record<string, any>;
    const namespace: unknown = manifest.metadata.namespace;
    objects.push({
      apiVersion: manifest.apiVersion,
      kind: manifest.kind,
      name: manifest.metadata.name,
      namespace: typeof namespace === 'string' && namespace !== '' ? namespace : undefined,
      manifest,
    });
  });
  if (problems.length === 0 && objects.length === 0) problems.push(`${file} holds no object: remove it, or add the objects it was meant for`);
  return { objects, problems };
}

/** Why a document is not an object synth may copy into `dist/`, or `undefined` when it is one. */
function objectProblem(value: unknown): string | undefined {
  const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
  if (typeof value !== 'object' || Array.isArray(value)) {
    return `is not a Kubernetes object: expected a mapping with apiVersion, kind and metadata.name, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`;
  }
  const object = value as Record<string, any>;
  const missing = [
    nonEmpty(object.apiVersion) ? undefined : 'apiVersion',
    nonEmpty(object.kind) ? undefined : 'kind',
    nonEmpty(object.metadata?.name) ? undefined : 'metadata.name',
  ].filter((f): f is string => f !== undefined);
  if (missing.length > 0) return `has no ${missing.join(', ')}: every object needs apiVersion, kind and metadata.name (a string each)`;
  if (object.metadata.namespace !== undefined && !nonEmpty(object.metadata.namespace)) {
    return `has metadata.namespace ${JSON.stringify(object.metadata.namespace)}: expected a namespace name, or no namespace field`;
  }
  const named = `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
  if (/List$/.test(object.kind)) {
    return `is a ${object.kind} (${named}): write each object as its own document (separated by ---), so that each can be checked`;
  }
  if (object.kind === 'Secret' && (object.apiVersion === 'v1' || object.apiVersion === 'core/v1')) {
    return `is a Secret (${named}): dist/ is committed to Git and must hold no secret material. Keep the value in AWS Secrets Manager `
      + 'and add an ExternalSecret (external-secrets.io/v1) with its SecretStore instead, which create the Secret in the cluster';
  }
  return undefined;
}

/** A synthesized cluster as the placement checks see it. */
export interface ExtraManifestTarget {
  readonly cluster: string;
  /** The layer folders of `dist/<cluster>/` that have a kustomization.yaml. */
  readonly layers: readonly string[];
  /** Every object synth made for the cluster. */
  readonly objects: readonly { kind?: string; metadata?: { name?: string; namespace?: string } }[];
  /** Every path synth writes for the cluster, relative to `dist/`. */
  readonly paths: ReadonlySet<string>;
}

/**
 * What is wrong with placing `files` into the synthesized `targets`: a cluster or layer folder
 * that does not exist (with the nearest name), an object that one of ours (or another of the
 * user's) already is (same kind, namespace and name), a file name synth already writes.
 */
export function placeExtraManifests(extra: Pick<ExtraManifests, 'files' | 'folders'>, targets: readonly ExtraManifestTarget[], shown: string): string[] {
  const problems: string[] = [];
  const byCluster = new Map(targets.map((t) => [t.cluster, t]));
  const clusters = [...byCluster.keys()];
  const meant = (word: string, choices: readonly string[]) => {
    const near = nearest(word, choices);
    return near === undefined ? '.' : `; did you mean ${JSON.stringify(near)}?`;
  };
  const list = (names: readonly string[]) => names.map((n) => JSON.stringify(n)).join(', ');
  for (const folder of extra.folders) {
    const target = byCluster.get(folder.cluster);
    if (folder.layer === undefined) {
      if (target === undefined) {
        problems.push(`${shown}/${folder.cluster}/: no cluster is named ${JSON.stringify(folder.cluster)}${meant(folder.cluster, clusters)} `
          + `Expected a folder named after one of clusters[].name: ${list(clusters)}`);
      }
    } else if (target !== undefined && !target.layers.includes(folder.layer)) {
      problems.push(`${shown}/${folder.cluster}/${folder.layer}/: cluster ${JSON.stringify(folder.cluster)} has no layer ${JSON.stringify(folder.layer)}`
        + `${meant(folder.layer, target.layers)} Expected a folder named after one of its layers: ${list(target.layers)}`);
    }
  }
  const keyOf = (kind: string | undefined, namespace: string | undefined, name: string | undefined) => `${kind}\n${namespace ?? ''}\n${name}`;
  const owners = new Map<string, Map<string, string>>();
  for (const target of targets) {
    owners.set(target.cluster, new Map(target.objects.map((o) => [keyOf(o.kind, o.metadata?.namespace, o.metadata?.name), 'one of the platform\'s objects'])));
  }
  for (const file of extra.files) {
    const target = byCluster.get(file.cluster);
    if (target === undefined || !target.layers.includes(file.layer)) continue; // its folder is reported above
    const source = `${shown}/${file.cluster}/${file.layer}/${file.name}`;
    const path = `${file.cluster}/${file.layer}/${EXTRA_FILE_PREFIX}${file.name}`;
    if (target.paths.has(path)) {
      problems.push(`${source} would be written to dist/${path}, a file synth already writes: rename it`);
      continue;
    }
    const seen = owners.get(file.cluster)!;
    for (const object of file.objects) {
      const key = keyOf(object.kind, object.namespace, object.name);
      const named = `${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name}`;
      const owner = seen.get(key);
      if (owner !== undefined) {
        problems.push(`${source}: ${named} is already ${owner} in cluster ${JSON.stringify(file.cluster)}: `
          + 'give yours another name; to change one of ours, change the configuration');
      } else {
        seen.set(key, `defined in ${source}`);
      }
    }
  }
  return problems;
}

/** Byte-wise comparison: locale-independent, so every machine sorts alike. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
