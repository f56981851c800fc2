/**
 * Credentials pasted into the configuration (lib/config/check-credentials.ts): reported at their
 * field, and never shown in any message, theirs or another check's.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lib/config/validate.js';
import { exampleWith } from '../support/example-config.js';

// Made up, of each credential's form.
const VAULT_TOKEN = 'hvs.CAESIJm2c2pYd0xR7aQhZ2vWnT5bKkUe3LfG';
const LEGACY_TOKEN = 's.Qf1s5zigZ4OX6akYjQXJC1jY';
const ACCESS_KEY = 'AKIAZ7EXAMPLEKEYID42';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const GITHUB_TOKEN = `ghp_${'a1B2c3D4e5'.repeat(4)}`;
const PEM_KEY = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIFAKE\n-----END EC PRIVATE KEY-----\n';

describe('credentials in the configuration', () => {
  it.each([
    ['a Vault token as the organization name', (c: any) => { c.organization.name = VAULT_TOKEN; }, 'organization.name', 'a Vault token'],
    ['a legacy Vault token as a namespace', (c: any) => { c.applications[0].namespace = LEGACY_TOKEN; }, 'applications[0].namespace', 'a Vault token (legacy form)'],
    ['an AWS access key id as the ACME e-mail', (c: any) => { c.acme.email = ACCESS_KEY; }, 'acme.email', 'an AWS access key id'],
    ['an AWS secret key as a suppression reason', (c: any) => {
      c.validation = { suppressions: [{ rule: 'TF-009', reason: SECRET_KEY }] };
    }, 'validation.suppressions[0].reason', 'an AWS secret access key'],
    ['a GitHub token as the Flux GitRepository', (c: any) => { c.clusters[0].flux = { gitRepository: GITHUB_TOKEN }; }, 'clusters[0].flux.gitRepository', 'a GitHub token'],
    ['a PEM key in an application service name', (c: any) => { c.applications[1].service.name = PEM_KEY; }, 'applications[1].service.name', 'a private key (PEM)'],
  ])('reports %s at its field, never showing it', (_name, edit, path, what) => {
    // GIVEN
    const config = exampleWith(edit);
    // WHEN
    const problems = validateConfig(config);
    // THEN the credential is named at its field, and no message anywhere holds it, or its start
    const atField = problems.filter((p) => p.path === path);
    expect(atField.map((p) => p.message)).toContainEqual(expect.stringContaining(`this looks like ${what} (not shown): a secret never goes in the configuration`));
    const secret = JSON.stringify(config).match(/hvs\.[^"]+|s\.Qf1s[^"]+|AKIA[A-Z0-9]+|wJalr[^"]+|ghp_[^"]+|MHcCAQEEIFAKE/)![0];
    for (const problem of problems) expect(problem.message).not.toContain(secret.slice(0, 12));
  });

  it('names a credential in a field whose own message merely mentions a Secret', () => {
    const problems = validateConfig(exampleWith((c) => { c.vault.auth.appRole.secretRef = { name: 'vault-approle', key: SECRET_KEY }; }));
    expect(problems.filter((p) => p.path === 'vault.auth.appRole.secretRef.key').map((p) => p.message))
      .toEqual([expect.stringContaining('this looks like an AWS secret access key (not shown)')]);
  });

  it('lets the field\'s own check speak when it already refuses the value without showing it', () => {
    const problems = validateConfig(exampleWith((c) => { c.vault.auth.appRole.secretRef = 'hvs.CAESIJm2c2pYd0xR7aQhZ2vWnT5bKkUe3LfG'; }));
    expect(problems.map((p) => p.path)).toEqual(['vault.auth.appRole.secretRef']);
    expect(problems[0]!.message).toContain('not shown');
    expect(problems[0]!.message).not.toContain('hvs.');
  });

  it('accepts what only resembles a credential: hex digests, UUIDs, ARNs, base64 without / or +', () => {
    expect(validateConfig(exampleWith((c) => {
      c.organization.name = 'AKIA Holdings';
      // 40 letters and digits of both cases, without / or +: not an AWS secret key.
      c.validation = { suppressions: [{ rule: 'TF-009', reason: 'Z0123456789examplePUBZ0123456789EXAMPLEa' }] };
    }))).toEqual([]);
  });
});
