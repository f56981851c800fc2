/**
 * Writes synth's output folders (`dist/`, `cdktf.out/`) together, in one crash-safe step.
 *
 * **Why a journal.** `dist/` is a folder in a Git work tree that Flux reads: it cannot be a symbolic
 * link flipped between generations (Git would commit the link), and it holds files synth must keep
 * (see lib/output/ownership.ts), so it cannot be swapped whole either. So every changed file is
 * first written to a staging folder inside its output folder (same file system: renames are
 * atomic), then one journal file listing every rename and removal of both outputs is created
 * under its final name by a rename: that rename is the commit point. Before it, the old output is
 * untouched and the staging folders are garbage; after it, the journal is replayed to the end,
 * and replaying is idempotent (a staged file already moved is skipped, a removed file is gone), so
 * a run killed at any step is completed by the next start. The journal goes only once all of it
 * is done, the staging folders after it.
 *
 * **Steps.** Every change goes through {@link FileSteps}, which a test uses to kill the command
 * before each step in turn.
 *
 * **Locks.** Each output folder has a lock (lib/output/lock.ts), taken in path order; a run waits
 * while another holds one. Recovery of an interrupted run happens under the same locks.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import type { DistFile } from './render.js';
import { OutputError } from './errors.js';
import { acquireLock, type HeldLock, LOCK_FILE, releaseLock } from './lock.js';
import {
  isOwnablePath, type LegacyAdoption, listFiles, manifestText, OUTPUT_MANIFEST, readOwnership, RESERVED_PREFIX,
} from './ownership.js';
import { FileSteps } from './steps.js';

/** The folder, inside an output folder, where the new files wait for the commit. */
export const STAGING_DIR = '.gateway-pki-staging';
/** The journal: exists from the commit point until every change it lists is done. */
export const JOURNAL_FILE = '.gateway-pki-commit.json';
const JOURNAL_TMP = `${JOURNAL_FILE}.tmp`;
/** In a staging folder: where the journal of its transaction will be. */
const TRANSACTION_FILE = 'transaction.json';
const STAGED_FILES = 'files';

/** One output folder and what it must hold. */
export interface OutputTarget {
  /** Absolute path. */
  readonly dir: string;
  /** How messages name it (`dist`, or the path the user gave). */
  readonly label: string;
  readonly files: readonly DistFile[];
  /** Recognizes the folder when an earlier synth wrote it without a manifest. */
  readonly adopt: LegacyAdoption;
}

/** What a write changed in one folder. */
export interface TargetSummary {
  readonly label: string;
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  /** Files in the folder that synth did not write, and kept. */
  readonly kept: number;
  /** The folder had no manifest and was recognized as an earlier synth's: its manifest was written now. */
  readonly adopted: boolean;
}

export interface WriteResult {
  readonly targets: readonly TargetSummary[];
  /** What the start did about an interrupted earlier run. */
  readonly recovered: readonly string[];
  /** Problems after the commit point (the new output is in place): cleanup that failed. */
  readonly warnings: readonly string[];
}

export interface WriteOptions {
  /** @default - a FileSteps without hook */
  readonly steps?: FileSteps;
  /** @default - lib/output/lock.ts DEFAULT_LOCK_TIMEOUT_MS */
  readonly lockTimeoutMs?: number;
  /** Told when a lock is busy and the run waits for it. @default - nothing is said */
  readonly onWait?: (message: string) => void;
}

/**
 * Makes each target folder hold its files, in one step for all of them (see the module comment),
 * keeping every file synth did not write. Touches nothing when nothing changed.
 *
 * Throws an {@link OutputError}: with `exitCode` 2 when a folder may not be written to (nothing
 * touched); with {@link OutputError.committed} true when the new output is committed but could not
 * be put fully in place (the next start completes it).
 */
export function writeOutputs(targets: readonly OutputTarget[], options: WriteOptions = {}): WriteResult {
  const steps = options.steps ?? new FileSteps();
  const session = new LockSession(steps, options);
  const ordered = [...targets].sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  let committed = false;
  try {
    for (const target of ordered) session.lock(target.dir, target.label, true);
    const recovered = recoverInterrupted(ordered.map((t) => ({ dir: t.dir, label: t.label })), steps, session);
    const plans = targets.map((target) => planTarget(target));
    const changing = plans.filter((plan) => plan.puts.length + plan.removes.length > 0);
    const warnings: string[] = [];
    if (changing.length > 0) {
      stage(changing, steps);
      committed = true;
      warnings.push(...replay(join(changing[0]!.target.dir, JOURNAL_FILE), steps, session));
    }
    warnings.push(...session.release());
    return { targets: plans.map((plan) => plan.summary), recovered, warnings };
  } catch (err) {
    session.abandon(committed);
    if (committed) {
      throw new OutputError(`the new output is committed but not fully in place: ${(err as Error).message}. `
        + `The next synth completes it (journal ${JOURNAL_FILE} in ${ordered[0]!.label}/ or its sibling output), once the cause is fixed.`, 1, true);
    }
    if (typeof (err as NodeJS.ErrnoException).code === 'string' && !(err instanceof OutputError)) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied: check who owns the output folders and their modes'
        : code === 'EROFS' ? 'the file system is read-only' : 'a file system error';
      throw new OutputError(`cannot write the output (${why}): ${(err as Error).message}`);
    }
    throw err;
  }
}

/**
 * Completes or rolls back what an interrupted run left in `folders` (and in any folder its journal
 * names): what a synth does at its start, under the folders' locks.
 * @returns one line per folder it did something in
 */
export function recoverOutputs(folders: readonly { dir: string; label: string }[], options: WriteOptions = {}): string[] {
  const steps = options.steps ?? new FileSteps();
  const session = new LockSession(steps, options);
  try {
    for (const folder of folders) if (existsSync(folder.dir)) session.lock(folder.dir, folder.label, false);
    const notes = recoverInterrupted(folders, steps, session);
    session.release();
    return notes;
  } catch (err) {
    session.abandon(false);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Previewing: what a write would change, without writing (`synth --check`, `npm run diff`)

/** What {@link writeOutputs} would change in one folder. */
export interface TargetPreview extends TargetSummary {
  /** The manifest would be rewritten although no file changes (a folder adopted, or edited by hand). */
  readonly manifestChanged: boolean;
  /** An interrupted synth left its journal here: the next synth completes it first. */
  readonly interrupted: boolean;
  /** The content a file has now, for a changed or removed file. */
  readonly before: (path: string) => string;
  /** The content synth would write, for an added or changed file. */
  readonly after: (path: string) => string;
}

/**
 * What {@link writeOutputs} would do to each target, read-only: no lock is taken and nothing is
 * written, so a synth running at the same time may make the answer outdated at once. Throws the
 * same {@link OutputError}s as a write for folders synth may not write to.
 */
export function previewOutputs(targets: readonly OutputTarget[]): TargetPreview[] {
  return targets.map((target) => {
    const plan = planTarget(target);
    return {
      ...plan.summary,
      manifestChanged: plan.puts.includes(OUTPUT_MANIFEST) && plan.puts.length + plan.removes.length === 1,
      interrupted: existsSync(join(target.dir, JOURNAL_FILE)),
      before: (path) => readFileSync(join(target.dir, path), 'utf8'),
      after: (path) => plan.contents.get(path) ?? '',
    };
  });
}

/** Whether a preview shows the folder differing from what a synth would leave. */
export function isOutdated(preview: TargetPreview): boolean {
  return preview.added.length + preview.changed.length + preview.removed.length > 0 || preview.manifestChanged || preview.interrupted;
}

// ---------------------------------------------------------------------------------------------
// Planning: what changes, read-only

interface TargetPlan {
  readonly target: OutputTarget;
  /** Files to move in from staging, the manifest last; relative paths. */
  readonly puts: readonly string[];
  readonly contents: ReadonlyMap<string, string>;
  readonly removes: readonly string[];
  readonly summary: TargetSummary;
}

function planTarget(target: OutputTarget): TargetPlan {
  const { dir, label } = target;
  const ownership = readOwnership(dir, label, target.adopt);
  const wanted = new Map(target.files.map((file) => [file.path, file.content]));
  for (const path of wanted.keys()) {
    if (!isOwnablePath(path)) throw new Error(`internal: synth may not write ${JSON.stringify(path)} into ${label}/`);
  }
  const removes = [...ownership.owned].filter((path) => !wanted.has(path) && exists(join(dir, path))).sort();
  const removing = new Set(removes);
  const added: string[] = [];
  const changed: string[] = [];
  for (const [path, content] of wanted) {
    const current = currentFile(dir, label, path, removing);
    if (current === undefined) {
      added.push(path);
    } else if (!ownership.owned.has(path)) {
      throw new OutputError(`${label}/${path} exists and synth did not write it (${label}/${OUTPUT_MANIFEST} does not list it), `
        + 'but synth now generates a file there: move it away and run again. synth never overwrites a file it did not write.');
    } else if (current !== content) {
      changed.push(path);
    }
  }
  const manifest = manifestText([...wanted.keys()].sort());
  const puts = [...added, ...changed].sort();
  const manifestPath = join(dir, OUTPUT_MANIFEST);
  if (puts.length + removes.length > 0 || !existsSync(manifestPath) || readFileSync(manifestPath, 'utf8') !== manifest) {
    puts.push(OUTPUT_MANIFEST);
  }
  const contents = new Map(wanted).set(OUTPUT_MANIFEST, manifest);
  const kept = listFiles(dir).filter((path) => !ownership.owned.has(path) && !path.startsWith(RESERVED_PREFIX) && !wanted.has(path)).length;
  return {
    target,
    puts,
    contents,
    removes,
    summary: { label, added: added.sort(), changed: changed.sort(), removed: removes, kept, adopted: ownership.source === 'adopted' },
  };
}

/** The content of `dir/path` when it is a file, `undefined` when nothing is there; throws when something else is in the way. */
function currentFile(dir: string, label: string, path: string, removing: ReadonlySet<string>): string | undefined {
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i += 1) {
    const prefix = parts.slice(0, i).join('/');
    const stat = lstat(join(dir, prefix));
    if (stat === undefined) return undefined;
    if (!stat.isDirectory() && !removing.has(prefix)) {
      throw new OutputError(`${label}/${prefix} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'a file'} where synth needs a folder `
        + `(for ${label}/${path}): move it away and run again.`);
    }
    if (!stat.isDirectory()) return undefined;
  }
  const stat = lstat(join(dir, path));
  if (stat === undefined) return undefined;
  if (!stat.isFile()) {
    throw new OutputError(`${label}/${path} is ${stat.isDirectory() ? 'a folder' : 'not a regular file'} where synth writes a file: move it away and run again.`);
  }
  return readFileSync(join(dir, path), 'utf8');
}

// ---------------------------------------------------------------------------------------------
// Staging and the commit point

interface Journal {
  readonly generator: 'gateway-pki';
  readonly targets: ReadonlyArray<{ readonly dir: string; readonly removes: readonly string[]; readonly puts: readonly string[] }>;
}

/** Writes every new file to staging, then creates the journal: the commit point. */
function stage(plans: readonly TargetPlan[], steps: FileSteps): void {
  const journalFile = join(plans[0]!.target.dir, JOURNAL_FILE);
  const staged: string[] = [];
  try {
    for (const plan of plans) {
      const staging = join(plan.target.dir, STAGING_DIR);
      steps.mkdir(join(staging, STAGED_FILES));
      staged.push(staging);
      steps.createFile(join(staging, TRANSACTION_FILE), `${JSON.stringify({ journal: toPosix(relative(plan.target.dir, journalFile)) })}\n`);
      const made = new Set<string>();
      for (const path of plan.puts) {
        const folder = posix.dirname(path);
        if (folder !== '.' && !made.has(folder)) {
          steps.mkdir(join(staging, STAGED_FILES, folder));
          made.add(folder);
        }
        steps.createFile(join(staging, STAGED_FILES, path), plan.contents.get(path)!);
      }
    }
    const journal: Journal = {
      generator: 'gateway-pki',
      targets: plans.map((plan) => ({ dir: toPosix(relative(dirname(journalFile), plan.target.dir)) || '.', removes: plan.removes, puts: plan.puts })),
    };
    steps.createFile(join(dirname(journalFile), JOURNAL_TMP), `${JSON.stringify(journal, null, 2)}\n`);
  } catch (err) {
    // Nothing is committed: take back what was staged, quietly (the error is what matters).
    for (const staging of staged) ignore(() => steps.removeOwnTree(staging));
    ignore(() => existsSync(join(dirname(journalFile), JOURNAL_TMP)) && steps.unlink(join(dirname(journalFile), JOURNAL_TMP)));
    throw err;
  }
  steps.rename(join(dirname(journalFile), JOURNAL_TMP), journalFile);
}

/**
 * Does everything `journalFile` lists (again: each step is skipped when already done), then removes
 * it and the staging folders.
 * @returns what could not be cleaned up once the journal was done (the output is complete then)
 */
function replay(journalFile: string, steps: FileSteps, session: LockSession): string[] {
  const journal = readJournal(journalFile);
  const dirs = journal.targets.map((t) => resolve(dirname(journalFile), t.dir));
  for (const dir of dirs) session.lock(dir, dir, false);
  journal.targets.forEach((target, i) => {
    const dir = dirs[i]!;
    for (const path of target.removes) {
      if (exists(join(dir, path))) steps.unlink(join(dir, path));
      removeEmptyParents(dir, path, steps);
    }
    for (const path of target.puts) {
      const staged = join(dir, STAGING_DIR, STAGED_FILES, path);
      if (!existsSync(staged)) continue; // moved by the run this one completes
      const parent = dirname(join(dir, path));
      if (!existsSync(parent)) steps.mkdir(parent);
      steps.rename(staged, join(dir, path));
    }
  });
  steps.unlink(journalFile);
  const warnings: string[] = [];
  for (const dir of dirs) {
    try {
      if (existsSync(join(dir, STAGING_DIR))) steps.removeOwnTree(join(dir, STAGING_DIR));
    } catch (err) {
      warnings.push(`could not remove ${join(dir, STAGING_DIR)} (${(err as Error).message}): the output is complete; the next synth removes it`);
    }
  }
  return warnings;
}

function readJournal(file: string): Journal {
  const journal = JSON.parse(readFileSync(file, 'utf8')) as Journal;
  const valid = journal.generator === 'gateway-pki' && Array.isArray(journal.targets) && journal.targets.every((t) =>
    typeof t.dir === 'string' && [...t.removes, ...t.puts].every((p) => p === OUTPUT_MANIFEST || isOwnablePath(p)));
  if (!valid) throw new OutputError(`${file} is not a journal synth wrote: remove it by hand once you checked what it says`);
  return journal;
}

/** Removes the folders above `path` that its removal left empty, never `dir` itself nor a folder with anything in it. */
function removeEmptyParents(dir: string, path: string, steps: FileSteps): void {
  for (let folder = posix.dirname(path); folder !== '.'; folder = posix.dirname(folder)) {
    const abs = join(dir, folder);
    if (!existsSync(abs) || readdirSync(abs).length > 0) return;
    steps.rmdir(abs);
  }
}

// ---------------------------------------------------------------------------------------------
// Recovery

function recoverInterrupted(folders: readonly { dir: string; label: string }[], steps: FileSteps, session: LockSession): string[] {
  const notes: string[] = [];
  for (const { dir, label } of folders) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (name.startsWith(`${LOCK_FILE}.stale-`)) steps.unlink(join(dir, name)); // a lock takeover that was cut short
    }
    if (existsSync(join(dir, JOURNAL_FILE))) {
      notes.push(...replay(join(dir, JOURNAL_FILE), steps, session));
      notes.push(`${label}/: completed the switch to new output that an interrupted synth had committed`);
    }
    if (existsSync(join(dir, JOURNAL_TMP))) steps.unlink(join(dir, JOURNAL_TMP));
    const staging = join(dir, STAGING_DIR);
    if (!existsSync(staging)) continue;
    const journal = transactionJournal(staging, dir);
    if (journal !== undefined && existsSync(journal)) {
      notes.push(...replay(journal, steps, session));
      notes.push(`${label}/: completed the switch to new output that an interrupted synth had committed`);
    } else {
      steps.removeOwnTree(staging);
      notes.push(`${label}/: removed what an interrupted synth had staged (it had changed nothing)`);
    }
  }
  return notes;
}

function transactionJournal(staging: string, dir: string): string | undefined {
  try {
    const { journal } = JSON.parse(readFileSync(join(staging, TRANSACTION_FILE), 'utf8')) as { journal?: unknown };
    return typeof journal === 'string' ? resolve(dir, journal) : undefined;
  } catch {
    return undefined; // cut short before its transaction file was written: nothing was committed
  }
}

// ---------------------------------------------------------------------------------------------
// Locks and the folders a run created

class LockSession {
  private readonly held = new Map<string, HeldLock>();
  private readonly created: string[] = [];

  constructor(private readonly steps: FileSteps, private readonly options: WriteOptions) {}

  /** Takes the lock of `dir` unless held already; creates the folder first when `create` says so. */
  lock(dir: string, label: string, create: boolean): void {
    if (this.held.has(dir)) return;
    if (!existsSync(dir)) {
      if (!create) return;
      this.steps.mkdir(dir);
      this.created.push(dir);
    }
    this.held.set(dir, acquireLock(this.steps, dir, { timeoutMs: this.options.lockTimeoutMs, onWait: this.options.onWait, label }));
  }

  /** Gives every lock back; returns what could not be cleaned up. */
  release(): string[] {
    const warnings: string[] = [];
    for (const lock of this.held.values()) {
      try {
        releaseLock(this.steps, lock);
      } catch (err) {
        warnings.push(`could not remove the lock ${lock.file}: ${(err as Error).message}; remove it by hand`);
      }
    }
    this.held.clear();
    return warnings;
  }

  /** After a failure: locks back, and the folders this run created removed again when nothing was committed into them. */
  abandon(committed: boolean): void {
    this.release();
    if (committed) return;
    for (const dir of this.created.reverse()) ignore(() => existsSync(dir) && readdirSync(dir).length === 0 && this.steps.rmdir(dir));
  }
}

function exists(path: string): boolean {
  return lstat(path) !== undefined;
}

function lstat(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function toPosix(path: string): string {
  return path.split('\\').join('/');
}

function ignore(action: () => unknown): void {
  try {
    action();
  } catch {
    // best effort, see the caller
  }
}
