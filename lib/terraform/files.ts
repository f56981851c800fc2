/**
 * Files of the configuration that Terraform reads at plan and apply time (TLS material, the PKI
 * bundle), never synth: only their path goes into `cdktf.out/`, so no secret is ever written there.
 *
 * Terraform runs in `cdktf.out/stacks/<stack>/`; a path is written relative to that folder
 * (`${path.module}/…`), so the stack works from any checkout and synthesizes the same everywhere.
 */
import { posix } from 'node:path';

/** Where the configuration's directory is, seen from a stack's folder. */
export interface TerraformFiles {
  /**
   * Path of the directory of the configuration file, relative to `cdktf.out/stacks/<stack>/`, with
   * `/` separators.
   * @default '../../../config' (the repository's layout: `config/` beside `cdktf.out/`)
   */
  readonly configDirFromStack?: string;
}

export const DEFAULT_CONFIG_DIR_FROM_STACK = '../../../config';

/** The path Terraform reads a configuration file from: `${path.module}/<configDir>/<file>`. */
export function configFilePath(files: TerraformFiles, file: string): string {
  return `\${path.module}/${posix.join(files.configDirFromStack ?? DEFAULT_CONFIG_DIR_FROM_STACK, file)}`;
}

/** A Terraform expression reading a configuration file at plan time: `${file("…")}`. */
export function configFileContent(files: TerraformFiles, file: string): string {
  return `\${file("${configFilePath(files, file)}")}`;
}
