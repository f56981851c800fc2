import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { policyTable } from '../lib/validate/policies.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const PACKAGE = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

describe('README', () => {
  test('lists the security policies exactly as the code defines them', () => {
    expect(README).toContain(policyTable().trimEnd());
  });

  test('the quick start is the two commands, and every npm script it names exists', () => {
    expect(README).toContain('npm ci && npm run synth');
    expect(README).toContain('npm test');
    for (const [, script] of README.matchAll(/npm run ([a-z]+)/g)) {
      expect(Object.keys(PACKAGE.scripts), `npm run ${script}`).toContain(script);
    }
  });
});
