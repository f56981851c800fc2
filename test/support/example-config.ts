/**
 * The example configuration as plain data, for tests that edit it as a user edits the YAML, and a
 * second cluster made from its first.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { PlatformConfig } from '../../lib/config/types.js';
import { synthesizeKubernetes } from '../../lib/synth.js';
import { EXAMPLE_CONFIG, EXAMPLE_DIR } from './cli.js';

// Plain data: each case edits a deep clone freely.
type Editable = any;

/** The tests' example (test/fixtures/example/platform.yaml), parsed once. */
export const EXAMPLE: unknown = parse(readFileSync(EXAMPLE_CONFIG, 'utf8'));

/** The example configuration, deep-cloned, with one edit applied. */
export function exampleWith(edit: (config: Editable) => void): unknown {
  const config = structuredClone(EXAMPLE) as Editable;
  edit(config);
  return config;
}

/**
 * A second cluster for tests, copied from the first: its own name and, with IRSA, its own OIDC
 * provider (two clusters may never share one: lib/config/check-ownership.ts).
 */
export function secondCluster(first: Editable, name = 'mycluster-1'): Editable {
  const copy = { ...structuredClone(first), name };
  const arn: unknown = copy.workloadIdentity?.oidcProviderArn;
  if (typeof arn === 'string') {
    // The provider's id: 32 hexadecimal digits, replaced by others of the same form.
    copy.workloadIdentity.oidcProviderArn = arn.replace(/\/id\/[0-9A-F]{32}$/, `/id/${'FEDCBA9876543210'.repeat(2)}`);
  }
  return copy;
}

/** Adds a second cluster, `mycluster-1`, and pins every application and the backups to `mycluster-0`. */
export function withSecondCluster(config: Editable): void {
  config.clusters.push(secondCluster(config.clusters[0]));
  for (const application of config.applications) application.cluster = 'mycluster-0';
  if (config.backup) config.backup.cluster = 'mycluster-0';
}

/**
 * EKS Pod Identity for a typed test cluster named `clusterName`, with an IAM OIDC provider of its
 * own in `region` (each cluster's differs): a Pod Identity cluster that receives AppRole secret ids
 * needs one for External Secrets' SecretStores.
 */
export function podIdentityWithProvider(clusterName: string, options: { region?: string; eksClusterName?: string } = {}) {
  const id = createHash('sha256').update(clusterName).digest('hex').slice(0, 32).toUpperCase();
  return {
    type: 'pod-identity' as const,
    ...(options.eksClusterName === undefined ? {} : { eksClusterName: options.eksClusterName }),
    oidcProviderArn: `arn:aws:iam::123456789012:oidc-provider/oidc.eks.${options.region ?? 'eu-west-3'}.amazonaws.com/id/${id}`,
  };
}

/** The Kubernetes manifests of a configuration, by cluster, synthesized with the example's CA chain as Vault's and trust's roots. */
export function exampleManifests(config: PlatformConfig): ReadonlyMap<string, readonly any[]> {
  const chain = readFileSync(join(EXAMPLE_DIR, 'pki', 'ca-chain.pem'), 'utf8');
  const root = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!.at(-1)!;
  return synthesizeKubernetes(config, { vaultCaBundle: chain, trustRoots: root }).manifests;
}
