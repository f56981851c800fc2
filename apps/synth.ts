/**
 * `npm run synth`: configuration → validated model → dist/ (Kubernetes) and cdktf.out/ (Terraform).
 *
 *   node build/synth.cjs [--config config/platform.yaml] [--out dist] [--terraform-out cdktf.out]
 *
 * Both outputs are built in memory first and swapped in only when everything succeeded.
 * Exit codes: 0 written (or unchanged), 1 invalid configuration or synthesis error (nothing
 * written), 2 bad command line.
 */
import { dirname, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../lib/config/errors.js';
import { loadPlatform } from '../lib/config/load.js';
import { writeDist } from '../lib/output/write-dist.js';
import { assertDeterministicEnvironment, synthesizeKubernetes } from '../lib/synth.js';
import { synthesizeTerraform, terraformNextSteps } from '../lib/terraform/synth.js';

function main(argv: string[]): number {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', default: 'config/platform.yaml' },
        out: { type: 'string', default: 'dist' },
        'terraform-out': { type: 'string', default: 'cdktf.out' },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`synth: ${(err as Error).message}\nusage: npm run synth -- [--config FILE] [--out DIR] [--terraform-out DIR]\n`);
    return 2;
  }

  try {
    assertDeterministicEnvironment(process.env);
    const { config, vaultCaBundle, trustRoots, issuingCertificates } = loadPlatform(args.config);
    const rendered = synthesizeKubernetes(config, { vaultCaBundle, trustRoots });
    // Stacks read TLS material and the PKI bundle at plan time, relative to their own folder.
    const configDirFromStack = relative(resolve(args['terraform-out'], 'stacks', 'stack'), dirname(resolve(args.config))).split(sep).join('/');
    const terraform = synthesizeTerraform(config, { configDirFromStack, issuingCertificates });
    const summary = writeDist(resolve(args.out), rendered.files);
    const terraformSummary = writeDist(resolve(args['terraform-out']), terraform);
    const stacks = terraform.filter((f) => f.path.endsWith('/cdk.tf.json')).map((f) => f.path.split('/')[1]);

    const width = Math.max(...rendered.folders.map((f) => f.folder.length));
    const objects = rendered.folders.reduce((n, f) => n + f.objects, 0);
    const lines = [
      `synthesized ${config.clusters.length} cluster${config.clusters.length > 1 ? 's' : ''}, ${objects} objects, into ${args.out}/`,
      ...rendered.folders.map((f) => `  ${f.folder.padEnd(width)}  ${f.objects} object${f.objects === 1 ? '' : 's'}`),
      `files: ${summary.added.length} added, ${summary.changed.length} changed, ${summary.removed.length} removed`,
      ...summary.added.map((p) => `  + ${p}`),
      ...summary.changed.map((p) => `  ~ ${p}`),
      ...summary.removed.map((p) => `  - ${p}`),
      `terraform: ${stacks.length} stack${stacks.length === 1 ? '' : 's'} (${stacks.join(', ')}) into ${args['terraform-out']}/, `
        + `${terraformSummary.added.length} added, ${terraformSummary.changed.length} changed, ${terraformSummary.removed.length} removed`,
      ...terraformNextSteps(config, issuingCertificates),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : `synth failed: ${(err as Error).message}`;
    process.stderr.write(`${message}\n${args.out}/ and ${args['terraform-out']}/ were left unchanged.\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
