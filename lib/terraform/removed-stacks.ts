/**
 * Terraform stacks that a synth removes from its output folder: a cluster renamed or removed, or a
 * section such as `vaultCluster` dropped, takes its stack folder away, while the AWS resources that
 * stack applied still exist and its state still tracks them. Nothing in Terraform will ever plan
 * their destruction from then on, so synth names each such stack loudly.
 */

/** Where a stack's configuration is, inside the output folder: `stacks/<name>/cdk.tf.json`. */
const STACK_FILE = /^stacks\/([^/]+)\/cdk\.tf\.json$/;

/**
 * The stacks whose `cdk.tf.json` is among `removed` (paths relative to the output folder) and is not
 * written again, sorted.
 */
export function removedStacks(removed: readonly string[]): string[] {
  return removed.flatMap((path) => STACK_FILE.exec(path)?.[1] ?? []).sort();
}

/**
 * The warning for one removed stack.
 * @param stack the stack's name (its folder under `stacks/`)
 * @param folder the output folder as messages show it (`cdktf.out`)
 * @param done whether the folder was removed already (a synth) or would be (`--check`, `--diff`)
 */
export function removedStackWarning(stack: string, folder: string, done: boolean): string {
  const where = `${folder}/stacks/${stack}`;
  return `${done ? 'removed' : 'a synth would remove'} the Terraform stack ${where}/ (a cluster or section renamed or removed?): `
    + `its AWS resources still exist. Destroy it first (terraform destroy in ${where}, synthesized from the configuration that `
    + 'still had it), or its resources are orphaned';
}
