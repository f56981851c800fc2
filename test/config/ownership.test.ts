/**
 * Names and identities the platform owns (lib/config/check-ownership.ts): values valid alone that
 * collide with what synth generates or hand one section's identity to another.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type ConfigError, MAX_PROBLEMS_SHOWN } from '../../lib/config/errors.js';
import { assertValidConfig, validateConfig } from '../../lib/config/validate.js';
import { runSynth } from '../support/cli.js';
import { EXAMPLE, exampleWith, withSecondCluster } from '../support/example-config.js';
import { readTree } from '../support/tree.js';

// The example as plain data, edited as a user would edit the YAML.
type Editable = any;

describe('names and identities the platform owns, and values valid in form but wrong', () => {
  it('accepts the example, a second cluster with its own provider, and namespaces of the applications\' own', () => {
    expect(validateConfig(EXAMPLE)).toEqual([]);
    expect(validateConfig(exampleWith(withSecondCluster))).toEqual([]);
    expect(validateConfig(exampleWith((c) => { c.applications[0].namespace = 'team-echo'; c.clusters[0].gateways = { namespace: 'edge' }; }))).toEqual([]);
    // The backup namespace belongs to the backups only where they run.
    expect(validateConfig(exampleWith((c) => {
      withSecondCluster(c);
      c.applications[0].cluster = 'mycluster-1';
      c.applications[0].namespace = 'vault-backup';
    }))).toEqual([]);
  });

  const cases: ReadonlyArray<{ name: string; edit: (c: Editable) => void; path: string; message: string }> = [
    {
      name: 'a cluster is named vault: its stack would be vault-aws, the Vault servers\'',
      edit: (c) => { c.clusters[0].name = 'vault'; for (const a of c.applications) a.cluster = 'vault'; c.backup.cluster = 'vault'; },
      path: 'clusters[0].name',
      message: 'expected a cluster name whose stack, <name>-aws, is not one of the platform\'s, got "vault" (its stack would be vault-aws, the Vault servers\' stack',
    },
    {
      name: 'a cluster is named vault-backup',
      edit: (c) => { withSecondCluster(c); c.clusters[1].name = 'vault-backup'; },
      path: 'clusters[1].name',
      message: 'its stack would be vault-backup-aws, the backups\' stack: synth would write both into one folder',
    },
    {
      name: 'the private zone has the public zone\'s ID',
      edit: (c) => { c.dns.privateZone.hostedZoneID = c.dns.publicZone.hostedZoneID; },
      path: 'dns.privateZone.hostedZoneID',
      message: 'Vault\'s private record would be published in public DNS',
    },
    {
      name: 'two clusters share an OIDC provider',
      edit: (c) => { withSecondCluster(c); c.clusters[1].workloadIdentity.oidcProviderArn = c.clusters[0].workloadIdentity.oidcProviderArn; },
      path: 'clusters[1].workloadIdentity.oidcProviderArn',
      message: 'already clusters[0]\'s: each cluster\'s roles would trust the other cluster\'s service accounts',
    },
    ...['kube-system', 'kube-public', 'kube-node-lease', 'default'].map((namespace) => ({
      name: `an application in ${namespace}`,
      edit: (c: Editable) => { c.applications[0].namespace = namespace; },
      path: 'applications[0].namespace',
      message: `expected a namespace of the application's own, got "${namespace}" (owned by the Kubernetes system)`,
    })),
    ...[['flux-system', 'Flux'], ['cert-manager', 'cert-manager'], ['external-secrets', 'External Secrets'], ['x509-certificate-exporter', 'the certificate exporter'], ['vault-approle-rotation', 'the AppRole rotation jobs']]
      .map(([namespace, owner]) => ({
        name: `an application in ${namespace}, a platform namespace`,
        edit: (c: Editable) => { c.applications[1].namespace = namespace; },
        path: 'applications[1].namespace',
        message: `owned by ${owner}`,
      })),
    {
      name: 'an application in the Gateways\' namespace',
      edit: (c) => { c.applications[0].namespace = 'gateways'; },
      path: 'applications[0].namespace',
      message: 'owned by the cluster\'s Gateways and their certificates (clusters[].gateways.namespace)',
    },
    {
      name: 'an application in a renamed Gateways\' namespace',
      edit: (c) => { c.clusters[0].gateways = { namespace: 'edge' }; c.applications[0].namespace = 'edge'; },
      path: 'applications[0].namespace',
      message: 'owned by the cluster\'s Gateways',
    },
    {
      name: 'an application in the backups\' namespace of its cluster',
      edit: (c) => { c.applications[0].namespace = 'vault-backup'; },
      path: 'applications[0].namespace',
      message: 'owned by the Vault backups (backup.namespace)',
    },
    {
      name: 'the Gateways in kube-system',
      edit: (c) => { c.clusters[0].gateways = { namespace: 'kube-system' }; },
      path: 'clusters[0].gateways.namespace',
      message: 'expected a namespace of the Gateways\' own, got "kube-system" (owned by the Kubernetes system)',
    },
    {
      name: 'the Gateways in cert-manager\'s namespace',
      edit: (c) => { c.clusters[0].gateways = { namespace: 'cert-manager' }; },
      path: 'clusters[0].gateways.namespace',
      message: 'owned by cert-manager (the controllers layer)',
    },
    {
      name: 'the Gateways in the backups\' namespace',
      edit: (c) => { c.clusters[0].gateways = { namespace: 'vault-backup' }; },
      path: 'clusters[0].gateways.namespace',
      message: 'owned by the Vault backups (backup.namespace)',
    },
    {
      name: 'an application takes Vault\'s host name',
      edit: (c) => { c.applications[1].hostname = 'vault.priv.example.com'; },
      path: 'applications[1].hostname',
      message: 'expected a host name other than Vault\'s, got "vault.priv.example.com" (the host of vault.address',
    },
    {
      name: 'a private application on the private zone\'s apex',
      edit: (c) => { c.applications[1].hostname = 'priv.example.com'; },
      path: 'applications[1].hostname',
      message: 'expected a name below the private zone, got "priv.example.com" (the zone apex itself',
    },
    {
      name: 'the country is UK, which ISO 3166-1 does not assign',
      edit: (c) => { c.organization.country = 'UK'; },
      path: 'organization.country',
      message: 'got "UK" (UK is not an ISO 3166-1 code: the United Kingdom is "GB")',
    },
    {
      name: 'the country is uk, in lowercase: the fix is GB, not UK',
      edit: (c) => { c.organization.country = 'uk'; },
      path: 'organization.country',
      message: 'the United Kingdom is "GB"',
    },
    {
      name: 'the country is EL, the EU\'s code for Greece',
      edit: (c) => { c.organization.country = 'EL'; },
      path: 'organization.country',
      message: '"GR"',
    },
    {
      name: 'the organization name holds a pasted tab',
      edit: (c) => { c.organization.name = 'Example\tCorp'; },
      path: 'organization.name',
      message: 'a control character, U+0009, at position 8: remove it',
    },
    {
      name: 'the organization name ends with a newline (a YAML block scalar)',
      edit: (c) => { c.organization.name = 'Example Corp\n'; },
      path: 'organization.name',
      message: 'U+000A, at position 13',
    },
    {
      name: 'an application path ends with /*, which a PathPrefix matches literally',
      edit: (c) => { c.applications[0].path = '/api/*'; },
      path: 'applications[0].path',
      message: 'a PathPrefix matches "*" literally, not as a wildcard: "/api" already matches every path below it',
    },
    {
      name: 'the snapshot schedule is every minute of hour 4, not once at 4',
      edit: (c) => { c.backup.schedule = '* 4 * * *'; },
      path: 'backup.schedule',
      message: 'it runs 60 times an hour; at most once an hour, with one minute in the first field ("0 4 * * *" for once at the hours given)',
    },
    {
      name: 'the verification runs every 15 minutes',
      edit: (c) => { c.backup.verifySchedule = '*/15 6 * * 0'; },
      path: 'backup.verifySchedule',
      message: 'it runs 4 times an hour',
    },
    {
      name: 'the critical alert pages at 20 days while the private certificate renews at 15',
      edit: (c) => { c.clusters[0].monitoring = { ...c.clusters[0].monitoring, warningDaysLeft: 40, criticalDaysLeft: 20 }; },
      path: 'clusters[0].monitoring.criticalDaysLeft',
      message: 'expected fewer days than the private certificate is renewed before expiry (privateCertificate.renewBefore: 15 days), got 20 '
        + '(critical alert would page for every healthy certificate before cert-manager even tries to renew it',
    },
    {
      name: 'the default critical alert (14 days) with a private certificate renewed at 10 days',
      edit: (c) => { delete c.clusters[0].monitoring.criticalDaysLeft; delete c.clusters[0].monitoring.warningDaysLeft; c.privateCertificate.renewBefore = '240h'; },
      path: 'clusters[0].monitoring.criticalDaysLeft',
      message: '(privateCertificate.renewBefore: 10 days), got 14 (the default critical alert would page',
    },
    {
      name: 'the critical alert at 30 days, when cert-manager renews Let\'s Encrypt\'s certificate (default)',
      edit: (c) => { c.privateCertificate.renewBefore = '1000h'; c.clusters[0].monitoring = { ...c.clusters[0].monitoring, warningDaysLeft: 45, criticalDaysLeft: 30 }; },
      path: 'clusters[0].monitoring.criticalDaysLeft',
      message: '(publicCertificate.renewBefore, default: 30 days), got 30',
    },
    {
      name: 'vault.serverName outside the private zone, which npm run pki refuses too',
      edit: (c) => { c.vault.serverName = 'vault.example.org'; },
      path: 'vault.serverName',
      message: 'expected a name in the private zone "priv.example.com" (dns.privateZone.name) to put on Vault\'s server certificate, got "vault.example.org"',
    },
    {
      name: 'Vault may sign names of the public zone',
      edit: (c) => { c.vault.pki = { ...c.vault.pki, allowedDomains: ['priv.example.com', 'api.example.com'] }; },
      path: 'vault.pki.allowedDomains[1]',
      message: 'got "api.example.com" (it is a name of the public zone: Vault would sign public names, which only Let\'s Encrypt should',
    },
    {
      name: 'Vault may sign the whole public zone',
      edit: (c) => { c.vault.pki = { ...c.vault.pki, allowedDomains: ['example.com'] }; },
      path: 'vault.pki.allowedDomains[0]',
      message: 'it contains the whole public zone',
    },
    {
      name: 'a direction misspelled in aws.region',
      edit: (c) => { c.aws.region = 'eu-wset-3'; },
      path: 'aws.region',
      message: 'got "eu-wset-3" ("wset" is no word of an AWS Region code; did you mean "eu-west-3"?)',
    },
    {
      name: 'an area misspelled in vaultCluster.region',
      edit: (c) => { c.vaultCluster.region = 'ue-west-3'; },
      path: 'vaultCluster.region',
      message: '"ue" is no word of an AWS Region code; did you mean "eu-west-3"?',
    },
    {
      name: 'the Gateways in the namespace backup.namespace names: reported once, at backup.namespace',
      edit: (c) => { c.backup.namespace = 'edge'; c.clusters[0].gateways = { namespace: 'edge' }; },
      path: 'backup.namespace',
      message: 'another part of the platform or Kubernetes already manages it',
    },
  ];

  it.each(cases)('reports $path when $name', ({ edit, path, message }) => {
    // GIVEN
    const config = exampleWith(edit);
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(problems.map((p) => p.path)).toEqual([path]);
    expect(problems[0]!.message).toContain(message);
  });

  it('accepts a critical alert below every renewal, and any threshold with alerts off', () => {
    expect(validateConfig(exampleWith((c) => { c.clusters[0].monitoring = { ...c.clusters[0].monitoring, criticalDaysLeft: 7 }; }))).toEqual([]);
    expect(validateConfig(exampleWith((c) => {
      c.clusters[0].monitoring = { enabled: false, warningDaysLeft: 90, criticalDaysLeft: 60 };
    }))).toEqual([]);
  });

  it('accepts Vault domains of the private zone, cluster.local and other internal zones', () => {
    expect(validateConfig(exampleWith((c) => {
      c.vault.pki = { ...c.vault.pki, allowedDomains: ['priv.example.com', 'cluster.local', 'corp.example.net'] };
    }))).toEqual([]);
  });

  it('accepts Region codes of AWS\'s words, a Region it may open next among them', () => {
    for (const region of ['us-gov-west-1', 'cn-northwest-1', 'ap-southeast-7', 'mx-central-1', 'eusc-de-east-1', 'us-isob-east-1', 'ap-southeast-9']) {
      expect(validateConfig(exampleWith((c) => { c.backup.bucketName = undefined; delete c.backup.bucketName; c.terraform = { backend: { s3: {
        bucket: 'acme-terraform-state', region, kmsKeyId: 'arn:aws:kms:eu-west-3:123456789012:key/0b9f3c2e-4d1a-4e8b-9c7d-2a6f5e8b1c34',
      } } }; })), region).toEqual([]);
    }
  });

  it('accepts hourly and daily schedules', () => {
    expect(validateConfig(exampleWith((c) => { c.backup.schedule = '0 * * * *'; }))).toEqual([]);
    expect(validateConfig(exampleWith((c) => { c.backup.schedule = '30 2,14 * * *'; }))).toEqual([]);
  });

  it('lists at most 50 problems, then how many more', () => {
    // GIVEN 60 applications, each on a host name outside both zones
    const config = exampleWith((c) => {
      c.applications = Array.from({ length: 60 }, (_, i) => ({ ...c.applications[0], name: `app-${i}`, hostname: `app-${i}.example.org` }));
    });
    // WHEN
    const error = (() => {
      try {
        assertValidConfig(config, 'acme.yaml');
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    // THEN every problem is kept, the message lists the first 50
    expect(error.problems).toHaveLength(60);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('acme.yaml: configuration is invalid (60 problems):');
    expect(lines).toHaveLength(1 + MAX_PROBLEMS_SHOWN + 1);
    expect(lines.at(-2)).toMatch(/^ {2}applications\[49\]\.hostname: /);
    expect(lines.at(-1)).toBe('  and 10 more (the first 50 are listed; fix them and run again)');
  });
});

describe('npm run synth with such mistakes', () => {
  it('exits 1 listing each at its field with its line, no stack trace, and leaves dist/ and cdktf.out/ byte-identical', async () => {
    // GIVEN a synthesized checkout whose configuration then gets five mistakes valid in form
    const root = mkdtempSync(join(tmpdir(), 'ownership-'));
    cpSync(resolve(__dirname, '../fixtures/example'), join(root, 'config'), { recursive: true });
    const args = ['--config', join(root, 'config', 'platform.yaml'), '--out', join(root, 'dist'), '--terraform-out', join(root, 'cdktf.out')];
    expect((await runSynth(args)).code).toBe(0);
    const config = structuredClone(EXAMPLE) as any;
    config.organization.country = 'UK';
    config.dns.privateZone.hostedZoneID = config.dns.publicZone.hostedZoneID;
    config.applications[0].namespace = 'kube-system';
    config.applications[1].hostname = 'vault.priv.example.com';
    config.backup.schedule = '* 4 * * *';
    const text = stringify(config);
    writeFileSync(join(root, 'config', 'platform.yaml'), text);
    const before = readTree(root);
    // WHEN
    const run = await runSynth(args);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const line = (needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    const problems = run.stderr.split('\n').filter((l) => l.startsWith('  '));
    expect(problems.map((l) => l.split(':')[0])).toEqual([
      `  organization.country (line ${line('country: UK')})`,
      `  backup.schedule (line ${line('schedule: "* 4 * * *"')})`,
      `  dns.privateZone.hostedZoneID (line ${text.split('\n').findIndex((l, i) => l.includes('hostedZoneID') && i > line('privateZone:') - 1) + 1})`,
      `  applications[0].namespace (line ${line('namespace: kube-system')})`,
      `  applications[1].hostname (line ${line('hostname: vault.priv.example.com')})`,
    ]);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr).toContain('were left unchanged');
    expect(readTree(root)).toEqual(before);
    rmSync(root, { recursive: true, force: true });
  });
});
