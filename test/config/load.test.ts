import { X509Certificate } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigProblem, ConfigReadError } from '../../lib/config/errors.js';
import { loadConfig, loadPlatform, parseConfig, parsePlatform } from '../../lib/config/load.js';
import { PkiFixtures, privateKeys } from './pki-fixtures.js';

const EXAMPLE_FILE = resolve(__dirname, '../fixtures/example/platform.yaml');
const EXAMPLE_TEXT = readFileSync(EXAMPLE_FILE, 'utf8');
const EXAMPLE_BUNDLE_FILE = resolve(__dirname, '../fixtures/example/pki/ca-chain.pem');
const EXAMPLE_BUNDLE = readFileSync(EXAMPLE_BUNDLE_FILE, 'utf8');
/** The certificates of the example bundle: the intermediate, then the root. */
const [EXAMPLE_INTERMEDIATE, EXAMPLE_ROOT] = EXAMPLE_BUNDLE.split(/(?<=-----END CERTIFICATE-----\n)/) as [string, string];

/** The example's text with `search` replaced once; fails loudly if `search` is not there. */
function exampleTextWith(search: string, replacement: string): string {
  expect(EXAMPLE_TEXT).toContain(search);
  return EXAMPLE_TEXT.replace(search, replacement);
}

/** The example's text with a `trust` section, written as YAML lines below `trust:`, appended. */
function exampleTextWithTrust(...lines: readonly string[]): string {
  expect(EXAMPLE_TEXT, 'the example already has a trust section').not.toMatch(/^trust:/m);
  return `${EXAMPLE_TEXT}\ntrust:\n${lines.map((line) => `  ${line}\n`).join('')}`;
}

/** 1-based line of the first line of `text` that contains `fragment`. */
function lineOf(text: string, fragment: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(fragment));
  expect(index, `no line contains ${JSON.stringify(fragment)}`).toBeGreaterThanOrEqual(0);
  return index + 1;
}

/** The ConfigError `act` throws; fails the test when it throws nothing or something else. */
function configErrorOf(act: () => unknown): ConfigError {
  try {
    act();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

const problemsOf = (text: string): readonly ConfigProblem[] => configErrorOf(() => parseConfig(text, 'platform.yaml')).problems;

const scratch = mkdtempSync(join(tmpdir(), 'gateway-pki-load-'));
const pki = new PkiFixtures();
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  pki.remove();
});

let workspaces = 0;

/**
 * A fresh folder holding `platform.yaml` with `text`, unless `bundle` is null `pki/ca-chain.pem`
 * with `bundle`, and the other `files` (path relative to the folder → content). Returns the
 * configuration file's path.
 */
function workspace(text: string, bundle: string | null = EXAMPLE_BUNDLE, files: Readonly<Record<string, string>> = {}): string {
  workspaces += 1;
  const dir = join(scratch, `workspace-${workspaces}`);
  mkdirSync(join(dir, 'pki'), { recursive: true });
  if (bundle !== null) {
    writeFileSync(join(dir, 'pki', 'ca-chain.pem'), bundle);
  }
  for (const [path, content] of Object.entries(files)) {
    writeFileSync(join(dir, path), content);
  }
  const file = join(dir, 'platform.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('does not read the CA bundle', () => {
    // GIVEN
    const file = workspace(EXAMPLE_TEXT, null);
    // WHEN
    const config = loadConfig(file);
    // THEN
    expect(config.vault.caBundleFile).toBe('pki/ca-chain.pem');
  });

  it('loads the example configuration', () => {
    // WHEN
    const config = loadConfig(EXAMPLE_FILE);
    // THEN
    expect(config.aws.accountId).toBe('123456789012');
    expect(config.clusters.map((cluster) => cluster.name)).toEqual(['mycluster-0']);
    expect(config.applications?.map((application) => application.hostname)).toEqual(['echo.example.com', 'grafana.priv.example.com']);
  });

  it('names the file and the line of each problem', () => {
    // GIVEN
    const file = join(scratch, 'broken.yaml');
    const text = exampleTextWith('accountId: "123456789012"', 'accountId: 1234').replace('name: mycluster-0', 'name: Prod_EU');
    writeFileSync(file, text);
    // WHEN
    const error = configErrorOf(() => loadConfig(file));
    // THEN
    expect(error.message).toBe([
      `${file}: configuration is invalid (2 problems):`,
      `  aws.accountId (line ${lineOf(text, 'accountId: 1234')}): expected a 12-digit AWS account id as a string (quote it in YAML), got 1234`,
      `  clusters[0].name (line ${lineOf(text, 'name: Prod_EU')}): expected a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters), got "Prod_EU"`,
    ].join('\n'));
  });

  it('fails clearly when the file does not exist', () => {
    // GIVEN
    const file = join(scratch, 'missing', 'platform.yaml');
    // WHEN
    const error = configErrorOf(() => loadConfig(file));
    // THEN
    expect(error.message).toBe(`${file}: cannot read the configuration file: no such file; check the path`);
    expect(error.problems).toEqual([{ path: '', message: 'cannot read the configuration file: no such file; check the path' }]);
  });

  it.each([
    ['UTF-16 LE with a byte order mark', () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(exampleTextWith('', ''), 'utf16le')]),
      'the file is UTF-16 LE text (it starts with that byte order mark), expected UTF-8: save it as UTF-8'],
    ['UTF-16 without a byte order mark', () => Buffer.from(exampleTextWith('', ''), 'utf16le'),
      'the file looks like UTF-16 text (every other byte is NUL), expected UTF-8: save it as UTF-8'],
    ['a binary file', () => Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, ...Array.from({ length: 120 }, (_, i) => (i * 37) % 251 + 1)]),
      'the file is not text (a NUL byte at offset 7), expected a YAML configuration'],
    ['Latin-1 text', () => Buffer.from('organization:\n  name: Soci\xe9t\xe9 G\xe9n\xe9rale\n', 'latin1'),
      'the file is not UTF-8 text (an invalid byte sequence; Latin-1 or Windows-1252?), expected UTF-8: save it as UTF-8'],
    ['a huge file', () => Buffer.alloc(2 * 1024 * 1024, 0x23),
      'the file is 2.0 MiB, expected a YAML configuration of a few KB (at most 1 MiB): is it the right file?'],
  ])('reads %s as one clear problem, not dozens of YAML errors', (name, bytes, reason) => {
    // GIVEN
    const file = join(scratch, `${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, bytes());
    // WHEN
    const error = configErrorOf(() => loadConfig(file));
    // THEN
    expect(error.problems).toEqual([{ path: '', message: `cannot read the configuration file: ${reason}` }]);
  });

  it('reads UTF-8 with a byte order mark as the same configuration', () => {
    const file = join(scratch, 'bom.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(EXAMPLE_FILE)]));
    expect(loadConfig(file)).toEqual(loadConfig(EXAMPLE_FILE));
  });

  it('fails clearly when the path is a directory', () => {
    // WHEN
    const error = configErrorOf(() => loadConfig(scratch));
    // THEN
    expect(error.message).toBe(`${scratch}: cannot read the configuration file: it is a directory; give the YAML file`);
  });
});

describe('loadPlatform', () => {
  it('loads the example configuration with no problem, and its CA bundle', () => {
    // WHEN
    const platform = loadPlatform(EXAMPLE_FILE);
    // THEN
    expect(platform.config).toEqual(loadConfig(EXAMPLE_FILE));
    expect(platform.config.vault.caBundleFile).toBe('pki/ca-chain.pem');
    expect(platform.vaultCaBundle).toBe(EXAMPLE_BUNDLE);
    expect(platform.vaultCaBundle?.match(/-----BEGIN CERTIFICATE-----\n/g)).toHaveLength(2);
  });

  it('resolves vault.caBundleFile against the directory of the configuration file, not the working directory', () => {
    // GIVEN: the bundle one level up, under another name, with Windows line endings and a comment
    const file = workspace(exampleTextWith('caBundleFile: pki/ca-chain.pem', 'caBundleFile: ../shared/vault ca.pem'), null);
    mkdirSync(join(dirname(file), '..', 'shared'), { recursive: true });
    writeFileSync(join(dirname(file), '..', 'shared', 'vault ca.pem'), `# chain\r\n${EXAMPLE_BUNDLE.replaceAll('\n', '\r\n')}`);
    // WHEN
    const platform = loadPlatform(file);
    // THEN
    expect(platform.vaultCaBundle).toBe(EXAMPLE_BUNDLE);
  });

  it('reads no CA bundle file when vault.caBundleSecretRef is given instead', () => {
    // GIVEN: no pki/ca-chain.pem in the workspace; the roots come from trust.rootsFile
    const text = exampleTextWithTrust('rootsFile: pki/root-ca.pem')
      .replace('caBundleFile: pki/ca-chain.pem', 'caBundleSecretRef:\n    name: vault-ca');
    const file = workspace(text, null, { 'pki/root-ca.pem': EXAMPLE_ROOT });
    // WHEN
    const platform = loadPlatform(file);
    // THEN
    expect(platform.config.vault.caBundleSecretRef).toEqual({ name: 'vault-ca' });
    expect(platform.config.vault.caBundleFile).toBeUndefined();
    expect(platform.vaultCaBundle).toBeUndefined();
    expect(platform.trustRoots).toBe(EXAMPLE_ROOT);
  });

  it('requires trust.rootsFile when vault.caBundleSecretRef is given, at once with the other problems', () => {
    // GIVEN
    const text = exampleTextWith('caBundleFile: pki/ca-chain.pem', 'caBundleSecretRef:\n    name: vault-ca')
      .replace('name: mycluster-0', 'name: Prod_EU');
    const file = workspace(text, null);
    // WHEN
    const error = configErrorOf(() => loadPlatform(file));
    // THEN
    expect(error.problems.map((problem) => [problem.path, problem.message])).toEqual([
      ['clusters[0].name', expect.stringMatching(/^expected a DNS-1123 label/)],
      ['trust.rootsFile', 'is required when vault.caBundleSecretRef is used: the roots to distribute come from vault.caBundleFile otherwise; '
        + 'expected the path of a PEM file of root CA certificates, relative to the configuration file, such as "pki/root-ca.pem"'],
    ]);
  });

  it('reports both vault.caBundleFile and vault.caBundleSecretRef at the line of vault, without reading the file', () => {
    // GIVEN: the file is missing, which would be a problem of its own were it read
    const text = exampleTextWith('caBundleFile: pki/ca-chain.pem', 'caBundleFile: pki/ca-chain.pem\n  caBundleSecretRef:\n    name: vault-ca');
    const file = workspace(text, null);
    // WHEN
    const error = configErrorOf(() => loadPlatform(file));
    // THEN
    expect(error.problems).toEqual([expect.objectContaining({
      path: 'vault',
      line: lineOf(text, 'vault:'),
      message: expect.stringMatching(/^expected exactly one of caBundleFile .* or caBundleSecretRef .*, got both/),
    })]);
  });

  it('fails clearly when the configuration file does not exist', () => {
    // GIVEN
    const file = join(scratch, 'missing', 'platform.yaml');
    // WHEN
    const error = configErrorOf(() => loadPlatform(file));
    // THEN
    expect(error).toBeInstanceOf(ConfigReadError);
    expect(error.message).toBe(`${file}: cannot read the configuration file: no such file; check the path`);
  });

  it('names the resolved path of a missing CA bundle, at the line of vault.caBundleFile', () => {
    // GIVEN
    const file = workspace(EXAMPLE_TEXT, null);
    // WHEN
    const error = configErrorOf(() => loadPlatform(file));
    // THEN
    expect(error.problems).toEqual([{
      path: 'vault.caBundleFile',
      line: lineOf(EXAMPLE_TEXT, 'caBundleFile:'),
      message: `expected a PEM file of CA certificates, got no such file: ${join(dirname(file), 'pki', 'ca-chain.pem')} `
        + '(the path is relative to the directory of the configuration file)',
    }]);
  });

  it('reports the problems of the CA bundle with those of the fields, all at once and in order', () => {
    // GIVEN
    const key = privateKeys()['EC PRIVATE KEY']!;
    const text = exampleTextWith('accountId: "123456789012"', 'accountId: 1234')
      .replace('roleId: 5f0c8b8e', 'roleId: xf0c8b8e')
      .replace('name: mycluster-0', 'name: Prod_EU');
    const leaf = pki.leaf('vault.priv.example.com');
    const file = workspace(text, `${leaf}${EXAMPLE_BUNDLE}${key}`);
    const keyLine = leaf.split('\n').length + EXAMPLE_BUNDLE.split('\n').length - 1;
    // WHEN
    const error = configErrorOf(() => loadPlatform(file));
    // THEN
    const bundleLine = lineOf(text, 'caBundleFile:');
    expect(error.problems.map((problem) => [problem.path, problem.line])).toEqual([
      ['aws.accountId', lineOf(text, 'accountId: 1234')],
      ['vault.caBundleFile', bundleLine],
      ['vault.caBundleFile', bundleLine],
      ['vault.auth.appRole.roleId', lineOf(text, 'roleId:')],
      ['clusters[0].name', lineOf(text, 'name: Prod_EU')],
    ]);
    expect(error.message).toContain(`  vault.caBundleFile (line ${bundleLine}): expected CA certificates only, got a certificate that is not a CA`);
    expect(error.message).toContain(`  vault.caBundleFile (line ${bundleLine}): expected certificates only, got a private key at line ${keyLine} of `);
    expect(error.message).toMatch(/^.*platform\.yaml: configuration is invalid \(5 problems\):/);
    for (const line of key.split('\n').filter((keyLine) => keyLine !== '' && !keyLine.startsWith('-----'))) {
      expect(error.message).not.toContain(line.slice(0, 16));
    }
  });

  it('reports an expired CA in the bundle', () => {
    // GIVEN
    const file = workspace(EXAMPLE_TEXT, `${EXAMPLE_BUNDLE}${pki.expiredCa('Old Root CA')}`);
    // WHEN
    const error = configErrorOf(() => loadPlatform(file));
    // THEN
    expect(error.problems).toEqual([expect.objectContaining({
      path: 'vault.caBundleFile',
      message: expect.stringMatching(/^expected certificates valid now, .* that expired on 2020-02-01T00:00:00Z, subject "CN=Old Root CA"/),
    })]);
  });

  it('does not read the bundle when vault.caBundleFile is invalid', () => {
    // GIVEN: an absolute path to a valid bundle: the path itself is the mistake
    const text = exampleTextWith('caBundleFile: pki/ca-chain.pem', `caBundleFile: ${EXAMPLE_BUNDLE_FILE}`);
    const file = workspace(text);
    // WHEN
    const error = configErrorOf(() => loadPlatform(file));
    // THEN
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ path: 'vault.caBundleFile', line: lineOf(text, 'caBundleFile:') });
    expect(error.problems[0]!.message).toContain('(an absolute path only exists on one machine;');
  });

  it('does not read the bundle of a document that is not valid YAML', () => {
    // GIVEN
    const file = workspace(`${EXAMPLE_TEXT}\n---\n`, null);
    // WHEN
    const error = configErrorOf(() => loadPlatform(file));
    // THEN
    expect(error.problems.map((problem) => problem.path)).toEqual(['']);
  });
});

describe('loadPlatform trust roots', () => {
  it('distributes the root of the example CA bundle, and not its intermediate', () => {
    // WHEN
    const platform = loadPlatform(EXAMPLE_FILE);
    // THEN
    expect(platform.trustRoots).toBe(EXAMPLE_ROOT);
    expect(platform.trustRoots).toBe(EXAMPLE_BUNDLE.slice(EXAMPLE_BUNDLE.lastIndexOf('-----BEGIN CERTIFICATE-----')));
    expect(new X509Certificate(platform.trustRoots).subject).toBe('O=Example Corp\nC=FR\nCN=Example Corp Root CA');
    expect(platform.trustRoots).not.toContain(EXAMPLE_INTERMEDIATE.split('\n')[1]);
  });

  it('keeps the two roots of trust.rootsFile, in file order, and leaves out an intermediate between them', () => {
    // GIVEN: a root rotation, the new root first
    const { intermediate, root: newRoot } = pki.intermediate('Example Corp Intermediate CA 2', 'Example Corp Root CA 2');
    const roots = `# the new root\n${newRoot}${intermediate}\n# the old root\n${EXAMPLE_ROOT.replaceAll('\n', '\r\n')}`;
    const file = workspace(exampleTextWithTrust('rootsFile: pki/roots.pem'), EXAMPLE_BUNDLE, { 'pki/roots.pem': roots });
    // WHEN
    const platform = loadPlatform(file);
    // THEN
    expect(platform.trustRoots).toBe(`${newRoot}${EXAMPLE_ROOT}`);
    expect(platform.vaultCaBundle).toBe(EXAMPLE_BUNDLE);
  });

  it('rejects a trust.rootsFile that holds only an intermediate, at its line', () => {
    // GIVEN
    const text = exampleTextWithTrust('rootsFile: pki/intermediate.pem');
    const file = workspace(text, EXAMPLE_BUNDLE, { 'pki/intermediate.pem': EXAMPLE_INTERMEDIATE });
    // WHEN
    const error = configErrorOf(() => loadPlatform(file));
    // THEN
    expect(error.problems).toEqual([{
      path: 'trust.rootsFile',
      line: lineOf(text, 'rootsFile:'),
      message: 'expected at least one self-signed root CA certificate to distribute, got only a certificate issued by another CA in '
        + `${join(dirname(file), 'pki', 'intermediate.pem')}: subject "O=Example Corp, C=FR, CN=Example Corp Intermediate CA" issued by `
        + '"O=Example Corp, C=FR, CN=Example Corp Root CA" (intermediates are never distributed; add the self-signed root CA certificate '
        + 'that issued it)',
    }]);
  });

  it('rejects a CA bundle without a root when it is the source of the roots, at the line of vault.caBundleFile', () => {
    // GIVEN
    const file = workspace(EXAMPLE_TEXT, EXAMPLE_INTERMEDIATE);
    // WHEN
    const error = configErrorOf(() => loadPlatform(file));
    // THEN
    expect(error.problems).toEqual([{
      path: 'vault.caBundleFile',
      line: lineOf(EXAMPLE_TEXT, 'caBundleFile:'),
      message: expect.stringMatching(new RegExp('^expected at least one self-signed root CA certificate to distribute, got only a certificate '
        + 'issued by another CA in .*ca-chain\\.pem: subject "O=Example Corp, C=FR, CN=Example Corp Intermediate CA" .*\\(intermediates are '
        + 'never distributed; add the self-signed root CA certificate that issued it to the bundle, or name a file of root certificates in '
        + 'trust\\.rootsFile\\)$')),
    }]);
  });

  it('takes the roots from trust.rootsFile when the CA bundle holds only the intermediate', () => {
    // GIVEN
    const file = workspace(exampleTextWithTrust('rootsFile: pki/root-ca.pem'), EXAMPLE_INTERMEDIATE, { 'pki/root-ca.pem': EXAMPLE_ROOT });
    // WHEN
    const platform = loadPlatform(file);
    // THEN
    expect(platform.vaultCaBundle).toBe(EXAMPLE_INTERMEDIATE);
    expect(platform.trustRoots).toBe(EXAMPLE_ROOT);
  });

  it('reports a missing roots file with its resolved path, with the problems of the CA bundle, without showing a key', () => {
    // GIVEN
    const key = privateKeys()['PRIVATE KEY']!;
    const text = exampleTextWithTrust('rootsFile: ../roots.pem');
    const file = workspace(text, `${EXAMPLE_BUNDLE}${key}`);
    // WHEN
    const error = configErrorOf(() => loadPlatform(file));
    // THEN
    expect(error.problems.map((problem) => [problem.path, problem.line, problem.message.slice(0, 42)])).toEqual([
      ['vault.caBundleFile', lineOf(text, 'caBundleFile:'), 'expected certificates only, got a private '],
      ['trust.rootsFile', lineOf(text, 'rootsFile:'), 'expected a PEM file of CA certificates, go'],
    ]);
    expect(error.problems[1]!.message).toBe(`expected a PEM file of CA certificates, got no such file: ${join(dirname(file), '..', 'roots.pem')} `
      + '(the path is relative to the directory of the configuration file)');
    for (const line of key.split('\n').filter((keyLine) => keyLine !== '' && !keyLine.startsWith('-----'))) {
      expect(error.message).not.toContain(line.slice(0, 16));
    }
  });

  it('rejects a private key in the roots file, naming the roots file', () => {
    // GIVEN
    const text = exampleTextWithTrust('rootsFile: pki/root-ca.pem', 'namespaceLabels:', '  gateway-pki.io/private-ca: "true"');
    const file = workspace(text, EXAMPLE_BUNDLE, { 'pki/root-ca.pem': `${EXAMPLE_ROOT}${privateKeys()['EC PRIVATE KEY']!}` });
    // WHEN
    const error = configErrorOf(() => loadPlatform(file));
    // THEN
    expect(error.problems).toEqual([expect.objectContaining({
      path: 'trust.rootsFile',
      message: expect.stringMatching(/^expected certificates only, got a private key at line \d+ of .*root-ca\.pem \(a "EC PRIVATE KEY" block\): the roots file must hold certificates only/),
    })]);
  });
});

describe('parsePlatform', () => {
  it('reads the CA bundle relative to the directory given', () => {
    // GIVEN
    const dir = join(scratch, 'parse-platform');
    cpSync(dirname(EXAMPLE_BUNDLE_FILE), join(dir, 'pki'), { recursive: true });
    // WHEN
    const platform = parsePlatform(EXAMPLE_TEXT, 'platform.yaml', dir);
    // THEN
    expect(platform.vaultCaBundle).toBe(EXAMPLE_BUNDLE);
    expect(platform.trustRoots).toBe(EXAMPLE_ROOT);
  });
});

describe('parseConfig', () => {
  it('returns the configuration as parsed from YAML', () => {
    // WHEN
    const config = parseConfig(EXAMPLE_TEXT, 'platform.yaml');
    // THEN
    expect(config.clusters[0]!.workloadIdentity).toEqual({
      type: 'irsa',
      oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-3.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF',
    });
  });

  it('gives the line of a wrong value deep in a list', () => {
    // GIVEN
    const text = exampleTextWith('port: 3000', 'port: 70000');
    // WHEN
    const problems = problemsOf(text);
    // THEN
    expect(problems).toEqual([{
      path: 'applications[1].service.port',
      line: lineOf(text, 'port: 70000'),
      message: 'expected an integer from 1 to 65535, got 70000',
    }]);
  });

  it('gives the line of an unknown key', () => {
    // GIVEN
    const text = exampleTextWith('  region: eu-west-3\n', '  region: eu-west-3\n  regoin: eu-west-1\n');
    // WHEN
    const problems = problemsOf(text);
    // THEN
    expect(problems).toEqual([{
      path: 'aws.regoin',
      line: lineOf(text, 'regoin'),
      message: 'unknown field; expected one of: accountId, region',
    }]);
  });

  it('gives a missing field the line of the mapping that should hold it', () => {
    // GIVEN
    const text = exampleTextWith('    gatewayClassName: cilium\n', '');
    // WHEN
    const problems = problemsOf(text);
    // THEN
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'clusters[0].gatewayClassName', line: lineOf(text, '- name: mycluster-0') });
    expect(problems[0]!.message).toMatch(/^is required: expected a DNS-1123 subdomain/);
  });

  it('gives a missing nested field the line of its parent key', () => {
    // GIVEN
    const text = exampleTextWith('    name: priv.example.com\n', '');
    // WHEN
    const problems = problemsOf(text);
    // THEN
    expect(problems).toEqual([{
      path: 'dns.privateZone.name',
      line: lineOf(text, 'privateZone:'),
      message: 'is required: expected a lowercase fully qualified DNS name without trailing dot, such as "example.com"',
    }]);
  });

  it('reads a 12-digit account id written as a YAML number as a number, and says to quote it', () => {
    // GIVEN: YAML 1.2 reads 012345678901 as the integer 12345678901, losing the leading zero
    const text = exampleTextWith('accountId: "123456789012"', 'accountId: 012345678901');
    // WHEN
    const problems = problemsOf(text);
    // THEN
    expect(problems).toEqual([
      {
        path: 'aws.accountId',
        line: lineOf(text, 'accountId:'),
        message: 'expected a 12-digit AWS account id as a string (quote it in YAML), got 12345678901',
      },
    ]);
  });

  it('says to quote a checksum that YAML read as a number, showing it as written', () => {
    // GIVEN: 64 zeros, unquoted, are the integer 0 to YAML
    const zeros = '0'.repeat(64);
    const text = exampleTextWith('engine: vault\n  version: 1.21.1', `engine: openbao\n  version: 2.4.1\n  packageSha256: ${zeros}`);
    // WHEN
    const problems = problemsOf(text);
    // THEN
    expect(problems).toEqual([{
      path: 'vaultCluster.packageSha256',
      line: lineOf(text, 'packageSha256:'),
      message: `expected a SHA-256 checksum: 64 hexadecimal digits, got 0 (YAML read "${zeros}" without quotes as the number 0: quote it)`,
    }]);
  });

  it('says to quote a name that YAML read as a boolean', () => {
    // GIVEN
    const text = exampleTextWith('namespace: echo', 'namespace: true');
    // WHEN
    const [problem, ...others] = problemsOf(text);
    // THEN
    expect(others).toEqual([]);
    expect(problem!.message).toMatch(/, got true \(YAML read "true" without quotes as the boolean true: quote it\)$/);
  });

  it('does not say to quote a number where a number is expected', () => {
    // GIVEN
    const text = exampleTextWith('port: 80', 'port: 99999');
    // WHEN
    const [problem] = problemsOf(text);
    // THEN
    expect(problem!.message).not.toMatch(/quote/);
    expect(problem!.message).toMatch(/, got 99999$/);
  });

  it('does not say to quote a number that would be wrong as a string too', () => {
    // GIVEN: 1.21 is no exact version, quoted or not
    const text = exampleTextWith('version: 1.21.1', 'version: 1.21');
    // WHEN
    const [problem] = problemsOf(text);
    // THEN
    expect(problem!.message).not.toMatch(/quote/);
  });

  it('reports a YAML syntax error with its line, and nothing else', () => {
    // GIVEN
    const text = exampleTextWith('  country: FR\n', '  country: [FR\n');
    // WHEN
    const problems = problemsOf(text);
    // THEN
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('');
    // yaml notices the missing ']' at the next key
    expect(problems[0]!.line).toBe(lineOf(text, 'aws:'));
    expect(problems[0]!.message).toMatch(/^invalid YAML: flow sequence in block collection must be sufficiently indented and end with a \]/);
  });

  it('reports a key written on the same line as another one', () => {
    // GIVEN
    const text = 'organization: name: Example Corp\n';
    // WHEN
    const error = configErrorOf(() => parseConfig(text, 'platform.yaml'));
    // THEN
    expect(error.message).toBe(
      'platform.yaml: configuration is invalid (1 problem):\n  line 1: invalid YAML: nested mappings are not allowed in compact mappings',
    );
  });

  it('reports a duplicate key with its path and the line of the second occurrence', () => {
    // GIVEN
    const text = exampleTextWith('  country: FR\n', '  country: FR\n  country: DE\n');
    // WHEN
    const problems = problemsOf(text);
    // THEN
    expect(problems).toEqual([{
      path: 'organization.country',
      line: lineOf(text, 'country: DE'),
      message: 'duplicate key: a key may appear only once in a mapping; keep one of them',
    }]);
  });

  it('reports a duplicate key inside a list item', () => {
    // GIVEN
    const text = exampleTextWith('    namespace: echo\n', '    namespace: echo\n    namespace: other\n');
    // WHEN
    const problems = problemsOf(text);
    // THEN
    expect(problems).toMatchObject([{ path: 'applications[0].namespace', line: lineOf(text, 'namespace: other') }]);
  });

  it.each([
    ['an empty file', ''],
    ['a file with only comments', '# nothing yet\n\n'],
    ['a file with only a document marker', '---\n'],
  ])('reports %s', (_, text) => {
    // WHEN
    const error = configErrorOf(() => parseConfig(text, 'platform.yaml'));
    // THEN
    expect(error.message).toBe([
      'platform.yaml: configuration is invalid (1 problem):',
      '  line 1: the file is empty; expected a mapping with the sections organization, aws, dns, acme, vault, publicCertificate, privateCertificate, versions, imageDigests, clusters, applications, pki, trust, validation, vaultCluster, backup, terraform',
    ].join('\n'));
  });

  it('reports a second YAML document', () => {
    // GIVEN
    const text = `${EXAMPLE_TEXT}\n---\nextra: true\n`;
    // WHEN
    const problems = problemsOf(text);
    // THEN
    expect(problems).toEqual([{
      path: '',
      line: lineOf(text, '---'),
      message: 'invalid YAML: the file holds several documents (a "---" separator); the configuration is one document',
    }]);
  });

  it('reports a custom tag instead of reading it as a string', () => {
    // GIVEN
    const text = exampleTextWith('region: eu-west-3', 'region: !Ref Region');
    // WHEN
    const problems = problemsOf(text);
    // THEN
    expect(problems).toEqual([{
      path: '',
      line: lineOf(text, '!Ref'),
      message: 'unsupported YAML: unresolved tag: !Ref; the configuration uses plain YAML values',
    }]);
  });

  it('reports a document that is not a mapping on its first line', () => {
    // GIVEN
    const text = '# platform\n- organization\n- aws\n';
    // WHEN
    const problems = problemsOf(text);
    // THEN
    expect(problems).toEqual([{
      path: '',
      line: 2,
      message: 'expected a mapping with the sections organization, aws, dns, acme, vault, publicCertificate, privateCertificate, versions, imageDigests, clusters, applications, pki, trust, validation, vaultCluster, backup, terraform, got a list ["organization","aws"]',
    }]);
  });

  it('validates values reached through YAML aliases', () => {
    // GIVEN: both applications share one service through an anchor, and its port is wrong
    const text = exampleTextWith('    service:\n      name: echo\n      port: 80\n', '    service: &svc\n      name: echo\n      port: 0\n')
      .replace('    service:\n      name: grafana\n      port: 3000\n', '    service: *svc\n');
    // WHEN
    const problems = problemsOf(text);
    // THEN
    expect(problems.map((problem) => [problem.path, problem.line])).toEqual([
      ['applications[0].service.port', lineOf(text, 'port: 0')],
      ['applications[1].service.port', lineOf(text, 'port: 0')],
    ]);
  });
});
