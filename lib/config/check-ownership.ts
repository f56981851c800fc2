/**
 * Names and identities the platform owns, checked across sections once each field is valid alone:
 * values that are well-formed but would collide with what synth generates, or hand one section's
 * identity to another. Each would otherwise fail late (in the cluster, at plan time) or silently.
 *
 * - **Stacks**: a cluster's stack is `<cluster>-aws`; a cluster named `vault` or `vault-backup`
 *   would write into the folder of the Vault servers' or the backups' stack.
 * - **Zones**: one hosted zone ID for the public and the private zone would publish Vault's private
 *   record in public DNS.
 * - **OIDC providers**: two clusters with one provider trust each other's service accounts (a role
 *   of one cluster may be assumed from the other).
 * - **Namespaces**: the system's (`kube-system`, …), Flux's and the platform's own layers
 *   (cert-manager, External Secrets, the exporter, the backups, a cluster's gateways) belong to one
 *   owner each: an application or a Gateway there would be pruned, policed or deleted with it.
 * - **Host names**: an application named like Vault's API would take its certificate and its
 *   record; one on the private zone's apex would shadow the zone itself.
 * - **Vault's domains**: no `vault.pki.allowedDomains` in (or above) the public zone, the private
 *   zone inside it excepted: Vault would sign Let's Encrypt's names, trusted by every client of
 *   the private root.
 */
import { isDnsLabel, isDnsName, isInDnsZone } from '../util/validators.js';
import {
  APPROLE_ROTATION_NAMESPACE, DEFAULT_GATEWAYS_NAMESPACE, EXTERNAL_SECRETS_NAMESPACE, VAULT_AWS_STACK, VAULT_BACKUP_STACK,
} from '../util/names.js';
import { DEFAULT_BACKUP_NAMESPACE } from './backup.js';
import { expectedGot, isMapping, type Mapping, own, type Problems, type ValidDns } from './rules.js';

/** Namespaces of the Kubernetes system: never a platform or application namespace. */
export const SYSTEM_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Namespaces the platform's layers create and own, whatever the configuration, with their owner. */
export const PLATFORM_NAMESPACES: Readonly<Record<string, string>> = {
  'flux-system': 'Flux',
  'cert-manager': 'cert-manager (the controllers layer)',
  [EXTERNAL_SECRETS_NAMESPACE]: 'External Secrets (the controllers layer)',
  'x509-certificate-exporter': 'the certificate exporter (the monitoring layer)',
  [APPROLE_ROTATION_NAMESPACE]: 'the AppRole rotation jobs (the approle-rotation layer)',
};

/** The stack a cluster named `cluster` would get, and the platform stack of that name, if any. */
function stackCollision(cluster: string): string | undefined {
  const stack = `${cluster}-aws`;
  if (stack === VAULT_AWS_STACK) return `${VAULT_AWS_STACK}, the Vault servers' stack`;
  if (stack === VAULT_BACKUP_STACK) return `${VAULT_BACKUP_STACK}, the backups' stack`;
  return undefined;
}

const text = (mapping: unknown, key: string): string | undefined => {
  const value = isMapping(mapping) ? own(mapping, key) : undefined;
  return typeof value === 'string' ? value : undefined;
};

const list = (mapping: Mapping, key: string): unknown[] => {
  const value = own(mapping, key);
  return Array.isArray(value) ? value : [];
};

/**
 * Who owns `namespace` in a cluster whose Gateways and backups (if it runs them) live in the
 * namespaces given, or `undefined` when nobody of the platform does.
 */
function namespaceOwner(namespace: string, gatewaysNamespace: string | undefined, backupNamespace: string | undefined): string | undefined {
  if (SYSTEM_NAMESPACES.includes(namespace)) return 'the Kubernetes system';
  const platform = PLATFORM_NAMESPACES[namespace];
  if (platform !== undefined) return platform;
  if (namespace === gatewaysNamespace) return 'the cluster\'s Gateways and their certificates (clusters[].gateways.namespace)';
  if (namespace === backupNamespace) return 'the Vault backups (backup.namespace)';
  return undefined;
}

/** What {@link checkOwnership} needs from the sections before it, each `undefined` when invalid. */
export interface OwnershipContext extends ValidDns {
  /** The host of `vault.address` (checkVaultAddress). */
  readonly vaultHost?: string;
}

export function checkOwnership(problems: Problems, raw: Mapping, { publicZone, privateZone, vaultHost }: OwnershipContext): void {
  const clusters = list(raw, 'clusters').filter(isMapping);
  const allClusters = list(raw, 'clusters');

  // Stacks: `<cluster>-aws` must not be another stack's folder.
  allClusters.forEach((cluster, index) => {
    const name = text(cluster, 'name');
    const collision = name === undefined || !isDnsLabel(name) ? undefined : stackCollision(name);
    if (collision !== undefined) {
      problems.add(['clusters', index, 'name'], expectedGot(
        'a cluster name whose stack, <name>-aws, is not one of the platform\'s', name,
        `its stack would be ${collision}: synth would write both into one folder`,
      ));
    }
  });

  // Zones: the private zone's records must never reach the public zone.
  const dns = own(raw, 'dns');
  const publicZoneId = text(isMapping(dns) ? own(dns, 'publicZone') : undefined, 'hostedZoneID');
  const privateZoneId = text(isMapping(dns) ? own(dns, 'privateZone') : undefined, 'hostedZoneID');
  if (publicZoneId !== undefined && publicZoneId === privateZoneId) {
    problems.add(['dns', 'privateZone', 'hostedZoneID'], expectedGot(
      'the ID of the private hosted zone, not the public one\'s', privateZoneId,
      'the same as dns.publicZone.hostedZoneID: Vault\'s private record would be published in public DNS',
    ));
  }

  // OIDC providers: one per cluster.
  const providers = new Map<string, number>();
  allClusters.forEach((cluster, index) => {
    const identity = isMapping(cluster) ? own(cluster, 'workloadIdentity') : undefined;
    const arn = text(identity, 'oidcProviderArn');
    if (arn === undefined) return;
    const first = providers.get(arn);
    if (first === undefined) {
      providers.set(arn, index);
    } else {
      problems.add(['clusters', index, 'workloadIdentity', 'oidcProviderArn'], expectedGot(
        'the OIDC provider of this cluster, not another\'s', arn,
        `already clusters[${first}]'s: each cluster's roles would trust the other cluster's service accounts`,
      ));
    }
  });

  // Namespaces: one owner each.
  const backup = own(raw, 'backup');
  const backupNamespace = isMapping(backup) ? (text(backup, 'namespace') ?? DEFAULT_BACKUP_NAMESPACE) : undefined;
  const backupNamespaceGiven = text(backup, 'namespace') !== undefined;
  const backupCluster = text(backup, 'cluster') ?? (clusters.length === 1 ? text(clusters[0], 'name') : undefined);
  /** The backups' namespace in `cluster`, where they run there. */
  const backupNamespaceIn = (cluster: string | undefined): string | undefined =>
    (backupCluster === undefined || backupCluster === cluster ? backupNamespace : undefined);
  const gatewaysNamespaceOf = new Map<string, string>();
  allClusters.forEach((cluster, index) => {
    if (!isMapping(cluster)) return;
    const name = text(cluster, 'name');
    const given = text(own(cluster, 'gateways'), 'namespace');
    if (name !== undefined) gatewaysNamespaceOf.set(name, given ?? DEFAULT_GATEWAYS_NAMESPACE);
    // The default namespace is the platform's own; only one the user chose can collide. A backup
    // namespace given explicitly is compared with the Gateways' by checkBackup, at backup.namespace.
    const owner = given === undefined || !isDnsLabel(given) ? undefined
      : namespaceOwner(given, undefined, backupNamespaceGiven ? undefined : backupNamespaceIn(name));
    if (owner !== undefined) {
      problems.add(['clusters', index, 'gateways', 'namespace'], expectedGot('a namespace of the Gateways\' own', given, `owned by ${owner}`));
    }
  });
  const onlyCluster = clusters.length === 1 ? text(clusters[0], 'name') : undefined;
  const vault = own(raw, 'vault');
  list(raw, 'applications').forEach((application, index) => {
    if (!isMapping(application)) return;
    const path = ['applications', index];
    const cluster = text(application, 'cluster') ?? onlyCluster;
    const namespace = text(application, 'namespace');
    if (namespace !== undefined && isDnsLabel(namespace)) {
      const owner = namespaceOwner(
        namespace, (cluster === undefined ? undefined : gatewaysNamespaceOf.get(cluster)) ?? DEFAULT_GATEWAYS_NAMESPACE, backupNamespaceIn(cluster),
      );
      if (owner !== undefined) {
        problems.add([...path, 'namespace'], expectedGot('a namespace of the application\'s own', namespace, `owned by ${owner}`));
      }
    }
    const hostname = text(application, 'hostname');
    if (hostname === undefined) return;
    if (vaultHost !== undefined && hostname === vaultHost) {
      problems.add([...path, 'hostname'], expectedGot(
        'a host name other than Vault\'s', hostname, 'the host of vault.address: the application would take Vault\'s name and certificate',
      ));
    } else if (privateZone !== undefined && hostname === privateZone && text(application, 'gateway') === 'private') {
      problems.add([...path, 'hostname'], expectedGot(
        'a name below the private zone', hostname, 'the zone apex itself: the record would shadow the zone; use a name such as '
          + `${JSON.stringify(`app.${privateZone}`)}`,
      ));
    }
  });

  // Vault's role never signs the public zone's names (beyond the private zone inside it): those
  // are Let's Encrypt's, and every client of the private root would trust Vault's for them.
  const pki = isMapping(vault) ? own(vault, 'pki') : undefined;
  const domains = isMapping(pki) ? own(pki, 'allowedDomains') : undefined;
  if (Array.isArray(domains) && publicZone !== undefined) {
    domains.forEach((domain: unknown, index) => {
      if (typeof domain !== 'string' || !isDnsName(domain)) return;
      if (privateZone !== undefined && isInDnsZone(domain, privateZone)) return;
      const covers = isInDnsZone(publicZone, domain);
      if (!covers && !isInDnsZone(domain, publicZone)) return;
      problems.add(['vault', 'pki', 'allowedDomains', index], expectedGot(
        `a domain of the private PKI, not of the public zone ${JSON.stringify(publicZone)}`, domain,
        `${covers ? 'it contains the whole public zone' : 'it is a name of the public zone'}: Vault would sign public names, which only `
          + `Let's Encrypt should, and every client of the private root would trust them; use ${JSON.stringify(privateZone ?? `priv.${publicZone}`)}`,
      ));
    });
  }
}
