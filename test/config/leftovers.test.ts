import { describe, expect, it } from 'vitest';
import { isOutsideExample } from '../../lib/config/check-leftovers.js';
import { validateConfig } from '../../lib/config/validate.js';
import { EXAMPLE, exampleWith } from '../support/example-config.js';

/** The example made another company's: its zones only, everything else left as it was. */
function acme(edit: (config: any) => void = () => {}): unknown {
  return exampleWith((config) => {
    config.dns.publicZone.name = 'acme.io';
    config.dns.privateZone.name = 'priv.acme.io';
    config.vault.address = 'https://vault.priv.acme.io:8200';
    config.acme.email = 'security@acme.io';
    for (const application of config.applications) application.hostname = application.hostname.replace(/example\.com$/, 'acme.io');
    edit(config);
  });
}

const leftovers = (config: unknown) => validateConfig(config).filter((problem) => /left over from the example/.test(problem.message));

describe('example leftovers', () => {
  it('are accepted in the example itself, whose zones are documentation domains', () => {
    expect(validateConfig(EXAMPLE)).toEqual([]);
    expect(isOutsideExample({ publicZone: 'example.org', privateZone: 'corp.example.net' })).toBe(false);
  });

  it('are the documentation account id and the EXAMPLE zone ids once the zones are the user\'s, each at its field', () => {
    // WHEN
    const problems = leftovers(acme());
    // THEN
    const paths = problems.map((problem) => problem.path);
    expect(paths).toContain('aws.accountId');
    expect(paths).toContain('dns.publicZone.hostedZoneID');
    expect(paths).toContain('dns.privateZone.hostedZoneID');
    expect(problems.find((problem) => problem.path === 'aws.accountId')!.message).toBe(
      'expected your own AWS account id, got "123456789012" (123456789012 is the account id of AWS\'s documentation, '
        + 'left over from the example, while the zones (acme.io and priv.acme.io) are your own: give the id of your account)');
    expect(problems.find((problem) => problem.path === 'dns.publicZone.hostedZoneID')!.message).toBe(
      'expected the id of your own Route53 hosted zone, got "Z0123456789EXAMPLEPUB" (the example\'s zone id, '
        + 'left over from the example, while the zones (acme.io and priv.acme.io) are your own: give the id Route53 shows for the zone)');
  });

  it('include the documentation account id inside an ARN', () => {
    // WHEN
    const problems = leftovers(acme((config) => { config.aws.accountId = '210987654321'; }));
    // THEN: the account id itself is fixed; the ARNs that embed the old one are still named
    expect(problems.map((problem) => problem.path)).not.toContain('aws.accountId');
    const arns = problems.filter((problem) => /arn:aws/.test(problem.message));
    expect(arns.length).toBeGreaterThan(0);
    for (const problem of arns) expect(problem.message).toMatch(/^expected your own AWS account id, got "arn:aws[^"]*:123456789012:/);
  });

  it('are reported as soon as one zone is the user\'s', () => {
    const problems = leftovers(exampleWith((config) => {
      config.dns.publicZone.name = 'acme.io';
      for (const application of config.applications) application.hostname = application.hostname.replace(/example\.com$/, 'acme.io');
    }));
    expect(problems.map((problem) => problem.path)).toContain('aws.accountId');
  });

  it('are not reported for the user\'s own values', () => {
    // GIVEN: every string holding the documentation id or an EXAMPLE zone id replaced
    const config = acme((c) => {
      const replace = (value: unknown): unknown => {
        if (typeof value === 'string') return value.replaceAll('123456789012', '210987654321').replace(/EXAMPLE(PUB|PRV)$/, 'ACME$1');
        if (Array.isArray(value)) return value.map(replace);
        if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]));
        return value;
      };
      Object.assign(c, replace(c));
    });
    expect(leftovers(config)).toEqual([]);
  });
});
