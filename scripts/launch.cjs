'use strict';
// Starts a bundled entry (build/<name>.bundle.cjs) with a V8 code cache kept beside it
// (<bundle>.v8cache), so that every run after the first skips parsing and compiling the 2 MB
// bundle: about a quarter of synth's wall time on 2 cores. The cache is only an optimisation:
// V8 rejects one that does not match the bundle or the Node version, and it is then rebuilt.
// (Node 22's module.enableCompileCache() does the same for ordinary modules; we run on Node 20.)
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

// The cache is named by the bundle's hash (scripts/build.mjs): V8 accepts a cache whose source
// merely has the same length, so a cache of another build must never be offered to it.
module.exports = function launch(bundleName, bundleHash) {
  const file = path.join(__dirname, bundleName);
  const cacheFile = `${file}.${bundleHash}.v8cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined; // first run: compile, then write the cache at exit
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // Created at exit, so that the functions the run compiled lazily are in the cache too.
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile); // atomic: parallel runs never read a half-written cache
        for (const old of fs.readdirSync(__dirname)) {
          if (old.startsWith(`${bundleName}.`) && old.endsWith('.v8cache') && path.join(__dirname, old) !== cacheFile) fs.rmSync(path.join(__dirname, old), { force: true });
        }
      } catch {
        fs.rmSync(tmp, { force: true }); // read-only build folder: run without a cache
      }
    });
  }
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
};
