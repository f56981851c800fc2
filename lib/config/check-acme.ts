/**
 * `acme.email`: an address Let's Encrypt registers. A well-formed address can still be refused by
 * Boulder, Let's Encrypt's CA, when cert-manager registers the ACME account in the cluster: long
 * after synth, as a ClusterIssuer that never becomes ready. Checked here against what Boulder
 * refuses (letsencrypt/boulder, 2026-08: `wfe2/wfe.go` contactsToEmails, `policy/pa.go`
 * ValidEmail and validNonWildcardDomain):
 *
 * - the local part: non-ASCII characters, `?` and `#` (the contact is read as a `mailto:` URL);
 * - the domain (lowercased): more than 10 labels, a reserved `??--` label other than punycode
 *   `xn--`, malformed punycode, a name that does not end in an ICANN top-level domain;
 * - the domains of RFC 2606 examples, `example.com`, `example.net` and `example.org` exactly
 *   (not their subdomains), "frequently used when copy-pasting example configurations".
 *
 * Boulder matches the domain against the ICANN section of the Public Suffix List; we check its last
 * label against the IANA root zone (the `tlds` package, 16 KB instead of the whole list), which
 * the ICANN section follows. What that cannot see: an address at a public suffix itself
 * (`ops@co.uk`), which Boulder also refuses ("Domain name is an ICANN TLD").
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import IANA_TLDS from 'tlds' with { type: 'json' };
import { expectedGot } from './rules.js';

/** Most labels in a domain Boulder accepts (`maxLabels` in policy/pa.go). */
export const ACME_EMAIL_MAX_LABELS = 10;

/** Boulder's `forbiddenMailDomains`: the RFC 2606 second-level example domains, matched exactly. */
export const ACME_FORBIDDEN_EMAIL_DOMAINS: readonly string[] = ['example.com', 'example.net', 'example.org'];

const EXPECTED = 'an e-mail address Let\'s Encrypt accepts for the ACME account';

/** RFC 5322 `atext` without what Boulder's mailto: parsing refuses (`?`, `#`) or decodes (`%`). */
const LOCAL_PART = /^[A-Za-z0-9!$&'*+\-/=^_`{|}~]+(?:\.[A-Za-z0-9!$&'*+\-/=^_`{|}~]+)*$/;

let tlds: ReadonlySet<string> | undefined;

/** The IANA top-level domains as they appear in DNS: internationalized ones in punycode. */
function ianaTlds(): ReadonlySet<string> {
  tlds ??= new Set(IANA_TLDS.map((tld) => domainToASCII(tld)).filter((tld) => tld !== ''));
  return tlds;
}

/** Whether `domain` is one of the RFC 2606 example domains or a name below one (`priv.example.com`). */
function isExampleDomain(domain: string): boolean {
  return ACME_FORBIDDEN_EMAIL_DOMAINS.some((example) => domain === example || domain.endsWith(`.${example}`));
}

/**
 * The problem Let's Encrypt would have with `email`, an address {@link isEmail} accepts, or
 * `undefined`. `publicZone` is `dns.publicZone.name` when valid: while it is an example domain
 * itself, the whole configuration is an illustration (no one can hold that zone), so an
 * `@example.com` address is the example's and not refused; with a real zone it is the copy-paste
 * slip Boulder's list is there for. Without a valid zone (reported at its own field) that
 * comparison waits for the next run.
 */
export function acmeEmailProblem(email: string, publicZone: string | undefined): string | undefined {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).toLowerCase();
  const suggestion = publicZone === undefined ? '' : `, such as "security@${publicZone}"`;

  if (!LOCAL_PART.test(local)) {
    return expectedGot(`${EXPECTED}: before the @, ASCII letters, digits, dots and ${'!$&\'*+-/=^_`{|}~'}`, email,
      /[^\x20-\x7e]/.test(local) ? 'Let\'s Encrypt refuses non-ASCII characters in contact e-mails'
        : /[?#%]/.test(local) ? 'Let\'s Encrypt reads the address as a mailto: URL, where ?, # and % do not belong to the address'
          : 'dots only between other characters, one at a time');
  }
  const labels = domain.split('.');
  if (labels.length > ACME_EMAIL_MAX_LABELS) {
    return expectedGot(`${EXPECTED}: a domain of at most ${ACME_EMAIL_MAX_LABELS} labels`, email,
      `it has ${labels.length}; Let's Encrypt refuses longer names`);
  }
  for (const label of labels) {
    if (label.slice(2, 4) !== '--') continue;
    if (!label.startsWith('xn--')) {
      return expectedGot(`${EXPECTED}: no label with "--" as its third and fourth characters except punycode "xn--"`, email,
        `"${label}" is reserved (RFC 5890 R-LDH); Let's Encrypt refuses it`);
    }
    const unicode = domainToUnicode(label);
    if (unicode === '' || unicode === label || domainToASCII(unicode) !== label) {
      return expectedGot(`${EXPECTED}: punycode labels that decode`, email, `"${label}" is not valid punycode; Let's Encrypt refuses it`);
    }
  }
  const tld = labels[labels.length - 1]!;
  if (!ianaTlds().has(tld)) {
    return expectedGot(`${EXPECTED}: a domain that ends in a top-level domain of the IANA root zone${suggestion}`, email,
      `".${tld}" is not one, nor are internal names such as .local, .internal, .corp or .example; Let's Encrypt refuses it: `
      + '"contact email has invalid domain: Domain name does not end with a valid public suffix (TLD)"');
  }
  if (ACME_FORBIDDEN_EMAIL_DOMAINS.includes(domain) && publicZone !== undefined && !isExampleDomain(publicZone)) {
    return expectedGot(`${EXPECTED}: a mailbox of your own${suggestion}`, email,
      `Let's Encrypt refuses ${domain}, reserved for examples (RFC 2606): "contact email has forbidden domain"`);
  }
  return undefined;
}
