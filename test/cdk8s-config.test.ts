import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..');
const imports = (parse(readFileSync(join(root, 'cdk8s.yaml'), 'utf8')) as { imports: string[] }).imports;

describe('cdk8s.yaml', () => {
  it('names upstream release URLs only, never a path of this machine (cdk8s import appends what it imports)', () => {
    const notUpstream = imports.filter((spec) => !/^[a-z0-9-]+:=https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/v\d+\.\d+\.\d+\//.test(spec));
    expect(notUpstream).toEqual([]);
  });

  it('names each module once, and each has its generated code in imports/', () => {
    const names = imports.map((spec) => spec.split(':=')[0]!);
    expect(new Set(names).size).toBe(names.length);
    const missing = names.filter((name) => {
      const group = imports.find((spec) => spec.startsWith(`${name}:=`))!.split('/').at(-1)!.replace(/\.yaml$/, '').split('_')[0];
      return !existsSync(join(root, 'imports', `${name}-${group}.ts`));
    });
    expect(missing).toEqual([]);
  });
});
