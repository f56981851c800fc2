import { ApproleAuthBackendRole } from '@cdktf/provider-vault/lib/approle-auth-backend-role/index.js';
import { Audit } from '@cdktf/provider-vault/lib/audit/index.js';
import { AuthBackend } from '@cdktf/provider-vault/lib/auth-backend/index.js';
import { JwtAuthBackend } from '@cdktf/provider-vault/lib/jwt-auth-backend/index.js';
import { JwtAuthBackendRole } from '@cdktf/provider-vault/lib/jwt-auth-backend-role/index.js';
import { Mount } from '@cdktf/provider-vault/lib/mount/index.js';
import { Policy } from '@cdktf/provider-vault/lib/policy/index.js';
import { VaultProvider } from '@cdktf/provider-vault/lib/provider/index.js';
import { RaftAutopilot } from '@cdktf/provider-vault/lib/raft-autopilot/index.js';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { IssuingCertificates } from '../../config/issuing-ca.js';
import type { ClusterConfig, PlatformConfig } from '../../config/types.js';
import {
  appRoleSettings, APPROLE_DEFAULTS, APPROLE_TOKEN_MAX_TTL_SECONDS, APPROLE_TOKEN_TTL_SECONDS, goDurationSeconds, SYSLOG_AUDIT_FACILITY,
  vaultAuth, vaultAwsAuthServerId, vaultPkiSettings, vaultSetupSettings,
} from '../../config/vault-setup.js';
import {
  appRoleRotationRoleArn, appRoleRotationVaultRole, awsPartition, CERT_MANAGER_APPROLE, DEFAULT_VAULT_CLUSTER_NAME, SNAPSHOT_APPROLE, VAULT_ISSUER_NAME, VAULT_NODE_GATE_ROLE,
  vaultNodeRoleArn,
} from '../../util/names.js';
import { appRoleRotationSettings } from '../../config/approle-rotation.js';
import { type AwsAuthLogin, VaultAwsAuth } from './aws-auth.js';
import { parseOidcProviderArn } from '../../util/validators.js';
import { ConfigFiles, type TerraformFiles } from '../files.js';
import { VaultPki } from './pki.js';
import {
  adminPolicy, appRoleRotationPolicy, certManagerPolicy, nodeGatePolicy, renderPolicy, snapshotPolicy, type VaultPolicy,
} from './policy.js';
import { PlatformStack, type PlatformStackProps } from '../platform-stack.js';

/** The launch gate's token: one read, within two minutes. */
const NODE_GATE_TOKEN_TTL_SECONDS = 120;
/** A rotation job's token: it logs in twice (to register the new secret id, then to destroy the old ones), each time for minutes. */
const ROTATION_TOKEN_TTL_SECONDS = 900;

/** cert-manager's namespace, where the Vault issuer's service account lives (Kubernetes auth). */
const CERT_MANAGER_NAMESPACE = 'cert-manager';
/** The Vault issuer's service account when `vault.auth.kubernetes.serviceAccount` is omitted (types.ts). */
const DEFAULT_ISSUER_SERVICE_ACCOUNT = 'vault-issuer';
/** Where cert-manager logs in with Kubernetes auth when `vault.auth.kubernetes.mountPath` is omitted. */
const DEFAULT_KUBERNETES_MOUNT_PATH = '/v1/auth/kubernetes';

export interface VaultConfigStackProps extends PlatformStackProps {
  readonly platform: PlatformConfig;
  /** Where Terraform finds the configuration's files (the CA chain that verifies Vault) at plan time. */
  readonly files?: TerraformFiles;
  /**
   * The issuing CAs signed offline so far, by issuer name (`LoadedPlatform.issuingCertificates`).
   * @default {} - none: phase 1, keys and CSRs only
   */
  readonly issuingCertificates?: IssuingCertificates;
}

/**
 * Vault itself, configured through the Vault provider once `vault operator init` has run: the PKI
 * engine and role that sign private certificates, the AppRoles of cert-manager and of the snapshot
 * agent with their policies, optionally JWT logins for the EKS clusters, an admin policy, a kv-v2
 * mount, Raft autopilot and two audit devices (file, syslog).
 *
 * Its own stack (`vault-config`), apart from the AWS stacks: another lifecycle (after init) and
 * other credentials (a Vault token, from `VAULT_TOKEN`, never in the configuration). TLS is always
 * verified, against the configuration's CA chain. No CA key is in its arguments nor its state: the
 * issuing CAs' keys are generated inside Vault, and the intermediate's stays offline, signing the
 * CSRs this stack outputs (`issuing_csr`) with `npm run pki -- sign-issuing`. Until the default
 * issuer's certificate file exists, the stack is in phase 1 (keys and CSRs only, {@link VaultPki}).
 *
 * What the cluster side needs from it is derived from the same configuration, so they agree by
 * construction: the Vault ClusterIssuer's `server` is the provider's address, its `path` the role's
 * `<mount>/sign/<role>`, its `roleId` the AppRole's `role_id`.
 *
 * @see https://registry.terraform.io/providers/hashicorp/vault/latest/docs
 */
export class VaultConfigStack extends PlatformStack {
  public readonly pki: VaultPki;
  /** cert-manager's AppRole, `undefined` with Kubernetes auth. */
  public readonly certManagerAppRole?: ApproleAuthBackendRole;
  /** The snapshot agent's AppRole, `undefined` without a `backup` section. */
  public readonly snapshotAppRole?: ApproleAuthBackendRole;
  public readonly policies: Readonly<Record<string, Policy>>;
  /** Vault's AWS auth method, `undefined` without a `vaultCluster` section. */
  public readonly awsAuth?: VaultAwsAuth;
  /** `https://host[:port]` of Vault, as the provider and the ClusterIssuer use it. */
  public readonly vaultAddress: string;

  constructor(scope: Construct, id: string, props: VaultConfigStackProps) {
    super(scope, id, props);
    const { platform } = props;
    const files = ConfigFiles.of(this, props.files ?? {});
    const pkiSettings = vaultPkiSettings(platform);
    const setup = vaultSetupSettings(platform);
    const appRole = appRoleSettings(platform);
    this.vaultAddress = vaultOrigin(platform.vault.address);

    // The token comes from VAULT_TOKEN (the provider's default); TLS is verified against the chain
    // of Vault's certificate, or the roots when the chain lives in a Secret of the cluster.
    const caFile = platform.vault.caBundleFile ?? platform.trust?.rootsFile;
    if (caFile === undefined) {
      throw new Error('vault-config needs vault.caBundleFile or trust.rootsFile to verify Vault\'s certificate (TLS is never skipped)');
    }
    new VaultProvider(this, 'vault', {
      address: this.vaultAddress,
      caCertFile: files.path(caFile),
      tlsServerName: platform.vault.serverName,
    });

    this.pki = new VaultPki(this, 'Pki', {
      vaultAddress: this.vaultAddress,
      settings: pkiSettings,
      issuingCertificates: props.issuingCertificates,
      organization: platform.organization.name,
      country: platform.organization.country,
    });

    const policies: Record<string, Policy> = {};
    const policy = (construct: string, document: VaultPolicy): Policy => {
      policies[document.name] = new Policy(this, construct, { name: document.name, policy: renderPolicy(document) });
      return policies[document.name]!;
    };
    const certManager = policy('CertManagerPolicy', certManagerPolicy({
      signPath: pkiSettings.signPath,
      issuePath: pkiSettings.allowIssue ? pkiSettings.issuePath : undefined,
    }));
    policy('AdminPolicy', adminPolicy(setup.adminPolicy));

    // AppRole: cert-manager's login (vault.auth.appRole) and the snapshot agent's (backup).
    const tokens = { tokenTtl: APPROLE_TOKEN_TTL_SECONDS, tokenMaxTtl: APPROLE_TOKEN_MAX_TTL_SECONDS };
    if (appRole || platform.backup) {
      const approle = new AuthBackend(this, 'AppRole', {
        type: 'approle',
        path: appRole?.path ?? APPROLE_DEFAULTS.path,
        description: 'AppRole logins of the platform\'s workloads (cert-manager, the snapshot agent)',
      });
      // Each role has its own bound CIDRs and secret id lifetime; a workload logs in with the same
      // secret id for the secret id's whole lifetime.
      const bound = (settings: { tokenBoundCidrs?: readonly string[]; secretIdBoundCidrs?: readonly string[]; secretIdTtl?: string }) => ({
        tokenBoundCidrs: [...(settings.tokenBoundCidrs ?? [])],
        secretIdBoundCidrs: [...(settings.secretIdBoundCidrs ?? [])],
        secretIdTtl: goDurationSeconds(settings.secretIdTtl ?? APPROLE_DEFAULTS.secretIdTtl),
        secretIdNumUses: 0,
        bindSecretId: true,
      });
      if (appRole) {
        this.certManagerAppRole = new ApproleAuthBackendRole(this, 'CertManagerAppRole', {
          backend: approle.path,
          roleName: CERT_MANAGER_APPROLE,
          roleId: appRole.roleId,
          tokenPolicies: [certManager.name],
          ...tokens,
          ...bound(appRole),
        });
      }
      if (platform.backup) {
        const snapshot = policy('SnapshotPolicy', snapshotPolicy());
        this.snapshotAppRole = new ApproleAuthBackendRole(this, 'SnapshotAppRole', {
          backend: approle.path,
          roleName: SNAPSHOT_APPROLE,
          roleId: platform.backup.appRole.roleId,
          tokenPolicies: [snapshot.name],
          ...tokens,
          ...bound(platform.backup.appRole),
        });
      }
    }

    // Kubernetes auth for cert-manager: Vault's JWT method verifies the service account token against
    // the cluster's OIDC issuer (no token reviewer, no secret). Validation allows one IRSA cluster.
    const kubernetes = vaultAuth(platform).kubernetes;
    if (kubernetes) {
      const cluster = platform.clusters[0]!;
      const backend = this.jwtBackend('CertManagerKubernetesAuth', cluster,
        (kubernetes.mountPath ?? DEFAULT_KUBERNETES_MOUNT_PATH).replace(/^\/v1\/auth\//, ''),
        `cert-manager's login from cluster ${cluster.name} (service account tokens)`);
      new JwtAuthBackendRole(this, 'CertManagerKubernetesRole', {
        backend: backend.path,
        roleName: kubernetes.role,
        roleType: 'jwt',
        // cert-manager requests the token for this audience, for its ClusterIssuer named VAULT_ISSUER_NAME.
        boundAudiences: [`vault://${VAULT_ISSUER_NAME}`],
        boundSubject: `system:serviceaccount:${CERT_MANAGER_NAMESPACE}:${kubernetes.serviceAccount ?? DEFAULT_ISSUER_SERVICE_ACCOUNT}`,
        userClaim: 'sub',
        tokenPolicies: [certManager.name],
        ...tokens,
      });
    }
    if (setup.kubernetesJwtAuth) {
      for (const cluster of platform.clusters.filter((c) => c.workloadIdentity.type === 'irsa')) {
        this.jwtBackend(`Jwt-${cluster.name}`, cluster, jwtAuthPath(cluster), `service account tokens of cluster ${cluster.name}`);
      }
    }

    this.awsAuth = this.addAwsAuth(platform, policy);

    new Mount(this, 'Kv', {
      path: setup.kvMount,
      type: 'kv',
      options: { version: '2' },
      description: 'The platform\'s own secrets (kv-v2)',
    });

    new RaftAutopilot(this, 'Autopilot', {
      cleanupDeadServers: true,
      deadServerLastContactThreshold: setup.deadServerLastContactThreshold,
      minQuorum: setup.minQuorum,
    });

    // OpenBao refuses audit devices created through the API (CVE-2025-54997): they are declared in
    // its server configuration instead (vaultCluster), the same two. Vault answers a request only
    // when one device at least logged it: two devices on two disks keep it serving when one fails.
    if (setup.engine === 'vault') {
      new Audit(this, 'FileAudit', {
        type: 'file',
        path: 'file',
        description: 'Every request and response, HMAC-ed, on each node',
        options: { file_path: setup.auditFilePath },
      });
      new Audit(this, 'SyslogAudit', {
        type: 'syslog',
        path: 'syslog',
        description: 'The same entries to syslog, shipped off the node to CloudWatch Logs',
        options: { tag: setup.auditSyslogTag, facility: SYSLOG_AUDIT_FACILITY },
      });
    }
    this.policies = policies;

    const pending = this.pki.bootstrap.pendingIssuer;
    if (pending) {
      // A CSR is public: the key it names stays in Vault.
      new TerraformOutput(this, 'issuing_csr', {
        value: this.pki.csrs[pending.name],
        description: `CSR of the issuing CA "${pending.name}", whose key Vault generated and never exports: sign it where the `
          + `intermediate key is, with "npm run pki -- sign-issuing --csr FILE", into ${pending.certificateFile}`,
      });
    }
    new TerraformOutput(this, 'cert_manager_sign_path', {
      value: pkiSettings.signPath,
      description: 'The Vault path cert-manager signs through (the ClusterIssuer\'s spec.vault.path)',
    });
    if (this.certManagerAppRole) {
      new TerraformOutput(this, 'cert_manager_role_id', {
        value: this.certManagerAppRole.roleId,
        description: 'Role id of cert-manager\'s AppRole (not a secret; equal to vault.auth.appRole.roleId)',
      });
    }
    if (this.snapshotAppRole) {
      new TerraformOutput(this, 'snapshot_role_id', {
        value: this.snapshotAppRole.roleId,
        description: 'Role id of the snapshot agent\'s AppRole (not a secret; equal to backup.appRole.roleId)',
      });
    }
  }

  /**
   * Vault's AWS auth, on the platform's own Vault servers (`vaultCluster`): the nodes' launch gate
   * (read autopilot's state) and each cluster's AppRole rotation jobs (their AppRoles' secret ids).
   */
  private addAwsAuth(platform: PlatformConfig, policy: (construct: string, document: VaultPolicy) => Policy): VaultAwsAuth | undefined {
    const vaultCluster = platform.vaultCluster;
    if (vaultCluster === undefined) return undefined;
    const vaultRegion = vaultCluster.region ?? platform.aws.region;
    const gate = policy('NodeGatePolicy', nodeGatePolicy());
    const logins: AwsAuthLogin[] = [{
      name: VAULT_NODE_GATE_ROLE,
      iamRoleArn: vaultNodeRoleArn(platform.aws.accountId, vaultRegion, vaultCluster.name ?? DEFAULT_VAULT_CLUSTER_NAME),
      policies: [gate.name],
      tokenTtlSeconds: NODE_GATE_TOKEN_TTL_SECONDS,
      // One read of autopilot's state per login.
      tokenNumUses: 1,
    }];
    for (const cluster of platform.clusters) {
      const rotation = appRoleRotationSettings(platform, cluster);
      if (rotation === undefined) continue;
      const name = appRoleRotationVaultRole(cluster.name);
      const rotate = policy(`AppRoleRotationPolicy-${cluster.name}`, appRoleRotationPolicy({ name, clusterName: cluster.name, appRoles: rotation.appRoles }));
      logins.push({
        name,
        iamRoleArn: appRoleRotationRoleArn(platform.aws.accountId, cluster.region ?? platform.aws.region, cluster.name),
        policies: [rotate.name],
        tokenTtlSeconds: ROTATION_TOKEN_TTL_SECONDS,
      });
    }
    return new VaultAwsAuth(this, 'AwsAuth', {
      region: vaultRegion,
      partition: awsPartition(vaultRegion),
      serverIdHeader: vaultAwsAuthServerId(platform),
      logins,
    });
  }

  /** A JWT auth method trusting an IRSA cluster's OIDC issuer, found by discovery. */
  private jwtBackend(id: string, cluster: ClusterConfig, path: string, description: string): JwtAuthBackend {
    const issuer = oidcIssuerUrl(cluster);
    return new JwtAuthBackend(this, id, {
      type: 'jwt',
      path,
      description,
      oidcDiscoveryUrl: issuer,
      boundIssuer: issuer,
    });
  }
}

/** `https://vault.priv.example.com:8200/` → `https://vault.priv.example.com:8200`: what the ClusterIssuer's `server` holds too. */
export function vaultOrigin(address: string): string {
  return new URL(address).origin;
}

/** Mount path of the JWT auth method of an IRSA cluster (`vault.setup.kubernetesJwtAuth`). */
export function jwtAuthPath(cluster: ClusterConfig): string {
  return `jwt-${cluster.name}`;
}

/** The OIDC issuer of an IRSA cluster, from its IAM OIDC provider's ARN. */
export function oidcIssuerUrl(cluster: ClusterConfig): string {
  const identity = cluster.workloadIdentity;
  const arn = identity.type === 'irsa' ? parseOidcProviderArn(identity.oidcProviderArn) : undefined;
  if (!arn) {
    throw new Error(`cluster "${cluster.name}": Vault's JWT auth needs the cluster's OIDC issuer, from an irsa workloadIdentity.oidcProviderArn`);
  }
  return `https://oidc.eks.${arn.region}.amazonaws.com/id/${arn.id}`;
}
