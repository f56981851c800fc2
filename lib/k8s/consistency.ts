/**
 * Checks across the objects of one cluster, on their rendered JSON: the references a cluster only
 * reports later in a status condition (an issuer that does not exist, a route its Gateway does
 * not admit) are reported at synth, with the objects named.
 *
 * Constructs already make these mistakes hard (they take objects, not names); these checks keep
 * the rendered output honest whatever built it, and are tested on hand-made broken manifests.
 */

/** The shape of a manifest as far as these checks read it. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly annotations?: Record<string, string> };
  readonly spec?: any;
}

const CLUSTER_ISSUER_ANNOTATION = 'cert-manager.io/cluster-issuer';
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const isKind = (m: Manifest, group: string, kind: string) => m.kind === kind && m.apiVersion.startsWith(`${group}/`);
const id = (m: Manifest) => `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`;

/** Every inconsistency among `manifests` (one cluster's), as readable sentences; empty when none. */
export function checkConsistency(manifests: readonly Manifest[]): string[] {
  const issuers = new Set(manifests.filter((m) => isKind(m, 'cert-manager.io', 'ClusterIssuer')).map((m) => m.metadata.name));
  const gateways = manifests.filter((m) => isKind(m, 'gateway.networking.k8s.io', 'Gateway'));
  const certificates = manifests.filter((m) => isKind(m, 'cert-manager.io', 'Certificate'));
  const routes = manifests.filter((m) => isKind(m, 'gateway.networking.k8s.io', 'HTTPRoute'));
  return [
    ...checkIssuerReferences(certificates, gateways, issuers),
    ...checkGatewayShim(gateways),
    ...checkListenerSecrets(gateways, certificates),
    ...checkRouteParents(routes, gateways),
    ...checkHttp01Solvers(manifests.filter((m) => isKind(m, 'cert-manager.io', 'ClusterIssuer')), gateways),
  ];
}

/** Certificates and gateway-shim annotations name ClusterIssuers that are emitted. */
function checkIssuerReferences(certificates: readonly Manifest[], gateways: readonly Manifest[], issuers: ReadonlySet<string>): string[] {
  const errors: string[] = [];
  for (const cert of certificates) {
    const ref = cert.spec?.issuerRef ?? {};
    if (ref.kind === 'ClusterIssuer' && !issuers.has(ref.name)) {
      errors.push(`${id(cert)}: issuerRef names ClusterIssuer "${ref.name}", which is not emitted (emitted: ${[...issuers].sort().join(', ') || 'none'})`);
    }
  }
  for (const gw of gateways) {
    const name = gw.metadata.annotations?.[CLUSTER_ISSUER_ANNOTATION];
    if (name !== undefined && !issuers.has(name)) {
      errors.push(`${id(gw)}: annotation ${CLUSTER_ISSUER_ANNOTATION} names "${name}", which is not emitted (emitted: ${[...issuers].sort().join(', ') || 'none'})`);
    }
  }
  return errors;
}

/**
 * A Gateway annotated for the gateway-shim gets a certificate only for listeners with a hostname,
 * TLS mode Terminate and Secret references in its own namespace; anything else is silently skipped.
 */
function checkGatewayShim(gateways: readonly Manifest[]): string[] {
  const errors: string[] = [];
  for (const gw of gateways.filter((g) => g.metadata.annotations?.[CLUSTER_ISSUER_ANNOTATION] !== undefined)) {
    for (const listener of (gw.spec?.listeners ?? []).filter((l: any) => l.tls)) {
      const where = `${id(gw)}: listener "${listener.name}"`;
      if (!listener.hostname) errors.push(`${where} has no hostname: the gateway-shim cannot know which name to certify`);
      if ((listener.tls.mode ?? 'Terminate') !== 'Terminate') errors.push(`${where} has TLS mode ${listener.tls.mode}: the gateway-shim only serves Terminate`);
      for (const ref of listener.tls.certificateRefs ?? []) {
        if (ref.namespace !== undefined && ref.namespace !== gw.metadata.namespace) {
          errors.push(`${where} references Secret ${ref.namespace}/${ref.name}: the gateway-shim ignores Secrets outside the Gateway's namespace`);
        }
      }
    }
  }
  return errors;
}

/** A TLS listener's Secret is written by an emitted Certificate, or by the gateway-shim. */
function checkListenerSecrets(gateways: readonly Manifest[], certificates: readonly Manifest[]): string[] {
  const errors: string[] = [];
  const produced = new Set(certificates.map((c) => `${c.metadata.namespace}/${c.spec?.secretName}`));
  for (const gw of gateways) {
    if (gw.metadata.annotations?.[CLUSTER_ISSUER_ANNOTATION] !== undefined) continue; // the shim writes them
    for (const listener of (gw.spec?.listeners ?? []).filter((l: any) => l.tls)) {
      for (const ref of listener.tls.certificateRefs ?? []) {
        const key = `${ref.namespace ?? gw.metadata.namespace}/${ref.name}`;
        if (!produced.has(key)) {
          errors.push(`${id(gw)}: listener "${listener.name}" serves Secret ${key}, which no emitted Certificate writes and no gateway-shim annotation requests`);
        }
      }
    }
  }
  return errors;
}

/** Every parentRef of an HTTPRoute names an emitted Gateway listener that admits the route's namespace. */
function checkRouteParents(routes: readonly Manifest[], gateways: readonly Manifest[]): string[] {
  const errors: string[] = [];
  for (const route of routes) {
    const routeNs = route.metadata.namespace!;
    for (const ref of route.spec?.parentRefs ?? []) {
      if ((ref.kind ?? 'Gateway') !== 'Gateway') continue;
      const gwNs = ref.namespace ?? routeNs;
      const gw = gateways.find((g) => g.metadata.name === ref.name && g.metadata.namespace === gwNs);
      if (!gw) {
        errors.push(`${id(route)}: parentRef names Gateway ${gwNs}/${ref.name}, which is not emitted`);
        continue;
      }
      const listeners: any[] = (gw.spec?.listeners ?? []).filter((l: any) => ref.sectionName === undefined || l.name === ref.sectionName);
      if (listeners.length === 0) {
        errors.push(`${id(route)}: Gateway ${gwNs}/${ref.name} has no listener "${ref.sectionName}"`);
        continue;
      }
      if (!listeners.some((l) => admits(l, gwNs, routeNs))) {
        errors.push(`${id(route)}: listener "${ref.sectionName ?? '*'}" of Gateway ${gwNs}/${ref.name} does not admit HTTPRoutes from namespace "${routeNs}"`);
      }
    }
  }
  return errors;
}

/** ACME HTTP-01 solvers attach to an emitted Gateway listener. */
function checkHttp01Solvers(issuers: readonly Manifest[], gateways: readonly Manifest[]): string[] {
  const errors: string[] = [];
  for (const issuer of issuers) {
    for (const solver of issuer.spec?.acme?.solvers ?? []) {
      for (const ref of solver.http01?.gatewayHTTPRoute?.parentRefs ?? []) {
        const gw = gateways.find((g) => g.metadata.name === ref.name && g.metadata.namespace === ref.namespace);
        if (!gw || (ref.sectionName && !(gw.spec?.listeners ?? []).some((l: any) => l.name === ref.sectionName))) {
          errors.push(`${id(issuer)}: HTTP-01 solver attaches to Gateway ${ref.namespace}/${ref.name} listener "${ref.sectionName}", which is not emitted`);
        }
      }
    }
  }
  return errors;
}

/** Whether `listener` (of a Gateway in `gatewayNs`) accepts an HTTPRoute from `routeNs`. */
function admits(listener: any, gatewayNs: string, routeNs: string): boolean {
  const kinds: any[] | undefined = listener.allowedRoutes?.kinds;
  if (kinds && !kinds.some((k) => k.kind === 'HTTPRoute')) return false;
  const from = listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNs === gatewayNs;
  // Selector: the only label known at synth is the one Kubernetes sets on every namespace.
  const selector = listener.allowedRoutes?.namespaces?.selector ?? {};
  const labels: Record<string, string> = { [NAMESPACE_NAME_LABEL]: routeNs };
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e: any) => {
    const value = labels[e.key];
    switch (e.operator) {
      case 'In': return value !== undefined && e.values.includes(value);
      case 'NotIn': return value === undefined || !e.values.includes(value);
      case 'Exists': return value !== undefined;
      case 'DoesNotExist': return value === undefined;
      default: return false;
    }
  });
  return byLabels && byExpressions;
}
