/**
 * A wrong configuration fails before anything is written: non-zero exit, every problem named with
 * its field, and dist/ byte-identical to what it was.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, test } from 'vitest';
import { readTree } from './support/tree.js';
import { EXAMPLE_CONFIG, runSynth, SYNTH_BUNDLE } from './support/cli.js';

const example = () => parse(readFileSync(EXAMPLE_CONFIG, 'utf8'));

let exampleDist: string | undefined;

/** The example's dist/, synthesized once (the committed dist/ is the user's platform, not the example). */
function synthesizedExampleDist(): string {
  if (exampleDist === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'cli-example-'));
    execFileSync(process.execPath, [SYNTH_BUNDLE, '--config', EXAMPLE_CONFIG, '--out', join(dir, 'dist'), '--terraform-out', join(dir, 'cdktf.out')]);
    exampleDist = join(dir, 'dist');
  }
  return exampleDist;
}

/** Writes a configuration and a copy of the example's up-to-date dist/ into a fresh folder. */
function workspace(config: unknown): { config: string; dist: string; terraform: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  const file = join(dir, 'platform.yaml');
  writeFileSync(file, typeof config === 'string' ? config : stringify(config));
  cpSync(join(EXAMPLE_CONFIG, '..', 'pki'), join(dir, 'pki'), { recursive: true });
  cpSync(synthesizedExampleDist(), join(dir, 'dist'), { recursive: true });
  return { config: file, dist: join(dir, 'dist'), terraform: join(dir, 'cdktf.out') };
}

/** [description, mutation of the example, the field path the error must name] */
const MALFORMED: Array<[string, (c: any) => void, string]> = [
  ['organisation country not ISO 3166', (c) => { c.organization.country = 'France'; }, 'organization.country'],
  ['account id written as a YAML number', (c) => { c.aws.accountId = 123456789012; }, 'aws.accountId'],
  ['account id too short', (c) => { c.aws.accountId = '12345'; }, 'aws.accountId'],
  ['region that is not a region', (c) => { c.aws.region = 'paris'; }, 'aws.region'],
  ['public zone with a trailing dot', (c) => { c.dns.publicZone.name = 'example.com.'; }, 'dns.publicZone.name'],
  ['hosted zone id of the wrong shape', (c) => { c.dns.privateZone.hostedZoneID = 'zone-1'; }, 'dns.privateZone.hostedZoneID'],
  ['e-mail without a domain', (c) => { c.acme.email = 'ops@'; }, 'acme.email'],
  ['vault over plain http', (c) => { c.vault.address = 'http://vault.priv.example.com:8200'; }, 'vault.address'],
  ['vault outside the private zone', (c) => { c.vault.address = 'https://vault.example.org:8200'; }, 'vault.address'],
  ['cert-manager version as a range', (c) => { c.versions.certManager = '^1.21'; }, 'versions.certManager'],
  ['gateway api version without v', (c) => { c.versions.gatewayApi = '1.6.1'; }, 'versions.gatewayApi'],
  ['no cluster', (c) => { c.clusters = []; }, 'clusters'],
  ['cluster name with capitals', (c) => { c.clusters[0].name = 'Prod_EU'; }, 'clusters[0].name'],
  ['unknown workload identity', (c) => { c.clusters[0].workloadIdentity = { type: 'kiam' }; }, 'clusters[0].workloadIdentity.type'],
  ['oidc provider in another account', (c) => {
    c.clusters[0].workloadIdentity.oidcProviderArn = c.clusters[0].workloadIdentity.oidcProviderArn.replace('123456789012', '999999999999');
  }, 'clusters[0].workloadIdentity.oidcProviderArn'],
  ['flux interval not a duration', (c) => { c.clusters[0].flux = { interval: 'ten minutes' }; }, 'clusters[0].flux.interval'],
  ['zero cert-manager replicas', (c) => { c.clusters[0].certManager.replicas = 0; }, 'clusters[0].certManager.replicas'],
  ['misspelled field', (c) => { c.acme.emial = c.acme.email; }, 'acme.emial'],
  ['public application outside the public zone', (c) => { c.applications[0].hostname = 'echo.example.org'; }, 'applications[0].hostname'],
  ['application on an unknown cluster', (c) => { c.applications[1].cluster = 'nowhere'; }, 'applications[1].cluster'],
  ['application port out of range', (c) => { c.applications[0].service.port = 70000; }, 'applications[0].service.port'],
  ['duplicate application host name', (c) => { c.applications[1] = { ...c.applications[0], name: 'echo-2' }; }, 'applications[1].hostname'],
  // The TLS core: issuers, certificates, gateways, routes.
  ['unknown gateway issuer', (c) => { c.acme.gatewayIssuer = 'prod'; }, 'acme.gatewayIssuer'],
  ['renewBefore not shorter than the duration', (c) => { c.privateCertificate.renewBefore = '2160h'; }, 'privateCertificate.renewBefore'],
  ['private certificate lasting minutes', (c) => { c.privateCertificate.duration = '30m'; }, 'privateCertificate.duration'],
  ['ECDSA key with an RSA size', (c) => { c.privateCertificate.privateKey = { size: 2048 }; }, 'privateCertificate.privateKey.size'],
  ['public key size Let\'s Encrypt does not sign', (c) => { c.publicCertificate = { privateKey: { size: 521 } }; }, 'publicCertificate.privateKey.size'],
  ['CA bundle file that does not exist', (c) => { c.vault.caBundleFile = 'pki/missing.pem'; }, 'vault.caBundleFile'],
  ['CA bundle given as an absolute path', (c) => { c.vault.caBundleFile = '/etc/ssl/ca.pem'; }, 'vault.caBundleFile'],
  ['AppRole role id that is not a UUID', (c) => { c.vault.auth.appRole.roleId = 'cert-manager'; }, 'vault.auth.appRole.roleId'],
  ['both AppRole and Kubernetes auth', (c) => { c.vault.auth.kubernetes = { role: 'cert-manager' }; }, 'vault.auth'],
  ['Kubernetes auth mount path without /v1/auth/', (c) => { c.vault.auth = { kubernetes: { role: 'cm', mountPath: 'kubernetes' } }; }, 'vault.auth.kubernetes.mountPath'],
  ['PKI role with a slash', (c) => { c.vault.pki.role = 'cert/manager'; }, 'vault.pki.role'],
  ['public host name two labels below the zone', (c) => { c.applications[0].hostname = 'a.b.example.com'; }, 'applications[0].hostname'],
  ['private host name outside the private zone', (c) => { c.applications[1].hostname = 'grafana.example.com'; }, 'applications[1].hostname'],
  ['service name starting with a digit', (c) => { c.applications[0].service.name = '1echo'; }, 'applications[0].service.name'],
  ['gateways namespace with capitals', (c) => { c.clusters[0].gateways.namespace = 'Gateways'; }, 'clusters[0].gateways.namespace'],
];

describe('synth CLI', () => {
  test.each(MALFORMED)('rejects %s, naming the field, and leaves dist/ untouched', async (_what, mutate, field) => {
    // GIVEN
    const config = example();
    mutate(config);
    const ws = workspace(config);
    const before = readTree(ws.dist);
    // WHEN
    const run = await runSynth(['--config', ws.config, '--out', ws.dist, '--terraform-out', ws.terraform]);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('configuration is invalid');
    expect(run.stderr).toMatch(new RegExp(`^  ${field.replace(/[.[\]]/g, '\\$&')}( \\(line \\d+\\))?: `, 'm'));
    expect(readTree(ws.dist)).toEqual(before);
    expect(existsSync(ws.terraform)).toBe(false);
  });

  test('reports every problem at once', async () => {
    const config = example();
    config.acme.email = 'ops@';
    config.aws.region = 'paris';
    config.clusters[0].name = 'Prod';
    const ws = workspace(config);
    const run = await runSynth(['--config', ws.config, '--out', ws.dist, '--terraform-out', ws.terraform]);
    expect(run.code).toBe(1);
    for (const field of ['acme.email', 'aws.region', 'clusters[0].name']) expect(run.stderr).toContain(`  ${field}`);
    expect(run.stderr).toMatch(/configuration is invalid \(\d+ problems\)/);
  });

  test('rejects a YAML syntax error with its line, and leaves dist/ untouched', async () => {
    const ws = workspace('organization:\n  name: [unclosed\n');
    const before = readTree(ws.dist);
    const run = await runSynth(['--config', ws.config, '--out', ws.dist, '--terraform-out', ws.terraform]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/line \d+/);
    expect(readTree(ws.dist)).toEqual(before);
  });

  test('rejects a CA bundle holding a private key without printing it, and leaves dist/ untouched', async () => {
    const config = example();
    config.vault.caBundleFile = 'pki/with-key.pem';
    const ws = workspace(config);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeFileSync(join(ws.config, '..', 'pki', 'with-key.pem'), readFileSync(join(ws.config, '..', 'pki', 'ca-chain.pem'), 'utf8') + keyPem);
    const before = readTree(ws.dist);
    const run = await runSynth(['--config', ws.config, '--out', ws.dist, '--terraform-out', ws.terraform]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ {2}vault\.caBundleFile \(line \d+\): .*PRIVATE KEY/m);
    expect(run.stderr).not.toContain(keyPem.split('\n')[1]);
    expect(readTree(ws.dist)).toEqual(before);
  });

  test('rejects a missing configuration file', async () => {
    const ws = workspace(example());
    const run = await runSynth(['--config', join(ws.config, '..', 'missing.yaml'), '--out', ws.dist, '--terraform-out', ws.terraform]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('missing.yaml');
  });

  test('refuses to run when cdk8s would sort or hash differently', async () => {
    const ws = workspace(example());
    const run = await runSynth(['--config', ws.config, '--out', ws.dist, '--terraform-out', ws.terraform], { CDK8S_DISABLE_SORT: '1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('CDK8S_DISABLE_SORT is set');
  });

  test('rejects an unknown option with usage and exit code 2', async () => {
    const run = await runSynth(['--outdir', 'x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: npm run synth -- [--config FILE] [--out DIR] [--terraform-out DIR]');
  });

  test('the code cache is written on the first run, reused, and rebuilt when it does not match', async () => {
    // GIVEN a copy of the build, so that the shared cache of the other tests is left alone
    const build = mkdtempSync(join(tmpdir(), 'build-'));
    for (const file of ['launch.cjs', 'synth.cjs', 'synth.bundle.cjs']) cpSync(join(SYNTH_BUNDLE, '..', file), join(build, file));
    const hash = /launch\.cjs'\)\('synth\.bundle\.cjs', '([0-9a-f]{16})'\)/.exec(readFileSync(join(build, 'synth.cjs'), 'utf8'))![1];
    const cache = join(build, `synth.bundle.cjs.${hash}.v8cache`);
    const synth = (ws: ReturnType<typeof workspace>) => new Promise<{ code: number; stdout: string }>((done) => {
      execFile(process.execPath, [join(build, 'synth.cjs'), '--config', ws.config, '--out', ws.dist, '--terraform-out', ws.terraform],
        (error, stdout) => done({ code: error ? 1 : 0, stdout }));
    });
    // WHEN / THEN: first run writes it
    expect(existsSync(cache)).toBe(false);
    const first = await synth(workspace(example()));
    expect(first.code).toBe(0);
    const written = readFileSync(cache);
    expect(written.length).toBeGreaterThan(0);
    // a matching cache is kept as it is
    expect((await synth(workspace(example()))).code).toBe(0);
    expect(readFileSync(cache).equals(written)).toBe(true);
    // a cache that does not match is rejected, the run still succeeds, and the cache is rebuilt
    writeFileSync(cache, 'not a V8 code cache');
    const third = await synth(workspace(example()));
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('files: 0 added, 0 changed, 0 removed');
    expect(readFileSync(cache, 'utf8')).not.toBe('not a V8 code cache');
  });

  test('a rebuilt bundle of the same length never runs the previous build\'s cached code (V8 checks only the length)', async () => {
    const build = mkdtempSync(join(tmpdir(), 'build-'));
    for (const file of ['launch.cjs', 'synth.cjs', 'synth.bundle.cjs']) cpSync(join(SYNTH_BUNDLE, '..', file), join(build, file));
    const run = () => new Promise<string>((done) => {
      const ws = workspace(example());
      execFile(process.execPath, [join(build, 'synth.cjs'), '--config', ws.config, '--out', ws.dist, '--terraform-out', ws.terraform], (_e, stdout) => done(stdout));
    });
    expect(await run()).toMatch(/^synthesized 1 cluster/m); // the cache is written
    // What scripts/build.mjs does on a rebuild: a new bundle (here one word, same length), its hash in the starter.
    const bundle = readFileSync(join(build, 'synth.bundle.cjs'), 'utf8').replace('`synthesized ${', '`SYNTHESIZED ${');
    writeFileSync(join(build, 'synth.bundle.cjs'), bundle);
    const hash = createHash('sha256').update(bundle).digest('hex').slice(0, 16);
    writeFileSync(join(build, 'synth.cjs'), `'use strict';\nrequire('./launch.cjs')('synth.bundle.cjs', '${hash}');\n`);
    expect(await run()).toMatch(/^SYNTHESIZED 1 cluster/m);
    // The previous build's cache is gone, the new one is there.
    expect(readdirSync(build).filter((f) => f.endsWith('.v8cache'))).toEqual([`synth.bundle.cjs.${hash}.v8cache`]);
  });

  test('a second synth into an up-to-date dist/ changes nothing', async () => {
    const ws = workspace(example());
    const run = await runSynth(['--config', ws.config, '--out', ws.dist, '--terraform-out', ws.terraform]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('files: 0 added, 0 changed, 0 removed');
    // The cluster's stack and the platform-wide ones (vault-config, and those of the other sections).
    expect(run.stdout).toMatch(/^terraform: \d+ stacks \((.+, )?mycluster-0-aws, (.+, )?vault-config(, .+)?\) into .*cdktf\.out\/, \d+ added, 0 changed, 0 removed$/m);
    expect(readTree(ws.terraform).has('stacks/mycluster-0-aws/cdk.tf.json')).toBe(true);
    expect(readTree(ws.terraform).has('stacks/vault-config/cdk.tf.json')).toBe(true);
  });

  test('warns, exit 0, of settings monitoring off ignores and of the Terraform stack a renamed cluster leaves behind', async () => {
    // GIVEN: a synth of the example, then the cluster renamed and its monitoring switched off
    const ws = workspace(example());
    expect((await runSynth(['--config', ws.config, '--out', ws.dist, '--terraform-out', ws.terraform])).code).toBe(0);
    const renamed = example();
    renamed.clusters[0].name = 'prod-eu';
    renamed.clusters[0].monitoring.enabled = false;
    for (const application of renamed.applications) application.cluster = 'prod-eu';
    writeFileSync(ws.config, stringify(renamed));
    // WHEN
    const check = await runSynth(['--config', ws.config, '--out', ws.dist, '--terraform-out', ws.terraform, '--check', '--json']);
    const run = await runSynth(['--config', ws.config, '--out', ws.dist, '--terraform-out', ws.terraform]);
    const again = await runSynth(['--config', ws.config, '--out', ws.dist, '--terraform-out', ws.terraform, '--json']);
    // THEN
    const removed = /a synth would remove the Terraform stack .*cdktf\.out\/stacks\/mycluster-0-aws\/ .*its AWS resources still exist\. Destroy it first \(terraform destroy in .*cdktf\.out\/stacks\/mycluster-0-aws,/;
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout).warnings).toContainEqual(expect.stringMatching(removed));
    expect(check.stderr).toMatch(removed);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^warning: removed the Terraform stack .*cdktf\.out\/stacks\/mycluster-0-aws\/ .*or its resources are orphaned$/m);
    expect(run.stdout).toMatch(/^warning: clusters\[0\]\.monitoring\.warningDaysLeft: is ignored: monitoring\.enabled is false in cluster "prod-eu"/m);
    expect(run.stdout).toMatch(/^warning: backup: the backups run in cluster "prod-eu", whose monitoring is off/m);
    // The stack is gone now: the next synth only repeats the configuration's warnings.
    expect(again.code).toBe(0);
    const warnings: string[] = JSON.parse(again.stdout).warnings;
    expect(warnings.some((warning) => /Terraform stack/.test(warning))).toBe(false);
    expect(warnings).toContainEqual(expect.stringMatching(/^backup: /));
  });
});
