import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readOutput } from '../../lib/validate/read-output.js';
import { terraformBlocks } from '../../lib/validate/terraform.js';
import { writeTree } from './support.js';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});
const tree = (files: Record<string, string>) => {
  const root = writeTree(files);
  roots.push(root);
  return root;
};

describe('readOutput', () => {
  test('reads every file of every folder under its label: objects from YAML, stacks from cdk.tf.json', () => {
    const root = tree({
      'dist/c1/flux/kustomization.flux-system.controllers.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: controllers\n',
      'dist/c1/controllers/two.yaml': '---\nkind: A\n---\nkind: B\n---\n',
      'dist/c1/controllers/kustomization.yaml': 'resources:\n  - two.yaml\n',
      'dist/c1/flux/flux-system/gotk-components.yaml': 'kind: CustomResourceDefinition\n',
      'dist/c1/controllers/binary.bin': 'a\0b',
      'cdktf.out/manifest.json': '{"stacks": {}}',
      'cdktf.out/stacks/c1-aws/cdk.tf.json': '{"resource": {"aws_iam_role": {"r": {"name": "x"}}}}',
      'cdktf.out/stacks/c1-aws/.terraform/providers/x.json': '{}',
    });
    const { input, findings } = readOutput([{ path: join(root, 'dist'), label: 'dist' }, { path: join(root, 'cdktf.out'), label: 'out' }]);
    expect(findings).toEqual([]);
    expect(input.manifests.map((m) => [m.file, m.object.kind])).toEqual([
      ['dist/c1/controllers/two.yaml', 'A'],
      ['dist/c1/controllers/two.yaml', 'B'],
      ['dist/c1/flux/kustomization.flux-system.controllers.yaml', 'Kustomization'],
    ]);
    expect([...input.files.keys()]).toEqual([
      'dist/c1/controllers/kustomization.yaml',
      'dist/c1/controllers/two.yaml',
      'dist/c1/flux/kustomization.flux-system.controllers.yaml',
      'out/manifest.json',
      'out/stacks/c1-aws/cdk.tf.json',
    ]);
    expect(input.terraform).toEqual([{ file: 'out/stacks/c1-aws/cdk.tf.json', stack: { resource: { aws_iam_role: { r: { name: 'x' } } } } }]);
  });

  test('parse: a YAML or JSON file that does not parse is a finding, and its text is still read', () => {
    const root = tree({
      'dist/c1/a/bad.yaml': 'kind: A\n  b: [\n',
      'cdktf.out/stacks/s/cdk.tf.json': '{"resource": ',
      'cdktf.out/manifest.json': '[1,',
    });
    const { input, findings } = readOutput([{ path: join(root, 'dist'), label: 'dist' }, { path: join(root, 'cdktf.out'), label: 'cdktf.out' }]);
    expect(findings.map((f) => [f.rule, f.severity, f.file])).toEqual([
      ['parse', 'error', 'dist/c1/a/bad.yaml'],
      ['parse', 'error', 'cdktf.out/manifest.json'],
      ['parse', 'error', 'cdktf.out/stacks/s/cdk.tf.json'],
    ]);
    expect(findings[0]!.message).toMatch(/^not valid YAML: /);
    expect(findings[2]!.message).toMatch(/^not valid Terraform JSON: /);
    expect(input.files.size).toBe(3);
    expect(input.manifests).toEqual([]);
  });
});

describe('terraformBlocks', () => {
  test('names every block by its Terraform address; CDKTF metadata is not a block', () => {
    const stack = {
      '//': { metadata: {} },
      data: { aws_iam_policy_document: { trust: {} } },
      locals: { a: 1 },
      output: { arn: {} },
      provider: { aws: [{}] },
      resource: { aws_iam_role: { r: {} }, aws_kms_key: { k: {} } },
      terraform: { backend: {} },
      variable: { v: {} },
    };
    expect(terraformBlocks(stack).map((b) => b.address)).toEqual([
      'data.aws_iam_policy_document.trust', 'local.a', 'output.arn', 'provider.aws', 'aws_iam_role.r', 'aws_kms_key.k', 'terraform', 'var.v',
    ]);
  });
});
