/**
 * The `ref/...` checks: references between the objects of one cluster that the API server accepts
 * but that leave an object waiting forever in the cluster (an issuer, a Gateway listener, a Flux
 * dependency, a chart source, a secret store, a service account that nothing creates).
 *
 * A cluster is a folder of the output, `dist/<cluster>/`: objects are looked up among the objects
 * of the same cluster only, whatever layer (`dist/<cluster>/<layer>/`) holds them.
 *
 * | rule                  | reference                                                                 |
 * |-----------------------|---------------------------------------------------------------------------|
 * | `ref/issuer`          | Certificate `issuerRef`, gateway-shim annotations → ClusterIssuer, Issuer |
 * | `ref/certificate`     | Gateway TLS `certificateRefs` → a Certificate's Secret, or the shim's     |
 * | `ref/route-parent`    | HTTPRoute `parentRefs`, HTTP-01 solvers → Gateway listener admitting them |
 * | `ref/flux-depends-on` | Kustomization, HelmRelease `dependsOn` → same kind, no cycle              |
 * | `ref/flux-path`       | Kustomization `path: ./dist/...` → a folder of the output with a kustomization.yaml |
 * | `ref/flux-source`     | Kustomization `sourceRef` → an emitted source, or the bootstrap one       |
 * | `ref/helm-source`     | HelmRelease `chart.spec.sourceRef`, `chartRef` → HelmRepository, ...      |
 * | `ref/secret-store`    | ExternalSecret `secretStoreRef` → SecretStore, ClusterSecretStore         |
 * | `ref/service-account` | workload `serviceAccountName` → ServiceAccount                            |
 */
import { findInconsistencies, type Manifest } from '../k8s/consistency.js';
import { objectId, type Finding, type ManifestObject, type ValidationInput } from './findings.js';

const FLUX_KUSTOMIZE = 'kustomize.toolkit.fluxcd.io';
const FLUX_HELM = 'helm.toolkit.fluxcd.io';
const FLUX_SOURCE = 'source.toolkit.fluxcd.io';
const EXTERNAL_SECRETS = 'external-secrets.io';

/**
 * The GitRepository that `flux bootstrap` creates (in `flux/flux-system/`, which synth never
 * writes) by default: the repository holding `dist/`, which the layers' Kustomizations read.
 * `clusters[].flux.gitRepository` names another; see {@link bootstrapSource}.
 */
const DEFAULT_BOOTSTRAP_SOURCE = 'GitRepository flux-system/flux-system';

/** A Kustomization path into this repository's `dist/`: the rest of the path, or undefined. */
const distPath = (path: unknown) => (typeof path === 'string' ? /^(?:\.\/)?dist\/(.+?)\/*$/.exec(path)?.[1] : undefined);

/** `Kind namespace/name` of a Kustomization's sourceRef. */
function sourceOf(k: any): string {
  const ref = k.spec?.sourceRef ?? {};
  return `${ref.kind} ${ref.namespace ?? k.metadata.namespace}/${ref.name}`;
}

/**
 * The source that bootstrap creates for a cluster, which is not emitted: the one most
 * Kustomizations with a `./dist/` path read (the layers all read it, so a typo in one of them
 * stands out), `flux-system/flux-system` on a tie or when none reads `./dist/`.
 */
function bootstrapSource(cluster: Cluster): string {
  const votes = new Map<string, number>();
  for (const { object } of cluster.find(FLUX_KUSTOMIZE, 'Kustomization')) {
    if (distPath(object.spec?.path) !== undefined) votes.set(sourceOf(object), (votes.get(sourceOf(object)) ?? 0) + 1);
  }
  const best = Math.max(0, ...votes.values());
  const leaders = [...votes.keys()].filter((k) => votes.get(k) === best);
  return leaders.length === 1 ? leaders[0]! : DEFAULT_BOOTSTRAP_SOURCE;
}

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATHS: Record<string, readonly string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Every `ref/...` finding of `input`. */
export function checkReferences(input: ValidationInput): Finding[] {
  const findings: Finding[] = [];
  for (const objects of byCluster(input.manifests).values()) {
    const cluster = new Cluster(objects, input.files);
    findings.push(
      ...checkConsistencyReferences(cluster),
      ...checkFluxDependsOn(cluster),
      ...checkFluxPaths(cluster),
      ...checkFluxSources(cluster),
      ...checkHelmSources(cluster),
      ...checkSecretStores(cluster),
      ...checkServiceAccounts(cluster),
    );
  }
  return findings;
}

/** The cluster folder of a file: `dist/<cluster>` for `dist/<cluster>/<layer>/<file>`. */
export function clusterFolder(file: string): string {
  return file.split('/').slice(0, -2).join('/');
}

function byCluster(manifests: readonly ManifestObject[]): Map<string, ManifestObject[]> {
  const out = new Map<string, ManifestObject[]>();
  for (const m of manifests) {
    if (!isWellFormed(m.object)) continue; // the schema check reports it
    const key = clusterFolder(m.file);
    if (!out.has(key)) out.set(key, []);
    out.get(key)!.push(m);
  }
  return out;
}

function isWellFormed(o: any): o is Manifest {
  return (
    typeof o === 'object' && o !== null && typeof o.apiVersion === 'string' && typeof o.kind === 'string' &&
    typeof o.metadata === 'object' && o.metadata !== null && typeof o.metadata.name === 'string'
  );
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');
const list = (value: unknown): any[] => (Array.isArray(value) ? value : []);
const emitted = (names: readonly string[]) => names.join(', ') || 'none';

/** The objects of one cluster, looked up by group, kind, namespace and name. */
class Cluster {
  constructor(
    public readonly objects: readonly ManifestObject[],
    public readonly files: ReadonlyMap<string, string>,
  ) {}

  /** Objects of `group` and `kind` (and `namespace`, for a namespaced kind), sorted by name. */
  find(group: string, kind: string, namespace?: string): ManifestObject[] {
    return this.objects
      .filter(({ object }) => object.kind === kind && groupOf(object.apiVersion) === group && (namespace === undefined || object.metadata.namespace === namespace))
      .sort((a, b) => (a.object.metadata.name < b.object.metadata.name ? -1 : a.object.metadata.name > b.object.metadata.name ? 1 : 0));
  }

  has(group: string, kind: string, namespace: string | undefined, name: unknown): boolean {
    return this.find(group, kind, namespace).some(({ object }) => object.metadata.name === name);
  }

  names(group: string, kind: string, namespace?: string): string[] {
    return this.find(group, kind, namespace).map(({ object }) => object.metadata.name);
  }

  /** The file an object was read from. */
  fileOf(object: unknown): ManifestObject | undefined {
    return this.objects.find((m) => m.object === object);
  }
}

function finding(rule: string, at: ManifestObject, path: string, message: string): Finding {
  return { rule, severity: 'error', file: at.file, object: objectId(at.object), path, message };
}

/** Issuers, listener Secrets and route parents: the checks synth runs too (lib/k8s/consistency.ts). */
function checkConsistencyReferences(cluster: Cluster): Finding[] {
  return findInconsistencies(cluster.objects.map((m) => m.object as Manifest)).map((p) =>
    finding(p.rule, cluster.fileOf(p.object)!, p.path, p.message),
  );
}

/**
 * Flux `dependsOn`: each names an emitted object of the same kind (in the object's namespace
 * unless it says otherwise), and the dependencies have no cycle, on which Flux would wait forever.
 */
function checkFluxDependsOn(cluster: Cluster): Finding[] {
  const findings: Finding[] = [];
  for (const [group, kind] of [[FLUX_KUSTOMIZE, 'Kustomization'], [FLUX_HELM, 'HelmRelease']] as const) {
    const nodes = cluster.find(group, kind);
    const key = (ns: unknown, name: unknown) => `${ns}/${name}`;
    const edges = new Map<string, Array<{ target: string; path: string }>>();
    for (const at of nodes) {
      const { metadata, spec } = at.object;
      const out: Array<{ target: string; path: string }> = [];
      list(spec?.dependsOn).forEach((dep, i) => {
        const ns = dep?.namespace ?? metadata.namespace;
        const path = `spec.dependsOn[${i}]`;
        if (!cluster.has(group, kind, ns, dep?.name)) {
          findings.push(finding('ref/flux-depends-on', at, path, `names ${kind} ${ns}/${dep?.name}, which is not emitted (emitted in ${ns}: ${emitted(cluster.names(group, kind, ns))})`));
        } else {
          out.push({ target: key(ns, dep.name), path });
        }
      });
      edges.set(key(metadata.namespace, metadata.name), out);
    }
    // Depth-first, in name order: a back edge closes a cycle, reported once on the object it leaves from.
    const state = new Map<string, 'visiting' | 'done'>();
    const trail: string[] = [];
    const visit = (node: string): void => {
      state.set(node, 'visiting');
      trail.push(node);
      for (const edge of edges.get(node) ?? []) {
        if (state.get(edge.target) === 'visiting') {
          const cycle = [...trail.slice(trail.indexOf(edge.target)), edge.target];
          const at = nodes.find(({ object }) => key(object.metadata.namespace, object.metadata.name) === node)!;
          findings.push(finding('ref/flux-depends-on', at, edge.path, `closes a dependency cycle, ${kind} ${cycle.join(' -> ')}: Flux would wait forever; remove one of these dependencies`));
        } else if (!state.has(edge.target)) {
          visit(edge.target);
        }
      }
      trail.pop();
      state.set(node, 'done');
    };
    for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node);
  }
  return findings;
}

/** Whether a Kustomization reads the repository holding `dist/` (the bootstrap one), not another source. */
function readsThisRepository(cluster: Cluster, k: any, bootstrap: string): boolean {
  const ref = k.spec?.sourceRef ?? {};
  return sourceOf(k) === bootstrap || !cluster.has(FLUX_SOURCE, ref.kind, ref.namespace ?? k.metadata.namespace, ref.name);
}

/**
 * Kustomization paths under `./dist/`: a folder of the output (`./dist/` is the folder validated,
 * the one that holds the cluster folders), of the Kustomization's own cluster, with a
 * kustomization.yaml (without one, Flux would generate it from every file below, sub-folders
 * included). Paths in other repositories are not ours to check.
 */
function checkFluxPaths(cluster: Cluster): Finding[] {
  const findings: Finding[] = [];
  const folders = new Set<string>();
  for (const file of cluster.files.keys()) for (let i = file.lastIndexOf('/'); i > 0; i = file.lastIndexOf('/', i - 1)) folders.add(file.slice(0, i));
  const bootstrap = bootstrapSource(cluster);
  for (const at of cluster.find(FLUX_KUSTOMIZE, 'Kustomization')) {
    const path: unknown = at.object.spec?.path;
    const rest = distPath(path);
    if (rest === undefined || !readsThisRepository(cluster, at.object, bootstrap)) continue;
    // The Kustomization's file is <root>/<cluster>/<layer>/<file>, and ./dist/ is <root>.
    const segments = at.file.split('/');
    const root = segments.slice(0, -3).join('/');
    const prefix = root ? `${root}/` : '';
    const ownCluster = segments.at(-3);
    const folder = `${prefix}${rest}`;
    const layers = [...folders]
      .filter((f) => ownCluster !== undefined && f.startsWith(`${prefix}${ownCluster}/`) && cluster.files.has(`${f}/kustomization.yaml`))
      .map((f) => `./dist/${f.slice(prefix.length)}`)
      .sort();
    const known = ownCluster === undefined ? '' : ` (layer folders of ${ownCluster}: ${emitted(layers)})`;
    if (ownCluster !== undefined && rest.split('/')[0] !== ownCluster) {
      findings.push(finding('ref/flux-path', at, 'spec.path', `path "${path}" is another cluster's folder, not one of ${ownCluster}, where this Kustomization is${known}`));
    } else if (!folders.has(folder)) {
      findings.push(finding('ref/flux-path', at, 'spec.path', `path "${path}" is not a folder of the output${known}`));
    } else if (!cluster.files.has(`${folder}/kustomization.yaml`)) {
      findings.push(finding('ref/flux-path', at, 'spec.path', `folder "${path}" has no kustomization.yaml, so Flux would apply every file below it, sub-folders included${known}`));
    }
  }
  return findings;
}

/** Kustomization `sourceRef`: an emitted source, or the repository `flux bootstrap` creates. */
function checkFluxSources(cluster: Cluster): Finding[] {
  const findings: Finding[] = [];
  const bootstrap = bootstrapSource(cluster);
  for (const at of cluster.find(FLUX_KUSTOMIZE, 'Kustomization')) {
    const ref = at.object.spec?.sourceRef;
    if (typeof ref !== 'object' || ref === null) continue;
    const ns = ref.namespace ?? at.object.metadata.namespace;
    if (sourceOf(at.object) !== bootstrap && !cluster.has(FLUX_SOURCE, ref.kind, ns, ref.name)) {
      findings.push(finding('ref/flux-source', at, 'spec.sourceRef',
        `names ${ref.kind} ${ns}/${ref.name}, which is not emitted (emitted in ${ns}: ${emitted(cluster.names(FLUX_SOURCE, ref.kind, ns))}; `
          + `the one flux bootstrap creates is ${bootstrap}, which the layers read)`));
    }
  }
  return findings;
}

/** HelmRelease chart sources: `chart.spec.sourceRef` (HelmRepository, GitRepository, Bucket) and `chartRef` (OCIRepository, HelmChart). */
function checkHelmSources(cluster: Cluster): Finding[] {
  const findings: Finding[] = [];
  for (const at of cluster.find(FLUX_HELM, 'HelmRelease')) {
    const refs: Array<[string, any]> = [['spec.chart.spec.sourceRef', at.object.spec?.chart?.spec?.sourceRef], ['spec.chartRef', at.object.spec?.chartRef]];
    for (const [path, ref] of refs) {
      if (typeof ref !== 'object' || ref === null) continue;
      const ns = ref.namespace ?? at.object.metadata.namespace;
      if (!cluster.has(FLUX_SOURCE, ref.kind, ns, ref.name)) {
        findings.push(finding('ref/helm-source', at, path, `names ${ref.kind} ${ns}/${ref.name}, which is not emitted (emitted in ${ns}: ${emitted(cluster.names(FLUX_SOURCE, ref.kind, ns))})`));
      }
    }
  }
  return findings;
}

/** ExternalSecret store references: `secretStoreRef`, and the per-item `sourceRef.storeRef` of `data` and `dataFrom`. */
function checkSecretStores(cluster: Cluster): Finding[] {
  const findings: Finding[] = [];
  for (const at of cluster.find(EXTERNAL_SECRETS, 'ExternalSecret')) {
    const spec = at.object.spec ?? {};
    const refs: Array<[string, any]> = [['spec.secretStoreRef', spec.secretStoreRef]];
    for (const field of ['data', 'dataFrom']) list(spec[field]).forEach((item, i) => refs.push([`spec.${field}[${i}].sourceRef.storeRef`, item?.sourceRef?.storeRef]));
    for (const [path, ref] of refs) {
      if (typeof ref !== 'object' || ref === null) continue;
      const kind = ref.kind ?? 'SecretStore';
      const ns = kind === 'ClusterSecretStore' ? undefined : at.object.metadata.namespace;
      if (!cluster.has(EXTERNAL_SECRETS, kind, ns, ref.name)) {
        const where = ns === undefined ? '' : ` of namespace ${ns}`;
        findings.push(finding('ref/secret-store', at, path,
          `names ${kind} "${ref.name}"${where}, which is not emitted (emitted: ${emitted(cluster.names(EXTERNAL_SECRETS, kind, ns))})`));
      }
    }
  }
  return findings;
}

/** Workloads run as an emitted ServiceAccount of their namespace (`default` exists in every namespace). */
function checkServiceAccounts(cluster: Cluster): Finding[] {
  const findings: Finding[] = [];
  for (const at of cluster.objects) {
    const { object } = at;
    const specPath = POD_SPEC_PATHS[object.kind];
    if (!specPath || !['v1', 'apps/v1', 'batch/v1'].includes(object.apiVersion)) continue;
    const podSpec = specPath.reduce<any>((v, k) => v?.[k], object);
    // serviceAccount is the deprecated alias the API server reads when serviceAccountName is absent.
    const field = podSpec?.serviceAccountName !== undefined ? 'serviceAccountName' : 'serviceAccount';
    const name = podSpec?.[field];
    const ns = object.metadata.namespace;
    if (name !== undefined && name !== 'default' && !cluster.has('', 'ServiceAccount', ns, name)) {
      findings.push(finding('ref/service-account', at, [...specPath, field].join('.'),
        `"${name}" is not an emitted ServiceAccount of namespace ${ns} (emitted there: ${emitted(cluster.names('', 'ServiceAccount', ns))}), so no pod would be created`));
    }
  }
  return findings;
}
