import { describe, expect, it } from 'vitest';
import { removedStacks, removedStackWarning } from '../../lib/terraform/removed-stacks.js';

describe('removedStacks', () => {
  it('names each stack whose cdk.tf.json goes, sorted, and nothing for other files', () => {
    expect(removedStacks([
      'stacks/prod-eu-aws/cdk.tf.json', 'stacks/prod-eu-aws/assets/x.json', 'manifest.json', 'stacks/mycluster-1-aws/cdk.tf.json',
    ])).toEqual(['mycluster-1-aws', 'prod-eu-aws']);
    expect(removedStacks(['stacks/mycluster-0-aws/assets/script.sh'])).toEqual([]);
  });

  it('words the warning with the folder and the command, done or to come', () => {
    expect(removedStackWarning('mycluster-1-aws', 'cdktf.out', true)).toBe('removed the Terraform stack cdktf.out/stacks/mycluster-1-aws/ '
      + '(a cluster or section renamed or removed?): its AWS resources still exist. Destroy it first (terraform destroy in '
      + 'cdktf.out/stacks/mycluster-1-aws, synthesized from the configuration that still had it), or its resources are orphaned');
    expect(removedStackWarning('x', 'out', false)).toMatch(/^a synth would remove the Terraform stack out\/stacks\/x\//);
  });
});
