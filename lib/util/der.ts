/**
 * The few DER structures of X.509 the platform reads or writes by hand: tag-length-value items,
 * the extensions of a certificate, basicConstraints and the DNS subtrees of name constraints.
 *
 * Without dependencies, so that synth (lib/config) can check a certificate's path length and name
 * constraints, which Node's `X509Certificate` does not expose, without bundling an X.509 library;
 * lib/pki writes name constraints with the same functions (`@peculiar/x509` has no class for them).
 *
 * ```
 * Certificate     ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version, serial, signature, issuer,
 *                                 validity, subject, subjectPublicKeyInfo, [1], [2], [3] EXPLICIT Extensions }, … }
 * Extension       ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 * BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
 * NameConstraints ::= SEQUENCE { permittedSubtrees [0] IMPLICIT SEQUENCE OF GeneralSubtree, … }
 * GeneralSubtree  ::= SEQUENCE { base GeneralName, … }      -- minimum 0 and no maximum: omitted (DER)
 * GeneralName     ::= … dNSName [2] IMPLICIT IA5String …
 * ```
 */

export const DER_SEQUENCE = 0x30;
export const DER_BOOLEAN = 0x01;
export const DER_INTEGER = 0x02;
export const DER_OCTET_STRING = 0x04;
export const DER_OBJECT_IDENTIFIER = 0x06;
/** `[0]` constructed: `permittedSubtrees`. */
export const DER_PERMITTED_SUBTREES = 0xa0;
/** `[2]` primitive: `dNSName`. */
export const DER_DNS_NAME = 0x82;
/** `[3]` constructed: the extensions of a `TBSCertificate`. */
const DER_EXTENSIONS = 0xa3;

/** Object identifier of basicConstraints, `id-ce-basicConstraints`. */
export const BASIC_CONSTRAINTS_OID = '2.5.29.19';
/** Object identifier of the name constraints extension, `id-ce-nameConstraints`. */
export const NAME_CONSTRAINTS_OID = '2.5.29.30';

/** One DER item inside `buffer`. */
export interface Tlv {
  readonly buffer: Buffer;
  readonly tag: number;
  /** Offset of the first content byte. */
  readonly start: number;
  /** Offset just after the last content byte. */
  readonly end: number;
}

/** DER tag-length-value: definite lengths, short form below 128 bytes, long form above. */
export function derTlv(tag: number, content: Buffer): Buffer {
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

/**
 * The item at `offset` of `buffer`.
 * @param what what is read, as the error names it (`name constraints extension`)
 * @throws Error `malformed <what>: …` when the item is truncated, of another tag than `expectedTag`, or too long
 */
export function readTlv(buffer: Buffer, offset: number, what: string, expectedTag?: number): Tlv {
  const fail = (problem: string): never => {
    throw new Error(`malformed ${what}: ${problem} at byte ${offset}`);
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

/** The items directly inside a constructed item, in order. */
export function derChildren(parent: Tlv, what: string): Tlv[] {
  const items: Tlv[] = [];
  for (let offset = parent.start; offset < parent.end;) {
    const item = readTlv(parent.buffer, offset, what);
    items.push(item);
    offset = item.end;
  }
  return items;
}

/** The content bytes of an item. */
export function derContent(item: Tlv): Buffer {
  return item.buffer.subarray(item.start, item.end);
}

/** `2.5.29.19` from the content of an OBJECT IDENTIFIER. */
function objectIdentifier(content: Buffer): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

/** One extension of a certificate. */
export interface CertificateExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** The DER inside `extnValue`. */
  readonly value: Buffer;
}

/**
 * The extensions of a DER certificate, in order (none for a version 1 certificate).
 * @throws Error when the certificate does not parse as DER
 */
export function certificateExtensions(der: Buffer): CertificateExtension[] {
  const what = 'certificate';
  const certificate = readTlv(der, 0, what, DER_SEQUENCE);
  const tbs = readTlv(der, certificate.start, what, DER_SEQUENCE);
  const wrapper = derChildren(tbs, what).find((item) => item.tag === DER_EXTENSIONS);
  if (!wrapper) return [];
  const list = readTlv(der, wrapper.start, what, DER_SEQUENCE);
  return derChildren(list, what).map((extension) => {
    const [id, ...rest] = derChildren(extension, what);
    if (!id || id.tag !== DER_OBJECT_IDENTIFIER) throw new Error(`malformed ${what}: an extension without its identifier`);
    const critical = rest.length === 2 && rest[0]!.tag === DER_BOOLEAN && derContent(rest[0]!)[0] !== 0;
    const value = rest.at(-1);
    if (!value || value.tag !== DER_OCTET_STRING) throw new Error(`malformed ${what}: an extension without its value`);
    return { oid: objectIdentifier(derContent(id)), critical, value: derContent(value) };
  });
}

/** What basicConstraints says: a CA or not, and its path length constraint (`undefined`: none). */
export interface BasicConstraints {
  readonly ca: boolean;
  readonly pathLength?: number;
}

/** Reads the value of a basicConstraints extension. */
export function parseBasicConstraints(value: Buffer): BasicConstraints {
  const what = 'basicConstraints extension';
  let ca = false;
  let pathLength: number | undefined;
  for (const item of derChildren(readTlv(value, 0, what, DER_SEQUENCE), what)) {
    if (item.tag === DER_BOOLEAN) ca = derContent(item)[0] !== 0;
    if (item.tag === DER_INTEGER) pathLength = derContent(item).reduce((n, byte) => n * 256 + byte, 0);
  }
  return pathLength === undefined ? { ca } : { ca, pathLength };
}

/** The value of a name constraints extension permitting the DNS subtrees `zones` only. */
export function nameConstraintsValue(zones: readonly string[]): Buffer {
  const subtrees = zones.map((zone) => derTlv(DER_SEQUENCE, derTlv(DER_DNS_NAME, Buffer.from(zone, 'ascii'))));
  return derTlv(DER_SEQUENCE, derTlv(DER_PERMITTED_SUBTREES, Buffer.concat(subtrees)));
}

/**
 * The permitted DNS subtrees of a name constraints extension's value, in order; excluded subtrees
 * are not read (the PKI writes none).
 * @throws Error `malformed name constraints extension: …`
 */
export function permittedDnsSubtrees(value: Buffer): string[] {
  const what = 'name constraints extension';
  const zones: string[] = [];
  for (const part of derChildren(readTlv(value, 0, what, DER_SEQUENCE), what)) {
    if (part.tag !== DER_PERMITTED_SUBTREES) continue;
    for (const subtree of derChildren(part, what)) {
      if (subtree.tag !== DER_SEQUENCE) throw new Error(`malformed ${what}: a subtree of tag 0x${subtree.tag.toString(16)}, not a SEQUENCE`);
      const base = readTlv(subtree.buffer, subtree.start, what);
      if (base.tag === DER_DNS_NAME) zones.push(derContent(base).toString('ascii'));
    }
  }
  return zones;
}
