/**
 * A small writer of HCL, for the configuration files Vault and OpenBao read (server configuration,
 * ACL policies): typed data in, `terraform fmt`-like text out.
 *
 * Only what those files use: string, number and boolean attributes, lists of them, and labelled
 * blocks. Vault parses its files with HCL 1, which has no interpolation: a value holding `${` or
 * `%{` is refused rather than escaped, since HCL 2 tools (and readers) would take it as a template.
 */

export type HclScalar = string | number | boolean;
export type HclValue = HclScalar | readonly HclScalar[];

/** A block: `type "label" … { body }`. */
export interface HclBlock {
  readonly type: string;
  readonly labels?: readonly string[];
  readonly body: HclBody;
  /** Comment lines written above the block (`# …`), one line each. @default [] */
  readonly comments?: readonly string[];
}

/** The body of a file or block, in order: attributes (`[name, value]`) and blocks. */
export type HclBody = ReadonlyArray<readonly [string, HclValue] | HclBlock>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Renders a body as HCL text, ending with a newline, after optional header comment lines. */
export function renderHcl(body: HclBody, header: readonly string[] = []): string {
  const lines = [...header.map(comment), ...(header.length > 0 && body.length > 0 ? [''] : []), ...writeBody(body, '')];
  return lines.join('\n') + '\n';
}

/** A `# …` comment line; line breaks inside are folded to spaces. */
function comment(text: string): string {
  return `# ${text.replace(/\s+/g, ' ').trim()}`;
}

function writeBody(body: HclBody, indent: string): string[] {
  const lines: string[] = [];
  let run: Array<readonly [string, HclValue]> = [];
  const flush = () => {
    // Consecutive attributes align their `=`, as `terraform fmt` does.
    const width = Math.max(...run.map(([name]) => name.length));
    for (const [name, value] of run) lines.push(`${indent}${name.padEnd(width)} = ${writeValue(value)}`);
    run = [];
  };
  for (const entry of body) {
    if (isBlock(entry)) {
      if (run.length > 0) flush();
      if (lines.length > 0) lines.push('');
      lines.push(...(entry.comments ?? []).map((text) => `${indent}${comment(text)}`));
      lines.push(`${indent}${[identifier(entry.type), ...(entry.labels ?? []).map(quote)].join(' ')} {`);
      lines.push(...writeBody(entry.body, `${indent}  `));
      lines.push(`${indent}}`);
    } else {
      if (run.length === 0 && lines.length > 0) lines.push('');
      identifier(entry[0]);
      run.push(entry);
    }
  }
  if (run.length > 0) flush();
  return lines;
}

function isBlock(entry: readonly [string, HclValue] | HclBlock): entry is HclBlock {
  return !Array.isArray(entry);
}

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`HCL: ${JSON.stringify(name)} is not an identifier`);
  return name;
}

function writeValue(value: HclValue): string {
  if (Array.isArray(value)) return `[${value.map((item) => writeValue(item)).join(', ')}]`;
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`HCL: ${value} is not a finite number`);
    return String(value);
  }
  return value ? 'true' : 'false';
}

function quote(text: string): string {
  if (text.includes('${') || text.includes('%{')) throw new Error(`HCL: ${JSON.stringify(text)} holds a template sequence`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new Error(`HCL: ${JSON.stringify(text)} holds a control character`);
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
