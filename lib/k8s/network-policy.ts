import { ApiObject, JsonPatch } from 'cdk8s';
import * as plus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MANAGED_BY_LABEL, NAMESPACE_NAME_LABEL } from '../util/names.js';

/** Every address: for peers whose addresses are not known when synthesizing (AWS endpoints, ACME, the EKS API endpoint). */
export const ANYWHERE = ['0.0.0.0/0', '::/0'] as const;

/** One egress allowance: TCP (and UDP) ports to a set of CIDRs. */
export interface EgressAllowance {
  /** Policy name suffix and what the reader sees: `allow-egress-<name>`. */
  readonly name: string;
  readonly ports: readonly number[];
  /** Destination networks. @default ANYWHERE */
  readonly cidrs?: readonly string[];
  /** Also UDP on the same ports (DNS). @default false */
  readonly udp?: boolean;
}

/** One ingress allowance: TCP ports of the pods selected, from anywhere or from the cluster's namespaces. */
export interface IngressAllowance {
  /** Policy name suffix: `allow-ingress-<name>`. */
  readonly name: string;
  readonly ports: readonly number[];
  /** Only these pods. @default - every pod of the namespace */
  readonly podLabels?: Readonly<Record<string, string>>;
  /**
   * Who may connect: `anywhere` (the EKS control plane calling a webhook, whose addresses are not
   * pod or node addresses) or `cluster` (pods of any namespace: Prometheus scraping metrics).
   */
  readonly from: 'anywhere' | 'cluster';
}

export interface NamespaceIsolationProps {
  readonly namespace: string;
  /** What the namespace's pods may open, besides DNS. @default [] */
  readonly egress?: readonly EgressAllowance[];
  /** What may reach the namespace's pods. @default [] */
  readonly ingress?: readonly IngressAllowance[];
}

/**
 * Default-deny NetworkPolicies for one namespace (CIS 5.3.2): a `default-deny` policy selecting every
 * pod for both directions with no rule, `allow-dns` to the cluster's DNS (kube-dns in
 * `kube-system`, UDP and TCP 53), and one policy per allowance, each named after what it opens.
 * Policies add up: a pod may do exactly what one of them allows.
 *
 * Built with cdk8s-plus-28's policy API: `NetworkPolicy` with a default `DENY` per direction,
 * `Pods.select`/`Namespaces.select` peers, `NetworkPolicyIpBlock` for networks (one rule per
 * network: cdk8s-plus gives an IP block a rule of its own, which allows the same as one rule
 * listing them). What it cannot say: ingress from any source on given ports (a rule with ports
 * and no `from`; its rules always name a peer, and an IP block of every address is not the same
 * for pod sources), patched in.
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies
 * @see https://cdk8s.io/docs/latest/plus/cdk8s-plus-28/network-policy/
 */
export class NamespaceIsolation extends Construct {
  public readonly policies: readonly plus.NetworkPolicy[];

  constructor(scope: Construct, id: string, props: NamespaceIsolationProps) {
    super(scope, id);
    const { namespace } = props;
    const metadata = (name: string) => ({ name, namespace, labels: { ...MANAGED_BY_LABEL } });
    if (NAMESPACE_NAME_LABEL !== plus.Namespace.NAME_LABEL) {
      throw new Error(`internal: cdk8s-plus selects namespaces by ${plus.Namespace.NAME_LABEL}, the platform by ${NAMESPACE_NAME_LABEL}`);
    }
    const policies: plus.NetworkPolicy[] = [];

    policies.push(new plus.NetworkPolicy(this, 'default-deny', {
      metadata: metadata('default-deny'),
      selector: plus.Pods.all(this, 'AllPods'),
      egress: { default: plus.NetworkPolicyTrafficDefault.DENY },
      ingress: { default: plus.NetworkPolicyTrafficDefault.DENY },
    }));

    const kubeDns = plus.Pods.select(this, 'KubeDns', {
      labels: { 'k8s-app': 'kube-dns' },
      namespaces: plus.Namespaces.select(this, 'KubeSystem', { names: ['kube-system'] }),
    });
    policies.push(new plus.NetworkPolicy(this, 'allow-dns', {
      metadata: metadata('allow-dns'),
      selector: plus.Pods.all(this, 'DnsClients'),
      egress: { rules: [{ peer: kubeDns, ports: [plus.NetworkPolicyPort.udp(53), plus.NetworkPolicyPort.tcp(53)] }] },
    }));

    for (const allowance of props.egress ?? []) {
      const name = `allow-egress-${allowance.name}`;
      const ports = allowance.ports.flatMap((port) => [
        plus.NetworkPolicyPort.tcp(port),
        ...(allowance.udp ? [plus.NetworkPolicyPort.udp(port)] : []),
      ]);
      const rules = [...(allowance.cidrs ?? ANYWHERE)].map((cidr, i) => ({ peer: ipBlock(this, `${name}-network${i}`, cidr), ports }));
      policies.push(new plus.NetworkPolicy(this, name, {
        metadata: metadata(name),
        selector: plus.Pods.all(this, `${name}-pods`),
        egress: { rules },
      }));
    }

    for (const allowance of props.ingress ?? []) {
      const name = `allow-ingress-${allowance.name}`;
      const selector = allowance.podLabels
        ? plus.Pods.select(this, `${name}-pods`, { labels: { ...allowance.podLabels } })
        : plus.Pods.all(this, `${name}-pods`);
      if (allowance.from === 'cluster') {
        const ports = allowance.ports.map((port) => plus.NetworkPolicyPort.tcp(port));
        // Pods of every namespace.
        policies.push(new plus.NetworkPolicy(this, name, {
          metadata: metadata(name),
          selector,
          ingress: { rules: [{ peer: plus.Namespaces.all(this, `${name}-namespaces`), ports }] },
        }));
        continue;
      }
      // Any source, on these ports only: a rule without `from`, which cdk8s-plus cannot write
      // (see above). The default DENY makes it an Ingress policy; the rule is patched in.
      const policy = new plus.NetworkPolicy(this, name, {
        metadata: metadata(name),
        selector,
        ingress: { default: plus.NetworkPolicyTrafficDefault.DENY },
      });
      // Written in cdk8s-plus's own types: its object converts the patched document once more.
      const ports = allowance.ports.map((port) => ({ port: plus.k8s.IntOrString.fromNumber(port), protocol: plus.NetworkProtocol.TCP }));
      ApiObject.of(policy).addJsonPatch(JsonPatch.add('/spec/ingress', [{ ports }]));
      policies.push(policy);
    }
    this.policies = policies;
  }
}

/** An IP block peer, IPv4 or IPv6 as the CIDR is written; cdk8s-plus checks it. */
function ipBlock(scope: Construct, id: string, cidr: string): plus.NetworkPolicyIpBlock {
  return cidr.includes(':') ? plus.NetworkPolicyIpBlock.ipv6(scope, id, cidr) : plus.NetworkPolicyIpBlock.ipv4(scope, id, cidr);
}
