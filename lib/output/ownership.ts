/**
 * What synth owns in an output folder, and which folders it may write to at all.
 *
 * **The rule.** Each output folder (`dist/`, `cdktf.out/`) holds a manifest,
 * {@link OUTPUT_MANIFEST}, listing the files synth wrote there. A synth replaces and removes only
 * files of that list; every other file (the `flux-system/` that `flux bootstrap` commits,
 * `.terraform/`, `.terraform.lock.hcl`, `*_override.tf.json`, anything a user put there) is kept
 * exactly as it is. A file synth would newly write where such a file already is stops synth with
 * an error: it never overwrites what it did not write.
 *
 * **Which folders.** A missing or empty folder, or one holding our manifest. A folder with other
 * files and no manifest is refused, unless all of it is recognizably output of an earlier synth
 * (see {@link LegacyAdoption}): that is how folders written before manifests existed are taken over.
 * The repository's root, the configuration's folder, a parent of either, `.git`, and the other
 * output folder are refused by {@link checkOutputPaths} before anything else happens.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { OutputError } from './errors.js';

/** The manifest of an output folder: the files synth wrote there. */
export const OUTPUT_MANIFEST = '.gateway-pki-output.json';

/** Names synth uses for its own bookkeeping in an output folder: never output, never listed. */
export const RESERVED_PREFIX = '.gateway-pki';

const ABOUT = 'The files `npm run synth` wrote in this folder: the only ones it replaces or removes. '
  + 'Every other file here is kept as it is.';

/** The text of the manifest listing `files` (sorted by the caller): deterministic, one path a line. */
export function manifestText(files: readonly string[]): string {
  return `${JSON.stringify({ generator: 'gateway-pki', about: ABOUT, files }, null, 2)}\n`;
}

/** What synth owns in a folder, and how it knows. */
export interface Ownership {
  /** Files synth wrote, relative and `/`-separated. */
  readonly owned: ReadonlySet<string>;
  /** `manifest`: listed by the manifest; `adopted`: recognized as earlier output; `empty`: missing or empty folder. */
  readonly source: 'manifest' | 'adopted' | 'empty';
}

/**
 * Recognizes a folder that an earlier synth (before manifests) wrote: every file synth would
 * own, or `foreign` with the files it cannot account for.
 */
export type LegacyAdoption = (dir: string) => { readonly owned: readonly string[] } | { readonly foreign: readonly string[] };

/**
 * Reads what synth owns in `dir`, or throws (exit 2) when the folder holds files that no manifest
 * names and `adopt` does not recognize.
 * @param label how the folder is shown (`dist`)
 */
export function readOwnership(dir: string, label: string, adopt: LegacyAdoption): Ownership {
  if (!existsSync(dir)) return { owned: new Set(), source: 'empty' };
  const manifest = join(dir, OUTPUT_MANIFEST);
  if (existsSync(manifest)) return { owned: new Set(parseManifest(readFileSync(manifest, 'utf8'), `${label}/${OUTPUT_MANIFEST}`)), source: 'manifest' };
  const files = listFiles(dir).filter((path) => !path.startsWith(RESERVED_PREFIX));
  if (files.length === 0) return { owned: new Set(), source: 'empty' };
  const adopted = adopt(dir);
  if ('foreign' in adopted) {
    const shown = adopted.foreign.slice(0, 5).join(', ') + (adopted.foreign.length > 5 ? `, and ${adopted.foreign.length - 5} more` : '');
    throw new OutputError(`${label}/ holds files that synth did not write (${shown}), and no ${OUTPUT_MANIFEST} says which files are synth's. `
      + 'synth writes only to a missing or empty folder, or to one it wrote before: give another folder, or move those files away.', 2);
  }
  return { owned: new Set(adopted.owned), source: 'adopted' };
}

/** The file list of a manifest, every path checked to stay inside its folder. */
export function parseManifest(text: string, shown: string): string[] {
  const broken = (why: string) => new OutputError(`${shown} is not a manifest synth wrote (${why}). It says which files synth owns `
    + 'in that folder: restore it (from Git for dist/: git checkout -- <file>), or remove the folder\'s generated files and the manifest together.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw broken(`not JSON: ${(err as Error).message}`);
  }
  const files = (parsed as { files?: unknown } | null)?.files;
  if ((parsed as { generator?: unknown } | null)?.generator !== 'gateway-pki' || !Array.isArray(files)) {
    throw broken('expected {"generator": "gateway-pki", "files": [...]}');
  }
  for (const file of files) {
    if (!isOwnablePath(file)) throw broken(`${JSON.stringify(file)} is not a relative path inside the folder`);
  }
  return files as string[];
}

/** A path synth may own: relative, normalized, `/`-separated, inside the folder, not one of its bookkeeping names. */
export function isOwnablePath(path: unknown): path is string {
  return typeof path === 'string' && path !== '' && !path.includes('\\') && !path.includes('\0') && !isAbsolute(path)
    && posix.normalize(path) === path && !path.startsWith('../') && path !== '..' && !path.startsWith(RESERVED_PREFIX)
    && !path.split('/').includes('.');
}

/**
 * Every file under `dir` (relative, `/`-separated, sorted), symbolic links included as files,
 * except under the folders `skip` names.
 */
export function listFiles(dir: string, skip: (folder: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!skip(path)) walk(join(abs, entry.name), path);
      } else {
        out.push(path);
      }
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Which folders synth may write to

/** An output folder as the command line gave it. */
export interface OutputPath {
  /** The option, as messages show it (`--out`). */
  readonly option: string;
  /** The value as given (may be empty). */
  readonly value: string;
}

/** A folder no output may be, nor contain. */
export interface ProtectedFolder {
  readonly path: string;
  /** What it is, completing "is …" (`the repository's root`). */
  readonly what: string;
}

/**
 * Refuses (exit 2) output folders synth must not write to: an empty value, the file system's
 * root, a protected folder or a parent of one, a folder inside `.git`, a path that is a file, and
 * two outputs that are the same folder or nested. Reads nothing but the paths' ancestors.
 * @returns the outputs' absolute paths, in the order given
 */
export function checkOutputPaths(outputs: readonly OutputPath[], protectedFolders: readonly ProtectedFolder[], cwd: string): string[] {
  const resolved = outputs.map((output) => {
    if (output.value.trim() === '') {
      throw new OutputError(`${output.option} is empty (an unset shell variable?): give the folder synth writes to, such as ${defaultOf(output.option)}`, 2);
    }
    const path = realPath(resolve(cwd, output.value));
    const refuse = (why: string) => new OutputError(`${output.option} ${JSON.stringify(output.value)} ${why}: synth writes only to a folder `
      + `of its own, such as ${defaultOf(output.option)}`, 2);
    if (dirname(path) === path) throw refuse('is the file system\'s root');
    for (const folder of protectedFolders) {
      const guarded = realPath(folder.path);
      if (guarded === path) throw refuse(`is ${folder.what} (${folder.path})`);
      if (isInside(guarded, path)) throw refuse(`contains ${folder.what} (${folder.path})`);
    }
    if (path.split(sep).includes('.git')) throw refuse('is inside a Git directory');
    if (existsSync(path) && !statSync(path).isDirectory()) throw refuse('is a file, not a folder');
    return path;
  });
  resolved.forEach((path, i) => resolved.slice(i + 1).forEach((other, j) => {
    const [a, b] = [outputs[i]!, outputs[i + 1 + j]!];
    if (path === other || isInside(path, other) || isInside(other, path)) {
      throw new OutputError(`${a.option} ${JSON.stringify(a.value)} and ${b.option} ${JSON.stringify(b.value)} overlap: `
        + 'each output needs a folder of its own', 2);
    }
  }));
  return resolved;
}

function defaultOf(option: string): string {
  return option === '--terraform-out' ? 'cdktf.out' : 'dist';
}

/** Whether `inner` is strictly inside `outer` (both absolute). */
function isInside(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** `path` with its existing part resolved through symbolic links, so `dist -> .` is seen for what it is. */
function realPath(path: string): string {
  let existing = path;
  const rest: string[] = [];
  while (!existsSync(existing) && dirname(existing) !== existing) {
    rest.unshift(basename(existing));
    existing = dirname(existing);
  }
  return join(realpathSync(existing), ...rest);
}

/**
 * The folders no output may be nor contain, seen from where synth runs: that folder (the
 * repository's root under `npm run`), the Git work tree it is in, and the configuration's folder.
 */
export function protectedFolders(cwd: string, configDir: string): ProtectedFolder[] {
  const folders: ProtectedFolder[] = [
    { path: cwd, what: 'the folder synth runs in (the repository\'s root)' },
    { path: configDir, what: 'the configuration\'s folder' },
  ];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) {
      folders.push({ path: dir, what: 'the root of the Git work tree' });
      break;
    }
    if (dirname(dir) === dir) break;
  }
  return folders;
}
