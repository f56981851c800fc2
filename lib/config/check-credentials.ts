/**
 * Credentials pasted into the configuration: reported at their field, never shown. The
 * configuration is committed and its problems are printed in CI logs, so a token or a key found
 * there is already exposed; the message says where it belongs instead, and every other problem's
 * message at that field has the value replaced, so that no output of ours repeats it.
 */
import { formatPath, type PathSegment } from './errors.js';
import { isMapping, type Problems } from './rules.js';

/** What a credential looks like, most specific first, with what to do instead. */
const CREDENTIALS: ReadonlyArray<{ readonly what: string; readonly pattern: RegExp }> = [
  { what: 'a private key (PEM)', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/ },
  { what: 'a Vault token', pattern: /\b(?:hv[sbr])\.[A-Za-z0-9_-]{20,}/ },
  { what: 'a Vault token (legacy form)', pattern: /^s\.[A-Za-z0-9]{24}$/ },
  { what: 'an AWS access key id', pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/ },
  // 40 characters of base64 with at least one "/" or "+": the form of an AWS secret access key.
  { what: 'an AWS secret access key', pattern: /^(?=[A-Za-z0-9/+]*[/+])(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9/+]{40}$/ },
  { what: 'a GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})/ },
];

const REDACTED = '[the value, not shown]';

/**
 * Reports every string of `raw` that looks like a credential, and redacts it from the other
 * problems. Call once every other check has run.
 */
export function checkCredentials(problems: Problems, raw: unknown): void {
  const found: string[] = [];
  const visit = (value: unknown, path: PathSegment[]): void => {
    if (typeof value === 'string') {
      const credential = CREDENTIALS.find(({ pattern }) => pattern.test(value));
      if (credential !== undefined) found.push(value);
      const at = formatPath(path);
      // A field whose own check already refused the value as a secret (its message says it is not
      // shown, or names the private key) keeps that one problem; any other problem there (the value
      // is no DNS label either) gives way to this one.
      if (credential !== undefined && !problems.list.some((p) => p.path === at && /not shown|private key/i.test(redact(p.message, value, '')))) {
        for (let i = problems.list.length - 1; i >= 0; i -= 1) if (problems.list[i]!.path === at) problems.list.splice(i, 1);
        problems.add(path, `this looks like ${credential.what} (not shown): a secret never goes in the configuration, which is committed `
          + 'and printed in problems like this one; revoke it, and give the tools it belongs to their own secret store '
          + '(a Kubernetes Secret, Secrets Manager, VAULT_TOKEN in the environment)');
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index]));
    } else if (isMapping(value)) {
      for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
    }
  };
  visit(raw, []);
  if (found.length === 0) return;
  // The other checks ran first and may quote the value (`expected …, got "hvs.…"`).
  for (const problem of problems.list) {
    for (const value of found) {
      if (problem.message.includes(value.slice(0, 24))) {
        (problem as { message: string }).message = redact(problem.message, value);
      }
    }
  }
}

/** `message` with `value`, and any shortened quotation of it, replaced. */
function redact(message: string, value: string, replacement = REDACTED): string {
  let out = message.split(JSON.stringify(value)).join(replacement).split(value).join(replacement);
  // Long values are quoted shortened (`"abc…xyz" (120 characters)`): drop any quotation of their start.
  out = out.replace(new RegExp(`"${escapeRegExp(JSON.stringify(value).slice(1, 25))}[^"]*"`, 'g'), replacement);
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
