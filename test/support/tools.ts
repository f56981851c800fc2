import { execFileSync, spawnSync } from 'node:child_process';

/** The path of a command on PATH, or undefined. */
export function findTool(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface ToolResult {
  readonly status: number | null;
  /** stdout and stderr, in that order. */
  readonly output: string;
}

/** Runs a tool and returns its exit status and output, whatever the status. */
export function runTool(tool: string, args: readonly string[], input?: string): ToolResult {
  const result = spawnSync(tool, args, { encoding: 'utf8', input, timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
