'use strict';
// What the bundles in build/ are made from, and whether they are up to date with it: read by
// scripts/run.cjs before every `npm run synth` (so that a synth rebuilds only when an input
// changed) and written by scripts/build.mjs after every build.
//
// Two fingerprints, both in build/.inputs.json:
// - `stat`: every input's path, size and modification time: a few milliseconds to compute, the
//   answer of nearly every run;
// - `content`: a SHA-256 of every input's path and bytes, computed only when `stat` differs (a
//   checkout or a `touch` changes times, not always content): when it still matches, `stat` is
//   refreshed and no build is needed.
// Both include the Node.js version (the bundle targets it, and its code cache is only valid for it).
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
/**
 * Folders and files the bundles are built from, relative to the project's root: the sources, the
 * build script and what it puts into the bundles (not the bench or the import script).
 */
const INPUTS = [
  'apps', 'lib', 'imports', 'package-lock.json', 'tsconfig.json',
  'scripts/build.mjs', 'scripts/launch.cjs', 'scripts/archiver-stub.cjs', 'scripts/stack-trace-stub.cjs', 'scripts/inputs.cjs',
];
const RECORD = path.join(root, 'build', '.inputs.json');

/** Every input file, relative and sorted, with its stat. */
function inputFiles() {
  const files = [];
  const visit = (rel) => {
    const abs = path.join(root, rel);
    let stat;
    try {
      stat = fs.statSync(abs);
    } catch {
      return; // an optional input that does not exist (tsconfig.json in a stripped copy)
    }
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(abs).sort()) visit(`${rel}/${name}`);
    } else if (stat.isFile()) {
      files.push({ rel, stat });
    }
  };
  for (const input of INPUTS) visit(input);
  return files;
}

function statFingerprint(files) {
  const hash = crypto.createHash('sha256').update(process.version);
  for (const { rel, stat } of files) hash.update(`\0${rel}\0${stat.size}\0${stat.mtimeMs}`);
  return hash.digest('hex');
}

function contentFingerprint(files) {
  const hash = crypto.createHash('sha256').update(process.version);
  for (const { rel } of files) hash.update(`\0${rel}\0`).update(fs.readFileSync(path.join(root, rel)));
  return hash.digest('hex');
}

function readRecord() {
  try {
    return JSON.parse(fs.readFileSync(RECORD, 'utf8'));
  } catch {
    return undefined;
  }
}

function writeRecord(record) {
  const tmp = `${RECORD}.${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(record)}\n`);
  fs.renameSync(tmp, RECORD);
}

/**
 * Whether build/ holds bundles of the current inputs, and each of `outputs` (paths relative to
 * build/) exists.
 */
function isBuildCurrent(outputs) {
  const record = readRecord();
  if (!record || !outputs.every((output) => fs.existsSync(path.join(root, 'build', output)))) return false;
  const files = inputFiles();
  const stat = statFingerprint(files);
  if (record.stat === stat) return true;
  if (record.content !== contentFingerprint(files)) return false;
  try {
    writeRecord({ ...record, stat }); // same content, new times: answer from stat next time
  } catch {
    // A read-only build folder: still current, only slower to tell.
  }
  return true;
}

/** Records the inputs the bundles were just built from (call after a build, before anything changes them). */
function recordBuild(files = inputFiles()) {
  writeRecord({ stat: statFingerprint(files), content: contentFingerprint(files) });
}

module.exports = { inputFiles, isBuildCurrent, recordBuild };
