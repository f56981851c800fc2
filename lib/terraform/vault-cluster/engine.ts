/**
 * What differs between HashiCorp Vault and OpenBao on a node: package, binary, paths, service,
 * environment prefix, auto-join tag, and how the package is fetched and verified. Everything else
 * (API, Raft, seal, listener) is the same, so one construct serves both.
 */
import type { VaultEngine } from '../../config/types.js';

/** CPU architecture of the nodes, as the AMI and instance requirements name it. */
export type Architecture = 'x86_64' | 'arm64';

export interface EngineProfile {
  readonly engine: VaultEngine;
  /** Product name, for descriptions and logs. */
  readonly product: string;
  /** The CLI and server binary the package installs. */
  readonly binary: string;
  /** System user (and group) the package creates; the server runs as it. */
  readonly user: string;
  /** systemd unit name, without `.service`. */
  readonly service: string;
  readonly configDir: string;
  readonly configFile: string;
  /** Raft data, on its own volume. */
  readonly dataDir: string;
  /** Audit log directory, writable by the service (the file audit device is configured by the vault-config stack). */
  readonly logDir: string;
  /** Prefix of the CLI's environment variables (`VAULT_ADDR` or `BAO_ADDR`). */
  readonly envPrefix: 'VAULT' | 'BAO';
  /** EC2 tag key whose value (the cluster name) Raft's `auto_join` looks for. */
  readonly autoJoinTagKey: string;
  /** Where and how the package is downloaded and verified before `dnf install`. */
  readonly download: (version: string, architecture: Architecture) => PackageDownload;
}

/** One package download: the `.rpm`, and how its integrity is established. */
export interface PackageDownload {
  readonly url: string;
  /** Local file name of the package. */
  readonly file: string;
  readonly verification:
    /** A SHA256SUMS file signed by the vendor's release key: the signature is checked against the pinned key fingerprint. */
    | { readonly type: 'signed-checksums'; readonly sumsUrl: string; readonly signatureUrl: string; readonly keyUrl: string; readonly keyFingerprint: string }
    /** A SHA-256 pinned in the configuration (`vaultCluster.packageSha256`). */
    | { readonly type: 'pinned-checksum' };
}

/**
 * HashiCorp's release signing key (it signs the `SHA256SUMS` of every release), as published on
 * https://www.hashicorp.com/security: the downloaded key is only imported if it has this fingerprint.
 */
export const HASHICORP_RELEASE_KEY_FINGERPRINT = 'C874011F0AB405110D02105534365D9472D7468F';

const RPM_ARCH: Record<Architecture, string> = { x86_64: 'x86_64', arm64: 'aarch64' };
const GO_ARCH: Record<Architecture, string> = { x86_64: 'amd64', arm64: 'arm64' };

export const ENGINES: Readonly<Record<VaultEngine, EngineProfile>> = {
  vault: {
    engine: 'vault',
    product: 'HashiCorp Vault',
    binary: '/usr/bin/vault',
    user: 'vault',
    service: 'vault',
    configDir: '/etc/vault.d',
    configFile: '/etc/vault.d/vault.hcl',
    dataDir: '/opt/vault/data',
    logDir: '/var/log/vault',
    envPrefix: 'VAULT',
    autoJoinTagKey: 'vault-cluster',
    download: (version, architecture) => {
      const base = `https://releases.hashicorp.com/vault/${version}`;
      const file = `vault-${version}-1.${RPM_ARCH[architecture]}.rpm`;
      return {
        url: `${base}/${file}`,
        file,
        verification: {
          type: 'signed-checksums',
          sumsUrl: `${base}/vault_${version}_SHA256SUMS`,
          signatureUrl: `${base}/vault_${version}_SHA256SUMS.72D7468F.sig`,
          keyUrl: 'https://www.hashicorp.com/.well-known/pgp-key.txt',
          keyFingerprint: HASHICORP_RELEASE_KEY_FINGERPRINT,
        },
      };
    },
  },
  openbao: {
    engine: 'openbao',
    product: 'OpenBao',
    binary: '/usr/bin/bao',
    user: 'openbao',
    service: 'openbao',
    configDir: '/etc/openbao',
    configFile: '/etc/openbao/openbao.hcl',
    dataDir: '/opt/openbao/data',
    logDir: '/var/log/openbao',
    envPrefix: 'BAO',
    autoJoinTagKey: 'openbao-cluster',
    download: (version, architecture) => {
      const file = `bao_${version}_linux_${GO_ARCH[architecture]}.rpm`;
      return {
        url: `https://github.com/openbao/openbao/releases/download/v${version}/${file}`,
        file,
        verification: { type: 'pinned-checksum' },
      };
    },
  },
};
