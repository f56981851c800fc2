import { stringify } from 'yaml';

/**
 * The YAML of `dist/`: block style, two-space indentation, no line folding, no anchors, and
 * strings quoted whenever a YAML 1.1 reader could take them for something else. Kubernetes and
 * Flux decode with go-yaml, where `no`, `on`, `y`, `1_000` or `2026-01-01` are not strings, while
 * the YAML 1.2 core schema would leave them bare (a namespace called `no` would reach the API
 * server as `false`).
 *
 * Structure is written here, which is an order of magnitude faster than building a `yaml`
 * Document for every object (a fifth of synth's time); a scalar that is not obviously plain
 * is handed to the `yaml` library, with the YAML 1.1 schema, so the quoting rules stay its own.
 */
export function toYaml(value: unknown): string {
  if (isMap(value) || Array.isArray(value)) return block(value, 0);
  return `${scalar(value, 0)}\n`;
}

/** Words a YAML 1.1 reader resolves to booleans or null, in every case form it accepts. */
const YAML11_WORDS = new Set(
  ['y', 'yes', 'n', 'no', 'true', 'false', 'on', 'off', 'null']
    .flatMap((w) => [w, w.toUpperCase(), w[0]!.toUpperCase() + w.slice(1)]),
);

/**
 * Strings written plain without asking the library: a letter or `_` or `/` first, then only
 * characters that mean nothing to YAML, and no word a YAML 1.1 reader would resolve.
 */
const OBVIOUSLY_PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;

/**
 * Integers with a radix prefix, which Go's `strconv.ParseInt(s, 0, 64)` (used by go-yaml) reads as
 * numbers but YAML 1.1 leaves as strings (`0o17`, `0X1F`).
 */
const GO_RADIX_INTEGER = /^[-+]?0[oObBxX][0-9a-fA-F_]+$/;

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmptyCollection(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isMap(value) && Object.keys(value).length === 0);
}

/** A mapping or sequence at `indent` spaces, one entry per line. */
function block(value: Record<string, unknown> | unknown[], indent: number): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return `${pad}[]\n`;
    return value.map((item) => {
      if ((isMap(item) || Array.isArray(item)) && !isEmptyCollection(item)) {
        // `- key: value` (or `- - item`) on the dash line, the rest aligned under it.
        return `${pad}- ${block(item, indent + 2).slice(indent + 2)}`;
      }
      return `${pad}- ${inline(item, indent + 2)}\n`;
    }).join('');
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return `${pad}{}\n`;
  return entries.map(([key, v]) => {
    const k = mappingKey(key);
    if (isMap(v) && !isEmptyCollection(v)) return `${pad}${k}:\n${block(v, indent + 2)}`;
    if (Array.isArray(v) && v.length > 0) return `${pad}${k}:\n${block(v, indent + 2)}`;
    return `${pad}${k}: ${inline(v, indent + 2)}\n`;
  }).join('');
}

/** A value written after `key: ` or `- `: a scalar, or an empty collection. */
function inline(value: unknown, indent: number): string {
  if (Array.isArray(value)) return '[]';
  if (isMap(value)) return '{}';
  return scalar(value, indent);
}

/** A mapping key: plain when obviously safe, else double-quoted on one line (never a block). */
function mappingKey(key: string): string {
  return OBVIOUSLY_PLAIN.test(key) && !YAML11_WORDS.has(key) ? key : doubleQuoted(key);
}

/**
 * A double-quoted scalar. JSON's escapes are YAML's, but JSON leaves some characters raw that
 * YAML may not carry raw: DEL and C1 controls, the BOM, and U+0085, U+2028, U+2029, which YAML
 * 1.1 reads as line breaks.
 */
function doubleQuoted(value: string): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One scalar; multi-line strings as literal blocks indented to `indent`. */
function scalar(value: unknown, indent: number): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') throw new Error(`cannot write a ${typeof value} as YAML`);
  if (OBVIOUSLY_PLAIN.test(value) && !YAML11_WORDS.has(value)) return value;
  if (GO_RADIX_INTEGER.test(value)) return doubleQuoted(value);
  if (value.includes('\n')) return literalBlock(value, indent);
  // The library decides plain or quoted, with the YAML 1.1 schema. It writes the scalar as a
  // document of its own, where some strings (`---x`) need a block; those go double-quoted here.
  const written = stringify(value, { version: '1.1', lineWidth: 0 }).replace(/\n$/, '');
  return written.includes('\n') || /^[|>]/.test(written) ? doubleQuoted(value) : written;
}

/**
 * `|` (one final newline), `|-` (none) or `|+` (several), indented to `indent`. Text that a
 * literal block cannot carry exactly without more indicators (only newlines, a first line
 * starting with a space, lines ending in spaces, tabs, carriage returns, other controls) is
 * written double-quoted instead.
 */
function literalBlock(value: string, indent: number): string {
  const firstLine = /^\n*([^\n]*)/.exec(value)![1]!;
  if (firstLine === '' || /^[ \t]/.test(firstLine) || /[ \t]\n/.test(value) || /[^\n -~\u00a0-\u2027\u202a-\ufefe]/.test(value)) {
    return doubleQuoted(value);
  }
  const trailing = /\n*$/.exec(value)![0].length;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const body = trailing === 0 ? value : value.slice(0, -1);
  const pad = ' '.repeat(indent);
  return `|${chomp}\n${body.split('\n').map((line) => (line === '' ? '' : pad + line)).join('\n')}`;
}
