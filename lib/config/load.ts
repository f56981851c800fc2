/**
 * Loading the platform configuration: file → YAML document → validated {@link PlatformConfig}, with
 * the files it names (the Vault CA bundle, when given as `vault.caBundleFile`; the roots to
 * distribute, `trust.rootsFile`; the issuing CAs' certificates, `vault.pki.issuers[].certificateFile`).
 *
 * Every failure, from a missing file to a wrong field or a private key in the CA bundle, becomes a
 * {@link ConfigError} whose message names the file, the path and the line, so the CLI only prints
 * `err.message`.
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, type YAMLError } from 'yaml';
import { readCaBundle, readTrustRoots, trustRootsOfCaBundle } from './ca-bundle.js';
import { caChainProblems } from './check-ca-chain.js';
import { ConfigError, type ConfigProblem, ConfigReadError, formatPath, parsePath, type PathSegment, showValue } from './errors.js';
import { type IssuingCertificates, readIssuingCertificates } from './issuing-ca.js';
import type { PlatformConfig } from './types.js';
import { CONFIG_SECTIONS, validateConfig, type ValidateOptions } from './validate.js';
import { type ConfigWarning, configWarnings } from './warnings.js';

/** The validated configuration and the content of the files it names. */
export interface LoadedPlatform {
  readonly config: PlatformConfig;
  /**
   * The certificates of `vault.caBundleFile`, in file order, each block normalized to
   * `-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n` (comments dropped): the Vault
   * ClusterIssuer's `caBundle`, before base64.
   *
   * `undefined` when the configuration gives `vault.caBundleSecretRef` instead: cert-manager then
   * reads the CA bundle from that Secret in the cluster, and no file is read.
   */
  readonly vaultCaBundle: string | undefined;
  /**
   * The root CA certificates that trust-manager distributes: the self-signed certificates of
   * `trust.rootsFile`, or without it of `vault.caBundleFile`, in file order, normalized like
   * {@link vaultCaBundle}. Never an intermediate; at least one certificate.
   */
  readonly trustRoots: string;
  /**
   * The issuing CAs signed so far, by issuer name: the certificates of each existing
   * `vault.pki.issuers[].certificateFile`, checked (lib/config/issuing-ca.ts) and normalized, the
   * issuing CA first. An issuer without a file is absent: it awaits `npm run pki -- sign-issuing`.
   */
  readonly issuingCertificates: IssuingCertificates;
  /** Settings with no effect (lib/config/warnings.ts): synth prints them and still writes its output. */
  readonly warnings: readonly ConfigWarning[];
}

/**
 * Reads, parses and validates the configuration file and the files it names, relative to the
 * file's directory: the CA bundle (`vault.caBundleFile`; none with `vault.caBundleSecretRef`) and
 * the roots file (`trust.rootsFile`; without it, the roots are those of the CA bundle, not read
 * again), then, once everything else is valid, the issuing CAs' certificate files. What synth uses.
 * @param file path of the YAML file, as the user gave it (it starts every error message)
 * @throws ConfigError listing every problem with its line, those of the files among them (at
 * `vault.caBundleFile`, `trust.rootsFile`, `vault.pki.issuers[i].certificateFile`); {@link ConfigReadError} when the configuration
 * file cannot be read
 */
export function loadPlatform(file: string): LoadedPlatform {
  return parsePlatform(readConfigFile(file), file, dirname(file));
}

/**
 * Parses and validates configuration text and the files it names; see {@link loadPlatform}.
 * @param text the YAML text
 * @param source where the text comes from, used in messages (a file name)
 * @param baseDir directory that `vault.caBundleFile` and `trust.rootsFile` are relative to (that of the configuration file)
 * @throws ConfigError listing every problem
 */
export function parsePlatform(text: string, source: string, baseDir: string): LoadedPlatform {
  let vaultCaBundle: string | undefined;
  let trustRoots = '';
  let issuingCertificates: IssuingCertificates = {};
  const config = parseAndValidate(text, source, {
    checkCaBundle: (caBundleFile) => {
      const bundle = readCaBundle(join(baseDir, caBundleFile));
      vaultCaBundle = bundle.pem;
      return bundle.problems;
    },
    // Called after checkCaBundle, and for the CA bundle only when that one is sound.
    checkTrustRoots: (file, from) => {
      const roots = from === 'rootsFile'
        ? readTrustRoots(join(baseDir, file))
        : trustRootsOfCaBundle(vaultCaBundle ?? '', join(baseDir, file));
      trustRoots = roots.pem;
      return roots.problems;
    },
    // The chains read above must be those made for this configuration.
    checkCaChains: (valid) => caChainProblems(valid, [
      ...(valid.vault.caBundleFile !== undefined && valid.vault.caBundleSecretRef === undefined && vaultCaBundle !== undefined
        ? [{ path: ['vault', 'caBundleFile'], file: join(baseDir, valid.vault.caBundleFile), pem: vaultCaBundle, checkNameConstraints: true }]
        : []),
      ...(valid.trust?.rootsFile !== undefined
        ? [{ path: ['trust', 'rootsFile'], file: join(baseDir, valid.trust.rootsFile), pem: trustRoots, checkNameConstraints: false }]
        : []),
    ]),
    // Each issuing CA must chain to what clients trust: the CA bundle, or the roots with a bundle in a Secret.
    checkIssuingCertificates: (valid) => {
      const read = readIssuingCertificates(valid, baseDir, vaultCaBundle ?? trustRoots);
      issuingCertificates = read.certificates;
      return read.problems;
    },
  });
  return { config, vaultCaBundle, trustRoots, issuingCertificates, warnings: configWarnings(config) };
}

/**
 * Reads, parses and validates the configuration file, without reading the files it names (the CA
 * bundle is not checked: use {@link loadPlatform} to synthesize).
 * @param file path of the YAML file, as the user gave it (it starts every error message)
 * @throws ConfigError listing every problem with its line; {@link ConfigReadError} when the file cannot be read
 */
export function loadConfig(file: string): PlatformConfig {
  return parseConfig(readConfigFile(file), file);
}

/**
 * Parses and validates configuration text, without reading the files it names (see
 * {@link parsePlatform}). YAML errors (syntax, duplicate keys, several documents, unknown tags) are
 * reported alone, since fields of a broken document cannot be trusted; otherwise each problem of
 * {@link validateConfig} gets the line of its field, or of the nearest enclosing field present in
 * the file when it is missing.
 * @param text the YAML text
 * @param source where the text comes from, used in messages (a file name)
 * @throws ConfigError listing every problem
 */
export function parseConfig(text: string, source: string): PlatformConfig {
  return parseAndValidate(text, source, {});
}

/** Largest configuration file read: the example is a few KB; past this, it is not the right file. */
export const CONFIG_FILE_MAX_BYTES = 1024 * 1024;

function readConfigFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigReadError(file, readErrorReason(err));
  }
  const problem = notConfigText(bytes);
  if (problem !== undefined) throw new ConfigReadError(file, problem);
  return bytes.toString('utf8');
}

/**
 * Why `bytes` cannot be a configuration file (one problem, rather than the dozens YAML would
 * report about binary or UTF-16 text), or `undefined`.
 */
export function notConfigText(bytes: Buffer): string | undefined {
  if (bytes.length > CONFIG_FILE_MAX_BYTES) {
    return `the file is ${(bytes.length / 1024 / 1024).toFixed(1)} MiB, expected a YAML configuration of a few KB (at most 1 MiB): is it the right file?`;
  }
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) ? 'UTF-16 LE' : (bytes[0] === 0xfe && bytes[1] === 0xff) ? 'UTF-16 BE' : undefined;
  if (utf16 !== undefined) return `the file is ${utf16} text (it starts with that byte order mark), expected UTF-8: save it as UTF-8`;
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    // ASCII text in UTF-16 without a byte order mark: every other byte is NUL.
    const pairs = Math.min(bytes.length >> 1, 64);
    let zeros = 0;
    for (let i = 0; i < pairs * 2; i += 1) if (bytes[i] === 0) zeros += 1;
    return zeros >= pairs / 2
      ? 'the file looks like UTF-16 text (every other byte is NUL), expected UTF-8: save it as UTF-8'
      : `the file is not text (a NUL byte at offset ${nul}), expected a YAML configuration`;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return 'the file is not UTF-8 text (an invalid byte sequence; Latin-1 or Windows-1252?), expected UTF-8: save it as UTF-8';
  }
  return undefined;
}

function parseAndValidate(text: string, source: string, options: ValidateOptions): PlatformConfig {
  const lineCounter = new LineCounter();
  // prettyErrors off: messages are worded here, with the line, rather than with a source excerpt.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;

  const yamlProblems = [...doc.errors, ...doc.warnings]
    .sort((a, b) => a.pos[0] - b.pos[0])
    .map((error): ConfigProblem => ({
      path: error.code === 'DUPLICATE_KEY' ? formatPath(pathAtKey(doc, error.pos[0]) ?? []) : '',
      message: yamlMessage(error),
      line: lineAt(error.pos[0]),
    }));
  if (yamlProblems.length > 0) {
    throw new ConfigError(source, yamlProblems);
  }

  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // yaml refuses documents whose aliases expand exponentially ("billion laughs").
    throw new ConfigError(source, [{ path: '', message: `cannot read the YAML document: ${lowerFirst((err as Error).message)}` }]);
  }
  // Nothing, only comments, or only `---`: all read as null.
  if (raw === null || raw === undefined) {
    throw new ConfigError(source, [{
      path: '',
      message: `the file is empty; expected a mapping with the sections ${CONFIG_SECTIONS.join(', ')}`,
      line: 1,
    }]);
  }

  const problems = validateConfig(raw, options);
  if (problems.length > 0) {
    throw new ConfigError(source, problems.map((problem) => {
      const hinted = withQuoteHint(problem, doc, text, raw);
      const line = lineOfPath(doc, parsePath(problem.path), lineAt);
      return line === undefined ? hinted : { ...hinted, line };
    }));
  }
  return raw as PlatformConfig;
}

/**
 * `problem` with the hint "quote it" when YAML read its value, written unquoted, as a number or a
 * boolean (`0000…0000` is the number 0, `yes` may be true, `1.20` is 1.2) and the same text as a
 * string would be valid there: the value is checked again, quoted, to know. Problems that already
 * say how to quote (aws.accountId, label values) are left as they are.
 */
function withQuoteHint(problem: ConfigProblem, doc: Document, text: string, raw: unknown): ConfigProblem {
  if (/quote it/.test(problem.message)) return problem;
  const segments = parsePath(problem.path);
  const node = nodeAtPath(doc, segments);
  if (!isScalar(node) || node.type !== Scalar.PLAIN || (typeof node.value !== 'number' && typeof node.value !== 'boolean')) return problem;
  const range = node.range;
  if (range === undefined || range === null) return problem;
  const written = text.slice(range[0], range[1]).trim();
  const quoted = structuredClone(raw);
  if (!setAtPath(quoted, segments, written)) return problem;
  if (validateConfig(quoted).some((other) => other.path === problem.path)) return problem;
  const hint = `YAML read ${showValue(written)} without quotes as the ${typeof node.value} ${String(node.value)}: quote it`;
  const message = problem.message.endsWith(')') ? `${problem.message.slice(0, -1)}; ${hint})` : `${problem.message} (${hint})`;
  return { ...problem, message };
}

/** The node at `segments`, aliases resolved, or `undefined` when the document has none there. */
function nodeAtPath(doc: Document, segments: readonly PathSegment[]): unknown {
  let node: unknown = doc.contents;
  for (const segment of segments) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => keyText(item.key) === String(segment));
      if (!pair) return undefined;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment];
    } else {
      return undefined;
    }
  }
  return isAlias(node) ? node.resolve(doc) : node;
}

/** Sets the value at `segments` of plain data; `false` when a step is missing. */
function setAtPath(data: unknown, segments: readonly PathSegment[], value: unknown): boolean {
  if (segments.length === 0) return false;
  let parent: unknown = data;
  for (const segment of segments.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return false;
    parent = (parent as Record<string | number, unknown>)[segment];
  }
  if (typeof parent !== 'object' || parent === null) return false;
  (parent as Record<string | number, unknown>)[segments[segments.length - 1]!] = value;
  return true;
}

function readErrorReason(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file; check the path';
    case 'EISDIR':
      return 'it is a directory; give the YAML file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return lowerFirst((err as Error).message);
  }
}

function yamlMessage(error: YAMLError): string {
  switch (error.code) {
    case 'DUPLICATE_KEY':
      return 'duplicate key: a key may appear only once in a mapping; keep one of them';
    case 'MULTIPLE_DOCS':
      return 'invalid YAML: the file holds several documents (a "---" separator); the configuration is one document';
    case 'TAG_RESOLVE_FAILED':
      return `unsupported YAML: ${lowerFirst(error.message)}; the configuration uses plain YAML values`;
    default:
      return `invalid YAML: ${lowerFirst(error.message)}`;
  }
}

function lowerFirst(message: string): string {
  const trimmed = message.replace(/\.$/, '');
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}

type Offsets = (offset: number) => number;

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function startOf(node: unknown): number | undefined {
  const range = (node as { range?: readonly number[] } | null)?.range;
  return range?.[0];
}

/**
 * Line of the node at `segments` in the document: the line of the last key found (or list item),
 * so a field that is missing points at the mapping that should hold it.
 */
function lineOfPath(doc: Document, segments: readonly PathSegment[], lineAt: Offsets): number | undefined {
  let node: unknown = doc.contents;
  let start = startOf(node);
  for (const segment of segments) {
    if (isAlias(node)) {
      node = node.resolve(doc);
    }
    if (isMap(node)) {
      const pair = node.items.find((item) => keyText(item.key) === String(segment));
      if (!pair) {
        break;
      }
      start = startOf(pair.key) ?? start;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment];
      start = startOf(node) ?? start;
    } else {
      break;
    }
  }
  return start === undefined ? undefined : lineAt(start);
}

/** Path of the map key that starts at `offset` (where yaml reports a duplicate key), if any. */
function pathAtKey(doc: Document, offset: number): PathSegment[] | undefined {
  const search = (node: unknown, path: PathSegment[]): PathSegment[] | undefined => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) {
          continue;
        }
        if (startOf(pair.key) === offset) {
          return [...path, keyText(pair.key)];
        }
        const found = search(pair.value, [...path, keyText(pair.key)]);
        if (found) {
          return found;
        }
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) {
        const found = search(item, [...path, index]);
        if (found) {
          return found;
        }
      }
    }
    return undefined;
  };
  return search(doc.contents, []);
}
