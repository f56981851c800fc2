/**
 * One synth at a time per output folder: a lock file created with `O_EXCL` (the file system
 * decides who gets it, atomically) holding the owner's pid and host.
 *
 * A lock whose process is gone (a synth killed with SIGKILL, a machine that rebooted) is stale:
 * the next synth on the same host sees that its pid is dead and takes it over. Taking over is a
 * rename of the stale file to a name of our own (only one contender can rename a given file),
 * after which we check that what we renamed is the stale lock we looked at and not a fresh one
 * another contender had just created; if it was fresh, it is put back. A lock held by a live
 * process is waited for, up to a timeout, then reported with its pid.
 */
import { hostname } from 'node:os';
import { linkSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { OutputError } from './errors.js';
import type { FileSteps } from './steps.js';

/** The lock file, inside the output folder it guards. */
export const LOCK_FILE = '.gateway-pki.lock';

/** How long a synth waits for another one to finish before giving up. @default 60 s */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

const POLL_MS = 50;

interface LockOwner {
  readonly pid: number;
  readonly host: string;
}

/** A lock this process holds. */
export interface HeldLock {
  readonly dir: string;
  readonly file: string;
}

export interface LockOptions {
  /** @default DEFAULT_LOCK_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** Told once when the lock is busy and we start waiting. @default - nothing is said */
  readonly onWait?: (message: string) => void;
  /** How `dir` is shown in messages. @default dir */
  readonly label?: string;
}

/** Takes the lock of the existing folder `dir`, waiting while a live synth holds it. */
export function acquireLock(steps: FileSteps, dir: string, options: LockOptions = {}): HeldLock {
  const file = join(dir, LOCK_FILE);
  const label = options.label ?? dir;
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  const me: LockOwner = { pid: process.pid, host: hostname() };
  let told = false;
  for (;;) {
    try {
      steps.createFile(file, `${JSON.stringify(me)}\n`, 0o644);
      return { dir, file };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(file);
    if (owner !== undefined && isStale(owner)) {
      breakStaleLock(file, owner);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = owner ? `synth (pid ${owner.pid} on ${owner.host})` : 'another synth';
      throw new OutputError(`${label}/ is locked by ${who} since before this run started. `
        + `If no synth is running, remove ${join(label, LOCK_FILE)} and run again.`);
    }
    if (!told) {
      told = true;
      options.onWait?.(`waiting for ${owner ? `synth (pid ${owner.pid})` : 'another synth'} to finish with ${label}/ …`);
    }
    sleep(POLL_MS);
  }
}

/** Gives the lock back. */
export function releaseLock(steps: FileSteps, lock: HeldLock): void {
  steps.unlink(lock.file);
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? { pid: owner.pid, host: owner.host } : undefined;
  } catch {
    // Gone since (its owner released it), or being written this instant: look again.
    return undefined;
  }
}

/** Whether the owner is certainly dead: same host, and no process has its pid. */
function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function breakStaleLock(file: string, stale: LockOwner): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // another contender took it first: start over
  }
  const renamed = readOwner(aside);
  if (renamed !== undefined && (renamed.pid !== stale.pid || renamed.host !== stale.host)) {
    // We moved a fresh lock that replaced the stale one meanwhile: give it back (link fails
    // rather than replace, should a third contender hold the name by now).
    try {
      linkSync(aside, file);
    } catch {
      // The name is taken again; its holder is the one to go first.
    }
  }
  unlinkSync(aside);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
