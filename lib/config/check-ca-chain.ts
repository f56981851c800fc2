/**
 * The CA chain the configuration names must be the one made for it: the example's chain, or that
 * of another configuration, passes every check of form (ca-bundle.ts) and then fails inside the
 * clusters, or worse, trusts a PKI whose keys someone else holds. Checked at synth, once every field
 * is valid, against what `npm run pki -- init` writes from the configuration (lib/pki/profile.ts):
 *
 * | check                                                                        | file                                   |
 * |------------------------------------------------------------------------------|----------------------------------------|
 * | each certificate with an organization (`O=`) has `organization.name`          | `vault.caBundleFile`, `trust.rootsFile` |
 * | each CA with DNS name constraints permits `dns.privateZone.name`             | `vault.caBundleFile`                   |
 * | … and the host of `vault.address` (else Vault's own certificate is rejected) | `vault.caBundleFile`                   |
 *
 * A certificate without `O=` is not ours to judge (another PKI's), nor is a CA without name
 * constraints (it permits every name).
 */

import { X509Certificate } from 'node:crypto';
import { certificateExtensions, NAME_CONSTRAINTS_OID, permittedDnsSubtrees } from '../util/der.js';
import { certificateBlocks } from '../util/pem.js';
import { isInDnsZone } from '../util/validators.js';
import type { PathSegment } from './errors.js';
import type { PlatformConfig } from './types.js';

/** The fix of every mismatch: make the chain of this configuration. */
export const CA_CHAIN_FIX = 'run `npm run pki -- init` to make the PKI of this configuration '
  + '(`npm run pki -- init --force` replaces the one already in pki.directory), then synth again';

/** A CA chain file the configuration names, as read and normalized by the loader. */
export interface NamedChain {
  /** Where the configuration names it: `['vault', 'caBundleFile']` or `['trust', 'rootsFile']`. */
  readonly path: readonly PathSegment[];
  /** The file as the messages show it. */
  readonly file: string;
  /** Its certificates, normalized PEM blocks. */
  readonly pem: string;
  /** Whether the name constraints of its CAs are checked (the CA bundle: Vault's certificate chains to it). */
  readonly checkNameConstraints: boolean;
}

/** A mismatch, at the path of the file. */
export interface CaChainProblem {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

/** Every way each chain differs from what the configuration says; one problem per file, in the order given. */
export function caChainProblems(config: PlatformConfig, chains: readonly NamedChain[]): CaChainProblem[] {
  const organization = config.organization.name;
  const privateZone = config.dns.privateZone.name;
  const vaultHost = new URL(config.vault.address).hostname;
  const problems: CaChainProblem[] = [];
  for (const chain of chains) {
    const differences: string[] = [];
    for (const block of certificateBlocks(chain.pem)) {
      const certificate = new X509Certificate(block);
      const name = commonNameOf(certificate);
      const organizations = attributes(certificate.subject, 'O');
      if (organizations.length > 0 && !organizations.every((value) => value === organization)) {
        differences.push(`${name} has O=${organizations.join(', O=')} where organization.name is ${JSON.stringify(organization)}`);
      }
      if (!chain.checkNameConstraints || !certificate.ca) continue;
      const zones = permittedZonesOf(certificate);
      if (zones === undefined) continue;
      const uncovered = [
        { name: privateZone, field: 'dns.privateZone.name' },
        { name: vaultHost, field: 'the host of vault.address' },
      ].filter(({ name: dnsName }) => !zones.some((zone) => isInDnsZone(dnsName, zone)));
      if (uncovered.length > 0) {
        differences.push(`${name} is name-constrained to ${zones.join(', ')}, which does not cover `
          + uncovered.map(({ name: dnsName, field }) => `${field} ${JSON.stringify(dnsName)}`).join(' nor '));
      }
    }
    if (differences.length > 0) {
      problems.push({
        path: chain.path,
        message: `expected the CA chain of this configuration, got ${chain.file} made for another one: ${differences.join('; ')} `
          + `(${CA_CHAIN_FIX})`,
      });
    }
  }
  return problems;
}

/** The values of attribute `type` in a distinguished name as Node gives it (one `TYPE=value` a line). */
function attributes(name: string, type: string): string[] {
  return name.split('\n').filter((line) => line.startsWith(`${type}=`)).map((line) => line.slice(type.length + 1));
}

/** `the CA "Example Corp Root CA"`, or the whole subject when it has no CN. */
function commonNameOf(certificate: X509Certificate): string {
  const [commonName] = attributes(certificate.subject, 'CN');
  return `the CA ${JSON.stringify(commonName ?? certificate.subject.split('\n').join(', '))}`;
}

/** The permitted DNS subtrees of a CA, `undefined` without name constraints or when they constrain no DNS name. */
function permittedZonesOf(certificate: X509Certificate): string[] | undefined {
  const extension = certificateExtensions(certificate.raw).find((item) => item.oid === NAME_CONSTRAINTS_OID);
  if (extension === undefined) return undefined;
  const zones = permittedDnsSubtrees(extension.value).map((zone) => zone.replace(/^\./, ''));
  return zones.length > 0 ? zones : undefined;
}
