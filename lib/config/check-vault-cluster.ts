/**
 * `vaultCluster`: the Vault (or OpenBao) servers on EC2, built by the `vault-aws` stack.
 */
import type { VaultClusterConfig } from './types.js';
import { type Mapping, type Problems, section, type ValidAws, type ValidDns } from './rules.js';

const VAULT_CLUSTER_FIELDS = [
  'name', 'engine', 'version', 'packageSha256', 'mode', 'voters', 'region', 'network', 'unsealKey', 'tls', 'ami', 'instances', 'ssm',
] as const;

/** What {@link checkVaultCluster} needs from the sections before it. */
export interface VaultClusterContext {
  readonly aws: ValidAws;
  readonly dns: ValidDns;
  /** Host of `vault.address`, when valid. */
  readonly vaultHost?: string;
}

/** What later sections learn of a valid cluster. */
export interface ValidVaultCluster {
  readonly engine?: VaultClusterConfig['engine'];
  readonly version?: string;
}

/** Checks `vaultCluster` (optional). @returns what later sections may rely on, `undefined` when absent */
export function checkVaultCluster(problems: Problems, raw: Mapping, _context: VaultClusterContext): ValidVaultCluster | undefined {
  const cluster = section(problems, raw, [], 'vaultCluster', VAULT_CLUSTER_FIELDS, true);
  if (!cluster) return undefined;
  return {};
}
