/**
 * The Node.js version the README and package.json promise is one every installed package accepts:
 * its `engines.node` minimum, and the Node.js running the tests, satisfy each package's range in
 * package-lock.json (a package that needs a newer Node warns at `npm ci` and may break at run time).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { PROJECT_ROOT } from './support/cli.js';

type Version = [number, number, number];

function parseVersion(text: string): Version | undefined {
  const match = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/.exec(text.trim());
  if (!match) return undefined;
  const part = (value: string | undefined) => (value === undefined || value === 'x' || value === '*' ? 0 : Number(value));
  return [Number(match[1]), part(match[2]), part(match[3])];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** One comparator of an npm range (`>=20.9.0`, `^14.17.0`, `<23`, `*`, `16.x`), on `version`. */
function satisfiesComparator(version: Version, comparator: string): boolean {
  const match = /^(>=|<=|>|<|\^|~|=)?\s*(.*)$/.exec(comparator.trim())!;
  const [operator, rest] = [match[1] ?? '=', match[2]!];
  if (rest === '*' || rest === 'x' || rest === '') return true;
  const bound = parseVersion(rest);
  if (!bound) throw new Error(`unreadable comparator "${comparator}"`);
  const order = compare(version, bound);
  switch (operator) {
    case '>=': return order >= 0;
    case '>': return order > 0;
    case '<=': return order <= 0;
    case '<': return order < 0;
    case '^': return order >= 0 && version[0] === bound[0];
    case '~': return order >= 0 && version[0] === bound[0] && version[1] === bound[1];
    default: return /\.(x|\*)|^\d+$/.test(rest) || rest.split('.').length < 3 ? version[0] === bound[0] : order === 0;
  }
}

/** An npm range: `||` of comparator sets, each set space-separated (`>= 20.9.0` written with a space included). */
function satisfiesRange(version: Version, range: string): boolean {
  return range.split('||').some((set) => {
    const comparators = set.trim().replace(/(>=|<=|>|<|\^|~|=)\s+/g, '$1').split(/\s+/).filter((c) => c !== '');
    return comparators.every((comparator) => satisfiesComparator(version, comparator));
  });
}

describe('Node.js version', () => {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8'));
  const ranges = Object.entries<any>(lock.packages)
    .filter(([path, entry]) => path !== '' && typeof entry.engines?.node === 'string')
    .map(([path, entry]) => [path.replace(/^.*node_modules\//, ''), entry.engines.node as string] as const);

  test('the range reader reads npm ranges', () => {
    expect(satisfiesRange([20, 9, 0], '>= 20.9.0')).toBe(true);
    expect(satisfiesRange([20, 0, 0], '>= 20.9.0')).toBe(false);
    expect(satisfiesRange([20, 19, 0], '^12.22.0 || ^14.17.0 || >=16.0.0')).toBe(true);
    expect(satisfiesRange([20, 19, 0], '>=22')).toBe(false);
    expect(satisfiesRange([20, 19, 0], '18 || 20 || >=22')).toBe(true);
    expect(satisfiesRange([21, 0, 0], '18 || 20 || >=22')).toBe(false);
    expect(satisfiesRange([20, 1, 0], '*')).toBe(true);
  });

  test('package.json\'s engines.node minimum satisfies every installed package', () => {
    const minimum = parseVersion(/^>=\s*(.+)$/.exec(pkg.engines.node)?.[1] ?? '')!;
    expect(minimum, `engines.node "${pkg.engines.node}" must be ">=X.Y.Z"`).toBeDefined();
    const refusing = ranges.filter(([, range]) => !satisfiesRange(minimum, range)).map(([name, range]) => `${name} (${range})`);
    expect(refusing, `packages that need more than Node.js ${pkg.engines.node}`).toEqual([]);
  });

  test('the README names that minimum as the Node.js it needs', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const named = /Node\.js (\d+\.\d+(?:\.\d+)?) or later/.exec(readme)?.[1];
    expect(named, 'the README says "Node.js X.Y or later"').toBeDefined();
    expect(parseVersion(named!)).toEqual(parseVersion(/^>=\s*(.+)$/.exec(pkg.engines.node)![1]!));
  });

  test('the Node.js running the tests satisfies package.json and every installed package', () => {
    const running = parseVersion(process.versions.node)!;
    expect(satisfiesRange(running, pkg.engines.node)).toBe(true);
    expect(ranges.filter(([, range]) => !satisfiesRange(running, range)).map(([name, range]) => `${name} (${range})`)).toEqual([]);
  });
});
