import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';

export interface AwsAccountCheckProps {
  /** The account the stack was synthesized for (`aws.accountId`). */
  readonly accountId: string;
}

/**
 * Stops a plan, with the stack's name and both accounts, when Terraform's AWS credentials are not of
 * the account the stack was synthesized for.
 *
 * The provider's `allowed_account_ids` refuses such credentials too, but only where a real provider
 * is configured, with a message that names neither the stack nor the configuration field. This
 * check is part of the plan itself: `terraform test` with a mocked provider (which never configures
 * the real one) proves it, and its message says what to change. `sts:GetCallerIdentity` needs no
 * permission.
 */
export class AwsAccountCheck extends Construct {
  constructor(scope: Construct, id: string, props: AwsAccountCheckProps) {
    super(scope, id);
    const stack = TerraformStack.of(this).node.id;
    new DataAwsCallerIdentity(this, 'Resource', {
      lifecycle: {
        postcondition: [{
          condition: `\${self.account_id == "${props.accountId}"}`,
          errorMessage: `Stack ${stack} was synthesized for AWS account ${props.accountId} (aws.accountId), but the credentials are of account `
            + '${self.account_id}: use credentials of that account, or change aws.accountId and synthesize again.',
        }],
      },
    });
  }
}
