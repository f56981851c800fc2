/**
 * Where the stacks keep their Terraform state (`terraform.backend` of the configuration), and
 * the check that no state is left where earlier versions kept it.
 *
 * State never lives in the Terraform output folder (`cdktf.out/`): synth owns that folder's
 * generated files, and state is the one record of what exists in AWS and Vault. Before this,
 * stacks used a local backend in their own folder, `cdktf.out/stacks/<stack>/terraform.tfstate`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, posix, relative, resolve } from 'node:path';
import type { PlatformConfig } from '../config/types.js';

/** `terraform.backend.local.directory` when omitted: `terraform-state/` at the repository's root, seen from `config/`. */
export const DEFAULT_STATE_DIRECTORY = '../terraform-state';
/** `terraform.backend.s3.keyPrefix` when omitted. */
export const DEFAULT_STATE_KEY_PREFIX = 'gateway-pki';

/** A stack's backend, resolved for the stack's folder. */
export type StateBackend =
  | {
    readonly type: 'local';
    /** Folder of the `<stack>.tfstate` files, relative to a stack's folder (`cdktf.out/stacks/<stack>/`), `/`-separated. */
    readonly directoryFromStack: string;
  }
  | {
    readonly type: 's3';
    readonly bucket: string;
    readonly keyPrefix: string;
    readonly region: string;
    readonly kmsKeyId: string;
  };

/** The local backend of the repository's layout (`config/`, `cdktf.out/` and `terraform-state/` side by side). */
export const DEFAULT_STATE_BACKEND: StateBackend = { type: 'local', directoryFromStack: '../../../terraform-state' };

/**
 * The backend every stack gets.
 * @param configDirFromStack the configuration's folder seen from a stack's folder (lib/terraform/files.ts)
 */
export function stateBackend(config: PlatformConfig, configDirFromStack: string): StateBackend {
  const s3 = config.terraform?.backend?.s3;
  if (s3 !== undefined) {
    return {
      type: 's3', bucket: s3.bucket, keyPrefix: s3.keyPrefix ?? DEFAULT_STATE_KEY_PREFIX, region: s3.region ?? config.aws.region, kmsKeyId: s3.kmsKeyId,
    };
  }
  return { type: 'local', directoryFromStack: posix.normalize(posix.join(configDirFromStack, localStateDirectory(config))) };
}

/** `terraform.backend.local.directory`, relative to the configuration file (its default with S3: where moved state waits to be pushed). */
export function localStateDirectory(config: PlatformConfig): string {
  return config.terraform?.backend?.local?.directory ?? DEFAULT_STATE_DIRECTORY;
}

/**
 * With a local backend, refuses a state folder inside an output folder: `cdktf.out/` is rewritten
 * by synth and `dist/` is committed to Git, state holds secrets.
 * @returns the problem of `terraform.backend.local.directory`, or `undefined`
 */
export function stateFolderProblem(config: PlatformConfig, configDir: string, outputs: readonly { dir: string; label: string }[]): string | undefined {
  if (config.terraform?.backend?.s3 !== undefined) return undefined;
  const state = resolve(configDir, localStateDirectory(config));
  for (const output of outputs) {
    const rel = relative(output.dir, state);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
      return `expected a folder outside ${output.label}/, got ${JSON.stringify(localStateDirectory(config))} `
        + `(${state}): synth owns ${output.label}/, and state must never be rewritten nor committed`;
    }
  }
  return undefined;
}

/** State files that earlier versions left in stack folders: `stacks/<stack>/terraform.tfstate`, relative to `terraformOut`. */
export function findStateInOutput(terraformOut: string): string[] {
  const stacks = join(terraformOut, 'stacks');
  if (!existsSync(stacks)) return [];
  return readdirSync(stacks, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(stacks, entry.name, 'terraform.tfstate')))
    .map((entry) => `stacks/${entry.name}/terraform.tfstate`)
    .sort();
}

/**
 * What to tell the operator when {@link findStateInOutput} found state: synth stops, because the
 * stacks now read state elsewhere and a plan would see nothing and create everything again.
 * @param label how the Terraform output folder is shown (`cdktf.out`)
 * @param stateDirShown the local state folder as the operator would type it, from where synth runs
 */
export function stateMigrationMessage(config: PlatformConfig, found: readonly string[], label: string, stateDirShown: string): string {
  const moves = found.map((file) => {
    const stack = file.split('/')[1]!;
    return `    mv ${label}/${file} ${stateDirShown}/${stack}.tfstate`;
  });
  const lines = [
    `synth: Terraform state in the output folder, where earlier versions kept it: ${found.map((f) => `${label}/${f}`).join(', ')}.`,
    `The stacks now keep their state outside ${label}/ (terraform.backend), so synth stops rather than leave it behind. Move it first:`,
    `    mkdir -p ${stateDirShown}`,
    ...moves,
    `(and a terraform.tfstate.backup beside it, if any). Then run synth again, and in each stack folder \`terraform init -reconfigure\`.`,
  ];
  if (config.terraform?.backend?.s3 !== undefined) {
    lines.push('With the S3 backend, push each moved file afterwards: '
      + `\`terraform -chdir=${label}/stacks/<stack> init -reconfigure && terraform -chdir=${label}/stacks/<stack> state push <moved file>\` (docs/architecture.md, "Where Terraform state lives").`);
  }
  return lines.join('\n');
}
