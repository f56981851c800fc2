/**
 * The name constraints extension (RFC 5280 section 4.2.1.10) of the intermediate CA: the DNS subtree
 * it may sign names in, the private zone. A client that verifies a certificate chain (OpenSSL, Go,
 * browsers) rejects any certificate below the intermediate whose DNS names fall outside it, so a
 * stolen intermediate key, or a Vault role written too loosely, cannot mint a certificate for a
 * public name such as a bank's.
 *
 * Only `permittedSubtrees` of `dNSName` are written: the other name types (IP addresses, e-mail)
 * stay unconstrained, so the Vault server certificate may carry IP addresses. `@peculiar/x509` has
 * no class for this extension, so its DER is written and read here; the structure is small:
 *
 * ```
 * NameConstraints ::= SEQUENCE { permittedSubtrees [0] IMPLICIT SEQUENCE OF GeneralSubtree, … }
 * GeneralSubtree  ::= SEQUENCE { base GeneralName, … }      -- minimum 0 and no maximum: omitted (DER)
 * GeneralName     ::= … dNSName [2] IMPLICIT IA5String …
 * ```
 */

import { x509 } from './x509.js';

/** Object identifier of the name constraints extension, `id-ce-nameConstraints`. */
export const NAME_CONSTRAINTS_OID = '2.5.29.30';

const SEQUENCE = 0x30;
const PERMITTED_SUBTREES = 0xa0; // [0], constructed
const DNS_NAME = 0x82; // [2], primitive

/**
 * The extension permitting names in `zones` only (each zone and every name below it), critical as
 * RFC 5280 requires.
 * @example nameConstraintsExtension(['priv.example.com'])
 */
export function nameConstraintsExtension(zones: readonly string[]): x509.Extension {
  const subtrees = zones.map((zone) => tlv(SEQUENCE, tlv(DNS_NAME, Buffer.from(zone, 'ascii'))));
  const value = tlv(SEQUENCE, tlv(PERMITTED_SUBTREES, Buffer.concat(subtrees)));
  return new x509.Extension(NAME_CONSTRAINTS_OID, true, value);
}

/**
 * The DNS subtrees a CA certificate permits, or `undefined` when it has no name constraints (any
 * name is allowed) or constrains no DNS name. Excluded subtrees are not read: the PKI writes none.
 * @throws Error when the extension does not parse
 */
export function permittedDnsZones(certificate: x509.X509Certificate): string[] | undefined {
  const extension = certificate.getExtension(NAME_CONSTRAINTS_OID);
  if (!extension) {
    return undefined;
  }
  const constraints = readTlv(Buffer.from(extension.value), 0, SEQUENCE);
  let offset = constraints.start;
  const zones: string[] = [];
  while (offset < constraints.end) {
    const part = readTlv(constraints.buffer, offset);
    if (part.tag === PERMITTED_SUBTREES) {
      let subtreeOffset = part.start;
      while (subtreeOffset < part.end) {
        const subtree = readTlv(part.buffer, subtreeOffset, SEQUENCE);
        const base = readTlv(subtree.buffer, subtree.start);
        if (base.tag === DNS_NAME) {
          zones.push(base.buffer.subarray(base.start, base.end).toString('ascii'));
        }
        subtreeOffset = subtree.end;
      }
    }
    offset = part.end;
  }
  return zones.length > 0 ? zones : undefined;
}

/**
 * Whether DNS name `name` is within a permitted subtree `zone`, as RFC 5280 defines it: the zone
 * itself, or the zone with labels added on the left (`a.priv.example.com`, not `apriv.example.com`).
 * A zone starting with '.' (a form some CAs write) only matches names below it.
 */
export function isWithinDnsZone(name: string, zone: string): boolean {
  const lowerName = name.toLowerCase();
  const lowerZone = zone.toLowerCase();
  if (lowerZone.startsWith('.')) {
    return lowerName.endsWith(lowerZone);
  }
  return lowerName === lowerZone || lowerName.endsWith(`.${lowerZone}`);
}

/** DER tag-length-value: definite lengths, short form below 128 bytes, long form above. */
function tlv(tag: number, content: Buffer): Buffer {
  let length: Buffer;
  if (content.length < 0x80) {
    length = Buffer.from([content.length]);
  } else {
    const bytes: number[] = [];
    for (let rest = content.length; rest > 0; rest = Math.floor(rest / 256)) {
      bytes.unshift(rest % 256);
    }
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

interface Tlv {
  readonly buffer: Buffer;
  readonly tag: number;
  /** Offset of the first content byte. */
  readonly start: number;
  /** Offset just after the last content byte. */
  readonly end: number;
}

function readTlv(buffer: Buffer, offset: number, expectedTag?: number): Tlv {
  const fail = (what: string): never => {
    throw new Error(`malformed name constraints extension: ${what} at byte ${offset}`);
  };
  if (offset + 2 > buffer.length) {
    fail('truncated');
  }
  const tag = buffer[offset]!;
  if (expectedTag !== undefined && tag !== expectedTag) {
    fail(`tag 0x${tag.toString(16)} where 0x${expectedTag.toString(16)} was expected`);
  }
  let length = buffer[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > buffer.length) {
      fail('unsupported length');
    }
    length = 0;
    for (let index = 0; index < count; index += 1) {
      length = length * 256 + buffer[start + index]!;
    }
    start += count;
  }
  if (start + length > buffer.length) {
    fail('truncated');
  }
  return { buffer, tag, start, end: start + length };
}
