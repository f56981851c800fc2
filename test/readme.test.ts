import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { policyTable } from '../lib/validate/policies.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const PACKAGE = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

describe('README', () => {
  test('its Contents lists every section and subsection, in order, each link the anchor GitHub gives the heading', () => {
    const anchor = (title: string) => title.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
    const headings = [...README.matchAll(/^(##|###) (.+)$/gm)].map((m) => [m[1], m[2]!] as const).filter(([, t]) => t !== 'Contents');
    const contents = README.slice(README.indexOf('## Contents'), README.indexOf('## Quick start'));
    const links = [...contents.matchAll(/^( *)- \[(.+)\]\(#(.+)\)$/gm)].map((m) => [m[1] === '' ? '##' : '###', m[2]!, m[3]!] as const);
    expect(links.map(([level, title]) => [level, title])).toEqual(headings.map(([level, title]) => [level, title]));
    for (const [, title, target] of links) expect(target, title).toBe(anchor(title));
  });

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
