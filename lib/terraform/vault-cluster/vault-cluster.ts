import { AutoscalingGroup } from '@cdktf/provider-aws/lib/autoscaling-group/index.js';
import { DataAwsAmi } from '@cdktf/provider-aws/lib/data-aws-ami/index.js';
import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone/index.js';
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
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record/index.js';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { TerraformIterator, type TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { ConfigFiles, type TerraformFiles } from '../files.js';
import { policyDocument, type PolicyStatement, resourcePolicyDocument, trustDocument } from '../iam.js';
import { denyKeyDestruction, keyAdministration, MULTI_REGION_ADMIN_ACTIONS } from '../kms.js';
import { SECRETS_KEY_READ_ACTIONS, SecretsKey, secretsManagerEndpoint } from '../secrets-key.js';
import { KeyDestructionAlarm } from './key-destruction-alarm.js';
import { type Architecture, type EngineProfile } from './engine.js';
import { nodeTlsPaths, renderCloudConfig, type TlsSecretNames } from './node-boot.js';
import { API_PORT, CLUSTER_PORT, renderServerConfig } from './server-config.js';

/** How the nodes are sized, after HashiCorp's Raft reference architecture (vCPU and memory ranges). */
export const INSTANCE_SIZES = {
  small: { vcpu: { min: 2, max: 4 }, memoryMib: { min: 8192, max: 16384 } },
  large: { vcpu: { min: 4, max: 8 }, memoryMib: { min: 32768, max: 65536 } },
} as const;

/**
 * Status codes of `/v1/sys/health` the load balancer counts as healthy: active (200), standby (429),
 * DR secondary (472), performance standby (473), not initialised (501), sealed (503). A node that
 * answers at all is kept: the Auto Scaling group replaces only nodes that do not answer, never a
 * standby, nor a sealed node that KMS will unseal, nor the nodes of a cluster not yet initialised.
 */
export const HEALTHY_STATUS_CODES = [200, 429, 472, 473, 501, 503] as const;

/** CPU makers matching each architecture, for attribute-based instance selection. */
const CPU_MANUFACTURERS: Record<Architecture, string[]> = { x86_64: ['intel', 'amd'], arm64: ['amazon-web-services'] };

/** Spot pools the Auto Scaling group spreads spot instances over (lowest price first). */
export const SPOT_INSTANCE_POOLS = 3;

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
    readonly minVersion: 'tls12' | 'tls13';
    readonly files: TerraformFiles;
  };
  readonly ami: { readonly owners: readonly string[]; readonly nameFilter: string; readonly architecture: Architecture };
  readonly size: keyof typeof INSTANCE_SIZES;
  /** On-demand instances; the rest are spot. */
  readonly onDemandBase: number;
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
}

/**
 * A Vault (or OpenBao) cluster on EC2: Raft voters in an Auto Scaling group of mixed spot and
 * on-demand instances, unsealed by KMS, behind an internal Network Load Balancer named in the
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
 *   Manager, SSM only when asked.
 * - **Network**: the API (8200) from the VPN, the VPC and the load balancer; the cluster port
 *   (8201) only between nodes; egress HTTPS to `httpsEgressCidrs` and 8200/8201 between nodes.
 * - **Replacement**: the load balancer health check accepts every state of a node that answers; an
 *   instance refresh launches one new node before terminating an old one, so voters never drop
 *   below the configured count.
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
      name: `${name}-node`,
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
        // lets only the break-glass role do so (README, "Seal-key disaster recovery").
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

    // ---- Node role permissions
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
    ];
    new IamRolePolicy(this, 'NodePolicy', { name: `${name}-node`, role: this.role.id, policy: policyDocument(statements) });
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
        path: '/v1/sys/health',
        matcher: HEALTHY_STATUS_CODES.join(','),
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
    const ami = new DataAwsAmi(this, 'Ami', {
      mostRecent: true,
      owners: [...props.ami.owners],
      filter: [
        { name: 'name', values: [props.ami.nameFilter] },
        { name: 'architecture', values: [props.ami.architecture] },
        { name: 'virtualization-type', values: ['hvm'] },
        { name: 'root-device-type', values: ['ebs'] },
      ],
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
        declarativeAuditFile: props.declarativeAuditFile,
      }),
      tlsSecrets: tlsSecretNames,
      tlsPaths,
      storage: props.storage,
      tlsServerName: props.host,
      tlsRevision: props.tls.revision,
    });
    const gp3 = (size: number) => ({ volumeType: 'gp3', volumeSize: size, iops: 3000, throughput: 125, encrypted: 'true', deleteOnTermination: 'true' });
    const nodeTags = { Name: `${name}-node`, [engine.autoJoinTagKey]: name };
    const launchTemplate = new LaunchTemplate(this, 'LaunchTemplate', {
      name,
      description: `${engine.product} ${props.version} node of cluster ${name}`,
      updateDefaultVersion: true,
      imageId: ami.id,
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
      ],
      userData: Buffer.from(userData, 'utf8').toString('base64'),
      tagSpecifications: [
        { resourceType: 'instance', tags: nodeTags },
        { resourceType: 'volume', tags: { Name: `${name}-node` } },
      ],
    });

    // ---- Auto Scaling group
    const size = INSTANCE_SIZES[props.size];
    const gracePeriod = props.healthCheckGracePeriod ?? 300;
    this.autoScalingGroup = new AutoscalingGroup(this, 'AutoScalingGroup', {
      name,
      minSize: props.voters,
      maxSize: props.voters,
      desiredCapacity: props.voters,
      vpcZoneIdentifier: subnetIds,
      targetGroupArns: [targetGroup.arn],
      healthCheckType: 'ELB',
      healthCheckGracePeriod: gracePeriod,
      capacityRebalance: true,
      mixedInstancesPolicy: {
        instancesDistribution: {
          onDemandAllocationStrategy: 'lowest-price',
          onDemandBaseCapacity: props.onDemandBase,
          onDemandPercentageAboveBaseCapacity: 0,
          spotAllocationStrategy: 'lowest-price',
          spotInstancePools: SPOT_INSTANCE_POOLS,
        },
        launchTemplate: {
          launchTemplateSpecification: { launchTemplateId: launchTemplate.id, version: '$Latest' },
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
      // One node more, then one less: the configured voters stay up during a refresh.
      instanceRefresh: {
        strategy: 'Rolling',
        preferences: {
          minHealthyPercentage: 100,
          maxHealthyPercentage: 100 + Math.ceil(100 / props.voters),
          instanceWarmup: String(gracePeriod),
          skipMatching: true,
        },
      },
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
