/**
 * Security policies over the synthesized output: what every workload in `dist/` and every resource
 * in `cdktf.out/` must satisfy, whatever produced it.
 *
 * Each rule is a pure function from {@link ValidationInput} to findings, with a stable id (`K8S-001`,
 * `TF-004`) that suppressions name (`validation.suppressions` in the configuration). Rules read the
 * output, never the configuration: a chart value or an escape hatch that breaks a policy is caught
 * the same way as a construct that does.
 *
 * Paths in findings follow the configuration's convention (`spec.template.spec.containers[0].image`,
 * keys that are not identifiers in brackets: `data["backup.sh"]`). For Terraform, the object is the
 * resource address (`aws_kms_key.unseal`, `data.aws_iam_policy_document.trust`) and the path starts
 * inside the resource; a path into a policy JSON string continues into the parsed document
 * (`policy.Statement[0].Action[1]`).
 *
 * A value a rule cannot prove compliant (a Terraform expression such as `${var.tokens}` where a
 * literal is expected) is reported: a policy passes on evidence, not on absence of it.
 */

import { posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { formatPath, type PathSegment, showValue } from '../config/errors.js';
import { parseGoDuration } from '../util/validators.js';
import { type Finding, type ManifestObject, objectId, type TerraformStackFile, type ValidationInput } from './findings.js';

/** One policy: an id that never changes meaning, what it demands, why, and its check. */
export interface PolicyRule {
  /** `K8S-nnn` or `TF-nnn`; never reused for another rule once published. */
  readonly id: string;
  readonly target: 'kubernetes' | 'terraform';
  /** What the rule demands, a few words. */
  readonly title: string;
  /** Why, in one line. */
  readonly rationale: string;
  /** Every breach in `input`, each a finding with `rule: id` and severity `error` (`warning` where the rule says so). */
  check(input: ValidationInput): Finding[];
}

/**
 * A breach the team accepts, as written in `validation.suppressions` of the configuration.
 *
 * Suppressions name a rule id (never a message or a path, which change with the output), with a
 * reason; `object` narrows one to a single object.
 */
export interface PolicySuppression {
  readonly rule: string;
  readonly reason: string;
  /** Only this object: `Kind namespace/name` (as {@link objectId} writes it) or a Terraform address. */
  readonly object?: string;
}

/** Options of {@link checkPolicies}. */
export interface CheckPoliciesOptions {
  /**
   * The configuration file the suppressions come from, the `file` of findings about them.
   * @default 'config/platform.yaml'
   */
  readonly configFile?: string;
}

/** `rule` of the findings about suppressions themselves (unknown rule id, stale suppression). */
export const SUPPRESSION_FINDING_RULE = 'suppression';

/**
 * Actions that may be allowed on `Resource: "*"` (TF-009): AWS defines no resource type for them,
 * so no ARN can scope them. Kept to what this platform needs; an action added here must have "no
 * resource types" in the Service Authorization Reference.
 *
 * - `route53:ListHostedZonesByName`: cert-manager's Route53 solver looks the zone up by name when
 *   `hostedZoneID` is not configured;
 * - `ec2:DescribeInstances`: Vault's Raft `retry_join` with `auto_join = "provider=aws …"` finds its
 *   peers by tag;
 * - `sts:GetCallerIdentity`: needs no permission at all, but policies often list it.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */
export const ACTIONS_WITHOUT_RESOURCE_TYPES: readonly string[] = [
  'ec2:DescribeInstances',
  'route53:ListHostedZonesByName',
  'sts:GetCallerIdentity',
];

/**
 * Highest IMDS hop limit accepted (TF-001): with 1, the metadata response cannot cross the extra hop
 * of a container's network namespace, so containers on the instance cannot take its role.
 */
export const IMDS_HOP_LIMIT_MAX = 1;

/** Kinds whose pod template the Kubernetes rules check, with the API group and where the template is. */
const WORKLOADS: Readonly<Record<string, { readonly group: string; readonly podSpec: Path }>> = {
  Pod: { group: '', podSpec: ['spec'] },
  Deployment: { group: 'apps', podSpec: ['spec', 'template', 'spec'] },
  StatefulSet: { group: 'apps', podSpec: ['spec', 'template', 'spec'] },
  DaemonSet: { group: 'apps', podSpec: ['spec', 'template', 'spec'] },
  ReplicaSet: { group: 'apps', podSpec: ['spec', 'template', 'spec'] },
  Job: { group: 'batch', podSpec: ['spec', 'template', 'spec'] },
  CronJob: { group: 'batch', podSpec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'] },
};

/** Seccomp profile types accepted (K8S-008), as the `restricted` Pod Security Standard does. */
const SECCOMP_TYPES = ['RuntimeDefault', 'Localhost'];

/** Environment variables that turn off verification of Vault's certificate, whatever their value (K8S-009). */
const SKIP_VERIFY_ENV = ['VAULT_SKIP_VERIFY', 'BAO_SKIP_VERIFY'];

/**
 * Command-line flags that turn off TLS verification (K8S-009), without their dashes: Go tools take
 * one or two (`-tls-skip-verify` of the Vault CLI), so both are matched. `curl -k` is matched apart,
 * `-k` meaning something else to other tools.
 */
const SKIP_VERIFY_FLAGS = [
  'insecure', 'insecure-skip-tls-verify', 'insecure-skip-verify', 'no-check-certificate', 'no-verify-ssl', 'skip-tls-verify',
  'tls-skip-verify',
];

/**
 * Setting names that turn off TLS verification when true (K8S-009), compared in lowercase without
 * `_` and `-`: cert-manager's `skipTLSVerify`, Go's `insecureSkipVerify`, Vault agent's
 * `tls_skip_verify`.
 */
const SKIP_VERIFY_SETTINGS = ['insecureskiptlsverify', 'insecureskipverify', 'skiptlsverify', 'tlsskipverify'];

/** The same settings written in a file held as text (HCL or YAML in a ConfigMap, a script). */
const SKIP_VERIFY_SETTING_IN_TEXT
  = /\b(tls_skip_verify|insecure_skip_verify|skip_tls_verify|insecureSkipVerify|insecureSkipTLSVerify|skipTLSVerify|tlsSkipVerify)\b["']?\s*[:=]\s*["']?(true|1)\b/i;

/** What to do instead of skipping verification, ending the K8S-009 messages. */
const VERIFY_INSTEAD = 'expected the server verified against its CA '
  + '(the private root is in the ConfigMap "private-ca", key ca.crt, of namespaces labelled for it)';

/** Encryption algorithms accepted for S3 default encryption (TF-004). */
const S3_KMS_ALGORITHMS = ['aws:kms', 'aws:kms:dsse'];

/** The four flags of an S3 public access block (TF-005), all required true. */
const PUBLIC_ACCESS_BLOCK_FLAGS = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];

/** Secrets looked for in user data (TF-010), each with how it is named in messages; values are never shown. */
const USER_DATA_SECRETS: ReadonlyArray<{ readonly what: string; readonly pattern: RegExp }> = [
  { what: 'a PEM private key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/ },
  { what: 'a Vault token (VAULT_TOKEN=)', pattern: /\b(VAULT|BAO)_TOKEN\s*=/ },
  { what: 'a Vault token (hvs.…)', pattern: /\bhv[sbr]\.[A-Za-z0-9_-]{20,}/ },
  { what: 'an AWS access key id', pattern: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/ },
  { what: 'an AWS secret access key', pattern: /\baws_secret_access_key\b["']?\s*[=:]/i },
];

// ---------------------------------------------------------------------------------------------
// Shared helpers

type Path = readonly PathSegment[];

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value for a message: `not set` when absent, otherwise as configuration messages show it. */
function show(value: unknown): string {
  return value === undefined ? 'not set' : showValue(value);
}

/** Terraform and YAML booleans may arrive as strings (`encrypted = "true"` is valid HCL). */
function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

function isFalse(value: unknown): boolean {
  return value === false || value === 'false';
}

function finding(rule: string, file: string, object: string, path: Path | undefined, message: string): Finding {
  return path === undefined
    ? { rule, severity: 'error', file, object, message }
    : { rule, severity: 'error', file, object, path: formatPath(path), message };
}

/** The 1-based line of `index` in `text`, or `undefined` for a one-line text. */
function lineNumber(text: string, index: number): number | undefined {
  return text.includes('\n') ? text.slice(0, index).split('\n').length : undefined;
}

/** ` (line 3)` for messages about multi-line text; empty for a one-line text. */
function lineOf(text: string, index: number): string {
  const line = lineNumber(text, index);
  return line === undefined ? '' : ` (line ${line})`;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes: pod templates and their containers

interface PodSpecAt {
  readonly manifest: ManifestObject;
  readonly object: string;
  readonly spec: any;
  readonly path: Path;
}

interface ContainerAt {
  readonly pod: PodSpecAt;
  readonly container: any;
  readonly path: Path;
  /** `container "app"` or `init container "wait"`, for messages. */
  readonly who: string;
}

function apiGroup(apiVersion: unknown): string | undefined {
  if (typeof apiVersion !== 'string') {
    return undefined;
  }
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

/** The pod spec of every workload of {@link WORKLOADS}, matched on kind and API group (a CRD may reuse a kind). */
function podSpecs(input: ValidationInput): PodSpecAt[] {
  const pods: PodSpecAt[] = [];
  for (const manifest of input.manifests) {
    const workload = WORKLOADS[manifest.object?.kind];
    if (workload === undefined || apiGroup(manifest.object?.apiVersion) !== workload.group) {
      continue;
    }
    let spec: any = manifest.object;
    for (const key of workload.podSpec) {
      spec = isObject(spec) ? spec[key] : undefined;
    }
    if (isObject(spec)) {
      pods.push({ manifest, object: objectId(manifest.object), spec, path: workload.podSpec });
    }
  }
  return pods;
}

function containersOf(pod: PodSpecAt): ContainerAt[] {
  const found: ContainerAt[] = [];
  for (const [key, kind] of [['containers', 'container'], ['initContainers', 'init container']] as const) {
    const list: unknown = pod.spec[key];
    if (!Array.isArray(list)) {
      continue;
    }
    list.forEach((container: unknown, index) => {
      if (isObject(container)) {
        const name = typeof container.name === 'string' ? container.name : `#${index}`;
        found.push({ pod, container, path: [...pod.path, key, index], who: `${kind} ${JSON.stringify(name)}` });
      }
    });
  }
  return found;
}

function eachContainer(input: ValidationInput, check: (container: ContainerAt) => Finding[]): Finding[] {
  return podSpecs(input).flatMap((pod) => containersOf(pod).flatMap(check));
}

function securityContextOf(owner: any): Record<string, any> {
  return isObject(owner?.securityContext) ? owner.securityContext : {};
}

/**
 * The value of a security setting that exists on the pod and on the container, the container's
 * winning, with the path where it is set (or, when set nowhere, the container's path to set it).
 */
function effective(c: ContainerAt, key: string): { readonly value: unknown; readonly path: Path; readonly fromPod: boolean } {
  const own = securityContextOf(c.container)[key];
  if (own !== undefined) {
    return { value: own, path: [...c.path, 'securityContext', key], fromPod: false };
  }
  const pod = securityContextOf(c.pod.spec)[key];
  if (pod !== undefined) {
    return { value: pod, path: [...c.pod.path, 'securityContext', key], fromPod: true };
  }
  return { value: undefined, path: [...c.path, 'securityContext', key], fromPod: false };
}

const k8sFinding = (rule: string, c: { readonly pod: PodSpecAt } | PodSpecAt, path: Path, message: string): Finding => {
  const pod = 'pod' in c ? c.pod : c;
  return finding(rule, pod.manifest.file, pod.object, path, message);
};

function checkRunAsNonRoot(c: ContainerAt): Finding[] {
  const found: Finding[] = [];
  const nonRoot = effective(c, 'runAsNonRoot');
  if (nonRoot.value !== true) {
    const where = nonRoot.value === undefined
      ? 'runAsNonRoot is set neither on the container nor on the pod'
      : `${nonRoot.fromPod ? 'the pod\'s' : 'its'} securityContext.runAsNonRoot is ${show(nonRoot.value)}`;
    found.push(k8sFinding('K8S-001', c, nonRoot.path, `${c.who} may run as root: ${where}; `
      + 'expected true (on the pod or the container), so that the kubelet refuses to start it as root'));
  }
  const user = effective(c, 'runAsUser');
  if (user.value === 0 || user.value === '0') {
    found.push(k8sFinding('K8S-001', c, user.path, `${c.who} runs as root: ${user.fromPod ? 'the pod\'s' : 'its'} `
      + 'securityContext.runAsUser is 0; expected a non-zero user id'));
  }
  return found;
}

function checkReadOnlyRoot(c: ContainerAt): Finding[] {
  const value = securityContextOf(c.container).readOnlyRootFilesystem;
  if (value === true) {
    return [];
  }
  return [k8sFinding('K8S-002', c, [...c.path, 'securityContext', 'readOnlyRootFilesystem'],
    `${c.who} has a writable root filesystem: readOnlyRootFilesystem is ${show(value)}; `
      + 'expected true, with an emptyDir mounted where it must write')];
}

function checkCapabilities(c: ContainerAt): Finding[] {
  const found: Finding[] = [];
  const capabilities = securityContextOf(c.container).capabilities;
  const path: Path = [...c.path, 'securityContext', 'capabilities'];
  const drop: unknown = isObject(capabilities) ? capabilities.drop : undefined;
  if (!Array.isArray(drop) || !drop.includes('ALL')) {
    const hint = Array.isArray(drop) && drop.some((item) => typeof item === 'string' && item.toUpperCase() === 'ALL')
      ? ' (write "ALL" in uppercase, as the Pod Security Standard checks it)'
      : '';
    found.push(k8sFinding('K8S-003', c, [...path, 'drop'],
      `${c.who} keeps the runtime's default capabilities: capabilities.drop is ${show(drop)}; expected ["ALL"]${hint}`));
  }
  const add: unknown = isObject(capabilities) ? capabilities.add : undefined;
  if (Array.isArray(add)) {
    add.forEach((capability: unknown, index) => {
      found.push(k8sFinding('K8S-003', c, [...path, 'add', index],
        `${c.who} adds the capability ${show(capability)}; expected none added `
          + '(a non-root process needs none, and ports below 1024 are served through a Service)'));
    });
  }
  return found;
}

function checkPrivilege(c: ContainerAt): Finding[] {
  const found: Finding[] = [];
  const context = securityContextOf(c.container);
  if (context.allowPrivilegeEscalation !== false) {
    found.push(k8sFinding('K8S-004', c, [...c.path, 'securityContext', 'allowPrivilegeEscalation'],
      `${c.who} may gain privileges through setuid binaries: allowPrivilegeEscalation is `
        + `${show(context.allowPrivilegeEscalation)} (the default is true); expected false`));
  }
  if (isTrue(context.privileged)) {
    found.push(k8sFinding('K8S-004', c, [...c.path, 'securityContext', 'privileged'],
      `${c.who} is privileged, root on the node: privileged is ${show(context.privileged)}; expected false or unset`));
  }
  return found;
}

function checkResources(c: ContainerAt): Finding[] {
  const resources = isObject(c.container.resources) ? c.container.resources : {};
  const missing: string[] = [];
  for (const kind of ['requests', 'limits']) {
    for (const resource of ['cpu', 'memory']) {
      const value = isObject(resources[kind]) ? resources[kind][resource] : undefined;
      if (value === undefined || value === null || value === '') {
        missing.push(`${kind}.${resource}`);
      }
    }
  }
  if (missing.length === 0) {
    return [];
  }
  return [k8sFinding('K8S-005', c, [...c.path, 'resources'],
    `${c.who} sets no ${missing.join(', ')}; expected cpu and memory requests and limits`)];
}

function checkHostAccess(pod: PodSpecAt): Finding[] {
  const found: Finding[] = [];
  const namespaces: ReadonlyArray<readonly [string, string]> = [
    ['hostNetwork', 'network namespace'], ['hostPID', 'process namespace'], ['hostIPC', 'IPC namespace'],
  ];
  for (const [key, what] of namespaces) {
    if (isTrue(pod.spec[key])) {
      found.push(k8sFinding('K8S-006', pod, [...pod.path, key], `the pod shares the node's ${what}: ${key} is true; expected false or unset`));
    }
  }
  const volumes: unknown = pod.spec.volumes;
  if (Array.isArray(volumes)) {
    volumes.forEach((volume: unknown, index) => {
      if (isObject(volume) && volume.hostPath !== undefined) {
        const name = show(volume.name);
        const hostPath = isObject(volume.hostPath) ? show(volume.hostPath.path) : show(volume.hostPath);
        found.push(k8sFinding('K8S-006', pod, [...pod.path, 'volumes', index, 'hostPath'],
          `volume ${name} mounts the node's path ${hostPath}; expected no hostPath volume (an emptyDir, a ConfigMap, a Secret or a CSI volume)`));
      }
    });
  }
  for (const c of containersOf(pod)) {
    const ports: unknown = c.container.ports;
    if (!Array.isArray(ports)) {
      continue;
    }
    ports.forEach((port: unknown, index) => {
      if (isObject(port) && port.hostPort !== undefined && port.hostPort !== 0) {
        found.push(k8sFinding('K8S-006', c, [...c.path, 'ports', index, 'hostPort'],
          `${c.who} binds the node's port ${show(port.hostPort)}; expected no hostPort (expose it through a Service)`));
      }
    });
  }
  return found;
}

/** Why `image` is not pinned, or `undefined` when it is (a tag other than `latest`, or a sha256 digest). */
function unpinned(image: unknown): string | undefined {
  if (typeof image !== 'string' || image.trim() === '') {
    return `has no image (${show(image)})`;
  }
  const at = image.indexOf('@');
  if (at >= 0) {
    return /^sha256:[0-9a-f]{64}$/.test(image.slice(at + 1))
      ? undefined
      : `uses the image ${show(image)}, whose digest is not "sha256:" and 64 lowercase hex digits`;
  }
  // A ':' before the last '/' is a registry port, not a tag.
  const colon = image.indexOf(':', image.lastIndexOf('/') + 1);
  const tag = colon < 0 ? undefined : image.slice(colon + 1);
  if (tag === undefined) {
    return `uses the image ${show(image)}, which has no tag and so floats with "latest"`;
  }
  if (tag === '') {
    return `uses the image ${show(image)}, whose tag is empty`;
  }
  return tag.toLowerCase() === 'latest' ? `uses the image ${show(image)}, which floats with each push` : undefined;
}

function checkImage(c: ContainerAt): Finding[] {
  const problem = unpinned(c.container.image);
  return problem === undefined ? [] : [k8sFinding('K8S-007', c, [...c.path, 'image'],
    `${c.who} ${problem}; expected a tag other than "latest", or a digest "@sha256:…"`)];
}

function checkSeccomp(c: ContainerAt): Finding[] {
  const profile = effective(c, 'seccompProfile');
  const type: unknown = isObject(profile.value) ? profile.value.type : undefined;
  if (typeof type === 'string' && SECCOMP_TYPES.includes(type)) {
    return [];
  }
  const where = profile.value === undefined
    ? 'it has no seccomp profile, set neither on the container nor on the pod (the kubelet then runs it Unconfined)'
    : `${profile.fromPod ? 'the pod\'s' : 'its'} seccompProfile.type is ${show(type)}`;
  return [k8sFinding('K8S-008', c, [...profile.path, 'type'],
    `${c.who} may make any system call: ${where}; expected "RuntimeDefault" or "Localhost"`)];
}

// ---------------------------------------------------------------------------------------------
// Kubernetes: TLS verification (K8S-009), over every object

interface TextAt {
  readonly text: string;
  readonly path: Path;
}

/** The flag `word` is, when it turns off TLS verification (`--insecure`, `-tls-skip-verify=true`; not `=false`). */
function skipFlag(word: string): boolean {
  const match = /^--?([a-z][a-z0-9-]*)(?:=(.*))?$/i.exec(word);
  return match !== null && SKIP_VERIFY_FLAGS.includes(match[1]!.toLowerCase())
    && !(match[2] !== undefined && /^(false|0|no)$/i.test(match[2]));
}

/**
 * Scans strings for ways to skip TLS verification: one argv when `texts` are the elements of a
 * command (a `curl` in `command` and its `-k` in `args`), or each a script or a file. Words are
 * split as a shell roughly does; `;`, `|`, `&`, parentheses, backquotes and line ends end a command.
 */
function scanTexts(texts: readonly TextAt[], report: (path: Path, message: string) => void): void {
  let inCurl = false;
  for (const { text, path } of texts) {
    for (const line of text.matchAll(new RegExp(SKIP_VERIFY_SETTING_IN_TEXT.source, 'gi'))) {
      report(path, `${line[1]} set to ${line[2]} turns off TLS certificate verification${lineOf(text, line.index)}; ${VERIFY_INSTEAD}`);
    }
    for (const match of text.matchAll(/\\\r?\n|\r?\n|[;&|()`]|[^\s;&|()`]+/g)) {
      const raw = match[0];
      if (/^\\\r?\n$/.test(raw)) {
        continue; // a line continuation: the command goes on
      }
      if (/^(\r?\n|[;&|()`])$/.test(raw)) {
        inCurl = false;
        continue;
      }
      const word = raw.replace(/^["']+|["']+$/g, '');
      const where = lineOf(text, match.index);
      if (word === 'curl' || word.endsWith('/curl')) {
        inCurl = true;
      } else if (skipFlag(word)) {
        report(path, `${show(word)} turns off TLS certificate verification${where}; ${VERIFY_INSTEAD}`);
      } else if (inCurl && /^-[A-Za-z0-9]*k[A-Za-z0-9]*$/.test(word)) {
        report(path, `curl ${show(word)} turns off TLS certificate verification (-k is --insecure)${where}; ${VERIFY_INSTEAD}`);
      } else if (/^(VAULT|BAO)_SKIP_VERIFY[=:]/.test(word)) {
        report(path, `${word.slice(0, word.search(/[=:]/))} is set${where}, which turns off verification of Vault's certificate; `
          + 'expected it unset, with VAULT_CACERT naming the private root');
      }
    }
  }
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * K8S-009 on one object: environment variables and keys (`env`, ConfigMap data, Helm values) named
 * like {@link SKIP_VERIFY_ENV}, settings like {@link SKIP_VERIFY_SETTINGS} set to true (an issuer's
 * `skipTLSVerify`), and flags in commands, arguments, scripts and files held as text. The whole
 * object is walked, so Helm values and custom resources are covered too.
 */
function checkTlsVerification(manifest: ManifestObject): Finding[] {
  const found: Finding[] = [];
  const object = objectId(manifest.object);
  const report = (path: Path, message: string): void => {
    found.push(finding('K8S-009', manifest.file, object, path, message));
  };
  const envMessage = (name: string, value: unknown): string => `${name} is set (to ${show(value)}), which turns off verification `
    + 'of Vault\'s certificate whatever its value; expected it unset, with VAULT_CACERT naming the private root';
  const visit = (value: unknown, path: Path): void => {
    if (typeof value === 'string') {
      scanTexts([{ text: value, path }], report);
    } else if (isStringList(value)) {
      scanTexts(value.map((text, index) => ({ text, path: [...path, index] })), report);
    } else if (Array.isArray(value)) {
      value.forEach((item: unknown, index) => visit(item, [...path, index]));
    } else if (isObject(value)) {
      // A container's command and args form one argv: `curl` may be in one, `-k` in the other.
      const argv = (['command', 'args'] as const).filter((key) => isStringList(value[key]));
      scanTexts(argv.flatMap((key) => (value[key] as string[]).map((text, index) => ({ text, path: [...path, key, index] }))), report);
      if (typeof value.name === 'string' && SKIP_VERIFY_ENV.includes(value.name) && ('value' in value || 'valueFrom' in value)) {
        report(path, envMessage(value.name, value.value ?? value.valueFrom));
      }
      for (const [key, child] of Object.entries(value)) {
        const childPath = [...path, key];
        if ((argv as readonly string[]).includes(key) || (path.length === 0 && key === 'status')
          || (path.length === 1 && path[0] === 'metadata' && key === 'managedFields')) {
          continue;
        }
        if (SKIP_VERIFY_ENV.includes(key)) {
          report(childPath, envMessage(key, child));
        } else if (SKIP_VERIFY_SETTINGS.includes(key.toLowerCase().replace(/[-_]/g, '')) && (isTrue(child) || child === 1)) {
          report(childPath, `${key} is ${show(child)}, which accepts any certificate the server presents; expected false or unset`);
        } else {
          visit(child, childPath);
        }
      }
    }
  };
  visit(manifest.object, []);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Terraform: resources, blocks, references

interface TfObject {
  readonly file: string;
  readonly type: string;
  readonly name: string;
  /** `aws_kms_key.unseal`, or `data.aws_iam_policy_document.trust` for a data source. */
  readonly address: string;
  readonly body: any;
}

function tfObjects(stack: TerraformStackFile, section: 'resource' | 'data', type: string): TfObject[] {
  const group: unknown = stack.stack?.[section]?.[type];
  if (!isObject(group)) {
    return [];
  }
  return Object.entries(group)
    .filter(([name, body]) => name !== '//' && isObject(body))
    .map(([name, body]) => ({
      file: stack.file, type, name, body, address: section === 'data' ? `data.${type}.${name}` : `${type}.${name}`,
    }));
}

function resources(input: ValidationInput, ...types: readonly string[]): TfObject[] {
  return input.terraform.flatMap((stack) => types.flatMap((type) => tfObjects(stack, 'resource', type)));
}

/** A nested block, given as one object or a list of them (both are valid Terraform JSON), with the path of each. */
function blocks(value: unknown, path: Path): Array<{ readonly block: Record<string, any>; readonly path: Path }> {
  if (isObject(value)) {
    return [{ block: value, path }];
  }
  if (Array.isArray(value)) {
    return value.flatMap((block: unknown, index) => (isObject(block) ? [{ block, path: [...path, index] }] : []));
  }
  return [];
}

const tfFinding = (rule: string, resource: TfObject, path: Path | undefined, message: string): Finding =>
  finding(rule, resource.file, resource.address, path, message);

/** An `aws_instance` launched from a launch template takes what it leaves unset from the template, which is checked itself. */
function fromLaunchTemplate(resource: TfObject): boolean {
  return resource.type === 'aws_instance' && resource.body.launch_template !== undefined;
}

function checkImds(input: ValidationInput): Finding[] {
  const found: Finding[] = [];
  for (const resource of resources(input, 'aws_launch_template', 'aws_instance')) {
    const options = blocks(resource.body.metadata_options, ['metadata_options']);
    if (options.length === 0 && !fromLaunchTemplate(resource)) {
      found.push(tfFinding('TF-001', resource, ['metadata_options', 'http_tokens'], 'IMDSv1 may stay on: metadata_options is not set '
        + '(the AMI or account default applies, often "optional"); expected metadata_options.http_tokens "required"'));
    }
    for (const { block, path } of options) {
      if (block.http_endpoint === 'disabled') {
        continue; // no metadata service at all
      }
      if (block.http_tokens !== 'required') {
        found.push(tfFinding('TF-001', resource, [...path, 'http_tokens'],
          `IMDSv1 stays on: http_tokens is ${show(block.http_tokens)}; expected "required" (IMDSv2: a session token for every request)`));
      }
      const hops = Number(block.http_put_response_hop_limit);
      if (block.http_put_response_hop_limit !== undefined && Number.isFinite(hops) && hops > IMDS_HOP_LIMIT_MAX) {
        found.push(tfFinding('TF-001', resource, [...path, 'http_put_response_hop_limit'],
          `containers on the instance can reach its credentials: http_put_response_hop_limit is ${show(block.http_put_response_hop_limit)}; `
            + `expected ${IMDS_HOP_LIMIT_MAX}`));
      }
    }
  }
  return found;
}

function checkEbsEncryption(input: ValidationInput): Finding[] {
  const found: Finding[] = [];
  // With encryption by default on, AWS encrypts every new volume of the region, whatever a template says.
  const byDefault = new Set(resources(input, 'aws_ebs_encryption_by_default')
    .filter((resource) => !isFalse(resource.body.enabled)).map((resource) => resource.file));
  const checkVolume = (resource: TfObject, block: Record<string, any>, path: Path, what: string): void => {
    if (!isTrue(block.encrypted) && !(block.encrypted === undefined && byDefault.has(resource.file))) {
      found.push(tfFinding('TF-002', resource, [...path, 'encrypted'], `${what} is not encrypted: encrypted is ${show(block.encrypted)}; expected true`));
    }
  };
  const uncovered = 'expected one for the root device with encrypted true, or aws_ebs_encryption_by_default in the stack';
  for (const resource of resources(input, 'aws_launch_template')) {
    let volumes = 0;
    for (const mapping of blocks(resource.body.block_device_mappings, ['block_device_mappings'])) {
      for (const ebs of blocks(mapping.block.ebs, [...mapping.path, 'ebs'])) {
        volumes += 1;
        checkVolume(resource, ebs.block, ebs.path, `the volume ${show(mapping.block.device_name)}`);
      }
    }
    if (volumes === 0 && !byDefault.has(resource.file)) {
      found.push(tfFinding('TF-002', resource, ['block_device_mappings'],
        `the root volume's encryption is left to the AMI's snapshot: no block_device_mappings with ebs; ${uncovered}`));
    }
  }
  for (const resource of resources(input, 'aws_instance')) {
    const roots = blocks(resource.body.root_block_device, ['root_block_device']);
    if (roots.length === 0 && !byDefault.has(resource.file) && !fromLaunchTemplate(resource)) {
      found.push(tfFinding('TF-002', resource, ['root_block_device'],
        `the root volume's encryption is left to the AMI's snapshot: root_block_device is not set; ${uncovered}`));
    }
    for (const root of roots) {
      checkVolume(resource, root.block, root.path, 'the root volume');
    }
    for (const ebs of blocks(resource.body.ebs_block_device, ['ebs_block_device'])) {
      checkVolume(resource, ebs.block, ebs.path, `the volume ${show(ebs.block.device_name)}`);
    }
  }
  for (const resource of resources(input, 'aws_ebs_volume')) {
    checkVolume(resource, resource.body, [], 'the volume');
  }
  return found;
}

function checkKeyRotation(input: ValidationInput): Finding[] {
  return resources(input, 'aws_kms_key').flatMap((resource) => {
    // Asymmetric and HMAC keys cannot rotate (AWS refuses enable_key_rotation on them).
    const spec: unknown = resource.body.key_spec ?? resource.body.customer_master_key_spec;
    if ((spec !== undefined && spec !== 'SYMMETRIC_DEFAULT') || isTrue(resource.body.enable_key_rotation)) {
      return [];
    }
    return [tfFinding('TF-003', resource, ['enable_key_rotation'],
      `the key material never rotates: enable_key_rotation is ${show(resource.body.enable_key_rotation)}; expected true`)];
  });
}

/** The values a companion resource's `bucket` takes when it names `bucket`: its id or name, or the literal name. */
function bucketReferences(bucket: TfObject): Set<string> {
  const references = new Set([`\${aws_s3_bucket.${bucket.name}.id}`, `\${aws_s3_bucket.${bucket.name}.bucket}`]);
  if (typeof bucket.body.bucket === 'string' && !bucket.body.bucket.includes('${')) {
    references.add(bucket.body.bucket);
  }
  return references;
}

/**
 * Each companion resource of `type` (encryption, public access block, policy, versioning) checked
 * by `check`, and every bucket that none of them names reported.
 */
function checkBucketCompanions(
  input: ValidationInput, rule: string, type: string, expected: string, check: (companion: TfObject) => Finding[],
): Finding[] {
  const companions = resources(input, type);
  const found = companions.flatMap(check);
  for (const bucket of resources(input, 'aws_s3_bucket')) {
    const references = bucketReferences(bucket);
    const named = companions.some((companion) => companion.file === bucket.file
      && typeof companion.body.bucket === 'string' && references.has(companion.body.bucket.trim()));
    if (!named) {
      found.push(tfFinding(rule, bucket, undefined, `no ${type} names this bucket; expected one ${expected}`));
    }
  }
  return found;
}

function checkBucketEncryption(input: ValidationInput): Finding[] {
  const expected = `with sse_algorithm ${show(S3_KMS_ALGORITHMS[0])}`;
  return checkBucketCompanions(input, 'TF-004', 'aws_s3_bucket_server_side_encryption_configuration', expected, (companion) => {
    const defaults = blocks(companion.body.rule, ['rule']).flatMap((rule) =>
      blocks(rule.block.apply_server_side_encryption_by_default, [...rule.path, 'apply_server_side_encryption_by_default']));
    if (defaults.length === 0) {
      return [tfFinding('TF-004', companion, ['rule'], `objects get no default encryption rule; expected rule.apply_server_side_encryption_by_default ${expected}`)];
    }
    return defaults.filter(({ block }) => !S3_KMS_ALGORITHMS.includes(block.sse_algorithm)).map(({ block, path }) =>
      tfFinding('TF-004', companion, [...path, 'sse_algorithm'], `objects are not encrypted with a KMS key: sse_algorithm is `
        + `${show(block.sse_algorithm)}; expected "aws:kms" (or "aws:kms:dsse"), whose decrypts need the key policy and are logged`));
  });
}

function checkPublicAccessBlock(input: ValidationInput): Finding[] {
  return checkBucketCompanions(input, 'TF-005', 'aws_s3_bucket_public_access_block', `with ${PUBLIC_ACCESS_BLOCK_FLAGS.join(', ')} all true`,
    (companion) => PUBLIC_ACCESS_BLOCK_FLAGS.filter((flag) => !isTrue(companion.body[flag])).map((flag) =>
      tfFinding('TF-005', companion, [flag], `an ACL or a policy could make the bucket public: ${flag} is ${show(companion.body[flag])}; expected true`)));
}

function checkBucketPolicyAndVersioning(input: ValidationInput): Finding[] {
  const documents = policyDocumentsByAddress(input);
  const tlsOnly = checkBucketCompanions(input, 'TF-006', 'aws_s3_bucket_policy', 'denying requests without TLS', (companion) => {
    const policy = readPolicy(companion.body.policy, ['policy'], companion.file, documents);
    if ('statements' in policy && policy.statements.some(deniesInsecureTransport)) {
      return [];
    }
    const why = 'unreadable' in policy ? ` (${policy.unreadable})` : '';
    return [tfFinding('TF-006', companion, ['policy'], `plain HTTP requests are not refused: no statement denies them${why}; `
      + 'expected a Deny of "s3:*" to every principal ("*") under the condition Bool aws:SecureTransport "false"')];
  });
  const versioning = checkBucketCompanions(input, 'TF-006', 'aws_s3_bucket_versioning', 'with versioning_configuration.status "Enabled"',
    (companion) => {
      const configurations = blocks(companion.body.versioning_configuration, ['versioning_configuration']);
      if (configurations.length === 0) {
        return [tfFinding('TF-006', companion, ['versioning_configuration', 'status'],
          'an overwritten or deleted object is gone: versioning_configuration is not set; expected status "Enabled"')];
      }
      return configurations.filter(({ block }) => block.status !== 'Enabled').map(({ block, path }) =>
        tfFinding('TF-006', companion, [...path, 'status'],
          `an overwritten or deleted object is gone: status is ${show(block.status)}; expected "Enabled"`));
    });
  return [...tlsOnly, ...versioning];
}

function checkWorldIngress(input: ValidationInput): Finding[] {
  const found: Finding[] = [];
  const isWorld = (cidr: unknown): boolean => typeof cidr === 'string' && /\/0$/.test(cidr.trim());
  const ports = (block: Record<string, any>): string => {
    const from: unknown = block.from_port;
    const to: unknown = block.to_port;
    if (from === undefined && to === undefined) {
      return '';
    }
    return from === to || to === undefined ? ` on port ${String(from)}` : ` on ports ${String(from)}-${String(to)}`;
  };
  const checkCidrs = (resource: TfObject, block: Record<string, any>, path: Path, keys: readonly string[]): void => {
    for (const key of keys) {
      const value: unknown = block[key];
      const cidrs = Array.isArray(value) ? value.map((cidr: unknown, index) => ({ cidr, at: [...path, key, index] }))
        : [{ cidr: value, at: [...path, key] }];
      for (const { cidr, at } of cidrs) {
        if (isWorld(cidr)) {
          found.push(tfFinding('TF-007', resource, at, `ingress is open to the whole internet${ports(block)}: ${show(cidr)}; `
            + 'expected the CIDRs or security groups that need access'));
        }
      }
    }
  };
  for (const resource of resources(input, 'aws_security_group')) {
    for (const { block, path } of blocks(resource.body.ingress, ['ingress'])) {
      checkCidrs(resource, block, path, ['cidr_blocks', 'ipv6_cidr_blocks']);
    }
  }
  for (const resource of resources(input, 'aws_security_group_rule')) {
    if (resource.body.type === 'ingress') {
      checkCidrs(resource, resource.body, [], ['cidr_blocks', 'ipv6_cidr_blocks']);
    }
  }
  for (const resource of resources(input, 'aws_vpc_security_group_ingress_rule')) {
    checkCidrs(resource, resource.body, [], ['cidr_ipv4', 'cidr_ipv6']);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Terraform: IAM policy documents

/** One string of a statement (an action, a resource) and where it is. */
interface Located {
  readonly value: string;
  readonly path: Path;
}

/** A policy statement, from a JSON policy or an `aws_iam_policy_document` data source alike. */
interface Statement {
  readonly path: Path;
  readonly effect: string;
  readonly actions?: readonly Located[];
  readonly notActions?: readonly Located[];
  readonly resources?: readonly Located[];
  readonly notResources?: readonly Located[];
  /** The principal is everyone (`"*"`, `{ AWS: "*" }`). */
  readonly everyone: boolean;
  readonly conditions: ReadonlyArray<{ readonly test: string; readonly variable: string; readonly values: readonly string[] }>;
}

/** What a resource's policy field holds: statements, a reference to a data source checked on its own, or something unreadable. */
type PolicyContent =
  | { readonly statements: readonly Statement[] }
  | { readonly document: string }
  | { readonly unreadable: string };

/**
 * What kind of policy a field holds: `identity` (role, user, group policies), `trust` (no `Resource`),
 * `key` (a KMS key policy, where `Resource: "*"` means the key itself), `bucket` (an S3 bucket policy).
 */
type PolicyKind = 'identity' | 'trust' | 'key' | 'bucket';

const POLICY_FIELDS: ReadonlyArray<{ readonly type: string; readonly field: string; readonly kind: PolicyKind }> = [
  { type: 'aws_iam_policy', field: 'policy', kind: 'identity' },
  { type: 'aws_iam_role_policy', field: 'policy', kind: 'identity' },
  { type: 'aws_iam_user_policy', field: 'policy', kind: 'identity' },
  { type: 'aws_iam_group_policy', field: 'policy', kind: 'identity' },
  { type: 'aws_iam_role', field: 'assume_role_policy', kind: 'trust' },
  { type: 'aws_kms_key', field: 'policy', kind: 'key' },
  { type: 'aws_kms_key_policy', field: 'policy', kind: 'key' },
  { type: 'aws_kms_replica_key', field: 'policy', kind: 'key' },
  { type: 'aws_s3_bucket_policy', field: 'policy', kind: 'bucket' },
];

/** `${data.aws_iam_policy_document.<name>.json}`: the whole field is that document. */
const DOCUMENT_REFERENCE = /^\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.(json|minified_json)\}$/;

function located(value: unknown, path: Path): Located[] | undefined {
  if (typeof value === 'string') {
    return [{ value, path }];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item: unknown, index) => (typeof item === 'string' ? [{ value: item, path: [...path, index] }] : []));
  }
  return undefined;
}

function strings(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).filter((item) => item !== undefined && item !== null).map(String);
}

function jsonStatements(document: any, path: Path): Statement[] {
  const raw: unknown = isObject(document) ? document.Statement : undefined;
  const list: Array<{ readonly statement: unknown; readonly path: Path }> = Array.isArray(raw)
    ? raw.map((statement: unknown, index) => ({ statement, path: [...path, 'Statement', index] }))
    : [{ statement: raw, path: [...path, 'Statement'] }];
  return list.flatMap(({ statement, path: at }): Statement[] => {
    if (!isObject(statement)) {
      return [];
    }
    const principal: unknown = statement.Principal;
    const everyone = principal === '*' || (isObject(principal) && strings(principal.AWS).includes('*'));
    const conditions = isObject(statement.Condition)
      ? Object.entries(statement.Condition).flatMap(([test, entries]) => (isObject(entries)
        ? Object.entries(entries).map(([variable, values]) => ({ test, variable, values: strings(values) }))
        : []))
      : [];
    return [{
      path: at,
      effect: typeof statement.Effect === 'string' ? statement.Effect : 'Allow',
      actions: located(statement.Action, [...at, 'Action']),
      notActions: located(statement.NotAction, [...at, 'NotAction']),
      resources: located(statement.Resource, [...at, 'Resource']),
      notResources: located(statement.NotResource, [...at, 'NotResource']),
      everyone,
      conditions,
    }];
  });
}

function dataStatements(document: TfObject): Statement[] {
  return blocks(document.body.statement, ['statement']).map(({ block, path }) => ({
    path,
    effect: typeof block.effect === 'string' ? block.effect : 'Allow',
    actions: located(block.actions, [...path, 'actions']),
    notActions: located(block.not_actions, [...path, 'not_actions']),
    resources: located(block.resources, [...path, 'resources']),
    notResources: located(block.not_resources, [...path, 'not_resources']),
    everyone: blocks(block.principals, []).some(({ block: principal }) =>
      (principal.type === '*' || principal.type === 'AWS') && strings(principal.identifiers).includes('*')),
    conditions: blocks(block.condition, []).map(({ block: condition }) => ({
      test: String(condition.test), variable: String(condition.variable), values: strings(condition.values),
    })),
  }));
}

/** Every `aws_iam_policy_document` data source, by file then name. */
function policyDocumentsByAddress(input: ValidationInput): ReadonlyMap<string, TfObject> {
  const documents = new Map<string, TfObject>();
  for (const stack of input.terraform) {
    for (const document of tfObjects(stack, 'data', 'aws_iam_policy_document')) {
      documents.set(`${stack.file}\n${document.name}`, document);
    }
  }
  return documents;
}

/**
 * Reads a policy field. JSON policies may hold `${…}` interpolations inside their strings (an ARN
 * built from a reference): they stay JSON. A field that is one whole reference to a policy document
 * is resolved when `documents` is given, otherwise returned as that reference.
 */
function readPolicy(value: unknown, path: Path, file: string, documents?: ReadonlyMap<string, TfObject>): PolicyContent {
  if (typeof value !== 'string') {
    return { unreadable: `the policy is ${show(value)}, not a JSON string` };
  }
  const reference = DOCUMENT_REFERENCE.exec(value.trim());
  if (reference) {
    const document = documents?.get(`${file}\n${reference[1]}`);
    if (documents === undefined) {
      return { document: reference[1]! };
    }
    return document === undefined
      ? { unreadable: `it names the policy document ${show(reference[1])}, which is not in the stack` }
      : { statements: dataStatements(document) };
  }
  try {
    return { statements: jsonStatements(JSON.parse(value), path) };
  } catch {
    return {
      unreadable: value.trim().startsWith('${')
        ? `the policy is the Terraform expression ${show(value)}, whose statements are only known at plan`
        : `the policy is not valid JSON: ${show(value)}`,
    };
  }
}

function deniesInsecureTransport(statement: Statement): boolean {
  return statement.effect === 'Deny' && statement.everyone
    && (statement.actions ?? []).some(({ value }) => value === '*' || value.toLowerCase() === 's3:*')
    && statement.conditions.some((condition) => /^Bool(IfExists)?$/.test(condition.test)
      && condition.variable.toLowerCase() === 'aws:securetransport' && condition.values.includes('false'));
}

/** A policy to check for TF-008 and TF-009, with its object and the field it is in. */
interface PolicyAt {
  readonly owner: TfObject;
  readonly path: Path;
  readonly kinds: ReadonlySet<PolicyKind>;
  readonly content: PolicyContent;
}

/**
 * Every policy of the stacks: the policy fields of {@link POLICY_FIELDS} and of roles' inline
 * policies, and every `aws_iam_policy_document` data source, whose kinds are those of the fields
 * that name it (an unnamed document counts as an identity policy). Fields that only name a data
 * source are left out: the document is checked once, where it is.
 */
function policies(input: ValidationInput): PolicyAt[] {
  const fields: PolicyAt[] = [];
  for (const { type, field, kind } of POLICY_FIELDS) {
    for (const owner of resources(input, type)) {
      if (owner.body[field] !== undefined) {
        fields.push({ owner, path: [field], kinds: new Set([kind]), content: readPolicy(owner.body[field], [field], owner.file) });
      }
    }
  }
  for (const owner of resources(input, 'aws_iam_role')) {
    for (const { block, path } of blocks(owner.body.inline_policy, ['inline_policy'])) {
      if (block.policy !== undefined) {
        fields.push({ owner, path: [...path, 'policy'], kinds: new Set(['identity']), content: readPolicy(block.policy, [...path, 'policy'], owner.file) });
      }
    }
  }
  const documents: PolicyAt[] = [...policyDocumentsByAddress(input).values()].map((owner) => {
    const kinds = new Set(fields.flatMap((policy) => ('document' in policy.content && policy.content.document === owner.name
      && policy.owner.file === owner.file ? [...policy.kinds] : [])));
    return { owner, path: [], kinds: kinds.size === 0 ? new Set(['identity']) : kinds, content: { statements: dataStatements(owner) } };
  });
  return [...fields.filter((policy) => !('document' in policy.content)), ...documents];
}

function isWildcardAction(action: string): boolean {
  return action === '*' || /^[a-z0-9-]+:\*+$/i.test(action);
}

function checkWildcardActions(input: ValidationInput): Finding[] {
  const found: Finding[] = [];
  for (const policy of policies(input)) {
    if ('unreadable' in policy.content) {
      found.push(tfFinding('TF-008', policy.owner, policy.path, `the policy cannot be checked: ${policy.content.unreadable}; `
        + 'expected a JSON policy document, or a reference to an aws_iam_policy_document data source'));
      continue;
    }
    if (!('statements' in policy.content)) {
      continue;
    }
    for (const statement of policy.content.statements.filter((s) => s.effect !== 'Deny')) {
      for (const action of statement.actions ?? []) {
        if (isWildcardAction(action.value)) {
          const what = action.value === '*' ? 'every action of every service' : `every action of ${action.value.split(':')[0]}`;
          found.push(tfFinding('TF-008', policy.owner, action.path, `${show(action.value)} allows ${what}, including those AWS `
            + 'adds later; expected the actions needed, named one by one'));
        }
      }
      if (statement.notActions !== undefined) {
        found.push(tfFinding('TF-008', policy.owner, statement.notActions[0]?.path ?? statement.path,
          `an Allow with NotAction allows every action but ${statement.notActions.map((a) => show(a.value)).join(', ')}; `
            + 'expected Action naming the actions needed'));
      }
    }
  }
  return found;
}

function checkResourceWildcards(input: ValidationInput): Finding[] {
  const found: Finding[] = [];
  const withoutTypes = new Set(ACTIONS_WITHOUT_RESOURCE_TYPES.map((action) => action.toLowerCase()));
  for (const policy of policies(input)) {
    // Trust policies have no Resource; in a key policy "*" is the key itself.
    if (!('statements' in policy.content) || ![...policy.kinds].some((kind) => kind === 'identity' || kind === 'bucket')) {
      continue;
    }
    for (const statement of policy.content.statements.filter((s) => s.effect !== 'Deny')) {
      const scoped = statement.notActions !== undefined ? ['every action but those of NotAction']
        : (statement.actions ?? []).filter((a) => !withoutTypes.has(a.value.toLowerCase())).map((a) => show(a.value));
      for (const resource of statement.resources ?? []) {
        if (resource.value === '*' && scoped.length > 0) {
          found.push(tfFinding('TF-009', policy.owner, resource.path, `${scoped.join(', ')} ${scoped.length === 1 ? 'is' : 'are'} granted `
            + `on every resource ("*"); expected the ARNs acted on ("*" only for actions without a resource type: ${ACTIONS_WITHOUT_RESOURCE_TYPES.join(', ')})`));
        }
      }
      if (statement.notResources !== undefined) {
        found.push(tfFinding('TF-009', policy.owner, statement.notResources[0]?.path ?? statement.path,
          `an Allow with NotResource grants on every resource but ${statement.notResources.map((r) => show(r.value)).join(', ')}; `
            + 'expected Resource listing the ARNs acted on'));
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Terraform: user data (TF-010)

/** The texts of a user data value to scan: as written and, for a literal in base64 (maybe gzipped), decoded. */
function userDataTexts(value: string): Array<{ readonly text: string; readonly decoded: boolean }> {
  const texts = [{ text: value, decoded: false }];
  const compact = value.replace(/\s+/g, '');
  if (!value.includes('${') && compact.length > 0 && compact.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    let bytes = Buffer.from(compact, 'base64');
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        bytes = gunzipSync(bytes);
      } catch {
        // Not gzip after all: scan the bytes as they are.
      }
    }
    texts.push({ text: bytes.toString('utf8'), decoded: true });
  }
  return texts;
}

function checkUserDataSecrets(input: ValidationInput): Finding[] {
  const found: Finding[] = [];
  for (const resource of resources(input, 'aws_launch_template', 'aws_instance')) {
    for (const field of ['user_data', 'user_data_base64']) {
      const value: unknown = resource.body[field];
      if (typeof value !== 'string') {
        continue;
      }
      const kinds = new Map<string, string>();
      for (const { text, decoded } of userDataTexts(value)) {
        const where = (index: number): string => {
          const line = lineNumber(text, index);
          const parts = [...(decoded ? ['decoded from base64'] : []), ...(line === undefined ? [] : [`line ${line}`])];
          return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
        };
        for (const { what, pattern } of USER_DATA_SECRETS) {
          const match = pattern.exec(text);
          if (match && !kinds.has(what)) {
            kinds.set(what, where(match.index));
          }
        }
        const certificate = /BEGIN CERTIFICATE/.exec(text);
        if (certificate && /PRIVATE KEY/.test(text) && !kinds.has('a PEM private key') && !kinds.has('a certificate with its private key')) {
          kinds.set('a certificate with its private key', where(certificate.index));
        }
      }
      for (const [what, where] of kinds) {
        found.push(tfFinding('TF-010', resource, [field], `the user data holds ${what}${where}, readable by every process on the `
          + 'instance and through the EC2 API; expected no secret in user data: fetch it at boot (Vault agent, Secrets Manager, SSM)'));
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Terraform: where state lives (TF-011)

/**
 * The folder a stack file's output folder is, `/`-separated: `cdktf.out` for
 * `cdktf.out/stacks/vault-aws/cdk.tf.json` (CDKTF writes `<out>/stacks/<stack>/cdk.tf.json`),
 * `''` when the stack file is read from inside it.
 */
function outputFolderOf(stackFile: string): string {
  return posix.dirname(posix.dirname(posix.dirname(stackFile))).replace(/^\.$/, '');
}

/** Whether `target` (`/`-separated, relative to where the files are read) is `folder` or inside it. */
function isInside(target: string, folder: string): boolean {
  const rel = posix.relative(folder === '' ? '.' : folder, target);
  return rel === '' || (!rel.startsWith('../') && rel !== '..' && !posix.isAbsolute(rel));
}

function checkStateLocation(input: ValidationInput): Finding[] {
  const found: Finding[] = [];
  for (const stack of input.terraform) {
    const stackDir = posix.dirname(stack.file);
    const output = outputFolderOf(stack.file);
    const shownOutput = output === '' ? 'the output folder' : `${output}/`;
    const backend: unknown = stack.stack?.terraform?.backend;
    const local: unknown = isObject(backend) ? backend.local : undefined;
    const s3: unknown = isObject(backend) ? backend.s3 : undefined;
    const inOutput = `: synth owns ${shownOutput} and rewrites it, and state is the only record of what exists; `
      + 'expected terraform.backend s3 or a local path outside it (terraform.backend in the configuration)';
    if (!isObject(backend) || Object.keys(backend).length === 0) {
      found.push(finding('TF-011', stack.file, 'terraform.backend', undefined,
        `no backend: Terraform keeps the state in the stack's folder, ${stackDir}/terraform.tfstate${inOutput}`));
    } else if (isObject(local)) {
      const path: unknown = local.path;
      if (path === undefined) {
        found.push(finding('TF-011', stack.file, 'terraform.backend.local', ['path'],
          `no path: the state is ${stackDir}/terraform.tfstate${inOutput}`));
      } else if (typeof path !== 'string' || path.includes('${')) {
        found.push(finding('TF-011', stack.file, 'terraform.backend.local', ['path'],
          `the path cannot be checked: ${show(path)}; expected a literal path relative to the stack's folder`));
      } else if (posix.isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path)) {
        found.push(finding('TF-011', stack.file, 'terraform.backend.local', ['path'],
          `the path is absolute, ${show(path)}: it exists on the machine that synthesized only (CDKTF's default puts it in the stack's folder); `
            + 'expected a path relative to the stack\'s folder, outside the output folder'));
      } else {
        const state = posix.normalize(posix.join(stackDir, path.replaceAll('\\', '/')));
        if (isInside(state, output)) {
          found.push(finding('TF-011', stack.file, 'terraform.backend.local', ['path'],
            `the state ${show(path)} is ${state}, inside ${shownOutput}${inOutput}`));
        }
      }
    } else if (isObject(s3)) {
      if (s3.encrypt !== true && s3.encrypt !== 'true') {
        found.push(finding('TF-011', stack.file, 'terraform.backend.s3', ['encrypt'],
          `encrypt is ${show(s3.encrypt)}: the state, which records every secret the stack reads, is stored in clear; expected true`));
      }
      if (typeof s3.kms_key_id !== 'string' || s3.kms_key_id === '') {
        found.push(finding('TF-011', stack.file, 'terraform.backend.s3', ['kms_key_id'],
          'no kms_key_id: the state is encrypted with the bucket\'s default key, which any principal reading the bucket may use; '
            + 'expected a customer-managed key (terraform.backend.s3.kmsKeyId)'));
      }
    }
    // A state file left in the stack's folder by an earlier local backend, whatever the backend says now.
    const stray = `${stackDir}/terraform.tfstate`;
    if (input.files.has(stray)) {
      found.push(finding('TF-011', stray, 'terraform.tfstate', undefined,
        `state in the output folder, where versions before 0.2 kept it: synth would never rewrite it, but a plan of the stack no longer reads it; `
          + 'expected it moved to the configured backend (docs/architecture.md, "Where Terraform state lives")'));
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Terraform: Secrets Manager secrets under a customer-managed key (TF-015)

/** `kms_key_id` values that name the AWS-managed key of Secrets Manager, which any principal of the account may use through it. */
const AWS_MANAGED_SECRETS_KEY = /(^|:)alias\/aws\/secretsmanager$/;

function checkSecretsKey(input: ValidationInput): Finding[] {
  return resources(input, 'aws_secretsmanager_secret').flatMap((resource) => {
    const key: unknown = resource.body.kms_key_id;
    if (typeof key === 'string' && key.trim() !== '' && !AWS_MANAGED_SECRETS_KEY.test(key)) {
      return [];
    }
    const why = key === undefined || key === '' ? 'kms_key_id is not set (Secrets Manager uses the AWS-managed aws/secretsmanager key)'
      : `kms_key_id is ${show(key)}, the AWS-managed key`;
    return [tfFinding('TF-015', resource, ['kms_key_id'], `any principal with secretsmanager:GetSecretValue can read the value: ${why}; `
      + 'expected a customer-managed key whose policy names the readers')];
  });
}

// Terraform: KMS key policies (TF-016)

/** What a seal key's policy must deny to all but a break-glass role (TF-016). */
const SEAL_KEY_MUST_DENY = ['kms:ScheduleKeyDeletion'];

/** The `kms_key_id` of every `seal "awskms"` stanza in the user data of a stack's launch templates and instances. */
function sealKeyIds(stack: TerraformStackFile): Set<string> {
  const ids = new Set<string>();
  for (const resource of ['aws_launch_template', 'aws_instance'].flatMap((type) => tfObjects(stack, 'resource', type))) {
    for (const field of ['user_data', 'user_data_base64']) {
      const value: unknown = resource.body[field];
      if (typeof value !== 'string') continue;
      for (const { text } of userDataTexts(value)) {
        for (const match of text.matchAll(/seal\s+"awskms"\s*\{[^}]*?kms_key_id\s*=\s*"([^"]+)"/g)) ids.add(match[1]!);
      }
    }
  }
  return ids;
}

/** The keys (`aws_kms_key` or `aws_kms_replica_key` addresses) a seal names: by alias, by a key reference, or a replica of one. */
function sealKeys(input: ValidationInput): Set<string> {
  const sealed = new Set<string>();
  for (const stack of input.terraform) {
    const ids = sealKeyIds(stack);
    if (ids.size === 0) continue;
    for (const alias of tfObjects(stack, 'resource', 'aws_kms_alias')) {
      const key = kmsKeyOf(alias.body.target_key_id);
      if (key !== undefined && ids.has(alias.body.name)) sealed.add(key);
    }
    for (const id of ids) {
      const key = kmsKeyOf(id);
      if (key !== undefined) sealed.add(key);
    }
    for (const replica of tfObjects(stack, 'resource', 'aws_kms_replica_key')) {
      const primary = kmsKeyOf(replica.body.primary_key_arn);
      if (primary !== undefined && sealed.has(primary)) sealed.add(replica.address);
    }
  }
  return sealed;
}

/** Whether a statement denies `action` to everyone but, at most, principals named in a condition (`aws:PrincipalArn`). */
/**
 * Whether `statement` denies `action` to every principal, with at most an exception by principal ARN
 * (any other condition, such as MFA, may leave the deny void).
 */
function deniesToAllButNamed(statement: Statement, action: string): boolean {
  const covers = (statement.actions ?? []).some(({ value }) => value === action || value === '*' || value === 'kms:*');
  const onlyPrincipalExceptions = statement.conditions.every((condition) =>
    /^(ArnNotEquals|ArnNotLike|StringNotEquals|StringNotLike)$/.test(condition.test) && condition.variable.toLowerCase() === 'aws:principalarn');
  return statement.effect === 'Deny' && statement.everyone && covers && statement.notActions === undefined && onlyPrincipalExceptions;
}

/** The key a reference names (`${aws_kms_key.x.arn}`, `.key_id`, `.id`), as an address. */
const kmsKeyOf = (reference: unknown): string | undefined =>
  typeof reference === 'string' ? /^\$\{(aws_kms_(?:replica_)?key\.[\w-]+)\.(?:key_id|arn|id)\}$/.exec(reference)?.[1] : undefined;

function checkKeyPolicies(input: ValidationInput): Finding[] {
  const sealed = sealKeys(input);
  const documents = policyDocumentsByAddress(input);
  // A policy attached apart (aws_kms_key_policy) is the key's policy, as its own argument would be.
  const attached = new Map(resources(input, 'aws_kms_key_policy').map((p) => [`${p.file}\n${kmsKeyOf(p.body.key_id)}`, p]));
  return resources(input, 'aws_kms_key', 'aws_kms_replica_key').flatMap((resource) => {
    const holder = attached.get(`${resource.file}\n${resource.address}`) ?? resource;
    const policy: unknown = holder.body.policy;
    if (typeof policy !== 'string' || policy.trim() === '') {
      return [tfFinding('TF-016', resource, ['policy'], 'the key has the default key policy, which lets every IAM policy of the account '
        + `grant any use of it: policy is ${show(policy)}; expected an explicit policy naming its administrators and users`)];
    }
    if (!sealed.has(resource.address)) return [];
    const content = readPolicy(policy, ['policy'], holder.file, documents);
    if (!('statements' in content)) {
      return [tfFinding('TF-016', holder, ['policy'], `the seal key's policy cannot be read here (${'unreadable' in content ? content.unreadable : content.document}); `
        + 'expected a document that denies kms:ScheduleKeyDeletion to all but a break-glass role')];
    }
    return SEAL_KEY_MUST_DENY.filter((action) => !content.statements.some((s) => deniesToAllButNamed(s, action))).map((action) =>
      tfFinding('TF-016', holder, ['policy'], `any IAM administrator of the account can destroy the seal key, and with it every `
        + `snapshot: no statement denies ${action} to every principal but a break-glass role; expected a Deny with Principal "*" and `
        + 'at most an aws:PrincipalArn exception'));
  });
}

// ---------------------------------------------------------------------------------------------
// Terraform: private keys in state (TF-012)

/**
 * Arguments that hold a private key (TF-012), in any resource and any nested block: Terraform keeps
 * every argument in its state, in clear. Write-only arguments (`*_wo`) are not stored and never match.
 */
const KEY_MATERIAL_ARGUMENTS: readonly string[] = ['pem_bundle', 'private_key', 'private_key_pem', 'ca_private_key_pem', 'private_key_pkcs8'];

/** Vault PKI resources that, with `type = "exported"`, return the key they generate into state. */
const VAULT_EXPORTING_TYPES: readonly string[] = [
  'vault_pki_secret_backend_root_cert', 'vault_pki_secret_backend_intermediate_cert_request', 'vault_pki_secret_backend_key',
];

/** A `file()`/`filebase64()` of a file named like a key, or a reference to a generated key, in an expression. */
const KEY_FILE_READ = /\bfile(?:base64)?\(([^)]*)\)/g;
const KEY_FILE_NAME = /key|bundle/i;
const KEY_REFERENCE = /\.private_key(?:_pem|_pkcs8|_openssh)?\b/;

/** What a Secrets Manager value holds that is a private key, or `undefined`. */
function keyInSecretValue(value: string): string | undefined {
  if (/PRIVATE KEY/.test(value)) return 'a PEM private key';
  for (const [, argument] of value.matchAll(KEY_FILE_READ)) {
    if (KEY_FILE_NAME.test(argument!)) return `the content of the key file ${show(argument!.trim().replace(/^\\?"|\\?"$/g, ''))}`;
  }
  return KEY_REFERENCE.test(value) ? 'a generated private key' : undefined;
}

function checkKeyMaterialInState(input: ValidationInput): Finding[] {
  const found: Finding[] = [];
  for (const stack of input.terraform) {
    const groups: unknown = stack.stack?.resource;
    if (!isObject(groups)) continue;
    for (const type of Object.keys(groups)) {
      for (const resource of tfObjects(stack, 'resource', type)) {
        if (type === 'tls_private_key') {
          found.push(tfFinding('TF-012', resource, undefined, 'the key is generated by Terraform and stored in its state (private_key_pem, '
            + 'private_key_openssh); expected keys generated where they are used (inside Vault, cert-manager, npm run pki)'));
        }
        if (type === 'vault_pki_secret_backend_cert') {
          found.push(tfFinding('TF-012', resource, undefined, 'Vault generates the certificate\'s key and Terraform stores it in its state '
            + '(private_key); expected the key generated where it is used and its CSR signed (vault_pki_secret_backend_sign, cert-manager)'));
        }
        if (VAULT_EXPORTING_TYPES.includes(type) && resource.body.type === 'exported') {
          found.push(tfFinding('TF-012', resource, ['type'], 'type is "exported": Vault returns the key it generates and Terraform stores it '
            + 'in its state; expected "internal" (or "existing"): the key never leaves Vault'));
        }
        if (type === 'aws_secretsmanager_secret_version') {
          for (const argument of ['secret_string', 'secret_binary']) {
            const value: unknown = resource.body[argument];
            const what = typeof value === 'string' ? keyInSecretValue(value) : undefined;
            if (what !== undefined) {
              found.push(tfFinding('TF-012', resource, [argument], `${argument} holds ${what}, which Terraform stores in its state; `
                + 'expected the write-only secret_string_wo (Terraform 1.11), which is never stored'));
            }
          }
        }
        const visit = (value: unknown, path: PathSegment[]): void => {
          if (Array.isArray(value)) {
            value.forEach((item, index) => visit(item, [...path, index]));
          } else if (isObject(value)) {
            for (const [key, child] of Object.entries(value)) {
              if (key === '//') continue;
              if (KEY_MATERIAL_ARGUMENTS.includes(key)) {
                found.push(tfFinding('TF-012', resource, [...path, key], key === 'pem_bundle'
                  ? 'pem_bundle imports a CA\'s private key, which Terraform stores in its state (the Vault provider has no write-only form); '
                    + 'expected the key generated inside Vault and its CSR signed offline (npm run pki -- sign-issuing)'
                  : `${key} is a private key, which Terraform stores in its state; expected the key to stay where it is used, `
                    + 'or a write-only argument (*_wo)'));
              } else {
                visit(child, [...path, key]);
              }
            }
          }
        };
        visit(resource.body, []);
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Terraform: Auto Scaling groups on a moving launch template version (TF-013)

/** Launch template versions that move by themselves: AWS starts no instance refresh for them. */
const MOVING_VERSIONS: readonly string[] = ['$Latest', '$Default'];

/** Every launch template specification of a group: its own, its mixed instances policy's, and each override's. */
function launchTemplateSpecifications(group: TfObject): Array<{ readonly block: Record<string, any>; readonly path: Path }> {
  const found = [...blocks(group.body.launch_template, ['launch_template'])];
  for (const policy of blocks(group.body.mixed_instances_policy, ['mixed_instances_policy'])) {
    for (const template of blocks(policy.block.launch_template, [...policy.path, 'launch_template'])) {
      found.push(...blocks(template.block.launch_template_specification, [...template.path, 'launch_template_specification']));
      for (const override of blocks(template.block.override, [...template.path, 'override'])) {
        found.push(...blocks(override.block.launch_template_specification, [...override.path, 'launch_template_specification']));
      }
    }
  }
  return found;
}

function checkLaunchTemplateVersions(input: ValidationInput): Finding[] {
  const found: Finding[] = [];
  for (const group of resources(input, 'aws_autoscaling_group')) {
    for (const { block, path } of launchTemplateSpecifications(group)) {
      const version: unknown = block.version;
      if (version === undefined || (typeof version === 'string' && MOVING_VERSIONS.includes(version))) {
        const what = version === undefined ? 'version is not set, so AWS uses "$Default"' : `version is ${show(version)}`;
        found.push(tfFinding('TF-013', group, [...path, 'version'], `${what}: a new template version starts no instance refresh, `
          + 'while each replaced instance takes it, so versions mix unasked and running nodes keep the old one; expected the '
          + 'template\'s latest_version ("${aws_launch_template.<name>.latest_version}"), a number that changes with each version'));
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Terraform: Vault target groups that count failed nodes healthy (TF-014)

/** Vault's API port: a target group on it is Vault's, whatever its health check. */
const VAULT_API_PORT = 8200;
const VAULT_HEALTH_PATH = '/v1/sys/health';

/**
 * Query parameters of `sys/health` that give a failed state another status code: a sealed node's
 * (never acceptable) and an uninitialised node's (the first apply only, a warning).
 */
const VAULT_FAILED_STATE_PARAMETERS: Readonly<Record<string, { readonly state: string; readonly severity: 'error' | 'warning' }>> = {
  sealedcode: { state: 'sealed nodes', severity: 'error' },
  uninitcode: { state: 'uninitialised nodes (a node whose retry_join failed is one)', severity: 'warning' },
};

/** The status code ranges of a matcher (`200`, `200,429`, `200-399`), or `undefined` when it cannot be read. */
function matcherRanges(matcher: string): Array<readonly [number, number]> | undefined {
  const ranges: Array<readonly [number, number]> = [];
  for (const part of matcher.split(',').map((p) => p.trim())) {
    const match = /^(\d{3})(?:-(\d{3}))?$/.exec(part);
    if (!match) return undefined;
    ranges.push([Number(match[1]), Number(match[2] ?? match[1])]);
  }
  return ranges;
}

function checkVaultHealthChecks(input: ValidationInput): Finding[] {
  const found: Finding[] = [];
  for (const group of resources(input, 'aws_lb_target_group')) {
    const checks = blocks(group.body.health_check, ['health_check']);
    const isVault = Number(group.body.port) === VAULT_API_PORT
      || checks.some(({ block }) => typeof block.path === 'string' && block.path.startsWith(VAULT_HEALTH_PATH));
    if (!isVault) continue;
    const check = checks[0];
    const protocol = typeof check?.block.protocol === 'string' ? check.block.protocol.toUpperCase() : undefined;
    const path: unknown = check?.block.path;
    if (!check || !['HTTP', 'HTTPS'].includes(protocol ?? '') || typeof path !== 'string' || !path.startsWith(VAULT_HEALTH_PATH)) {
      found.push(tfFinding('TF-014', group, [...(check?.path ?? ['health_check']), 'path'], `the health check is ${protocol ?? 'not set'} `
        + `${typeof path === 'string' ? `on ${show(path)}` : 'without a path'}: any node that accepts a connection counts healthy, sealed `
        + `or not; expected an HTTPS check of ${VAULT_HEALTH_PATH}?standbyok=true&perfstandbyok=true with matcher "200"`));
      continue;
    }
    const matcher: unknown = check.block.matcher;
    const ranges = typeof matcher === 'string' ? matcherRanges(matcher) : undefined;
    if (matcher !== undefined && ranges === undefined) {
      found.push(tfFinding('TF-014', group, [...check.path, 'matcher'], `the matcher cannot be checked: ${show(matcher)}; expected `
        + 'status codes such as "200"'));
    } else if (ranges?.some(([low, high]) => low <= 599 && high >= 500)) {
      found.push(tfFinding('TF-014', group, [...check.path, 'matcher'], `the matcher ${show(matcher)} accepts 5xx answers: sealed (503) `
        + 'or uninitialised (501) nodes count healthy, get traffic and survive a rolling refresh; expected "200" (with standbyok and '
        + 'perfstandbyok in the path, standbys answer 200)'));
    }
    const query = new URLSearchParams(path.includes('?') ? path.slice(path.indexOf('?') + 1) : '');
    for (const [parameter, { state, severity }] of Object.entries(VAULT_FAILED_STATE_PARAMETERS)) {
      const code = query.get(parameter);
      if (code === null || /^5\d\d$/.test(code)) continue;
      found.push({
        ...tfFinding('TF-014', group, [...check.path, 'path'], `${parameter}=${code} makes ${state} answer ${code}, counted healthy`
          + (severity === 'warning'
            ? '; expected only for the first apply (vaultCluster.bootstrap: true), removed once Vault is initialised'
            : `; expected ${parameter} unset (Vault answers 5xx)`)),
        severity,
      });
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Terraform: the Vault provider (TF-017 to TF-022)

/**
 * Longest `max_ttl` accepted on a PKI role (TF-019): 398 days, the CA/Browser Forum's limit for TLS
 * server certificates, which browsers enforce. A private CA is not bound by it, but a leaf that
 * lives longer than a year outlives every rotation this platform plans.
 */
export const PKI_ROLE_MAX_TTL_SECONDS = 398 * 24 * 3600;

/** Fewest audit devices (TF-021): Vault refuses every request when no device can log it, so one device is one outage away. */
export const MIN_AUDIT_DEVICES = 2;

/**
 * Name options of a PKI role that widen what it signs beyond the allowed domains (TF-017), each with
 * Vault's default when the argument is absent (the role API defaults IP SANs and localhost to true).
 */
const PKI_ROLE_OPEN_NAMES: ReadonlyArray<{ readonly argument: string; readonly vaultDefault: boolean; readonly what: string }> = [
  { argument: 'allow_any_name', vaultDefault: false, what: 'any common name and SAN, outside the allowed domains' },
  { argument: 'allow_ip_sans', vaultDefault: true, what: 'any IP address as a SAN' },
  { argument: 'allow_localhost', vaultDefault: true, what: '"localhost" and "localdomain" names' },
];

/** A Vault TTL argument in seconds: a number, a string of digits, or a Go duration; `undefined` when it is an expression or malformed. */
function vaultTtlSeconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string' || value.includes('${')) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const nanoseconds = parseGoDuration(value.trim());
  return nanoseconds === undefined ? undefined : nanoseconds / 1e9;
}

function checkPkiRoleNames(input: ValidationInput): Finding[] {
  return resources(input, 'vault_pki_secret_backend_role').flatMap((role) => PKI_ROLE_OPEN_NAMES.flatMap(({ argument, vaultDefault, what }) => {
    const value: unknown = role.body[argument];
    const open = value === undefined ? vaultDefault : !isFalse(value);
    if (!open) return [];
    const how = value === undefined ? `${argument} is not set (Vault's default is ${vaultDefault})` : `${argument} is ${show(value)}`;
    return [tfFinding('TF-017', role, [argument], `the role signs ${what}: ${how}; expected false, `
      + 'so that it signs only names of its allowed_domains')];
  }));
}

function checkPkiRoleWildcards(input: ValidationInput): Finding[] {
  return resources(input, 'vault_pki_secret_backend_role').flatMap((role) => {
    const value: unknown = role.body.allow_wildcard_certificates;
    // Absent, Vault allows wildcards (the role API's default is true).
    if (isFalse(value)) return [];
    const how = value === undefined ? 'allow_wildcard_certificates is not set (Vault\'s default is true)' : `allow_wildcard_certificates is ${show(value)}`;
    return [tfFinding('TF-018', role, ['allow_wildcard_certificates'], `the role signs wildcard certificates ("*.<domain>"), whose key `
      + `serves every host of the domain: ${how}; expected false, or a suppression naming this role where wildcards are intended `
      + '(vault.pki.allowWildcardCertificates)')];
  });
}

function checkPkiRoleMaxTtl(input: ValidationInput): Finding[] {
  return resources(input, 'vault_pki_secret_backend_role').flatMap((role) => {
    const value: unknown = role.body.max_ttl;
    const seconds = vaultTtlSeconds(value);
    const limit = `at most ${PKI_ROLE_MAX_TTL_SECONDS / 3600}h (398 days)`;
    let problem: string | undefined;
    if (value === undefined) {
      problem = 'max_ttl is not set, so certificates may live as long as the mount\'s max_lease_ttl (the issuing CA\'s lifetime)';
    } else if (seconds === undefined) {
      problem = `max_ttl is ${show(value)}, which cannot be checked`;
    } else if (seconds <= 0) {
      problem = `max_ttl is ${show(value)}, which Vault reads as the mount's max_lease_ttl (the issuing CA's lifetime)`;
    } else if (seconds > PKI_ROLE_MAX_TTL_SECONDS) {
      problem = `max_ttl is ${show(value)}`;
    }
    return problem === undefined ? [] : [tfFinding('TF-019', role, ['max_ttl'], `a signed certificate may outlive every planned rotation: `
      + `${problem}; expected a literal duration ${limit}`)];
  });
}

function checkIssuerLeafNotAfter(input: ValidationInput): Finding[] {
  return resources(input, 'vault_pki_secret_backend_issuer').flatMap((issuer) => {
    const value: unknown = issuer.body.leaf_not_after_behavior;
    if (value !== 'permit') return [];
    return [tfFinding('TF-020', issuer, ['leaf_not_after_behavior'], 'the issuer signs certificates that outlive it: leaf_not_after_behavior '
      + 'is "permit"; expected "err" (refuse) or "truncate", so that no certificate is valid after its CA')];
  });
}

/** An `audit "<type>" "<path>" {` block of a server configuration, as it appears in user data. */
const DECLARED_AUDIT_DEVICE = /^[ \t]*audit[ \t]+"[^"\n]+"[ \t]+"[^"\n]+"[ \t]*\{/gm;

/** Audit devices declared in the server configuration of the most generous launch template or instance (OpenBao declares them there). */
function declaredAuditDevices(input: ValidationInput): number {
  let most = 0;
  for (const resource of resources(input, 'aws_launch_template', 'aws_instance')) {
    for (const field of ['user_data', 'user_data_base64']) {
      const value: unknown = resource.body[field];
      if (typeof value !== 'string') continue;
      for (const { text } of userDataTexts(value)) {
        most = Math.max(most, [...text.matchAll(DECLARED_AUDIT_DEVICE)].length);
      }
    }
  }
  return most;
}

/**
 * Every stack that configures Vault (it has a `vault` provider) must, with the devices its servers
 * declare in their configuration, give Vault at least {@link MIN_AUDIT_DEVICES} audit devices.
 */
function checkAuditDevices(input: ValidationInput): Finding[] {
  const declared = declaredAuditDevices(input);
  const found: Finding[] = [];
  for (const stack of input.terraform) {
    if (stack.stack?.provider?.vault === undefined) continue;
    const devices = tfObjects(stack, 'resource', 'vault_audit');
    const total = devices.length + declared;
    if (total >= MIN_AUDIT_DEVICES) continue;
    const counted = `${devices.length} vault_audit resource${devices.length === 1 ? '' : 's'}`
      + `${declared === 0 ? '' : ` and ${declared} declared in the server configuration`}`;
    const message = `Vault has ${total} audit device${total === 1 ? '' : 's'} (${counted}): when it cannot write to one, every request fails; `
      + `expected at least ${MIN_AUDIT_DEVICES} (a file and a syslog or socket device, shipped off the node)`;
    found.push(devices[0] === undefined
      ? finding('TF-021', stack.file, 'provider.vault', undefined, message)
      : tfFinding('TF-021', devices[0], undefined, message));
  }
  return found;
}

function nonEmptyList(value: unknown): boolean {
  return (Array.isArray(value) && value.length > 0) || (typeof value === 'string' && value.includes('${'));
}

function checkAppRoles(input: ValidationInput): Finding[] {
  return resources(input, 'vault_approle_auth_backend_role').flatMap((role) => {
    const found: Finding[] = [];
    if (isFalse(role.body.bind_secret_id)) {
      found.push(tfFinding('TF-022', role, ['bind_secret_id'], 'anyone who knows the role id logs in: bind_secret_id is false; '
        + 'expected true, with a secret id delivered out of band'));
      return found;
    }
    const ttl = vaultTtlSeconds(role.body.secret_id_ttl);
    if (ttl === undefined || ttl <= 0) {
      found.push(tfFinding('TF-022', role, ['secret_id_ttl'], `a leaked secret id works forever: secret_id_ttl is ${show(role.body.secret_id_ttl)}`
        + `${ttl === 0 ? ' (0 is no limit)' : ''}; expected a literal lifetime, with the secret id rotated before it ends`));
    }
    if (!nonEmptyList(role.body.secret_id_bound_cidrs) && !nonEmptyList(role.body.token_bound_cidrs)) {
      found.push(tfFinding('TF-022', role, ['secret_id_bound_cidrs'], 'a leaked secret id works from anywhere: neither secret_id_bound_cidrs '
        + 'nor token_bound_cidrs is set; expected the CIDRs of the workload\'s pods or nodes'));
    }
    return found;
  });
}

function checkAwsAuth(input: ValidationInput): Finding[] {
  const roles = resources(input, 'vault_aws_auth_backend_role').flatMap((role) => {
    const found: Finding[] = [];
    if (role.body.auth_type !== 'iam') {
      found.push(tfFinding('TF-023', role, ['auth_type'], `the role trusts EC2 instance identity documents: auth_type is ${show(role.body.auth_type)}`
        + ' (the default is "ec2"); expected "iam", where a login proves one IAM role with a signed sts:GetCallerIdentity'));
    }
    const principals = role.body.bound_iam_principal_arns;
    if (!nonEmptyList(principals)) {
      found.push(tfFinding('TF-023', role, ['bound_iam_principal_arns'], 'any IAM principal of any account may log in: bound_iam_principal_arns is '
        + `${show(principals)}; expected the exact ARNs of the roles that log in`));
    } else if (Array.isArray(principals) && principals.some((arn) => typeof arn === 'string' && arn.includes('*'))) {
      found.push(tfFinding('TF-023', role, ['bound_iam_principal_arns'], `a wildcard lets roles nobody reviewed log in: ${show(principals)}; `
        + 'expected exact role ARNs'));
    }
    if (isFalse(role.body.resolve_aws_unique_ids)) {
      found.push(tfFinding('TF-023', role, ['resolve_aws_unique_ids'], 'a role deleted and created again under the same name inherits the login: '
        + 'resolve_aws_unique_ids is false; expected true (the default)'));
    }
    return found;
  });
  const clients = resources(input, 'vault_aws_auth_backend_client').flatMap((client) => {
    const found: Finding[] = [];
    const header = client.body.iam_server_id_header_value;
    if (typeof header !== 'string' || header.trim() === '') {
      found.push(tfFinding('TF-023', client, ['iam_server_id_header_value'], 'a login signed for another Vault (or any AWS service) can be replayed '
        + `here: iam_server_id_header_value is ${show(header)}; expected Vault's server name, which every login must sign`));
    }
    for (const argument of ['access_key', 'secret_key']) {
      if (client.body[argument] !== undefined) {
        found.push(tfFinding('TF-023', client, [argument], `${argument} puts a static AWS key in Vault's configuration and Terraform's state; `
          + 'expected none: Vault uses its nodes\' instance role'));
      }
    }
    return found;
  });
  return [...roles, ...clients];
}

// ---------------------------------------------------------------------------------------------
// The rules

interface DocumentedRule extends PolicyRule {
  /** What the rule reads, for {@link policyTable}. */
  readonly appliesTo: string;
}

const CONTAINERS = 'every container and init container of Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob';

const RULES: readonly DocumentedRule[] = [
  {
    id: 'K8S-001',
    target: 'kubernetes',
    title: 'containers run as non-root',
    appliesTo: CONTAINERS,
    rationale: 'a process that escapes its container as root is root on the node; with runAsNonRoot the kubelet refuses to start it as root',
    check: (input) => eachContainer(input, checkRunAsNonRoot),
  },
  {
    id: 'K8S-002',
    target: 'kubernetes',
    title: 'read-only root filesystem',
    appliesTo: CONTAINERS,
    rationale: 'an intruder can neither drop tools nor alter binaries; what must be written goes to an explicit emptyDir',
    check: (input) => eachContainer(input, checkReadOnlyRoot),
  },
  {
    id: 'K8S-003',
    target: 'kubernetes',
    title: 'all capabilities dropped, none added',
    appliesTo: CONTAINERS,
    rationale: 'a non-root process listening above port 1023 needs no capability, and each one widens the kernel surface (no exception, NET_BIND_SERVICE included)',
    check: (input) => eachContainer(input, checkCapabilities),
  },
  {
    id: 'K8S-004',
    target: 'kubernetes',
    title: 'no privilege escalation, not privileged',
    appliesTo: CONTAINERS,
    rationale: 'setuid binaries cannot regain root, and a privileged container is root on the node',
    check: (input) => eachContainer(input, checkPrivilege),
  },
  {
    id: 'K8S-005',
    target: 'kubernetes',
    title: 'CPU and memory requests and limits',
    appliesTo: CONTAINERS,
    rationale: 'the scheduler places pods on their requests, and limits keep one runaway container from starving cert-manager or Vault clients on its node',
    check: (input) => eachContainer(input, checkResources),
  },
  {
    id: 'K8S-006',
    target: 'kubernetes',
    title: 'no host namespaces, host paths or host ports',
    appliesTo: 'every pod template (hostNetwork, hostPID, hostIPC, hostPath volumes, containers\' hostPort)',
    rationale: 'each shares a piece of the node with the pod: one step from a compromised container to the node',
    check: (input) => podSpecs(input).flatMap(checkHostAccess),
  },
  {
    id: 'K8S-007',
    target: 'kubernetes',
    title: 'images pinned by tag or digest',
    appliesTo: CONTAINERS,
    rationale: '"latest" or no tag changes what runs without a change in Git, defeating review and rollback',
    check: (input) => eachContainer(input, checkImage),
  },
  {
    id: 'K8S-008',
    target: 'kubernetes',
    title: 'seccomp profile RuntimeDefault or Localhost',
    appliesTo: `${CONTAINERS} (pod or container level)`,
    rationale: 'filters the system calls most kernel exploits need; without a profile the kubelet runs containers Unconfined',
    check: (input) => eachContainer(input, checkSeccomp),
  },
  {
    id: 'K8S-009',
    target: 'kubernetes',
    title: 'TLS verification never skipped',
    appliesTo: 'every object: env (VAULT_SKIP_VERIFY, BAO_SKIP_VERIFY), command and args, ConfigMap data, issuers\' skipTLSVerify, Helm values',
    rationale: 'a skipped verification lets anyone on the path impersonate Vault, the ACME server or an API: the very thing this PKI exists to prevent',
    check: (input) => input.manifests.flatMap(checkTlsVerification),
  },
  {
    id: 'TF-001',
    target: 'terraform',
    title: 'IMDSv2 required, hop limit 1',
    appliesTo: 'aws_launch_template, aws_instance',
    rationale: 'IMDSv1 hands the instance role\'s credentials to any SSRF; a hop limit of 1 keeps them from containers on the instance',
    check: checkImds,
  },
  {
    id: 'TF-002',
    target: 'terraform',
    title: 'EBS volumes encrypted',
    appliesTo: 'aws_launch_template block devices, aws_instance volumes, aws_ebs_volume (or aws_ebs_encryption_by_default)',
    rationale: 'Vault\'s Raft data sits on these volumes; encryption at rest covers a leaked volume or snapshot',
    check: checkEbsEncryption,
  },
  {
    id: 'TF-003',
    target: 'terraform',
    title: 'KMS keys rotated',
    appliesTo: 'aws_kms_key (symmetric)',
    rationale: 'yearly rotation bounds what one key version protects, Vault\'s unseal key included',
    check: checkKeyRotation,
  },
  {
    id: 'TF-004',
    target: 'terraform',
    title: 'S3 buckets encrypted with KMS',
    appliesTo: 'aws_s3_bucket, aws_s3_bucket_server_side_encryption_configuration',
    rationale: 'SSE-KMS puts a key policy and logged decrypts in front of the Raft snapshots',
    check: checkBucketEncryption,
  },
  {
    id: 'TF-005',
    target: 'terraform',
    title: 'S3 public access blocked',
    appliesTo: 'aws_s3_bucket, aws_s3_bucket_public_access_block',
    rationale: 'the four flags stop any later ACL or policy from making the snapshots public',
    check: checkPublicAccessBlock,
  },
  {
    id: 'TF-006',
    target: 'terraform',
    title: 'S3 TLS-only policy and versioning',
    appliesTo: 'aws_s3_bucket, aws_s3_bucket_policy, aws_s3_bucket_versioning',
    rationale: 'refusing plain HTTP keeps snapshots off the wire in clear; versioning keeps them restorable after an overwrite or a deletion',
    check: checkBucketPolicyAndVersioning,
  },
  {
    id: 'TF-007',
    target: 'terraform',
    title: 'no ingress from 0.0.0.0/0 or ::/0',
    appliesTo: 'aws_security_group ingress, aws_security_group_rule, aws_vpc_security_group_ingress_rule',
    rationale: 'Vault and its nodes are private; the public entry point is the Gateway\'s load balancer, not a security group opened here',
    check: checkWorldIngress,
  },
  {
    id: 'TF-008',
    target: 'terraform',
    title: 'no wildcard IAM action',
    appliesTo: 'Allow statements of IAM, trust, KMS key and bucket policies, aws_iam_policy_document',
    rationale: '"*" and "service:*" grant actions nobody reviewed, including those AWS adds later',
    check: checkWildcardActions,
  },
  {
    id: 'TF-009',
    target: 'terraform',
    title: 'no "*" resource but for actions without resource types',
    appliesTo: 'Allow statements of IAM and bucket policies, aws_iam_policy_document',
    rationale: `a role reaches only the zones, keys and buckets named; "*" is accepted for ${ACTIONS_WITHOUT_RESOURCE_TYPES.join(', ')} only`,
    check: checkResourceWildcards,
  },
  {
    id: 'TF-010',
    target: 'terraform',
    title: 'no secrets in user data',
    appliesTo: 'user_data, user_data_base64 of aws_launch_template and aws_instance (base64 and gzip decoded)',
    rationale: 'user data is readable by every process on the instance and through the EC2 API; secrets come from Vault or AWS at boot',
    check: checkUserDataSecrets,
  },
  {
    id: 'TF-011',
    target: 'terraform',
    title: 'state outside the output folder, encrypted in S3',
    appliesTo: 'terraform.backend of every stack (local path resolved from the stack\'s folder, s3 encrypt and kms_key_id), '
      + 'terraform.tfstate files in stack folders',
    rationale: 'synth rewrites the output folder and dist/ is committed; state records every secret a stack reads and is the only record of what exists',
    check: checkStateLocation,
  },
  {
    id: 'TF-012',
    target: 'terraform',
    title: 'no private key in Terraform state',
    appliesTo: 'every resource: pem_bundle, private_key, private_key_pem, ca_private_key_pem (any block), tls_private_key, '
      + 'vault_pki_secret_backend_cert, Vault PKI keys of type "exported", secret_string of aws_secretsmanager_secret_version',
    rationale: 'state is plain JSON that whoever can plan reads; CA keys stay offline or inside Vault, other secrets go through write-only arguments',
    check: checkKeyMaterialInState,
  },
  {
    id: 'TF-013',
    target: 'terraform',
    title: 'Auto Scaling groups name a launch template version',
    appliesTo: 'aws_autoscaling_group: launch_template, mixed_instances_policy launch template and overrides',
    rationale: 'AWS starts no instance refresh for "$Latest" or "$Default": a renewed certificate or a new image never reaches running nodes, while replacements take it',
    check: checkLaunchTemplateVersions,
  },
  {
    id: 'TF-014',
    target: 'terraform',
    title: 'Vault target groups count only unsealed nodes healthy',
    appliesTo: 'aws_lb_target_group on port 8200 or checking /v1/sys/health: protocol, path, matcher, sealedcode and uninitcode (a warning)',
    rationale: 'a matcher accepting 5xx or a TCP check routes clients to sealed or unjoined nodes, and lets a rolling refresh replace voters with broken ones',
    check: checkVaultHealthChecks,
  },
  {
    id: 'TF-015',
    target: 'terraform',
    title: 'Secrets Manager secrets under a customer-managed key',
    appliesTo: 'aws_secretsmanager_secret (kms_key_id)',
    rationale: 'the AWS-managed key lets any principal with GetSecretValue read the Vault TLS key or an AppRole secret id; a customer-managed key\'s policy names who decrypts',
    check: checkSecretsKey,
  },
  {
    id: 'TF-016',
    target: 'terraform',
    title: 'KMS keys with an explicit policy; the seal key deletable by a break-glass role only',
    appliesTo: 'aws_kms_key, aws_kms_replica_key (policy); the key the awskms seal of a launch template names',
    rationale: 'the default policy hands the key to every IAM policy of the account; a deleted seal key makes Vault and every snapshot unrecoverable',
    check: checkKeyPolicies,
  },
  {
    id: 'TF-017',
    target: 'terraform',
    title: 'Vault PKI roles: no any-name, IP SANs or localhost',
    appliesTo: 'vault_pki_secret_backend_role (allow_any_name, allow_ip_sans, allow_localhost; absent means Vault\'s default)',
    rationale: 'a role signs only names of its allowed domains: an IP or localhost certificate is valid for whoever holds that address',
    check: checkPkiRoleNames,
  },
  {
    id: 'TF-018',
    target: 'terraform',
    title: 'Vault PKI roles: no wildcard certificates unless intended',
    appliesTo: 'vault_pki_secret_backend_role (allow_wildcard_certificates; absent means true)',
    rationale: 'one leaked wildcard key impersonates every host of the domain; where wildcards are intended, a suppression names the role',
    check: checkPkiRoleWildcards,
  },
  {
    id: 'TF-019',
    target: 'terraform',
    title: 'Vault PKI roles: bounded max_ttl',
    appliesTo: 'vault_pki_secret_backend_role (max_ttl)',
    rationale: `without max_ttl a certificate may live as long as the issuing CA; ${PKI_ROLE_MAX_TTL_SECONDS / 86400} days is the longest TLS clients accept`,
    check: checkPkiRoleMaxTtl,
  },
  {
    id: 'TF-020',
    target: 'terraform',
    title: 'Vault PKI issuers: leaf_not_after_behavior is not permit',
    appliesTo: 'vault_pki_secret_backend_issuer',
    rationale: 'with "permit" Vault signs leaves valid after their CA expires, which clients reject mid-life',
    check: checkIssuerLeafNotAfter,
  },
  {
    id: 'TF-021',
    target: 'terraform',
    title: `at least ${MIN_AUDIT_DEVICES} Vault audit devices`,
    appliesTo: 'stacks with a vault provider: vault_audit resources, plus audit blocks of the server configuration in launch template user data',
    rationale: 'Vault refuses every request it cannot audit: a second device keeps it serving when one fails, and keeps a copy off the node',
    check: checkAuditDevices,
  },
  {
    id: 'TF-022',
    target: 'terraform',
    title: 'Vault AppRoles: secret id bound in time and network',
    appliesTo: 'vault_approle_auth_backend_role (bind_secret_id, secret_id_ttl, secret_id_bound_cidrs or token_bound_cidrs)',
    rationale: 'a secret id is a long-lived credential in a Kubernetes Secret: a lifetime and bound CIDRs limit what a leaked one can do',
    check: checkAppRoles,
  },
  {
    id: 'TF-023',
    target: 'terraform',
    title: 'Vault AWS auth: IAM logins of named roles, bound to Vault',
    appliesTo: 'vault_aws_auth_backend_role (auth_type, bound_iam_principal_arns, resolve_aws_unique_ids), vault_aws_auth_backend_client (iam_server_id_header_value, access_key, secret_key)',
    rationale: 'an AWS login is as strong as what it binds: exact role ARNs by unique id, signed for this Vault only, and no static AWS key in Vault',
    check: checkAwsAuth,
  },
];

/** Every policy rule, Kubernetes then Terraform, in id order. */
export const POLICY_RULES: readonly PolicyRule[] = RULES;

/**
 * Runs every rule of {@link POLICY_RULES} and applies the suppressions.
 *
 * A finding is dropped when a suppression names its rule and, if it names an object, that object.
 * Then, for each suppression, in order: one naming no known rule is an error, one that dropped
 * nothing a warning (stale: the rule passes now, or the object is gone), both with rule
 * {@link SUPPRESSION_FINDING_RULE} and the suppression's path in the configuration.
 * @returns findings in rule order, each rule's in input order; then those about suppressions
 */
export function checkPolicies(
  input: ValidationInput, suppressions: readonly PolicySuppression[] = [], options: CheckPoliciesOptions = {},
): Finding[] {
  const configFile = options.configFile ?? 'config/platform.yaml';
  const used = suppressions.map(() => false);
  const findings: Finding[] = [];
  for (const rule of POLICY_RULES) {
    for (const found of rule.check(input)) {
      let suppressed = false;
      suppressions.forEach((suppression, index) => {
        if (suppression.rule === found.rule && (suppression.object === undefined || suppression.object === found.object)) {
          used[index] = true;
          suppressed = true;
        }
      });
      if (!suppressed) {
        findings.push(found);
      }
    }
  }
  const ids = POLICY_RULES.map((rule) => rule.id);
  suppressions.forEach((suppression, index) => {
    const path = `validation.suppressions[${index}]`;
    if (!ids.includes(suppression.rule)) {
      const near = ids.find((id) => id.toLowerCase() === suppression.rule.trim().toLowerCase());
      findings.push({
        rule: SUPPRESSION_FINDING_RULE,
        severity: 'error',
        file: configFile,
        path: `${path}.rule`,
        message: `the suppression names no policy rule: ${show(suppression.rule)}; expected one of ${ids.join(', ')}`
          + `${near === undefined ? '' : ` (did you mean ${show(near)}?)`}`,
      });
    } else if (!used[index]) {
      const what = suppression.object === undefined ? `of ${suppression.rule}` : `of ${suppression.rule} for ${show(suppression.object)}`;
      findings.push({
        rule: SUPPRESSION_FINDING_RULE,
        severity: 'warning',
        file: configFile,
        path,
        message: `the suppression ${what} matched no finding (stale: the rule passes now, or the object is gone); expected it removed`,
      });
    }
  });
  return findings;
}

/**
 * The rules as a Markdown table, `| id | applies to | rule | why |`, one row per rule of
 * {@link POLICY_RULES}, for docs/validation.md.
 */
export function policyTable(): string {
  const cell = (text: string): string => text.replaceAll('|', '\\|');
  return [
    '| id | applies to | rule | why |',
    '|---|---|---|---|',
    ...RULES.map((rule) => `| \`${rule.id}\` | ${cell(rule.appliesTo)} | ${cell(rule.title)} | ${cell(rule.rationale)} |`),
  ].join('\n');
}
