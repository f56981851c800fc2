/**
 * What the configuration says the PKI is: the names in the subjects, the zones the intermediate CA is
 * limited to, the names and addresses of the Vault server certificate, its key.
 *
 * Pure: derived from a validated {@link PlatformConfig}, so each field is already known to be
 * well-formed; `vault.serverName` is checked against the private zone again (the same rule as
 * synth's, `vaultServerNameProblem`), since the server certificate must carry it.
 */

import type { PlatformConfig } from '../config/types.js';
import { effectiveAllowedDomains, vaultServerNameProblem } from '../config/vault-setup.js';
import { isInDnsZone } from '../util/validators.js';
import { PkiError } from './errors.js';

/** Longest common name: X.509 `ub-common-name` (RFC 5280, appendix A.1). */
export const COMMON_NAME_MAX_LENGTH = 64;

/** Key of the Vault server certificate: the two the configuration offers (`pki.serverKey.algorithm`). */
export type ServerKeyAlgorithm = 'ECDSA' | 'RSA';

/** Everything the PKI command needs from the configuration. */
export interface PkiProfile {
  /** `organization.name`: the `O=` of every subject. */
  readonly organization: string;
  /** `organization.country`: the `C=` of every subject. */
  readonly country: string;
  /** `CN=` of the root CA: `<organization> Root CA`, or `Root CA` when that exceeds 64 characters. */
  readonly rootCommonName: string;
  /** `CN=` of the intermediate CA: `<organization> Intermediate CA`, or `Intermediate CA` when too long. */
  readonly intermediateCommonName: string;
  /** `dns.privateZone.name`: the zone of Vault's own certificate. */
  readonly privateZone: string;
  /**
   * The DNS subtrees the intermediate CA may sign names in (its name constraints): the private zone
   * (Vault's certificate), then each of the Vault role's domains (`vault.pki.allowedDomains`, by
   * default the private zone and `cluster.local`) not already inside an earlier one, since the
   * issuing CA that Vault keeps below the intermediate signs those.
   */
  readonly permittedZones: readonly string[];
  /** Host of `vault.address`: the server certificate's common name (when at most 64 characters) and first DNS name. */
  readonly vaultHost: string;
  /** The server certificate's DNS names: the Vault host, `vault.serverName` when it differs, `pki.serverExtraDnsNames`. */
  readonly serverDnsNames: readonly string[];
  /** `pki.serverIpAddresses`, as written. */
  readonly serverIpAddresses: readonly string[];
  /** `pki.serverKey.algorithm`. @default 'ECDSA' */
  readonly serverKeyAlgorithm: ServerKeyAlgorithm;
}

/**
 * The PKI profile of a validated configuration.
 * @throws PkiError when `vault.serverName` is outside the private zone (the intermediate cannot sign it)
 */
export function pkiProfile(config: PlatformConfig): PkiProfile {
  const privateZone = config.dns.privateZone.name;
  const vaultHost = vaultHostOf(config.vault.address);
  const serverDnsNames = [vaultHost];
  const serverName = config.vault.serverName;
  if (serverName !== undefined && serverName !== vaultHost) {
    // Synth refuses it too; a configuration loaded without validation (a library caller) still fails here.
    const problem = vaultServerNameProblem(serverName, vaultHost, privateZone);
    if (problem !== undefined) throw new PkiError(`vault.serverName: ${problem}`);
    serverDnsNames.push(serverName);
  }
  for (const name of config.pki?.serverExtraDnsNames ?? []) {
    if (!serverDnsNames.includes(name)) {
      serverDnsNames.push(name);
    }
  }
  const organization = config.organization.name;
  return {
    organization,
    country: config.organization.country,
    rootCommonName: commonName(`${organization} Root CA`, 'Root CA'),
    intermediateCommonName: commonName(`${organization} Intermediate CA`, 'Intermediate CA'),
    privateZone,
    permittedZones: permittedZones([privateZone, ...effectiveAllowedDomains(config)]),
    vaultHost,
    serverDnsNames,
    serverIpAddresses: [...(config.pki?.serverIpAddresses ?? [])],
    serverKeyAlgorithm: config.pki?.serverKey?.algorithm ?? 'ECDSA',
  };
}

/**
 * `zones` in order, without those equal to or inside another one (a subtree adds nothing to its
 * parent's): the permitted subtrees of a name constraints extension.
 */
export function permittedZones(zones: readonly string[]): string[] {
  const kept: string[] = [];
  for (const zone of zones) {
    if (!kept.some((parent) => isInDnsZone(zone, parent))) kept.push(zone);
  }
  return kept.filter((zone) => !kept.some((parent) => parent !== zone && isInDnsZone(zone, parent)));
}

/** `https://vault.priv.example.com:8200` → `vault.priv.example.com` (the address is already validated). */
function vaultHostOf(address: string): string {
  return address.replace(/^https:\/\//, '').replace(/[/:].*$/s, '');
}

function commonName(preferred: string, fallback: string): string {
  return preferred.length <= COMMON_NAME_MAX_LENGTH ? preferred : fallback;
}
