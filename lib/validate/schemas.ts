/**
 * Schema validation for synthesized manifests: the `schema` check of `npm run validate`, and the
 * schema tests of `npm test`.
 *
 *   const registry = SchemaRegistry.load();          // reads ../shared/crds once
 *   registry.validate(obj)                           // -> [] when valid, else readable errors
 *   registry.check(obj)                              // the same, as { path, message } pairs
 *   registry.celRules('gateway.networking.k8s.io/v1', 'Gateway') // CEL rules, not evaluated here
 *   loadYamlObjects('dist/dev')                      // every YAML document under a folder
 *
 * What is checked:
 *  - Kinds defined by the upstream CRDs (see CRD_SOURCES): the `openAPIV3Schema` of the requested
 *    version, which must exist and be `served: true`. Checked with ajv after a "structural" rewrite:
 *    unknown fields are errors (every object schema with `properties`, no
 *    `x-kubernetes-preserve-unknown-fields: true` and no `additionalProperties` gets
 *    `additionalProperties: false`), `x-kubernetes-int-or-string` accepts integer or string,
 *    `x-kubernetes-embedded-resource` allows apiVersion/kind/metadata, `nullable` allows null,
 *    formats use ajv-formats (int32/int64 ranges, date-time, byte, ipv4, ipv6...) and any other format
 *    name is accepted as is. `x-kubernetes-validations` (CEL) are NOT evaluated: see celRules().
 *    Other x-kubernetes-* keywords (list-type, map-type, list-map-keys) are dropped, so list
 *    uniqueness by key is not checked.
 *  - Core kinds (CORE_KINDS): the kubernetes-models class's validate(). Its generated validators do
 *    not reject unknown fields (no additionalProperties: false, and its JSON schemas only ship as
 *    compiled code), so unknown fields are found by running that same validator on a Proxy of the
 *    object that records which properties it reads: the compiled validator reads every property
 *    its schema defines (and every key of a map), so a key it never read while it looked inside
 *    that object is not in the schema.
 *  - metadata, for every kind: an object with a `name` (DNS-1123 subdomain; DNS-1123 label for a
 *    Namespace, DNS-1035 label for a Service), `namespace` (DNS-1123 label) required on namespaced
 *    kinds and forbidden on cluster-scoped ones, `labels` (syntax of keys and values) and
 *    `annotations` (string values, key syntax), and no unknown ObjectMeta field.
 *  - Anything else (including `kustomize.config.k8s.io/v1beta1 Kustomization`) is an error
 *    `no schema known for <apiVersion> <kind>`, so nothing passes vacuously.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';

// ajv-formats is CommonJS with `exports.default`: under ES modules the default import is the module object.
const addFormats = formatsPlugin as unknown as typeof formatsPlugin.default;
import { parseAllDocuments } from 'yaml';
import { ConfigMap, Namespace, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { DaemonSet, Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';

/**
 * The project root: the nearest folder above `start` holding a `package.json`. `start` defaults
 * to this module's folder, which is `lib/validate/` under vitest and `build/` in the bundles (the
 * working directory where no CommonJS `__dirname` exists).
 */
export function findProjectRoot(start: string = typeof __dirname === 'string' ? __dirname : process.cwd()): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(start);
  }
}

/**
 * Default CRD folder: `GATEWAY_PKI_CRDS` when set (npm test sets it to where it found or downloaded
 * them, test/support/setup.ts), else `../shared/crds` beside the project (never copied into it).
 */
export const DEFAULT_CRD_ROOT = process.env.GATEWAY_PKI_CRDS ? resolve(process.env.GATEWAY_PKI_CRDS) : resolve(findProjectRoot(), '..', 'shared', 'crds');

/**
 * The upstream CRD sets used. `project` is the folder under the CRD root; the version folder
 * below it is discovered (the highest one if there are several). gateway-api: standard channel
 * only. trust-manager: only the Bundle CRD that its Helm chart installs. provider-upjet-aws is
 * not used.
 */
const CRD_SOURCES: { project: string; channel?: string; files?: RegExp }[] = [
  { project: 'cert-manager' },
  { project: 'gateway-api', channel: 'standard' },
  { project: 'flux-source-controller' },
  { project: 'flux-helm-controller' },
  { project: 'flux-kustomize-controller' },
  { project: 'external-secrets' },
  { project: 'prometheus-operator' },
  { project: 'trust-manager', files: /^trust\.cert-manager\.io_bundles\.yaml$/ },
];

/** A CEL rule found in a CRD schema (`x-kubernetes-validations`), not evaluated here. */
export interface CelRule {
  /**
   * Where the rule sits: '' for the object itself, `.name` for a property, `[*]` for every
   * array item, `.*` for every value of a map (additionalProperties). Example:
   * `spec.listeners[*]`, `spec.rules[*].matches[*].path`.
   */
  path: string;
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
  optionalOldSelf?: boolean;
}

export type Scope = 'Namespaced' | 'Cluster';

/** Where the schema of an apiVersion/kind comes from. */
export type SchemaSource =
  | { source: 'crd'; scope: Scope; file: string; served: boolean }
  | { source: 'core'; scope: Scope }
  | { source: 'none' };

/** One problem found by SchemaRegistry.check(). */
export interface SchemaProblem {
  /** Field path, `spec.listeners[0].port` or `(root)`; absent when the problem is the whole object's. */
  path?: string;
  message: string;
}

interface CrdVersion {
  name: string;
  served: boolean;
  deprecated: boolean;
  /** The untouched upstream openAPIV3Schema. */
  schema: Record<string, unknown> | undefined;
}

interface CrdInfo {
  group: string;
  kind: string;
  scope: Scope;
  /** Path relative to the CRD root. */
  file: string;
  versions: Map<string, CrdVersion>;
}

/** What the kubernetes-models classes look like to us. */
type ModelClass = new (data: any) => { validate(): void; toJSON(): unknown };

const CORE_KINDS: Record<string, { model: ModelClass; scope: Scope }> = {
  'v1 Namespace': { model: Namespace, scope: 'Cluster' },
  'v1 ServiceAccount': { model: ServiceAccount, scope: 'Namespaced' },
  'v1 ConfigMap': { model: ConfigMap, scope: 'Namespaced' },
  'v1 Secret': { model: Secret, scope: 'Namespaced' },
  'v1 Service': { model: Service, scope: 'Namespaced' },
  'v1 Pod': { model: Pod, scope: 'Namespaced' },
  'apps/v1 Deployment': { model: Deployment, scope: 'Namespaced' },
  'apps/v1 StatefulSet': { model: StatefulSet, scope: 'Namespaced' },
  'apps/v1 DaemonSet': { model: DaemonSet, scope: 'Namespaced' },
  'batch/v1 CronJob': { model: CronJob, scope: 'Namespaced' },
  'batch/v1 Job': { model: Job, scope: 'Namespaced' },
  'rbac.authorization.k8s.io/v1 Role': { model: Role, scope: 'Namespaced' },
  'rbac.authorization.k8s.io/v1 RoleBinding': { model: RoleBinding, scope: 'Namespaced' },
  'rbac.authorization.k8s.io/v1 ClusterRole': { model: ClusterRole, scope: 'Cluster' },
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding': { model: ClusterRoleBinding, scope: 'Cluster' },
  'policy/v1 PodDisruptionBudget': { model: PodDisruptionBudget, scope: 'Namespaced' },
  'networking.k8s.io/v1 NetworkPolicy': { model: NetworkPolicy, scope: 'Namespaced' },
};

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

export class SchemaRegistry {
  private static readonly instances = new Map<string, SchemaRegistry>();

  /** CRDs by `<group> <kind>`. */
  private readonly crds = new Map<string, CrdInfo>();
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly cel = new Map<string, CelRule[]>();
  private ajv: Ajv | undefined;

  /** Milliseconds spent reading and parsing the CRD files. */
  public loadMillis = 0;

  private constructor(public readonly crdRoot: string) {}

  /**
   * Reads every CRD of CRD_SOURCES under `crdRoot` (default `<project>/../shared/crds`). Schemas
   * are compiled lazily on first use. The same root returns the same (cached) registry.
   */
  static load(crdRoot: string = DEFAULT_CRD_ROOT): SchemaRegistry {
    const root = resolve(crdRoot);
    const cached = SchemaRegistry.instances.get(root);
    if (cached) return cached;
    const registry = new SchemaRegistry(root);
    registry.readCrds();
    SchemaRegistry.instances.set(root, registry);
    return registry;
  }

  /** Every apiVersion/kind this registry can validate, e.g. `cert-manager.io/v1 Certificate` (served versions only). */
  knownKinds(): string[] {
    const out: string[] = [];
    for (const crd of this.crds.values()) {
      for (const v of crd.versions.values()) if (v.served) out.push(`${crd.group}/${v.name} ${crd.kind}`);
    }
    out.push(...Object.keys(CORE_KINDS));
    return out.sort();
  }

  /** Where the schema for apiVersion/kind comes from, and the kind's scope. */
  lookup(apiVersion: string, kind: string): SchemaSource {
    const core = CORE_KINDS[`${apiVersion} ${kind}`];
    if (core) return { source: 'core', scope: core.scope };
    const found = this.findCrd(apiVersion, kind);
    if (!found?.version) return { source: 'none' };
    return { source: 'crd', scope: found.crd.scope, file: found.crd.file, served: found.version.served };
  }

  /** The untouched upstream `openAPIV3Schema` of a served CRD version (for a CEL evaluator), or undefined. */
  openApiSchema(apiVersion: string, kind: string): Record<string, unknown> | undefined {
    const found = this.findCrd(apiVersion, kind);
    return found?.version?.served ? found.version.schema : undefined;
  }

  /**
   * The CEL rules (`x-kubernetes-validations`) of a served CRD version, in schema order. Empty for
   * core kinds and for anything unknown or unserved (validate() reports those).
   */
  celRules(apiVersion: string, kind: string): CelRule[] {
    const key = `${apiVersion} ${kind}`;
    let rules = this.cel.get(key);
    if (!rules) {
      rules = [];
      const schema = this.openApiSchema(apiVersion, kind);
      if (schema) collectCel(schema, '', rules);
      this.cel.set(key, rules);
    }
    return rules.map((r) => ({ ...r }));
  }

  /** Validates one manifest object. Returns readable errors, each prefixed `<kind>/<namespace>/<name>: `; empty when valid. */
  validate(obj: unknown): string[] {
    if (!isObject(obj)) return [`<input>: ${this.problems(obj)[0]}`];
    const id = describe(obj);
    return this.problems(obj).map((e) => `${id}: ${e}`);
  }

  /**
   * Validates one manifest object, like validate(), with each problem split into the field path
   * (`spec.listeners[0].port`, `(root)`; absent for problems of the whole object, such as an
   * unknown kind) and the message.
   */
  check(obj: unknown): SchemaProblem[] {
    return this.problems(obj).map(splitProblem);
  }

  // -------------------------------------------------------------------------------------------

  /** Every problem of `obj` as `<path>: <message>` (or a bare message), without the object prefix. */
  private problems(obj: unknown): string[] {
    if (!isObject(obj)) return [`not an object (${obj === null ? 'null' : Array.isArray(obj) ? 'array' : typeof obj})`];
    const { apiVersion, kind } = obj;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !apiVersion || !kind) {
      return ['apiVersion and kind must be non-empty strings'];
    }
    const errors: string[] = [];
    const core = CORE_KINDS[`${apiVersion} ${kind}`];
    if (core) {
      errors.push(...checkMetadata(obj.metadata, core.scope, kind));
      errors.push(...validateCore(core.model, obj));
    } else {
      const found = this.findCrd(apiVersion, kind);
      if (!found) return [`no schema known for ${apiVersion} ${kind}`];
      const { crd, version } = found;
      const served = [...crd.versions.values()].filter((v) => v.served).map((v) => v.name);
      if (!version) {
        errors.push(`apiVersion ${apiVersion} is not a version of ${kind} in ${crd.file} (served versions: ${served.join(', ') || 'none'})`);
      } else if (!version.served) {
        errors.push(`apiVersion ${apiVersion} of ${kind} is not served (served: false in ${crd.file}; served versions: ${served.join(', ') || 'none'})`);
      } else {
        errors.push(...checkMetadata(obj.metadata, crd.scope, kind));
        const validateFn = this.compile(crd, version);
        if (!validateFn(obj)) errors.push(...formatAjvErrors(validateFn.errors ?? []));
      }
    }
    return [...new Set(errors)];
  }

  // -------------------------------------------------------------------------------------------

  private findCrd(apiVersion: string, kind: string): { crd: CrdInfo; version: CrdVersion | undefined } | undefined {
    const slash = apiVersion.lastIndexOf('/');
    if (slash <= 0) return undefined; // core group: never a CRD
    const crd = this.crds.get(`${apiVersion.slice(0, slash)} ${kind}`);
    if (!crd) return undefined;
    return { crd, version: crd.versions.get(apiVersion.slice(slash + 1)) };
  }

  private readCrds(): void {
    const started = performance.now();
    const root = this.crdRoot;
    if (!existsSync(root) || !statSync(root).isDirectory()) {
      throw new Error(
        `CRD folder not found: ${root}. The upstream CRDs are expected in ../shared/crds beside the project ` +
          `(see shared/crds/SOURCES.md); pass another folder to SchemaRegistry.load(crdRoot).`,
      );
    }
    for (const source of CRD_SOURCES) {
      const projectDir = join(root, source.project);
      if (!existsSync(projectDir)) throw new Error(`CRD folder ${projectDir} is missing (expected upstream ${source.project} CRDs)`);
      const versions = readdirSync(projectDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
      const version = versions.at(-1);
      if (!version) throw new Error(`no version folder under ${projectDir}`);
      const dir = source.channel ? join(projectDir, version, source.channel) : join(projectDir, version);
      if (!existsSync(dir)) throw new Error(`CRD folder ${dir} is missing`);
      const files = readdirSync(dir)
        .filter((f) => f.endsWith('.yaml') && (!source.files || source.files.test(f)))
        .sort();
      if (files.length === 0) throw new Error(`no CRD file found in ${dir}`);
      for (const f of files) this.readCrdFile(join(dir, f));
    }
    this.loadMillis = performance.now() - started;
  }

  private readCrdFile(path: string): void {
    const file = relative(this.crdRoot, path).split(sep).join('/');
    // Trusted upstream files: skipping the duplicate-key check and pretty errors makes parsing ~35% faster.
    for (const doc of parseAllDocuments(readFileSync(path, 'utf8'), { uniqueKeys: false, prettyErrors: false })) {
      if (doc.errors.length > 0) throw new Error(`${file}: invalid YAML: ${doc.errors[0]!.message}`);
      const crd: unknown = doc.toJS();
      // Skip empty documents and non-CRDs (gateway-api's vap_safeupgrades.yaml holds a
      // ValidatingAdmissionPolicy and its binding).
      if (!isObject(crd) || crd.kind !== 'CustomResourceDefinition') continue;
      const spec = crd.spec as any;
      const group: unknown = spec?.group;
      const kind: unknown = spec?.names?.kind;
      if (typeof group !== 'string' || typeof kind !== 'string' || !Array.isArray(spec.versions)) {
        throw new Error(`${file}: CustomResourceDefinition without spec.group, spec.names.kind or spec.versions`);
      }
      const key = `${group} ${kind}`;
      const previous = this.crds.get(key);
      if (previous) throw new Error(`${group} ${kind} is defined twice: ${previous.file} and ${file}`);
      const versions = new Map<string, CrdVersion>();
      for (const v of spec.versions as any[]) {
        versions.set(String(v.name), {
          name: String(v.name),
          served: v.served === true,
          deprecated: v.deprecated === true,
          schema: isObject(v.schema?.openAPIV3Schema) ? v.schema.openAPIV3Schema : undefined,
        });
      }
      this.crds.set(key, { group, kind, scope: spec.scope === 'Cluster' ? 'Cluster' : 'Namespaced', file, versions });
    }
  }

  private compile(crd: CrdInfo, version: CrdVersion): ValidateFunction {
    const key = `${crd.group}/${version.name} ${crd.kind}`;
    let fn = this.compiled.get(key);
    if (!fn) {
      const ajv = this.getAjv();
      // A CRD version without a schema accepts anything (the API server would too).
      const schema = version.schema ? toStructuralSchema(version.schema) : {};
      for (const format of collectFormats(schema)) {
        if (!ajv.formats[format]) ajv.addFormat(format, true); // unknown format names: accept
      }
      try {
        fn = ajv.compile(schema);
      } catch (e) {
        throw new Error(`cannot compile the schema of ${key} (${crd.file}): ${(e as Error).message}`);
      }
      this.compiled.set(key, fn);
    }
    return fn;
  }

  private getAjv(): Ajv {
    if (!this.ajv) {
      // Not strict: CRD schemas use keywords and shapes ajv's strict mode rejects.
      this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, logger: false, code: { regExp: goRegExp } });
      addFormats(this.ajv);
    }
    return this.ajv;
  }
}

// ---------------------------------------------------------------------------------------------
// CRD schema -> ajv schema
// ---------------------------------------------------------------------------------------------

const COMBINATORS = new Set(['allOf', 'anyOf', 'oneOf']);

/**
 * `pattern` in CRDs is Go (RE2) syntax. The only RE2-only construct in the CRDs used is a leading
 * inline flag group, e.g. PrometheusRule's `^(?i)(abort|warn)?$`: turn `(?i)`, `(?s)`, `(?m)` at
 * the start into JavaScript flags. Anything else JavaScript cannot parse fails the compile loudly.
 */
const goRegExp = Object.assign(
  (pattern: string, flags: string): RegExp => {
    let source = pattern;
    let allFlags = flags;
    const inline = /^(\^?)\(\?([ims]+)\)/.exec(source);
    if (inline) {
      source = inline[1] + source.slice(inline[0].length);
      for (const f of inline[2]!) if (!allFlags.includes(f)) allFlags += f;
    }
    return new RegExp(source, allFlags);
  },
  { code: 'goRegExp' },
);

/**
 * Rewrites an openAPIV3Schema into a JSON schema for ajv with the API server's pruning turned
 * into errors. See the file comment for the rules.
 */
export function toStructuralSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const out = transform(schema, false);
  // The root `metadata` is checked by checkMetadata(); keep only its type and name constraints
  // without closing it (ObjectMeta has many fields the CRD does not list).
  const props = out.properties as Json | undefined;
  if (props && isObject(props.metadata)) {
    const meta = { ...props.metadata };
    delete meta.additionalProperties;
    props.metadata = meta;
  }
  return out;
}

function transform(node: Json, inCombinator: boolean): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-') || key === 'nullable' || key === 'description' || key === 'default' || key === 'example') continue;
    if (key === 'properties' && isObject(value)) {
      const props: Json = {};
      for (const [name, sub] of Object.entries(value)) props[name] = isObject(sub) ? transform(sub, inCombinator) : sub;
      out.properties = props;
    } else if ((key === 'items' || key === 'not') && isObject(value)) {
      out[key] = transform(value, inCombinator || key === 'not');
    } else if (key === 'additionalProperties' && isObject(value)) {
      out.additionalProperties = transform(value, inCombinator);
    } else if (COMBINATORS.has(key) && Array.isArray(value)) {
      // Structural schemas only restate fields inside allOf/anyOf/oneOf/not (value validations):
      // never close objects there, or every other field would fail the branch.
      out[key] = value.map((sub) => (isObject(sub) ? transform(sub, true) : sub));
    } else {
      out[key] = value;
    }
  }
  if (node['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    if (!out.anyOf && !out.oneOf) out.type = ['integer', 'string'];
  }
  if (node['x-kubernetes-embedded-resource'] === true) {
    out.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...(out.properties as Json | undefined) };
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.type) && !out.type.includes('null')) out.type = [...out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  if (!inCombinator && out.properties && node['x-kubernetes-preserve-unknown-fields'] !== true && !('additionalProperties' in node)) {
    out.additionalProperties = false;
  }
  return out;
}

function collectFormats(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) collectFormats(n, into);
  else if (isObject(node)) {
    if (typeof node.format === 'string') into.add(node.format);
    for (const [k, v] of Object.entries(node)) if (k !== 'enum' && typeof v === 'object') collectFormats(v, into);
  }
  return into;
}

function collectCel(node: Json, path: string, into: CelRule[]): void {
  const rules = node['x-kubernetes-validations'];
  if (Array.isArray(rules)) {
    for (const r of rules) {
      if (!isObject(r) || typeof r.rule !== 'string') continue;
      const rule: CelRule = { path, rule: r.rule };
      if (typeof r.message === 'string') rule.message = r.message;
      if (typeof r.messageExpression === 'string') rule.messageExpression = r.messageExpression;
      if (typeof r.fieldPath === 'string') rule.fieldPath = r.fieldPath;
      if (typeof r.reason === 'string') rule.reason = r.reason;
      if (typeof r.optionalOldSelf === 'boolean') rule.optionalOldSelf = r.optionalOldSelf;
      into.push(rule);
    }
  }
  if (isObject(node.properties)) {
    for (const [name, sub] of Object.entries(node.properties)) if (isObject(sub)) collectCel(sub, path ? `${path}.${name}` : name, into);
  }
  if (isObject(node.items)) collectCel(node.items, `${path}[*]`, into);
  if (isObject(node.additionalProperties)) collectCel(node.additionalProperties, path ? `${path}.*` : '*', into);
}

// ---------------------------------------------------------------------------------------------
// Core kinds (kubernetes-models)
// ---------------------------------------------------------------------------------------------

function validateCore(model: ModelClass, obj: Json): string[] {
  // The model copies the object (dropping undefined values), like the real serializer would.
  const instance = new model(obj);
  const plain = instance.toJSON();
  const { proxy, reads } = trackReads(plain);
  const errors: string[] = [];
  try {
    // The class's own validate(), run with the tracking proxy as `this`.
    instance.validate.call(proxy);
  } catch (e) {
    const ajvErrors = (e as { errors?: unknown }).errors;
    if (Array.isArray(ajvErrors)) errors.push(...formatAjvErrors(ajvErrors as ErrorObject[]));
    else errors.push(String((e as Error)?.message ?? e));
  }
  // metadata's own keys are checked by checkMetadata().
  for (const pointer of unreadKeys(plain, reads, '')) {
    if (pointer !== '/metadata' && !pointer.startsWith('/metadata/')) errors.push(`${jsonPointerToPath(pointer)}: unknown field`);
  }
  return errors;
}

/** Wraps `root` so that every string-keyed property read is recorded, per object (by JSON pointer). */
function trackReads(root: unknown): { proxy: unknown; reads: Map<string, Set<string>> } {
  const reads = new Map<string, Set<string>>();
  const wrap = (value: unknown, pointer: string): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    return new Proxy(value, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        if (typeof key !== 'string') return v;
        let set = reads.get(pointer);
        if (!set) reads.set(pointer, (set = new Set()));
        set.add(key);
        return Object.hasOwn(target, key) ? wrap(v, `${pointer}/${escapePointer(key)}`) : v;
      },
    });
  };
  return { proxy: wrap(root, ''), reads };
}

/**
 * Keys the validator never read in an object it looked into (read at least one property of).
 * Objects it never looked into are free-form for the schema (or behind a type error) and skipped.
 */
function unreadKeys(value: unknown, reads: Map<string, Set<string>>, pointer: string, into: string[] = []): string[] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => unreadKeys(v, reads, `${pointer}/${i}`, into));
  } else if (isObject(value)) {
    const read = reads.get(pointer);
    if (!read) return into;
    for (const [k, v] of Object.entries(value)) {
      const child = `${pointer}/${escapePointer(k)}`;
      if (!read.has(k)) into.push(child);
      else unreadKeys(v, reads, child, into);
    }
  }
  return into;
}

// ---------------------------------------------------------------------------------------------
// metadata
// ---------------------------------------------------------------------------------------------

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const OBJECT_META_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

function checkQualifiedKey(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'must be a qualified name ([prefix/]name)';
  const name = parts.at(-1)!;
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) return 'name part must be at most 63 alphanumeric characters, "-", "_" or "." (starting and ending alphanumeric)';
  if (parts.length === 2 && (parts[0]!.length > 253 || !DNS1123_SUBDOMAIN.test(parts[0]!))) return 'prefix must be a DNS-1123 subdomain';
  return undefined;
}

function checkMetadata(metadata: unknown, scope: Scope, kind: string): string[] {
  if (!isObject(metadata)) return ['metadata: must be an object with a name'];
  const errors: string[] = [];
  const { name, namespace, labels, annotations } = metadata;
  if (typeof name !== 'string' || name === '') {
    errors.push('metadata.name: required string is missing');
  } else if (kind === 'Namespace') {
    if (name.length > 63 || !DNS1123_LABEL.test(name)) errors.push(`metadata.name: "${name}" is not a DNS-1123 label (a Namespace name: lowercase alphanumerics and "-", at most 63)`);
  } else if (kind === 'Service') {
    if (name.length > 63 || !DNS1035_LABEL.test(name)) errors.push(`metadata.name: "${name}" is not a DNS-1035 label (a Service name: starts with a letter, lowercase alphanumerics and "-", at most 63)`);
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    errors.push(`metadata.name: "${name}" is not a DNS-1123 subdomain (lowercase alphanumerics, "-" and ".", at most 253)`);
  }
  if (namespace !== undefined) {
    if (scope === 'Cluster') errors.push(`metadata.namespace: ${kind} is cluster-scoped and must not have a namespace`);
    else if (typeof namespace !== 'string' || namespace.length > 63 || !DNS1123_LABEL.test(namespace)) {
      errors.push(`metadata.namespace: ${JSON.stringify(namespace)} is not a DNS-1123 label`);
    }
  } else if (scope === 'Namespaced') {
    errors.push(`metadata.namespace: ${kind} is namespaced and must set its namespace explicitly`);
  }
  for (const [field, map] of [['labels', labels], ['annotations', annotations]] as const) {
    if (map === undefined) continue;
    if (!isObject(map)) {
      errors.push(`metadata.${field}: must be a map of strings`);
      continue;
    }
    for (const [key, value] of Object.entries(map)) {
      const at = `metadata.${field}${formatSegment(key)}`;
      const keyError = checkQualifiedKey(key);
      if (keyError) errors.push(`${at}: invalid key: ${keyError}`);
      if (typeof value !== 'string') errors.push(`${at}: must be string`);
      else if (field === 'labels' && (value.length > 63 || !LABEL_VALUE.test(value))) {
        errors.push(`${at}: invalid label value ${JSON.stringify(value)} (at most 63 alphanumeric characters, "-", "_" or ".", starting and ending alphanumeric)`);
      }
    }
  }
  for (const key of Object.keys(metadata)) if (!OBJECT_META_FIELDS.has(key)) errors.push(`metadata${formatSegment(key)}: unknown field`);
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Error formatting
// ---------------------------------------------------------------------------------------------

function describe(obj: Json): string {
  const kind = typeof obj.kind === 'string' && obj.kind ? obj.kind : '<no kind>';
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const name = typeof meta.name === 'string' && meta.name ? meta.name : '<no name>';
  return typeof meta.namespace === 'string' && meta.namespace ? `${kind}/${meta.namespace}/${name}` : `${kind}/${name}`;
}

/**
 * Splits `<path>: <message>` (the shape of every problem with a place) into its parts. A path has
 * no spaces outside its quoted keys (`metadata.annotations["a b"]`); anything else is a message.
 */
function splitProblem(problem: string): SchemaProblem {
  const m = /^((?:[^\s":]|"(?:[^"\\]|\\.)*")+): (.*)$/s.exec(problem);
  return m ? { path: m[1]!, message: m[2]! } : { message: problem };
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function formatSegment(key: string): string {
  if (/^\d+$/.test(key)) return `[${key}]`;
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return `.${key}`;
  return `[${JSON.stringify(key)}]`;
}

/** `/spec/listeners/0/port` -> `spec.listeners[0].port` ('' -> `(root)`). */
function jsonPointerToPath(pointer: string): string {
  if (!pointer) return '(root)';
  const path = pointer
    .slice(1)
    .split('/')
    .map((s) => formatSegment(s.replace(/~1/g, '/').replace(/~0/g, '~')))
    .join('');
  return path.startsWith('.') ? path.slice(1) : path;
}

function joinPath(pointer: string, key: string): string {
  return jsonPointerToPath(`${pointer}/${escapePointer(key)}`);
}

export function formatAjvErrors(errors: ErrorObject[]): string[] {
  const out: string[] = [];
  // An anyOf/oneOf whose branches only failed on `type` at the same place (int-or-string) reads
  // better as one error: `must be integer or string`.
  const merged = new Set<ErrorObject>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') continue;
    const branches = errors.filter((b) => b !== e && b.schemaPath.startsWith(`${e.schemaPath}/`));
    if (branches.length > 0 && branches.every((b) => b.keyword === 'type' && b.instancePath === e.instancePath)) {
      for (const b of branches) merged.add(b);
      const types = branches.map((b) => String((b.params as { type?: unknown }).type));
      out.push(`${jsonPointerToPath(e.instancePath)}: must be ${types.join(' or ')}`);
      merged.add(e);
    }
  }
  for (const e of errors) {
    if (merged.has(e)) continue;
    const params = e.params as Record<string, any>;
    switch (e.keyword) {
      case 'additionalProperties':
        out.push(`${joinPath(e.instancePath, String(params.additionalProperty))}: unknown field`);
        break;
      case 'required':
        out.push(`${joinPath(e.instancePath, String(params.missingProperty))}: required field is missing`);
        break;
      case 'enum':
        out.push(`${jsonPointerToPath(e.instancePath)}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
        break;
      case 'if':
        break; // always accompanied by the error of the failing then/else branch
      default:
        out.push(`${jsonPointerToPath(e.instancePath)}: ${e.message ?? `fails ${e.keyword} ${JSON.stringify(params)}`}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading manifests
// ---------------------------------------------------------------------------------------------

/**
 * Every YAML document of every `*.yaml` file under `dir` (recursively, sorted by path), except
 * `kustomization.yaml` files (not cluster objects). `file` is relative to `dir`, with `/`.
 * Empty documents are skipped; invalid YAML throws.
 */
export function loadYamlObjects(dir: string): { file: string; object: any }[] {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`not a directory: ${root}`);
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.yaml') && entry.name !== 'kustomization.yaml') files.push(relative(root, full).split(sep).join('/'));
    }
  };
  walk(root);
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: { file: string; object: any }[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(join(root, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: invalid YAML: ${doc.errors[0]!.message}`);
      const object: unknown = doc.toJS();
      if (object === null || object === undefined) continue;
      out.push({ file, object });
    }
  }
  return out;
}
