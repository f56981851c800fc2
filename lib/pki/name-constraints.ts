/**
 * The name constraints extension (RFC 5280 section 4.2.1.10) of the intermediate CA: the DNS subtree
 * it may sign names in, the private zone. A client that verifies a certificate chain (OpenSSL, Go,
 * browsers) rejects any certificate below the intermediate whose DNS names fall outside it, so a
 * stolen intermediate key, or a Vault role written too loosely, cannot mint a certificate for a
 * public name such as a bank's.
 *
 * Only `permittedSubtrees` of `dNSName` are written: the other name types (IP addresses, e-mail)
 * stay unconstrained, so the Vault server certificate may carry IP addresses. `@peculiar/x509` has
 * no class for this extension: its DER is written and read by lib/util/der.ts, which synth's
 * configuration checks share.
 */

import { NAME_CONSTRAINTS_OID, nameConstraintsValue, permittedDnsSubtrees } from '../util/der.js';
import { x509 } from './x509.js';

export { NAME_CONSTRAINTS_OID } from '../util/der.js';

/**
 * The extension permitting names in `zones` only (each zone and every name below it), critical as
 * RFC 5280 requires.
 * @example nameConstraintsExtension(['priv.example.com'])
 */
export function nameConstraintsExtension(zones: readonly string[]): x509.Extension {
  return new x509.Extension(NAME_CONSTRAINTS_OID, true, nameConstraintsValue(zones));
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
  const zones = permittedDnsSubtrees(Buffer.from(extension.value));
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
