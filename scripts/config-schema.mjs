#!/usr/bin/env node
// npm run schema: writes config/platform.schema.json, the JSON Schema of config/platform.yaml that
// editors use to complete and check the file as it is typed (`# yaml-language-server: $schema=`
// in its first line). Generated from lib/config/types.ts, the documented types the validator
// returns, so that field names, descriptions and defaults have one source; test/config/schema.test.ts
// fails when the committed file is stale. The schema checks shapes only: what relates several
// fields, and every message users read, stays with the validator (lib/config/validate.ts).
//
// JSON Schema 2020-12: ts-json-schema-generator 2.x writes draft-07 only, so its output is
// rewritten (toDraft2020): `definitions` become `$defs`, their `$ref`s follow. Only keywords that
// mean the same in draft-07 and 2020-12 are used (no tuples, no `dependencies`), so editors still
// validating with draft-07 rules (yaml-language-server says "JSON Schema 7 and below") read it the same.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGenerator } from 'ts-json-schema-generator';

const root = resolve(import.meta.dirname, '..');
export const SCHEMA_FILE = resolve(root, 'config', 'platform.schema.json');

/**
 * The `@default` tags of the types are either a value (`'2160h'`, `30`, `false`) or, after a
 * dash, a sentence (`- every PkiConfig default`): values become JSON defaults, sentences part of
 * the description. Walks the schema in place.
 */
function tidyDefaults(node) {
  if (Array.isArray(node)) {
    node.forEach(tidyDefaults);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  if (typeof node.default === 'string') {
    const text = node.default.trim();
    if (text.startsWith('-')) {
      const sentence = text.replace(/^-\s*/, '');
      node.description = node.description ? `${node.description}\n\nDefault: ${sentence}.` : `Default: ${sentence}.`;
      delete node.default;
    } else if (!(node.type === 'string' && !text.startsWith("'"))) {
      // A value followed by a remark: `'2160h' (90 days)`, `[] (anywhere)`, `'x', or … when …`.
      // The generator has already unquoted a lone string (`'10m'` is `10m` here): a string field's
      // default that does not start with a quote is that value, not `10` and a remark `m`.
      const match = /^('([^']*)'|\[\]|\{\}|-?\d+(?:\.\d+)?|true|false)(?:\s*,?\s*(.+))?$/s.exec(text);
      if (match !== null) {
        const [, token, quoted, remark] = match;
        node.default = quoted !== undefined ? quoted : JSON.parse(token);
        if (remark !== undefined) node.description = `${node.description ? `${node.description}\n\n` : ''}Default: ${text}.`;
      }
    }
  }
  for (const value of Object.values(node)) tidyDefaults(value);
}

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';
const DRAFT_07_REF = '#/definitions/';
/** Keywords whose value is instance data (copied as is), and those mapping names to subschemas. */
const INSTANCE_VALUES = new Set(['default', 'examples', 'const', 'enum']);
const SCHEMA_MAPS = new Set(['definitions', 'properties', 'patternProperties']);

/**
 * The draft-07 schema the generator writes, as JSON Schema 2020-12: `definitions` renamed `$defs`
 * and every `$ref` to them rewritten; a keyword whose meaning changed between the two drafts
 * (tuple `items`, `additionalItems`, `dependencies`) fails the run rather than being carried over
 * with the wrong meaning. Returns a new tree.
 */
function toDraft2020(node, path = '#') {
  if (Array.isArray(node)) return node.map((item, index) => toDraft2020(item, `${path}/${index}`));
  if (node === null || typeof node !== 'object') return node;
  const changed = ['additionalItems', 'dependencies'].filter((keyword) => keyword in node);
  if (Array.isArray(node.items)) changed.push('items (a tuple)');
  if (changed.length > 0) {
    throw new Error(`config-schema: ${path} uses ${changed.join(', ')}, whose meaning differs in JSON Schema 2020-12; convert it in scripts/config-schema.mjs`);
  }
  const converted = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref') {
      if (typeof value !== 'string' || !value.startsWith(DRAFT_07_REF)) throw new Error(`config-schema: ${path} has an unexpected $ref ${value}`);
      converted.$ref = `#/$defs/${value.slice(DRAFT_07_REF.length)}`;
    } else if (INSTANCE_VALUES.has(key)) {
      converted[key] = value; // data, not schema: kept as written
    } else if (SCHEMA_MAPS.has(key)) {
      // Names (fields, definitions) to schemas: a field may be called `items` or `dependencies`.
      converted[key === 'definitions' ? '$defs' : key] = Object.fromEntries(
        Object.entries(value).map(([name, schema]) => [name, toDraft2020(schema, `${path}/${key}/${name}`)]));
    } else {
      converted[key] = toDraft2020(value, `${path}/${key}`);
    }
  }
  return converted;
}

export function configSchema() {
  const schema = createGenerator({
    path: resolve(root, 'lib', 'config', 'types.ts'),
    tsconfig: resolve(root, 'tsconfig.json'),
    type: 'PlatformConfig',
    additionalProperties: false,
    skipTypeCheck: true,
    jsDoc: 'extended',
    topRef: false,
    sortProps: true,
  }).createSchema('PlatformConfig');
  tidyDefaults(schema);
  const { $schema: _draft07, ...rest } = toDraft2020(schema);
  return {
    $schema: DRAFT_2020_12,
    $id: 'https://gateway-pki.dev/schema/platform.schema.json',
    title: 'gateway-pki platform configuration (config/platform.yaml)',
    description: 'Shapes and defaults only; npm run synth checks the rest (values against each other, files, CA chains) and says so at the field.',
    ...rest,
  };
}

export function schemaText() {
  return `${JSON.stringify(configSchema(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_FILE, schemaText());
  console.log(`schema: wrote ${SCHEMA_FILE}`);
}
