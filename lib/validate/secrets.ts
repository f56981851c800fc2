/**
 * The `secret/...` checks: no secret material in the output, which is committed (`dist/`) or
 * handed to Terraform (`cdktf.out/`). Every string value of every object and stack is scanned,
 * long base64 values decoded and scanned too (a key hides in a `caBundle` as easily as a
 * certificate), then every file's text, for what the values do not show (comments, files that do
 * not parse).
 *
 * | rule                          | what                                                                   |
 * |-------------------------------|------------------------------------------------------------------------|
 * | `secret/private-key`          | a PEM private key (`-----BEGIN ... PRIVATE KEY-----`); certificates are fine |
 * | `secret/vault-token`          | `hvs.`/`hvb.`/`hvr.` tokens; a legacy `s.` + 24 characters in a field named like a token |
 * | `secret/aws-key`              | access key ids (`AKIA`/`ASIA` + 16); 40-character base64 values mixing cases and digits (secret access keys) |
 * | `secret/approle-secret-id`    | a UUID in a field named like `secretId`, `secret_id`, `secret-id`; role ids are not secret |
 * | `secret/secret-object`        | a `Secret` with `data` or `stringData`                                 |
 *
 * Messages never repeat the secret: a prefix at most, and the length.
 */
import { objectId, type Finding, type ValidationInput } from './findings.js';
import { formatPath, type PathSegment } from '../config/errors.js';
import { terraformBlocks } from './terraform.js';

/** Shorter base64 values are not decoded: 64 is one line of PEM, and a shorter key is no key. */
export const MIN_DECODED_LENGTH = 64;

const PRIVATE_KEY = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----(?:\s|\\[nr])*([A-Za-z0-9+/=]{0,16})/g;
const VAULT_TOKEN = /(?<![\w.-])hv[sbr]\.[A-Za-z0-9_-]{20,}/g;
const LEGACY_VAULT_TOKEN = /^s\.[A-Za-z0-9]{24}$/;
const LEGACY_VAULT_TOKEN_IN_TEXT = /token["']?[ \t]*[:=][ \t]*["']?(s\.[A-Za-z0-9]{24})(?![A-Za-z0-9])/gi;
const AWS_ACCESS_KEY_ID = /(?<![A-Za-z0-9+/])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9+/])/g;
const AWS_SECRET_ACCESS_KEY = /^[A-Za-z0-9/+]{40}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const APPROLE_SECRET_ID_IN_TEXT = /secret[-_]?id["']?[ \t]*[:=][ \t]*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/gi;
const TOKEN_FIELD = /token/i;
const SECRET_ID_FIELD = /secret[-_]?id$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** One secret found: its rule, a key to recognise it again in the file's text, and the message. */
interface Hit {
  readonly rule: string;
  readonly token: string;
  readonly message: string;
  /** Offset in the text scanned, for the line number of text findings. */
  readonly index: number;
}

const THROUGH_EXTERNAL_SECRET = 'secrets reach the cluster through an ExternalSecret, never through the repository';
const NO_AWS_KEYS = 'AWS rights come from IRSA or Pod Identity, never from keys';

/** `hvs.CAES…` (97 characters): enough to recognise, not enough to use. */
function redact(value: string, keep: number): string {
  return `${value.slice(0, keep)}… (${value.length} characters)`;
}

/** What the text-level detectors find in `text`, wherever it sits. */
function scanText(text: string): Hit[] {
  const hits: Hit[] = [];
  for (const m of text.matchAll(PRIVATE_KEY)) {
    const header = `-----BEGIN ${m[1]}PRIVATE KEY${m[2] ?? ''}-----`;
    hits.push({ rule: 'secret/private-key', token: `${header}${m[3]}`, index: m.index, message: `PEM private key (${header}): remove it and replace the key; keys are generated where they are used (cert-manager, Vault, npm run pki)` });
  }
  for (const m of text.matchAll(VAULT_TOKEN)) {
    hits.push({ rule: 'secret/vault-token', token: m[0], index: m.index, message: `Vault token ${redact(m[0], 4)}: revoke it and remove it; ${THROUGH_EXTERNAL_SECRET}` });
  }
  for (const m of text.matchAll(LEGACY_VAULT_TOKEN_IN_TEXT)) {
    hits.push({ rule: 'secret/vault-token', token: m[1]!, index: m.index, message: `Vault token ${redact(m[1]!, 2)}: revoke it and remove it; ${THROUGH_EXTERNAL_SECRET}` });
  }
  for (const m of text.matchAll(AWS_ACCESS_KEY_ID)) {
    hits.push({
      rule: 'secret/aws-key', token: m[0], index: m.index,
      message: `AWS access key id ${m[0].slice(0, 4)}…${m[0].slice(-4)}: deactivate it and remove it; ${NO_AWS_KEYS}`,
    });
  }
  for (const m of text.matchAll(APPROLE_SECRET_ID_IN_TEXT)) {
    hits.push({ rule: 'secret/approle-secret-id', token: m[1]!.toLowerCase(), index: m.index, message: `AppRole secret id (a UUID): rotate it and remove it; ${THROUGH_EXTERNAL_SECRET}` });
  }
  return hits;
}

/** What the detectors find in one string value, read from a field named `field`. */
function scanValue(value: string, field: string | undefined): Hit[] {
  const hits = scanText(value);
  const trimmed = value.trim();
  if (field !== undefined && TOKEN_FIELD.test(field) && LEGACY_VAULT_TOKEN.test(trimmed) && !hits.some((h) => h.token === trimmed)) {
    hits.push({ rule: 'secret/vault-token', token: trimmed, index: 0, message: `Vault token ${redact(trimmed, 2)} in field "${field}": revoke it and remove it; ${THROUGH_EXTERNAL_SECRET}` });
  }
  if (field !== undefined && SECRET_ID_FIELD.test(field) && UUID.test(trimmed) && !hits.some((h) => h.token === trimmed.toLowerCase())) {
    hits.push({ rule: 'secret/approle-secret-id', token: trimmed.toLowerCase(), index: 0, message: `AppRole secret id (a UUID) in field "${field}": rotate it and remove it; ${THROUGH_EXTERNAL_SECRET}` });
  }
  if (AWS_SECRET_ACCESS_KEY.test(trimmed) && /[A-Z]/.test(trimmed) && /[a-z]/.test(trimmed) && /[0-9]/.test(trimmed)) {
    hits.push({
      rule: 'secret/aws-key', token: trimmed, index: 0,
      message: `value looks like an AWS secret access key (40 base64 characters mixing cases and digits): deactivate it and remove it; ${NO_AWS_KEYS}`,
    });
  }
  const compact = value.replace(/\s+/g, '');
  if (compact.length > MIN_DECODED_LENGTH && BASE64.test(compact)) {
    for (const hit of scanText(Buffer.from(compact, 'base64').toString('latin1'))) {
      hits.push({ ...hit, token: `base64:${hit.token}`, index: 0, message: `base64-encoded ${hit.message}` });
    }
  }
  return hits;
}

/**
 * Every string of `value` with its path and the name of its field. In a `{ name, value }` pair
 * (an environment variable), the field of `value` is the `name`: `VAULT_TOKEN`, `SECRET_ID`.
 */
function walkStrings(value: unknown, visit: (s: string, path: PathSegment[], field: string | undefined) => void, path: PathSegment[] = [], field?: string): void {
  if (typeof value === 'string') {
    visit(value, path, field);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => walkStrings(v, visit, [...path, i], field));
  } else if (typeof value === 'object' && value !== null) {
    const named = typeof (value as any).name === 'string' ? (value as any).name as string : undefined;
    for (const [k, v] of Object.entries(value)) walkStrings(v, visit, [...path, k], k === 'value' && named ? named : k);
  }
}

/** Every `secret/...` finding of `input`. */
export function checkSecrets(input: ValidationInput): Finding[] {
  const findings: Finding[] = [];
  /** Tokens already reported per file from its values, so that the text scan does not report them again. */
  const seen = new Map<string, Set<string>>();
  const report = (file: string, object: string | undefined, path: string | undefined, hit: Hit) => {
    if (!seen.has(file)) seen.set(file, new Set());
    seen.get(file)!.add(hit.token);
    const f: Finding = { rule: hit.rule, severity: 'error', file, message: hit.message };
    findings.push({ ...f, ...(object !== undefined && { object }), ...(path && { path }) });
  };

  for (const { file, object } of input.manifests) {
    const id = objectId(object);
    walkStrings(object, (s, path, field) => {
      for (const hit of scanValue(s, field)) report(file, id, formatPath(path), hit);
    });
    if (object?.apiVersion === 'v1' && object?.kind === 'Secret') {
      for (const field of ['data', 'stringData']) {
        const data = object[field];
        if (typeof data !== 'object' || data === null || Object.keys(data).length === 0) continue;
        findings.push({
          rule: 'secret/secret-object', severity: 'error', file, object: id, path: field,
          message: `Secret with ${field} (keys: ${Object.keys(data).sort().join(', ')}): ${THROUGH_EXTERNAL_SECRET}`,
        });
      }
    }
  }

  for (const { file, stack } of input.terraform) {
    for (const block of terraformBlocks(stack)) {
      walkStrings(block.value, (s, path, field) => {
        for (const hit of scanValue(s, field ?? block.keys.at(-1))) report(file, block.address, formatPath(path) || undefined, hit);
      });
    }
  }

  for (const [file, text] of input.files) {
    const known = seen.get(file) ?? new Set<string>();
    for (const hit of scanText(text)) {
      if (known.has(hit.token)) continue;
      known.add(hit.token);
      const line = text.slice(0, hit.index).split('\n').length;
      findings.push({ rule: hit.rule, severity: 'error', file, message: `line ${line}: ${hit.message}` });
    }
  }
  return findings;
}
