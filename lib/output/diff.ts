/**
 * `npm run diff`: what a synth would change in its output folders, as a unified diff (the form
 * reviewers read in a pull request) or a per-file summary (`--stat`).
 *
 * Paths carry the folder's label (`dist/mycluster-0/…`, `cdktf.out/stacks/…`) with the `a/` and
 * `b/` prefixes of `git diff`, so the diff reads like the checkout's after a synth, and
 * `patch -p1` applies it from the folder synth runs in.
 */
import { structuredPatch } from 'diff';
import type { TargetPreview } from './commit.js';

/** Options of {@link renderDiff}. */
export interface DiffOptions {
  /** ANSI colours (for a terminal). @default false */
  readonly color?: boolean;
}

/** Lines of context around each change, as `diff -u` and `git diff` show. */
const CONTEXT_LINES = 3;

interface FileChange {
  readonly path: string;
  readonly before: string | undefined;
  readonly after: string | undefined;
}

const ANSI = { bold: '\u001b[1m', red: '\u001b[31m', green: '\u001b[32m', cyan: '\u001b[36m', reset: '\u001b[0m' };

/** Every file a synth would add, change or remove, in path order within each folder. */
function fileChanges(previews: readonly TargetPreview[]): FileChange[] {
  return previews.flatMap((preview) => {
    const changes: FileChange[] = [
      ...preview.added.map((path) => ({ path, before: undefined, after: preview.after(path) })),
      ...preview.changed.map((path) => ({ path, before: preview.before(path), after: preview.after(path) })),
      ...preview.removed.map((path) => ({ path, before: preview.before(path), after: undefined })),
    ];
    return changes
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((change) => ({ ...change, path: `${preview.label}/${change.path}` }));
  });
}

/** The unified diff of what a synth would change; `''` when it would change nothing. */
export function renderDiff(previews: readonly TargetPreview[], options: DiffOptions = {}): string {
  const paint = (code: string, line: string): string => (options.color ? `${code}${line}${ANSI.reset}` : line);
  const out: string[] = [];
  for (const change of fileChanges(previews)) {
    const patch = structuredPatch(change.path, change.path, change.before ?? '', change.after ?? '', undefined, undefined,
      { context: CONTEXT_LINES });
    out.push(paint(ANSI.bold, `--- ${change.before === undefined ? '/dev/null' : `a/${change.path}`}`));
    out.push(paint(ANSI.bold, `+++ ${change.after === undefined ? '/dev/null' : `b/${change.path}`}`));
    for (const hunk of patch.hunks) {
      // An empty side starts at the line before it (0 for an empty file), as diff and git write it.
      const start = (line: number, count: number): number => (count === 0 ? Math.max(0, line - 1) : line);
      out.push(paint(ANSI.cyan, `@@ -${start(hunk.oldStart, hunk.oldLines)},${hunk.oldLines} +${start(hunk.newStart, hunk.newLines)},${hunk.newLines} @@`));
      for (const line of hunk.lines) {
        out.push(line.startsWith('+') ? paint(ANSI.green, line) : line.startsWith('-') ? paint(ANSI.red, line) : line);
      }
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Lines added and removed in one file. */
function lineCounts(change: FileChange): { readonly insertions: number; readonly deletions: number } {
  const patch = structuredPatch(change.path, change.path, change.before ?? '', change.after ?? '', undefined, undefined, { context: 0 });
  let insertions = 0;
  let deletions = 0;
  for (const line of patch.hunks.flatMap((hunk) => hunk.lines)) {
    if (line.startsWith('+')) insertions += 1;
    else if (line.startsWith('-')) deletions += 1;
  }
  return { insertions, deletions };
}

/**
 * `git diff --stat`'s form: ` path | n ++--` per file, then the totals; `''` when nothing would
 * change. The bar is scaled to at most 40 characters.
 */
export function renderDiffStat(previews: readonly TargetPreview[], options: DiffOptions = {}): string {
  const rows = fileChanges(previews).map((change) => ({ path: change.path, ...lineCounts(change) }));
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map((row) => row.path.length));
  const most = Math.max(...rows.map((row) => row.insertions + row.deletions));
  const countWidth = String(most).length;
  const scale = most > 40 ? 40 / most : 1;
  const bar = (n: number): number => (n === 0 ? 0 : Math.max(1, Math.round(n * scale)));
  const paint = (code: string, text: string): string => (options.color && text !== '' ? `${code}${text}${ANSI.reset}` : text);
  const lines = rows.map((row) => {
    const bars = `${paint(ANSI.green, '+'.repeat(bar(row.insertions)))}${paint(ANSI.red, '-'.repeat(bar(row.deletions)))}`;
    return ` ${row.path.padEnd(width)} | ${String(row.insertions + row.deletions).padStart(countWidth)}${bars === '' ? '' : ` ${bars}`}`;
  });
  const insertions = rows.reduce((n, row) => n + row.insertions, 0);
  const deletions = rows.reduce((n, row) => n + row.deletions, 0);
  const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  lines.push(` ${plural(rows.length, 'file', 'files')} changed, ${plural(insertions, 'insertion(+)', 'insertions(+)')}, `
    + `${plural(deletions, 'deletion(-)', 'deletions(-)')}`);
  return `${lines.join('\n')}\n`;
}
