/**
 * A test hook for the crash-safety tests of the output commit (test/output/crash.test.ts): the
 * environment variable `GATEWAY_PKI_FAULT` makes the real synth command, at the numbered step of
 * lib/output/steps.ts,
 *
 * - `crash:N`: kill itself with SIGKILL before step N (no cleanup code runs, as in a power cut
 *   without the data loss, or an OOM kill);
 * - `pause:N:FILE`: wait before step N until FILE exists (a second synth can then be started
 *   while this one holds its locks);
 * - `trace:FILE`: append each step (`N operation`) to FILE.
 *
 * Unset, synth has no hook. Read by apps/synth.ts only.
 */
import { appendFileSync, existsSync } from 'node:fs';
import type { StepHook } from './steps.js';

export const FAULT_VARIABLE = 'GATEWAY_PKI_FAULT';

/** The hook `value` asks for; throws on a value of another form (a test typo must not pass silently). */
export function faultHook(value: string | undefined): StepHook | undefined {
  if (value === undefined || value === '') return undefined;
  const crash = /^crash:(\d+)$/.exec(value);
  if (crash) {
    const at = Number(crash[1]);
    return (step) => {
      if (step === at) process.kill(process.pid, 'SIGKILL');
    };
  }
  const pause = /^pause:(\d+):(.+)$/.exec(value);
  if (pause) {
    const [at, file] = [Number(pause[1]), pause[2]!];
    return (step) => {
      if (step !== at) return;
      const deadline = Date.now() + 60_000;
      while (!existsSync(file) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    };
  }
  const trace = /^trace:(.+)$/.exec(value);
  if (trace) return (step, operation) => appendFileSync(trace[1]!, `${step} ${operation}\n`);
  throw new Error(`${FAULT_VARIABLE}=${JSON.stringify(value)}: expected crash:N, pause:N:FILE or trace:FILE`);
}
