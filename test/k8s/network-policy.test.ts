import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { NamespaceIsolation } from '../../lib/k8s/network-policy.js';
import { synthesizeKubernetes } from '../../lib/synth.js';
import { SchemaRegistry } from '../../lib/validate/schemas.js';
import { EXAMPLE_CONFIG } from '../support/cli.js';
import { manifestsOf, only, testChart } from '../support/k8s.js';

const CHAIN = readFileSync(new URL('../fixtures/example/pki/ca-chain.pem', import.meta.url), 'utf8');
const ROOT = CHAIN.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!.at(-1)!;
const example = (): PlatformConfig => parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG);
const synth = (config: PlatformConfig): readonly any[] =>
  synthesizeKubernetes(config, { vaultCaBundle: CHAIN, trustRoots: ROOT }).manifests.get('mycluster-0')!;

let registry: SchemaRegistry;
beforeAll(() => { registry = SchemaRegistry.load(); });

/**
 * `name: proto/port->cidr,…` for each egress policy of a namespace (rules with the same ports
 * merged: cdk8s-plus writes one rule per IP block); `name: proto/port<-source` for ingress.
 */
function summary(manifests: readonly any[], namespace: string): string[] {
  const ports = (r: any) => r.ports.map((p: any) => `${p.protocol}/${p.port}`).join('+');
  const peer = (t: any) => t.ipBlock?.cidr ?? `${t.namespaceSelector.matchLabels['kubernetes.io/metadata.name']}/${t.podSelector.matchLabels['k8s-app']}`;
  return manifests
    .filter((m) => m.kind === 'NetworkPolicy' && m.metadata.namespace === namespace)
    .map((m) => {
      const egress = new Map<string, string[]>();
      for (const r of m.spec.egress ?? []) egress.set(ports(r), [...(egress.get(ports(r)) ?? []), ...(r.to ?? []).map(peer)]);
      const rules = [
        ...[...egress].map(([p, to]) => `${p}->${to.join(',')}`),
        ...(m.spec.ingress ?? []).map((r: any) => `${ports(r)}<-${r.from ? 'cluster' : 'anywhere'}`),
      ];
      return `${m.metadata.name} [${m.spec.policyTypes.join(',')}]${rules.length ? ` ${rules.join(' ')}` : ''}`;
    })
    .sort();
}

describe('NamespaceIsolation', () => {
  test('default-deny in both directions, DNS to kube-dns, then each allowance as its own policy', () => {
    const chart = testChart();
    new NamespaceIsolation(chart, 'Net', {
      namespace: 'ns',
      egress: [{ name: 'vault', ports: [8200], cidrs: ['10.0.0.0/16'] }, { name: 'dns-out', ports: [53], udp: true }],
      ingress: [{ name: 'webhook', ports: [10250], from: 'anywhere' }, { name: 'metrics', ports: [9402], from: 'cluster' }],
    });
    const deny = only(chart, 'NetworkPolicy', 'default-deny');
    // cdk8s-plus's default DENY for each direction: the policy types, no rule (Egress first, as it adds them).
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Egress', 'Ingress'] });
    expect(only(chart, 'NetworkPolicy', 'allow-dns').spec.egress).toEqual([{
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
    }]);
    expect(summary(manifestsOf(chart), 'ns')).toEqual([
      'allow-dns [Egress] UDP/53+TCP/53->kube-system/kube-dns',
      'allow-egress-dns-out [Egress] TCP/53+UDP/53->0.0.0.0/0,::/0',
      'allow-egress-vault [Egress] TCP/8200->10.0.0.0/16',
      'allow-ingress-metrics [Ingress] TCP/9402<-cluster',
      'allow-ingress-webhook [Ingress] TCP/10250<-anywhere',
      'default-deny [Egress,Ingress]',
    ]);
    // Namespaces.all(): every pod of every namespace.
    expect(only(chart, 'NetworkPolicy', 'allow-ingress-metrics').spec.ingress[0].from).toEqual([{ namespaceSelector: {}, podSelector: {} }]);
    // From anywhere: ports and no `from` (patched in; cdk8s-plus rules always name a peer), not an IP block.
    expect(only(chart, 'NetworkPolicy', 'allow-ingress-webhook').spec).toEqual({
      podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 10250, protocol: 'TCP' }] }],
    });
    // One rule per IP block, each with every port of the allowance.
    expect(only(chart, 'NetworkPolicy', 'allow-egress-dns-out').spec.egress).toEqual(['0.0.0.0/0', '::/0'].map((cidr) => ({
      to: [{ ipBlock: { cidr } }], ports: [{ protocol: 'TCP', port: 53 }, { protocol: 'UDP', port: 53 }],
    })));
  });

  test('ingress to labelled pods selects them with Pods.select; no cdk8s-plus address label anywhere', () => {
    const chart = testChart();
    new NamespaceIsolation(chart, 'Net', { namespace: 'ns', ingress: [{ name: 'webhook', ports: [10250], from: 'anywhere', podLabels: { app: 'webhook' } }] });
    expect(only(chart, 'NetworkPolicy', 'allow-ingress-webhook').spec.podSelector).toEqual({ matchLabels: { app: 'webhook' } });
    expect(JSON.stringify(manifestsOf(chart))).not.toContain('cdk8s.io/metadata.addr');
    for (const policy of manifestsOf(chart)) expect(policy.metadata).toEqual({ name: policy.metadata.name, namespace: 'ns', labels: { 'app.kubernetes.io/managed-by': 'gateway-pki' } });
  });

  test('a CIDR that is neither IPv4 nor IPv6 is refused by cdk8s-plus before anything is written', () => {
    expect(() => new NamespaceIsolation(testChart(), 'Net', { namespace: 'ns', egress: [{ name: 'x', ports: [1], cidrs: ['10.0.0.0'] }] }))
      .toThrow('CIDR mask is missing in IPv4: "10.0.0.0"');
  });

  test('every policy is valid against the networking.k8s.io/v1 schema (kubernetes-models); a broken one is not', () => {
    const chart = testChart();
    new NamespaceIsolation(chart, 'Net', { namespace: 'ns', egress: [{ name: 'https', ports: [443] }], ingress: [{ name: 'm', ports: [1], from: 'cluster' }] });
    for (const policy of manifestsOf(chart)) expect(registry.validate(policy), policy.metadata.name).toEqual([]);
    const broken = structuredClone(only(chart, 'NetworkPolicy', 'allow-egress-https'));
    broken.spec.egress[0].ports[0].port = { number: 443 };
    expect(registry.validate(broken)).not.toEqual([]);
  });
});

describe('the platform\'s NetworkPolicies', () => {
  test('cert-manager: DNS, 443 and the authoritative name servers anywhere, Vault in the VPC; the webhooks from the control plane', () => {
    const manifests = synth(example());
    expect(summary(manifests, 'cert-manager')).toEqual([
      'allow-dns [Egress] UDP/53+TCP/53->kube-system/kube-dns',
      'allow-egress-dns-authoritative [Egress] TCP/53+UDP/53->0.0.0.0/0,::/0',
      'allow-egress-https [Egress] TCP/443->0.0.0.0/0,::/0',
      'allow-egress-vault [Egress] TCP/8200->10.0.0.0/16',
      'allow-ingress-metrics [Ingress] TCP/9402<-cluster',
      'allow-ingress-webhooks [Ingress] TCP/10250+TCP/6443<-anywhere',
      'default-deny [Egress,Ingress]',
    ]);
  });

  test('external-secrets, the exporter and the backups: exactly what each needs, no ingress to the backups', () => {
    const manifests = synth(example());
    expect(summary(manifests, 'external-secrets')).toEqual([
      'allow-dns [Egress] UDP/53+TCP/53->kube-system/kube-dns',
      'allow-egress-https [Egress] TCP/443->0.0.0.0/0,::/0',
      'allow-ingress-metrics [Ingress] TCP/8080<-cluster',
      'allow-ingress-webhook [Ingress] TCP/10250<-anywhere',
      'default-deny [Egress,Ingress]',
    ]);
    expect(summary(manifests, 'x509-certificate-exporter')).toEqual([
      'allow-dns [Egress] UDP/53+TCP/53->kube-system/kube-dns',
      'allow-egress-kube-apiserver [Egress] TCP/443->0.0.0.0/0,::/0',
      'allow-ingress-metrics [Ingress] TCP/9793<-cluster',
      'default-deny [Egress,Ingress]',
    ]);
    expect(summary(manifests, 'vault-backup')).toEqual([
      'allow-dns [Egress] UDP/53+TCP/53->kube-system/kube-dns',
      'allow-egress-aws-https [Egress] TCP/443->0.0.0.0/0,::/0',
      'allow-egress-vault [Egress] TCP/8200->10.0.0.0/16',
      'default-deny [Egress,Ingress]',
    ]);
    for (const policy of manifests.filter((m) => m.kind === 'NetworkPolicy')) expect(registry.validate(policy), policy.metadata.name).toEqual([]);
  });

  test('Vault\'s port follows vault.address, anywhere without a vaultCluster; HTTP-01 and Pod Identity add their egress', () => {
    const config = example();
    const changed: PlatformConfig = {
      ...config,
      vault: { ...config.vault, address: 'https://vault.priv.example.com' },
      vaultCluster: undefined,
      backup: { ...config.backup!, images: { ...config.backup!.images, vault: 'hashicorp/vault:1.21.1' } },
      acme: { ...config.acme, http01: true },
      clusters: [{ ...config.clusters[0]!, workloadIdentity: { type: 'pod-identity' } }],
    };
    const rules = summary(synth(changed), 'cert-manager');
    expect(rules).toContain('allow-egress-vault [Egress] TCP/443->0.0.0.0/0,::/0');
    expect(rules).toContain('allow-egress-http01-self-check [Egress] TCP/80->0.0.0.0/0,::/0');
    expect(rules).toContain('allow-egress-eks-pod-identity-agent [Egress] TCP/80->169.254.170.23/32,fd00:ec2::23/128');
    expect(summary(synth(changed), 'vault-backup')).toContain('allow-egress-eks-pod-identity-agent [Egress] TCP/80->169.254.170.23/32,fd00:ec2::23/128');
    // External Secrets' controller has no AWS credentials of its own (each SecretStore brings its role): no agent.
    expect(summary(synth(changed), 'external-secrets')).toContain('allow-egress-https [Egress] TCP/443->0.0.0.0/0,::/0');
    expect(summary(synth(changed), 'external-secrets')).not.toContain('eks-pod-identity-agent');
  });
});
