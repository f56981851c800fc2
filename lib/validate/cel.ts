/**
 * CEL validation rules (`x-kubernetes-validations`) of the upstream CRDs, evaluated the way the
 * Kubernetes API server does on CREATE: the `cel` check of `npm run validate`, and the CEL tests of
 * `npm test`.
 *
 *   const registry = SchemaRegistry.load();
 *   evaluateCelRules(registry, obj)   // -> [] when every rule passes, else readable errors
 *   compileCelRules(registry, 'gateway.networking.k8s.io/v1', 'Gateway') // every rule, compiled
 *
 * Errors read `<Kind>/<namespace>/<name>: <path>: <message>` (`<Kind>/<name>` for cluster-scoped
 * kinds), where <path> is the concrete field path (`spec.listeners[1].tls`, map keys as
 * `spec.labels[key]`, `(root)` for the object itself) with the rule's `fieldPath` appended, and
 * <message> is, as in apiextensions-apiserver: the evaluated `messageExpression` (trimmed, falling
 * back when it fails or is empty), else `message` (trimmed), else `failed rule: <rule>`.
 * A rule whose evaluation errors reads `<path>: <error> evaluating rule: <message or rule>`
 * (e.g. `no such key: certificateRefs evaluating rule: ...`). A rule that cannot be compiled here,
 * or that uses something this evaluator does not support, reads
 * `<path>: cannot evaluate rule "<rule>": <reason>`: nothing passes vacuously.
 *
 * What the API server does and this does too (apiextensions-apiserver schema/cel/validation.go,
 * apiserver/pkg/cel/common/values.go):
 *  - Defaulting first: `default`s of the schema are applied (recursively, into defaulted values
 *    too) and null values of non-nullable fields are dropped, as on a create request.
 *  - Rules run per schema node, with `self` bound to the value there: once per array item for
 *    `items`, once per map value for `additionalProperties`. Absent and null values are not
 *    validated (nor anything below them).
 *  - Values are typed by the schema: `integer` -> int, `number` -> double (also for whole numbers),
 *    `x-kubernetes-int-or-string` -> int or string, string formats `byte` -> bytes, `date`/`date-time`
 *    -> timestamp, `duration` -> duration. Objects with `properties` are objects whose fields are the
 *    declared properties (null fields are absent; property names are escaped as in Kubernetes:
 *    `namespace` -> `__namespace__`, `a-b` -> `a__dash__b`, ...); objects with
 *    `additionalProperties` are maps with the raw keys. Unknown fields are pruned, except under
 *    `x-kubernetes-preserve-unknown-fields`, where they are kept (untyped: whole numbers are int)
 *    for equality but no rule can name them (an object with no properties has no accessible field).
 *    The root (and every `x-kubernetes-embedded-resource`) exposes apiVersion, kind and only
 *    metadata.name and metadata.generateName.
 *  - Transition rules (rules that reference `oldSelf`) are skipped on create, except those with
 *    `optionalOldSelf: true`, which run with `oldSelf` = optional.none() (`oldSelf.hasValue()` is
 *    false, `oldSelf.orValue(x)` is x, `oldSelf.value()` is an error).
 *  - Compile-time checks that Kubernetes does when the CRD is created are done when a rule is
 *    compiled: unknown variables, unknown functions or overload arities, unknown fields of
 *    declared objects (so a wrong escaping is caught), invalid regular expression literals, and
 *    invalid `fieldPath`s.
 *
 * CEL itself is @bufbuild/cel (parser, macros has/all/exists/exists_one/map/filter, standard
 * library with int/uint/double semantics and overflow checks, heterogeneous numeric equality,
 * timestamps and durations, the cel-go `strings` extension), whose `matches` uses a port of RE2
 * (@bufbuild/re2), so patterns have RE2 syntax and semantics (no translation to JS RegExp). The
 * Kubernetes `isIP` function (netip.ParseAddr, without zones and IPv4-mapped IPv6) is added here.
 *
 * Not done (reported as "cannot evaluate" when a rule needs them): the other Kubernetes CEL
 * libraries (url, ip()/cidr(), quantity, lists, regex find, format, semver, authz, sets), optional
 * syntax (`?.`, `[?`, `optional.*`), two-variable comprehensions, and rules inside `allOf`. Not
 * modelled: the cost budget (rules never stop for cost), order-insensitive equality of
 * `x-kubernetes-list-type: set/map` lists (only matters for `self == oldSelf`, skipped on create)
 * and the `Forbidden:`/`Required value:` prefixes that `reason` adds to the API server's message.
 * Data that does not fit its schema (which SchemaRegistry.validate() also reports) fails the rules
 * that read it, with the API server's `invalid data, ...` error; unlike the API server's error
 * values, such a failure is not absorbed by `||`/`&&` when the other operand decides.
 */
import {
  celEnv,
  celError,
  celFunc,
  celMethod,
  celList,
  celMap,
  CelScalar,
  isCelError,
  objectType,
  parse,
  plan,
  type CelEnv,
  type CelError,
  type CelInput,
  type CelValue,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import type { CelRule, SchemaRegistry } from './schemas.js';

type Json = Record<string, unknown>;
type Schema = Json;
type Expr = ReturnType<typeof parse>['expr'];
type Program = ReturnType<typeof plan>;
type Bindings = Record<string, CelInput | CelError>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/** One rule of a CRD version as compiled here. */
export interface CompiledCelRule {
  /** Same notation as SchemaRegistry.celRules(): `spec.listeners[*]`, `spec.labels.*`, '' for the root. */
  path: string;
  rule: string;
  /** References `oldSelf`: skipped on create unless optionalOldSelf. */
  transition: boolean;
  optionalOldSelf: boolean;
  /** Why the rule cannot be evaluated here (compile error or unsupported feature), if it cannot. */
  error?: string;
}

/**
 * Evaluates every CEL rule of the object's CRD version as the API server does on create.
 * Returns readable errors (see the file comment), [] when every rule passes or the kind is a core
 * kind (which has no CEL rules). An object whose kind has no served CRD version in the registry
 * gets an error (SchemaRegistry.validate() says more).
 */
export function evaluateCelRules(registry: SchemaRegistry, obj: any, observe?: (e: CelRuleOutcome) => void): string[] {
  if (!isObject(obj)) return [`<input>: not an object`];
  const id = describe(obj);
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [`${id}: apiVersion and kind must be strings`];
  const source = registry.lookup(apiVersion, kind);
  if (source.source === 'core') return [];
  const schema = registry.openApiSchema(apiVersion, kind);
  if (!schema) return [`${id}: CEL rules not evaluated: no served CRD version for ${apiVersion} ${kind}`];
  const root = rootSchema(schema);
  if (!subtreeHasRules(root)) return [];

  const defaulted = structuredClone(obj) as Json;
  applyDefaults(defaulted, root);
  const run = new Run(observe);
  validateNode(defaulted, root, [], '', run);
  return run.errors.map((e) => `${id}: ${e}`);
}

/** What happened to one rule at one place, for evaluateCelRules' optional observer. */
export interface CelRuleOutcome {
  /** The rule's place in the schema, as in SchemaRegistry.celRules(): `spec.listeners[*]`. */
  schemaPath: string;
  /** The concrete place: `spec.listeners[1]`. */
  path: string;
  rule: string;
  /**
   * pass / fail (evaluated to false) / error (runtime error, as the API server reports it) /
   * skipped (transition rule on create) / unsupported (cannot be evaluated here).
   */
  outcome: 'pass' | 'fail' | 'error' | 'skipped' | 'unsupported';
  /** The error line (without the object prefix) for fail, error and unsupported: `<field>: <detail>`. */
  message?: string;
  /** The field the error line names (the concrete path, with the rule's fieldPath for fail). */
  field?: string;
  /** The error line without its field. */
  detail?: string;
}

/** Every rule of a served CRD version, compiled (cached), in schema order. [] for unknown kinds. */
export function compileCelRules(registry: SchemaRegistry, apiVersion: string, kind: string): CompiledCelRule[] {
  const schema = registry.openApiSchema(apiVersion, kind);
  if (!schema) return [];
  const out: CompiledCelRule[] = [];
  const walk = (node: Schema, path: string): void => {
    for (const c of compiledRulesOf(node)) {
      const r: CompiledCelRule = { path, rule: c.source.rule, transition: c.usesOldSelf, optionalOldSelf: c.optionalOldSelf };
      if (c.error !== undefined) r.error = c.error;
      out.push(r);
    }
    const props = propertiesOf(node);
    if (props) for (const [name, sub] of Object.entries(props)) walk(sub, path ? `${path}.${name}` : name);
    const items = itemsOf(node);
    if (items) walk(items, `${path}[*]`);
    const addl = additionalPropertiesOf(node);
    if (addl) walk(addl, path ? `${path}.*` : '*');
  };
  walk(rootSchema(schema), '');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Schema helpers
// ---------------------------------------------------------------------------------------------

const STRING_SCHEMA: Schema = { type: 'string' };
const META_SCHEMA: Schema = { type: 'object', properties: { name: STRING_SCHEMA, generateName: STRING_SCHEMA } };

/** The schema with apiVersion, kind and metadata{name, generateName} (model.WithTypeAndObjectMeta). */
const withMetaCache = new WeakMap<Schema, Schema>();
function withTypeAndObjectMeta(s: Schema): Schema {
  let out = withMetaCache.get(s);
  if (!out) {
    const props = isObject(s.properties) ? s.properties : {};
    out = { ...s, type: 'object', properties: { ...props, apiVersion: STRING_SCHEMA, kind: STRING_SCHEMA, metadata: META_SCHEMA } };
    withMetaCache.set(s, out);
    withMetaCache.set(out, out);
  }
  return out;
}

/** The schema of the resource root as CEL sees it. Cached so that compiled rules are shared. */
function rootSchema(s: Schema): Schema {
  return withTypeAndObjectMeta(s);
}

/** The schema of a child node as CEL sees it (embedded resources get type and object meta). */
function childSchema(s: Schema): Schema {
  return s['x-kubernetes-embedded-resource'] === true ? withTypeAndObjectMeta(s) : s;
}

function propertiesOf(s: Schema): Record<string, Schema> | undefined {
  if (!isObject(s.properties)) return undefined;
  const out: Record<string, Schema> = {};
  for (const [k, v] of Object.entries(s.properties)) if (isObject(v)) out[k] = childSchema(v);
  return out;
}

function itemsOf(s: Schema): Schema | undefined {
  return s.type === 'array' && isObject(s.items) ? childSchema(s.items) : undefined;
}

function additionalPropertiesOf(s: Schema): Schema | undefined {
  return isObject(s.additionalProperties) ? childSchema(s.additionalProperties) : undefined;
}

const isIntOrString = (s: Schema): boolean => s['x-kubernetes-int-or-string'] === true;

/** Whether a property of this schema is declared to CEL at all (SchemaDeclType != nil). */
function hasDeclType(s: Schema): boolean {
  if (isIntOrString(s)) return true;
  switch (s.type) {
    case 'array':
      return isObject(s.items) && hasDeclType(childSchema(s.items));
    case 'object':
      if (isObject(s.additionalProperties)) return hasDeclType(childSchema(s.additionalProperties));
      return true;
    case 'string':
    case 'boolean':
    case 'number':
    case 'integer':
      return true;
    default:
      return false;
  }
}

const propIndexCache = new WeakMap<Schema, Map<string, { name: string; schema: Schema }>>();
/** Escaped (CEL) field name -> property, for the properties CEL can see. */
function celFields(s: Schema): Map<string, { name: string; schema: Schema }> {
  let idx = propIndexCache.get(s);
  if (!idx) {
    idx = new Map();
    for (const [name, sub] of Object.entries(propertiesOf(s) ?? {})) {
      const escaped = escapeName(name);
      if (escaped !== undefined && hasDeclType(sub)) idx.set(escaped, { name, schema: sub });
    }
    propIndexCache.set(s, idx);
  }
  return idx;
}

const subtreeCache = new WeakMap<Schema, boolean>();
function subtreeHasRules(s: Schema): boolean {
  let has = subtreeCache.get(s);
  if (has === undefined) {
    subtreeCache.set(s, false); // cycles (none in CRDs) end here
    has =
      (Array.isArray(s['x-kubernetes-validations']) && s['x-kubernetes-validations'].length > 0) ||
      Object.values(propertiesOf(s) ?? {}).some(subtreeHasRules) ||
      [itemsOf(s), additionalPropertiesOf(s)].some((c) => c !== undefined && subtreeHasRules(c)) ||
      hasRulesInAllOf(s);
    subtreeCache.set(s, has);
  }
  return has;
}

function hasRulesInAllOf(s: Schema): boolean {
  return Array.isArray(s.allOf) && JSON.stringify(s.allOf).includes('"x-kubernetes-validations"');
}

// Property name escaping (k8s.io/apiserver/pkg/cel/escaping.go).
const CEL_RESERVED = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if',
  'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while',
]);

export function escapeName(ident: string): string | undefined {
  if (ident === '' || (ident[0]! >= '0' && ident[0]! <= '9')) return undefined;
  if (CEL_RESERVED.has(ident)) return `__${ident}__`;
  let ok = true;
  const out = ident.replace(/(__|[-./]|[^a-zA-Z0-9\-./_])/g, (m) => {
    switch (m) {
      case '__':
        return '__underscores__';
      case '.':
        return '__dot__';
      case '-':
        return '__dash__';
      case '/':
        return '__slash__';
      default:
        ok = false;
        return '';
    }
  });
  return ok ? out : undefined;
}

// ---------------------------------------------------------------------------------------------
// Defaulting (apiextensions-apiserver schema/defaulting, as on a create request)
// ---------------------------------------------------------------------------------------------

function applyDefaults(x: unknown, s: Schema): void {
  if (Array.isArray(x)) {
    const items = itemsOf(s);
    if (items) for (const v of x) applyDefaults(v, items);
    return;
  }
  if (!isObject(x)) return;
  const props = propertiesOf(s);
  if (props) {
    for (const [k, prop] of Object.entries(props)) {
      // Pruning drops null values of non-nullable fields before defaulting.
      if (x[k] === null && prop.nullable !== true) delete x[k];
      if (!(k in x) && prop.default !== undefined) x[k] = structuredClone(prop.default);
    }
  }
  const addl = additionalPropertiesOf(s);
  for (const [k, v] of Object.entries(x)) {
    const sub = props?.[k] ?? addl;
    if (sub) applyDefaults(v, sub);
  }
}

// ---------------------------------------------------------------------------------------------
// JSON -> CEL values (apiserver/pkg/cel/common/values.go UnstructuredToVal)
// ---------------------------------------------------------------------------------------------

/**
 * A value that does not fit its schema. Kubernetes converts it to a CEL error value, so that only
 * the rules that read it fail, with that error. Here it is a placeholder that @bufbuild/cel
 * cannot convert when a rule reads it (toCel throws `Unsupported input ${value}`), which fails
 * that rule's evaluation; the message is recovered from the marker (see celGoError). Unlike a CEL
 * error value, it is not absorbed by `||`/`&&` when the other side decides.
 */
class InvalidData {
  constructor(readonly problem: string) {}
  toString(): string {
    return `${INVALID_MARK}${this.problem}`;
  }
}
const INVALID_MARK = '\u0001invalid-data:';

function goType(v: unknown): string {
  if (v === null) return 'nil';
  if (Array.isArray(v)) return '[]interface {}';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int64' : 'float64';
    case 'object':
      return 'map[string]interface {}';
    default:
      return typeof v;
  }
}

type Converted = CelInput | InvalidData;

class Run {
  readonly errors: string[] = [];
  private readonly cache = new WeakMap<object, WeakMap<Schema, Converted>>();

  constructor(readonly observe?: (e: CelRuleOutcome) => void) {}

  convert(raw: unknown, s: Schema): Converted {
    if (typeof raw !== 'object' || raw === null) return convertUncached(raw, s, this);
    let bySchema = this.cache.get(raw);
    if (!bySchema) this.cache.set(raw, (bySchema = new WeakMap()));
    let c = bySchema.get(s);
    if (c === undefined) bySchema.set(s, (c = convertUncached(raw, s, this)));
    return c;
  }
}

function convertUncached(raw: unknown, s: Schema, run: Run): Converted {
  const bad = (problem: string): InvalidData => new InvalidData(problem);
  if (raw === null || raw === undefined) return s.nullable === true ? null : bad('invalid data, got null for schema with nullable=false');
  if (isIntOrString(s)) {
    if (typeof raw === 'string') return raw;
    if (typeof raw === 'number' && Number.isInteger(raw)) return BigInt(raw);
    return bad('invalid data, expected XIntOrString value to be either a string or integer');
  }
  switch (s.type) {
    case 'object': {
      if (!isObject(raw)) return bad('invalid data, expected a map for the provided schema with type=object');
      const out = new Map<string, Converted>();
      // Unknown fields are pruned by the API server, except where unknown fields are preserved:
      // there they are in the value (for equality), but no rule can name them.
      const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
      if (isObject(s.properties)) {
        const fields = celFields(s);
        for (const [escaped, { name, schema }] of fields) {
          const v = raw[name];
          if (v === undefined || v === null) continue; // null fields of objects are absent
          out.set(escaped, run.convert(v, schema));
        }
        if (preserve) {
          for (const [k, v] of Object.entries(raw)) {
            const escaped = escapeName(k) ?? k;
            if (v !== null && !fields.has(escaped) && !(isObject(s.properties) && k in s.properties)) out.set(escaped, untypedToCel(v));
          }
        }
      } else {
        const addl = additionalPropertiesOf(s);
        if (addl) {
          for (const [k, v] of Object.entries(raw)) out.set(k, run.convert(v, addl));
        } else if (preserve) {
          for (const [k, v] of Object.entries(raw)) out.set(k, untypedToCel(v));
        } else {
          // Also what Kubernetes does for `additionalProperties: true` without a schema.
          return bad('invalid object type, expected either Properties or AdditionalProperties with Allows=true and non-empty Schema');
        }
      }
      return celMap(out as Map<string, CelInput>);
    }
    case 'array': {
      if (!Array.isArray(raw)) return bad('invalid data, expected an array for the provided schema with type=array');
      const items = itemsOf(s);
      if (!items) return bad('invalid array type, expected Items with a non-empty Schema');
      return celList(raw.map((v) => run.convert(v, items)) as CelInput[]);
    }
    case 'string': {
      if (typeof raw !== 'string') return bad(`invalid data, expected string, got ${goType(raw)}`);
      switch (s.format) {
        case 'duration':
          return parseStrfmtDuration(raw) ?? bad(`Invalid duration ${raw}`);
        case 'date':
          return (/^\d{4}-\d{2}-\d{2}$/.test(raw) ? castTo('timestamp', `${raw}T00:00:00Z`) : undefined) ?? bad(`Invalid date formatted string ${raw}`);
        case 'date-time':
          return castTo('timestamp', raw) ?? bad(`Invalid date-time formatted string ${raw}`);
        case 'byte':
          if (raw.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(raw)) return bad(`Invalid byte formatted string ${raw}`);
          return new Uint8Array(Buffer.from(raw, 'base64'));
      }
      return raw;
    }
    case 'number':
      return typeof raw === 'number' ? raw : bad(`invalid data, expected float, got ${goType(raw)}`);
    case 'integer':
      return typeof raw === 'number' && Number.isInteger(raw) ? BigInt(raw) : bad(`invalid data, expected int, got ${goType(raw)}`);
    case 'boolean':
      return typeof raw === 'boolean' ? raw : bad(`invalid data, expected bool, got ${goType(raw)}`);
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === true) return untypedToCel(raw);
  return bad(`invalid type, expected object, array, number, integer, boolean or string, got ${String(s.type)}`);
}

/** Preserved unknown data (not declared to CEL: only compared for equality). */
function untypedToCel(v: unknown): CelInput {
  if (Array.isArray(v)) return celList(v.map(untypedToCel));
  if (isObject(v)) return celMap(new Map(Object.entries(v).map(([k, x]) => [k, untypedToCel(x)])));
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return v as CelInput;
}

/** strfmt.ParseDuration: Go durations, plus `<n><unit>` with units such as d, w, days. */
function parseStrfmtDuration(s: string): CelValue | undefined {
  const direct = castTo('duration', s);
  if (direct !== undefined) return direct;
  const m = /^\s*(\d+)\s*([A-Za-zµ]+)\s*$/.exec(s);
  if (!m) return undefined;
  const seconds: Record<string, number> = {
    ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400, w: 604800,
    nanosecond: 1e-9, nanoseconds: 1e-9, microsecond: 1e-6, microseconds: 1e-6, millisecond: 1e-3, milliseconds: 1e-3,
    sec: 1, secs: 1, second: 1, seconds: 1, min: 60, mins: 60, minute: 60, minutes: 60,
    hr: 3600, hrs: 3600, hour: 3600, hours: 3600, day: 86400, days: 86400, wk: 604800, week: 604800, weeks: 604800,
  };
  const unit = seconds[m[2]!];
  if (unit === undefined) return undefined;
  return castTo('duration', `${Number(m[1]) * unit}s`);
}

// ---------------------------------------------------------------------------------------------
// CEL environment
// ---------------------------------------------------------------------------------------------

/** oldSelf of an optionalOldSelf rule on create: optional.none(). */
const OPTIONAL_NONE = objectType('optional_type(none)');

const { BOOL, DYN, STRING } = CelScalar;

function noSuchOverload(): never {
  throw new Error('no such overload');
}

const k8sFuncs = [
  // Kubernetes IP library: isIP(string) (k8s.io/apiserver/pkg/cel/library/ip.go).
  celFunc('isIP', [STRING], BOOL, (s) => parseK8sIP(s) !== undefined),
  // cel-go also has the global form of matches().
  celFunc('matches', [STRING, STRING], BOOL, (s, re) => {
    const r = runProgram(matchesProgram, { s, re });
    if (isCelError(r)) throw r;
    return r as boolean;
  }),
  // Optional values, only as far as oldSelf = optional.none() of optionalOldSelf rules needs.
  celMethod('hasValue', DYN, [], BOOL, function () {
    return this === OPTIONAL_NONE ? false : noSuchOverload();
  }),
  celMethod('orValue', DYN, [DYN], DYN, function (v) {
    return this === OPTIONAL_NONE ? v : noSuchOverload();
  }),
  celMethod('value', DYN, [], DYN, function () {
    if (this === OPTIONAL_NONE) throw new Error('optional.none() dereference');
    return noSuchOverload();
  }),
];

const env: CelEnv = celEnv({ funcs: [...strings, ...k8sFuncs] });
const matchesProgram = plan(env, parse('s.matches(re)'));
const castPrograms = { timestamp: plan(env, parse('timestamp(x)')), duration: plan(env, parse('duration(x)')) };

function runProgram(p: Program, bindings: Bindings): ReturnType<Program> {
  return (p as (b: Bindings) => ReturnType<Program>)(bindings);
}

function castTo(kind: 'timestamp' | 'duration', x: string): CelValue | undefined {
  const r = runProgram(castPrograms[kind], { x });
  return isCelError(r) ? undefined : r;
}

/** Operators that the planner implements itself (not through the function resolver). */
const PLANNER_SPECIALS = new Set(['_[_]', '_[?_]', '_?._', '_?_:_', '_&&_', '_||_', '@not_strictly_false', '__not_strictly_false__']);
const TYPE_IDENTS = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type']);

// ---------------------------------------------------------------------------------------------
// Compiling rules
// ---------------------------------------------------------------------------------------------

interface CompiledRule {
  source: CelRule;
  program?: Program;
  messageProgram?: Program;
  usesOldSelf: boolean;
  optionalOldSelf: boolean;
  /** Field path segments of `fieldPath` (already formatted: `.name` or `[key]`). */
  fieldPathSuffix: string;
  error?: string;
}

const compiledCache = new WeakMap<Schema, CompiledRule[]>();

function compiledRulesOf(s: Schema): CompiledRule[] {
  let compiled = compiledCache.get(s);
  if (!compiled) {
    compiled = [];
    const raw = s['x-kubernetes-validations'];
    if (Array.isArray(raw)) {
      for (const r of raw) {
        if (!isObject(r)) continue;
        compiled.push(compileRule(toCelRule(r), s));
      }
    }
    if (hasRulesInAllOf(s)) {
      compiled.push({
        source: { path: '', rule: '<x-kubernetes-validations inside allOf>' },
        usesOldSelf: false,
        optionalOldSelf: false,
        fieldPathSuffix: '',
        error: 'x-kubernetes-validations inside allOf are not supported by this evaluator',
      });
    }
    compiledCache.set(s, compiled);
  }
  return compiled;
}

function toCelRule(r: Json): CelRule {
  const rule: CelRule = { path: '', rule: typeof r.rule === 'string' ? r.rule : '' };
  if (typeof r.message === 'string') rule.message = r.message;
  if (typeof r.messageExpression === 'string') rule.messageExpression = r.messageExpression;
  if (typeof r.fieldPath === 'string') rule.fieldPath = r.fieldPath;
  if (typeof r.reason === 'string') rule.reason = r.reason;
  if (typeof r.optionalOldSelf === 'boolean') rule.optionalOldSelf = r.optionalOldSelf;
  return rule;
}

class CompileError extends Error {}

function compileRule(source: CelRule, s: Schema): CompiledRule {
  const out: CompiledRule = { source, usesOldSelf: false, optionalOldSelf: source.optionalOldSelf === true, fieldPathSuffix: '' };
  try {
    if (!source.rule.trim()) throw new CompileError('empty rule');
    const expr = parseOrThrow(source.rule);
    const checker = new StaticChecker(s, out.optionalOldSelf);
    checker.check(expr);
    out.usesOldSelf = checker.usesOldSelf;
    if (out.optionalOldSelf && !out.usesOldSelf) throw new CompileError('optionalOldSelf may only be set on rules that use oldSelf');
    out.program = plan(env, expr);
    if (source.messageExpression !== undefined) {
      const msgExpr = parseOrThrow(source.messageExpression);
      new StaticChecker(s, out.optionalOldSelf).check(msgExpr);
      out.messageProgram = plan(env, msgExpr);
    }
    if (source.fieldPath !== undefined) out.fieldPathSuffix = normalizeFieldPath(source.fieldPath, s);
  } catch (e) {
    out.error = e instanceof Error ? e.message : String(e);
    delete out.program;
  }
  return out;
}

function parseOrThrow(src: string): Expr {
  try {
    return parse(src).expr;
  } catch (e) {
    throw new CompileError(`syntax error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Static type of an expression, as far as the schema tells (anything else is dyn). */
type StaticType = { k: 'schema'; s: Schema } | { k: 'optional' } | { k: 'dyn' };
const DYN_T: StaticType = { k: 'dyn' };

function describeSchemaType(s: Schema): string {
  if (isIntOrString(s)) return 'dyn';
  if (s.type === 'object') return isObject(s.properties) ? 'object' : 'map';
  if (s.type === 'array') return 'list';
  if (s.type === 'integer') return 'int';
  if (s.type === 'number') return 'double';
  if (s.type === 'boolean') return 'bool';
  return String(s.type);
}

/**
 * What the Kubernetes compiler would reject when the CRD is created, as far as it matters for
 * evaluating here: unknown identifiers, functions and arities, fields not in the schema, invalid
 * regular expression literals, unsupported syntax.
 */
class StaticChecker {
  usesOldSelf = false;

  constructor(
    private readonly self: Schema,
    private readonly optionalOldSelf: boolean,
  ) {}

  check(e: Expr): void {
    this.visit(e, new Map());
  }

  private visit(e: Expr, scope: Map<string, StaticType>): StaticType {
    const kind = e.exprKind;
    switch (kind.case) {
      case 'constExpr':
        return DYN_T;
      case 'identExpr': {
        const name = kind.value.name;
        const local = scope.get(name);
        if (local) return local;
        if (name === 'self') return { k: 'schema', s: this.self };
        if (name === 'oldSelf') {
          this.usesOldSelf = true;
          return this.optionalOldSelf ? { k: 'optional' } : { k: 'schema', s: this.self };
        }
        if (TYPE_IDENTS.has(name)) return DYN_T;
        throw new CompileError(`undeclared reference to '${name}'`);
      }
      case 'selectExpr': {
        const { operand, field } = kind.value;
        if (!operand) throw new CompileError('select without operand');
        return this.select(this.visit(operand, scope), field);
      }
      case 'callExpr': {
        const call = kind.value;
        const target = call.target ? this.visit(call.target, scope) : undefined;
        const args = call.args.map((a) => this.visit(a, scope));
        if (call.function === '_?._' || call.function === '_[?_]') throw new CompileError('optional field selection is not supported by this evaluator');
        if (call.function === '_[_]') return this.index(args[0]!);
        if (PLANNER_SPECIALS.has(call.function)) return DYN_T;
        this.checkFunction(call.function, call.target !== undefined, call.args.length, target);
        if (call.function === 'matches') {
          const pattern = call.args.at(-1)?.exprKind;
          if (pattern?.case === 'constExpr' && pattern.value.constantKind.case === 'stringValue') {
            const r = runProgram(matchesProgram, { s: '', re: pattern.value.constantKind.value });
            if (isCelError(r)) throw new CompileError(`invalid regular expression: ${r.message}`);
          }
        }
        return DYN_T;
      }
      case 'listExpr':
        if (kind.value.optionalIndices.length > 0) throw new CompileError('optional list elements are not supported by this evaluator');
        for (const el of kind.value.elements) this.visit(el, scope);
        return DYN_T;
      case 'structExpr':
        if (kind.value.messageName) throw new CompileError(`message construction (${kind.value.messageName}) is not supported`);
        for (const entry of kind.value.entries) {
          if (entry.optionalEntry) throw new CompileError('optional map entries are not supported by this evaluator');
          if (entry.keyKind.case === 'mapKey') this.visit(entry.keyKind.value, scope);
          if (entry.value) this.visit(entry.value, scope);
        }
        return DYN_T;
      case 'comprehensionExpr': {
        const c = kind.value;
        if (c.iterVar2) throw new CompileError('two-variable comprehensions are not supported by this evaluator');
        const range = c.iterRange ? this.visit(c.iterRange, scope) : DYN_T;
        let elem: StaticType = DYN_T;
        if (range.k === 'schema') {
          const items = itemsOf(range.s);
          if (items) elem = { k: 'schema', s: items };
          else if (range.s.type === 'object') elem = DYN_T; // map keys (strings)
          else throw new CompileError(`expression of type '${describeSchemaType(range.s)}' cannot be the range of a comprehension`);
        } else if (range.k === 'optional') {
          throw new CompileError(`expression of type 'optional_type' cannot be the range of a comprehension`);
        }
        const accuScope = new Map(scope).set(c.accuVar, DYN_T);
        if (c.accuInit) this.visit(c.accuInit, scope);
        const loopScope = new Map(accuScope).set(c.iterVar, elem);
        if (c.loopCondition) this.visit(c.loopCondition, loopScope);
        if (c.loopStep) this.visit(c.loopStep, loopScope);
        if (c.result) this.visit(c.result, accuScope);
        return DYN_T;
      }
      default:
        throw new CompileError(`unsupported expression kind ${String(kind.case)}`);
    }
  }

  private select(t: StaticType, field: string): StaticType {
    if (t.k === 'optional') throw new CompileError(`type 'optional_type' does not support field selection (use oldSelf.value() or oldSelf.orValue())`);
    if (t.k === 'dyn') return DYN_T;
    const s = t.s;
    if (isIntOrString(s)) return DYN_T;
    if (s.type !== 'object') throw new CompileError(`type '${describeSchemaType(s)}' does not support field selection`);
    if (isObject(s.properties)) {
      const f = celFields(s).get(field);
      if (!f) throw new CompileError(`undefined field '${field}'`);
      return { k: 'schema', s: f.schema };
    }
    const addl = additionalPropertiesOf(s);
    if (addl) return { k: 'schema', s: addl };
    throw new CompileError(`undefined field '${field}'`);
  }

  private index(t: StaticType): StaticType {
    if (t.k !== 'schema') return DYN_T;
    const items = itemsOf(t.s);
    if (items) return { k: 'schema', s: items };
    if (t.s.type === 'object' && !isObject(t.s.properties)) {
      const addl = additionalPropertiesOf(t.s);
      if (addl) return { k: 'schema', s: addl };
    }
    return DYN_T;
  }

  private checkFunction(name: string, hasTarget: boolean, arity: number, target: StaticType | undefined): void {
    const group = env.funcs.find(name);
    if (!group) throw new CompileError(`undeclared reference to '${name}' (function not supported by this evaluator)`);
    let found = false;
    for (const f of group) if ((f.target !== undefined) === hasTarget && f.arguments.length === arity) found = true;
    if (!found) {
      throw new CompileError(`found no matching overload for '${name}' as a ${hasTarget ? 'method' : 'function'} with ${arity} argument(s)`);
    }
    const optionalMethod = name === 'hasValue' || name === 'orValue' || name === 'value';
    if (optionalMethod && target?.k !== 'optional') throw new CompileError(`found no matching overload for '${name}' (only on optional values)`);
  }
}

/**
 * A rule's fieldPath (`.a.b`, `['key']`), checked against the schema like ValidFieldPath, as
 * field.Path segments: `.name` for properties, `[key]` for map keys.
 */
function normalizeFieldPath(fieldPath: string, s: Schema): string {
  const tokens = fieldPath.match(/'(?:[^'\\]|\\.)*'|[.[\]]|[^.[\]']+/g) ?? [];
  let out = '';
  let node = s;
  const step = (name: string): void => {
    const props = propertiesOf(node);
    if (props) {
      const sub = props[name];
      if (!sub) throw new CompileError(`fieldPath ${JSON.stringify(fieldPath)} does not refer to a valid field`);
      out += `.${name}`;
      node = sub;
      return;
    }
    const addl = additionalPropertiesOf(node);
    if (!addl) throw new CompileError(`fieldPath ${JSON.stringify(fieldPath)} does not refer to a valid field`);
    out += `[${name}]`;
    node = addl;
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok === '.') {
      const name = tokens[++i];
      if (name === undefined || name === '.' || name === '[' || name === ']') throw new CompileError(`invalid fieldPath ${JSON.stringify(fieldPath)}`);
      step(name);
    } else if (tok === '[') {
      const quoted = tokens[++i];
      if (!quoted || !quoted.startsWith("'") || tokens[++i] !== ']') throw new CompileError(`invalid fieldPath ${JSON.stringify(fieldPath)}`);
      step(quoted.slice(1, -1).replace(/\\(.)/g, '$1'));
    } else {
      throw new CompileError(`invalid fieldPath ${JSON.stringify(fieldPath)}: expected [ or . but got ${tok}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Validation walk (apiextensions-apiserver schema/cel/validation.go)
// ---------------------------------------------------------------------------------------------

function fieldSegment(name: string): string {
  return `.${name}`;
}

function formatPath(segments: string[]): string {
  const p = segments.join('');
  if (p === '') return '(root)';
  return p.startsWith('.') ? p.slice(1) : p;
}

function validateNode(raw: unknown, s: Schema, path: string[], schemaPath: string, run: Run): void {
  if (raw === null || raw === undefined) return; // only non-null values are validated
  if (!subtreeHasRules(s)) return;
  const rules = compiledRulesOf(s);
  if (rules.length > 0) evaluateRules(raw, s, rules, path, schemaPath, run);

  if (Array.isArray(raw)) {
    const items = itemsOf(s);
    if (items && subtreeHasRules(items)) raw.forEach((v, i) => validateNode(v, items, [...path, `[${i}]`], `${schemaPath}[*]`, run));
    return;
  }
  if (!isObject(raw)) return;
  const addl = additionalPropertiesOf(s);
  if (addl && subtreeHasRules(addl)) {
    const sp = schemaPath ? `${schemaPath}.*` : '*';
    for (const [k, v] of Object.entries(raw)) validateNode(v, addl, [...path, `[${k}]`], sp, run);
  }
  const props = propertiesOf(s);
  if (props) {
    for (const [k, v] of Object.entries(raw)) {
      const sub = props[k];
      // Fields whose type CEL cannot declare are omitted from CEL validation entirely.
      if (sub && hasDeclType(sub) && subtreeHasRules(sub)) {
        validateNode(v, sub, [...path, fieldSegment(k)], schemaPath ? `${schemaPath}.${k}` : k, run);
      }
    }
  }
}

function ruleErrorString(rule: CelRule): string {
  return rule.message ? rule.message.trim() : rule.rule.trim();
}

function ruleMessageOrDefault(rule: CelRule): string {
  return rule.message ? rule.message.trim() : `failed rule: ${ruleErrorString(rule)}`;
}

/** cel-go's wording for the errors the API server puts in its messages. */
function celGoError(message: string): string {
  const invalidAt = message.indexOf(INVALID_MARK);
  if (invalidAt >= 0) return message.slice(invalidAt + INVALID_MARK.length);
  return message
    .replace(/^field not found: /, 'no such key: ')
    .replace(/^index (-?\d+) out of bounds \[0, -?\d+\)$/, 'index out of bounds: $1');
}

function evaluateRules(raw: unknown, s: Schema, rules: CompiledRule[], path: string[], schemaPath: string, run: Run): void {
  const at = formatPath(path);
  let self: CelInput | CelError | undefined;
  for (const c of rules) {
    const rule = c.source;
    const report = (outcome: CelRuleOutcome['outcome'], field?: string, detail?: string): void => {
      const message = field === undefined ? undefined : `${field}: ${detail}`;
      if (message !== undefined) run.errors.push(message);
      if (run.observe) {
        const e: CelRuleOutcome = { schemaPath, path: at, rule: rule.rule, outcome };
        if (message !== undefined) Object.assign(e, { message, field, detail });
        run.observe(e);
      }
    };
    // Transition rules only run when there is an old object, except optionalOldSelf ones.
    if (c.usesOldSelf && !c.optionalOldSelf && c.error === undefined) {
      report('skipped');
      continue;
    }
    if (c.error !== undefined || !c.program) {
      report('unsupported', at, `cannot evaluate rule ${JSON.stringify(rule.rule)}: ${c.error ?? 'not compiled'}`);
      continue;
    }
    if (self === undefined) {
      const v = run.convert(raw, s);
      self = v instanceof InvalidData ? celError(v.problem) : v;
    }
    const bindings: Bindings = c.optionalOldSelf ? { self, oldSelf: OPTIONAL_NONE } : { self };
    const result = runProgram(c.program, bindings);
    if (isCelError(result)) {
      const msg = celGoError(result.message);
      if (/^(no such overload|found no matching overload)/.test(msg)) {
        report('error', at, `'${msg}': call arguments did not match a supported operator, function or macro signature for rule: ${ruleErrorString(rule)}`);
      } else {
        report('error', at, `${msg} evaluating rule: ${ruleErrorString(rule)}`);
      }
      continue;
    }
    if (result === true) {
      report('pass');
      continue;
    }
    if (typeof result !== 'boolean') {
      report('unsupported', at, `cannot evaluate rule ${JSON.stringify(rule.rule)}: it evaluated to a non-bool value`);
      continue;
    }
    let detail: string | undefined;
    if (c.messageProgram) {
      const m = runProgram(c.messageProgram, bindings);
      if (typeof m === 'string') {
        const trimmed = m.trim();
        if (trimmed && !trimmed.includes('\n') && trimmed.length <= 5 * 1024) detail = trimmed;
      }
    }
    report('fail', formatPath([...path, c.fieldPathSuffix]), detail ?? ruleMessageOrDefault(rule));
  }
}

// ---------------------------------------------------------------------------------------------
// Kubernetes isIP: netip.ParseAddr, without zones and IPv4-mapped IPv6 addresses
// ---------------------------------------------------------------------------------------------

function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function parseIPv6(input: string): { bytes: number[]; zone: string } | undefined {
  let s = input;
  let zone = '';
  const pct = s.indexOf('%');
  if (pct >= 0) {
    zone = s.slice(pct + 1);
    s = s.slice(0, pct);
    if (zone === '') return undefined;
  }
  const bytes = new Array<number>(16).fill(0);
  let ellipsis = -1;
  let i = 0;
  if (s.startsWith('::')) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === '') return { bytes, zone };
  }
  while (i < 16) {
    const m = /^[0-9a-fA-F]*/.exec(s)![0];
    if (m.length === 0 || m.length > 4) {
      // An embedded IPv4 address starts with decimal digits and contains a dot.
      if (!(m.length > 0 && s.length > m.length && s[m.length] === '.')) return undefined;
    }
    if (s.length > m.length && s[m.length] === '.') {
      if (ellipsis < 0 && i !== 12) return undefined;
      if (i + 4 > 16) return undefined;
      const v4 = parseIPv4(s);
      if (!v4) return undefined;
      bytes.splice(i, 4, ...v4);
      i += 4;
      s = '';
      break;
    }
    const v = parseInt(m, 16);
    bytes[i] = v >> 8;
    bytes[i + 1] = v & 0xff;
    i += 2;
    s = s.slice(m.length);
    if (s === '') break;
    if (s[0] !== ':' || s.length === 1) return undefined;
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) return undefined;
      ellipsis = i;
      s = s.slice(1);
      if (s === '') break;
    }
  }
  if (s !== '') return undefined;
  if (i < 16) {
    if (ellipsis < 0) return undefined;
    const n = 16 - i;
    const tail = bytes.slice(ellipsis, i);
    for (let j = ellipsis; j < 16; j++) bytes[j] = 0;
    for (let j = 0; j < tail.length; j++) bytes[ellipsis + n + j] = tail[j]!;
  } else if (ellipsis >= 0) {
    return undefined; // "::" must expand to at least one field of zeros
  }
  return { bytes, zone };
}

/** The bytes of an IP address as k8s' CEL IP library accepts it, or undefined. */
export function parseK8sIP(s: string): number[] | undefined {
  for (const ch of s) {
    if (ch === '.') return parseIPv4(s);
    if (ch === ':') {
      const v6 = parseIPv6(s);
      if (!v6 || v6.zone !== '') return undefined;
      const b = v6.bytes;
      const is4In6 = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
      return is4In6 ? undefined : b;
    }
    if (ch === '%') return undefined;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Misc
// ---------------------------------------------------------------------------------------------

function describe(obj: Json): string {
  const kind = typeof obj.kind === 'string' && obj.kind ? obj.kind : '<no kind>';
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const name = typeof meta.name === 'string' && meta.name ? meta.name : '<no name>';
  return typeof meta.namespace === 'string' && meta.namespace ? `${kind}/${meta.namespace}/${name}` : `${kind}/${name}`;
}
