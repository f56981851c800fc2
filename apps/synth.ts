/**
 * `npm run synth`: configuration → validated model → dist/ (Kubernetes) and cdktf.out/ (Terraform).
 *
 *   node build/synth.cjs [--config config/platform.yaml] [--out dist] [--terraform-out cdktf.out]
 *
 * Both outputs are built in memory first, then switched in together in one crash-safe step
 * (lib/output/commit.ts) that replaces and removes only the files synth wrote (lib/output/ownership.ts).
 * Exit codes: 0 written (or unchanged), 1 invalid configuration, synthesis or write error,
 * 2 bad command line or an output folder synth refuses to write to (nothing touched).
 */
import { dirname, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../lib/config/errors.js';
import { loadPlatform } from '../lib/config/load.js';
import { adoptCdktfOutput, adoptGeneratedManifests } from '../lib/output/adopt.js';
import { type TargetSummary, writeOutputs } from '../lib/output/commit.js';
import { OutputError } from '../lib/output/errors.js';
import { FAULT_VARIABLE, faultHook } from '../lib/output/fault-injection.js';
import { checkOutputPaths, OUTPUT_MANIFEST, protectedFolders } from '../lib/output/ownership.js';
import { FileSteps } from '../lib/output/steps.js';
import { assertDeterministicEnvironment, synthesizeKubernetes } from '../lib/synth.js';
import { findStateInOutput, localStateDirectory, stateFolderProblem, stateMigrationMessage } from '../lib/terraform/state.js';
import { synthesizeTerraform, terraformNextSteps } from '../lib/terraform/synth.js';

const USAGE = `usage: npm run synth -- [--config FILE] [--out DIR] [--terraform-out DIR]

  --config FILE         the platform configuration (default: config/platform.yaml)
  --out DIR             the Kubernetes manifests, committed for Flux (default: dist)
  --terraform-out DIR   the Terraform stacks (default: cdktf.out)

Each output folder must be missing, empty, or one synth wrote: synth replaces and removes only the
files it wrote there (listed in the folder's .gateway-pki-output.json) and keeps every other file.`;

function main(argv: string[]): number {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', default: 'config/platform.yaml' },
        out: { type: 'string', default: 'dist' },
        'terraform-out': { type: 'string', default: 'cdktf.out' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`synth: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const shown = { dist: label(args.out), terraform: label(args['terraform-out']) };
  const unchanged = `${shown.dist}/ and ${shown.terraform}/ were left unchanged.`;

  try {
    const cwd = process.cwd();
    const configDir = dirname(resolve(args.config));
    const [distDir, terraformDir] = checkOutputPaths(
      [{ option: '--out', value: args.out }, { option: '--terraform-out', value: args['terraform-out'] }],
      protectedFolders(cwd, configDir),
      cwd,
    ) as [string, string];
    assertDeterministicEnvironment(process.env);
    const { config, vaultCaBundle, trustRoots, issuingCertificates } = loadPlatform(args.config);
    const stateProblem = stateFolderProblem(config, configDir, [{ dir: distDir, label: shown.dist }, { dir: terraformDir, label: shown.terraform }]);
    if (stateProblem !== undefined) throw new ConfigError(args.config, [{ path: 'terraform.backend.local.directory', message: stateProblem }]);
    const strayState = findStateInOutput(terraformDir);
    if (strayState.length > 0) {
      const stateDir = relative(cwd, resolve(configDir, localStateDirectory(config))).split(sep).join('/') || '.';
      process.stderr.write(`${stateMigrationMessage(config, strayState, shown.terraform, stateDir)}\n${unchanged}\n`);
      return 1;
    }

    const rendered = synthesizeKubernetes(config, { vaultCaBundle, trustRoots });
    // Stacks read TLS material at plan time, relative to their own folder.
    const configDirFromStack = relative(resolve(terraformDir, 'stacks', 'stack'), configDir).split(sep).join('/');
    const terraform = synthesizeTerraform(config, { configDirFromStack, issuingCertificates });

    const result = writeOutputs([
      { dir: distDir, label: shown.dist, files: rendered.files, adopt: adoptGeneratedManifests },
      { dir: terraformDir, label: shown.terraform, files: terraform, adopt: adoptCdktfOutput },
    ], {
      steps: new FileSteps(faultHook(process.env[FAULT_VARIABLE])),
      onWait: (message) => process.stderr.write(`synth: ${message}\n`),
    });
    for (const note of result.recovered) process.stderr.write(`synth: ${note}\n`);
    for (const target of result.targets.filter((t) => t.adopted)) {
      process.stderr.write(`synth: ${target.label}/ had no ${OUTPUT_MANIFEST} (written by an earlier version): took over the files an earlier synth `
        + `wrote there and listed them in ${target.label}/${OUTPUT_MANIFEST}; every other file is kept\n`);
    }

    const [dist, tf] = result.targets as [TargetSummary, TargetSummary];
    const stacks = terraform.filter((f) => f.path.endsWith('/cdk.tf.json')).map((f) => f.path.split('/')[1]);
    const width = Math.max(...rendered.folders.map((f) => f.folder.length));
    const objects = rendered.folders.reduce((n, f) => n + f.objects, 0);
    const lines = [
      `synthesized ${config.clusters.length} cluster${config.clusters.length > 1 ? 's' : ''}, ${objects} objects, into ${shown.dist}/`,
      ...rendered.folders.map((f) => `  ${f.folder.padEnd(width)}  ${f.objects} object${f.objects === 1 ? '' : 's'}`),
      `files: ${counts(dist)}`,
      ...dist.added.map((p) => `  + ${p}`),
      ...dist.changed.map((p) => `  ~ ${p}`),
      ...dist.removed.map((p) => `  - ${p}`),
      `terraform: ${stacks.length} stack${stacks.length === 1 ? '' : 's'} (${stacks.join(', ')}) into ${shown.terraform}/, ${counts(tf)}`,
      ...terraformNextSteps(config, issuingCertificates),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    for (const warning of result.warnings) process.stderr.write(`synth: warning: ${warning}\n`);
    return 0;
  } catch (err) {
    if (err instanceof OutputError) {
      process.stderr.write(`synth: ${err.message}\n${err.committed ? '' : `${unchanged}\n`}`);
      return err.exitCode;
    }
    const message = err instanceof ConfigError ? err.message : `synth failed: ${(err as Error).message}`;
    process.stderr.write(`${message}\n${unchanged}\n`);
    return 1;
  }
}

/** `3 added, 1 changed, 0 removed`, and the files of others kept when there are any. */
function counts(summary: TargetSummary): string {
  const kept = summary.kept > 0 ? `; ${summary.kept} file${summary.kept === 1 ? '' : 's'} synth did not write kept as they are` : '';
  return `${summary.added.length} added, ${summary.changed.length} changed, ${summary.removed.length} removed${kept}`;
}

/** An output folder as messages show it: as given, without trailing separators. */
function label(value: string): string {
  return value.replace(/[\\/]+$/, '') || value;
}

process.exitCode = main(process.argv.slice(2));
