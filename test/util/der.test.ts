import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BASIC_CONSTRAINTS_OID, certificateExtensions, NAME_CONSTRAINTS_OID, nameConstraintsValue, parseBasicConstraints, permittedDnsSubtrees,
} from '../../lib/util/der.js';

/** The example chain's intermediate: pathlen 1, name-constrained to the private zone and cluster.local. */
const INTERMEDIATE = new X509Certificate(readFileSync(new URL('../fixtures/example/pki/ca-chain.pem', import.meta.url), 'utf8').split(/(?<=-----END CERTIFICATE-----\n)/)[0]!);

describe('certificateExtensions', () => {
  it('reads the extensions of a certificate, with their identifiers and criticality', () => {
    const extensions = certificateExtensions(Buffer.from(INTERMEDIATE.raw));
    expect(extensions.map((e) => [e.oid, e.critical])).toEqual([
      [BASIC_CONSTRAINTS_OID, true], ['2.5.29.15', true], ['2.5.29.14', false], ['2.5.29.35', false], [NAME_CONSTRAINTS_OID, true],
    ]);
    expect(parseBasicConstraints(extensions[0]!.value)).toEqual({ ca: true, pathLength: 1 });
    expect(permittedDnsSubtrees(extensions[4]!.value)).toEqual(['priv.example.com', 'cluster.local']);
  });

  it('fails on bytes that are not a certificate', () => {
    expect(() => certificateExtensions(Buffer.from('3003020101', 'hex'))).toThrow('malformed certificate: tag 0x2 where 0x30 was expected at byte 2');
  });
});

describe('parseBasicConstraints and nameConstraintsValue', () => {
  it('reads a CA without path length, and an end entity', () => {
    expect(parseBasicConstraints(Buffer.from('30030101ff', 'hex'))).toEqual({ ca: true });
    expect(parseBasicConstraints(Buffer.from('3000', 'hex'))).toEqual({ ca: false });
  });

  it('writes what it reads back', () => {
    expect(permittedDnsSubtrees(nameConstraintsValue(['a.example.com', 'b.example.org']))).toEqual(['a.example.com', 'b.example.org']);
  });
});
