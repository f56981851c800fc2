/**
 * The effective settings of the Vault configuration stack (`vault-config`) and of what depends on
 * them: every default of `vault.pki`, `vault.auth.appRole` and `vault.setup` applied in one place,
 * so that the Terraform stack, the offline PKI (name constraints), the External Secrets delivery and
 * the configuration checks all read the same values.
 *
 * Pure functions of a validated {@link PlatformConfig}; defaults are the ones types.ts documents.
 */

import { CERT_MANAGER_APPROLE, CERT_MANAGER_NAMESPACE, SNAPSHOT_APPROLE } from '../util/names.js';
import { isInDnsZone, parseGoDuration } from '../util/validators.js';
import { resolveBackup } from './backup.js';
import { raftQuorum, raftVoters } from './check-vault-cluster.js';
import type { ClusterConfig, PlatformConfig, VaultAuthConfig, VaultEngine } from './types.js';

/** The DNS domain of Kubernetes Services, signed by default besides the private zone. */
export const CLUSTER_LOCAL_DOMAIN = 'cluster.local';

/** `vault.pki.*` when omitted. */
export const VAULT_PKI_DEFAULTS = {
  mount: 'pki_private_issuer',
  role: 'cert-manager',
  /** The issuer when `vault.pki.issuers` is omitted, and the name of its key in Vault. */
  issuerName: 'issuing-ca',
  /** Where an issuer's certificate file is when not given (`<directory>/<name>.pem`), relative to the configuration file. */
  issuerCertificateDirectory: 'pki',
  /** 2 years: a rotation every other year, well inside the intermediate's 5. */
  issuingCaTtl: '17520h',
  leafTtl: '720h',
  leafMaxTtl: '2160h',
} as const;

/** Vault's key types, as its PKI API names them, and the sizes each takes. */
export const VAULT_KEY_TYPES = ['ec', 'rsa'] as const;
export type VaultKeyType = (typeof VAULT_KEY_TYPES)[number];
export const VAULT_KEY_BITS: Readonly<Record<VaultKeyType, readonly number[]>> = { ec: [256, 384, 521], rsa: [2048, 3072, 4096] };
/**
 * Sizes of the issuing CAs' keys (`vault.pki.issuingKey`), which `sign-issuing` also accepts in a
 * CSR: no P-521, which Chrome and BoringSSL do not verify in a chain, and no RSA below 2048 bits.
 */
export const ISSUING_KEY_BITS: Readonly<Record<VaultKeyType, readonly number[]>> = { ec: [256, 384], rsa: [2048, 3072, 4096] };
/** Size when only the type is given: P-256, RSA 2048. */
export const VAULT_DEFAULT_KEY_BITS: Readonly<Record<VaultKeyType, number>> = { ec: 256, rsa: 2048 };

/** `vault.auth` when omitted: Kubernetes (JWT) auth, no secret at all. */
/** Vault role cert-manager logs in to when `vault.auth` is omitted. */
export const DEFAULT_KUBERNETES_AUTH_ROLE = 'cert-manager';
export const DEFAULT_VAULT_AUTH: VaultAuthConfig = { kubernetes: { role: DEFAULT_KUBERNETES_AUTH_ROLE } };

/** How cert-manager logs in to Vault: `vault.auth`, or {@link DEFAULT_VAULT_AUTH}. */
export function vaultAuth(config: PlatformConfig): VaultAuthConfig {
  return config.vault.auth ?? DEFAULT_VAULT_AUTH;
}

/** `vault.auth.appRole.*` when omitted. */
export const APPROLE_DEFAULTS = {
  path: 'approle',
  secretName: 'vault-approle',
  secretKey: 'secretId',
  /** 90 days, rotated before (docs/operations.md, "AppRole rotation"). */
  secretIdTtl: '2160h',
} as const;

/**
 * Tokens of the platform's AppRoles (and of cert-manager's Kubernetes login): 10 minutes, renewable
 * to 20. cert-manager logs in again for each signing and the snapshot agent takes seconds, so a
 * stolen token is worth little for long.
 */
export const APPROLE_TOKEN_TTL_SECONDS = 600;
export const APPROLE_TOKEN_MAX_TTL_SECONDS = 1200;

/** `vault.setup.*` when omitted; the audit file's default depends on the engine. */
export const VAULT_SETUP_DEFAULTS = {
  deadServerLastContactThreshold: '10m',
  kvMount: 'kv',
  adminPolicy: 'admin',
} as const;
export const DEFAULT_AUDIT_FILE_PATHS: Readonly<Record<VaultEngine, string>> = {
  vault: '/var/log/vault/audit.log',
  openbao: '/var/log/openbao/audit.log',
};

/**
 * The syslog audit device, Vault's second: its entries leave the node through rsyslog and the
 * CloudWatch agent (vault-aws stack), which pick them out by this tag. Facility AUTH, Vault's default.
 */
export const SYSLOG_AUDIT_TAGS: Readonly<Record<VaultEngine, string>> = {
  vault: 'vault-audit',
  openbao: 'openbao-audit',
};
export const SYSLOG_AUDIT_FACILITY = 'AUTH';

/** Autopilot's smallest `min_quorum` (Vault documents 3 as the floor). */
export const AUTOPILOT_MIN_QUORUM_FLOOR = 3;

/** A key of Vault's PKI: type and size. */
export interface VaultKey {
  readonly type: VaultKeyType;
  readonly bits: number;
}

/** One issuing CA, defaults applied. */
export interface VaultIssuerSettings {
  readonly name: string;
  /** Relative to the configuration file. */
  readonly certificateFile: string;
}

/** Every `vault.pki` setting, defaults applied. */
export interface VaultPkiSettings {
  readonly mount: string;
  readonly role: string;
  /** In the configuration's order. */
  readonly issuers: readonly VaultIssuerSettings[];
  /** Name of the issuer that signs (one of `issuers`). */
  readonly defaultIssuer: string;
  readonly issuingCaTtl: string;
  readonly issuingKey: VaultKey;
  readonly allowedDomains: readonly string[];
  readonly allowWildcardCertificates: boolean;
  readonly leafTtl: string;
  readonly leafMaxTtl: string;
  readonly leafKey: VaultKey;
  readonly allowIssue: boolean;
  /** `<mount>/sign/<role>`: the path the Vault ClusterIssuer calls. */
  readonly signPath: string;
  /** `<mount>/issue/<role>`. */
  readonly issuePath: string;
}

/** `vault.pki`, defaults applied. */
export function vaultPkiSettings(config: PlatformConfig): VaultPkiSettings {
  const pki = config.vault.pki ?? {};
  const mount = pki.mount ?? VAULT_PKI_DEFAULTS.mount;
  const role = pki.role ?? VAULT_PKI_DEFAULTS.role;
  const issuers = (pki.issuers ?? [{ name: VAULT_PKI_DEFAULTS.issuerName }]).map((issuer) => ({
    name: issuer.name,
    certificateFile: issuer.certificateFile ?? defaultIssuerCertificateFile(issuer.name),
  }));
  return {
    mount,
    role,
    issuers,
    defaultIssuer: pki.defaultIssuer ?? issuers[0]!.name,
    issuingCaTtl: pki.issuingCaTtl ?? VAULT_PKI_DEFAULTS.issuingCaTtl,
    issuingKey: vaultKey(pki.issuingKey, { type: 'ec', bits: VAULT_DEFAULT_KEY_BITS.ec }),
    allowedDomains: effectiveAllowedDomains(config),
    allowWildcardCertificates: pki.allowWildcardCertificates ?? false,
    leafTtl: pki.leafTtl ?? VAULT_PKI_DEFAULTS.leafTtl,
    leafMaxTtl: pki.leafMaxTtl ?? defaultLeafMaxTtl(config.privateCertificate?.duration),
    leafKey: vaultKey(pki.leafKey, privateCertificateKey(config)),
    allowIssue: pki.allowIssue ?? false,
    signPath: `${mount}/sign/${role}`,
    issuePath: `${mount}/issue/${role}`,
  };
}

/**
 * The domains the Vault role signs (with their subdomains), which are also the offline
 * intermediate's name constraints: `vault.pki.allowedDomains`, by default the private zone and
 * `cluster.local`.
 */
export function effectiveAllowedDomains(config: PlatformConfig): readonly string[] {
  return config.vault.pki?.allowedDomains ?? [config.dns.privateZone.name, CLUSTER_LOCAL_DOMAIN];
}

/**
 * `leafMaxTtl` when omitted: 2160h, or the private Gateway certificate's `duration` when that is
 * longer, so that the role never cuts what the platform itself asks for.
 */
export function defaultLeafMaxTtl(privateCertificateDuration: string | undefined): string {
  if (privateCertificateDuration === undefined) return VAULT_PKI_DEFAULTS.leafMaxTtl;
  return goDurationSeconds(privateCertificateDuration) > goDurationSeconds(VAULT_PKI_DEFAULTS.leafMaxTtl)
    ? privateCertificateDuration
    : VAULT_PKI_DEFAULTS.leafMaxTtl;
}

/** `pki/<name>.pem`: where `sign-issuing` writes an issuer's certificate when its file is not configured. */
export function defaultIssuerCertificateFile(name: string): string {
  return `${VAULT_PKI_DEFAULTS.issuerCertificateDirectory}/${name}.pem`;
}

/** The key of the private Gateway's certificate, in Vault's terms: what the role must accept. */
export function privateCertificateKey(config: PlatformConfig): VaultKey {
  const key = config.privateCertificate?.privateKey;
  const type: VaultKeyType = key?.algorithm === 'RSA' ? 'rsa' : 'ec';
  return { type, bits: key?.size ?? VAULT_DEFAULT_KEY_BITS[type] };
}

function vaultKey(given: { readonly type?: VaultKeyType; readonly bits?: number } | undefined, fallback: VaultKey): VaultKey {
  if (given === undefined) return fallback;
  const type = given.type ?? fallback.type;
  return { type, bits: given.bits ?? (type === fallback.type ? fallback.bits : VAULT_DEFAULT_KEY_BITS[type]) };
}

/** Every `vault.auth.appRole` setting, defaults applied (`undefined` with Kubernetes auth). */
export interface AppRoleSettings {
  readonly path: string;
  readonly roleId: string;
  readonly secretName: string;
  readonly secretKey: string;
  readonly tokenBoundCidrs: readonly string[];
  readonly secretIdBoundCidrs: readonly string[];
  readonly secretIdTtl: string;
}

/** cert-manager's AppRole login, defaults applied; `undefined` when it logs in with Kubernetes auth. */
export function appRoleSettings(config: PlatformConfig): AppRoleSettings | undefined {
  const appRole = vaultAuth(config).appRole;
  if (!appRole) return undefined;
  return {
    path: appRole.path ?? APPROLE_DEFAULTS.path,
    roleId: appRole.roleId,
    secretName: appRole.secretRef?.name ?? APPROLE_DEFAULTS.secretName,
    secretKey: appRole.secretRef?.key ?? APPROLE_DEFAULTS.secretKey,
    tokenBoundCidrs: appRole.tokenBoundCidrs ?? [],
    secretIdBoundCidrs: appRole.secretIdBoundCidrs ?? [],
    secretIdTtl: appRole.secretIdTtl ?? APPROLE_DEFAULTS.secretIdTtl,
  };
}

/** Every `vault.setup` setting, defaults applied, with what the `vaultCluster` section says of the servers. */
export interface VaultSetupSettings {
  readonly engine: VaultEngine;
  readonly auditFilePath: string;
  /** Tag of the syslog audit device's entries ({@link SYSLOG_AUDIT_TAGS}). */
  readonly auditSyslogTag: string;
  readonly deadServerLastContactThreshold: string;
  readonly kvMount: string;
  readonly adminPolicy: string;
  readonly kubernetesJwtAuth: boolean;
  /** Raft voters: 1 in `dev` mode, `vaultCluster.voters` in `ha`, 5 without a `vaultCluster` section. */
  readonly voters: number;
  /** Autopilot's `min_quorum`: the voters' quorum (a strict majority), at least 3. */
  readonly minQuorum: number;
}

/** `vault.setup`, defaults applied. */
export function vaultSetupSettings(config: PlatformConfig): VaultSetupSettings {
  const setup = config.vault.setup ?? {};
  const engine = config.vaultCluster?.engine ?? 'vault';
  const voters = raftVoters(config.vaultCluster);
  return {
    engine,
    auditFilePath: setup.auditFilePath ?? DEFAULT_AUDIT_FILE_PATHS[engine],
    auditSyslogTag: SYSLOG_AUDIT_TAGS[engine],
    deadServerLastContactThreshold: setup.deadServerLastContactThreshold ?? VAULT_SETUP_DEFAULTS.deadServerLastContactThreshold,
    kvMount: setup.kvMount ?? VAULT_SETUP_DEFAULTS.kvMount,
    adminPolicy: setup.adminPolicy ?? VAULT_SETUP_DEFAULTS.adminPolicy,
    kubernetesJwtAuth: setup.kubernetesJwtAuth ?? false,
    voters,
    minQuorum: Math.max(AUTOPILOT_MIN_QUORUM_FLOOR, raftQuorum(voters)),
  };
}

/**
 * The Vault AppRoles whose secret id a cluster receives from AWS Secrets Manager through External
 * Secrets: cert-manager's with AppRole login, the snapshot agent's where the backup runs. Empty
 * when the cluster needs no External Secrets Operator.
 */
export function appRolesDeliveredTo(config: PlatformConfig, cluster: ClusterConfig): string[] {
  const roles: string[] = [];
  if (vaultAuth(config).appRole) roles.push(CERT_MANAGER_APPROLE);
  if (resolveBackup(config)?.cluster.name === cluster.name) roles.push(SNAPSHOT_APPROLE);
  return roles;
}

/** An AppRole secret id a cluster receives, and the one namespace it is delivered into. */
export interface SecretIdDelivery {
  readonly appRole: string;
  readonly namespace: string;
}

/**
 * Where each secret id of {@link appRolesDeliveredTo} goes: cert-manager's into cert-manager's
 * namespace, the snapshot agent's into `backup.namespace`. Each of these namespaces has its own
 * SecretStore and reader role, which read that namespace's secret id only.
 */
export function secretIdDeliveries(config: PlatformConfig, cluster: ClusterConfig): SecretIdDelivery[] {
  return appRolesDeliveredTo(config, cluster).map((appRole) => ({
    appRole,
    namespace: appRole === SNAPSHOT_APPROLE ? resolveBackup(config)!.namespace : CERT_MANAGER_NAMESPACE,
  }));
}

/**
 * Seconds of a Go duration already known to be valid (`720h` → 2592000), rounded down: Vault's
 * AppRole TTL fields take whole seconds.
 */
export function goDurationSeconds(duration: string): number {
  return Math.floor(parseGoDuration(duration)! / 1e9);
}

/**
 * Why `vault.serverName` cannot be on Vault's server certificate, or `undefined`: the certificate
 * `npm run pki` makes is signed by the intermediate CA, which is name-constrained to the private
 * zone. One rule for synth (lib/config/validate.ts) and `npm run pki` (lib/pki/profile.ts), so that
 * neither accepts what the other refuses.
 */
export function vaultServerNameProblem(serverName: string, vaultHost: string | undefined, privateZone: string): string | undefined {
  if (serverName === vaultHost || isInDnsZone(serverName, privateZone)) return undefined;
  return `expected a name in the private zone ${JSON.stringify(privateZone)} (dns.privateZone.name) to put on Vault's server certificate, `
    + `got ${JSON.stringify(serverName)} (the intermediate CA is name-constrained to that zone; remove vault.serverName or use a name of the zone)`;
}

/**
 * The value every login to Vault's AWS auth signs in its `X-Vault-AWS-IAM-Server-ID` header, and
 * that Vault requires: the host name of `vault.address`, which the nodes' launch gate and the
 * rotation jobs know too.
 */
export function vaultAwsAuthServerId(config: PlatformConfig): string {
  return new URL(config.vault.address).hostname;
}
