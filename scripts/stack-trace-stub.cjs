'use strict';
// Replaces cdktf's lib/tokens/private/stack-trace.js in the synth bundle. cdktf captures a full
// stack trace for every token it creates (tens of thousands of frames per synth), only to quote it
// in the message of a token that fails to resolve. Our stacks resolve or synth fails with cdktf's
// own message; the trace is not worth a tenth of synth's time. Tests run the unbundled sources.
exports.captureStackTrace = function captureStackTrace() {
  return [];
};
