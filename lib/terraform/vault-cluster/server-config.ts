/**
 * The server configuration file of a node (`vault.hcl` / `openbao.hcl`), as typed data rendered to
 * HCL. The two values only known on the node, its instance id and private address, are
 * placeholders that the boot script replaces ({@link NODE_PLACEHOLDERS}).
 */
import { type HclBlock, type HclBody, renderHcl } from '../../util/hcl.js';
import type { EngineProfile } from './engine.js';

/** Placeholders of per-node values, replaced at boot from the instance metadata. */
export const NODE_PLACEHOLDERS = {
  instanceId: '@@INSTANCE_ID@@',
  privateIp: '@@PRIVATE_IP@@',
} as const;

/** Where the boot script puts the TLS material fetched from Secrets Manager. */
export interface NodeTlsPaths {
  /** The server certificate followed by the CA chain. */
  readonly certificate: string;
  readonly key: string;
  /** The CA chain: verifies the leader's certificate when joining, and client certificates. */
  readonly caChain: string;
}

export interface ServerConfigProps {
  readonly engine: EngineProfile;
  readonly clusterName: string;
  /** `https://vault.priv.example.com:8200`: what clients and standbys are redirected to. */
  readonly apiAddress: string;
  /** Host name in the servers' certificate that joining nodes verify the leader against. */
  readonly tlsServerName: string;
  readonly region: string;
  /** KMS key id, ARN or alias of the `awskms` seal. */
  readonly kmsKeyId: string;
  readonly tls: NodeTlsPaths;
  readonly tlsMinVersion: 'tls12';
  /** More than one node: Raft joins peers found by their auto-join tag. */
  readonly autoJoin: boolean;
  /**
   * The file and syslog audit devices declared in the server configuration, for engines that refuse
   * to create audit devices through the API (OpenBao, since CVE-2025-54997). Vault's are created by
   * the `vault-config` stack instead.
   * @default - none in the configuration
   */
  readonly declarativeAudit?: { readonly file: string; readonly syslogTag: string; readonly syslogFacility: string };
}

/** API and cluster (Raft, request forwarding) ports. */
export const API_PORT = 8200;
export const CLUSTER_PORT = 8201;

/**
 * What the load balancer asks each node, and the boot script before it lets its node into service: `/v1/sys/health` answers 200 for the active node and,
 * with `standbyok` and `perfstandbyok`, for standbys that are unsealed and reach the active node.
 * Everything else answers otherwise and is unhealthy: sealed (503), not initialised (501), DR
 * secondary (472), a standby that lost the active node (474), removed from the cluster (530).
 */
export const HEALTH_CHECK_PATH = '/v1/sys/health?standbyok=true&perfstandbyok=true';

/** How long Prometheus metrics are kept in memory for `/v1/sys/metrics` (must be non-zero to expose them). */
export const PROMETHEUS_RETENTION = '24h';

/** The configuration as HCL data: tests and docs read the same structure the file is written from. */
export function serverConfigBody(props: ServerConfigProps): HclBody {
  const { engine, tls } = props;
  const retryJoin: HclBody = props.autoJoin
    ? [{
      type: 'retry_join',
      body: [
        ['auto_join', `provider=aws region=${props.region} tag_key=${engine.autoJoinTagKey} tag_value=${props.clusterName} addr_type=private_v4`],
        ['auto_join_scheme', 'https'],
        ['auto_join_port', API_PORT],
        ['leader_tls_servername', props.tlsServerName],
        ['leader_ca_cert_file', tls.caChain],
      ],
    }]
    : [];
  return [
    ['ui', true],
    // Swap is off on the nodes (the boot script), so memory is never written to disk; mlock is not
    // needed then, and Raft's memory-mapped database is not compatible with it.
    ['disable_mlock', true],
    ['cluster_name', props.clusterName],
    ['api_addr', props.apiAddress],
    ['cluster_addr', `https://${NODE_PLACEHOLDERS.privateIp}:${CLUSTER_PORT}`],
    ['log_level', 'info'],
    {
      type: 'listener',
      labels: ['tcp'],
      body: [
        ['address', `0.0.0.0:${API_PORT}`],
        ['cluster_address', `0.0.0.0:${CLUSTER_PORT}`],
        ['tls_cert_file', tls.certificate],
        ['tls_key_file', tls.key],
        ['tls_client_ca_file', tls.caChain],
        ['tls_min_version', props.tlsMinVersion],
        {
          type: 'telemetry',
          // Metrics need a token with read on sys/metrics: the scraper gets one, nobody else.
          body: [['unauthenticated_metrics_access', false]],
        },
      ],
    },
    {
      type: 'storage',
      labels: ['raft'],
      body: [
        ['path', engine.dataDir],
        ['node_id', NODE_PLACEHOLDERS.instanceId],
        ...retryJoin,
      ],
    },
    {
      type: 'seal',
      labels: ['awskms'],
      body: [
        ['region', props.region],
        ['kms_key_id', props.kmsKeyId],
      ],
    },
    {
      type: 'telemetry',
      body: [
        ['prometheus_retention_time', PROMETHEUS_RETENTION],
        ['disable_hostname', true],
      ],
    },
    ...(props.declarativeAudit === undefined ? [] : [{
      type: 'audit',
      labels: ['file', 'file'],
      comments: ['Declared here: the API refuses to create audit devices. Reopened on SIGHUP (logrotate).'],
      body: [
        ['description', 'Every request and response, HMAC-ed, on each node'],
        { type: 'options', body: [['file_path', props.declarativeAudit.file]] },
      ],
    } satisfies HclBlock, {
      type: 'audit',
      labels: ['syslog', 'syslog'],
      comments: ['The same entries to syslog: rsyslog and the CloudWatch agent ship them off the node.'],
      body: [
        ['description', 'The same entries to syslog, shipped off the node to CloudWatch Logs'],
        { type: 'options', body: [['tag', props.declarativeAudit.syslogTag], ['facility', props.declarativeAudit.syslogFacility]] },
      ],
    } satisfies HclBlock]),
  ];
}

/** The file's text. */
export function renderServerConfig(props: ServerConfigProps): string {
  return `# ${props.engine.product} server configuration, written by gateway-pki (vault-aws stack).\n`
    + `# ${NODE_PLACEHOLDERS.instanceId} and ${NODE_PLACEHOLDERS.privateIp} are replaced at boot.\n\n`
    + renderHcl(serverConfigBody(props));
}
