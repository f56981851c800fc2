import { Mount } from '@cdktf/provider-vault/lib/mount/index.js';
import { PkiSecretBackendConfigAutoTidy } from '@cdktf/provider-vault/lib/pki-secret-backend-config-auto-tidy/index.js';
import { PkiSecretBackendConfigCa } from '@cdktf/provider-vault/lib/pki-secret-backend-config-ca/index.js';
import { PkiSecretBackendConfigIssuers } from '@cdktf/provider-vault/lib/pki-secret-backend-config-issuers/index.js';
import { PkiSecretBackendConfigUrls } from '@cdktf/provider-vault/lib/pki-secret-backend-config-urls/index.js';
import { PkiSecretBackendCrlConfig } from '@cdktf/provider-vault/lib/pki-secret-backend-crl-config/index.js';
import { PkiSecretBackendIntermediateCertRequest } from '@cdktf/provider-vault/lib/pki-secret-backend-intermediate-cert-request/index.js';
import { PkiSecretBackendIntermediateSetSigned } from '@cdktf/provider-vault/lib/pki-secret-backend-intermediate-set-signed/index.js';
import { PkiSecretBackendIssuer } from '@cdktf/provider-vault/lib/pki-secret-backend-issuer/index.js';
import { PkiSecretBackendKey } from '@cdktf/provider-vault/lib/pki-secret-backend-key/index.js';
import { PkiSecretBackendRole } from '@cdktf/provider-vault/lib/pki-secret-backend-role/index.js';
import { PkiSecretBackendRootSignIntermediate } from '@cdktf/provider-vault/lib/pki-secret-backend-root-sign-intermediate/index.js';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { goDurationSeconds, type VaultKey, type VaultPkiSettings } from '../../config/vault-setup.js';
import { INTERMEDIATE_CA_LIFETIME_HOURS } from '../../pki/lifetimes.js';

/** Name of the issuing CA's issuer in its mount, which the role names. */
export const ISSUING_ISSUER_NAME = 'issuing-ca';

/** Name of the issuing CA's key inside Vault (never exported). */
export const ISSUING_KEY_NAME = 'issuing-ca';

/** Longest X.509 common name (RFC 5280 `ub-common-name`). */
const COMMON_NAME_MAX_LENGTH = 64;

/**
 * How long a CRL stays valid, and when Vault rebuilds it before that: clients that cache it see a
 * revocation within half a day, and a Vault outage of up to three days does not make every
 * certificate look revoked.
 */
export const CRL_EXPIRY = '72h';
export const CRL_REBUILD_GRACE_PERIOD = '12h';

/** Auto-tidy: every 12 hours, certificates expired for more than 3 days are removed from storage and the CRL. */
export const TIDY_INTERVAL = '12h';
export const TIDY_SAFETY_BUFFER = '72h';

export interface VaultPkiProps {
  /** `https://host[:port]`: the base of the issuing-certificate and CRL URLs written into certificates. */
  readonly vaultAddress: string;
  readonly settings: VaultPkiSettings;
  /** `${file(...)}` expression reading the offline bundle at apply time; its content never passes through synth. */
  readonly bundlePem: string;
  /** The `O=` and `C=` of the issuing CA and of every certificate it signs. */
  readonly organization: string;
  readonly country: string;
}

/**
 * The two PKI engines that sign private certificates, as the article lays them out.
 *
 * - **Intermediate mount** (`vault.pki.intermediateMount`, the article's `pki`): the offline
 *   intermediate CA, imported with its chain from the bundle `npm run pki -- init` wrote. It signs
 *   one thing, the issuing CA.
 * - **Issuing mount** (`vault.pki.mount`): an internal key (never exported) and its CSR, signed by the
 *   intermediate mount with `max_path_length` 0 and the allowed domains as name constraints, then set
 *   back with the full chain so that every certificate carries its intermediates; a named issuer
 *   that refuses (`leaf_not_after_behavior = "err"`) rather than silently shortens a certificate
 *   outliving it; issuing-certificate and CRL URLs on Vault's address; CRL rebuilds and auto-tidy.
 * - **Role** (`vault.pki.role`): the allowed domains and their subdomains only, host names enforced,
 *   no wildcard unless configured, one key type and size, server certificates, the organisation,
 *   and the leaf TTLs.
 *
 * @see https://developer.hashicorp.com/vault/tutorials/pki/pki-engine-external-ca
 * @see https://developer.hashicorp.com/vault/api-docs/secret/pki
 */
export class VaultPki extends Construct {
  public readonly issuingMount: Mount;
  public readonly intermediateMount: Mount;
  public readonly issuer: PkiSecretBackendIssuer;
  public readonly role: PkiSecretBackendRole;

  constructor(scope: Construct, id: string, props: VaultPkiProps) {
    super(scope, id);
    const { settings } = props;
    const issuingCommonName = commonName(`${props.organization} Issuing CA`, 'Issuing CA');

    // The offline intermediate. Its mount's max TTL is the intermediate's own lifetime: Vault caps
    // what it signs (the issuing CA) there, and the issuer refuses to sign past its notAfter anyway.
    this.intermediateMount = new Mount(this, 'IntermediateMount', {
      path: settings.intermediateMount,
      type: 'pki',
      description: 'Offline intermediate CA (imported from npm run pki); signs the issuing CA only',
      maxLeaseTtlSeconds: INTERMEDIATE_CA_LIFETIME_HOURS * 3600,
    });
    const imported = new PkiSecretBackendConfigCa(this, 'IntermediateBundle', {
      backend: this.intermediateMount.path,
      pemBundle: props.bundlePem,
    });
    this.urls('IntermediateUrls', this.intermediateMount, props.vaultAddress, settings.intermediateMount);
    this.crl('IntermediateCrl', this.intermediateMount);

    // The issuing CA: key generated inside Vault, signed by the intermediate.
    this.issuingMount = new Mount(this, 'IssuingMount', {
      path: settings.mount,
      type: 'pki',
      description: 'Issuing CA of private certificates (signed by the offline intermediate)',
      maxLeaseTtlSeconds: goDurationSeconds(settings.issuingCaTtl),
      defaultLeaseTtlSeconds: goDurationSeconds(settings.leafTtl),
    });
    const key = new PkiSecretBackendKey(this, 'IssuingKey', {
      backend: this.issuingMount.path,
      type: 'internal',
      keyName: ISSUING_KEY_NAME,
      keyType: settings.issuingKey.type,
      keyBits: settings.issuingKey.bits,
    });
    const request = new PkiSecretBackendIntermediateCertRequest(this, 'IssuingRequest', {
      backend: this.issuingMount.path,
      type: 'existing',
      keyRef: key.keyId,
      commonName: issuingCommonName,
      organization: props.organization,
      country: props.country,
    });
    const signed = new PkiSecretBackendRootSignIntermediate(this, 'IssuingCertificate', {
      backend: this.intermediateMount.path,
      csr: request.csr,
      commonName: issuingCommonName,
      organization: props.organization,
      country: props.country,
      excludeCnFromSans: true,
      ttl: settings.issuingCaTtl,
      // The issuing CA signs end-entity certificates only, within the allowed domains.
      maxPathLength: 0,
      permittedDnsDomains: [...settings.allowedDomains],
      format: 'pem',
      dependsOn: [imported],
    });
    // The signed certificate followed by the intermediate's chain (intermediate, root): Vault keeps
    // the chain as issuers, so every certificate it signs comes back with its intermediates.
    const setSigned = new PkiSecretBackendIntermediateSetSigned(this, 'IssuingChain', {
      backend: this.issuingMount.path,
      certificate: Fn.join('\n', [signed.certificate, Fn.join('\n', signed.caChain)]),
    });
    this.issuer = new PkiSecretBackendIssuer(this, 'Issuer', {
      backend: this.issuingMount.path,
      // The first certificate of the chain is the one with the key: its issuer is created first.
      issuerRef: Fn.element(setSigned.importedIssuers, 0),
      issuerName: ISSUING_ISSUER_NAME,
      leafNotAfterBehavior: 'err',
      usage: 'read-only,issuing-certificates,crl-signing,ocsp-signing',
    });
    new PkiSecretBackendConfigIssuers(this, 'DefaultIssuer', {
      backend: this.issuingMount.path,
      default: this.issuer.issuerId,
      defaultFollowsLatestIssuer: false,
    });
    this.urls('IssuingUrls', this.issuingMount, props.vaultAddress, settings.mount);
    this.crl('IssuingCrl', this.issuingMount);
    new PkiSecretBackendConfigAutoTidy(this, 'IssuingTidy', {
      backend: this.issuingMount.path,
      enabled: true,
      intervalDuration: TIDY_INTERVAL,
      safetyBuffer: TIDY_SAFETY_BUFFER,
      tidyCertStore: true,
      tidyRevokedCerts: true,
      tidyRevokedCertIssuerAssociations: true,
      tidyExpiredIssuers: true,
    });

    this.role = new PkiSecretBackendRole(this, 'Role', {
      backend: this.issuingMount.path,
      name: settings.role,
      issuerRef: this.issuer.issuerName,
      allowedDomains: [...settings.allowedDomains],
      allowSubdomains: true,
      allowBareDomains: false,
      allowGlobDomains: false,
      allowAnyName: false,
      allowLocalhost: false,
      allowIpSans: false,
      allowWildcardCertificates: settings.allowWildcardCertificates,
      enforceHostnames: true,
      serverFlag: true,
      clientFlag: false,
      codeSigningFlag: false,
      emailProtectionFlag: false,
      keyType: settings.leafKey.type,
      keyBits: settings.leafKey.bits,
      keyUsage: leafKeyUsage(settings.leafKey),
      organization: [props.organization],
      country: [props.country],
      ttl: settings.leafTtl,
      maxTtl: settings.leafMaxTtl,
      requireCn: false,
      useCsrCommonName: true,
      useCsrSans: true,
    });
  }

  /** Issuing-certificate and CRL URLs written into what the mount signs: Vault's own address. */
  private urls(id: string, mount: Mount, vaultAddress: string, path: string): void {
    new PkiSecretBackendConfigUrls(this, id, {
      backend: mount.path,
      issuingCertificates: [`${vaultAddress}/v1/${path}/ca`],
      crlDistributionPoints: [`${vaultAddress}/v1/${path}/crl`],
    });
  }

  private crl(id: string, mount: Mount): void {
    new PkiSecretBackendCrlConfig(this, id, {
      backend: mount.path,
      expiry: CRL_EXPIRY,
      autoRebuild: true,
      autoRebuildGracePeriod: CRL_REBUILD_GRACE_PERIOD,
    });
  }
}

/**
 * Key usages of a leaf certificate: digital signature (TLS 1.3 and ECDHE handshakes); key
 * encipherment too with RSA, for TLS 1.2 clients without forward secrecy. No key agreement: static
 * ECDH is not used by TLS.
 */
export function leafKeyUsage(key: VaultKey): string[] {
  return key.type === 'rsa' ? ['DigitalSignature', 'KeyEncipherment'] : ['DigitalSignature'];
}

function commonName(preferred: string, fallback: string): string {
  return preferred.length <= COMMON_NAME_MAX_LENGTH ? preferred : fallback;
}
