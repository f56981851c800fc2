import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { readTree, writeDist } from '../../lib/output/write-dist.js';

let root: string;
let dist: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'write-dist-'));
  dist = join(root, 'dist');
});

const file = (path: string, content = `${path}\n`) => ({ path, content });

describe('writeDist', () => {
  test('writes every file and reports them as added', () => {
    const summary = writeDist(dist, [file('prod/controllers/a.yaml'), file('prod/flux/k.yaml')]);
    expect(summary).toEqual({ added: ['prod/controllers/a.yaml', 'prod/flux/k.yaml'], changed: [], removed: [] });
    expect(readFileSync(join(dist, 'prod/controllers/a.yaml'), 'utf8')).toBe('prod/controllers/a.yaml\n');
  });

  test('removes stale files and whole clusters that are no longer synthesized', () => {
    writeDist(dist, [file('prod/controllers/a.yaml'), file('prod/controllers/old.yaml'), file('gone/flux/k.yaml')]);
    const summary = writeDist(dist, [file('prod/controllers/a.yaml', 'new\n')]);
    expect(summary).toEqual({ added: [], changed: ['prod/controllers/a.yaml'], removed: ['gone/flux/k.yaml', 'prod/controllers/old.yaml'] });
    expect([...readTree(dist).keys()]).toEqual(['prod/controllers/a.yaml']);
    expect(existsSync(join(dist, 'gone'))).toBe(false);
  });

  test('keeps the flux-system folder that flux bootstrap committed', () => {
    writeDist(dist, [file('prod/flux/k.yaml')]);
    mkdirSync(join(dist, 'prod/flux/flux-system'), { recursive: true });
    writeFileSync(join(dist, 'prod/flux/flux-system/gotk-sync.yaml'), 'bootstrap\n');
    const summary = writeDist(dist, [file('prod/flux/k.yaml', 'changed\n')]);
    expect(summary.removed).toEqual([]);
    expect(readFileSync(join(dist, 'prod/flux/flux-system/gotk-sync.yaml'), 'utf8')).toBe('bootstrap\n');
  });

  test('touches nothing when nothing changed', () => {
    writeDist(dist, [file('prod/controllers/a.yaml')]);
    const before = statSync(join(dist, 'prod/controllers/a.yaml')).mtimeMs;
    const summary = writeDist(dist, [file('prod/controllers/a.yaml')]);
    expect(summary).toEqual({ added: [], changed: [], removed: [] });
    expect(statSync(join(dist, 'prod/controllers/a.yaml')).mtimeMs).toBe(before);
  });

  test('leaves dist exactly as it was when writing fails, and cleans up its temporary folder', () => {
    writeDist(dist, [file('prod/controllers/a.yaml')]);
    const before = readTree(dist);
    // A NUL byte in a path makes the write fail half-way through.
    expect(() => writeDist(dist, [file('prod/controllers/b.yaml'), file('prod/controllers/bad\0.yaml')])).toThrow();
    expect(readTree(dist)).toEqual(before);
    expect(existsSync(join(root, `dist.tmp-${process.pid}`))).toBe(false);
  });
});
