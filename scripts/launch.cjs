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

module.exports = function launch(bundleName) {
  const file = path.join(__dirname, bundleName);
  const cacheFile = `${file}.v8cache`;
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
