/**
 * `npm run pki`: the offline three-tier PKI (root CA, intermediate CA, Vault server certificate),
 * and the signature of the issuing CAs whose keys Vault keeps.
 *
 *   node build/pki.cjs init [--config config/platform.yaml] [--out DIR] [--force]
 *   node build/pki.cjs check [--config config/platform.yaml] [--dir DIR] [--warn-days 30]
 *   node build/pki.cjs renew-server [--config config/platform.yaml] [--dir DIR]
 *   node build/pki.cjs sign-issuing --csr FILE [--config config/platform.yaml] [--dir DIR] [--out FILE] [--force]
 *
 * DIR defaults to `pki.directory` of the configuration (`../.tls` from `config/`: `.tls/` at the
 * repository's root), where the vault-aws stack reads the server certificate and its key. The
 * `sign-issuing` output defaults to the certificate file of the issuer awaiting one
 * (`vault.pki.issuers[].certificateFile`, relative to the configuration file).
 *
 * `init` also writes the public chain to `vault.caBundleFile` (relative to the configuration file),
 * where synth reads it. Exit codes: 0 done (check: no problem, warnings allowed), 1 invalid
 * configuration, refusal, or check failure (nothing written), 2 bad command line.
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../lib/config/errors.js';
import { loadConfig } from '../lib/config/load.js';
import { pkiDirectory } from '../lib/config/pki-files.js';
import type { PlatformConfig } from '../lib/config/types.js';
import { vaultPkiSettings } from '../lib/config/vault-setup.js';
import { checkPki, DEFAULT_WARN_DAYS, WARN_DAYS_MAX } from '../lib/pki/check.js';
import { PkiError } from '../lib/pki/errors.js';
import { initPki } from '../lib/pki/init.js';
import { showDate } from '../lib/pki/pem.js';
import { pkiProfile } from '../lib/pki/profile.js';
import { renewServerCertificate, renewServerNextStep } from '../lib/pki/renew-server.js';
import { defaultIssuingOut, issuingProfile, signIssuingCa } from '../lib/pki/sign-issuing.js';
import { formatHelp, formatUsage, type Help, HELP_OPTION, type HelpOption } from '../lib/util/cli-help.js';

const CONFIG_OPTION: HelpOption = { flag: '--config FILE', description: 'the platform configuration', default: 'config/platform.yaml' };
const DIR_OPTION: HelpOption = {
  flag: '--dir DIR', description: 'the PKI directory, with the intermediate CA\'s key', default: 'pki.directory of the configuration, ../.tls from config/',
};

/** The help of each subcommand: `npm run pki -- <subcommand> --help`. */
const SUBCOMMAND_HELP: Readonly<Record<string, Help>> = {
  init: {
    usage: ['npm run pki -- init [--config FILE] [--out DIR] [--force]'],
    summary: [
      'Makes the offline three-tier PKI of the configuration (root CA, name-constrained intermediate CA, Vault server',
      'certificate) in DIR, and writes the public chain to vault.caBundleFile, where synth reads it. Nothing is written',
      'until every certificate is made; existing keys are never replaced without --force.',
    ],
    options: [
      CONFIG_OPTION,
      { flag: '--out DIR', description: 'the directory of the PKI files and keys (created mode 0700)', default: 'pki.directory of the configuration, ../.tls from config/' },
      { flag: '--force', description: 'replace the keys already in DIR, and with them the whole PKI every client trusts', default: 'off' },
      HELP_OPTION,
    ],
  },
  check: {
    usage: ['npm run pki -- check [--config FILE] [--dir DIR] [--warn-days N]'],
    summary: [
      'Verifies the PKI directory as a TLS client and Vault would use it: the chain, each key against its certificate',
      'and its mode, the profiles, the validity, the committed chain, the issuing CAs\' files. Problems fail; warnings do not.',
    ],
    options: [
      CONFIG_OPTION,
      DIR_OPTION,
      { flag: '--warn-days N', description: `warn about certificates ending within N days (0 to ${WARN_DAYS_MAX})`, default: String(DEFAULT_WARN_DAYS) },
      HELP_OPTION,
    ],
  },
  'renew-server': {
    usage: ['npm run pki -- renew-server [--config FILE] [--dir DIR]'],
    summary: [
      'Issues a new Vault server certificate, with a new key, from the intermediate CA in DIR (the root key is not',
      'needed), and replaces vault.pem and vault-key.pem at once. It ends with the next step of this configuration.',
    ],
    options: [CONFIG_OPTION, DIR_OPTION, HELP_OPTION],
  },
  'sign-issuing': {
    usage: ['npm run pki -- sign-issuing --csr FILE [--config FILE] [--dir DIR] [--out FILE] [--force]'],
    summary: [
      'Signs the CSR of an issuing CA whose key Vault generated ("terraform output -raw issuing_csr" in the vault-config',
      'stack) with the intermediate CA in DIR, and writes the certificate followed by its chain.',
    ],
    options: [
      { flag: '--csr FILE', description: 'the issuing CA\'s certificate signing request', default: 'required' },
      CONFIG_OPTION,
      DIR_OPTION,
      { flag: '--out FILE', description: 'the certificate file to write', default: 'vault.pki.issuers[].certificateFile of the issuer awaiting one' },
      { flag: '--force', description: 'replace an existing certificate file', default: 'off' },
      HELP_OPTION,
    ],
  },
};

const USAGE = formatUsage(Object.values(SUBCOMMAND_HELP).flatMap((help) => help.usage));

/** `npm run pki -- --help`: the subcommands, a line each, and the options they share. */
const HELP: Help = {
  usage: Object.values(SUBCOMMAND_HELP).flatMap((help) => help.usage),
  summary: [
    'The offline PKI: root CA, intermediate CA and Vault server certificate, and the signature of the issuing CAs whose',
    'keys Vault keeps. Run it where the CA keys are, never in CI. "npm run pki -- <subcommand> --help" tells more.',
    '',
    'subcommands:',
    '  init           make the PKI and write the chain synth reads',
    '  check          verify the PKI directory and the committed chain',
    '  renew-server   a new Vault server certificate from the intermediate CA',
    '  sign-issuing   sign an issuing CA\'s CSR with the intermediate CA',
  ],
  options: [CONFIG_OPTION, HELP_OPTION],
  notes: [
    'exit codes: 0 done (check: no problem, warnings allowed), 1 invalid configuration, refusal, or check failure',
    '(nothing written), 2 bad command line',
  ],
};

/** The options each subcommand accepts, besides --config. */
const SUBCOMMANDS: Readonly<Record<string, readonly string[]>> = {
  init: ['out', 'force'],
  check: ['dir', 'warn-days'],
  'renew-server': ['dir'],
  'sign-issuing': ['dir', 'csr', 'out', 'force'],
};

const SUBCOMMAND_LIST = 'init, check, renew-server or sign-issuing';

const DEFAULT_CONFIG = 'config/platform.yaml';
interface Command {
  readonly name: string;
  readonly config: string;
  /** @default - `pki.directory` of the configuration */
  readonly dir?: string;
  /** sign-issuing: the CSR file. */
  readonly csr?: string;
  /** sign-issuing: the certificate file. @default - see defaultIssuingOut */
  readonly out?: string;
  readonly force: boolean;
  readonly warnDays: number;
}

/** The command line, or the message of what is wrong with it. */
function parseCommandLine(argv: string[]): Command | { error: string } | { help: Help } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        out: { type: 'string' },
        dir: { type: 'string' },
        csr: { type: 'string' },
        force: { type: 'boolean' },
        'warn-days': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    return { error: (err as Error).message };
  }
  const { values, positionals } = parsed;
  const [name, ...extra] = positionals;
  if (values.help) {
    return { help: name !== undefined && Object.hasOwn(SUBCOMMAND_HELP, name) ? SUBCOMMAND_HELP[name]! : HELP };
  }
  if (name === undefined) {
    return { error: `expected a subcommand: ${SUBCOMMAND_LIST}` };
  }
  const allowed = SUBCOMMANDS[name];
  if (allowed === undefined) {
    return { error: `unknown subcommand ${JSON.stringify(name)}; expected ${SUBCOMMAND_LIST}` };
  }
  if (extra.length > 0) {
    return { error: `unexpected argument ${JSON.stringify(extra[0])} after ${name}` };
  }
  for (const option of ['out', 'dir', 'csr', 'force', 'warn-days'] as const) {
    if (values[option] !== undefined && !allowed.includes(option)) {
      const hint = option === 'dir' && name === 'init' ? ' (init writes to --out DIR)'
        : option === 'out' ? ` (${name} reads --dir DIR)` : '';
      return { error: `--${option} is not an option of ${name}${hint}` };
    }
  }
  if (name === 'sign-issuing' && values.csr === undefined) {
    return { error: 'sign-issuing needs --csr FILE: the CSR of "terraform output -raw issuing_csr" in the vault-config stack' };
  }
  let warnDays = DEFAULT_WARN_DAYS;
  const warnDaysText = values['warn-days'];
  if (warnDaysText !== undefined) {
    warnDays = Number(warnDaysText);
    if (!/^\d+$/.test(warnDaysText) || warnDays > WARN_DAYS_MAX) {
      return { error: `--warn-days: expected a whole number of days from 0 to ${WARN_DAYS_MAX}, got ${JSON.stringify(warnDaysText)}` };
    }
  }
  return {
    name,
    config: values.config ?? DEFAULT_CONFIG,
    dir: name === 'init' ? values.out : values.dir,
    ...(values.csr === undefined ? {} : { csr: values.csr }),
    ...(name === 'sign-issuing' && values.out !== undefined ? { out: values.out } : {}),
    force: values.force ?? false,
    warnDays,
  };
}

/** A path as the user reads it: relative to the working directory when below it. */
function shown(path: string): string {
  const fromHere = relative(process.cwd(), resolve(path));
  return fromHere === '' ? '.' : fromHere.startsWith('..') || isAbsolute(fromHere) ? resolve(path) : fromHere;
}

/** `vault.caBundleFile` resolved against the configuration file's directory, when set (and not overridden by a Secret). */
function committedChainFile(config: PlatformConfig, configFile: string): string | undefined {
  return config.vault.caBundleFile === undefined ? undefined : resolve(dirname(configFile), config.vault.caBundleFile);
}

async function run(command: Command): Promise<number> {
  const config = loadConfig(command.config);
  const profile = pkiProfile(config);
  const chainFile = committedChainFile(config, command.config);
  const dir = command.dir ?? resolve(dirname(command.config), pkiDirectory(config));
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;

  if (command.name === 'init') {
    const result = await initPki({ profile, outDir: dir, chainFile, force: command.force });
    out.push(`created the three-tier PKI of ${profile.organization} in ${shown(dir)}/`
      + (result.replaced.length > 0 ? ` (replacing ${result.replaced.join(', ')})` : ''));
    for (const [role, certificate] of [['root CA', result.root], ['intermediate CA', result.intermediate], ['Vault server', result.server]] as const) {
      out.push(`  ${role.padEnd(15)}  ${certificate.subject}  not after ${showDate(certificate.notAfter)}`);
    }
    out.push('files:');
    for (const file of result.files) {
      const forSynth = file.path === chainFile ? '  (vault.caBundleFile: the chain synth embeds; commit it)' : '';
      out.push(`  ${file.mode.toString(8).padStart(4, '0')} ${shown(file.path)}${forSynth}`);
    }
    out.push(chainFile === undefined
      ? 'vault.caBundleFile is not set: put ca-chain.pem in the Secret that vault.caBundleSecretRef names'
      : `next: run "npm run synth" and commit ${shown(chainFile)} and dist/`);
    out.push(`keep ${shown(resolve(dir, 'root-ca-key.pem'))} offline, and ${shown(resolve(dir, 'intermediate-ca-key.pem'))} where `
      + 'renew-server and sign-issuing run; the Vault nodes need vault.pem, vault-key.pem and ca-chain.pem only');
  } else if (command.name === 'sign-issuing') {
    const outFile = command.out === undefined ? defaultIssuingOut(config, dirname(command.config)) : resolve(command.out);
    const result = await signIssuingCa({ profile: issuingProfile(config), dir, csrFile: command.csr!, outFile, force: command.force });
    out.push(`signed the issuing CA ${result.certificate.subject} with the intermediate CA of ${shown(dir)}/, `
      + `not after ${showDate(result.certificate.notAfter)}`);
    out.push(`  ${result.file.mode.toString(8).padStart(4, '0')} ${shown(result.file.path)}  (issuing CA, intermediate, root: public, commit it)`);
    if (result.note !== undefined) {
      err.push(`warning: ${result.note}`);
    }
    out.push(`next: commit ${shown(result.file.path)}, run "npm run synth", and apply vault-config again: Vault sets the certificate and signs`);
  } else if (command.name === 'renew-server') {
    const result = await renewServerCertificate({ profile, dir });
    out.push(`renewed the Vault server certificate in ${shown(dir)}/, new key, not after ${showDate(result.certificate.notAfter)}`);
    for (const file of result.files) {
      out.push(`  ${file.mode.toString(8).padStart(4, '0')} ${shown(file.path)}`);
    }
    if (result.note !== undefined) {
      err.push(`warning: ${result.note}`);
    }
    out.push(renewServerNextStep(config));
  } else {
    const issuers = vaultPkiSettings(config).issuers.map((issuer) => ({ name: issuer.name, file: resolve(dirname(command.config), issuer.certificateFile) }));
    const issuing = { files: issuers, permittedZones: issuingProfile(config).permittedZones };
    const report = checkPki({ profile, dir, warnDays: command.warnDays, chainFile, issuing });
    for (const certificate of report.certificates) {
      const left = certificate.daysLeft >= 0 ? `${certificate.daysLeft} days left` : `expired ${-certificate.daysLeft} days ago`;
      out.push(`${certificate.role.padEnd(15)}  ${certificate.subject}  not after ${showDate(certificate.notAfter)}  (${left})`);
    }
    out.push(...report.notes.map((note) => `note: ${note}`));
    err.push(...report.warnings.map((warning) => `warning: ${warning}`));
    err.push(...report.problems.map((problem) => `problem: ${problem}`));
    const warnings = `${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}`;
    if (report.problems.length > 0) {
      err.push(`check failed: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}, ${warnings}`);
      code = 1;
    } else {
      out.push(`check passed: ${report.certificates.length} certificates, ${warnings}`);
    }
  }
  if (out.length > 0) {
    process.stdout.write(`${out.join('\n')}\n`);
  }
  if (err.length > 0) {
    process.stderr.write(`${err.join('\n')}\n`);
  }
  return code;
}

async function main(argv: string[]): Promise<number> {
  const command = parseCommandLine(argv);
  if ('help' in command) {
    process.stdout.write(formatHelp(command.help));
    return 0;
  }
  if ('error' in command) {
    process.stderr.write(`pki: ${command.error}\n${USAGE}\n`);
    return 2;
  }
  try {
    return await run(command);
  } catch (err) {
    const message = err instanceof ConfigError ? err.message
      : err instanceof PkiError ? `pki ${command.name}: ${err.message}`
        : `pki ${command.name} failed: ${(err as Error).message}`;
    const unchanged = command.name === 'check' ? '' : '\nnothing was written.';
    process.stderr.write(`${message}${unchanged}\n`);
    return 1;
  }
}

// No top-level await: the bundle is CommonJS.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
