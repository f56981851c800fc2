import { LocalBackend, S3Backend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { DEFAULT_STATE_BACKEND, type StateBackend } from './state.js';

/**
 * The Terraform versions every stack accepts: the TLS material reaches Secrets Manager through
 * write-only arguments (`secret_string_wo`), which Terraform 1.11 introduced; stating it makes an
 * older Terraform stop at `init` with that reason rather than somewhere in a plan.
 * @see https://developer.hashicorp.com/terraform/language/manage-sensitive-data/write-only
 */
export const TERRAFORM_REQUIRED_VERSION = '>= 1.11';

/** What every stack of the platform takes. */
export interface PlatformStackProps {
  /**
   * Where the stack keeps its state: never its own folder, which synth rewrites.
   * @default DEFAULT_STATE_BACKEND: `../../../terraform-state/<stack>.tfstate`, `terraform-state/` beside `cdktf.out/`
   */
  readonly state?: StateBackend;
}

/**
 * What every Terraform stack of the platform shares.
 *
 * - **Backend**: from `terraform.backend` (lib/terraform/state.ts): a local file per stack outside
 *   `cdktf.out/`, relative to the stack's folder (CDKTF's default is an absolute path of the
 *   machine that synthesized, in the stack's folder), or an S3 object per stack, encrypted with the
 *   configured KMS key and locked with S3's lock file.
 * - **Terraform version**: `terraform.required_version` is {@link TERRAFORM_REQUIRED_VERSION}.
 * - **No cross-stack references**: stacks agree through names derived from the configuration
 *   (lib/util/names.ts), never through another stack's attributes, so that each can be applied,
 *   destroyed and rebuilt alone. CDKTF's preparing pass, which resolves every element once more
 *   to find such references and wire remote state for them, is therefore skipped: it was a third of
 *   synth's Terraform time. A reference to another stack's resource would show in the stack JSON
 *   as an unresolved `${TfToken[…]}`, which the snapshot tests and `terraform validate` refuse.
 */
export abstract class PlatformStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: PlatformStackProps = {}) {
    super(scope, id);
    // cdktf 0.21's TerraformStack has no typed field for it.
    this.addOverride('terraform.required_version', TERRAFORM_REQUIRED_VERSION);
    const state = props.state ?? DEFAULT_STATE_BACKEND;
    if (state.type === 'local') {
      new LocalBackend(this, { path: `${state.directoryFromStack}/${id}.tfstate` });
    } else {
      const backend = new S3Backend(this, {
        bucket: state.bucket,
        key: `${state.keyPrefix}/${id}.tfstate`,
        region: state.region,
        encrypt: true,
        kmsKeyId: state.kmsKeyId,
      });
      // cdktf 0.21's S3BackendConfig predates `use_lockfile` (Terraform 1.10): S3's own lock file,
      // no DynamoDB table. https://developer.hashicorp.com/terraform/language/backend/s3#use_lockfile
      backend.addOverride('use_lockfile', true);
    }
  }

  public override prepareStack(): void {
    // Nothing to prepare: see the class comment.
  }
}
