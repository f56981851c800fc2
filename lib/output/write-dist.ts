import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { DistFile } from './render.js';

/** The folder `flux bootstrap` commits under `dist/<cluster>/flux/`: ours to keep, not to write. */
export const BOOTSTRAP_FOLDER = 'flux-system';

/** What a write changed, compared with what `dist/` held before. */
export interface WriteSummary {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
}

/**
 * Replaces `outDir` with exactly `files`, atomically enough for a Git work tree.
 *
 * The new tree is written to a sibling temporary folder, the `flux-system/` folders that
 * `flux bootstrap` committed under `<cluster>/flux/` are carried over, and only then is the old
 * folder swapped out. If anything fails before the swap, `outDir` is left exactly as it was.
 * Stale files (objects no longer synthesized, clusters removed from the configuration) disappear.
 * When nothing changed, nothing is touched.
 */
export function writeDist(outDir: string, files: readonly DistFile[]): WriteSummary {
  const before = readTree(outDir);
  const after = new Map(files.map((f) => [f.path, f.content]));
  const summary: WriteSummary = {
    added: [...after.keys()].filter((p) => !before.has(p)),
    changed: [...after.keys()].filter((p) => before.has(p) && before.get(p) !== after.get(p)),
    removed: [...before.keys()].filter((p) => !after.has(p)),
  };
  if (summary.added.length + summary.changed.length + summary.removed.length === 0) return summary;

  const parent = dirname(outDir);
  const tmp = join(parent, `${basename(outDir)}.tmp-${process.pid}`);
  const old = join(parent, `${basename(outDir)}.old-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    for (const file of files) {
      const target = join(tmp, ...file.path.split('/'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.content);
    }
    for (const bootstrap of bootstrapFolders(outDir)) {
      const cluster = bootstrap.split('/')[0];
      if (!files.some((f) => f.path.startsWith(`${cluster}/`))) continue; // cluster removed
      cpSync(join(outDir, ...bootstrap.split('/')), join(tmp, ...bootstrap.split('/')), { recursive: true });
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }

  if (existsSync(outDir)) renameSync(outDir, old);
  try {
    renameSync(tmp, outDir);
  } catch (err) {
    if (existsSync(old)) renameSync(old, outDir);
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  rmSync(old, { recursive: true, force: true });
  return summary;
}

/** Every file under `dir` (relative, `/`-separated) with its content, bootstrap folders excluded. */
export function readTree(dir: string): Map<string, string> {
  const tree = new Map<string, string>();
  if (!existsSync(dir)) return tree;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/');
    if (isInBootstrapFolder(path)) continue;
    tree.set(path, readFileSync(join(dir, path), 'utf8'));
  }
  return new Map([...tree.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function isInBootstrapFolder(path: string): boolean {
  const parts = path.split('/');
  return parts.length > 3 && parts[1] === 'flux' && parts[2] === BOOTSTRAP_FOLDER;
}

function bootstrapFolders(outDir: string): string[] {
  if (!existsSync(outDir)) return [];
  return readdirSync(outDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => `${e.name}/flux/${BOOTSTRAP_FOLDER}`)
    .filter((p) => existsSync(join(outDir, ...p.split('/'))));
}
