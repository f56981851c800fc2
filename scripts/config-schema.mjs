#!/usr/bin/env node
// npm run schema: writes config/platform.schema.json, the JSON Schema of config/platform.yaml that
// editors use to complete and check the file as it is typed (`# yaml-language-server: $schema=`
// in its first line). Generated from lib/config/types.ts, the documented types the validator
// returns, so that field names, descriptions and defaults have one source; test/config/schema.test.ts
// fails when the committed file is stale. The schema checks shapes only: what relates several
// fields, and every message users read, stays with the validator (lib/config/validate.ts).
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
    } else {
      // A value followed by a remark: `'2160h' (90 days)`, `[] (anywhere)`, `'x', or … when …`.
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
  return {
    $schema: schema.$schema,
    $id: 'https://gateway-pki.dev/schema/platform.schema.json',
    title: 'gateway-pki platform configuration (config/platform.yaml)',
    description: 'Shapes and defaults only; npm run synth checks the rest (values against each other, files, CA chains) and says so at the field.',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}

export function schemaText() {
  return `${JSON.stringify(configSchema(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_FILE, schemaText());
  console.log(`schema: wrote ${SCHEMA_FILE}`);
}
