/**
 * `npm run synth`: configuration → validated model → dist/ (Kubernetes) and cdktf.out/ (Terraform).
 *
 *   node build/synth.cjs [--config config/platform.yaml] [--out dist] [--terraform-out cdktf.out]
 *                        [--check | --diff [--stat]] [--json]
 *
 * Both outputs are built in memory first, then switched in together in one crash-safe step
 * (lib/output/commit.ts) that replaces and removes only the files synth wrote (lib/output/ownership.ts).
 * `--check` and `--diff` (`npm run diff`) compare instead, and write nothing.
 * Exit codes: 0 written (or unchanged; with --check, up to date), 1 invalid configuration, synthesis
 * or write error (with --check, out of date), 2 bad command line or an output folder synth refuses
 * to write to (nothing touched).
 */
import { dirname, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../lib/config/errors.js';
import { loadPlatform } from '../lib/config/load.js';
import { formatWarning } from '../lib/config/warnings.js';
import { EXTRA_MANIFESTS_FOLDER, readExtraManifests } from '../lib/output/extra-manifests.js';
import { adoptCdktfOutput, adoptGeneratedManifests } from '../lib/output/adopt.js';
import { isOutdated, type OutputTarget, previewOutputs, type TargetPreview, type TargetSummary, writeOutputs } from '../lib/output/commit.js';
import { renderDiff, renderDiffStat } from '../lib/output/diff.js';
import { OutputError } from '../lib/output/errors.js';
import { FAULT_VARIABLE, faultHook } from '../lib/output/fault-injection.js';
import { checkOutputPaths, OUTPUT_MANIFEST, protectedFolders } from '../lib/output/ownership.js';
import { FileSteps } from '../lib/output/steps.js';
import { formatHelp, formatUsage, type Help, HELP_OPTION } from '../lib/util/cli-help.js';
import { assertDeterministicEnvironment, synthesizeKubernetes } from '../lib/synth.js';
import { findStateInOutput, localStateDirectory, stateFolderProblem, stateMigrationMessage } from '../lib/terraform/state.js';
import { removedStacks, removedStackWarning } from '../lib/terraform/removed-stacks.js';
import { synthesizeTerraform, terraformNextSteps } from '../lib/terraform/synth.js';

const HELP: Help = {
  usage: [
    'npm run synth -- [--config FILE] [--out DIR] [--terraform-out DIR] [--check | --diff [--stat]] [--json]',
    'npm run diff -- [--stat] [same options]',
  ],
  summary: [
    'Validates the configuration, then writes the Kubernetes manifests (dist/, committed for Flux) and the',
    'Terraform stacks (cdktf.out/) together. Each output folder must be missing, empty, or one synth wrote:',
    'synth replaces and removes only the files it wrote there (listed in the folder\'s .gateway-pki-output.json)',
    'and keeps every other file. Your own manifests in extra/<cluster>/<layer>/ beside the configuration are',
    'copied into their layer as extra.<file> (docs/architecture.md, "Your own manifests"). Warnings (settings with no effect,',
    'a Terraform stack removed) end the summary.',
  ],
  options: [
    { flag: '--config FILE', description: 'the platform configuration', default: 'config/platform.yaml' },
    { flag: '--out DIR', description: 'the Kubernetes manifests, committed for Flux', default: 'dist' },
    { flag: '--terraform-out DIR', description: 'the Terraform stacks', default: 'cdktf.out' },
    { flag: '--check', description: 'write nothing; exit 0 when both folders are what the configuration gives, 1 listing each file to add (+), change (~) or remove (-)', default: 'off' },
    { flag: '--diff', description: 'write nothing; print the unified diff of what a synth would change', default: 'off' },
    { flag: '--stat', description: 'with --diff: a line per file and the totals instead of the diff', default: 'off' },
    { flag: '--json', description: 'the summary (or, with --check, the comparison) as JSON on stdout', default: 'off' },
    HELP_OPTION,
  ],
  notes: [
    'exit codes: 0 written or unchanged (with --check: up to date), 1 invalid configuration, synthesis or write error',
    '(with --check: out of date), 2 bad command line or an output folder synth refuses to write to (nothing touched)',
  ],
};

const USAGE = formatUsage(HELP.usage);

function main(argv: string[]): number {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', default: 'config/platform.yaml' },
        out: { type: 'string', default: 'dist' },
        'terraform-out': { type: 'string', default: 'cdktf.out' },
        check: { type: 'boolean', default: false },
        diff: { type: 'boolean', default: false },
        stat: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`synth: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(formatHelp(HELP));
    return 0;
  }
  const conflict = args.check && args.diff ? '--check and --diff are two answers to one question: give one'
    : args.stat && !args.diff ? '--stat goes with --diff'
      : args.json && args.diff ? '--json does not go with --diff (use --check --json for a comparison machines read)' : undefined;
  if (conflict !== undefined) {
    process.stderr.write(`synth: ${conflict}\n${USAGE}\n`);
    return 2;
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
    const { config, vaultCaBundle, trustRoots, issuingCertificates, warnings: configWarnings } = loadPlatform(args.config);
    const settingWarnings = configWarnings.map(formatWarning);
    const stateProblem = stateFolderProblem(config, configDir, [{ dir: distDir, label: shown.dist }, { dir: terraformDir, label: shown.terraform }]);
    if (stateProblem !== undefined) throw new ConfigError(args.config, [{ path: 'terraform.backend.local.directory', message: stateProblem }]);
    const strayState = findStateInOutput(terraformDir);
    if (strayState.length > 0) {
      const stateDir = relative(cwd, resolve(configDir, localStateDirectory(config))).split(sep).join('/') || '.';
      process.stderr.write(`${stateMigrationMessage(config, strayState, shown.terraform, stateDir)}\n${unchanged}\n`);
      return 1;
    }

    // The user's own manifests, beside the configuration: read now, refused before anything is written.
    const shownExtra = relative(cwd, resolve(configDir, EXTRA_MANIFESTS_FOLDER)).split(sep).join('/');
    const extra = readExtraManifests(configDir, shownExtra);
    const rendered = synthesizeKubernetes(config, { vaultCaBundle, trustRoots }, extra, shownExtra);
    // Stacks read TLS material at plan time, relative to their own folder.
    const configDirFromStack = relative(resolve(terraformDir, 'stacks', 'stack'), configDir).split(sep).join('/');
    const terraform = synthesizeTerraform(config, { configDirFromStack, issuingCertificates });

    const targets: OutputTarget[] = [
      { dir: distDir, label: shown.dist, files: rendered.files, adopt: adoptGeneratedManifests },
      { dir: terraformDir, label: shown.terraform, files: terraform, adopt: adoptCdktfOutput },
    ];
    if (args.check || args.diff) {
      const previews = previewOutputs(targets);
      const previewWarnings = [
        ...settingWarnings,
        ...removedStacks(previews[1]!.removed).map((stack) => removedStackWarning(stack, shown.terraform, false)),
      ];
      for (const warning of previewWarnings) process.stderr.write(`synth: warning: ${warning}\n`);
      if (args.diff) {
        const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
        process.stdout.write(args.stat ? renderDiffStat(previews, { color }) : renderDiff(previews, { color }));
        return 0;
      }
      return reportCheck(previews, args.json, previewWarnings);
    }

    const result = writeOutputs(targets, {
      steps: new FileSteps(faultHook(process.env[FAULT_VARIABLE])),
      onWait: (message) => process.stderr.write(`synth: ${message}\n`),
    });
    for (const note of result.recovered) process.stderr.write(`synth: ${note}\n`);
    for (const target of result.targets.filter((t) => t.adopted)) {
      process.stderr.write(`synth: ${target.label}/ had no ${OUTPUT_MANIFEST} (written by an earlier version): took over the files an earlier synth `
        + `wrote there and listed them in ${target.label}/${OUTPUT_MANIFEST}; every other file is kept\n`);
    }

    const [dist, tf] = result.targets as [TargetSummary, TargetSummary];
    const stacks = terraform.filter((f) => f.path.endsWith('/cdk.tf.json')).map((f) => f.path.split('/')[1]!);
    const objects = rendered.folders.reduce((n, f) => n + f.objects, 0);
    const nextSteps = terraformNextSteps(config, issuingCertificates);
    const warnings = [
      ...settingWarnings,
      ...removedStacks(tf.removed).map((stack) => removedStackWarning(stack, shown.terraform, true)),
      ...result.warnings,
    ];
    if (args.json) {
      // stdout is the JSON: the warnings go to stderr too, where a person reading the log sees them.
      for (const warning of warnings) process.stderr.write(`synth: warning: ${warning}\n`);
      const summary = (target: TargetSummary) => ({
        folder: target.label, added: target.added, changed: target.changed, removed: target.removed, kept: target.kept, adopted: target.adopted,
      });
      process.stdout.write(`${JSON.stringify({
        clusters: config.clusters.map((c) => c.name),
        objects,
        layers: rendered.folders.map((f) => ({ folder: f.folder, objects: f.objects })),
        stacks,
        outputs: [summary(dist), summary(tf)],
        next: nextSteps.map((line) => line.replace(/^next: /, '')),
        warnings,
      }, null, 2)}\n`);
      return 0;
    }
    const width = Math.max(...rendered.folders.map((f) => f.folder.length));
    const lines = [
      `synthesized ${config.clusters.length} cluster${config.clusters.length > 1 ? 's' : ''}, ${objects} objects, into ${shown.dist}/`,
      ...rendered.folders.map((f) => `  ${f.folder.padEnd(width)}  ${f.objects} object${f.objects === 1 ? '' : 's'}`),
      `files: ${counts(dist)}`,
      ...dist.added.map((p) => `  + ${p}`),
      ...dist.changed.map((p) => `  ~ ${p}`),
      ...dist.removed.map((p) => `  - ${p}`),
      `terraform: ${stacks.length} stack${stacks.length === 1 ? '' : 's'} (${stacks.join(', ')}) into ${shown.terraform}/, ${counts(tf)}`,
      ...nextSteps,
      ...warnings.map((warning) => `warning: ${warning}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
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

/**
 * `--check`: exit 0 when both folders are what a synth would leave, 1 otherwise, with the files
 * that differ (and, in JSON, the same lists).
 */
function reportCheck(previews: readonly TargetPreview[], json: boolean, warnings: readonly string[]): number {
  const outdated = previews.filter(isOutdated);
  if (json) {
    process.stdout.write(`${JSON.stringify({
      upToDate: outdated.length === 0,
      warnings,
      outputs: previews.map((p) => ({
        folder: p.label, upToDate: !isOutdated(p), added: p.added, changed: p.changed, removed: p.removed,
        manifestChanged: p.manifestChanged, interrupted: p.interrupted,
      })),
    }, null, 2)}\n`);
    return outdated.length === 0 ? 0 : 1;
  }
  if (outdated.length === 0) {
    process.stdout.write(`check: ${previews.map((p) => `${p.label}/`).join(' and ')} are what the configuration gives\n`);
    return 0;
  }
  const lines = outdated.flatMap((p) => [
    `check: ${p.label}/ is out of date: ${p.added.length} to add, ${p.changed.length} to change, ${p.removed.length} to remove`,
    ...p.added.map((path) => `  + ${p.label}/${path}`),
    ...p.changed.map((path) => `  ~ ${p.label}/${path}`),
    ...p.removed.map((path) => `  - ${p.label}/${path}`),
    ...(p.manifestChanged ? [`  ~ ${p.label}/${OUTPUT_MANIFEST} (the list of files synth owns)`] : []),
    ...(p.interrupted ? [`  an interrupted synth left its journal in ${p.label}/: the next synth completes it`] : []),
  ]);
  process.stdout.write(`${lines.join('\n')}\nrun \`npm run synth\` (and commit dist/), or \`npm run diff\` to see the changes\n`);
  return 1;
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

// `npm run diff | head`: a reader that stops early is not an error of ours (no EPIPE stack trace).
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});
process.exitCode = main(process.argv.slice(2));
