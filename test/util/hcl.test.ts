import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { renderHcl } from '../../lib/util/hcl.js';

// Loaded without its typings, which pull the DOM library into the whole program's type check.
const { parse } = createRequire(import.meta.url)('@cdktf/hcl2json') as { parse: (file: string, text: string) => Promise<unknown> };

describe('renderHcl', () => {
  it('aligns consecutive attributes, separates blocks, writes comments above them', () => {
    const text = renderHcl([
      ['ui', true],
      ['cluster_name', 'vault'],
      { type: 'listener', labels: ['tcp'], comments: ['the API,\n over TLS'], body: [['address', '0.0.0.0:8200'], ['tls_min_version', 'tls12']] },
      ['ports', [8200, 8201]],
    ], ['written by a test']);
    expect(text).toBe([
      '# written by a test',
      '',
      'ui           = true',
      'cluster_name = "vault"',
      '',
      '# the API, over TLS',
      'listener "tcp" {',
      '  address         = "0.0.0.0:8200"',
      '  tls_min_version = "tls12"',
      '}',
      '',
      'ports = [8200, 8201]',
      '',
    ].join('\n'));
  });

  it('escapes quotes and backslashes, and HashiCorp\'s parser reads back every value', async () => {
    const text = renderHcl([['path', 'C:\\data "x"'], { type: 'seal', labels: ['awskms'], body: [['region', 'eu-west-3'], ['retries', 3]] }]);
    expect(await parse('test.hcl', text)).toEqual({ path: 'C:\\data "x"', seal: { awskms: [{ region: 'eu-west-3', retries: 3 }] } });
  });

  it.each([
    ['a template sequence', [['path', 'a/${b}']], /holds a template sequence/],
    ['a directive sequence', [['path', '%{ if x }']], /holds a template sequence/],
    ['a control character', [['path', 'a\nb']], /holds a control character/],
    ['an attribute name that is no identifier', [['bad name', 1]], /is not an identifier/],
    ['an infinite number', [['n', Infinity]], /is not a finite number/],
  ] as const)('refuses %s', (_, body, message) => {
    expect(() => renderHcl(body as never)).toThrow(message);
  });
});
