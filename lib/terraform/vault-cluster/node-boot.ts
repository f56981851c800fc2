/**
 * What a Vault node runs at first boot: a cloud-init document (`#cloud-config`) that writes the
 * server configuration, a hardened systemd unit, the kernel and core-dump settings, and a POSIX
 * shell script that installs the verified package, mounts the audit and Raft volumes, fetches the
 * TLS material from Secrets Manager, fills in the node's own id and address, starts the service,
 * then rsyslog and the CloudWatch agent that ship the syslog audit device off the node, and lets the
 * node into service (completes its launch lifecycle hook) only once it is ready.
 *
 * The user data carries no secret: the TLS key is fetched at boot with the instance role, and the
 * script never prints it (no `set -x`). Everything is rendered here, in TypeScript, so the AWS stack
 * needs no cloudinit or template provider.
 */
import { stringify } from 'yaml';
import type { Architecture, EngineProfile, PackageDownload } from './engine.js';
import { API_PORT, HEALTH_CHECK_PATH, NODE_PLACEHOLDERS, type NodeTlsPaths } from './server-config.js';

/** Where the boot script and the configuration template are written. */
export const BOOT_SCRIPT_PATH = '/usr/local/sbin/gateway-pki-node-setup';
export const CONFIG_TEMPLATE_PATH = '/etc/gateway-pki/server.hcl';

/**
 * How long a new node may take to be ready before its launch hook abandons it (the hook's
 * heartbeat timeout): boot, package download and install, Raft join and catch-up, with room.
 */
export const LAUNCH_HOOK_HEARTBEAT_SECONDS = 900;

/**
 * How long the boot script waits for readiness, counted from its own start (cloud-init starts it a
 * little after launch): it gives up before the hook's heartbeat ends, so its log says why.
 */
export const READY_TIMEOUT_SECONDS = LAUNCH_HOOK_HEARTBEAT_SECONDS - 120;

/**
 * Consecutive checks, 10 seconds apart, a node must pass before it enters service: 30 seconds of
 * standing as an unsealed follower of the leader, three times autopilot's default server
 * stabilisation time (10 s), after which autopilot promotes a healthy new server to voter.
 */
export const READY_CHECKS = 3;

/** Most Raft log entries a ready follower may still have to apply. */
export const MAX_APPLY_LAG = 10;

/**
 * Amazon's key that signs the CloudWatch agent's packages, as its documentation publishes it: the
 * downloaded key is trusted only for a signature by this fingerprint.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/verify-CloudWatch-Agent-Package-Signature.html
 */
export const CLOUDWATCH_AGENT_KEY_FINGERPRINT = '937616F3450B7D806CBD9725D58167303B789C72';

/** The CloudWatch agent's `.rpm` of one version, its detached signature (`<url>.sig`) and Amazon's key. */
export interface CloudWatchAgentDownload {
  readonly version: string;
  readonly url: string;
  readonly keyUrl: string;
  readonly keyFingerprint: string;
}

const AGENT_ARCH: Record<Architecture, string> = { x86_64: 'amd64', arm64: 'arm64' };

/** Where a pinned version of the CloudWatch agent is published for Amazon Linux. */
export function cloudWatchAgentDownload(version: string, architecture: Architecture): CloudWatchAgentDownload {
  const base = 'https://amazoncloudwatch-agent.s3.amazonaws.com';
  return {
    version,
    url: `${base}/amazon_linux/${AGENT_ARCH[architecture]}/${version}/amazon-cloudwatch-agent.rpm`,
    keyUrl: `${base}/assets/amazon-cloudwatch-agent.gpg`,
    keyFingerprint: CLOUDWATCH_AGENT_KEY_FINGERPRINT,
  };
}

/** The file rsyslog writes the syslog audit device's entries to, on the root volume (not the audit volume: one full disk stops one device only). */
export function auditSyslogFile(engine: EngineProfile): string {
  return `/var/log/${engine.service}-syslog/audit.log`;
}

/** Device name of the audit volume in the launch template; udev links it to its NVMe disk. */
export const AUDIT_DEVICE = '/dev/sdg';

/** Where the CloudWatch agent's configuration is written. */
export const CLOUDWATCH_AGENT_CONFIG_PATH = '/opt/aws/amazon-cloudwatch-agent/etc/gateway-pki.json';

/** The audit trail on a node: the volume of the file device, and how the syslog device leaves the node. */
export interface NodeAuditProps {
  /** Tag of the syslog audit device's entries, which rsyslog picks out. */
  readonly syslogTag: string;
  /** The CloudWatch log group the agent writes to, one stream per instance. */
  readonly logGroupName: string;
  readonly agent: CloudWatchAgentDownload;
}

/** AWS Secrets Manager secret names of the TLS material. */
export interface TlsSecretNames {
  readonly certificate: string;
  readonly key: string;
  readonly caChain: string;
}

export interface NodeBootProps {
  readonly engine: EngineProfile;
  readonly version: string;
  readonly download: PackageDownload;
  /** SHA-256 of the package, when verified against a pinned checksum. */
  readonly packageSha256?: string;
  readonly region: string;
  /** The rendered server configuration, with its node placeholders. */
  readonly serverConfig: string;
  readonly tlsSecrets: TlsSecretNames;
  readonly tlsPaths: NodeTlsPaths;
  /** `ebs`: one unpartitioned EBS data volume; `instance-store`: every NVMe instance-store disk, in RAID0 when several. */
  readonly storage: 'ebs' | 'instance-store';
  /** Host name of the servers' certificate, for the CLI on the node (`VAULT_TLS_SERVER_NAME`). */
  readonly tlsServerName: string;
  /**
   * Revision of the TLS material in Secrets Manager. It is part of the user data, so that a new
   * revision makes a new launch template version, which starts a rolling instance refresh: every
   * node is replaced by one that fetched the new files.
   */
  readonly tlsRevision: number;
  /** The Auto Scaling group and its launch hook, which the script completes once the node is ready. */
  readonly launchHook: { readonly autoScalingGroupName: string; readonly hookName: string };
  /**
   * The first apply: ready as soon as the server answers, initialised or not (nobody has run
   * `vault operator init` yet); a node that finds the cluster initialised waits as usual.
   */
  readonly bootstrap: boolean;
  /**
   * How the script asks autopilot whether its node is a healthy voter (`sys/storage/raft/autopilot/state`
   * needs a token): it logs in to Vault's AWS auth method as the node's IAM role.
   */
  readonly voterCheck: { readonly awsAuthPath: string; readonly role: string; readonly serverId: string };
  readonly audit: NodeAuditProps;
}

/** The TLS files' directory on the node. */
export function tlsDirectory(engine: EngineProfile): string {
  return `${engine.configDir}/tls`;
}

/** Node paths of the TLS material. */
export function nodeTlsPaths(engine: EngineProfile): NodeTlsPaths {
  const dir = tlsDirectory(engine);
  return { certificate: `${dir}/server.pem`, key: `${dir}/server-key.pem`, caChain: `${dir}/ca-chain.pem` };
}

/** Single-quotes a value for POSIX sh. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The boot script: its settings (rendered from the configuration) followed by fixed steps. Each
 * step logs what it does; any failure stops the script with the step named, and cloud-init reports
 * the boot as failed (visible in `/var/log/cloud-init-output.log` and the console output).
 */
export function renderBootScript(props: NodeBootProps): string {
  const { engine, download } = props;
  const verification = download.verification;
  const settings: Array<[string, string]> = [
    ['PRODUCT', engine.product],
    ['SERVICE', engine.service],
    ['SERVICE_USER', engine.user],
    ['BINARY', engine.binary],
    ['CONFIG_FILE', engine.configFile],
    ['CONFIG_TEMPLATE', CONFIG_TEMPLATE_PATH],
    ['INSTANCE_ID_PLACEHOLDER', NODE_PLACEHOLDERS.instanceId],
    ['PRIVATE_IP_PLACEHOLDER', NODE_PLACEHOLDERS.privateIp],
    ['DATA_DIR', engine.dataDir],
    ['LOG_DIR', engine.logDir],
    ['TLS_DIR', tlsDirectory(engine)],
    ['TLS_CERTIFICATE', props.tlsPaths.certificate],
    ['TLS_KEY', props.tlsPaths.key],
    ['TLS_CA_CHAIN', props.tlsPaths.caChain],
    ['REGION', props.region],
    ['SECRET_CERTIFICATE', props.tlsSecrets.certificate],
    ['SECRET_KEY', props.tlsSecrets.key],
    ['SECRET_CA_CHAIN', props.tlsSecrets.caChain],
    ['TLS_REVISION', String(props.tlsRevision)],
    ['TLS_SERVER_NAME', props.tlsServerName],
    ['API_PORT', String(API_PORT)],
    ['HEALTH_PATH', HEALTH_CHECK_PATH.replace(/^\/v1\//, '')],
    ['AUTO_SCALING_GROUP', props.launchHook.autoScalingGroupName],
    ['LAUNCH_HOOK', props.launchHook.hookName],
    ['BOOTSTRAP', String(props.bootstrap)],
    ['CLI_ENV', engine.envPrefix],
    ['AWS_AUTH_PATH', props.voterCheck.awsAuthPath],
    ['GATE_ROLE', props.voterCheck.role],
    ['AWS_AUTH_SERVER_ID', props.voterCheck.serverId],
    ['READY_TIMEOUT', String(READY_TIMEOUT_SECONDS)],
    ['READY_CHECKS', String(READY_CHECKS)],
    ['MAX_APPLY_LAG', String(MAX_APPLY_LAG)],
    ['STORAGE', props.storage],
    ['AUDIT_DEVICE', AUDIT_DEVICE],
    ['AUDIT_XEN_DEVICE', AUDIT_DEVICE.replace('/dev/sd', '/dev/xvd')],
    ['SYSLOG_DIR', auditSyslogFile(engine).replace(/\/[^/]+$/, '')],
    ['AGENT_VERSION', props.audit.agent.version],
    ['AGENT_URL', props.audit.agent.url],
    ['AGENT_KEY_URL', props.audit.agent.keyUrl],
    ['AGENT_KEY_FINGERPRINT', props.audit.agent.keyFingerprint],
    ['AGENT_CONFIG', CLOUDWATCH_AGENT_CONFIG_PATH],
    ['PACKAGE_VERSION', props.version],
    ['PACKAGE_URL', download.url],
    ['PACKAGE_FILE', download.file],
    ['VERIFICATION', verification.type],
    ...(verification.type === 'signed-checksums'
      ? [
        ['SUMS_URL', verification.sumsUrl],
        ['SIGNATURE_URL', verification.signatureUrl],
        ['KEY_URL', verification.keyUrl],
        ['KEY_FINGERPRINT', verification.keyFingerprint],
      ] as Array<[string, string]>
      : [['PACKAGE_SHA256', props.packageSha256 ?? '']] as Array<[string, string]>),
  ];
  if (verification.type === 'pinned-checksum' && !props.packageSha256) {
    throw new Error(`${engine.product} ${props.version}: a pinned package checksum is required`);
  }
  return [
    '#!/bin/sh',
    `# First boot of a ${engine.product} node, written by gateway-pki (vault-aws stack); run once by cloud-init.`,
    '# Never add `set -x`: the TLS key passes through this script.',
    'set -eu',
    'umask 077',
    '',
    ...settings.map(([name, value]) => `${name}=${shellQuote(value)}`),
    '',
    BOOT_STEPS,
  ].join('\n');
}

/** The fixed part of the boot script: functions, then the steps in order. */
const BOOT_STEPS = String.raw`log() {
  printf '%s gateway-pki-node-setup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

fail() {
  log "FAILED: $*"
  exit 1
}

# Instance metadata, over IMDSv2 (the launch template refuses IMDSv1).
imds() {
  imds_token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token) || return 1
  curl -fsS -H "X-aws-ec2-metadata-token: $imds_token" "http://169.254.169.254/latest/meta-data/$1"
}

download() {
  curl -fsSL --proto '=https' --tlsv1.2 --retry 5 --retry-connrefused -o "$2" "$1"
}

# verify_signature DIR KEY FINGERPRINT SIGNATURE FILE: the signature must come from the pinned key
# (primary or subkey), whatever else the key file holds.
verify_signature() {
  GNUPGHOME="$1/gnupg"
  export GNUPGHOME
  mkdir -m 0700 "$GNUPGHOME"
  gpg --batch --quiet --import "$2" 2>/dev/null || return 1
  gpg --batch --status-fd 1 --verify "$4" "$5" 2>/dev/null \
    | awk -v fpr="$3" '$2 == "VALIDSIG" && ($3 == fpr || $NF == fpr) { ok = 1 } END { exit !ok }'
}

disable_swap_and_core_dumps() {
  log "turning swap and core dumps off"
  swapoff -a || fail "swapoff"
  sed -i '/[[:space:]]swap[[:space:]]/d' /etc/fstab || fail "removing swap from /etc/fstab"
  sysctl --quiet --system >/dev/null || fail "applying /etc/sysctl.d"
}

install_package() {
  workdir=$(mktemp -d)
  log "downloading $PACKAGE_FILE ($PRODUCT $PACKAGE_VERSION)"
  download "$PACKAGE_URL" "$workdir/$PACKAGE_FILE" || fail "downloading $PACKAGE_URL"
  case "$VERIFICATION" in
    signed-checksums)
      download "$SUMS_URL" "$workdir/SHA256SUMS" || fail "downloading $SUMS_URL"
      download "$SIGNATURE_URL" "$workdir/SHA256SUMS.sig" || fail "downloading $SIGNATURE_URL"
      download "$KEY_URL" "$workdir/release-key.asc" || fail "downloading $KEY_URL"
      verify_signature "$workdir" "$workdir/release-key.asc" "$KEY_FINGERPRINT" "$workdir/SHA256SUMS.sig" "$workdir/SHA256SUMS" \
        || fail "SHA256SUMS is not signed by the release key $KEY_FINGERPRINT"
      grep " $PACKAGE_FILE\$" "$workdir/SHA256SUMS" > "$workdir/package.sha256" || fail "$PACKAGE_FILE is not listed in SHA256SUMS"
      ;;
    pinned-checksum)
      printf '%s  %s\n' "$PACKAGE_SHA256" "$PACKAGE_FILE" > "$workdir/package.sha256"
      ;;
    *)
      fail "unknown verification $VERIFICATION"
      ;;
  esac
  (cd "$workdir" && sha256sum --check --quiet package.sha256) || fail "checksum of $PACKAGE_FILE"
  log "installing $PACKAGE_FILE (checksum verified)"
  dnf install -y -q "$workdir/$PACKAGE_FILE" || fail "dnf install $PACKAGE_FILE"
  rm -rf "$workdir"
  id "$SERVICE_USER" >/dev/null 2>&1 || fail "the package did not create the user $SERVICE_USER"
}

# NVMe disks whose model is $1 and that hold no partition (the root disk has some).
nvme_disks() {
  for disk in /sys/block/nvme*n1; do
    [ -e "$disk/device/model" ] || continue
    name=$(basename "$disk")
    [ "/dev/$name" != "$AUDIT_DISK" ] || continue
    model=$(sed 's/[[:space:]]*$//' "$disk/device/model")
    [ "$model" = "$1" ] || continue
    partitioned=no
    for partition in "$disk/$name"p*; do
      if [ -e "$partition" ]; then partitioned=yes; fi
    done
    if [ "$partitioned" = no ]; then printf '/dev/%s\n' "$name"; fi
  done
}

prepare_data_volume() {
  if [ "$STORAGE" = instance-store ]; then
    disks=$(nvme_disks 'Amazon EC2 NVMe Instance Storage')
  else
    disks=$(nvme_disks 'Amazon Elastic Block Store')
  fi
  count=$(printf '%s\n' "$disks" | grep -c . || true)
  [ "$count" -ge 1 ] || fail "no $STORAGE data disk found for $DATA_DIR"
  if [ "$count" -gt 1 ]; then
    log "assembling $count disks in RAID0"
    dnf install -y -q mdadm || fail "dnf install mdadm"
    # shellcheck disable=SC2086 # one argument per disk
    mdadm --create /dev/md0 --run --level=0 --raid-devices="$count" $disks || fail "mdadm --create"
    device=/dev/md0
  else
    device=$disks
  fi
  mount_volume "$device" "$DATA_DIR"
  chown "$SERVICE_USER:$SERVICE_USER" "$DATA_DIR"
  chmod 0700 "$DATA_DIR"
}

# mount_volume DEVICE DIR: formats DEVICE only if it holds no filesystem, mounts it by UUID; run twice, changes nothing.
mount_volume() {
  if ! blkid "$1" >/dev/null 2>&1; then
    log "formatting $1 (xfs)"
    mkfs.xfs -q "$1" || fail "mkfs.xfs $1"
  fi
  uuid=$(blkid -s UUID -o value "$1") || fail "reading the UUID of $1"
  mkdir -p "$2"
  grep -q "UUID=$uuid" /etc/fstab || printf 'UUID=%s %s xfs defaults,noatime,nodev,nosuid,noexec,nofail 0 2\n' "$uuid" "$2" >> /etc/fstab
  mount "$2" 2>/dev/null || mountpoint -q "$2" || fail "mounting $1 on $2"
  log "$2 is on $1"
}

# The audit log gets its own volume: lost neither with the instance's root disk, nor filling it.
prepare_audit_volume() {
  AUDIT_DISK=
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    # udev names the NVMe disk after the launch template's device (Nitro), Xen as xvd*.
    for link in "$AUDIT_DEVICE" "$AUDIT_XEN_DEVICE"; do
      if [ -b "$link" ]; then AUDIT_DISK=$(readlink -f "$link"); fi
    done
    [ -z "$AUDIT_DISK" ] || break
    sleep 3
  done
  [ -n "$AUDIT_DISK" ] || fail "no audit volume at $AUDIT_DEVICE"
  mount_volume "$AUDIT_DISK" "$LOG_DIR"
  install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$LOG_DIR"
}

# Prints a secret's value: only ever redirected to a file, never to the log.
secret_value() {
  aws --region "$REGION" secretsmanager get-secret-value --secret-id "$1" --query SecretString --output text
}

fetch_tls() {
  log "fetching the TLS material (revision $TLS_REVISION) from Secrets Manager"
  install -d -m 0750 -o root -g "$SERVICE_USER" "$TLS_DIR"
  secret_value "$SECRET_CA_CHAIN" > "$TLS_CA_CHAIN.new" || fail "reading secret $SECRET_CA_CHAIN"
  secret_value "$SECRET_CERTIFICATE" > "$TLS_CERTIFICATE.new" || fail "reading secret $SECRET_CERTIFICATE"
  # The server presents its certificate followed by the chain, so clients need only the root.
  cat "$TLS_CA_CHAIN.new" >> "$TLS_CERTIFICATE.new"
  secret_value "$SECRET_KEY" > "$TLS_KEY.new" || fail "reading secret $SECRET_KEY"
  openssl x509 -noout -in "$TLS_CERTIFICATE.new" 2>/dev/null || fail "secret $SECRET_CERTIFICATE holds no certificate"
  # The key must be the certificate's: compare public keys (the private key is never printed).
  cert_public=$(openssl x509 -noout -pubkey -in "$TLS_CERTIFICATE.new" 2>/dev/null) || fail "reading the certificate's public key"
  key_public=$(openssl pkey -pubout -in "$TLS_KEY.new" 2>/dev/null) || fail "secret $SECRET_KEY holds no private key"
  [ "$cert_public" = "$key_public" ] || fail "secret $SECRET_KEY is not the key of the certificate in $SECRET_CERTIFICATE"
  for file in "$TLS_CA_CHAIN" "$TLS_CERTIFICATE" "$TLS_KEY"; do
    chown "root:$SERVICE_USER" "$file.new"
    chmod 0640 "$file.new"
    mv "$file.new" "$file"
  done
}

write_server_config() {
  instance_id=$(imds instance-id) || fail "reading the instance id"
  private_ip=$(imds local-ipv4) || fail "reading the private address"
  log "writing $CONFIG_FILE for node $instance_id ($private_ip)"
  sed -e "s/$INSTANCE_ID_PLACEHOLDER/$instance_id/g" -e "s/$PRIVATE_IP_PLACEHOLDER/$private_ip/g" "$CONFIG_TEMPLATE" > "$CONFIG_FILE.new" \
    || fail "rendering $CONFIG_FILE"
  chown "root:$SERVICE_USER" "$CONFIG_FILE.new"
  chmod 0640 "$CONFIG_FILE.new"
  mv "$CONFIG_FILE.new" "$CONFIG_FILE"
}

start_service() {
  log "starting $SERVICE"
  systemctl daemon-reload || fail "systemctl daemon-reload"
  systemctl enable --now "$SERVICE" || fail "starting $SERVICE"
  "$BINARY" version >/dev/null || fail "$BINARY does not run"
  log "$PRODUCT is running; it unseals itself with KMS once initialised"
}

# The local server by its certificate's name, verified against the CA chain (verification is never skipped).
# local_api PATH [curl options]: the options (-o, -w, -H) come before the URL.
local_api() {
  api_path=$1
  shift
  curl -sS --proto '=https' --max-time 5 --cacert "$TLS_CA_CHAIN" --resolve "$TLS_SERVER_NAME:$API_PORT:127.0.0.1" \
    "$@" "https://$TLS_SERVER_NAME:$API_PORT/v1/$api_path"
}

# 200: unsealed, active or a standby reaching the active node; 501 uninitialised; 503 sealed.
health_code() {
  code=$(local_api "$HEALTH_PATH" -o /dev/null -w '%{http_code}' 2>/dev/null) || code=000
  printf '%s\n' "$code"
}

# A leader is known and the Raft log received is applied (sys/leader needs no token).
follows_leader() {
  local_api sys/leader 2>/dev/null | python3 -c '
import json,sys
l=json.load(sys.stdin);a=l.get("raft_applied_index",0)
sys.exit(not(l.get("leader_address") and a>0 and l.get("raft_committed_index",0)-a<=int(sys.argv[1])))' "$MAX_APPLY_LAG"
}

# READY_CHECKS passes in a row, 10 s apart; with BOOTSTRAP, an uninitialised server is ready too.
# READY_TIMEOUT counts from the script's start: the hook's heartbeat started at launch.
wait_until_ready() {
  passed=0
  state=none
  while [ "$passed" -lt "$READY_CHECKS" ]; do
    code=$(health_code)
    if [ "$code" = 501 ] && [ "$BOOTSTRAP" = true ]; then
      log "uninitialised, bootstrap on: entering service to await operator init"
      return 0
    fi
    if [ "$code" = 200 ] && follows_leader; then passed=$((passed + 1)); else passed=0; fi
    [ "$code" = "$state" ] || log "health $code (ready: 200 and following the leader)"
    state=$code
    if [ $(($(date +%s) - started)) -ge "$READY_TIMEOUT" ]; then
      fail "not ready after $READY_TIMEOUT s (health $code; 501: set vaultCluster.bootstrap on the first apply, else retry_join failed)"
    fi
    sleep 10
  done
  log "ready: unsealed and following the leader"
  if [ "$BOOTSTRAP" = true ]; then
    log "bootstrap on: not asking autopilot (its AWS auth login comes with the vault-config stack)"
    return 0
  fi
  until healthy_voter; do
    if [ $(($(date +%s) - started)) -ge "$READY_TIMEOUT" ]; then
      fail "autopilot does not count node $(imds instance-id) a healthy voter after $READY_TIMEOUT s (or the $AWS_AUTH_PATH login as $GATE_ROLE failed)"
    fi
    sleep 10
  done
  log "autopilot counts this node a healthy voter"
}

# Autopilot's state needs a token: the node logs in with its IAM role (Vault's AWS auth), for one
# read. The token reaches curl on its standard input, never on a command line.
healthy_voter() {
  node=$(imds instance-id) || return 1
  token=$(env "$CLI_ENV""_ADDR=https://127.0.0.1:$API_PORT" "$CLI_ENV""_TLS_SERVER_NAME=$TLS_SERVER_NAME" "$CLI_ENV""_CACERT=$TLS_CA_CHAIN" \
    "$BINARY" login -no-store -token-only -method=aws -path="$AWS_AUTH_PATH" role="$GATE_ROLE" header_value="$AWS_AUTH_SERVER_ID" \
    region="$REGION" 2>/dev/null) || return 1
  printf 'X-Vault-Token: %s\n' "$token" | local_api sys/storage/raft/autopilot/state -H @- 2>/dev/null | python3 -c '
import json,sys
s=json.load(sys.stdin).get("data",{}).get("servers",{}).get(sys.argv[1],{})
sys.exit(not(s.get("status") in ("voter","leader") and s.get("healthy") is True))' "$node"
}

# Only now the node enters service; a node that never gets here is abandoned by the hook.
complete_launch_hook() {
  instance_id=$(imds instance-id) || fail "reading the instance id"
  aws --region "$REGION" autoscaling complete-lifecycle-action --auto-scaling-group-name "$AUTO_SCALING_GROUP" \
    --lifecycle-hook-name "$LAUNCH_HOOK" --instance-id "$instance_id" --lifecycle-action-result CONTINUE \
    || fail "completing the launch hook $LAUNCH_HOOK"
  log "launch hook completed: in service"
}

# The syslog audit device: journald → rsyslog (its file, on the root volume) → the CloudWatch agent.
ship_syslog_audit() {
  workdir=$(mktemp -d)
  log "downloading the CloudWatch agent $AGENT_VERSION"
  download "$AGENT_URL" "$workdir/agent.rpm" || fail "downloading $AGENT_URL"
  download "$AGENT_URL.sig" "$workdir/agent.rpm.sig" || fail "downloading $AGENT_URL.sig"
  download "$AGENT_KEY_URL" "$workdir/agent.gpg" || fail "downloading $AGENT_KEY_URL"
  verify_signature "$workdir" "$workdir/agent.gpg" "$AGENT_KEY_FINGERPRINT" "$workdir/agent.rpm.sig" "$workdir/agent.rpm" \
    || fail "the CloudWatch agent package is not signed by $AGENT_KEY_FINGERPRINT"
  dnf install -y -q "$workdir/agent.rpm" rsyslog || fail "dnf install the CloudWatch agent and rsyslog"
  rm -rf "$workdir"
  install -d -m 0750 -o root -g cwagent "$SYSLOG_DIR"
  systemctl enable --now rsyslog || fail "starting rsyslog"
  /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:$AGENT_CONFIG" >/dev/null \
    || fail "starting the CloudWatch agent"
  log "the syslog audit device is shipped to CloudWatch Logs"
}

started=$(date +%s)
disable_swap_and_core_dumps
install_package
prepare_audit_volume
prepare_data_volume
fetch_tls
write_server_config
start_service
ship_syslog_audit
wait_until_ready
complete_launch_hook
`;

/** A hardened systemd unit, replacing the package's (`/etc/systemd/system` wins over `/usr/lib/systemd/system`). */
export function renderSystemdUnit(engine: EngineProfile): string {
  return `# ${engine.product}, written by gateway-pki (vault-aws stack).
[Unit]
Description=${engine.product}
Requires=network-online.target
After=network-online.target
ConditionFileNotEmpty=${engine.configFile}
StartLimitIntervalSec=60
StartLimitBurst=3

[Service]
Type=notify
User=${engine.user}
Group=${engine.user}
ExecStart=${engine.binary} server -config=${engine.configFile}
ExecReload=/bin/kill --signal HUP $MAINPID
KillMode=process
KillSignal=SIGINT
Restart=on-failure
RestartSec=5
TimeoutStopSec=30
LimitNOFILE=65536
LimitCORE=0
# The syslog audit device goes through journald: no entry may be dropped by its rate limit.
LogRateLimitIntervalSec=0
UMask=0077
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ReadWritePaths=${engine.dataDir} ${engine.logDir}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectHostname=yes
ProtectClock=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
`;
}

/** The cloud-init user data: `#cloud-config`, then the document. */
export function renderCloudConfig(props: NodeBootProps): string {
  const { engine } = props;
  const env = engine.envPrefix;
  const syslogFile = auditSyslogFile(engine);
  const document = {
    write_files: [
      { path: CONFIG_TEMPLATE_PATH, owner: 'root:root', permissions: '0600', content: props.serverConfig },
      { path: `/etc/systemd/system/${engine.service}.service`, owner: 'root:root', permissions: '0644', content: renderSystemdUnit(engine) },
      {
        path: '/etc/sysctl.d/90-gateway-pki.conf',
        owner: 'root:root',
        permissions: '0644',
        content: '# No core dumps of set-uid programs; no swapping (swap is also turned off).\nfs.suid_dumpable = 0\nvm.swappiness = 0\n',
      },
      {
        path: '/etc/systemd/coredump.conf.d/90-gateway-pki.conf',
        owner: 'root:root',
        permissions: '0644',
        content: '# A core dump of the server would hold keys in clear: none are kept.\n[Coredump]\nStorage=none\nProcessSizeMax=0\n',
      },
      { path: '/etc/security/limits.d/90-gateway-pki.conf', owner: 'root:root', permissions: '0644', content: '* hard core 0\n' },
      {
        path: `/etc/logrotate.d/${engine.service}`,
        owner: 'root:root',
        permissions: '0644',
        content: `# The audit log: the server reopens its files on SIGHUP.\n${engine.logDir}/*.log {\n  daily\n  rotate 14\n  compress\n`
          + `  delaycompress\n  missingok\n  notifempty\n  postrotate\n    systemctl reload ${engine.service} >/dev/null 2>&1 || true\n  endscript\n}\n`
          + `# The syslog device's copy, already in CloudWatch Logs: a few days, bounded in size.\n${syslogFile} {\n  daily\n  rotate 3\n`
          + `  maxsize 1G\n  compress\n  missingok\n  notifempty\n  postrotate\n    systemctl kill -s HUP rsyslog >/dev/null 2>&1 || true\n`
          + '  endscript\n}\n',
      },
      { path: '/etc/rsyslog.conf', owner: 'root:root', permissions: '0644', content: renderRsyslogConfig(props.audit.syslogTag, syslogFile) },
      {
        path: CLOUDWATCH_AGENT_CONFIG_PATH,
        owner: 'root:root',
        permissions: '0644',
        content: `${JSON.stringify(cloudWatchAgentConfig(props.region, syslogFile, props.audit.logGroupName))}\n`,
      },
      {
        path: `/etc/profile.d/${engine.service}.sh`,
        owner: 'root:root',
        permissions: '0644',
        content: `# The CLI on a node talks to the local server and verifies its certificate by name.\nexport ${env}_ADDR=https://127.0.0.1:8200\n`
          + `export ${env}_CACERT=${props.tlsPaths.caChain}\nexport ${env}_TLS_SERVER_NAME=${props.tlsServerName}\n`,
      },
      { path: BOOT_SCRIPT_PATH, owner: 'root:root', permissions: '0700', content: renderBootScript(props) },
    ],
    runcmd: [[BOOT_SCRIPT_PATH]],
  };
  // YAML 1.1 (cloud-init reads it with PyYAML), files as literal blocks so that they read as written.
  return `#cloud-config\n# ${engine.product} node, written by gateway-pki (vault-aws stack). No secret here: TLS comes from Secrets Manager at boot.\n`
    + stringify(document, { version: '1.1', blockQuote: 'literal', lineWidth: 0, indentSeq: false });
}

/**
 * rsyslog's whole configuration on a node (the package keeps it, as `%config(noreplace)`): it reads
 * the journal and writes the syslog audit device's entries, and only those, to their file. No rate
 * limit and 64 KiB messages: an audit entry dropped or cut here would be missing in CloudWatch Logs.
 */
export function renderRsyslogConfig(tag: string, file: string): string {
  return `# rsyslog on a gateway-pki node: it only carries the syslog audit device (journald keeps the rest).
global(workDirectory="/var/lib/rsyslog" maxMessageSize="64k")
module(load="imjournal" StateFile="imjournal.state" Ratelimit.Interval="0")
# One JSON entry per line, as Vault wrote it: CloudWatch Logs Insights reads its fields.
template(name="auditEntry" type="string" string="%msg%\\n")
if $programname == "${tag}" then {
  action(type="omfile" file="${file}" fileOwner="root" fileGroup="cwagent" fileCreateMode="0640" template="auditEntry")
}
stop
`;
}

/**
 * The CloudWatch agent's configuration: as its own user (\`cwagent\`, which may read the file and
 * nothing of Vault's), the syslog audit file into the audit log group, one stream per instance.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html
 */
export function cloudWatchAgentConfig(region: string, file: string, logGroupName: string): unknown {
  return {
    agent: { region, run_as_user: 'cwagent', omit_hostname: true },
    logs: {
      force_flush_interval: 5,
      logs_collected: {
        files: { collect_list: [{ file_path: file, log_group_name: logGroupName, log_stream_name: '{instance_id}', timezone: 'UTC' }] },
      },
    },
  };
}
