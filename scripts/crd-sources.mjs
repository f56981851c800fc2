// Where each upstream CRD that cdk8s.yaml names (by its release URL) sits in a CRD tree laid out
// like ../shared/crds: `<project folder>/<tag>/[<channel>/]<file>`. Used by scripts/import-crds.mjs
// (offline imports) and by the test set-up (test/support/setup.ts: the download cache), so that
// both read the same tree lib/validate/schemas.ts reads.
import { parse } from 'yaml';

/** Upstream repository → folder of the CRD tree (the folder is followed by the tag). */
const CRD_FOLDERS = {
  'cert-manager/cert-manager': 'cert-manager',
  'kubernetes-sigs/gateway-api': 'gateway-api',
  'fluxcd/source-controller': 'flux-source-controller',
  'fluxcd/helm-controller': 'flux-helm-controller',
  'fluxcd/kustomize-controller': 'flux-kustomize-controller',
  'external-secrets/external-secrets': 'external-secrets',
  'prometheus-operator/prometheus-operator': 'prometheus-operator',
  'cert-manager/trust-manager': 'trust-manager',
};

/**
 * The `/`-separated path, in a CRD tree, of the file a raw GitHub release URL names; throws for a
 * URL of another form or an unknown project.
 */
export function crdTreePath(url) {
  const m = /^https:\/\/raw\.githubusercontent\.com\/([^/]+\/[^/]+)\/(v[^/]+)\/(.+)$/.exec(url);
  const folder = m ? CRD_FOLDERS[m[1]] : undefined;
  if (!m || folder === undefined) {
    throw new Error(`cdk8s.yaml: cannot place ${JSON.stringify(url)} in the CRD tree (expected a raw GitHub release URL of a known project)`);
  }
  const [, repo, tag, path] = m;
  const parts = path.split('/');
  // Gateway API publishes channels (standard, experimental) as folders of the same tag.
  const channel = repo === 'kubernetes-sigs/gateway-api' ? `${parts.at(-2)}/` : '';
  return `${folder}/${tag}/${channel}${parts.at(-1)}`;
}

/** The imports of `cdk8s.yaml` (its text): each module name with the release URL it is generated from. */
export function cdk8sImports(cdk8sYaml) {
  const imports = parse(cdk8sYaml)?.imports;
  if (!Array.isArray(imports)) throw new Error('cdk8s.yaml: expected a list of imports, name:=url');
  return imports.map((entry) => {
    const [name, url] = String(entry).split(':=');
    return { name, url: url ?? '' };
  });
}
