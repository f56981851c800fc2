import { Construct } from 'constructs';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
  CertificateSpecUsages,
} from '../../imports/cm-certificates-cert-manager.io.js';
import { KEY_SIZES } from '../config/validate.js';
import { MANAGED_BY_LABEL } from '../util/names.js';
import { isDnsName, parseGoDuration } from '../util/validators.js';
import { clusterIssuerRef, type IClusterIssuer } from './cluster-issuer.js';

/** Key algorithm and size of a certificate. */
export interface CertificateKey {
  /** @default 'ECDSA' */
  readonly algorithm?: 'ECDSA' | 'RSA';
  /** @default - 256 for ECDSA, 2048 for RSA */
  readonly size?: number;
}

/**
 * The key as cert-manager's `privateKey` and gateway-shim annotations name it, defaults applied
 * (the first size of {@link KEY_SIZES} is the default); throws on a size the algorithm has not.
 */
export function resolveKey(key: CertificateKey = {}): { algorithm: 'ECDSA' | 'RSA'; size: number } {
  const algorithm = key.algorithm ?? 'ECDSA';
  const sizes: readonly number[] = KEY_SIZES[algorithm];
  const size = key.size ?? sizes[0]!;
  if (!sizes.includes(size)) throw new Error(`${algorithm} key 'size' must be one of ${sizes.join(', ')}, got ${size}`);
  return { algorithm, size };
}

export interface PrivateCertificateProps {
  /** Name of the Certificate, and of its Secret unless `secretName` says otherwise. */
  readonly name: string;
  /** Namespace of the Certificate and its Secret: the Gateway's, which may only read Secrets of its own. */
  readonly namespace: string;
  readonly issuer: IClusterIssuer;
  /** Names the certificate covers, one per private application. Sorted and de-duplicated in the output. */
  readonly dnsNames: readonly string[];
  /** @default - the certificate's name */
  readonly secretName?: string;
  /** Requested lifetime, a Go duration (Vault caps it at the role's max_ttl). @default '2160h' (90 days) */
  readonly duration?: string;
  /** Renew this long before expiry; shorter than `duration`. @default '360h' (15 days) */
  readonly renewBefore?: string;
  /** @default - ECDSA P-256 */
  readonly privateKey?: CertificateKey;
}

/**
 * The private Gateway's certificate, signed by Vault: the article's explicit `Certificate`.
 *
 * A new private key at every renewal (`rotationPolicy: Always`), server-auth usage only.
 *
 * @see https://cert-manager.io/docs/usage/certificate/
 */
export class PrivateCertificate extends Construct {
  public readonly certificate: Certificate;
  /** The Secret cert-manager writes the key pair to, named by the Gateway listener. */
  public readonly secretName: string;
  public readonly namespace: string;
  /** The names covered, sorted. */
  public readonly dnsNames: readonly string[];

  constructor(scope: Construct, id: string, props: PrivateCertificateProps) {
    super(scope, id);
    const dnsNames = [...new Set(props.dnsNames)].sort();
    if (dnsNames.length === 0) throw new Error(`certificate "${props.name}" needs at least one DNS name`);
    for (const name of dnsNames) {
      if (!isDnsName(name)) throw new Error(`certificate "${props.name}": "${name}" is not a DNS name`);
    }
    const duration = props.duration ?? '2160h';
    const renewBefore = props.renewBefore ?? '360h';
    const durationNs = parseGoDuration(duration);
    const renewBeforeNs = parseGoDuration(renewBefore);
    if (durationNs === undefined || renewBeforeNs === undefined) {
      throw new Error(`certificate "${props.name}": 'duration' and 'renewBefore' must be Go durations, got "${duration}" and "${renewBefore}"`);
    }
    if (renewBeforeNs >= durationNs) {
      throw new Error(`certificate "${props.name}": 'renewBefore' (${renewBefore}) must be shorter than 'duration' (${duration})`);
    }
    const key = resolveKey(props.privateKey);
    this.secretName = props.secretName ?? props.name;
    this.namespace = props.namespace;
    this.dnsNames = dnsNames;

    const usages = key.algorithm === 'RSA'
      ? [CertificateSpecUsages.SERVER_AUTH, CertificateSpecUsages.DIGITAL_SIGNATURE, CertificateSpecUsages.KEY_ENCIPHERMENT]
      : [CertificateSpecUsages.SERVER_AUTH, CertificateSpecUsages.DIGITAL_SIGNATURE];
    this.certificate = new Certificate(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: { ...MANAGED_BY_LABEL } },
      spec: {
        secretName: this.secretName,
        issuerRef: clusterIssuerRef(props.issuer),
        dnsNames,
        duration,
        renewBefore,
        privateKey: {
          algorithm: key.algorithm === 'RSA' ? CertificateSpecPrivateKeyAlgorithm.RSA : CertificateSpecPrivateKeyAlgorithm.ECDSA,
          size: key.size,
          rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS,
        },
        usages,
        secretTemplate: { labels: { ...MANAGED_BY_LABEL } },
      },
    });
  }
}
