'use strict';
// `npm run synth|pki|validate -- ARGS`: runs build/<entry>.cjs, rebuilding build/ first only when
// an input changed (scripts/inputs.cjs), in this one process. Before, every `npm run synth` ran a
// second `npm run build` and esbuild: 2.2 s instead of 0.24 s on 2 cores, and each rebuild threw
// the V8 code cache away (scripts/launch.cjs).
//
// Two runs that both find build/ outdated build one after the other: build/.build.lock, created
// with O_EXCL, holds the builder's pid; the second waits, then finds build/ current. A lock whose
// process is gone is taken over.
const fs = require('node:fs');
const path = require('node:path');
const { isBuildCurrent } = require('./inputs.cjs');

const root = path.resolve(__dirname, '..');
const ENTRIES = ['synth', 'pki', 'validate'];
/** What a build writes and a run needs. */
const OUTPUTS = ['launch.cjs', 'synth.cjs', 'synth.bundle.cjs', 'pki.cjs', 'validate.cjs'];
const LOCK = path.join(root, 'build', '.build.lock');
const LOCK_WAIT_MS = 180_000;

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Removes the lock of `holder`, a build that was killed: renamed first to a name of our own (only
 * one waiter can rename a given file), then checked to be that lock and not one a live run created
 * meanwhile, which is put back. The same takeover as lib/output/lock.ts, which this script, run
 * before the build, cannot import.
 */
function takeOverStale(holder) {
  const mine = `${LOCK}.stale.${process.pid}`;
  try {
    fs.renameSync(LOCK, mine);
  } catch (err) {
    if (err.code === 'ENOENT') return true; // another waiter took it over first
    throw err;
  }
  if (Number.parseInt(fs.readFileSync(mine, 'utf8') || '0', 10) === holder) {
    fs.rmSync(mine, { force: true });
  } else {
    // A live lock created between our read and the rename: put it back unless yet another exists.
    try {
      fs.linkSync(mine, LOCK);
    } catch {
      // EEXIST: a newer lock is in place; ours is no longer needed.
    }
    fs.rmSync(mine, { force: true });
  }
  return true;
}

/** Takes build/.build.lock, waiting for a live holder; returns false when the wait timed out. */
function takeLock() {
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.writeFileSync(LOCK, `${process.pid}\n`, { flag: 'wx' });
      return true;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let holder;
    try {
      holder = Number.parseInt(fs.readFileSync(LOCK, 'utf8') || '0', 10);
    } catch (err) {
      if (err.code === 'ENOENT') continue; // released between our attempt and the read: try again
      throw err;
    }
    if (holder > 0 && !isAlive(holder) && takeOverStale(holder)) continue;
    if (Date.now() > deadline) return false;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

async function ensureBuilt() {
  if (isBuildCurrent(OUTPUTS)) return;
  if (!takeLock()) throw new Error(`another build has held ${LOCK} for ${LOCK_WAIT_MS / 1000} s; remove it if no build is running`);
  try {
    if (isBuildCurrent(OUTPUTS)) return; // built by the run we waited for
    process.stderr.write(`${process.argv[2]}: building build/ (first run, or the sources changed since the last build; a few seconds)\n`);
    const { buildAll } = await import('./build.mjs');
    await buildAll();
  } finally {
    fs.rmSync(LOCK, { force: true });
  }
}

async function main() {
  const [entry, ...args] = process.argv.slice(2);
  if (!ENTRIES.includes(entry)) {
    process.stderr.write(`scripts/run.cjs: expected one of ${ENTRIES.join(', ')}, got ${JSON.stringify(entry)}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    await ensureBuilt();
  } catch (err) {
    process.stderr.write(`${entry}: the build failed: ${err.message}\n`);
    process.exitCode = 1;
    return;
  }
  const bundle = path.join(root, 'build', `${entry}.cjs`);
  process.argv = [process.argv[0], bundle, ...args];
  require(bundle);
}

void main();
