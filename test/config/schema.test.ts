/**
 * config/platform.schema.json, the JSON Schema editors check config/platform.yaml with: generated
 * from lib/config/types.ts (npm run schema), fresh, accepting the example, refusing what it can
 * see, and naming every field the README's configuration reference documents.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error: plain JavaScript module without type declarations
import { SCHEMA_FILE, schemaText } from '../../scripts/config-schema.mjs';
import { PROJECT_ROOT } from '../support/cli.js';

const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
const example = parse(readFileSync(join(PROJECT_ROOT, 'config', 'platform.yaml'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

/** The schema node of `path` (`clusters[].monitoring.enabled`), following $refs; `undefined` when absent. */
function nodeAt(path: string): any {
  let node: any = schema;
  const resolve = (n: any): any => {
    while (n?.$ref !== undefined) n = schema.definitions[n.$ref.replace('#/definitions/', '')];
    return n;
  };
  for (const part of path.split('.')) {
    const key = part.replace(/\[\]$/, '');
    node = resolve(node);
    const candidates = [node, ...(node?.anyOf ?? []), ...(node?.oneOf ?? [])].map(resolve);
    node = candidates.map((c) => c?.properties?.[key]).find((n) => n !== undefined);
    if (node === undefined) return undefined;
    if (part.endsWith('[]')) node = resolve(node).items;
  }
  return resolve(node);
}

describe('config/platform.schema.json', () => {
  it('is what npm run schema generates from lib/config/types.ts (run it and commit the file otherwise)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(schemaText());
  });

  it('is named by the example\'s first line, for editors', () => {
    expect(readFileSync(join(PROJECT_ROOT, 'config', 'platform.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./platform.schema.json');
  });

  it('accepts the example', () => {
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
  });

  it('refuses an unknown field, a wrong type and a missing section, at their paths', () => {
    const withTypo = { ...example, organisation: example.organization };
    expect(validate(withTypo)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'organisation' } }));
    const wrongType = structuredClone(example);
    wrongType.clusters[0].certManager = { replicas: 'two' };
    expect(validate(wrongType)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: '/clusters/0/certManager/replicas', keyword: 'type' }));
    const { dns: _dns, ...missing } = example;
    expect(validate(missing)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ keyword: 'required', params: { missingProperty: 'dns' } }));
  });

  it('has a node for every field of the README\'s configuration reference', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const reference = readme.slice(readme.indexOf('## Configuration reference'), readme.indexOf('## Validating the output'));
    const fields = [...reference.matchAll(/^\| `([a-zA-Z][\w.[\]]*)` \|/gm)].map((m) => m[1]!);
    expect(fields.length).toBeGreaterThan(100);
    expect(fields.filter((field) => nodeAt(field) === undefined)).toEqual([]);
  });

  it('has every field documented in a README table (the reference, and the pki table)', () => {
    // First cells name fields as `a.b.c`, or several as `a.b.c` / `.d` (a sibling of c).
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const documented = new Set<string>();
    for (const [, cell] of readme.matchAll(/^\| (`[a-zA-Z][^|]*`) \|/gm)) {
      let base = '';
      for (const [, name] of cell!.matchAll(/`([a-zA-Z.][\w.[\]]*)`/g)) {
        const full = name!.startsWith('.') ? `${base}${name}` : name!;
        base = full.slice(0, full.lastIndexOf('.'));
        documented.add(full.replace(/\[\]/g, ''));
      }
    }
    const leaves: string[] = [];
    const resolve = (n: any): any => {
      while (n?.$ref !== undefined) n = schema.definitions[n.$ref.replace('#/definitions/', '')];
      return n;
    };
    const walk = (node: any, path: string): void => {
      const alternatives = [node, ...(node?.anyOf ?? []), ...(node?.oneOf ?? [])].map(resolve).filter((n) => n?.properties !== undefined);
      if (alternatives.length === 0) {
        leaves.push(path);
        return;
      }
      for (const alternative of alternatives) {
        for (const [key, child] of Object.entries<any>(alternative.properties)) {
          const next = path === '' ? key : `${path}.${key}`;
          const resolved = resolve(child);
          walk(resolved?.type === 'array' ? resolve(resolved.items) : resolved, next);
        }
      }
    };
    walk(resolve(schema), '');
    expect(leaves.length).toBeGreaterThan(150);
    expect([...new Set(leaves)].filter((leaf) => !documented.has(leaf))).toEqual([]);
  });

  it('carries the documented defaults as values', () => {
    expect(nodeAt('privateCertificate.duration').default).toBe('2160h');
    expect(nodeAt('clusters[].monitoring.criticalDaysLeft').default).toBe(14);
    expect(nodeAt('applications[].path').default).toBe('/');
  });
});
