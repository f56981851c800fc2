/**
 * Reading the Terraform JSON that CDKTF synthesizes (`cdktf.out/stacks/<stack>/cdk.tf.json`), and
 * naming its blocks by their Terraform address, as `terraform plan` does.
 */
import type { TerraformStackFile } from './findings.js';

/** Where stacks are, relative to the output folder: `stacks/<stack>/cdk.tf.json`. */
export const STACK_FILE = /(^|\/)stacks\/[^/]+\/cdk\.tf\.json$/;

/** One top-level block of a stack, with its Terraform address. */
export interface TerraformBlock {
  /** `aws_iam_role.name`, `data.aws_iam_policy_document.name`, `output.name`, `provider.aws`, `var.name`, `local.name`, `module.name`, `terraform`. */
  readonly address: string;
  /** The JSON keys that lead to the block inside the stack, e.g. `['resource', 'aws_iam_role', 'name']`. */
  readonly keys: readonly string[];
  readonly value: unknown;
}

/** The stack name of a `stacks/<stack>/cdk.tf.json` path. */
export function stackName(file: string): string {
  const parts = file.split('/');
  return parts[parts.length - 2] ?? file;
}

/**
 * Parses a stack file. Throws with JSON.parse's message when the text is not JSON, or when it is
 * not a JSON object.
 */
export function parseTerraformStack(file: string, text: string): TerraformStackFile {
  const stack: unknown = JSON.parse(text);
  if (typeof stack !== 'object' || stack === null || Array.isArray(stack)) throw new Error('a stack must be a JSON object');
  return { file, stack };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every block of a stack with its address, in file order. CDKTF's own `//` metadata is not a
 * block. A key that does not fit Terraform's JSON syntax is still listed, under its JSON path.
 */
export function terraformBlocks(stack: unknown): TerraformBlock[] {
  if (!isObject(stack)) return [];
  const out: TerraformBlock[] = [];
  const twoLevels = (section: string, prefix: string) => {
    const types = stack[section];
    if (!isObject(types)) return;
    for (const [type, byName] of Object.entries(types)) {
      if (!isObject(byName)) {
        out.push({ address: `${prefix}${type}`, keys: [section, type], value: byName });
        continue;
      }
      for (const [name, value] of Object.entries(byName)) out.push({ address: `${prefix}${type}.${name}`, keys: [section, type, name], value });
    }
  };
  const oneLevel = (section: string, prefix: string) => {
    const byName = stack[section];
    if (!isObject(byName)) return;
    for (const [name, value] of Object.entries(byName)) out.push({ address: `${prefix}${name}`, keys: [section, name], value });
  };
  for (const section of Object.keys(stack)) {
    switch (section) {
      case '//':
        break;
      case 'resource':
        twoLevels(section, '');
        break;
      case 'data':
        twoLevels(section, 'data.');
        break;
      case 'output':
        oneLevel(section, 'output.');
        break;
      case 'provider':
        oneLevel(section, 'provider.');
        break;
      case 'variable':
        oneLevel(section, 'var.');
        break;
      case 'locals':
        oneLevel(section, 'local.');
        break;
      case 'module':
        oneLevel(section, 'module.');
        break;
      default:
        out.push({ address: section, keys: [section], value: stack[section] });
    }
  }
  return out;
}
