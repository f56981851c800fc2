import * as plus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ClusterIssuer, type ClusterIssuerSpecVaultAuth } from '../../imports/cm-clusterissuers-cert-manager.io.js';
import { MANAGED_BY_LABEL, VAULT_ISSUER_NAME } from '../util/names.js';
import { pemBlocks } from '../util/pem.js';
import type { IClusterIssuer } from './cluster-issuer.js';

/** AppRole login: a role id (not secret) and a Secret holding the secret id (never in `dist/`). */
export interface VaultAppRoleAuthProps {
  /** Mount path of the AppRole auth method. @default 'approle' */
  readonly path?: string;
  readonly roleId: string;
  /** Secret in cert-manager's namespace holding the secret id. @default 'vault-approle' */
  readonly secretName?: string;
  /** @default 'secretId' */
  readonly secretKey?: string;
}

/** Kubernetes login: cert-manager requests a token for a dedicated service account and presents it. */
export interface VaultKubernetesAuthProps {
  /** @default '/v1/auth/kubernetes' */
  readonly mountPath?: string;
  /** Vault role bound to the service account. */
  readonly role: string;
  /** Service account created for the purpose, in cert-manager's namespace. @default 'vault-issuer' */
  readonly serviceAccount?: string;
}

/** How cert-manager logs in to Vault. */
export type VaultIssuerAuth =
  | { readonly appRole: VaultAppRoleAuthProps; readonly kubernetes?: undefined }
  | { readonly kubernetes: VaultKubernetesAuthProps; readonly appRole?: undefined };

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export interface VaultIssuerProps {
  /** HTTPS address of Vault, scheme, host and optional port. @example 'https://vault.priv.example.com:8200' */
  readonly server: string;
  /** Mount of the issuing PKI engine. @default 'pki_private_issuer' */
  readonly pkiMount?: string;
  /** PKI role that restricts what may be signed. @default 'cert-manager' */
  readonly pkiRole?: string;
  /**
   * PEM of the CA chain Vault's TLS certificate chains to, certificates only, embedded as
   * `caBundle`. Exactly one of `caBundlePem` and `caBundleSecretRef`: TLS verification is never
   * skipped.
   */
  readonly caBundlePem?: string;
  /**
   * A Secret in cert-manager's namespace holding that chain (for example one trust-manager
   * distributes), as `caBundleSecretRef`.
   */
  readonly caBundleSecretRef?: { readonly name: string; readonly key?: string };
  /** Name to verify Vault's certificate against. @default - the host of `server` */
  readonly serverName?: string;
  readonly auth: VaultIssuerAuth;
  /** cert-manager's namespace, where AppRole's Secret and Kubernetes auth's service account live. @default 'cert-manager' */
  readonly certManagerNamespace?: string;
  /** Service account of the cert-manager controller, granted a token for Kubernetes auth. @default 'cert-manager' */
  readonly certManagerServiceAccount?: string;
  /** @default 'vault' */
  readonly name?: string;
}

/**
 * A ClusterIssuer that has Vault's PKI sign private certificates (`<mount>/sign/<role>`).
 *
 * Trust is explicit: the CA chain is embedded as `caBundle`, so cert-manager verifies Vault's
 * certificate (no `skipTlsVerify`, no `VAULT_SKIP_VERIFY`). With Kubernetes auth, the issuer also
 * emits the service account whose tokens cert-manager presents, and the least RBAC that lets
 * cert-manager request them (`create` on `serviceaccounts/token` of that one account).
 *
 * @see https://cert-manager.io/docs/configuration/vault/
 */
export class VaultIssuer extends Construct implements IClusterIssuer {
  public readonly issuerName: string;
  /** `<mount>/sign/<role>`, the path the Vault configuration must expose and allow. */
  public readonly signPath: string;

  constructor(scope: Construct, id: string, props: VaultIssuerProps) {
    super(scope, id);
    this.issuerName = props.name ?? VAULT_ISSUER_NAME;
    const url = parseHttpsUrl(props.server);
    this.signPath = `${props.pkiMount ?? 'pki_private_issuer'}/sign/${props.pkiRole ?? 'cert-manager'}`;
    const namespace = props.certManagerNamespace ?? 'cert-manager';

    new ClusterIssuer(this, 'Resource', {
      metadata: { name: this.issuerName, labels: { ...MANAGED_BY_LABEL } },
      spec: {
        vault: {
          server: url.origin,
          path: this.signPath,
          ...caTrust(props),
          serverName: props.serverName,
          auth: this.auth(props, namespace),
        },
      },
    });
  }

  private auth(props: VaultIssuerProps, namespace: string): ClusterIssuerSpecVaultAuth {
    if (props.auth.appRole) {
      const appRole = props.auth.appRole;
      if (!UUID.test(appRole.roleId)) throw new Error(`vault issuer 'roleId' must be a UUID, got "${appRole.roleId}"`);
      return {
        appRole: {
          path: appRole.path ?? 'approle',
          roleId: appRole.roleId,
          secretRef: { name: appRole.secretName ?? 'vault-approle', key: appRole.secretKey ?? 'secretId' },
        },
      };
    }
    const kubernetes = props.auth.kubernetes;
    const serviceAccount = kubernetes.serviceAccount ?? 'vault-issuer';
    const labels = { ...MANAGED_BY_LABEL };
    new plus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: serviceAccount, namespace, labels },
      // cert-manager requests the token for Vault; no pod mounts it.
      automountToken: false,
    });
    const role = new plus.Role(this, 'TokenRequestRole', {
      metadata: { name: `${serviceAccount}-token-request`, namespace, labels },
    });
    // Only the token of this one service account (a subresource, so named here rather than with
    // cdk8s-plus's ApiResource, which has no resource name).
    role.allow(['create'], { apiGroup: '', resourceType: 'serviceaccounts/token', resourceName: serviceAccount });
    const binding = new plus.RoleBinding(this, 'TokenRequestBinding', {
      metadata: { name: `${serviceAccount}-token-request`, namespace, labels },
      role,
    });
    binding.addSubjects(plus.ServiceAccount.fromServiceAccountName(this, 'CertManager', props.certManagerServiceAccount ?? 'cert-manager', {
      namespaceName: namespace,
    }));
    return {
      kubernetes: {
        mountPath: kubernetes.mountPath ?? '/v1/auth/kubernetes',
        role: kubernetes.role,
        serviceAccountRef: { name: serviceAccount },
      },
    };
  }
}

function parseHttpsUrl(server: string): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`vault issuer 'server' must be an https:// URL, got "${server}"`);
  }
  if (url.protocol !== 'https:') throw new Error(`vault issuer 'server' must use https, got "${server}"`);
  return url;
}

/** `caBundle` or `caBundleSecretRef`: exactly one, so that Vault's certificate is always verified. */
function caTrust(props: VaultIssuerProps): { caBundle?: string; caBundleSecretRef?: { name: string; key: string } } {
  if ((props.caBundlePem === undefined) === (props.caBundleSecretRef === undefined)) {
    throw new Error(`vault issuer needs exactly one of 'caBundlePem' and 'caBundleSecretRef', to verify Vault's certificate`);
  }
  if (props.caBundleSecretRef) {
    return { caBundleSecretRef: { name: props.caBundleSecretRef.name, key: props.caBundleSecretRef.key ?? 'ca.crt' } };
  }
  return { caBundle: Buffer.from(certificatesOnly(props.caBundlePem!)).toString('base64') };
}

/** The PEM, provided it holds only certificates; a private key here would end up in Git. */
function certificatesOnly(pem: string): string {
  const blocks = pemBlocks(pem);
  const other = blocks.find((b) => b.label !== 'CERTIFICATE');
  if (other) throw new Error(`vault issuer 'caBundlePem' must hold certificates only, found a ${other.label} block`);
  if (blocks.length === 0) throw new Error(`vault issuer 'caBundlePem' holds no PEM certificate`);
  return blocks.map((b) => `${b.pem}\n`).join('');
}
