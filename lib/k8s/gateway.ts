import { Construct } from 'constructs';
import {
  Gateway,
  GatewaySpecListenersAllowedRoutesNamespacesFrom,
  GatewaySpecListenersTlsMode,
} from '../../imports/gw-gateways-gateway.networking.k8s.io.js';
import {
  HttpRoute,
  HttpRouteSpecRulesFiltersRequestRedirectScheme,
  HttpRouteSpecRulesFiltersRequestRedirectStatusCode,
  HttpRouteSpecRulesFiltersType,
} from '../../imports/gw-httproutes-gateway.networking.k8s.io.js';
import { MANAGED_BY_LABEL, NAMESPACE_NAME_LABEL } from '../util/names.js';
import { isDnsLabel, isInDnsZone } from '../util/validators.js';
import type { PrivateCertificate } from './certificate.js';
import { resolveKey, type CertificateKey } from './certificate.js';
import { CLUSTER_ISSUER_ANNOTATION, type IClusterIssuer } from './cluster-issuer.js';
import type { FluxHealthCheckExpr } from './flux-layer.js';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** Listener names, which HTTPRoutes name in `parentRefs[].sectionName`. */
export const HTTPS_LISTENER = 'https';
export const HTTP_LISTENER = 'http';

/**
 * When Flux counts a Gateway or an HTTPRoute healthy. Neither has a `Ready` condition, so without
 * these a layer of Gateways is Ready the moment they exist, even when no controller ever looks at
 * them (Cilium started before the Gateway API CRDs existed: "Waiting for controller").
 *
 * - Gateway: `Programmed` True (the implementation configured its data plane and, with a
 *   load balancer, got an address); failed when `Accepted` is False for a reason other than
 *   `Pending` (the initial, controller-less state), e.g. an unsupported address or parameters.
 * - HTTPRoute: every parent in `status.parents` (one per Gateway and controller) has `Accepted`
 *   True, and there is at least one; failed when a parent refuses it (`Accepted` False: no matching
 *   listener, a namespace the listener does not admit, a hostname outside it).
 *
 * Conditions are read by type with `exists`: `all` over an empty list is true.
 */
export const GATEWAY_HEALTH_CHECK_EXPRS: readonly FluxHealthCheckExpr[] = [
  {
    apiVersion: `${GATEWAY_API_GROUP}/v1`,
    kind: 'Gateway',
    current: "has(status.conditions) && status.conditions.exists(c, c.type == 'Programmed' && c.status == 'True')",
    failed: "has(status.conditions) && status.conditions.exists(c, c.type == 'Accepted' && c.status == 'False' && c.reason != 'Pending')",
  },
  {
    apiVersion: `${GATEWAY_API_GROUP}/v1`,
    kind: 'HTTPRoute',
    current: "has(status.parents) && size(status.parents) > 0 && status.parents.all(p, has(p.conditions) && p.conditions.exists(c, c.type == 'Accepted' && c.status == 'True'))",
    failed: "has(status.parents) && status.parents.exists(p, has(p.conditions) && p.conditions.exists(c, c.type == 'Accepted' && c.status == 'False'))",
  },
];

/** The label Kubernetes puts on every namespace with its own name; lets a selector list namespaces by name. */

/** What the load balancer in front of a Gateway faces. */
export type LoadBalancerScheme = 'internet-facing' | 'internal';

/**
 * What the AWS Load Balancer Controller registers as the NLB's targets: `ip`, the pods behind the
 * Gateway's Service; `instance`, the nodes, on the Service's node port.
 */
export type LoadBalancerTargetType = 'instance' | 'ip';

/**
 * The target type each known Gateway API implementation needs, by GatewayClass name. Cilium's
 * Gateway Service is served by the eBPF datapath of every node: its Endpoints hold a placeholder,
 * not proxy pods, so with `ip` targets the NLB registers nothing (aws-load-balancer-controller
 * issue 3754). Implementations whose proxies are pods behind the Service (Envoy Gateway, Istio,
 * NGINX Gateway Fabric) work with `ip`, which skips a node hop.
 */
export const GATEWAY_CLASS_TARGET_TYPES: Readonly<Record<string, LoadBalancerTargetType>> = {
  cilium: 'instance',
};

/** The target type of an implementation not in {@link GATEWAY_CLASS_TARGET_TYPES}: pod-backed proxies. */
export const DEFAULT_TARGET_TYPE: LoadBalancerTargetType = 'ip';

/** The load-balancer target type the GatewayClass `gatewayClassName` needs. */
export function targetTypeFor(gatewayClassName: string): LoadBalancerTargetType {
  return Object.hasOwn(GATEWAY_CLASS_TARGET_TYPES, gatewayClassName) ? GATEWAY_CLASS_TARGET_TYPES[gatewayClassName]! : DEFAULT_TARGET_TYPE;
}

/** Props shared by the public and the private Gateway. */
export interface PlatformGatewayProps {
  /** @default - 'public' or 'private' */
  readonly name?: string;
  /** Namespace of the Gateway, and of the Secret its HTTPS listener serves. */
  readonly namespace: string;
  /** The GatewayClass of the cluster's Gateway API implementation. */
  readonly gatewayClassName: string;
  /**
   * NLB target type (`aws-load-balancer-nlb-target-type`).
   * @default - what the implementation needs, `targetTypeFor(gatewayClassName)`: `instance` for cilium, otherwise `ip`
   */
  readonly loadBalancerTargetType?: LoadBalancerTargetType;
  /** DNS zone served: the HTTPS listener's hostname is its wildcard, `*.<zone>`. */
  readonly zone: string;
  /**
   * Namespaces whose HTTPRoutes may attach to the HTTPS listener: those of the declared
   * applications, selected by name, so no other namespace can publish on this Gateway.
   */
  readonly routeNamespaces: readonly string[];
  /** Host names that external-dns publishes for the load balancer (the applications' names). */
  readonly hostnames: readonly string[];
}

interface GatewayInternals extends PlatformGatewayProps {
  readonly name: string;
  readonly tlsSecretName: string;
  readonly scheme: LoadBalancerScheme;
  readonly annotations: Record<string, string>;
}

/**
 * A Gateway of the platform: an HTTPS listener (443, TLS terminated with the certificate of its
 * own namespace) for the zone's wildcard, open to the applications' namespaces only, and an HTTP
 * listener (80) whose only route redirects to HTTPS.
 *
 * The load balancer is configured through `spec.infrastructure.annotations`, which Gateway API
 * implementations copy onto the Service they create: the AWS scheme (internet-facing or internal),
 * the target type the implementation needs ({@link targetTypeFor}) and the external-dns host names.
 *
 * @see https://gateway-api.sigs.k8s.io/reference/spec/#gateway
 */
export abstract class PlatformGateway extends Construct {
  public readonly gatewayName: string;
  public readonly namespace: string;
  /** The HTTPS listener's hostname, `*.<zone>`. */
  public readonly listenerHostname: string;
  public readonly gateway: Gateway;
  protected readonly zone: string;
  private readonly routeNamespaces: ReadonlySet<string>;

  protected constructor(scope: Construct, id: string, props: GatewayInternals) {
    super(scope, id);
    const routeNamespaces = [...new Set(props.routeNamespaces)].sort();
    if (routeNamespaces.length === 0) {
      throw new Error(`gateway "${props.name}" admits no namespace: give it at least one application`);
    }
    for (const ns of routeNamespaces) {
      if (!isDnsLabel(ns)) throw new Error(`gateway "${props.name}": route namespace "${ns}" is not a DNS-1123 label`);
    }
    this.gatewayName = props.name;
    this.namespace = props.namespace;
    this.zone = props.zone;
    this.listenerHostname = `*.${props.zone}`;
    this.routeNamespaces = new Set(routeNamespaces);
    const labels = { ...MANAGED_BY_LABEL };

    const infrastructureAnnotations: Record<string, string> = {
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      'service.beta.kubernetes.io/aws-load-balancer-scheme': props.scheme,
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': props.loadBalancerTargetType ?? targetTypeFor(props.gatewayClassName),
    };
    const hostnames = [...new Set(props.hostnames)].sort();
    if (hostnames.length > 0) infrastructureAnnotations['external-dns.alpha.kubernetes.io/hostname'] = hostnames.join(',');

    this.gateway = new Gateway(this, 'Resource', {
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels,
        annotations: Object.keys(props.annotations).length > 0 ? props.annotations : undefined,
      },
      spec: {
        gatewayClassName: props.gatewayClassName,
        infrastructure: { annotations: infrastructureAnnotations },
        listeners: [
          {
            name: HTTPS_LISTENER,
            protocol: 'HTTPS',
            port: 443,
            hostname: this.listenerHostname,
            tls: {
              mode: GatewaySpecListenersTlsMode.TERMINATE,
              // No namespace: a Gateway reads Secrets of its own namespace, and the gateway-shim
              // ignores references to any other.
              certificateRefs: [{ group: '', kind: 'Secret', name: props.tlsSecretName }],
            },
            allowedRoutes: {
              kinds: [{ group: GATEWAY_API_GROUP, kind: 'HTTPRoute' }],
              namespaces: {
                from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SELECTOR,
                selector: {
                  matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'In', values: routeNamespaces }],
                },
              },
            },
          },
          {
            name: HTTP_LISTENER,
            protocol: 'HTTP',
            port: 80,
            // Only the redirect below (and cert-manager's HTTP-01 solver routes) live here.
            allowedRoutes: {
              kinds: [{ group: GATEWAY_API_GROUP, kind: 'HTTPRoute' }],
              namespaces: { from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME },
            },
          },
        ],
      },
    });

    new HttpRoute(this, 'HttpsRedirect', {
      metadata: { name: `${props.name}-https-redirect`, namespace: props.namespace, labels },
      spec: {
        parentRefs: [{
          group: GATEWAY_API_GROUP, kind: 'Gateway', name: props.name, namespace: props.namespace, sectionName: HTTP_LISTENER,
        }],
        rules: [{
          filters: [{
            type: HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
            requestRedirect: {
              scheme: HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS,
              statusCode: HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_301,
            },
          }],
        }],
      },
    });
  }

  /** Whether an HTTPRoute in `namespace` may attach to the HTTPS listener. */
  public admits(namespace: string): boolean {
    return this.routeNamespaces.has(namespace);
  }

  /**
   * Whether the HTTPS listener serves `hostname` with a valid certificate. The listener's
   * `*.<zone>` matches every name below the zone (Gateway API wildcards are suffix matches); each
   * kind of Gateway adds what its certificate covers.
   */
  public serves(hostname: string): boolean {
    return isInDnsZone(hostname, this.zone) && hostname !== this.zone;
  }
}

export interface PublicGatewayProps extends PlatformGatewayProps {
  /** The Let's Encrypt issuer named in the gateway-shim annotation. */
  readonly issuer: IClusterIssuer;
  /** Secret the gateway-shim's Certificate writes, in the Gateway's namespace. @default - `<name>-tls` */
  readonly tlsSecretName?: string;
  /** Renew this long before expiry (`cert-manager.io/renew-before`). @default - cert-manager's default */
  readonly renewBefore?: string;
  /** @default - ECDSA P-256 */
  readonly privateKey?: CertificateKey;
}

/**
 * The internet-facing Gateway. cert-manager's gateway-shim reads its annotations and obtains the
 * zone's wildcard certificate from Let's Encrypt by itself: no Certificate object is written.
 *
 * @see https://cert-manager.io/docs/usage/gateway/
 */
export class PublicGateway extends PlatformGateway {
  constructor(scope: Construct, id: string, props: PublicGatewayProps) {
    const name = props.name ?? 'public';
    const key = resolveKey(props.privateKey);
    const annotations: Record<string, string> = {
      [CLUSTER_ISSUER_ANNOTATION]: props.issuer.issuerName,
      'cert-manager.io/private-key-algorithm': key.algorithm,
      'cert-manager.io/private-key-size': String(key.size),
      'cert-manager.io/private-key-rotation-policy': 'Always',
    };
    if (props.renewBefore !== undefined) annotations['cert-manager.io/renew-before'] = props.renewBefore;
    super(scope, id, {
      ...props,
      name,
      tlsSecretName: props.tlsSecretName ?? `${name}-tls`,
      scheme: 'internet-facing',
      annotations,
    });
  }

  /** The zone's wildcard certificate covers exactly one label below the zone. */
  public override serves(hostname: string): boolean {
    return super.serves(hostname) && hostname.split('.').length === this.zone.split('.').length + 1;
  }
}

export interface PrivateGatewayProps extends PlatformGatewayProps {
  /** The Vault-issued certificate the HTTPS listener serves; it must live in the Gateway's namespace. */
  readonly certificate: PrivateCertificate;
}

/**
 * The internal Gateway, reachable from the VPC and the VPN only, serving the explicit
 * {@link PrivateCertificate} signed by Vault.
 */
export class PrivateGateway extends PlatformGateway {
  private readonly certificate: PrivateCertificate;

  constructor(scope: Construct, id: string, props: PrivateGatewayProps) {
    const name = props.name ?? 'private';
    if (props.certificate.namespace !== props.namespace) {
      throw new Error(`gateway "${name}" in namespace "${props.namespace}" cannot serve the certificate of namespace "${props.certificate.namespace}": a Gateway reads Secrets of its own namespace only`);
    }
    super(scope, id, {
      ...props,
      name,
      tlsSecretName: props.certificate.secretName,
      scheme: 'internal',
      annotations: {},
    });
    this.certificate = props.certificate;
  }

  /** The private certificate lists every name it covers. */
  public override serves(hostname: string): boolean {
    return super.serves(hostname) && this.certificate.dnsNames.includes(hostname);
  }
}
