import { describe, expect, it } from 'vitest';
import { isCidr } from '../../lib/util/validators.js';

describe('isCidr', () => {
  it.each([
    ['10.0.0.0/16'], ['0.0.0.0/0'], ['10.8.1.0/24'], ['192.168.1.7/32'], ['::/0'], ['fd00::/8'], ['2001:db8::/32'], ['::ffff:10.0.0.0/120'],
  ])('accepts %s', (value) => {
    expect(isCidr(value)).toBe(true);
  });

  it.each([
    ['10.0.0.1/16', 'host bits set'], ['fd00::1/8', 'host bits set (IPv6)'], ['10.0.0.0/33', 'prefix too long'], ['fd00::/129', 'prefix too long (IPv6)'],
    ['010.0.0.0/8', 'leading zero'], ['10.0.0.0/08', 'leading zero in prefix'], ['10.0.0.0', 'no prefix'], ['vpc-123/16', 'not an address'],
    ['fe80::%eth0/64', 'zone id'],
  ])('refuses %s (%s)', (value) => {
    expect(isCidr(value)).toBe(false);
  });
});
