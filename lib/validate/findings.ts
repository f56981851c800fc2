/**
 * What `npm run validate` reports, and the inputs its checks read. Every check is a pure function
 * from inputs to findings, so each can be tested on hand-made fixtures.
 */

export type Severity = 'error' | 'warning';

/** One problem found in the synthesized output. */
export interface Finding {
  /**
   * Stable identifier of the rule: `schema`, `cel`, `ref/<what>`, `secret/<what>`, or a policy id
   * such as `K8S-001` / `TF-004`. Suppressions name it.
   */
  readonly rule: string;
  readonly severity: Severity;
  /** File, relative to the directory validated (`dist/...` or `cdktf.out/...`). */
  readonly file: string;
  /** The object: `Kind namespace/name` (Kubernetes) or the Terraform address `aws_iam_role.name`. */
  readonly object?: string;
  /** Field path inside the object, when known. */
  readonly path?: string;
  readonly message: string;
}

/** One Kubernetes object of the output, with the file it came from. */
export interface ManifestObject {
  /** Relative path of the file, `/`-separated. */
  readonly file: string;
  readonly object: any;
}

/** One synthesized Terraform stack (`cdk.tf.json`), parsed. */
export interface TerraformStackFile {
  readonly file: string;
  readonly stack: any;
}

/** The whole output to validate. */
export interface ValidationInput {
  readonly manifests: readonly ManifestObject[];
  /** Raw text of every file, for the secrets scan. */
  readonly files: ReadonlyMap<string, string>;
  readonly terraform: readonly TerraformStackFile[];
}

/** `Kind namespace/name`, or `Kind name` for cluster-scoped objects. */
export function objectId(object: any): string {
  const ns = object?.metadata?.namespace;
  return `${object?.kind ?? '?'} ${ns ? `${ns}/` : ''}${object?.metadata?.name ?? '?'}`;
}
