import { describe, expect, test } from 'vitest';
import { certificateBlocks, pemBlocks } from '../../lib/util/pem.js';

const cert = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;

describe('pemBlocks', () => {
  test('finds every block in order, with its label, ignoring text around them', () => {
    const text = `# comment\n${cert('AAAA')}\nnoise\n-----BEGIN EC PRIVATE KEY-----\nBBBB\n-----END EC PRIVATE KEY-----\n${cert('CCCC')}`;
    expect(pemBlocks(text).map((b) => b.label)).toEqual(['CERTIFICATE', 'EC PRIVATE KEY', 'CERTIFICATE']);
    expect(certificateBlocks(text)).toEqual([`${cert('AAAA')}\n`, `${cert('CCCC')}\n`]);
  });

  test('a BEGIN line closed by an END line of another label is no block', () => {
    expect(pemBlocks('-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n')).toEqual([]);
  });
});
