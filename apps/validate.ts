/**
 * `npm run validate`: checks the synthesized output as the clusters and Terraform will see it.
 *
 *   node build/validate.cjs [--crds DIR] [--config FILE] [--json] [DIR ...]
 *
 * DIR defaults to `dist/`, plus `cdktf.out/` when it exists. Every object against the upstream
 * CRDs (`--crds`, default `../shared/crds` beside the project) and its CEL rules, the references
 * between objects, secret material, the policies with the suppressions of the configuration
 * (`--config`, default `config/platform.yaml` when it exists). The report goes to stdout, human
 * readable or, with `--json`, as `{ findings, summary }`.
 * Exit codes: 0 no error (warnings allowed), 1 errors found or invalid configuration, 2 bad
 * command line or no usable CRD folder.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../lib/config/errors.js';
import { loadPlatform } from '../lib/config/load.js';
import { readOutput, type OutputFolder } from '../lib/validate/read-output.js';
import { formatReport, sortFindings, summarize, toJsonReport } from '../lib/validate/report.js';
import { DEFAULT_CRD_ROOT, SchemaRegistry } from '../lib/validate/schemas.js';
import { validateOutput } from '../lib/validate/validate.js';
import type { PolicySuppression } from '../lib/validate/policies.js';
import { formatHelp, formatUsage, type Help, HELP_OPTION } from '../lib/util/cli-help.js';

const HELP: Help = {
  usage: ['npm run validate -- [--crds DIR] [--config FILE] [--json] [DIR ...]'],
  summary: [
    'Checks the synthesized output as the clusters and Terraform will see it: every object against the upstream',
    'CRDs and their CEL rules, the references between objects, secret material, and the policies, with the',
    'suppressions of the configuration. DIR: the folders to check (default: dist, and cdktf.out when it exists).',
  ],
  options: [
    { flag: '--crds DIR', description: 'the folder of the upstream CRD files named in cdk8s.yaml', default: '$GATEWAY_PKI_CRDS, else ../shared/crds beside the project' },
    { flag: '--config FILE', description: 'the configuration whose validation.suppressions apply', default: 'config/platform.yaml when it exists' },
    { flag: '--json', description: 'the report as JSON ({ findings, summary }) instead of text', default: 'off' },
    HELP_OPTION,
  ],
  notes: ['exit codes: 0 no error (warnings allowed), 1 errors found or invalid configuration, 2 bad command line or no usable CRD folder'],
};

const USAGE = formatUsage(HELP.usage);
const DEFAULT_CONFIG = 'config/platform.yaml';

/** A command-line problem: printed with the usage, exit code 2. */
class UsageError extends Error {}

const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();

/** How a folder's files are named in the report: relative to the working directory, or by its own name when outside it. */
function label(path: string): string {
  const rel = relative(process.cwd(), path).split('\\').join('/');
  return rel.startsWith('..') || isAbsolute(rel) ? basename(path) : rel;
}

function folders(positionals: readonly string[]): OutputFolder[] {
  const given = positionals.length > 0 ? positionals : ['dist', ...(isDirectory('cdktf.out') ? ['cdktf.out'] : [])];
  const out = given.map((dir) => {
    if (!isDirectory(dir)) {
      throw new UsageError(positionals.length > 0 ? `${dir} is not a folder` : `dist/ not found here: run npm run synth first, or name the folders to validate`);
    }
    return { path: resolve(dir), label: label(resolve(dir)) };
  });
  // Two folders reported under the same name would mix their files: name those by their full path.
  return out.map((f) => (out.filter((o) => o.label === f.label).length > 1 ? { ...f, label: f.path.split('\\').join('/') } : f));
}

function loadRegistry(crds: string | undefined): SchemaRegistry {
  const root = crds ?? DEFAULT_CRD_ROOT;
  const hint = 'pass --crds DIR, a folder holding the CRD files named in cdk8s.yaml';
  if (!isDirectory(root)) {
    throw new UsageError(crds === undefined ? `upstream CRDs not found: ${hint}` : `upstream CRDs not found in ${crds}: ${hint}`);
  }
  try {
    return SchemaRegistry.load(root);
  } catch (err) {
    throw new UsageError(`upstream CRDs not usable in ${crds ?? root} (${(err as Error).message}): ${hint}`);
  }
}

/**
 * The policy suppressions of the configuration (`validation.suppressions`); none when the default
 * configuration file does not exist. Throws a ConfigError when the configuration is invalid.
 */
function suppressions(config: string | undefined): readonly PolicySuppression[] {
  const file = config ?? DEFAULT_CONFIG;
  if (!existsSync(file)) {
    if (config !== undefined) throw new UsageError(`${config}: configuration file not found`);
    return [];
  }
  return loadPlatform(file).config.validation?.suppressions ?? [];
}

function main(argv: string[]): number {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          crds: { type: 'string' },
          config: { type: 'string' },
          json: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      process.stdout.write(formatHelp(HELP));
      return 0;
    }
    const output = folders(positionals);
    const registry = loadRegistry(values.crds);
    const accepted = suppressions(values.config);
    const { input, findings: unreadable } = readOutput(output);
    const findings = sortFindings([
      ...unreadable,
      ...validateOutput(input, { registry, suppressions: accepted, configFile: values.config ?? DEFAULT_CONFIG }),
    ]);
    const summary = summarize(findings, input);
    process.stdout.write(values.json ? `${JSON.stringify(toJsonReport(findings, summary), null, 2)}\n` : formatReport(findings, summary));
    return summary.errors > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      // The policy suppressions come from it: an invalid configuration fails like synth's does.
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`validate: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`validate failed: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
