import { DataVaultPkiSecretBackendIssuer } from '@cdktf/provider-vault/lib/data-vault-pki-secret-backend-issuer/index.js';
import { Mount } from '@cdktf/provider-vault/lib/mount/index.js';
import { PkiSecretBackendConfigAutoTidy } from '@cdktf/provider-vault/lib/pki-secret-backend-config-auto-tidy/index.js';
import { PkiSecretBackendConfigIssuers } from '@cdktf/provider-vault/lib/pki-secret-backend-config-issuers/index.js';
import { PkiSecretBackendConfigUrls } from '@cdktf/provider-vault/lib/pki-secret-backend-config-urls/index.js';
import { PkiSecretBackendCrlConfig } from '@cdktf/provider-vault/lib/pki-secret-backend-crl-config/index.js';
import { PkiSecretBackendIntermediateCertRequest } from '@cdktf/provider-vault/lib/pki-secret-backend-intermediate-cert-request/index.js';
import { PkiSecretBackendIntermediateSetSigned } from '@cdktf/provider-vault/lib/pki-secret-backend-intermediate-set-signed/index.js';
import { PkiSecretBackendIssuer } from '@cdktf/provider-vault/lib/pki-secret-backend-issuer/index.js';
import { PkiSecretBackendKey } from '@cdktf/provider-vault/lib/pki-secret-backend-key/index.js';
import { PkiSecretBackendRole } from '@cdktf/provider-vault/lib/pki-secret-backend-role/index.js';
import { Fn, Op } from 'cdktf';
import { Construct } from 'constructs';
import type { IssuingCertificates } from '../../config/issuing-ca.js';
import {
  goDurationSeconds, VAULT_PKI_DEFAULTS, type VaultIssuerSettings, type VaultKey, type VaultPkiSettings,
} from '../../config/vault-setup.js';

/** Name of the issuing CA's issuer in its mount when `vault.pki.issuers` is omitted. */
export const ISSUING_ISSUER_NAME = VAULT_PKI_DEFAULTS.issuerName;

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

/**
 * Request fields of the PKI mount that the audit log shows in clear rather than as HMACs, so that
 * the log says which names were asked for and which serial was revoked: the names and lifetime of a
 * sign request, the serial of a revoke request. Never a CSR's key, a private key or a token: a sign
 * request holds no private key, and `issue` (whose response does) is not listed.
 * @see https://developer.hashicorp.com/vault/docs/audit#hmac
 */
export const PKI_AUDIT_NON_HMAC_REQUEST_KEYS = ['common_name', 'alt_names', 'ip_sans', 'uri_sans', 'ttl', 'serial_number'] as const;

/** Response fields shown in clear: which certificate was issued (its serial) and until when. */
export const PKI_AUDIT_NON_HMAC_RESPONSE_KEYS = ['serial_number', 'expiration'] as const;

/**
 * What an issuer may do: issue, sign CRLs, be read. Not OCSP signing: its certificate has no
 * digitalSignature key usage (keyCertSign and cRLSign only), and no certificate names an OCSP responder.
 */
export const ISSUER_USAGE = 'read-only,issuing-certificates,crl-signing';

/**
 * Where the Vault configuration stands: in phase 1, no issuer is signed yet (keys and CSRs only);
 * in phase 2 the default issuer is, and the mount signs.
 */
export interface VaultPkiBootstrap {
  readonly phase: 1 | 2;
  /** The issuer whose CSR awaits `npm run pki -- sign-issuing` (output `issuing_csr`), if any. */
  readonly pendingIssuer?: VaultIssuerSettings;
}

/**
 * The phase of the PKI and the issuer awaiting its certificate, from the signed issuers (at most one
 * is unsigned, and the default is signed as soon as any is: the configuration checks say so).
 */
export function vaultPkiBootstrap(settings: VaultPkiSettings, signed: IssuingCertificates): VaultPkiBootstrap {
  const pendingIssuer = settings.issuers.find((issuer) => signed[issuer.name] === undefined);
  const phase = signed[settings.defaultIssuer] === undefined ? 1 : 2;
  return pendingIssuer === undefined ? { phase } : { phase, pendingIssuer };
}

export interface VaultPkiProps {
  /** `https://host[:port]`: the base of the issuing-certificate and CRL URLs written into certificates. */
  readonly vaultAddress: string;
  readonly settings: VaultPkiSettings;
  /**
   * The issuing CAs signed offline, by issuer name: the PEM of each `certificateFile` (issuing CA,
   * intermediate, root), checked by the configuration loader. Public certificates, embedded as they
   * are: what synth checked is what Terraform applies.
   * @default {} - none signed yet: phase 1
   */
  readonly issuingCertificates?: IssuingCertificates;
  /** The `O=` and `C=` of the issuing CAs and of every certificate they sign. */
  readonly organization: string;
  readonly country: string;
}

/**
 * The PKI engine that signs private certificates: the issuing mount, whose CA keys are generated
 * inside Vault and never exported, below the offline intermediate, whose key never comes online.
 *
 * For each issuer of `vault.pki.issuers`:
 * - **phase 1**: an internal key and its CSR (`O=`, `C=`, a common name, no SAN). The stack outputs
 *   the CSR; `npm run pki -- sign-issuing` signs it on the offline machine, with `pathlen:0` and the
 *   allowed domains as name constraints, into the issuer's `certificateFile`;
 * - **phase 2**, once that file exists: the signed certificate and its chain set back
 *   (`set-signed`), so that every certificate Vault signs carries its intermediates, and a named
 *   issuer that refuses (`leaf_not_after_behavior = "err"`) rather than silently shortens a
 *   certificate outliving it. A precondition checks that the certificate is the one of the key.
 *
 * Once the default issuer is signed: the mount's default issuer, issuing-certificate and CRL URLs on
 * Vault's address, CRL rebuilds and auto-tidy, and the **role** (`vault.pki.role`): the allowed
 * domains and their subdomains only, host names enforced, no wildcard unless configured, one key
 * type and size, server certificates, the organisation, and the leaf TTLs.
 *
 * | issuer's certificate file | resources                                                          |
 * |---------------------------|--------------------------------------------------------------------|
 * | absent                    | key, CSR (output `issuing_csr`)                                     |
 * | present                   | key, CSR, set-signed, issuer                                        |
 * | present, default issuer   | and: default issuer, URLs, CRL, auto-tidy, role (issuer = this one) |
 *
 * @see https://developer.hashicorp.com/vault/tutorials/pki/pki-engine-external-ca
 * @see https://developer.hashicorp.com/vault/api-docs/secret/pki
 */
export class VaultPki extends Construct {
  public readonly issuingMount: Mount;
  /** Where the PKI stands (phase 1: nothing signed yet). */
  public readonly bootstrap: VaultPkiBootstrap;
  /** The CSR of each issuer, by name (a Terraform expression). */
  public readonly csrs: Readonly<Record<string, string>>;
  /** The signed issuers, by name. */
  public readonly issuers: Readonly<Record<string, PkiSecretBackendIssuer>>;
  /** cert-manager's role; `undefined` in phase 1. */
  public readonly role?: PkiSecretBackendRole;

  constructor(scope: Construct, id: string, props: VaultPkiProps) {
    super(scope, id);
    const { settings } = props;
    const signed = props.issuingCertificates ?? {};
    this.bootstrap = vaultPkiBootstrap(settings, signed);

    this.issuingMount = new Mount(this, 'IssuingMount', {
      path: settings.mount,
      type: 'pki',
      description: 'Issuing CA of private certificates (keys inside Vault, signed by the offline intermediate)',
      maxLeaseTtlSeconds: goDurationSeconds(settings.issuingCaTtl),
      defaultLeaseTtlSeconds: goDurationSeconds(settings.leafTtl),
      auditNonHmacRequestKeys: [...PKI_AUDIT_NON_HMAC_REQUEST_KEYS],
      auditNonHmacResponseKeys: [...PKI_AUDIT_NON_HMAC_RESPONSE_KEYS],
    });

    const csrs: Record<string, string> = {};
    const issuers: Record<string, PkiSecretBackendIssuer> = {};
    for (const issuer of settings.issuers) {
      // The first issuer keeps the ids it always had, so that its Terraform addresses do not change.
      const idOf = (base: string): string => (issuer.name === ISSUING_ISSUER_NAME ? base : `${base}-${issuer.name}`);
      const commonName = issuingCommonName(props.organization, issuer.name);
      const key = new PkiSecretBackendKey(this, idOf('IssuingKey'), {
        backend: this.issuingMount.path,
        type: 'internal',
        keyName: issuer.name,
        keyType: settings.issuingKey.type,
        keyBits: settings.issuingKey.bits,
      });
      const request = new PkiSecretBackendIntermediateCertRequest(this, idOf('IssuingRequest'), {
        backend: this.issuingMount.path,
        type: 'existing',
        keyRef: key.keyId,
        commonName,
        organization: props.organization,
        country: props.country,
        // sign-issuing refuses a CSR with names: Vault would otherwise add a CN that looks like a host name.
        excludeCnFromSans: true,
      });
      csrs[issuer.name] = request.csr;
      const pem = signed[issuer.name];
      if (pem === undefined) continue;

      // The signed certificate followed by its chain (intermediate, root): Vault keeps the chain as
      // issuers, so every certificate it signs comes back with its intermediates.
      const setSigned = new PkiSecretBackendIntermediateSetSigned(this, idOf('IssuingChain'), {
        backend: this.issuingMount.path,
        certificate: pem,
        dependsOn: [request],
      });
      // The first certificate of the file is the issuing CA: its issuer is the first one imported.
      const importedRef = Fn.element(setSigned.importedIssuers, 0);
      const imported = new DataVaultPkiSecretBackendIssuer(this, idOf('IssuingImported'), {
        backend: this.issuingMount.path,
        issuerRef: importedRef,
      });
      issuers[issuer.name] = new PkiSecretBackendIssuer(this, idOf('Issuer'), {
        backend: this.issuingMount.path,
        issuerRef: importedRef,
        issuerName: issuer.name,
        leafNotAfterBehavior: 'err',
        usage: ISSUER_USAGE,
        lifecycle: {
          precondition: [{
            condition: Op.eq(imported.keyId, key.keyId),
            errorMessage: `${issuer.certificateFile} is not the certificate of the key Vault generated for issuer "${issuer.name}": `
              + 'sign the CSR of "terraform output -raw issuing_csr" with "npm run pki -- sign-issuing", commit the file it writes, '
              + 'synthesize and apply again',
          }],
        },
      });
    }
    this.csrs = csrs;
    this.issuers = issuers;

    const issuer = issuers[settings.defaultIssuer];
    if (this.bootstrap.phase === 1 || issuer === undefined) return;
    new PkiSecretBackendConfigIssuers(this, 'DefaultIssuer', {
      backend: this.issuingMount.path,
      default: issuer.issuerId,
      defaultFollowsLatestIssuer: false,
    });
    new PkiSecretBackendConfigUrls(this, 'IssuingUrls', {
      backend: this.issuingMount.path,
      issuingCertificates: [`${props.vaultAddress}/v1/${settings.mount}/ca`],
      crlDistributionPoints: [`${props.vaultAddress}/v1/${settings.mount}/crl`],
    });
    new PkiSecretBackendCrlConfig(this, 'IssuingCrl', {
      backend: this.issuingMount.path,
      expiry: CRL_EXPIRY,
      autoRebuild: true,
      autoRebuildGracePeriod: CRL_REBUILD_GRACE_PERIOD,
    });
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
      issuerRef: issuer.issuerName,
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
}

/**
 * `CN=` of an issuing CA: `<organization> Issuing CA`, with the issuer's name after it for any
 * issuer but the first (two CAs of one chain never share a subject), or the bare name when too long.
 */
export function issuingCommonName(organization: string, issuerName: string): string {
  const suffix = issuerName === ISSUING_ISSUER_NAME ? '' : ` ${issuerName}`;
  const preferred = `${organization} Issuing CA${suffix}`;
  return preferred.length <= COMMON_NAME_MAX_LENGTH ? preferred : `Issuing CA${suffix}`.slice(0, COMMON_NAME_MAX_LENGTH);
}

/**
 * Key usages of a leaf certificate: digital signature (TLS 1.3 and ECDHE handshakes); key
 * encipherment too with RSA, for TLS 1.2 clients without forward secrecy. No key agreement: static
 * ECDH is not used by TLS.
 */
export function leafKeyUsage(key: VaultKey): string[] {
  return key.type === 'rsa' ? ['DigitalSignature', 'KeyEncipherment'] : ['DigitalSignature'];
}
