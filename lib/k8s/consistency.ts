/**
 * Checks across the objects of one cluster, on their rendered JSON: the references a cluster only
 * reports later in a status condition (an issuer that does not exist, a route its Gateway does
 * not admit) are reported at synth, with the objects named.
 *
 * Constructs already make these mistakes hard (they take objects, not names); these checks keep
 * the rendered output honest whatever built it, and are tested on hand-made broken manifests.
 * `npm run validate` runs the same checks on the files of `dist/` (lib/validate/references.ts),
 * so they read the objects defensively: a malformed object is the schema check's to report.
 */

import { NAMESPACE_NAME_LABEL } from '../util/names.js';

/** The shape of a manifest as far as these checks read it. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly annotations?: Record<string, string> };
  readonly spec?: any;
}

/** One inconsistency, on the object that holds the broken reference. */
export interface Inconsistency {
  /**
   * What kind of reference is broken: `ref/issuer` (an issuer that is not emitted),
   * `ref/certificate` (a listener Secret nothing writes), `ref/route-parent` (a Gateway listener
   * that does not exist or does not admit the route).
   */
  readonly rule: 'ref/issuer' | 'ref/certificate' | 'ref/route-parent';
  readonly object: Manifest;
  /** Field path of the reference in `object`, e.g. `spec.parentRefs[0]`. */
  readonly path: string;
  /** The problem, without the object's name. */
  readonly message: string;
}

const CLUSTER_ISSUER_ANNOTATION = 'cert-manager.io/cluster-issuer';
const ISSUER_ANNOTATION = 'cert-manager.io/issuer';
const ISSUER_KIND_ANNOTATION = 'cert-manager.io/issuer-kind';
const ISSUER_GROUP_ANNOTATION = 'cert-manager.io/issuer-group';

const isKind = (m: Manifest, group: string, kind: string) => m.kind === kind && m.apiVersion.startsWith(`${group}/`);
const id = (m: Manifest) => `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`;
/** `value` when it is an array, else none: these checks read output that may not fit its schema. */
const list = (value: unknown): any[] => (Array.isArray(value) ? value : []);
const isObject = (value: unknown): value is Record<string, any> => typeof value === 'object' && value !== null && !Array.isArray(value);
const annotationPath = (key: string) => `metadata.annotations[${JSON.stringify(key)}]`;
const emitted = (names: Iterable<string>) => [...names].sort().join(', ') || 'none';

/** Every inconsistency among `manifests` (one cluster's), as readable sentences; empty when none. */
export function checkConsistency(manifests: readonly Manifest[]): string[] {
  return findInconsistencies(manifests).map((p) => `${id(p.object)}: ${p.message}`);
}

/** Every inconsistency among `manifests` (one cluster's), with the object and field concerned. */
export function findInconsistencies(manifests: readonly Manifest[]): Inconsistency[] {
  const clusterIssuers = manifests.filter((m) => isKind(m, 'cert-manager.io', 'ClusterIssuer'));
  const issuers = manifests.filter((m) => isKind(m, 'cert-manager.io', 'Issuer'));
  const gateways = manifests.filter((m) => isKind(m, 'gateway.networking.k8s.io', 'Gateway'));
  const certificates = manifests.filter((m) => isKind(m, 'cert-manager.io', 'Certificate'));
  const routes = manifests.filter((m) => isKind(m, 'gateway.networking.k8s.io', 'HTTPRoute'));
  return [
    ...checkIssuerReferences(manifests, certificates, clusterIssuers, issuers),
    ...checkGatewayShim(gateways),
    ...checkListenerSecrets(gateways, certificates),
    ...checkRouteParents(routes, gateways),
    ...checkHttp01Solvers(clusterIssuers, gateways),
  ];
}

/**
 * Certificates and gateway-shim annotations (on Gateways, or any object the shim reads) name
 * issuers that are emitted: ClusterIssuers, or Issuers of the object's namespace. An issuerRef of
 * another group is an external issuer, which this cannot know.
 */
function checkIssuerReferences(
  manifests: readonly Manifest[],
  certificates: readonly Manifest[],
  clusterIssuers: readonly Manifest[],
  issuers: readonly Manifest[],
): Inconsistency[] {
  const errors: Inconsistency[] = [];
  const clusterNames = new Set(clusterIssuers.map((m) => m.metadata.name));
  const issuerNames = (ns: string | undefined) => issuers.filter((i) => i.metadata.namespace === ns).map((i) => i.metadata.name);
  for (const cert of certificates) {
    const ref = cert.spec?.issuerRef ?? {};
    if (ref.group !== undefined && ref.group !== 'cert-manager.io') continue;
    if (ref.kind === 'ClusterIssuer' && !clusterNames.has(ref.name)) {
      errors.push({ rule: 'ref/issuer', object: cert, path: 'spec.issuerRef.name', message: `issuerRef names ClusterIssuer "${ref.name}", which is not emitted (emitted: ${emitted(clusterNames)})` });
    } else if ((ref.kind ?? 'Issuer') === 'Issuer' && !issuerNames(cert.metadata.namespace).includes(ref.name)) {
      errors.push({
        rule: 'ref/issuer', object: cert, path: 'spec.issuerRef.name',
        message: `issuerRef names Issuer "${ref.name}" of namespace ${cert.metadata.namespace}, which is not emitted (emitted there: ${emitted(issuerNames(cert.metadata.namespace))}; a ClusterIssuer needs kind: ClusterIssuer)`,
      });
    }
  }
  for (const m of manifests) {
    const clusterIssuer = m.metadata.annotations?.[CLUSTER_ISSUER_ANNOTATION];
    if (clusterIssuer !== undefined && !clusterNames.has(clusterIssuer)) {
      errors.push({
        rule: 'ref/issuer', object: m, path: annotationPath(CLUSTER_ISSUER_ANNOTATION),
        message: `annotation ${CLUSTER_ISSUER_ANNOTATION} names "${clusterIssuer}", which is not emitted (emitted: ${emitted(clusterNames)})`,
      });
    }
    const issuer = m.metadata.annotations?.[ISSUER_ANNOTATION];
    // issuer-kind and issuer-group select a ClusterIssuer or an external issuer under the same annotation.
    const issuerKind = m.metadata.annotations?.[ISSUER_KIND_ANNOTATION] ?? 'Issuer';
    const issuerGroup = m.metadata.annotations?.[ISSUER_GROUP_ANNOTATION] ?? 'cert-manager.io';
    if (issuer === undefined || issuerGroup !== 'cert-manager.io') continue;
    if (issuerKind === 'ClusterIssuer' && !clusterNames.has(issuer)) {
      errors.push({
        rule: 'ref/issuer', object: m, path: annotationPath(ISSUER_ANNOTATION),
        message: `annotation ${ISSUER_ANNOTATION} names ClusterIssuer "${issuer}", which is not emitted (emitted: ${emitted(clusterNames)})`,
      });
    } else if (issuerKind === 'Issuer' && !issuerNames(m.metadata.namespace).includes(issuer)) {
      errors.push({
        rule: 'ref/issuer', object: m, path: annotationPath(ISSUER_ANNOTATION),
        message: `annotation ${ISSUER_ANNOTATION} names Issuer "${issuer}" of namespace ${m.metadata.namespace}, which is not emitted (emitted there: ${emitted(issuerNames(m.metadata.namespace))})`,
      });
    }
  }
  return errors;
}

const requestsShim = (gw: Manifest) =>
  gw.metadata.annotations?.[CLUSTER_ISSUER_ANNOTATION] !== undefined || gw.metadata.annotations?.[ISSUER_ANNOTATION] !== undefined;

/** A listener's certificateRef that names a Secret (the default kind), with its index. */
function secretRefs(listener: any): Array<{ ref: any; index: number }> {
  return list(listener?.tls?.certificateRefs)
    .map((ref, index) => ({ ref, index }))
    .filter(({ ref }) => isObject(ref) && (ref.kind ?? 'Secret') === 'Secret' && (ref.group ?? '') === '');
}

/** The TLS listeners of a Gateway, with their index. */
function tlsListeners(gw: Manifest): Array<{ listener: any; index: number }> {
  return list(gw.spec?.listeners)
    .map((listener, index) => ({ listener, index }))
    .filter(({ listener }) => listener?.tls);
}

/**
 * A Gateway annotated for the gateway-shim gets a certificate only for listeners with a hostname,
 * TLS mode Terminate and Secret references in its own namespace; anything else is silently skipped.
 */
function checkGatewayShim(gateways: readonly Manifest[]): Inconsistency[] {
  const errors: Inconsistency[] = [];
  for (const gw of gateways.filter(requestsShim)) {
    for (const { listener, index } of tlsListeners(gw)) {
      const where = `listener "${listener.name}"`;
      const path = `spec.listeners[${index}]`;
      if (!listener.hostname) {
        errors.push({ rule: 'ref/certificate', object: gw, path: `${path}.hostname`, message: `${where} has no hostname: the gateway-shim cannot know which name to certify` });
      }
      if ((listener.tls.mode ?? 'Terminate') !== 'Terminate') {
        errors.push({ rule: 'ref/certificate', object: gw, path: `${path}.tls.mode`, message: `${where} has TLS mode ${listener.tls.mode}: the gateway-shim only serves Terminate` });
      }
      for (const { ref, index: i } of secretRefs(listener)) {
        if (ref.namespace !== undefined && ref.namespace !== gw.metadata.namespace) {
          errors.push({
            rule: 'ref/certificate', object: gw, path: `${path}.tls.certificateRefs[${i}]`,
            message: `${where} references Secret ${ref.namespace}/${ref.name}: the gateway-shim ignores Secrets outside the Gateway's namespace`,
          });
        }
      }
    }
  }
  return errors;
}

/** A TLS listener's Secret is written by an emitted Certificate, or by the gateway-shim. */
function checkListenerSecrets(gateways: readonly Manifest[], certificates: readonly Manifest[]): Inconsistency[] {
  const errors: Inconsistency[] = [];
  const produced = new Set(certificates.map((c) => `${c.metadata.namespace}/${c.spec?.secretName}`));
  for (const gw of gateways) {
    if (requestsShim(gw)) continue; // the shim writes them
    for (const { listener, index } of tlsListeners(gw)) {
      for (const { ref, index: i } of secretRefs(listener)) {
        const key = `${ref.namespace ?? gw.metadata.namespace}/${ref.name}`;
        if (!produced.has(key)) {
          errors.push({
            rule: 'ref/certificate', object: gw, path: `spec.listeners[${index}].tls.certificateRefs[${i}]`,
            message: `listener "${listener.name}" serves Secret ${key}, which no emitted Certificate writes and no gateway-shim annotation requests`,
          });
        }
      }
    }
  }
  return errors;
}

/** Every parentRef of an HTTPRoute names an emitted Gateway listener that admits the route's namespace. */
function checkRouteParents(routes: readonly Manifest[], gateways: readonly Manifest[]): Inconsistency[] {
  const errors: Inconsistency[] = [];
  for (const route of routes) {
    const routeNs = route.metadata.namespace!;
    list(route.spec?.parentRefs).forEach((ref, index) => {
      if (!isObject(ref) || (ref.kind ?? 'Gateway') !== 'Gateway' || (ref.group ?? 'gateway.networking.k8s.io') !== 'gateway.networking.k8s.io') return;
      const path = `spec.parentRefs[${index}]`;
      const gwNs = ref.namespace ?? routeNs;
      const gw = gateways.find((g) => g.metadata.name === ref.name && g.metadata.namespace === gwNs);
      if (!gw) {
        errors.push({ rule: 'ref/route-parent', object: route, path, message: `parentRef names Gateway ${gwNs}/${ref.name}, which is not emitted` });
        return;
      }
      const listeners = list(gw.spec?.listeners).filter((l: any) => ref.sectionName === undefined || l?.name === ref.sectionName);
      if (listeners.length === 0) {
        errors.push({ rule: 'ref/route-parent', object: route, path: `${path}.sectionName`, message: `Gateway ${gwNs}/${ref.name} has no listener "${ref.sectionName}"` });
        return;
      }
      if (!listeners.some((l) => admits(l, gwNs, routeNs))) {
        errors.push({
          rule: 'ref/route-parent', object: route, path,
          message: `listener "${ref.sectionName ?? '*'}" of Gateway ${gwNs}/${ref.name} does not admit HTTPRoutes from namespace "${routeNs}"`,
        });
      }
    });
  }
  return errors;
}

/** ACME HTTP-01 solvers attach to an emitted Gateway listener. */
function checkHttp01Solvers(issuers: readonly Manifest[], gateways: readonly Manifest[]): Inconsistency[] {
  const errors: Inconsistency[] = [];
  for (const issuer of issuers) {
    list(issuer.spec?.acme?.solvers).forEach((solver, s) => {
      list(solver?.http01?.gatewayHTTPRoute?.parentRefs).forEach((ref, r) => {
        const gw = gateways.find((g) => g.metadata.name === ref?.name && g.metadata.namespace === ref?.namespace);
        if (!gw || (ref.sectionName && !list(gw.spec?.listeners).some((l: any) => l?.name === ref.sectionName))) {
          errors.push({
            rule: 'ref/route-parent', object: issuer, path: `spec.acme.solvers[${s}].http01.gatewayHTTPRoute.parentRefs[${r}]`,
            message: `HTTP-01 solver attaches to Gateway ${ref?.namespace}/${ref?.name} listener "${ref?.sectionName}", which is not emitted`,
          });
        }
      });
    });
  }
  return errors;
}

/** Whether `listener` (of a Gateway in `gatewayNs`) accepts an HTTPRoute from `routeNs`. */
function admits(listener: any, gatewayNs: string, routeNs: string): boolean {
  const kinds: any[] | undefined = listener?.allowedRoutes?.kinds;
  if (Array.isArray(kinds) && !kinds.some((k) => k?.kind === 'HTTPRoute')) return false;
  const from = listener?.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNs === gatewayNs;
  // Selector: the only label known at synth is the one Kubernetes sets on every namespace.
  const selector = listener.allowedRoutes?.namespaces?.selector ?? {};
  const labels: Record<string, string> = { [NAMESPACE_NAME_LABEL]: routeNs };
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = list(selector.matchExpressions).every((e: any) => {
    const value = labels[e?.key];
    const values = list(e?.values);
    switch (e?.operator) {
      case 'In': return value !== undefined && values.includes(value);
      case 'NotIn': return value === undefined || !values.includes(value);
      case 'Exists': return value !== undefined;
      case 'DoesNotExist': return value === undefined;
      default: return false;
    }
  });
  return byLabels && byExpressions;
}
