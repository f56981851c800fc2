/**
 * The PKI command line: a wrong configuration fails before any key is made (exit 1, the field
 * named, nothing written); a wrong command line exits 2 with the usage.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { initIn, opensslVerify, PKI_BUNDLE, pkiWorkspace, removeWorkspaces, runPki } from '../support/pki.js';

afterAll(removeWorkspaces);

const USAGE = 'usage: npm run pki -- init [--config FILE] [--out DIR] [--force]';

/** [description, edit of the example configuration, the field the error names, part of its message] */
const MALFORMED: Array<[string, (c: any) => void, string, string]> = [
  ['an unknown server key type', (c) => { c.pki = { serverKey: { algorithm: 'Ed25519' } }; }, 'pki.serverKey.algorithm',
    'expected "ECDSA" (a P-256 key) or "RSA" (a 2048-bit key), got "Ed25519"'],
  ['a server key size', (c) => { c.pki = { serverKey: { algorithm: 'RSA', size: 4096 } }; }, 'pki.serverKey.size',
    'unknown field; expected one of: algorithm'],
  ['a SAN outside the private zone', (c) => { c.pki = { serverExtraDnsNames: ['vault.example.org'] }; }, 'pki.serverExtraDnsNames[0]',
    'expected a DNS name in the private zone "priv.example.com" (dns.privateZone.name), got "vault.example.org"'],
  ['a SAN that is not a DNS name', (c) => { c.pki = { serverExtraDnsNames: ['*.priv.example.com'] }; }, 'pki.serverExtraDnsNames[0]',
    'wildcards are not allowed'],
  ['an IP address range', (c) => { c.pki = { serverIpAddresses: ['10.0.0.0/16'] }; }, 'pki.serverIpAddresses[0]',
    'expected an IPv4 or IPv6 address such as "10.0.0.10" or "::1", got "10.0.0.0/16" (give one address, not a range)'],
  ['a misspelt pki field', (c) => { c.pki = { serverIpAddress: ['10.0.0.1'] }; }, 'pki.serverIpAddress',
    'unknown field; expected one of: directory, serverKey, serverExtraDnsNames, serverIpAddresses'],
  ['a Vault address outside the private zone', (c) => { c.vault.address = 'https://vault.example.org:8200'; }, 'vault.address',
    'whose host is in the private zone'],
];

describe('pki CLI', () => {
  test.each(MALFORMED)('init rejects %s, naming the field, and writes nothing', async (_what, edit, field, message) => {
    // GIVEN
    const ws = pkiWorkspace(edit);
    const chain = readFileSync(ws.committedChain);
    // WHEN
    const run = await initIn(ws);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('configuration is invalid (1 problem)');
    expect(run.stderr).toMatch(new RegExp(`^ {2}${field.replace(/[.[\]]/g, '\\$&')} \\(line \\d+\\): `, 'm'));
    expect(run.stderr).toContain(message);
    expect(existsSync(ws.tls)).toBe(false);
    expect(readFileSync(ws.committedChain)).toEqual(chain);
  });

  test('check and renew-server reject an invalid configuration too', async () => {
    const ws = pkiWorkspace((c) => { c.pki = { serverKey: { algorithm: 'DSA' } }; });
    for (const subcommand of ['check', 'renew-server']) {
      const run = await runPki([subcommand, '--config', ws.config, '--dir', ws.tls]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^ {2}pki\.serverKey\.algorithm \(line \d+\): /m);
    }
  });

  test('reads the configuration without its CA bundle: init works where the committed chain is missing', async () => {
    const ws = pkiWorkspace((c) => { c.vault.caBundleFile = 'pki/not-yet.pem'; });
    const run = await initIn(ws);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(existsSync(join(ws.config, '..', 'pki', 'not-yet.pem'))).toBe(true);
  });

  test('fails on a missing configuration file', async () => {
    const ws = pkiWorkspace();
    const run = await runPki(['init', '--config', join(ws.root, 'missing.yaml'), '--out', ws.tls]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('missing.yaml: cannot read the configuration file: no such file');
    expect(existsSync(ws.tls)).toBe(false);
  });

  test.each([
    ['no subcommand', [], 'pki: expected a subcommand: init, check, renew-server or sign-issuing'],
    ['an unknown subcommand', ['create'], 'pki: unknown subcommand "create"; expected init, check, renew-server or sign-issuing'],
    ['--warn-days given to sign-issuing', ['sign-issuing', '--csr', 'x.csr', '--warn-days', '3'], 'pki: --warn-days is not an option of sign-issuing'],
    ['--csr given to check', ['check', '--csr', 'x.csr'], 'pki: --csr is not an option of check'],
    ['an unknown option', ['init', '--output', 'x'], 'pki: Unknown option \'--output\''],
    ['--dir given to init', ['init', '--dir', 'x'], 'pki: --dir is not an option of init (init writes to --out DIR)'],
    ['--force given to check', ['check', '--force'], 'pki: --force is not an option of check'],
    ['--warn-days that is not a number', ['check', '--warn-days', 'soon'],
      'pki: --warn-days: expected a whole number of days from 0 to 3653, got "soon"'],
    ['a stray argument', ['check', 'now'], 'pki: unexpected argument "now" after check'],
  ])('exits 2 with the usage on %s', async (_what, args, message) => {
    const run = await runPki(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain(USAGE);
  });

  test('--help prints the usage', async () => {
    const run = await runPki(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(USAGE);
  });
});

describe('pki bundle', () => {
  test('runs alone, as on an air-gapped machine: build/pki.cjs and the configuration, no node_modules', async () => {
    // GIVEN a folder with nothing but the bundle and a configuration
    const ws = pkiWorkspace();
    copyFileSync(PKI_BUNDLE, join(ws.root, 'pki.cjs'));
    // WHEN
    const run = await new Promise<{ code: number; stderr: string }>((done) => {
      execFile(process.execPath, ['pki.cjs', 'init', '--out', '.tls'], { cwd: ws.root }, (error, _stdout, stderr) => {
        done({ code: error ? 1 : 0, stderr });
      });
    });
    // THEN
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(opensslVerify(ws.tls).output.trim()).toBe('vault.pem: OK');
  });
});

describe('pki CLI: where the files go without --out / --dir', () => {
  test('into pki.directory, resolved from the configuration file (default ../.tls), where the Vault stacks read them', async () => {
    // GIVEN the example layout: config/platform.yaml, and .tls/ beside config/
    const ws = pkiWorkspace();
    // WHEN
    const init = await runPki(['init', '--config', ws.config]);
    const check = await runPki(['check', '--config', ws.config]);
    // THEN
    expect(init.code, init.stderr).toBe(0);
    for (const file of ['vault.pem', 'vault-key.pem', 'ca-chain.pem']) expect(existsSync(join(ws.tls, file)), file).toBe(true);
    expect(existsSync(join(ws.tls, 'bundle.pem'))).toBe(false);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  test('a configured pki.directory is used by init, check and renew-server alike', async () => {
    const ws = pkiWorkspace((c) => { c.pki = { directory: 'keys' }; });
    const keys = join(ws.config, '..', 'keys');
    expect((await runPki(['init', '--config', ws.config])).code).toBe(0);
    expect(existsSync(join(keys, 'vault-key.pem'))).toBe(true);
    expect(existsSync(ws.tls)).toBe(false);
    expect((await runPki(['renew-server', '--config', ws.config])).code).toBe(0);
    expect((await runPki(['check', '--config', ws.config])).code).toBe(0);
  });
});
