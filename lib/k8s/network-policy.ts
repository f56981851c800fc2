import { Construct } from 'constructs';
import type { INetworkPolicyEgressRule, INetworkPolicyIngressRule } from 'kubernetes-models/networking.k8s.io/v1';
import { MANAGED_BY_LABEL, NAMESPACE_NAME_LABEL } from '../util/names.js';
import { KubeNetworkPolicy } from './core.js';

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
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies
 */
export class NamespaceIsolation extends Construct {
  public readonly policies: readonly KubeNetworkPolicy[];

  constructor(scope: Construct, id: string, props: NamespaceIsolationProps) {
    super(scope, id);
    const { namespace } = props;
    const labels = { ...MANAGED_BY_LABEL };
    const policies: KubeNetworkPolicy[] = [];
    const policy = (name: string, spec: { podSelector?: Record<string, string>; egress?: INetworkPolicyEgressRule[]; ingress?: INetworkPolicyIngressRule[] }) => {
      const types: Array<'Ingress' | 'Egress'> = [];
      if (spec.ingress) types.push('Ingress');
      if (spec.egress) types.push('Egress');
      policies.push(new KubeNetworkPolicy(this, name, {
        metadata: { name, namespace, labels },
        spec: {
          podSelector: spec.podSelector ? { matchLabels: { ...spec.podSelector } } : {},
          policyTypes: types.length > 0 ? types : ['Ingress', 'Egress'],
          egress: spec.egress && spec.egress.length > 0 ? spec.egress : undefined,
          ingress: spec.ingress && spec.ingress.length > 0 ? spec.ingress : undefined,
        },
      }));
    };

    policy('default-deny', {});
    policy('allow-dns', {
      egress: [{
        to: [{
          namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      }],
    });
    for (const allowance of props.egress ?? []) {
      policy(`allow-egress-${allowance.name}`, {
        egress: [{
          to: [...(allowance.cidrs ?? ANYWHERE)].map((cidr) => ({ ipBlock: { cidr } })),
          ports: allowance.ports.flatMap((port) => [
            { protocol: 'TCP' as const, port },
            ...(allowance.udp ? [{ protocol: 'UDP' as const, port }] : []),
          ]),
        }],
      });
    }
    for (const allowance of props.ingress ?? []) {
      policy(`allow-ingress-${allowance.name}`, {
        podSelector: allowance.podLabels,
        ingress: [{
          // No `from`: any source. `cluster`: pods of every namespace.
          from: allowance.from === 'cluster' ? [{ namespaceSelector: {} }] : undefined,
          ports: allowance.ports.map((port) => ({ protocol: 'TCP' as const, port })),
        }],
      });
    }
    this.policies = policies;
  }
}
