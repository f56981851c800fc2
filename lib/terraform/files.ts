/**
 * Files of the configuration that Terraform reads at plan and apply time (TLS material: the CA
 * chain, the Vault servers' certificate and key), never synth: only their path goes into
 * `cdktf.out/`, so no secret is ever written there.
 *
 * A stack that reads such files gets the input variable `config_dir`: the configuration's directory,
 * relative to the stack's folder (`cdktf.out/stacks/<stack>/`, where Terraform runs) by default.
 * Being a variable, it is unknown to `terraform validate`, which then checks the stack without the
 * files (they hold keys and are not in the repository), and an operator whose files live elsewhere
 * passes `-var config_dir=…`.
 */
import { posix } from 'node:path';
import { TerraformStack, TerraformVariable } from 'cdktf';
import type { IConstruct } from 'constructs';

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

/** Name of the input variable holding the configuration's directory. */
export const CONFIG_DIR_VARIABLE = 'config_dir';

/**
 * The configuration files of one stack: `path(file)` and `content(file)` are Terraform expressions
 * on `var.config_dir`, declared once per stack.
 */
export class ConfigFiles {
  private readonly variable: TerraformVariable;

  /** The files of the stack that holds `scope`. */
  static of(scope: IConstruct, files: TerraformFiles): ConfigFiles {
    const stack = TerraformStack.of(scope);
    const existing = stack.node.tryFindChild(CONFIG_DIR_VARIABLE);
    return new ConfigFiles(existing instanceof TerraformVariable ? existing : new TerraformVariable(stack, CONFIG_DIR_VARIABLE, {
      type: 'string',
      default: files.configDirFromStack ?? DEFAULT_CONFIG_DIR_FROM_STACK,
      description: 'Directory of the gateway-pki configuration (config/platform.yaml), relative to this stack\'s folder: '
        + 'TLS material is read from it at plan time',
    }));
  }

  private constructor(variable: TerraformVariable) {
    this.variable = variable;
  }

  /** `${var.config_dir}/<file>`, for arguments that take a path. */
  path(file: string): string {
    return `\${var.${this.variable.friendlyUniqueId}}/${posix.normalize(file)}`;
  }

  /** `${file("${var.config_dir}/<file>")}`: the file's content, read at plan time. */
  content(file: string): string {
    return `\${file("${this.path(file)}")}`;
  }
}
