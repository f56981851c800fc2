import { describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { toYaml } from '../../lib/output/yaml.js';

/** A small deterministic generator (mulberry32), so that a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'a', 'Z', '0', '9', '-', '_', '.', '/', ' ', ':', ': ', ' #', '#', '*', '&', '!', '|', '>', "'", '"', '%', '@', '`', ',',
  '[', ']', '{', '}', '?', '~', '\n', '\t', '\\', 'é', '€', '😀', 'yes', 'no', 'on', 'null', 'true', '0x1f', '0o17', '1_000',
  '2026-01-01', '.inf', '1e3', '12:30', '<<', '=', '${VAR}', '{{ $labels.x }}', '---', '...',
];

function randomString(next: () => number): string {
  const length = Math.floor(next() * 6);
  return Array.from({ length }, () => PIECES[Math.floor(next() * PIECES.length)]).join('');
}

function randomValue(next: () => number, depth: number): unknown {
  const r = next();
  if (depth > 3 || r < 0.45) {
    const s = next();
    if (s < 0.7) return randomString(next);
    if (s < 0.8) return Math.floor(next() * 2000) - 1000;
    if (s < 0.9) return next() < 0.5;
    return null;
  }
  if (r < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [randomString(next), randomValue(next, depth + 1)]));
}

describe('toYaml', () => {
  test('round-trips 3000 random documents exactly, read as YAML 1.1 (go-yaml) and as YAML 1.2', () => {
    const next = random(20261129);
    for (let i = 0; i < 3000; i++) {
      const value = { root: randomValue(next, 0) };
      const text = toYaml(value);
      for (const version of ['1.1', '1.2'] as const) {
        expect(parse(text, { version }), `document ${i}, YAML ${version}:\n${text}`).toEqual(value);
      }
    }
  });

  test('writes what the yaml library writes for plain manifests, block style and two-space indentation', () => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', labels: { 'app.kubernetes.io/managed-by': 'gateway-pki' } },
      data: { script: 'set -eu\necho "hello: world"\n', empty: '', list: ['a', 'b c', '*.example.com'] },
      spec: { ports: [{ name: 'https', port: 443 }, { name: 'http', port: 80 }], nested: [[1, 2], []], none: {} },
    };
    expect(toYaml(manifest)).toBe(stringify(manifest, { version: '1.1', lineWidth: 0 }));
  });

  test('strings a YAML 1.1 reader (go-yaml, as Kubernetes and Flux use) would take for something else are quoted', () => {
    const ambiguous = [
      'no', 'NO', 'n', 'y', 'Yes', 'on', 'Off', 'true', 'null', '~', '', '012', '1_000', '0x1f', '0o17', '0X1F', '0b101',
      '1e3', '.5', '.inf', '1:20', '2026-01-01', '2026-01-01T00:00:00Z',
    ];
    const text = toYaml({ values: ambiguous });
    for (const version of ['1.1', '1.2'] as const) {
      expect(parse(text, { version }).values, `read back as YAML ${version}`).toEqual(ambiguous);
    }
    // Plain strings stay plain, so the output reads like hand-written YAML.
    expect(toYaml({ interval: '10m', name: 'cert-manager', path: './dist/prod' })).toBe('interval: 10m\nname: cert-manager\npath: ./dist/prod\n');
  });

  test('leaves out undefined values, as JSON does', () => {
    expect(toYaml({ a: 1, b: undefined })).toBe('a: 1\n');
  });

  test('fails on a value YAML cannot hold', () => {
    expect(() => toYaml({ f: () => 1 })).toThrow('cannot write a function as YAML');
  });
});
