import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listFiles, OUTPUT_MANIFEST, parseManifest } from '../../lib/output/ownership.js';

/** Every file under `dir` (relative, `/`-separated, sorted) with its content: to prove a folder byte-identical. */
export function readTree(dir: string): Map<string, string> {
  return new Map(listFiles(dir).map((path) => [path, readFileSync(join(dir, path), 'utf8')]));
}

/** The files synth owns in `dir` (its manifest's list, and the manifest), with their content. */
export function readOwnedTree(dir: string): Map<string, string> {
  const manifest = join(dir, OUTPUT_MANIFEST);
  if (!existsSync(manifest)) return new Map();
  const files = [...parseManifest(readFileSync(manifest, 'utf8'), manifest), OUTPUT_MANIFEST].sort();
  return new Map(files.map((path) => [path, readFileSync(join(dir, path), 'utf8')]));
}
