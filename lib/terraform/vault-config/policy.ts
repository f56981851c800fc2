/**
 * Vault ACL policies as typed data, rendered to HCL in one place (as lib/terraform/iam.ts does for
 * IAM): every rule names an exact path and its capabilities.
 *
 * A glob (`*` anywhere, `+` as a segment) grants paths nobody reviewed, including mounts added
 * later, so the renderer refuses it unless the rule says why (`glob.reason`): only the admin policy,
 * for humans, does. An empty capability list grants nothing and is refused as a mistake; `deny` is
 * never mixed with other capabilities (Vault would deny anyway, and the rule would read as a grant).
 *
 * @see https://developer.hashicorp.com/vault/docs/concepts/policies
 */
import { type HclBlock, renderHcl } from '../../util/hcl.js';
import { CERT_MANAGER_APPROLE, SNAPSHOT_APPROLE, VAULT_NODE_GATE_ROLE } from '../../util/names.js';

/** Vault's capabilities, in the order its documentation lists them. */
export const VAULT_CAPABILITIES = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny'] as const;
export type VaultCapability = (typeof VAULT_CAPABILITIES)[number];

/** One `path "…" { capabilities = […] }` block. */
export interface VaultPolicyRule {
  /** An exact API path without the `/v1/` prefix, such as `pki_private_issuer/sign/cert-manager`. */
  readonly path: string;
  readonly capabilities: readonly VaultCapability[];
  /** What the rule is for: written as a comment above it. */
  readonly comment?: string;
  /**
   * Accepts `*` and `+` in `path`, for the one reason given (written in the HCL comment). Only for
   * policies held by people, never by a workload.
   * @default - globs are refused
   */
  readonly glob?: { readonly reason: string };
}

/** A named policy. */
export interface VaultPolicy {
  /** Policy name: letters, digits, `_` and `-`. */
  readonly name: string;
  /** Who holds it and why: the first comment of the HCL. */
  readonly description: string;
  readonly rules: readonly VaultPolicyRule[];
}

const POLICY_NAME = /^[A-Za-z0-9_-]+$/;
const PATH_CHARACTERS = /^[A-Za-z0-9_.\-/*+]+$/;

/**
 * Renders a policy to HCL: a comment naming it, then one block per rule, in the order given.
 * @throws Error when the name is not a policy name, a rule has no capability, an unknown one, or
 *   `deny` with others, a path is empty, absolute, repeated, has characters HCL strings would need
 *   escaped, or a glob without a reason
 */
export function renderPolicy(policy: VaultPolicy): string {
  if (!POLICY_NAME.test(policy.name)) {
    throw new Error(`vault policy name must be letters, digits, '_' and '-', got ${JSON.stringify(policy.name)}`);
  }
  if (policy.rules.length === 0) throw new Error(`vault policy "${policy.name}" has no rules: it would grant nothing`);
  const seen = new Set<string>();
  const blocks = policy.rules.map((rule) => {
    const where = `vault policy "${policy.name}", path ${JSON.stringify(rule.path)}`;
    if (rule.path === '' || rule.path.startsWith('/') || !PATH_CHARACTERS.test(rule.path)) {
      throw new Error(`${where}: expected an API path without leading "/" of letters, digits, '_', '-', '.' and '/'`);
    }
    if (seen.has(rule.path)) throw new Error(`${where}: the path is given twice; merge its capabilities into one rule`);
    seen.add(rule.path);
    const glob = /[*+]/.exec(rule.path);
    if (glob && !rule.glob?.reason.trim()) {
      throw new Error(`${where}: wildcard "${glob[0]}" is not allowed; name the exact path (a glob also grants paths `
        + 'mounted later, which nobody reviewed)');
    }
    if (rule.capabilities.length === 0) {
      throw new Error(`${where}: no capabilities; give at least one, or remove the rule`);
    }
    const unknown = rule.capabilities.find((c) => !(VAULT_CAPABILITIES as readonly string[]).includes(c));
    if (unknown !== undefined) throw new Error(`${where}: unknown capability ${JSON.stringify(unknown)}; expected ${VAULT_CAPABILITIES.join(', ')}`);
    if (rule.capabilities.includes('deny') && rule.capabilities.length > 1) {
      throw new Error(`${where}: "deny" overrides every other capability; give it alone`);
    }
    if (new Set(rule.capabilities).size !== rule.capabilities.length) throw new Error(`${where}: a capability is repeated`);
    const block: HclBlock = {
      type: 'path',
      labels: [rule.path],
      comments: [rule.comment, rule.glob ? `glob: ${rule.glob.reason}` : undefined].filter((c): c is string => c !== undefined),
      body: [['capabilities', VAULT_CAPABILITIES.filter((c) => rule.capabilities.includes(c))]],
    };
    return block;
  });
  return renderHcl(blocks, [`${policy.name}: ${policy.description}`]);
}

/** What cert-manager's Vault ClusterIssuer may call. */
export interface CertManagerPolicyProps {
  /** `<mount>/sign/<role>`. */
  readonly signPath: string;
  /** `<mount>/issue/<role>`, when cert-manager may also have Vault generate keys. */
  readonly issuePath?: string;
}

/**
 * cert-manager's policy: `update` on `<mount>/sign/<role>` (a CSR signed, the key stays in the
 * cluster), and on `<mount>/issue/<role>` only when configured. Nothing else: no read of the CA's
 * configuration, no revocation, no list.
 */
export function certManagerPolicy(props: CertManagerPolicyProps): VaultPolicy {
  const rules: VaultPolicyRule[] = [
    { path: props.signPath, capabilities: ['update'], comment: 'sign a CSR made by cert-manager (the private key never leaves the cluster)' },
  ];
  if (props.issuePath !== undefined) {
    rules.push({ path: props.issuePath, capabilities: ['update'], comment: 'issue a key and certificate (vault.pki.allowIssue)' });
  }
  return { name: CERT_MANAGER_APPROLE, description: 'cert-manager\'s Vault ClusterIssuer, signing private certificates', rules };
}

/**
 * The snapshot agent's policy: read a Raft snapshot and the Raft configuration (which node is the
 * leader, for the job to find it). No write: a restore is a human's act.
 */
export function snapshotPolicy(): VaultPolicy {
  return {
    name: SNAPSHOT_APPROLE,
    description: 'the backup job, taking a Raft snapshot',
    rules: [
      { path: 'sys/storage/raft/snapshot', capabilities: ['read'], comment: 'download a snapshot of the Raft storage' },
      { path: 'sys/storage/raft/configuration', capabilities: ['read'], comment: 'read the Raft peers, to find the leader' },
    ],
  };
}

/**
 * The admin policy, for people (behind MFA and short tokens): everything but `sys/raw`, which reads
 * and writes Vault's storage beneath its encryption and its audit (disabled unless `raw_storage_endpoint`).
 */
export function adminPolicy(name: string): VaultPolicy {
  const reason = 'administrators operate every mount, including those created after this policy';
  return {
    name,
    description: 'platform administrators (humans): every path except sys/raw',
    rules: [
      { path: '*', capabilities: ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo'], glob: { reason } },
      { path: 'sys/raw', capabilities: ['deny'], comment: 'never the raw storage, below encryption and audit' },
      { path: 'sys/raw/*', capabilities: ['deny'], glob: { reason: 'deny every raw storage path' } },
    ],
  };
}

/**
 * The Vault nodes' launch gate: a new node enters service only once autopilot counts it a healthy
 * voter, which only `sys/storage/raft/autopilot/state` tells (it needs a token).
 */
export function nodeGatePolicy(): VaultPolicy {
  return {
    name: VAULT_NODE_GATE_ROLE,
    description: 'a Vault node\'s boot script, checking that autopilot counts the node a healthy voter',
    rules: [{ path: 'sys/storage/raft/autopilot/state', capabilities: ['read'], comment: 'the voters and their health, by node id' }],
  };
}

/** The AppRoles one cluster's rotation jobs rotate. */
export interface AppRoleRotationPolicyProps {
  /** Vault role of the jobs ({@link appRoleRotationVaultRole}), and the policy's name. */
  readonly name: string;
  readonly clusterName: string;
  readonly appRoles: ReadonlyArray<{ readonly name: string; readonly mount: string }>;
}

/**
 * A cluster's AppRole rotation: for each of its AppRoles, write a new secret id the job generated
 * (`custom-secret-id`, so that only its accessor comes back), list the role's secret id accessors,
 * read one's metadata (which cluster it belongs to) and destroy one. Nothing reads a secret id,
 * nothing touches the role itself.
 *
 * The role's secret ids of other clusters sharing the AppRole are in reach of `destroy` too: Vault
 * cannot scope a policy by metadata. The job only destroys accessors whose metadata names its own
 * cluster; a cluster's jobs are as trusted as the AppRole's consumers there.
 */
export function appRoleRotationPolicy(props: AppRoleRotationPolicyProps): VaultPolicy {
  return {
    name: props.name,
    description: `the AppRole secret id rotation jobs of cluster ${props.clusterName}`,
    rules: props.appRoles.flatMap(({ name, mount }) => {
      const role = `auth/${mount}/role/${name}`;
      return [
        { path: `${role}/custom-secret-id`, capabilities: ['update'] as const, comment: `register the new secret id of ${name}` },
        { path: `${role}/secret-id`, capabilities: ['list'] as const, comment: `the accessors of ${name}'s secret ids` },
        { path: `${role}/secret-id-accessor/lookup`, capabilities: ['update'] as const, comment: 'which cluster a secret id was made for' },
        { path: `${role}/secret-id-accessor/destroy`, capabilities: ['update'] as const, comment: 'destroy a secret id the cluster no longer uses' },
      ];
    }),
  };
}
