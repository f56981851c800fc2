/**
 * `acme.email` against what Let's Encrypt's Boulder refuses when cert-manager registers the
 * account (lib/config/check-acme.ts): each refusal at the field, with its line, the value and what
 * is expected; and the addresses Boulder accepts, accepted.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ACME_EMAIL_MAX_LABELS, acmeEmailProblem } from '../../lib/config/check-acme.js';
import { ConfigError, type ConfigProblem } from '../../lib/config/errors.js';
import { parseConfig } from '../../lib/config/load.js';
import { validateConfig } from '../../lib/config/validate.js';
import { EXAMPLE_CONFIG } from '../support/cli.js';
import { exampleWith } from '../support/example-config.js';

type Editable = any;

/** The example with real zones (`corp.dev`, `priv.corp.dev`) and `email` as the ACME contact. */
function withRealZones(email: string): unknown {
  return exampleWith((c: Editable) => {
    // Another company's zones, account and zone ids (the example's are refused outside example zones: check-leftovers.ts).
    const text = JSON.stringify(c).replaceAll('example.com', 'corp.dev').replaceAll('123456789012', '210987654321').replaceAll('EXAMPLE', 'CORPDEV');
    Object.assign(c, JSON.parse(text));
    c.acme.email = email;
  });
}

function problemsAt(config: unknown, path = 'acme.email'): ConfigProblem[] {
  return validateConfig(config).filter((problem) => problem.path === path);
}

describe('acme.email, as Let\'s Encrypt (Boulder) checks a contact', () => {
  it('starts from a configuration with real zones that has no problem', () => {
    expect(validateConfig(withRealZones('security@corp.dev'))).toEqual([]);
  });

  it.each([
    ['an internal top-level domain', 'ops@corp.internal', 'a domain that ends in a top-level domain of the IANA root zone, such as "security@corp.dev", got "ops@corp.internal" (".internal" is not one'],
    ['a typo in the top-level domain', 'ops@corp.dve', 'got "ops@corp.dve" (".dve" is not one'],
    ['the reserved .example top-level domain', 'ops@mail.example', '"contact email has invalid domain: Domain name does not end with a valid public suffix (TLD)"'],
    ['.local (mDNS)', 'ops@printer.local', '".local" is not one'],
    ['a single-label domain', 'ops@localhost', 'the domain "localhost" has a single label: Let\'s Encrypt refuses it'],
    ['example.com, reserved for examples', 'security@example.com', 'a mailbox of your own, such as "security@corp.dev", got "security@example.com" (Let\'s Encrypt refuses example.com, reserved for examples (RFC 2606)'],
    ['example.org, in capitals', 'ops@Example.ORG', 'Let\'s Encrypt refuses example.org'],
    ['example.net', 'ops@example.net', 'Let\'s Encrypt refuses example.net'],
    ['more than 10 labels', `ops@${'a.'.repeat(ACME_EMAIL_MAX_LABELS)}dev`, `a domain of at most ${ACME_EMAIL_MAX_LABELS} labels`],
    ['a reserved "--" label', 'ops@ab--cd.corp.dev', '"ab--cd" is reserved (RFC 5890 R-LDH)'],
    ['malformed punycode', 'ops@xn--a.corp.dev', '"xn--a" is not valid punycode'],
    ['a non-ASCII local part', 'sécurité@corp.dev', 'Let\'s Encrypt refuses non-ASCII characters in contact e-mails'],
    ['a question mark', 'ops?subject=x@corp.dev', 'where ?, # and % do not belong to the address'],
    ['a hash', 'ops#1@corp.dev', 'where ?, # and % do not belong to the address'],
    ['two dots in a row', 'first..last@corp.dev', 'dots only between other characters'],
  ])('refuses %s (%s), naming the field, the value and what is expected', (_name, email, message) => {
    const problems = problemsAt(withRealZones(email));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain(message);
    expect(problems[0]!.message).toMatch(/^expected an e-mail address /);
  });

  it.each([
    ['a subdomain of example.com (Boulder forbids the three domains exactly)', 'ops@mail.example.com'],
    ['a new generic top-level domain', 'ops@corp.engineering'],
    ['an internationalized top-level domain, in punycode', 'ops@corp.xn--qxam'],
    ['a punycode label', 'ops@xn--bcher-kva.corp.dev'],
    ['plus addressing and capitals', 'Sec.Ops+acme@Corp.DEV'],
    ['ten labels', `ops@${'a.'.repeat(ACME_EMAIL_MAX_LABELS - 1)}dev`],
  ])('accepts %s: %s', (_name, email) => {
    expect(problemsAt(withRealZones(email))).toEqual([]);
  });

  it('accepts @example.com while the public zone is an example domain itself: the example config is an illustration', () => {
    expect(problemsAt(exampleWith((c: Editable) => { c.acme.email = 'security@example.com'; }))).toEqual([]);
    expect(acmeEmailProblem('security@example.com', 'example.org')).toBeUndefined();
    expect(acmeEmailProblem('security@example.com', 'team.example.net')).toBeUndefined();
    expect(acmeEmailProblem('security@example.com', 'badexample.com')).toContain('a mailbox of your own');
  });

  it('leaves the example-domain comparison to the next run while the public zone is itself invalid', () => {
    const config = exampleWith((c: Editable) => { c.dns.publicZone.name = 'Example.COM'; });
    expect(problemsAt(config)).toEqual([]);
    expect(problemsAt(config, 'dns.publicZone.name')).toHaveLength(1);
  });

  it('still reports an unknown top-level domain without a valid public zone', () => {
    expect(acmeEmailProblem('ops@corp.lan', undefined)).toContain('".lan" is not one');
  });

  it('reports the refusal at the line of acme.email, exit-1 style, without a stack trace', () => {
    const text = readFileSync(EXAMPLE_CONFIG, 'utf8').replace('email: security@example.com', 'email: security@corp.internal');
    let error: unknown;
    try {
      parseConfig(text, 'platform.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const line = text.split('\n').findIndex((l) => l.includes('security@corp.internal')) + 1;
    expect((error as ConfigError).message).toContain(`acme.email (line ${line}): expected an e-mail address Let's Encrypt accepts`);
    expect((error as ConfigError).message).not.toMatch(/\n\s+at /);
  });

  it('reads the YAML the user wrote the same way (a stringified configuration)', () => {
    expect(() => parseConfig(stringify(withRealZones('ops@corp.dve')), 'platform.yaml')).toThrow(/acme\.email \(line \d+\): .*"\.dve" is not one/);
  });
});
