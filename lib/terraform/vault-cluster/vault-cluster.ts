import { AutoscalingGroup } from '@cdktf/provider-aws/lib/autoscaling-group/index.js';
import { DataAwsAmi } from '@cdktf/provider-aws/lib/data-aws-ami/index.js';
import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone/index.js';
import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter/index.js';
import { DataAwsSubnet } from '@cdktf/provider-aws/lib/data-aws-subnet/index.js';
import { DataAwsSubnets } from '@cdktf/provider-aws/lib/data-aws-subnets/index.js';
import { DataAwsVpc } from '@cdktf/provider-aws/lib/data-aws-vpc/index.js';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { KmsReplicaKey } from '@cdktf/provider-aws/lib/kms-replica-key/index.js';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsIamSessionContext } from '@cdktf/provider-aws/lib/data-aws-iam-session-context/index.js';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template/index.js';
import { Lb } from '@cdktf/provider-aws/lib/lb/index.js';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener/index.js';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group/index.js';
import { PlacementGroup } from '@cdktf/provider-aws/lib/placement-group/index.js';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record/index.js';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { TerraformIterator, type TerraformProvider, Token } from 'cdktf';
import { gzipSync } from 'fflate';
import { Construct } from 'constructs';
import { ConfigFiles, type TerraformFiles } from '../files.js';
import { policyDocument, type PolicyStatement, resourcePolicyDocument, trustDocument } from '../iam.js';
import { denyKeyDestruction, keyAdministration, MULTI_REGION_ADMIN_ACTIONS } from '../kms.js';
import { SECRETS_KEY_READ_ACTIONS, SecretsKey, secretsManagerEndpoint } from '../secrets-key.js';
import { VaultAuditLog } from './audit-log.js';
import { KeyDestructionAlarm } from './key-destruction-alarm.js';
import { type Architecture, type EngineProfile } from './engine.js';
import { AUDIT_DEVICE, cloudWatchAgentDownload, LAUNCH_HOOK_HEARTBEAT_SECONDS, nodeTlsPaths, renderCloudConfig, type TlsSecretNames } from './node-boot.js';
import { API_PORT, CLUSTER_PORT, HEALTH_CHECK_PATH, renderServerConfig } from './server-config.js';
import { VAULT_AWS_AUTH_PATH, VAULT_NODE_GATE_ROLE, vaultNodeRoleName } from '../../util/names.js';

/** How the nodes are sized, after HashiCorp's Raft reference architecture (vCPU and memory ranges). */
export const INSTANCE_SIZES = {
  small: { vcpu: { min: 2, max: 4 }, memoryMib: { min: 8192, max: 16384 } },
  large: { vcpu: { min: 4, max: 8 }, memoryMib: { min: 32768, max: 65536 } },
} as const;

export { HEALTH_CHECK_PATH };

/**
 * The first apply (`bootstrap`): uninitialised nodes answer 200 too, so that the Auto Scaling group
 * keeps them until `vault operator init`. The matcher stays {@link HEALTHY_STATUS_CODE}: no 5xx is
 * ever accepted, and sealed nodes stay unhealthy even then.
 */
export const BOOTSTRAP_HEALTH_CHECK_PATH = `${HEALTH_CHECK_PATH}&uninitcode=200`;

/** The one status code the load balancer counts as healthy. */
export const HEALTHY_STATUS_CODE = 200;

/** Name of the launch lifecycle hook the boot script completes (node-boot.ts). */
export const LAUNCH_HOOK_NAME = 'joined-and-unsealed';

/**
 * Seconds between two steps of a rolling refresh when the dead-server threshold of autopilot is
 * not given: autopilot's default (24 h) would be absurd, 10 minutes is the `vault.setup` default.
 */
export const DEFAULT_CHECKPOINT_DELAY_SECONDS = 660;

/**
 * Checkpoints of a rolling refresh of `voters` nodes: one after each node replaced (floored, so
 * that the k-th replacement always reaches the k-th percentage), the last at 100 as AWS requires.
 * @returns `[]` for a single node (nothing to pause between)
 */
export function refreshCheckpoints(voters: number): number[] {
  if (voters <= 1) return [];
  return Array.from({ length: voters }, (_, index) => (index + 1 === voters ? 100 : Math.floor((100 * (index + 1)) / voters)));
}

/** CPU makers matching each architecture, for attribute-based instance selection. */
const CPU_MANUFACTURERS: Record<Architecture, string[]> = { x86_64: ['intel', 'amd'], arm64: ['amazon-web-services'] };

/** The VPC, by id or by tags. */
export type VpcLookup = { readonly id: string } | { readonly tags: Readonly<Record<string, string>> };
/** The private subnets, by id or by tags (in the VPC). */
export type SubnetsLookup = { readonly ids: readonly string[] } | { readonly tags: Readonly<Record<string, string>> };

export interface VaultClusterProps {
  /** Prefix of resource names and value of the auto-join tag. */
  readonly name: string;
  readonly engine: EngineProfile;
  /** Package version, pinned. */
  readonly version: string;
  /** SHA-256 of the package, required when the engine verifies a pinned checksum (OpenBao). */
  readonly packageSha256?: string;
  /** Raft voters: the Auto Scaling group's size. */
  readonly voters: number;
  /** Fewest availability zones the subnets must span; checked at plan time. @default 1 */
  readonly minAvailabilityZones?: number;
  readonly accountId: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
  /** `https://vault.priv.example.com:8200`. */
  readonly apiAddress: string;
  /** Host of `apiAddress`, in the private zone: the Route53 record and the certificate's name. */
  readonly host: string;
  /** Port clients use, the load balancer's listener. @default 8200 */
  readonly listenerPort?: number;
  readonly privateZone: { readonly name: string; readonly hostedZoneID?: string };
  readonly vpc: VpcLookup;
  readonly subnets: SubnetsLookup;
  readonly vpcCidr: string;
  /** Security groups allowed to reach the API. @default [] */
  readonly clientSecurityGroupIds?: readonly string[];
  /** CIDRs allowed to reach the API. @default [] */
  readonly clientCidrs?: readonly string[];
  /** Where nodes may open HTTPS connections (AWS APIs, package downloads). */
  readonly httpsEgressCidrs: readonly string[];
  /** An existing KMS key for the seal. @default - a new key, rotation on */
  readonly existingKeyArn?: string;
  /** @default 30 */
  readonly keyDeletionWindowDays?: number;
  /**
   * The only principal that may schedule the created seal key's deletion, disable it or replace its
   * policy (compared with `aws:PrincipalArn`). Required unless `existingKeyArn` is given.
   */
  readonly breakGlassRoleArn?: string;
  /**
   * Where the created seal key gets its replica, with that Region's provider.
   * @default - no replica; the key is multi-Region all the same, so that one can be added later
   */
  readonly disasterRecovery?: { readonly region: string; readonly provider: TerraformProvider };
  /** TLS files, relative to the configuration, and where Terraform finds them. */
  readonly tls: {
    readonly certificateFile: string;
    readonly keyFile: string;
    readonly caChainFile: string;
    readonly revision: number;
    readonly minVersion: 'tls12';
    readonly files: TerraformFiles;
  };
  /** The image, pinned: an id, or an SSM parameter read at plan time (so a new value shows in the plan). */
  readonly ami: ({ readonly id: string } | { readonly ssmParameter: string }) & { readonly architecture: Architecture };
  readonly size: keyof typeof INSTANCE_SIZES;
  /**
   * On-demand instances; the rest are spot (price-capacity-optimized). Below `voters`, spot voters
   * are accepted (the configuration requires `instances.spotVoters`).
   * @default - `voters`: every node on demand, surge instances of a refresh too
   */
  readonly onDemandBase?: number;
  /**
   * The first apply: the health check also accepts uninitialised nodes, and a node completes its
   * launch hook as soon as its server answers (see node-boot.ts).
   * @default false
   */
  readonly bootstrap?: boolean;
  /**
   * IAM roles, besides the nodes' own, that log in to Vault's AWS auth method (the AppRole rotation
   * jobs'): Vault resolves each bound ARN to the role's unique id with `iam:GetRole`, as the nodes.
   * @default []
   */
  readonly awsAuthRoleArns?: readonly string[];
  /**
   * Seconds a rolling refresh waits after each replaced node: longer than autopilot's dead-server
   * threshold, so that the old voter is removed from Raft before the next one is terminated.
   * @default DEFAULT_CHECKPOINT_DELAY_SECONDS
   */
  readonly checkpointDelaySeconds?: number;
  readonly storage: 'ebs' | 'instance-store';
  /** @default 100 */
  readonly dataVolumeGiB?: number;
  /** @default 20 */
  readonly rootVolumeGiB?: number;
  /** @default 300 */
  readonly healthCheckGracePeriod?: number;
  /** Attach AmazonSSMManagedInstanceCore to the nodes' role. @default false */
  readonly ssm?: boolean;
  /** File of an audit device declared in the server configuration (OpenBao). @default - none */
  readonly declarativeAuditFile?: string;
  /** The audit trail: its volume, its log group, the agent that ships it. */
  readonly audit: VaultClusterAuditProps;
}

/** How each node keeps its audit trail, and how it leaves the node. */
export interface VaultClusterAuditProps {
  /** Size of the encrypted audit volume mounted on the engine's log directory, GiB. @default 20 */
  readonly volumeGiB?: number;
  /** Days the audit log group keeps its events. @default 365 */
  readonly logRetentionDays?: number;
  /** The CloudWatch agent's version, pinned. */
  readonly cloudWatchAgentVersion: string;
  /** Tag of the syslog audit device's entries (the vault-config stack's device, or the declared one). */
  readonly syslogTag: string;
  /** Facility of the declared syslog device (OpenBao). */
  readonly syslogFacility: string;
}

/**
 * A Vault (or OpenBao) cluster on EC2: Raft voters in an Auto Scaling group of on-demand instances
 * (spot only when asked), unsealed by KMS, behind an internal Network Load Balancer named in the
 * private zone.
 *
 * - **Unseal**: a multi-Region KMS key (rotation on, kept on destroy) with its replica in the
 *   disaster-recovery Region, or an existing key; the nodes reach it through the alias
 *   `alias/<name>-unseal` (the replica has the same), so the user data names no ARN. Its policy
 *   denies deletion, disabling and policy changes to all but the break-glass role, and a
 *   {@link KeyDestructionAlarm} reports those calls.
 * - **TLS secrets**: under a customer-managed key ({@link SecretsKey}) that the node role and the
 *   Terraform caller alone decrypt, each with a policy refusing `GetSecretValue` to anyone else.
 * - **Nodes**: Amazon Linux 2023 (or an image built from it) with IMDSv2 only (hop limit 1),
 *   encrypted gp3 volumes, detailed monitoring; cloud-init installs the verified package, fetches
 *   the TLS material from Secrets Manager and starts a hardened service (see node-boot.ts).
 * - **Role**: KMS DescribeKey/Encrypt/Decrypt on the seal key, `ec2:DescribeInstances` for Raft's
 *   auto-join, GetSecretValue on the three TLS secrets and Decrypt on their key through Secrets
 *   Manager, CompleteLifecycleAction on its own group, writing streams of the audit log group, SSM
 *   only when asked.
 * - **Audit**: the file device on its own encrypted volume (the audit key), the syslog device
 *   shipped by the CloudWatch agent to a KMS-encrypted log group ({@link VaultAuditLog}).
 * - **Network**: the API (8200) from the VPN, the VPC and the load balancer; the cluster port
 *   (8201) only between nodes; egress HTTPS to `httpsEgressCidrs` and 8200/8201 between nodes.
 * - **Health**: the load balancer counts a node healthy only when it is unsealed and active or a
 *   standby that reaches the active node ({@link HEALTH_CHECK_PATH}, matcher 200), and the group
 *   replaces nodes on that check. A launch lifecycle hook ({@link LAUNCH_HOOK_NAME}, default
 *   ABANDON) keeps a new node out of service until its boot script has seen it joined and unsealed.
 * - **Replacement**: the group names the launch template's `latest_version`, so every new version
 *   (a new certificate revision, package version, image) starts a rolling instance refresh: one
 *   node added, then one old node removed, a checkpoint after each so that autopilot removes the
 *   old voter before the next goes, rolled back automatically when it fails. The image is pinned.
 * - **Placement**: a spread placement group (each node on distinct hardware), over the subnets' zones.
 */
export class VaultCluster extends Construct {
  public readonly kmsKeyArn: string;
  /** The seal key's replica in the disaster-recovery Region; `undefined` without one. */
  public readonly replicaKeyArn?: string;
  /** `undefined` with an existing key. */
  public readonly sealKeyAlarm?: KeyDestructionAlarm;
  /** Encrypts the TLS secrets; only the nodes (and the Terraform caller, which reads the versions back) decrypt. */
  public readonly secretsKey: SecretsKey;
  public readonly loadBalancer: Lb;
  public readonly autoScalingGroup: AutoscalingGroup;
  public readonly role: IamRole;
  public readonly nodeSecurityGroup: SecurityGroup;
  public readonly auditLog: VaultAuditLog;

  constructor(scope: Construct, id: string, props: VaultClusterProps) {
    super(scope, id);
    const partition = props.partition ?? 'aws';
    const { engine, name } = props;
    const listenerPort = props.listenerPort ?? API_PORT;

    const vpcId = 'id' in props.vpc
      ? props.vpc.id
      : new DataAwsVpc(this, 'Vpc', { tags: { ...props.vpc.tags } }).id;
    const subnetIds = 'ids' in props.subnets
      ? [...props.subnets.ids]
      : new DataAwsSubnets(this, 'Subnets', {
        filter: [{ name: 'vpc-id', values: [vpcId] }],
        tags: { ...props.subnets.tags },
      }).ids;
    // The zones of the subnets, to refuse at plan time a cluster that one zone outage could stop.
    const subnetIterator = TerraformIterator.fromList(subnetIds);
    const subnetDetails = new DataAwsSubnet(this, 'SubnetZones', { forEach: subnetIterator, id: subnetIterator.value });
    const minZones = props.minAvailabilityZones ?? 1;

    // ---- Seal key
    this.role = new IamRole(this, 'NodeRole', {
      name: vaultNodeRoleName(name),
      description: `${engine.product} nodes of cluster ${name}: KMS seal, Raft auto-join, TLS secrets`,
      assumeRolePolicy: trustDocument([{ sid: 'Ec2', principal: { Service: 'ec2.amazonaws.com' }, actions: ['sts:AssumeRole'] }]),
      maxSessionDuration: 3600,
    });
    let kmsKeyId: string;
    if (props.existingKeyArn && (props.breakGlassRoleArn !== undefined || props.disasterRecovery !== undefined)) {
      throw new Error(`cluster ${name}: 'breakGlassRoleArn' and 'disasterRecovery' are for a seal key the construct creates; `
        + `an existing key ('existingKeyArn') keeps its own policy and replicas`);
    }
    if (props.existingKeyArn) {
      this.kmsKeyArn = props.existingKeyArn;
      kmsKeyId = props.existingKeyArn;
    } else {
      if (props.breakGlassRoleArn === undefined) {
        throw new Error(`cluster ${name}: 'breakGlassRoleArn' is required when the construct creates the seal key (no 'existingKeyArn')`);
      }
      const deletionWindowInDays = props.keyDeletionWindowDays ?? 30;
      const policy = sealKeyPolicy(partition, props.accountId, this.role.arn, props.breakGlassRoleArn);
      const key = new KmsKey(this, 'SealKey', {
        description: `${engine.product} auto-unseal of cluster ${name}`,
        keyUsage: 'ENCRYPT_DECRYPT',
        customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
        enableKeyRotation: true,
        deletionWindowInDays,
        // Multi-Region from the start: a single-Region key never becomes one, and a new key is a new seal.
        multiRegion: true,
        policy,
        // KMS refuses a policy that would not let the caller replace it again; this one, on purpose,
        // lets only the break-glass role do so (docs/operations.md, "Seal-key disaster recovery").
        bypassPolicyLockoutSafetyCheck: true,
        // Replacing the seal key leaves a Vault that never unseals again, and every snapshot unreadable.
        lifecycle: { preventDestroy: true },
      });
      // The user data names the alias, a literal: it is rendered at synth, before the key exists.
      kmsKeyId = `alias/${name}-unseal`;
      new KmsAlias(this, 'SealKeyAlias', { name: kmsKeyId, targetKeyId: key.keyId });
      this.kmsKeyArn = key.arn;
      const watched: Array<{ arn: string; region: string; provider?: TerraformProvider }> = [{ arn: key.arn, region: props.region }];
      if (props.disasterRecovery) {
        const replica = new KmsReplicaKey(this, 'SealKeyReplica', {
          provider: props.disasterRecovery.provider,
          primaryKeyArn: key.arn,
          description: `${engine.product} auto-unseal of cluster ${name}, replica for a restore in ${props.disasterRecovery.region}`,
          deletionWindowInDays,
          policy,
          bypassPolicyLockoutSafetyCheck: true,
          lifecycle: { preventDestroy: true },
        });
        new KmsAlias(this, 'SealKeyReplicaAlias', { provider: props.disasterRecovery.provider, name: kmsKeyId, targetKeyId: replica.keyId });
        this.replicaKeyArn = replica.arn;
        watched.push({ arn: replica.arn, region: props.disasterRecovery.region, provider: props.disasterRecovery.provider });
      }
      this.sealKeyAlarm = new KeyDestructionAlarm(this, 'SealKeyAlarm', {
        name, accountId: props.accountId, partition, region: props.region, keys: watched,
      });
    }

    // ---- TLS material: Secrets Manager, written with write-only arguments (never in the state).
    const tlsSecretNames: TlsSecretNames = {
      certificate: `gateway-pki/${name}/tls/certificate`,
      key: `gateway-pki/${name}/tls/key`,
      caChain: `gateway-pki/${name}/tls/ca-chain`,
    };
    const tlsFiles = { certificate: props.tls.certificateFile, key: props.tls.keyFile, caChain: props.tls.caChainFile };
    const configFiles = ConfigFiles.of(this, props.tls.files);
    // The provider reads each secret version back (GetSecretValue) on every refresh, write-only or
    // not: the principal that applies this stack must read and decrypt too, or no plan would run.
    const caller = new DataAwsCallerIdentity(this, 'Caller');
    const terraformPrincipal = new DataAwsIamSessionContext(this, 'CallerRole', { arn: caller.arn }).issuerArn;
    this.secretsKey = new SecretsKey(this, 'SecretsKey', {
      alias: `alias/${name}-secrets`,
      description: `${engine.product} cluster ${name}: encrypts the TLS secrets gateway-pki/${name}/tls/*`,
      accountId: props.accountId,
      partition,
      region: props.region,
      readers: [this.role.arn, terraformPrincipal],
    });
    const secretArns = (['certificate', 'key', 'caChain'] as const).map((part) => {
      const id = { certificate: 'TlsCertificate', key: 'TlsKey', caChain: 'TlsCaChain' }[part];
      const secret = new SecretsmanagerSecret(this, id, {
        name: tlsSecretNames[part],
        description: `${engine.product} cluster ${name}: ${{ certificate: 'server certificate', key: 'server private key', caChain: 'CA chain' }[part]}, `
          + 'from `npm run pki`',
        recoveryWindowInDays: 7,
        kmsKeyId: this.secretsKey.keyArn,
      });
      this.secretsKey.restrictReaders(`${id}Policy`, secret.arn);
      new SecretsmanagerSecretVersion(this, `${id}Value`, {
        secretId: secret.id,
        secretStringWo: configFiles.content(tlsFiles[part]),
        secretStringWoVersion: props.tls.revision,
      });
      return secret.arn;
    });

    // ---- Audit trail: the log group the nodes ship to, and the key of their audit volumes.
    const auditLog = new VaultAuditLog(this, 'AuditLog', {
      name,
      product: engine.product,
      accountId: props.accountId,
      region: props.region,
      partition,
      retentionDays: props.audit.logRetentionDays,
      keyDeletionWindowDays: props.keyDeletionWindowDays,
    });
    this.auditLog = auditLog;

    // ---- Node role permissions
    // The group's ARN holds a generated id; its name is ours. A literal ARN lets the policy exist before the group launches anything.
    const groupArn = `arn:${partition}:autoscaling:${props.region}:${props.accountId}:autoScalingGroup:*:autoScalingGroupName/${name}`;
    const statements: PolicyStatement[] = [
      { sid: 'AutoUnseal', actions: ['kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt'], resources: [this.kmsKeyArn] },
      // No resource type exists for DescribeInstances: Raft's auto-join lists instances by tag.
      { sid: 'RaftAutoJoin', actions: ['ec2:DescribeInstances'], resources: ['*'] },
      { sid: 'TlsMaterial', actions: ['secretsmanager:GetSecretValue'], resources: secretArns },
      {
        sid: 'TlsMaterialKey',
        actions: SECRETS_KEY_READ_ACTIONS,
        resources: [this.secretsKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': secretsManagerEndpoint(props.region, partition) } },
      },
      // The boot script lets its own node into service (or abandons it); no other group, no other action.
      { sid: 'LaunchHook', actions: ['autoscaling:CompleteLifecycleAction'], resources: [groupArn] },
      // Vault's AWS auth binds each login to a role's unique id, which it reads when the role is written.
      { sid: 'AwsAuthRoles', actions: ['iam:GetRole'], resources: [this.role.arn, ...(props.awsAuthRoleArns ?? [])] },
      auditLog.shippingStatement(),
    ];
    const nodePolicy = new IamRolePolicy(this, 'NodePolicy', { name: `${name}-node`, role: this.role.id, policy: policyDocument(statements) });
    if (props.ssm) {
      new IamRolePolicyAttachment(this, 'Ssm', {
        role: this.role.name,
        policyArn: `arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
      });
    }
    const profile = new IamInstanceProfile(this, 'NodeProfile', { name: `${name}-node`, role: this.role.name });

    // ---- Security groups: rules as their own resources, one per source, each described.
    const lbSecurityGroup = new SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      name: `${name}-lb`,
      description: `${engine.product} ${name}: load balancer`,
      vpcId,
      tags: { Name: `${name}-lb` },
    });
    this.nodeSecurityGroup = new SecurityGroup(this, 'NodeSecurityGroup', {
      name: `${name}-node`,
      description: `${engine.product} ${name}: nodes`,
      vpcId,
      tags: { Name: `${name}-node` },
    });
    const nodeSg = this.nodeSecurityGroup.id;
    const clients: Array<{ id: string; description: string; source: { cidrIpv4: string } | { referencedSecurityGroupId: string } }> = [
      { id: 'Vpc', description: 'the VPC (EKS clusters, load balancer health checks)', source: { cidrIpv4: props.vpcCidr } },
      ...(props.clientCidrs ?? []).map((cidr, index) => ({ id: `ClientCidr${index}`, description: `VPN ${cidr}`, source: { cidrIpv4: cidr } })),
      ...(props.clientSecurityGroupIds ?? []).map((sg, index) => ({
        id: `ClientSg${index}`, description: `VPN security group ${sg}`, source: { referencedSecurityGroupId: sg },
      })),
    ];
    for (const client of clients) {
      new VpcSecurityGroupIngressRule(this, `LbApiFrom${client.id}`, {
        securityGroupId: lbSecurityGroup.id, ipProtocol: 'tcp', fromPort: listenerPort, toPort: listenerPort,
        description: `API from ${client.description}`, ...client.source,
      });
      // The load balancer keeps the client's address, so the nodes see the clients themselves.
      new VpcSecurityGroupIngressRule(this, `NodeApiFrom${client.id}`, {
        securityGroupId: nodeSg, ipProtocol: 'tcp', fromPort: API_PORT, toPort: API_PORT,
        description: `API from ${client.description}`, ...client.source,
      });
    }
    new VpcSecurityGroupEgressRule(this, 'LbToNodes', {
      securityGroupId: lbSecurityGroup.id, ipProtocol: 'tcp', fromPort: API_PORT, toPort: API_PORT,
      referencedSecurityGroupId: nodeSg, description: 'API to the nodes, and health checks',
    });
    new VpcSecurityGroupIngressRule(this, 'NodeApiFromLb', {
      securityGroupId: nodeSg, ipProtocol: 'tcp', fromPort: API_PORT, toPort: API_PORT,
      referencedSecurityGroupId: lbSecurityGroup.id, description: 'API from the load balancer',
    });
    for (const [port, what] of [[API_PORT, 'API (Raft join, request forwarding)'], [CLUSTER_PORT, 'cluster port (Raft, forwarding)']] as const) {
      new VpcSecurityGroupIngressRule(this, `NodeFromNodes${port}`, {
        securityGroupId: nodeSg, ipProtocol: 'tcp', fromPort: port, toPort: port,
        referencedSecurityGroupId: nodeSg, description: `${what} from the other nodes`,
      });
      new VpcSecurityGroupEgressRule(this, `NodeToNodes${port}`, {
        securityGroupId: nodeSg, ipProtocol: 'tcp', fromPort: port, toPort: port,
        referencedSecurityGroupId: nodeSg, description: `${what} to the other nodes`,
      });
    }
    props.httpsEgressCidrs.forEach((cidr, index) => {
      new VpcSecurityGroupEgressRule(this, `NodeHttpsEgress${index}`, {
        securityGroupId: nodeSg, ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: cidr,
        description: 'HTTPS: KMS, Secrets Manager, EC2 APIs and the package download',
      });
    });

    // ---- Load balancer
    this.loadBalancer = new Lb(this, 'LoadBalancer', {
      name: `${name}-api`,
      internal: true,
      loadBalancerType: 'network',
      subnets: subnetIds,
      // Attached at creation: a network load balancer created without one can never get one.
      securityGroups: [lbSecurityGroup.id],
      enableCrossZoneLoadBalancing: true,
      enableDeletionProtection: true,
    });
    const targetGroup = new LbTargetGroup(this, 'TargetGroup', {
      name: `${name}-${API_PORT}`,
      port: API_PORT,
      protocol: 'TCP',
      targetType: 'instance',
      vpcId,
      preserveClientIp: 'true',
      deregistrationDelay: '30',
      connectionTermination: true,
      healthCheck: {
        enabled: true,
        protocol: 'HTTPS',
        port: 'traffic-port',
        path: props.bootstrap ? BOOTSTRAP_HEALTH_CHECK_PATH : HEALTH_CHECK_PATH,
        matcher: String(HEALTHY_STATUS_CODE),
        interval: 10,
        timeout: 5,
        healthyThreshold: 3,
        unhealthyThreshold: 3,
      },
    });
    new LbListener(this, 'Listener', {
      loadBalancerArn: this.loadBalancer.arn,
      port: listenerPort,
      protocol: 'TCP',
      defaultAction: [{ type: 'forward', targetGroupArn: targetGroup.arn }],
    });
    const zoneId = props.privateZone.hostedZoneID
      ?? new DataAwsRoute53Zone(this, 'PrivateZone', { name: props.privateZone.name, privateZone: true, vpcId }).zoneId;
    new Route53Record(this, 'ApiRecord', {
      zoneId,
      name: props.host,
      type: 'A',
      alias: { name: this.loadBalancer.dnsName, zoneId: this.loadBalancer.zoneId, evaluateTargetHealth: true },
    });

    // ---- Launch template
    // The image is pinned; the lookup by id only proves at plan time that it exists here and fits.
    const imageId = 'id' in props.ami
      ? props.ami.id
      : new DataAwsSsmParameter(this, 'AmiParameter', { name: props.ami.ssmParameter }).insecureValue;
    const ami = new DataAwsAmi(this, 'Ami', {
      filter: [{ name: 'image-id', values: [imageId] }],
      // A pinned image that its owner later deprecates must still be found, not fail the plan.
      includeDeprecated: true,
    });
    const tlsPaths = nodeTlsPaths(engine);
    const userData = renderCloudConfig({
      engine,
      version: props.version,
      download: engine.download(props.version, props.ami.architecture),
      packageSha256: props.packageSha256,
      region: props.region,
      serverConfig: renderServerConfig({
        engine,
        clusterName: name,
        apiAddress: props.apiAddress,
        tlsServerName: props.host,
        region: props.region,
        kmsKeyId,
        tls: tlsPaths,
        tlsMinVersion: props.tls.minVersion,
        autoJoin: props.voters > 1,
        declarativeAudit: props.declarativeAuditFile === undefined ? undefined : {
          file: props.declarativeAuditFile, syslogTag: props.audit.syslogTag, syslogFacility: props.audit.syslogFacility,
        },
      }),
      tlsSecrets: tlsSecretNames,
      tlsPaths,
      storage: props.storage,
      tlsServerName: props.host,
      tlsRevision: props.tls.revision,
      launchHook: { autoScalingGroupName: name, hookName: LAUNCH_HOOK_NAME },
      bootstrap: props.bootstrap ?? false,
      voterCheck: { awsAuthPath: VAULT_AWS_AUTH_PATH, role: VAULT_NODE_GATE_ROLE, serverId: props.host },
      audit: {
        syslogTag: props.audit.syslogTag,
        logGroupName: auditLog.logGroupName,
        agent: cloudWatchAgentDownload(props.audit.cloudWatchAgentVersion, props.ami.architecture),
      },
    });
    const gp3 = (size: number) => ({ volumeType: 'gp3', volumeSize: size, iops: 3000, throughput: 125, encrypted: 'true', deleteOnTermination: 'true' });
    const nodeTags = { Name: `${name}-node`, [engine.autoJoinTagKey]: name };
    const launchTemplate = new LaunchTemplate(this, 'LaunchTemplate', {
      name,
      description: `${engine.product} ${props.version} node of cluster ${name}`,
      updateDefaultVersion: true,
      imageId,
      iamInstanceProfile: { arn: profile.arn },
      vpcSecurityGroupIds: [nodeSg],
      ebsOptimized: 'true',
      monitoring: { enabled: true },
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpTokens: 'required',
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: 'enabled',
      },
      blockDeviceMappings: [
        { deviceName: '/dev/xvda', ebs: gp3(props.rootVolumeGiB ?? 20) },
        ...(props.storage === 'ebs' ? [{ deviceName: '/dev/sdf', ebs: gp3(props.dataVolumeGiB ?? 100) }] : []),
        // The audit log's own volume, under the audit key: a full audit disk stops neither Raft nor the syslog device.
        { deviceName: AUDIT_DEVICE, ebs: { ...gp3(props.audit.volumeGiB ?? 20), kmsKeyId: auditLog.keyArn } },
      ],
      // Gzipped (cloud-init recognises it): EC2 takes 16 KB of user data, and the boot script with the
      // audit shipping and the launch gate is past that in clear. Compressed by fflate, pinned in
      // package-lock.json, not node:zlib: Node bundles Chromium's zlib, whose output depends on the
      // Node version and on the CPU's instructions (its hashing), so another machine would write other
      // bytes, a new launch template version, and roll the cluster. No timestamp in the header.
      userData: Buffer.from(gzipSync(Buffer.from(userData, 'utf8'), { level: 9, mtime: 0 })).toString('base64'),
      tagSpecifications: [
        { resourceType: 'instance', tags: nodeTags },
        { resourceType: 'volume', tags: { Name: `${name}-node` } },
      ],
      lifecycle: {
        precondition: [
          {
            condition: `\${${ami.fqn}.architecture == "${props.ami.architecture}"}`,
            errorMessage: `The image of ${engine.product} cluster ${name} must be built for ${props.ami.architecture} (vaultCluster.ami.architecture).`,
          },
          {
            condition: `\${${ami.fqn}.root_device_type == "ebs" && ${ami.fqn}.virtualization_type == "hvm"}`,
            errorMessage: `The image of ${engine.product} cluster ${name} must be an EBS-backed HVM image.`,
          },
        ],
      },
    });
    const placementGroup = new PlacementGroup(this, 'PlacementGroup', {
      name: `${name}-nodes`,
      // Each node on its own rack: one hardware failure takes one voter. At most 7 nodes per zone, enough with a refresh's one extra.
      strategy: 'spread',
      spreadLevel: 'rack',
    });

    // ---- Auto Scaling group
    const size = INSTANCE_SIZES[props.size];
    const gracePeriod = props.healthCheckGracePeriod ?? 300;
    const onDemandBase = props.onDemandBase ?? props.voters;
    const spot = onDemandBase < props.voters;
    this.autoScalingGroup = new AutoscalingGroup(this, 'AutoScalingGroup', {
      name,
      minSize: props.voters,
      maxSize: props.voters,
      desiredCapacity: props.voters,
      vpcZoneIdentifier: subnetIds,
      placementGroup: placementGroup.id,
      targetGroupArns: [targetGroup.arn],
      // The target group's check means "unsealed and in the cluster": a node failing it is replaced.
      healthCheckType: 'ELB',
      healthCheckGracePeriod: gracePeriod,
      // Rebalancing replaces spot instances at risk; with every node on demand there are none.
      capacityRebalance: spot,
      // A new node waits in Pending:Wait until its boot script completes the hook, abandoned (terminated) otherwise.
      // Set at creation, so that the very first nodes go through it too.
      initialLifecycleHook: [{
        name: LAUNCH_HOOK_NAME,
        lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
        defaultResult: 'ABANDON',
        heartbeatTimeout: LAUNCH_HOOK_HEARTBEAT_SECONDS,
      }],
      mixedInstancesPolicy: {
        instancesDistribution: {
          onDemandAllocationStrategy: 'lowest-price',
          onDemandBaseCapacity: onDemandBase,
          // Without spot voters, the instance a refresh adds above the base is on demand too.
          onDemandPercentageAboveBaseCapacity: spot ? 0 : 100,
          spotAllocationStrategy: 'price-capacity-optimized',
        },
        launchTemplate: {
          // A version number, not $Latest: each new version changes the group, which starts the refresh.
          launchTemplateSpecification: { launchTemplateId: launchTemplate.id, version: Token.asString(launchTemplate.latestVersion) },
          override: [{
            instanceRequirements: {
              vcpuCount: { ...size.vcpu },
              memoryMib: { ...size.memoryMib },
              cpuManufacturers: CPU_MANUFACTURERS[props.ami.architecture],
              burstablePerformance: 'excluded',
              bareMetal: 'excluded',
              instanceGenerations: ['current'],
              localStorage: props.storage === 'instance-store' ? 'required' : 'excluded',
              ...(props.storage === 'instance-store' ? { localStorageTypes: ['ssd'] } : {}),
            },
          }],
        },
      },
      // One node more, then one less, and a pause after each: the configured voters stay up, and
      // autopilot removes the terminated voter before the next is terminated (else dead voters pile
      // up in the Raft configuration and the quorum grows past the living nodes).
      instanceRefresh: {
        strategy: 'Rolling',
        preferences: {
          minHealthyPercentage: 100,
          maxHealthyPercentage: 100 + Math.ceil(100 / props.voters),
          instanceWarmup: String(gracePeriod),
          skipMatching: true,
          autoRollback: true,
          ...(props.voters > 1 ? {
            checkpointPercentages: refreshCheckpoints(props.voters),
            checkpointDelay: String(props.checkpointDelaySeconds ?? DEFAULT_CHECKPOINT_DELAY_SECONDS),
          } : {}),
        },
      },
      // Nodes launched before the role may complete the hook would be abandoned.
      dependsOn: [nodePolicy],
      tag: Object.entries(nodeTags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      lifecycle: {
        precondition: [{
          condition: `\${length(distinct([for subnet in ${subnetDetails.fqn} : subnet.availability_zone])) >= ${minZones}}`,
          errorMessage: `The subnets of ${engine.product} cluster ${name} must span at least ${minZones} availability zones, `
            + 'so that one zone outage leaves a Raft quorum.',
        }],
      },
    });
  }
}

/**
 * The seal key's policy (the replica's too): the account administers the key through IAM (named
 * actions only, no `kms:*`), the node role may use it for the seal, and no one but the break-glass
 * role may schedule its deletion, disable it or replace this policy. Nothing else can encrypt or
 * decrypt with it.
 */
function sealKeyPolicy(partition: string, accountId: string, nodeRoleArn: string, breakGlassRoleArn: string): string {
  return resourcePolicyDocument([
    keyAdministration(partition, accountId, MULTI_REGION_ADMIN_ACTIONS),
    { sid: 'NodesUnseal', principal: { AWS: nodeRoleArn }, actions: ['kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt'], resources: ['*'] },
    denyKeyDestruction(breakGlassRoleArn),
  ]);
}
