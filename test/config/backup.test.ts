import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveBackup } from '../../lib/config/backup.js';
import type { ConfigProblem } from '../../lib/config/errors.js';
import { parseConfig } from '../../lib/config/load.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { validateConfig } from '../../lib/config/validate.js';

const EXAMPLE_FILE = resolve(import.meta.dirname, '../fixtures/example/platform.yaml');
const EXAMPLE: unknown = parse(readFileSync(EXAMPLE_FILE, 'utf8'));

// The example as plain data: each case edits it freely, as a user would edit the YAML.
type Editable = any;

function exampleWith(edit: (config: Editable) => void): unknown {
  const config = structuredClone(EXAMPLE) as Editable;
  edit(config);
  return config;
}

/** The problems of the `backup` section only (other sections' checks are tested with them). */
const backupProblems = (config: unknown): ConfigProblem[] => validateConfig(config).filter((p) => p.path.startsWith('backup'));

/**
 * A second cluster, `mycluster-1`, in eu-west-1 with Pod Identity (and its OIDC provider, for External
 * Secrets' stores); every application stays on `mycluster-0`.
 */
function withSecondCluster(config: Editable): void {
  const oidcProviderArn = `arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/${'FEDCBA9876543210'.repeat(2)}`;
  config.clusters.push({
    ...structuredClone(config.clusters[0]), name: 'mycluster-1', region: 'eu-west-1', workloadIdentity: { type: 'pod-identity', oidcProviderArn },
  });
  for (const application of config.applications) application.cluster = 'mycluster-0';
}

describe('backup', () => {
  it('accepts the example, whose backup section gives only the AppRole', () => {
    expect(validateConfig(EXAMPLE)).toEqual([]);
  });

  it('accepts every field when valid', () => {
    const config = exampleWith((c) => {
      withSecondCluster(c);
      c.backup = {
        cluster: 'mycluster-1',
        namespace: 'backups',
        schedule: '15 */6 * * *',
        verifySchedule: '@daily',
        maxAgeHours: 8,
        bucketName: 'acme-vault-backups',
        glacierAfterDays: 10,
        expireAfterDays: 100,
        appRole: { roleId: '0B7E2C4A-9D3F-4C61-8E5A-2F1D7C9B4E60' },
        images: { vault: `hashicorp/vault:1.21.1@sha256:${'ab'.repeat(32)}`, awsCli: 'public.ecr.aws/aws-cli/aws-cli:2.31.0' },
      };
    });
    expect(validateConfig(config)).toEqual([]);
  });

  it('reports every problem of the section at once, in field order', () => {
    const config = exampleWith((c) => {
      c.backup = {
        typo: 1,
        cluster: 'nope',
        namespace: 'Backups',
        schedule: 'nightly',
        maxAgeHours: 0,
        bucketName: 'My.Bucket',
        appRole: { roleId: 'x' },
        images: { vault: 'hashicorp/vault:latest' },
      };
    });
    expect(backupProblems(config).map((p) => p.path)).toEqual([
      'backup.typo', 'backup.cluster', 'backup.namespace', 'backup.schedule', 'backup.maxAgeHours', 'backup.bucketName',
      'backup.appRole.roleId', 'backup.images.vault',
    ]);
  });

  it.each([
    {
      name: 'the section is not a mapping',
      edit: (c: Editable) => { c.backup = 'nightly'; },
      path: 'backup',
      message: 'expected a mapping with cluster, namespace, schedule, verifySchedule, maxAgeHours, bucketName, glacierAfterDays, expireAfterDays, objectLockDays, '
        + 'appRole, images, got "nightly"',
    },
    {
      name: 'objectLockDays beyond expireAfterDays',
      edit: (c: Editable) => { c.backup.objectLockDays = 200; },
      path: 'backup.objectLockDays',
      message: 'expected at most backup.expireAfterDays (120), got 200 (S3 keeps a locked version past its expiry, until the lock ends)',
    },
    {
      name: 'bucketName leaves no room for the access-log bucket\'s suffix',
      edit: (c: Editable) => { c.backup.bucketName = 'a'.repeat(60); },
      path: 'backup.bucketName',
      message: `expected at most 58 characters, got "${'a'.repeat(60)}" (60 characters; the access-log bucket is named "<bucketName>-logs" `
        + 'and the replica "<bucketName>-dr", within S3\'s 63)',
    },
    {
      name: 'objectLockDays is not a whole number of days',
      edit: (c: Editable) => { c.backup.objectLockDays = 0; },
      path: 'backup.objectLockDays',
      message: 'expected an integer from 1 to 3650, got 0',
    },
    {
      name: 'cluster names no declared cluster',
      edit: (c: Editable) => { c.backup.cluster = 'prod'; },
      path: 'backup.cluster',
      message: 'expected one of the declared clusters: "mycluster-0", got "prod"',
    },
    {
      name: 'cluster is missing while several clusters are declared',
      edit: (c: Editable) => { withSecondCluster(c); },
      path: 'backup.cluster',
      message: 'is required when several clusters are declared: expected one of the declared clusters: "mycluster-0" or "mycluster-1"',
    },
    {
      name: 'namespace is not a DNS label',
      edit: (c: Editable) => { c.backup.namespace = 'Vault_Backup'; },
      path: 'backup.namespace',
      message: 'expected a DNS-1123 label (lowercase letters, digits and \'-\', at most 63 characters), got "Vault_Backup"',
    },
    {
      name: 'namespace is cert-manager\'s',
      edit: (c: Editable) => { c.backup.namespace = 'cert-manager'; },
      path: 'backup.namespace',
      message: 'expected a namespace of its own, not one of "default", "kube-system", "kube-public", "kube-node-lease", "flux-system", '
        + '"cert-manager", "external-secrets", "x509-certificate-exporter", "vault-approle-rotation" or "gateways", got "cert-manager" '
        + '(another part of the platform or Kubernetes already manages it)',
    },
    {
      name: 'namespace is the backup cluster\'s gateways namespace',
      edit: (c: Editable) => { c.clusters[0].gateways.namespace = 'edge'; c.backup.namespace = 'edge'; },
      path: 'backup.namespace',
      message: 'or "edge", got "edge"',
    },
    {
      name: 'schedule has four fields',
      edit: (c: Editable) => { c.backup.schedule = '0 4 * *'; },
      path: 'backup.schedule',
      message: 'expected a cron schedule of 5 fields (minute hour day-of-month month day-of-week, in UTC) such as "0 4 * * *", got "0 4 * *" (4 fields instead of 5)',
    },
    {
      name: 'schedule has an hour out of range',
      edit: (c: Editable) => { c.backup.schedule = '0 24 * * *'; },
      path: 'backup.schedule',
      message: 'got "0 24 * * *" (the hour field "24": 24 is outside 0-23)',
    },
    {
      name: 'schedule never runs',
      edit: (c: Editable) => { c.backup.schedule = '0 4 31 2 *'; },
      path: 'backup.schedule',
      message: 'got "0 4 31 2 *" (it never runs: no such date)',
    },
    {
      name: 'schedule is a number',
      edit: (c: Editable) => { c.backup.schedule = 4; },
      path: 'backup.schedule',
      message: 'such as "0 4 * * *", got 4',
    },
    {
      name: 'verifySchedule is not a cron schedule',
      edit: (c: Editable) => { c.backup.verifySchedule = '@every 168h'; },
      path: 'backup.verifySchedule',
      message: 'got "@every 168h" ("@every" is not a calendar schedule; write the five fields)',
    },
    {
      name: 'maxAgeHours is too small',
      edit: (c: Editable) => { c.backup.maxAgeHours = 1; },
      path: 'backup.maxAgeHours',
      message: 'expected an integer from 2 to 2160, got 1',
    },
    {
      name: 'maxAgeHours is quoted',
      edit: (c: Editable) => { c.backup.maxAgeHours = '26'; },
      path: 'backup.maxAgeHours',
      message: 'expected an integer from 2 to 2160, got "26" (write the number without quotes)',
    },
    {
      name: 'maxAgeHours is shorter than the wait between two snapshots',
      edit: (c: Editable) => { c.backup.maxAgeHours = 20; },
      path: 'backup.maxAgeHours',
      message: 'expected more hours than the longest wait between two runs of backup.schedule "0 4 * * *" (24 hours), got 20 '
        + '(the stale-backup alert would fire between two runs that both succeeded)',
    },
    {
      name: 'a weekly schedule with the default maxAgeHours',
      edit: (c: Editable) => { c.backup.schedule = '0 4 * * 0'; },
      path: 'backup.schedule',
      message: 'expected a schedule that never waits 26 hours (the default backup.maxAgeHours) between two runs, got "0 4 * * 0" '
        + '(it waits up to 168 hours; set backup.maxAgeHours above that, or run more often)',
    },
    {
      name: 'maxAgeHours reaches into Glacier',
      edit: (c: Editable) => { c.backup.maxAgeHours = 800; },
      path: 'backup.maxAgeHours',
      message: 'expected fewer hours than the default backup.glacierAfterDays (30 days: 720 hours), got 800 '
        + '(the verification downloads the newest snapshot, which S3 refuses once it has moved to Glacier)',
    },
    {
      name: 'glacierAfterDays comes before maxAgeHours',
      edit: (c: Editable) => { c.backup.glacierAfterDays = 1; },
      path: 'backup.glacierAfterDays',
      message: 'expected more days than backup.maxAgeHours covers (26 hours: at least 2), got 1',
    },
    {
      name: 'glacierAfterDays is zero',
      edit: (c: Editable) => { c.backup.glacierAfterDays = 0; },
      path: 'backup.glacierAfterDays',
      message: 'expected an integer from 1 to 3650, got 0',
    },
    {
      name: 'expireAfterDays is less than 90 days after the transition',
      edit: (c: Editable) => { c.backup.expireAfterDays = 90; },
      path: 'backup.expireAfterDays',
      message: 'expected at least backup.glacierAfterDays + 90 (120), got 90 (Glacier Flexible Retrieval bills 90 days at least: '
        + 'expire at least 90 days after the transition)',
    },
    {
      name: 'glacierAfterDays leaves less than 90 days before the default expiration',
      edit: (c: Editable) => { c.backup.glacierAfterDays = 60; },
      path: 'backup.glacierAfterDays',
      message: 'expected at most 30 (the default backup.expireAfterDays, 120, minus 90), got 60',
    },
    {
      name: 'bucketName has uppercase letters',
      edit: (c: Editable) => { c.backup.bucketName = 'Acme-Vault-Backups'; },
      path: 'backup.bucketName',
      message: 'got "Acme-Vault-Backups" (write it in lowercase)',
    },
    {
      name: 'bucketName has dots',
      edit: (c: Editable) => { c.backup.bucketName = 'backups.example.com'; },
      path: 'backup.bucketName',
      message: 'expected an S3 bucket name: 3 to 63 lowercase letters, digits and \'-\', starting and ending with a letter or digit, '
        + 'such as "123456789012-eu-west-3-vault-snapshots", got "backups.example.com" (a dot breaks TLS verification of virtual-hosted S3 requests; use "-")',
    },
    {
      name: 'bucketName has a prefix S3 reserves',
      edit: (c: Editable) => { c.backup.bucketName = 'xn--vault'; },
      path: 'backup.bucketName',
      message: 'got "xn--vault" (S3 reserves names starting with "xn--")',
    },
    {
      name: 'bucketName has a suffix S3 reserves',
      edit: (c: Editable) => { c.backup.bucketName = 'vault-s3alias'; },
      path: 'backup.bucketName',
      message: 'got "vault-s3alias" (S3 reserves names ending with "-s3alias")',
    },
    {
      name: 'bucketName is too short',
      edit: (c: Editable) => { c.backup.bucketName = 'ab'; },
      path: 'backup.bucketName',
      message: 'got "ab" (2 characters)',
    },
    {
      name: 'appRole is missing',
      edit: (c: Editable) => { delete c.backup.appRole; },
      path: 'backup.appRole',
      message: 'is required: expected a mapping with roleId',
    },
    {
      name: 'appRole.roleId is not a UUID',
      edit: (c: Editable) => { c.backup.appRole.roleId = 'vault-snapshot'; },
      path: 'backup.appRole.roleId',
      message: 'expected an AppRole role id, a UUID such as "5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93", got "vault-snapshot"',
    },
    {
      name: 'an image floats on latest',
      edit: (c: Editable) => { c.backup.images = { awsCli: 'amazon/aws-cli:latest' }; },
      path: 'backup.images.awsCli',
      message: 'expected a container image pinned by a tag other than "latest", optionally followed by its sha256 digest, such as '
        + '"hashicorp/vault:1.21.1" or "hashicorp/vault:1.21.1@sha256:<64 hex digits>", got "amazon/aws-cli:latest" ("latest" changes without a change in Git)',
    },
    {
      name: 'an image has no tag',
      edit: (c: Editable) => { c.backup.images = { vault: 'hashicorp/vault' }; },
      path: 'backup.images.vault',
      message: 'got "hashicorp/vault" (no tag: the image would change without a change in Git)',
    },
    {
      name: 'an image has a digest but no tag',
      edit: (c: Editable) => { c.backup.images = { vault: `hashicorp/vault@sha256:${'ab'.repeat(32)}` }; },
      path: 'backup.images.vault',
      message: `a digest without its tag: write it after the tag it was read from, as hashicorp/vault:<tag>@sha256:${'ab'.repeat(32)})`,
    },
    {
      name: 'an image has a digest of the wrong length',
      edit: (c: Editable) => { c.backup.images = { awsCli: `amazon/aws-cli:2.31.0@sha256:${'ab'.repeat(16)}` }; },
      path: 'backup.images.awsCli',
      message: `got "amazon/aws-cli:2.31.0@sha256:${'ab'.repeat(16)}" (a digest is "sha256:" and 64 lowercase hexadecimal digits)`,
    },
    {
      name: 'images.vault is missing without a vaultCluster section',
      edit: (c: Editable) => { delete c.vaultCluster; },
      path: 'backup.images.vault',
      message: 'is required when there is no vaultCluster section (nothing else says which Vault to snapshot): expected a container image pinned',
    },
    {
      name: 'images.vault holds Vault while vaultCluster runs OpenBao',
      edit: (c: Editable) => { c.vaultCluster.engine = 'openbao'; c.backup.images = { vault: 'hashicorp/vault:1.21.1' }; },
      path: 'backup.images.vault',
      message: 'expected an OpenBao image (its CLI is bao), as vaultCluster.engine is "openbao", got "hashicorp/vault:1.21.1"',
    },
  ])('reports $path when $name', ({ edit, path, message }) => {
    const problems = backupProblems(exampleWith(edit));
    expect(problems.filter((p) => p.path === path).map((p) => p.message).join('\n')).toContain(message);
  });

  it('reports one relation at a time, and none when a field is invalid', () => {
    // Both given, both relations broken: each reported once, on its own field.
    const both = backupProblems(exampleWith((c) => { c.backup.maxAgeHours = 2000; c.backup.glacierAfterDays = 60; c.backup.expireAfterDays = 100; }));
    expect(both.map((p) => p.path)).toEqual(['backup.glacierAfterDays', 'backup.expireAfterDays']);
    // An invalid schedule is reported alone, not compared with maxAgeHours.
    expect(backupProblems(exampleWith((c) => { c.backup.schedule = '0 4 * *'; c.backup.maxAgeHours = 2; })).map((p) => p.path))
      .toEqual(['backup.schedule']);
  });

  it('reports the snapshot AppRole reusing cert-manager\'s role id once', () => {
    const config = exampleWith((c) => { c.backup.appRole.roleId = c.vault.auth.appRole.roleId.toUpperCase(); });
    const problems = backupProblems(config).filter((p) => p.path === 'backup.appRole.roleId');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('vault.auth.appRole.roleId');
  });

  it('accepts images.vault without vaultCluster, and an OpenBao image with an OpenBao cluster', () => {
    expect(validateConfig(exampleWith((c) => { delete c.vaultCluster; c.backup.images = { vault: 'openbao/openbao:2.4.1' }; }))
      .filter((p) => p.path.startsWith('backup'))).toEqual([]);
    expect(backupProblems(exampleWith((c) => {
      c.vaultCluster.engine = 'openbao';
      c.backup.images = { vault: 'ghcr.io/openbao/openbao:2.4.1' };
    }))).toEqual([]);
  });
});

describe('resolveBackup', () => {
  const config = (edit: (c: Editable) => void = () => {}): PlatformConfig => {
    const text = JSON.stringify(exampleWith(edit));
    return parseConfig(text, EXAMPLE_FILE);
  };

  it('applies the defaults: the only cluster, its region, the derived bucket, the engine\'s image', () => {
    const backup = resolveBackup(config())!;
    expect({ ...backup, cluster: backup.cluster.name }).toEqual({
      cluster: 'mycluster-0',
      region: 'eu-west-3',
      namespace: 'vault-backup',
      schedule: '0 4 * * *',
      verifySchedule: '0 6 * * 0',
      maxAgeHours: 26,
      bucketName: '123456789012-eu-west-3-vault-snapshots',
      glacierAfterDays: 30,
      expireAfterDays: 120,
      objectLockDays: 30,
      replica: { region: 'eu-central-1', bucketName: '123456789012-eu-central-1-vault-snapshots' },
      restoreRoleArns: ['arn:aws:iam::123456789012:role/gateway-pki-break-glass'],
      roleId: '0b7e2c4a-9d3f-4c61-8e5a-2f1d7c9b4e60',
      appRoleMount: 'approle',
      vaultImage: 'hashicorp/vault:1.21.1',
      awsCliImage: 'amazon/aws-cli:2.31.0',
      engine: 'vault',
      snapshotInspect: true,
    });
  });

  it('the replica: in the DR Region, named as that Region\'s default bucket, or <bucketName>-dr when the name is given; none without a DR Region', () => {
    expect(resolveBackup(config((c) => { c.backup.bucketName = 'acme-vault-snapshots'; }))!.replica)
      .toEqual({ region: 'eu-central-1', bucketName: 'acme-vault-snapshots-dr' });
    const dev = resolveBackup(config((c) => {
      c.vaultCluster.mode = 'dev';
      delete c.vaultCluster.voters;
      delete c.vaultCluster.disasterRecovery;
    }))!;
    expect(dev.replica).toBeUndefined();
    expect(dev.restoreRoleArns).toEqual(['arn:aws:iam::123456789012:role/gateway-pki-break-glass']);
  });

  it('OpenBao: its image and CLI, no inspect', () => {
    const backup = resolveBackup(config((c) => { c.vaultCluster.engine = 'openbao'; c.vaultCluster.version = '2.4.1'; c.vaultCluster.packageSha256 = 'a'.repeat(64); }))!;
    expect([backup.vaultImage, backup.engine, backup.snapshotInspect]).toEqual(['openbao/openbao:2.4.1', 'openbao', false]);
  });

  it('without vaultCluster, the engine and version come from the image', () => {
    const older = resolveBackup(config((c) => { delete c.vaultCluster; c.backup.images = { vault: 'hashicorp/vault:1.14.8' }; }))!;
    expect([older.engine, older.snapshotInspect]).toEqual(['vault', false]);
    const bao = resolveBackup(config((c) => { delete c.vaultCluster; c.backup.images = { vault: 'quay.io/openbao/openbao:2.4.1' }; }))!;
    expect([bao.engine, bao.snapshotInspect]).toEqual(['openbao', false]);
    // Pinned by digest, the tag still gives the version: the verification inspects the snapshot.
    const image = `hashicorp/vault:1.21.1@sha256:${'ab'.repeat(32)}`;
    const digest = resolveBackup(config((c) => { delete c.vaultCluster; c.backup.images = { vault: image }; }))!;
    expect([digest.vaultImage, digest.engine, digest.snapshotInspect]).toEqual([image, 'vault', true]);
  });

  it('is undefined without a backup section', () => {
    expect(resolveBackup(config((c) => { delete c.backup; }))).toBeUndefined();
  });
});

describe('backup.appRole: bound CIDRs and secret id lifetime, checked as cert-manager\'s are', () => {
  it('refuses the whole internet and a lifetime below External Secrets\' refresh, naming the field', () => {
    const config = structuredClone(parse(readFileSync(resolve(__dirname, '../fixtures/example/platform.yaml'), 'utf8'))) as any;
    config.backup.appRole.tokenBoundCidrs = ['0.0.0.0/0'];
    config.backup.appRole.secretIdBoundCidrs = '10.0.0.0/16';
    config.backup.appRole.secretIdTtl = '30m';
    const problems = validateConfig(config).filter((p) => p.path.startsWith('backup.appRole'));
    expect(problems.map((p) => p.path)).toEqual(['backup.appRole.tokenBoundCidrs[0]', 'backup.appRole.secretIdBoundCidrs', 'backup.appRole.secretIdTtl']);
    expect(problems[0]!.message).toContain('(anyone on the internet)');
    expect(problems[1]!.message).toContain('write it as a list: ["10.0.0.0/16"]');
  });
});
