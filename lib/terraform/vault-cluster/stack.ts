import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { raftVoters, VAULT_AUDIT_DEFAULTS, VAULT_HA_MIN_SUBNETS, VAULT_TLS_DEFAULT_REVISION } from '../../config/check-vault-cluster.js';
import { pkiFile } from '../../config/pki-files.js';
import { goDurationSeconds, SYSLOG_AUDIT_FACILITY, vaultSetupSettings } from '../../config/vault-setup.js';
import type { PlatformConfig, VaultClusterConfig } from '../../config/types.js';
import { PKI_FILES } from '../../pki/files.js';
import { appRoleRotationSettings } from '../../config/approle-rotation.js';
import { appRoleRotationRoleArn, awsPartition, DEFAULT_VAULT_CLUSTER_NAME } from '../../util/names.js';
import { AwsAccountCheck } from '../aws-account-check.js';
import type { TerraformFiles } from '../files.js';
import { DEFAULT_TAGS } from '../stacks.js';
import { ENGINES } from './engine.js';
import { VaultCluster } from './vault-cluster.js';
import { PlatformStack, type PlatformStackProps } from '../platform-stack.js';

export interface VaultAwsStackProps extends PlatformStackProps {
  readonly platform: PlatformConfig;
  readonly cluster: VaultClusterConfig;
  readonly files: TerraformFiles;
}

/**
 * Seconds a rolling refresh pauses after each node: autopilot's dead-server threshold (the
 * `vault-config` stack sets it), plus a minute for autopilot's reconcile loop to remove the voter.
 */
export const CHECKPOINT_MARGIN_SECONDS = 60;

/**
 * The `vault-aws` stack: the Vault (or OpenBao) servers of `vaultCluster`, and their outputs.
 *
 * Its state is the cluster's alone: backups (`vault-backup-aws`) and the Vault configuration
 * (`vault-config`) are other stacks, so that destroying or rebuilding the servers touches neither.
 */
export class VaultAwsStack extends PlatformStack {
  public readonly vaultCluster: VaultCluster;

  constructor(scope: Construct, id: string, props: VaultAwsStackProps) {
    super(scope, id, props);
    const { platform, cluster } = props;
    const region = cluster.region ?? platform.aws.region;
    const name = cluster.name ?? DEFAULT_VAULT_CLUSTER_NAME;
    const mode = cluster.mode ?? 'ha';
    const voters = raftVoters(cluster);
    const network = cluster.network;
    const architecture = cluster.ami.architecture ?? 'x86_64';
    const setup = vaultSetupSettings(platform);
    const address = new URL(platform.vault.address);
    const tags = [{ tags: { ...DEFAULT_TAGS, 'gateway-pki/vault-cluster': name } }];
    new AwsProvider(this, 'aws', { region, allowedAccountIds: [platform.aws.accountId], defaultTags: tags });
    const drRegion = cluster.disasterRecovery?.region;
    // A second configuration of the provider, `aws.dr`, for the seal key's replica and its alarm forwarder.
    const drProvider = drRegion === undefined
      ? undefined
      : new AwsProvider(this, 'aws-dr', { alias: 'dr', region: drRegion, allowedAccountIds: [platform.aws.accountId], defaultTags: tags });
    new AwsAccountCheck(this, 'AwsAccount', { accountId: platform.aws.accountId });

    this.vaultCluster = new VaultCluster(this, 'VaultCluster', {
      name,
      engine: ENGINES[cluster.engine ?? 'vault'],
      version: cluster.version,
      packageSha256: cluster.packageSha256,
      voters,
      minAvailabilityZones: mode === 'ha' ? VAULT_HA_MIN_SUBNETS : 1,
      accountId: platform.aws.accountId,
      region,
      partition: awsPartition(region),
      apiAddress: platform.vault.address.replace(/\/$/, ''),
      host: address.hostname,
      listenerPort: address.port === '' ? 443 : Number(address.port),
      privateZone: platform.dns.privateZone,
      vpc: network.vpcId !== undefined ? { id: network.vpcId } : { tags: network.vpcTags! },
      subnets: network.subnetIds !== undefined ? { ids: network.subnetIds } : { tags: network.subnetTags! },
      vpcCidr: network.vpcCidr,
      clientSecurityGroupIds: network.clientSecurityGroupIds,
      clientCidrs: network.clientCidrs,
      httpsEgressCidrs: network.httpsEgressCidrs ?? ['0.0.0.0/0'],
      existingKeyArn: cluster.unsealKey?.existingKeyArn,
      keyDeletionWindowDays: cluster.unsealKey?.deletionWindowDays,
      breakGlassRoleArn: cluster.unsealKey?.breakGlassRoleArn,
      disasterRecovery: drRegion !== undefined && drProvider !== undefined ? { region: drRegion, provider: drProvider } : undefined,
      tls: {
        // Where `npm run pki -- init` writes them.
        certificateFile: cluster.tls?.certificateFile ?? pkiFile(platform, PKI_FILES.serverCertificate),
        keyFile: cluster.tls?.keyFile ?? pkiFile(platform, PKI_FILES.serverKey),
        caChainFile: cluster.tls?.caChainFile ?? pkiFile(platform, PKI_FILES.chain),
        revision: cluster.tls?.revision ?? VAULT_TLS_DEFAULT_REVISION,
        minVersion: cluster.tls?.minVersion ?? 'tls12',
        files: props.files,
      },
      ami: cluster.ami.id !== undefined ? { id: cluster.ami.id, architecture } : { ssmParameter: cluster.ami.ssmParameter!, architecture },
      size: cluster.instances?.size ?? 'small',
      onDemandBase: cluster.instances?.onDemandBase ?? voters,
      bootstrap: cluster.bootstrap ?? false,
      awsAuthRoleArns: platform.clusters.filter((c) => appRoleRotationSettings(platform, c) !== undefined)
        .map((c) => appRoleRotationRoleArn(platform.aws.accountId, c.region ?? platform.aws.region, c.name)),
      checkpointDelaySeconds: goDurationSeconds(setup.deadServerLastContactThreshold) + CHECKPOINT_MARGIN_SECONDS,
      storage: cluster.instances?.storage ?? 'ebs',
      dataVolumeGiB: cluster.instances?.dataVolumeGiB,
      rootVolumeGiB: cluster.instances?.rootVolumeGiB,
      healthCheckGracePeriod: cluster.instances?.healthCheckGracePeriod,
      ssm: cluster.ssm ?? false,
      // OpenBao only takes audit devices from its configuration; the vault-config stack makes Vault's.
      declarativeAuditFile: cluster.engine === 'openbao' ? setup.auditFilePath : undefined,
      audit: {
        volumeGiB: cluster.audit?.volumeGiB ?? VAULT_AUDIT_DEFAULTS.volumeGiB,
        logRetentionDays: cluster.audit?.logRetentionDays ?? VAULT_AUDIT_DEFAULTS.logRetentionDays,
        cloudWatchAgentVersion: cluster.audit?.cloudWatchAgentVersion ?? VAULT_AUDIT_DEFAULTS.cloudWatchAgentVersion,
        syslogTag: setup.auditSyslogTag,
        syslogFacility: SYSLOG_AUDIT_FACILITY,
      },
    });

    const outputs: Array<[string, string, string]> = [
      ['vault_address', platform.vault.address, 'Address of the API, the Route53 name of the load balancer'],
      ['load_balancer_dns_name', this.vaultCluster.loadBalancer.dnsName, 'DNS name of the internal network load balancer'],
      ['kms_key_arn', this.vaultCluster.kmsKeyArn, 'KMS key of the awskms seal'],
      ...(this.vaultCluster.replicaKeyArn === undefined ? [] : [
        ['kms_replica_key_arn', this.vaultCluster.replicaKeyArn, `Replica of the seal key in ${drRegion}, for a restore there`] as [string, string, string],
      ]),
      ...(this.vaultCluster.sealKeyAlarm === undefined ? [] : [
        ['seal_key_alarm_topic_arn', this.vaultCluster.sealKeyAlarm.topic.arn, 'SNS topic told when the seal key is about to be destroyed: subscribe on-call to it'] as [string, string, string],
      ]),
      ['autoscaling_group_name', this.vaultCluster.autoScalingGroup.name, 'Auto Scaling group of the nodes'],
      ['node_role_arn', this.vaultCluster.role.arn, 'IAM role of the nodes'],
      ['audit_log_group_name', this.vaultCluster.auditLog.logGroupName, 'CloudWatch log group of the syslog audit device, one stream per node'],
    ];
    for (const [outputId, value, description] of outputs) new TerraformOutput(this, outputId, { value, description });
  }
}

