/**
 * Every change synth makes to the file system, one numbered step at a time.
 *
 * The output commit (lib/output/commit.ts) does all its writes, renames and removals through
 * {@link FileSteps}, so that a test can stop the real command before any given step (a SIGKILL,
 * not a thrown error that cleanup code could catch) and prove that whatever step it dies at, the
 * next start finds the old output or the new one, never a mix. Nothing else changes files.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';

/** Called before each step, with its number (from 1) and what it is about to do. */
export type StepHook = (step: number, operation: string) => void;

export class FileSteps {
  private count = 0;

  /** @param hook called before every step; @default - no hook */
  constructor(private readonly hook?: StepHook) {}

  /** How many steps were taken (or started) so far. */
  get taken(): number {
    return this.count;
  }

  /** Creates `dir` and its missing parents. */
  mkdir(dir: string): void {
    this.step(`mkdir ${dir}`);
    mkdirSync(dir, { recursive: true });
  }

  /**
   * Creates `file` with `content`, failing if it exists (`O_EXCL`: two writers never share one),
   * and flushes it to disk before it is renamed into place.
   */
  createFile(file: string, content: string, mode = 0o644): void {
    this.step(`create ${file}`);
    const fd = openSync(file, 'wx', mode);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Moves `from` to `to` in one step, replacing a file at `to` (rename(2) is atomic on one file system). */
  rename(from: string, to: string): void {
    this.step(`rename ${from} ${to}`);
    renameSync(from, to);
  }

  /** Removes the file `file`. */
  unlink(file: string): void {
    this.step(`unlink ${file}`);
    unlinkSync(file);
  }

  /** Removes the empty folder `dir` (fails when it is not empty: nothing in it is lost). */
  rmdir(dir: string): void {
    this.step(`rmdir ${dir}`);
    rmdirSync(dir);
  }

  /** Removes `dir` and everything in it: only for folders synth itself created and filled (staging). */
  removeOwnTree(dir: string): void {
    this.step(`rm -r ${dir}`);
    rmSync(dir, { recursive: true, force: true });
  }

  private step(operation: string): void {
    this.count += 1;
    this.hook?.(this.count, operation);
  }
}
