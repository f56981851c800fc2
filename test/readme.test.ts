/**
 * The README and the documents of docs/ hold together: each long one has a table of contents that
 * matches its headings, every relative link reaches a file and a heading that exist, and every
 * `docs/<file>.md, "<heading>"` that the code prints or documents names a real section.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { policyTable } from '../lib/validate/policies.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCUMENTS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const text = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const PACKAGE = JSON.parse(text('package.json'));

/** The document without its fenced code blocks, whose `# comment` lines are not headings. */
const prose = (markdown: string) => markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
const headingsOf = (markdown: string) => [...prose(markdown).matchAll(/^(#{1,3}) (.+)$/gm)].map((m) => ({ level: m[1]!.length, title: m[2]! }));
/** The anchor GitHub gives a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
const anchorOf = (title: string) => title.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');

describe.each(DOCUMENTS)('%s', (file) => {
  const markdown = text(file);
  const headings = headingsOf(markdown);

  test('starts with one title, and a long document has a Contents of every section and subsection, in order', () => {
    expect(headings.filter((h) => h.level === 1)).toHaveLength(1);
    expect(headings[0]!.level).toBe(1);
    const sections = headings.filter((h) => h.level > 1 && h.title !== 'Contents');
    if (sections.length < 3) return;
    const start = markdown.indexOf('## Contents\n');
    expect(start, 'a "## Contents" section').toBeGreaterThan(0);
    const contents = markdown.slice(start, markdown.indexOf('\n## ', start + 1));
    const links = [...contents.matchAll(/^( *)- \[(.+)\]\(#(.+)\)$/gm)].map((m) => ({ level: m[1] === '' ? 2 : 3, title: m[2]!, target: m[3]! }));
    expect(links.map(({ level, title }) => ({ level, title }))).toEqual(sections);
    for (const link of links) expect(link.target, link.title).toBe(anchorOf(link.title));
  });

  test('every relative link reaches a file that exists, and a heading of it when it names one', () => {
    const links = [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    for (const link of links) {
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path === '' ? file : normalize(join(dirname(file), path));
      expect(existsSync(join(ROOT, target)), `${link} → ${target}`).toBe(true);
      if (anchor !== undefined) expect(headingsOf(text(target)).map((h) => anchorOf(h.title)), link).toContain(anchor);
    }
  });

  test('every npm script it names exists', () => {
    for (const [, script] of markdown.matchAll(/npm run ([a-z]+)/g)) {
      expect(Object.keys(PACKAGE.scripts), `npm run ${script}`).toContain(script);
    }
  });
});

describe('README', () => {
  test('the quick start is the two commands', () => {
    const quickStart = text('README.md').split('## Quick start')[1]!.split('\n## ')[0]!;
    expect(quickStart).toContain('npm ci && npm run synth');
    expect(quickStart).toContain('npm test');
  });

  test('links every document of docs/', () => {
    const documentation = text('README.md').split('## Documentation')[1]!.split('\n## ')[0]!;
    const linked = [...documentation.matchAll(/\]\((docs\/[^)#]+\.md)\)/g)].map((m) => m[1]);
    expect([...new Set(linked)].sort()).toEqual(DOCUMENTS.filter((f) => f.startsWith('docs/')));
  });
});

describe('docs/validation.md', () => {
  test('lists the security policies exactly as the code defines them', () => {
    expect(text('docs/validation.md')).toContain(policyTable().trimEnd());
  });
});

describe('references to the documentation from the code and the example configuration', () => {
  const sources = (dir: string): string[] => readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mjs|yaml)$/.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
  const files = [...sources('lib'), ...sources('apps'), ...sources('scripts'), 'config/platform.yaml', 'config/platform.schema.json'];
  // A reference may be wrapped over two comment lines: join lines, dropping comment markers.
  const flattened = (file: string) => text(file).replace(/\n\s*(\/\/|\*|#)?\s*/g, ' ');

  test('each names a document that exists and one of its headings (a heading may go on in brackets)', () => {
    const references = files.flatMap((file) => [...flattened(file).matchAll(/docs\/([\w-]+\.md), \\?"([^"\\]+)\\?"/g)]
      .map((m) => ({ file, document: `docs/${m[1]}`, heading: m[2]! })));
    expect(references.length).toBeGreaterThan(30);
    for (const { file, document, heading } of references) {
      expect(existsSync(join(ROOT, document)), `${file}: ${document}`).toBe(true);
      const titles = headingsOf(text(document)).map((h) => h.title);
      expect(titles.some((t) => t === heading || t.startsWith(`${heading} (`)), `${file}: ${document}, "${heading}"`).toBe(true);
    }
  });

  test('none sends the reader to a README section (the README is a front page; sections are in docs/)', () => {
    for (const file of files) expect(flattened(file), file).not.toMatch(/README[,'"\s(]+"/);
  });
});
