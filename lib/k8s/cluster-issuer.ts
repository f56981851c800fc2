/** The API group of cert-manager's issuers, as `issuerRef.group` names it. */
export const CERT_MANAGER_GROUP = 'cert-manager.io';

/** The annotation by which cert-manager's gateway-shim learns which ClusterIssuer signs a Gateway's listeners. */
export const CLUSTER_ISSUER_ANNOTATION = 'cert-manager.io/cluster-issuer';

/**
 * A cert-manager ClusterIssuer that Certificates and Gateways can reference.
 *
 * Implemented by {@link LetsEncryptIssuer} and {@link VaultIssuer}; {@link ClusterIssuerRef.fromName}
 * wraps one we do not emit.
 */
export interface IClusterIssuer {
  /** `metadata.name` of the ClusterIssuer: what `issuerRef.name` and the gateway-shim annotation hold. */
  readonly issuerName: string;
}

/** A ClusterIssuer managed elsewhere, referenced by name. */
export class ClusterIssuerRef implements IClusterIssuer {
  public static fromName(issuerName: string): IClusterIssuer {
    return new ClusterIssuerRef(issuerName);
  }
  private constructor(public readonly issuerName: string) {}
}

/** The `issuerRef` of a Certificate signed by `issuer`. */
export function clusterIssuerRef(issuer: IClusterIssuer): { group: string; kind: string; name: string } {
  return { group: CERT_MANAGER_GROUP, kind: 'ClusterIssuer', name: issuer.issuerName };
}
