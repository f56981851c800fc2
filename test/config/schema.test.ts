/**
 * config/platform.schema.json, the JSON Schema editors check config/platform.yaml with: generated
 * from lib/config/types.ts (npm run schema), fresh, accepting the example, refusing what it can
 * see, and naming every field the configuration reference (docs/configuration.md) documents.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfig } from '../../lib/config/validate.js';
// @ts-expect-error: plain JavaScript module without type declarations
import { SCHEMA_FILE, schemaText } from '../../scripts/config-schema.mjs';
import { EXAMPLE_CONFIG, PROJECT_ROOT } from '../support/cli.js';
import { exampleWith, podIdentityWithProvider, withSecondCluster } from '../support/example-config.js';

const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
const example = parse(readFileSync(EXAMPLE_CONFIG, 'utf8'));
// Strict: a keyword ajv does not know in 2020-12 (a draft-07 leftover) fails the compilation.
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validate = ajv.compile(schema);

/**
 * The configurations the other test files build and the validator accepts, made the same way:
 * the schema must accept every one (it may only be looser than the validator, never stricter).
 */
const FIXTURES: Record<string, unknown> = {
  'the example': example,
  'two clusters': exampleWith(withSecondCluster),
  'EKS Pod Identity': exampleWith((c) => { c.clusters[0].workloadIdentity = podIdentityWithProvider(c.clusters[0].name); }),
  'without the optional sections': exampleWith((c) => {
    delete c.acme.gatewayIssuer;
    delete c.vault.pki;
    delete c.privateCertificate;
    delete c.clusters[0].gateways;
    delete c.vaultCluster;
    delete c.backup;
  }),
  'every optional field': exampleWith((c) => {
    delete c.dns.publicZone.hostedZoneID;
    c.acme.gatewayIssuer = 'staging';
    c.acme.http01 = true;
    c.vault.serverName = 'vault-internal.priv.example.com';
    c.publicCertificate = { renewBefore: '2159h59m', privateKey: { algorithm: 'RSA', size: 4096 } };
    c.clusters[0].region = 'eu-west-3';
    c.clusters[0].flux = { gitRepository: 'flux-system', interval: '1h30m', timeout: '90s' };
    c.clusters[0].certManager = { replicas: 5, serviceMonitor: true };
    c.clusters[0].gateways = { namespace: 'edge' };
    c.applications[0].cluster = 'mycluster-0';
    c.applications[0].path = '/api/v1';
    c.validation = { suppressions: [{ rule: 'K8S-005', reason: 'the chart gives its hook Job no CPU limit', object: 'Job cert-manager/startupapicheck' }] };
  }),
  'a thousand applications': exampleWith((c) => {
    const [first] = c.applications;
    c.applications = Array.from({ length: 1000 }, (_, i) => ({ ...structuredClone(first), name: `app-${i}`, hostname: `app-${i}.example.com` }));
  }),
};

/** The schema node of `path` (`clusters[].monitoring.enabled`), following $refs; `undefined` when absent. */
function nodeAt(path: string): any {
  let node: any = schema;
  const resolve = (n: any): any => {
    while (n?.$ref !== undefined) n = schema.$defs[n.$ref.replace('#/$defs/', '')];
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
    expect(readFileSync(EXAMPLE_CONFIG, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./platform.schema.json');
  });

  it('is JSON Schema 2020-12: its meta-schema accepts it, $defs and #/$defs refs, nothing of draft-07', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
    expect(Object.keys(schema.$defs).length).toBeGreaterThan(40);
    const text = readFileSync(SCHEMA_FILE, 'utf8');
    expect(text).not.toContain('"definitions"');
    expect(text).not.toContain('draft-07');
    const refs = [...text.matchAll(/"\$ref": "([^"]*)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(40);
    expect(refs.filter((ref) => !/^#\/\$defs\/[A-Za-z0-9]+$/.test(ref) || schema.$defs[ref.slice('#/$defs/'.length)] === undefined)).toEqual([]);
  });

  it('closes every object: additionalProperties false wherever properties are listed', () => {
    const open: string[] = [];
    const walk = (node: any, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      if (node.properties !== undefined && node.additionalProperties !== false) open.push(path);
      for (const [key, child] of Object.entries(node)) {
        if (!['default', 'examples', 'const', 'enum'].includes(key)) walk(child, `${path}/${key}`);
      }
    };
    walk(schema, '#');
    expect(open).toEqual([]);
  });

  it('has defaults and examples that the schema itself accepts, at their own node', () => {
    const checked: string[] = [];
    const wrong: string[] = [];
    const walk = (node: any, pointer: string): void => {
      if (node === null || typeof node !== 'object') return;
      const values = [...('default' in node ? [['default', node.default]] : []), ...(node.examples ?? []).map((e: unknown) => ['example', e])];
      if (values.length > 0) {
        const check = ajv.getSchema(`${schema.$id}#${pointer}`)!;
        for (const [kind, value] of values) {
          checked.push(pointer);
          if (!check(value)) wrong.push(`${pointer} ${kind} ${JSON.stringify(value)}: ${ajv.errorsText(check.errors)}`);
        }
      }
      for (const [key, child] of Object.entries(node)) {
        if (!['default', 'examples', 'const', 'enum'].includes(key)) walk(child, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      }
    };
    walk(schema, '');
    expect(checked.length).toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  });

  it.each(Object.keys(FIXTURES))('accepts %s, which the validator accepts too', (name) => {
    const config = FIXTURES[name];
    expect(validateConfig(config)).toEqual([]);
    expect(validate(config), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('refuses an unknown field, a wrong type and a missing section, at their paths', () => {
    const withTypo = { ...example, organisation: example.organization };
    expect(validate(withTypo)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'organisation' } }));
    const wrongType = structuredClone(example);
    wrongType.clusters[0].certManager = { replicas: 'two' };
    expect(validate(wrongType)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: '/clusters/0/certManager/replicas', keyword: 'type' }));
    const misspeltNested = structuredClone(example);
    misspeltNested.vaultCluster.instances = { ...misspeltNested.vaultCluster.instances, spotVoter: 1 };
    expect(validate(misspeltNested)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: '/vaultCluster/instances', keyword: 'additionalProperties', params: { additionalProperty: 'spotVoter' } }));
    const wrongEnum = structuredClone(example);
    wrongEnum.acme.gatewayIssuer = 'prod';
    expect(validate(wrongEnum)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: '/acme/gatewayIssuer', keyword: 'enum' }));
    const notAList = structuredClone(example);
    notAList.applications = notAList.applications[0];
    expect(validate(notAList)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: '/applications', keyword: 'type' }));
    const { dns: _dns, ...missing } = example;
    expect(validate(missing)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ keyword: 'required', params: { missingProperty: 'dns' } }));
  });

  it('has a node for every field of the configuration reference (docs/configuration.md)', () => {
    const reference = readFileSync(join(PROJECT_ROOT, 'docs/configuration.md'), 'utf8');
    const fields = [...reference.matchAll(/^\| `([a-zA-Z][\w.[\]]*)` \|/gm)].map((m) => m[1]!);
    expect(fields.length).toBeGreaterThan(100);
    expect(fields.filter((field) => nodeAt(field) === undefined)).toEqual([]);
  });

  it('has every field documented in a table of docs/ (the reference, and the pki table)', () => {
    // First cells name fields as `a.b.c`, or several as `a.b.c` / `.d` (a sibling of c).
    const readme = ['configuration.md', 'pki.md'].map((file) => readFileSync(join(PROJECT_ROOT, 'docs', file), 'utf8')).join('\n');
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
      while (n?.$ref !== undefined) n = schema.$defs[n.$ref.replace('#/$defs/', '')];
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
    // Lone strings that start with digits stay strings (they once became 10 and 0).
    expect(nodeAt('clusters[].flux.interval').default).toBe('10m');
    expect(nodeAt('backup.schedule').default).toBe('0 4 * * *');
  });
});
