import { LocalBackend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';

/**
 * What every Terraform stack of the platform shares.
 *
 * - **Backend**: local, with a path relative to the stack's folder (CDKTF's default is an absolute
 *   path of the machine that synthesized); replace it with your own backend configuration.
 * - **No cross-stack references**: stacks agree through names derived from the configuration
 *   (lib/util/names.ts), never through another stack's attributes, so that each can be applied,
 *   destroyed and rebuilt alone. CDKTF's preparing pass, which resolves every element once more
 *   to find such references and wire remote state for them, is therefore skipped: it was a third of
 *   synth's Terraform time. A reference to another stack's resource would show in the stack JSON
 *   as an unresolved `${TfToken[…]}`, which the snapshot tests and `terraform validate` refuse.
 */
export abstract class PlatformStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new LocalBackend(this, { path: 'terraform.tfstate' });
  }

  public override prepareStack(): void {
    // Nothing to prepare: see the class comment.
  }
}
