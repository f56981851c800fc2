import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '../../lib/config/errors.js';
import { loadPlatform } from '../../lib/config/load.js';
import { EXAMPLE_CONFIG } from '../support/cli.js';
import { exampleWith } from '../support/example-config.js';
import { PkiFixtures } from './pki-fixtures.js';

const EXAMPLE_BUNDLE = readFileSync(join(EXAMPLE_CONFIG, '..', 'pki', 'ca-chain.pem'), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'gateway-pki-ca-chain-'));
const pki = new PkiFixtures();
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  pki.remove();
});

let count = 0;
/** A folder with the configuration and its `pki/ca-chain.pem`, and other files; returns the configuration file. */
function workspace(config: unknown, files: Readonly<Record<string, string>> = { 'pki/ca-chain.pem': EXAMPLE_BUNDLE }): string {
  count += 1;
  const dir = join(scratch, `w${count}`);
  mkdirSync(join(dir, 'pki'), { recursive: true });
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
  writeFileSync(join(dir, 'platform.yaml'), stringify(config));
  return join(dir, 'platform.yaml');
}

function problemsOf(file: string) {
  try {
    loadPlatform(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

describe('the CA chain named by the configuration', () => {
  it('is the example\'s for the example', () => {
    expect(problemsOf(workspace(exampleWith(() => {})))).toEqual([]);
  });

  it('must carry organization.name, else names the file, the CA and the fix', () => {
    // GIVEN
    const file = workspace(exampleWith((config) => { config.organization.name = 'Acme GmbH'; }));
    // WHEN
    const problems = problemsOf(file);
    // THEN
    const bundle = join(file, '..', 'pki', 'ca-chain.pem');
    expect(problems).toEqual([{
      path: 'vault.caBundleFile',
      line: expect.any(Number),
      message: `expected the CA chain of this configuration, got ${bundle} made for another one: `
        + 'the CA "Example Corp Intermediate CA" has O=Example Corp where organization.name is "Acme GmbH"; '
        + 'the CA "Example Corp Root CA" has O=Example Corp where organization.name is "Acme GmbH" '
        + '(run `npm run pki -- init` to make the PKI of this configuration (`npm run pki -- init --force` replaces the one '
        + 'already in pki.directory), then synth again)',
    }]);
  });

  it('must be name-constrained to the private zone, with the leftovers of the example reported at once', () => {
    // GIVEN: another company's zones, the example's account id and chain kept
    const file = workspace(exampleWith((config) => {
      config.dns.publicZone.name = 'acme.io';
      config.dns.privateZone.name = 'priv.acme.io';
      config.vault.address = 'https://vault.priv.acme.io:8200';
      config.acme.email = 'security@acme.io';
      for (const application of config.applications) application.hostname = application.hostname.replace(/example\.com$/, 'acme.io');
    }));
    // WHEN
    const problems = problemsOf(file);
    // THEN
    expect(problems.map((problem) => problem.path)).toContain('aws.accountId');
    const chain = problems.find((problem) => problem.path === 'vault.caBundleFile');
    expect(chain?.message).toMatch(/^expected the CA chain of this configuration, got .*ca-chain\.pem made for another one: the CA "Example Corp Intermediate CA" is name-constrained to priv\.example\.com, cluster\.local, which does not cover dns\.privateZone\.name "priv\.acme\.io" nor the host of vault\.address "vault\.priv\.acme\.io" \(run `npm run pki -- init`/);
  });

  it('does not judge certificates without an organization, nor CAs without name constraints', () => {
    // GIVEN: another PKI's chain, CN only, no name constraints
    const { intermediate, root } = pki.intermediate('Corp Intermediate', 'Corp Root');
    const file = workspace(exampleWith((config) => { config.organization.name = 'Acme GmbH'; }), { 'pki/ca-chain.pem': intermediate + root });
    // THEN
    expect(problemsOf(file).filter((problem) => problem.path === 'vault.caBundleFile')).toEqual([]);
  });

  it('includes trust.rootsFile, whose roots must carry organization.name too', () => {
    // GIVEN: a bundle without O, and the example's root as the roots to distribute
    const { intermediate, root } = pki.intermediate('Corp Intermediate', 'Corp Root');
    const exampleRoot = EXAMPLE_BUNDLE.split(/(?<=-----END CERTIFICATE-----\n)/)[1]!;
    const file = workspace(exampleWith((config) => {
      config.organization.name = 'Acme GmbH';
      config.trust = { rootsFile: 'pki/roots.pem' };
    }), { 'pki/ca-chain.pem': intermediate + root, 'pki/roots.pem': exampleRoot });
    // WHEN
    const problems = problemsOf(file);
    // THEN
    expect(problems.map((problem) => problem.path)).toEqual(['trust.rootsFile']);
    expect(problems[0]!.message).toMatch(/the CA "Example Corp Root CA" has O=Example Corp where organization\.name is "Acme GmbH"/);
  });
});
