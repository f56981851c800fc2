/**
 * The `--help` text of the commands (`synth`, `validate`, `pki` and its subcommands), in one shape:
 * the usage lines, what the command does, then one line per option, each with its default, so that
 * every command answers `--help` the same way and no option goes undocumented.
 */

/** One option of a command. */
export interface HelpOption {
  /** As typed, with its argument: `--config FILE`, `-h, --help`. */
  readonly flag: string;
  /** What it does, lowercase, one line. */
  readonly description: string;
  /**
   * Its default as the user would type it or read it: `config/platform.yaml`, `off`. Options that
   * must be given say `required`.
   */
  readonly default: string;
}

/** A command's help. */
export interface Help {
  /** The usage lines, without `usage: ` (the first gets it, the others are aligned under it). */
  readonly usage: readonly string[];
  /** What the command does: a few lines, each printed as is. */
  readonly summary: readonly string[];
  readonly options: readonly HelpOption[];
  /** More lines after the options (subcommands, exit codes). @default - none */
  readonly notes?: readonly string[];
}

/** The `-h, --help` option every command has. */
export const HELP_OPTION: HelpOption = { flag: '-h, --help', description: 'print this help and exit', default: 'off' };

/** The usage lines alone: what a command prints after a command-line error. */
export function formatUsage(usage: readonly string[]): string {
  return usage.map((line, index) => `${index === 0 ? 'usage: ' : '       '}${line}`).join('\n');
}

/** The whole help text, ending with a newline. */
export function formatHelp(help: Help): string {
  const width = Math.max(...help.options.map((option) => option.flag.length)) + 2;
  const options = help.options.map((option) => `  ${option.flag.padEnd(width)}${option.description} (default: ${option.default})`);
  return [
    formatUsage(help.usage),
    '',
    ...help.summary,
    '',
    'options:',
    ...options,
    ...(help.notes === undefined || help.notes.length === 0 ? [] : ['', ...help.notes]),
  ].join('\n') + '\n';
}
