/**
 * Errors of the platform configuration: every problem found, each named by its path in the file.
 *
 * The CLI prints `err.message` of a {@link ConfigError} as is, so the message carries everything a
 * user needs (file, path, line, value received, what is expected) and no stack trace is shown.
 */

/** One thing wrong with the configuration. */
export interface ConfigProblem {
  /**
   * Where, as a path into the configuration: keys joined by '.', list indexes in brackets,
   * e.g. `clusters[0].workloadIdentity.oidcProviderArn`. A key that is not a plain identifier is
   * written as a JSON string in brackets (`organization["my key"]`). Empty for the whole file.
   */
  readonly path: string;
  /**
   * What is wrong, in the user's terms: lowercase, no trailing period, showing the value received,
   * what is expected and the likely fix, e.g. `expected a 12-digit AWS account id, got "12345"`.
   */
  readonly message: string;
  /** 1-based line in the file, when the problem comes from a file and the line is known. */
  readonly line?: number;
}

/** Longest rendering of a received value in a message, so one huge value does not bury the others. */
export const SHOWN_VALUE_MAX_LENGTH = 80;

/**
 * Thrown when the configuration cannot be used: it lists every problem, not only the first.
 *
 * The message reads:
 * ```
 * config/platform.yaml: configuration is invalid (2 problems):
 *   clusters[0].name (line 31): expected a DNS-1123 label (…), got "Prod_EU"
 *   aws.accountId (line 10): expected a 12-digit AWS account id as a string (quote it in YAML), got 1234
 * ```
 */
export class ConfigError extends Error {
  /** Every problem found, in the order the checks ran. */
  readonly problems: readonly ConfigProblem[];
  /** The file (or other origin) of the configuration, as given by the caller. */
  readonly source: string;

  /**
   * @param source the configuration file as the user named it, first word of the message
   * @param problems what is wrong; at least one
   */
  constructor(source: string, problems: readonly ConfigProblem[]) {
    super(formatConfigError(source, problems));
    this.name = 'ConfigError';
    this.source = source;
    this.problems = problems;
  }
}

/**
 * Thrown when the configuration file cannot be read at all (missing, a directory, no permission).
 *
 * A {@link ConfigError} with one problem about the whole file, so callers catch one type; only the
 * message is shorter: `config/platform.yaml: cannot read the configuration file: no such file`.
 */
export class ConfigReadError extends ConfigError {
  /**
   * @param source the file as the user named it
   * @param reason why it cannot be read, e.g. `no such file (check the path)`
   */
  constructor(source: string, reason: string) {
    const problem: ConfigProblem = { path: '', message: `cannot read the configuration file: ${reason}` };
    super(source, [problem]);
    this.name = 'ConfigReadError';
    this.message = `${source}: ${problem.message}`;
  }
}

/** The message of a {@link ConfigError}: a summary line, then one indented line per problem. */
export function formatConfigError(source: string, problems: readonly ConfigProblem[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map(formatProblem);
  const more = problems.length - shown.length;
  return [
    `${source}: configuration is invalid (${count}):`,
    ...shown,
    ...(more > 0 ? [`  and ${more} more (the first ${MAX_PROBLEMS_SHOWN} are listed; fix them and run again)`] : []),
  ].join('\n');
}

/**
 * Most problems listed in a message: past that (a file of another kind, a section pasted at the
 * wrong depth), the first ones say what is wrong and the rest would only scroll them away.
 */
export const MAX_PROBLEMS_SHOWN = 50;

/**
 * One problem as a line of the message: `  path (line N): message`. A problem about the whole file
 * (empty path) reads `  line N: message`.
 */
export function formatProblem(problem: ConfigProblem): string {
  const line = problem.line === undefined ? undefined : `line ${problem.line}`;
  const where = problem.path === ''
    ? line
    : line === undefined ? problem.path : `${problem.path} (${line})`;
  return where === undefined ? `  ${problem.message}` : `  ${where}: ${problem.message}`;
}

/** A key or a list index, one step of a {@link ConfigProblem.path}. */
export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * Writes path segments the way {@link ConfigProblem.path} shows them.
 * @example formatPath(['clusters', 0, 'name']) // 'clusters[0].name'
 */
export function formatPath(segments: readonly PathSegment[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') {
      path += `[${segment}]`;
    } else if (PLAIN_KEY.test(segment)) {
      path += path === '' ? segment : `.${segment}`;
    } else {
      path += `[${JSON.stringify(segment)}]`;
    }
  }
  return path;
}

/**
 * Reads a path written by {@link formatPath} back into its segments; the inverse of formatPath.
 * @example parsePath('clusters[0].name') // ['clusters', 0, 'name']
 */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  const step = /\.?([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  let index = 0;
  while (index < path.length) {
    step.lastIndex = index;
    const match = step.exec(path);
    if (!match) {
      throw new Error(`not a configuration path: ${JSON.stringify(path)}`);
    }
    if (match[1] !== undefined) {
      segments.push(match[1]);
    } else if (match[2] !== undefined) {
      segments.push(Number(match[2]));
    } else {
      segments.push(JSON.parse(match[3]!) as string);
    }
    index = step.lastIndex;
  }
  return segments;
}

/**
 * Shows a value received from the configuration in a message: strings and scalars JSON-quoted
 * (`"Prod_EU"`, `1234`, `true`, `null`), lists and mappings named then shown (`a list ["a"]`), all
 * cut to about {@link SHOWN_VALUE_MAX_LENGTH} characters (a long string keeps its start and its end
 * around a '…' and gives its length).
 */
export function showValue(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  if (typeof value === 'string') {
    if (value.length <= SHOWN_VALUE_MAX_LENGTH) {
      return JSON.stringify(value);
    }
    // Keep both ends: the start says what the value is, the end often holds the mistake (an ARN's id).
    const head = value.slice(0, Math.ceil(SHOWN_VALUE_MAX_LENGTH * 0.6));
    const tail = value.slice(value.length - Math.floor(SHOWN_VALUE_MAX_LENGTH * 0.4) + 1);
    return `${JSON.stringify(`${head}…${tail}`)} (${value.length} characters)`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return String(value);
  }
  const json = truncate(safeJson(value));
  if (Array.isArray(value)) {
    return value.length === 0 ? 'an empty list []' : `a list ${json}`;
  }
  if (typeof value === 'object') {
    return Object.keys(value).length === 0 ? 'an empty mapping {}' : `a mapping ${json}`;
  }
  return `a ${typeof value}`;
}

function truncate(text: string): string {
  return text.length <= SHOWN_VALUE_MAX_LENGTH ? text : `${text.slice(0, SHOWN_VALUE_MAX_LENGTH - 1)}…`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // Only a cyclic object gets here; YAML aliases can build one.
    return '[…]';
  }
}
