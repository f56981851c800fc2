import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../lib/config/load.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { synthesizeTerraform } from '../../lib/terraform/synth.js';
import type { Finding, ValidationInput } from '../../lib/validate/findings.js';
import {
  ACTIONS_WITHOUT_RESOURCE_TYPES,
  checkPolicies,
  POLICY_RULES,
  policyTable,
  type PolicySuppression,
  SUPPRESSION_FINDING_RULE,
} from '../../lib/validate/policies.js';
import { COMMITTED_DIST, EXAMPLE_CONFIG, PROJECT_ROOT } from '../support/cli.js';

// Fixtures are plain data: each case edits a deep clone freely, as a construct or a chart would.
type Editable = any;

const CRONJOB_FILE = 'dist/mycluster-0/backup/cronjob.backup.vault-snapshot.yaml';
const CRONJOB = 'CronJob backup/vault-snapshot';
const SCRIPT_FILE = 'dist/mycluster-0/backup/configmap.backup.vault-snapshot-script.yaml';
const SCRIPT = 'ConfigMap backup/vault-snapshot-script';
const STACK_FILE = 'cdktf.out/stacks/mycluster-0-aws/cdk.tf.json';
/** Where the CronJob's pod spec is. */
const POD = 'spec.jobTemplate.spec.template.spec';
const SNAPSHOT = `${POD}.initContainers[0]`;
const UPLOAD = `${POD}.containers[0]`;
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

function hardenedContainer(name: string, image: string, command: string[]): Editable {
  return {
    name,
    image,
    command,
    env: [
      { name: 'VAULT_ADDR', value: 'https://vault.priv.example.com:8200' },
      { name: 'VAULT_CACERT', value: '/etc/ssl/private-ca/ca.crt' },
    ],
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    },
    resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } },
    volumeMounts: [
      { name: 'work', mountPath: '/work' },
      { name: 'private-ca', mountPath: '/etc/ssl/private-ca', readOnly: true },
    ],
  };
}

/**
 * A hardened CronJob: an init container saves a Raft snapshot into an emptyDir, the container uploads
 * it; non-root, seccomp and run-as-user on the pod, the rest on each container.
 */
function hardenedCronJob(): Editable {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'vault-snapshot', namespace: 'backup' },
    spec: {
      schedule: '17 3 * * *',
      concurrencyPolicy: 'Forbid',
      jobTemplate: {
        spec: {
          backoffLimit: 2,
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              serviceAccountName: 'vault-snapshot',
              securityContext: { runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
              initContainers: [
                hardenedContainer('snapshot', 'hashicorp/vault:1.21.1', ['sh', '-c', 'vault operator raft snapshot save /work/raft.snap']),
              ],
              containers: [
                hardenedContainer('upload', `public.ecr.aws/aws-cli/aws-cli@${DIGEST}`, ['sh', '/scripts/upload.sh']),
              ],
              volumes: [
                { name: 'work', emptyDir: { sizeLimit: '1Gi' } },
                { name: 'private-ca', configMap: { name: 'private-ca' } },
                { name: 'scripts', configMap: { name: 'vault-snapshot-script' } },
              ],
            },
          },
        },
      },
    },
  };
}

function hardenedScript(): Editable {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'vault-snapshot-script', namespace: 'backup' },
    data: {
      'upload.sh': [
        '#!/bin/sh',
        'set -eu',
        'curl -fsS --cacert /etc/ssl/private-ca/ca.crt -H "X-Vault-Request: true" \\',
        '  https://vault.priv.example.com:8200/v1/sys/health',
        'aws s3 cp /work/raft.snap "s3://mycluster-0-vault-snapshots/$(date +%F).snap"',
        '',
      ].join('\n'),
    },
  };
}

const ROLE_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Unseal',
      Effect: 'Allow',
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'],
      Resource: ['${aws_kms_key.unseal.arn}'],
    },
    {
      Sid: 'Snapshots',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject'],
      Resource: '${aws_s3_bucket.snapshots.arn}/*',
    },
    {
      Sid: 'AutoJoin',
      Effect: 'Allow',
      Action: 'ec2:DescribeInstances',
      Resource: '*',
    },
  ],
};

const KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [{
    Sid: 'VaultUnseal',
    Effect: 'Allow',
    Principal: { AWS: '${aws_iam_role.vault.arn}' },
    Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'],
    // In a key policy, "*" is the key itself.
    Resource: '*',
  }],
};

/** The deny a seal key's policy carries (TF-016): destruction by the break-glass role only. */
const BREAK_GLASS_DENY = {
  Sid: 'OnlyBreakGlassDestroysTheKey',
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: ['kms:DisableKey', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'],
  Resource: '*',
  Condition: { ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/break-glass' } },
};

/** Makes the fixture's key the seal key: the user data's awskms seal names its alias. */
const makeSealKey = (f: Fixtures): void => {
  lt(f).user_data = base64(`${USER_DATA}cat > /etc/vault.d/vault.hcl <<EOF\nseal "awskms" {\n  region     = "eu-west-3"\n  kms_key_id = "alias/vault-unseal"\n}\nEOF\n`);
  f.stack.resource.aws_kms_alias = { unseal: { name: 'alias/vault-unseal', target_key_id: '${aws_kms_key.unseal.key_id}' } };
};

const TLS_ONLY_STATEMENT = {
  Sid: 'DenyInsecureTransport',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: ['${aws_s3_bucket.snapshots.arn}', '${aws_s3_bucket.snapshots.arn}/*'],
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
};

const USER_DATA = [
  '#!/bin/bash',
  'set -euo pipefail',
  'cat > /etc/vault.d/ca.pem <<EOF',
  '-----BEGIN CERTIFICATE-----',
  'MIIBfake',
  '-----END CERTIFICATE-----',
  'EOF',
  'systemctl enable --now vault',
  '',
].join('\n');

const base64 = (text: string): string => Buffer.from(text).toString('base64');

/** A compliant stack: a hardened launch template, an encrypted bucket and its companions, a rotated key, scoped IAM. */
function hardenedStack(): Editable {
  return {
    '//': { metadata: { backend: 'local', stackName: 'mycluster-0-aws', version: '0.21.0' } },
    terraform: { backend: { local: { path: '../../../terraform-state/mycluster-0-aws.tfstate' } } },
    data: {
      aws_iam_policy_document: {
        snapshots_tls: {
          statement: [{
            sid: 'DenyInsecureTransport',
            effect: 'Deny',
            actions: ['s3:*'],
            resources: ['${aws_s3_bucket.snapshots.arn}', '${aws_s3_bucket.snapshots.arn}/*'],
            principals: [{ type: '*', identifiers: ['*'] }],
            condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
          }],
        },
        vault_trust: {
          statement: [{
            effect: 'Allow',
            actions: ['sts:AssumeRole'],
            principals: [{ type: 'Service', identifiers: ['ec2.amazonaws.com'] }],
          }],
        },
      },
    },
    resource: {
      aws_kms_key: {
        unseal: {
          '//': { metadata: { path: 'mycluster-0-aws/UnsealKey/Resource', uniqueId: 'unseal' } },
          description: 'Vault auto-unseal',
          enable_key_rotation: true,
          deletion_window_in_days: 30,
          policy: JSON.stringify(KEY_POLICY),
        },
      },
      aws_launch_template: {
        vault: {
          name_prefix: 'vault-',
          image_id: 'ami-0123456789abcdef0',
          instance_type: 't4g.medium',
          metadata_options: { http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1 },
          block_device_mappings: [{
            device_name: '/dev/xvda',
            ebs: { encrypted: 'true', volume_size: 50, volume_type: 'gp3', kms_key_id: '${aws_kms_key.unseal.arn}' },
          }],
          iam_instance_profile: { name: '${aws_iam_instance_profile.vault.name}' },
          user_data: base64(USER_DATA),
        },
      },
      aws_ebs_volume: {
        raft: { availability_zone: 'eu-west-3a', size: 20, encrypted: true, kms_key_id: '${aws_kms_key.unseal.arn}' },
      },
      aws_s3_bucket: {
        snapshots: { bucket: 'mycluster-0-vault-snapshots' },
      },
      aws_s3_bucket_server_side_encryption_configuration: {
        snapshots: {
          bucket: '${aws_s3_bucket.snapshots.id}',
          rule: [{
            apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: '${aws_kms_key.unseal.arn}' },
            bucket_key_enabled: true,
          }],
        },
      },
      aws_s3_bucket_public_access_block: {
        snapshots: {
          bucket: '${aws_s3_bucket.snapshots.id}',
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        },
      },
      aws_s3_bucket_policy: {
        snapshots: { bucket: '${aws_s3_bucket.snapshots.bucket}', policy: '${data.aws_iam_policy_document.snapshots_tls.json}' },
      },
      aws_s3_bucket_versioning: {
        // The literal name works as well as a reference.
        snapshots: { bucket: 'mycluster-0-vault-snapshots', versioning_configuration: { status: 'Enabled' } },
      },
      aws_iam_role: {
        vault: { name: 'mycluster-0-vault', assume_role_policy: '${data.aws_iam_policy_document.vault_trust.json}' },
      },
      aws_iam_role_policy: {
        vault: { name: 'vault', role: '${aws_iam_role.vault.name}', policy: JSON.stringify(ROLE_POLICY) },
      },
      aws_security_group: {
        vault: {
          name: 'vault',
          vpc_id: 'vpc-0123456789abcdef0',
          ingress: [{
            description: 'Vault API and cluster', from_port: 8200, to_port: 8201, protocol: 'tcp',
            cidr_blocks: ['10.0.0.0/16'], ipv6_cidr_blocks: [], prefix_list_ids: [], security_groups: [], self: false,
          }],
          egress: [{ from_port: 0, to_port: 0, protocol: '-1', cidr_blocks: ['0.0.0.0/0'], ipv6_cidr_blocks: ['::/0'] }],
        },
      },
      aws_vpc_security_group_ingress_rule: {
        nlb: { security_group_id: '${aws_security_group.vault.id}', cidr_ipv4: '10.0.0.0/16', from_port: 8200, to_port: 8200, ip_protocol: 'tcp' },
      },
      aws_autoscaling_group: {
        vault: {
          name: 'vault', min_size: 3, max_size: 3, vpc_zone_identifier: ['subnet-0123456789abcdef0'],
          target_group_arns: ['${aws_lb_target_group.vault.arn}'], health_check_type: 'ELB',
          mixed_instances_policy: {
            launch_template: {
              launch_template_specification: { launch_template_id: '${aws_launch_template.vault.id}', version: '${aws_launch_template.vault.latest_version}' },
              override: [{ instance_type: 't4g.large' }],
            },
          },
        },
      },
      aws_lb_target_group: {
        vault: {
          name: 'vault-8200', port: 8200, protocol: 'TCP', vpc_id: 'vpc-0123456789abcdef0',
          health_check: { protocol: 'HTTPS', path: '/v1/sys/health?standbyok=true&perfstandbyok=true', matcher: '200' },
        },
      },
      ...hardenedVaultConfiguration(),
    },
    provider: { vault: [{ address: 'https://vault.priv.example.com:8200', ca_cert_file: '${path.module}/ca-chain.pem' }] },
  };
}

/** Vault provider resources as the vault-config stack writes them: a closed PKI role, a refusing issuer, two audit devices, a bound AppRole. */
function hardenedVaultConfiguration(): Editable {
  return {
    vault_pki_secret_backend_role: {
      Pki_Role: {
        backend: 'pki_private_issuer', name: 'cert-manager', allowed_domains: ['priv.example.com'], allow_subdomains: true,
        allow_any_name: false, allow_ip_sans: false, allow_localhost: false, allow_wildcard_certificates: false,
        ttl: '720h', max_ttl: '2160h',
      },
    },
    vault_pki_secret_backend_issuer: {
      Pki_Issuer: { backend: 'pki_private_issuer', issuer_ref: 'x', issuer_name: 'issuing-ca', leaf_not_after_behavior: 'err' },
    },
    vault_audit: {
      File: { type: 'file', path: 'file', options: { file_path: '/var/log/vault/audit.log' } },
      Syslog: { type: 'syslog', path: 'syslog', options: { facility: 'LOCAL7', tag: 'vault-audit' } },
    },
    vault_approle_auth_backend_role: {
      CertManagerAppRole: {
        backend: 'approle', role_name: 'cert-manager', bind_secret_id: true, secret_id_ttl: 7776000,
        secret_id_bound_cidrs: ['10.0.0.0/16'], token_bound_cidrs: ['10.0.0.0/16'],
      },
    },
    vault_aws_auth_backend_client: {
      AwsAuth_Client: { backend: 'aws', sts_endpoint: 'https://sts.eu-west-3.amazonaws.com', sts_region: 'eu-west-3', iam_server_id_header_value: 'vault.priv.example.com' },
    },
    vault_aws_auth_backend_role: {
      AwsAuth_Gate: {
        backend: 'aws', role: 'vault-node-gate', auth_type: 'iam', bound_iam_principal_arns: ['arn:aws:iam::123456789012:role/vault-node'],
        resolve_aws_unique_ids: true, token_ttl: 120, token_max_ttl: 120,
      },
    },
  };
}

interface Fixtures {
  readonly cronJob: Editable;
  readonly script: Editable;
  readonly stack: Editable;
  /** More manifests, each with its file. */
  readonly extra: Array<{ file: string; object: Editable }>;
  /** Raw files read beside the manifests and stacks, by path. */
  readonly files: Map<string, string>;
}

function fixtures(): Fixtures {
  return { cronJob: hardenedCronJob(), script: hardenedScript(), stack: hardenedStack(), extra: [], files: new Map() };
}

function inputOf(f: Fixtures): ValidationInput {
  return {
    manifests: [{ file: CRONJOB_FILE, object: f.cronJob }, { file: SCRIPT_FILE, object: f.script }, ...f.extra],
    files: f.files,
    terraform: [{ file: STACK_FILE, stack: f.stack }],
  };
}

/** The compliant fixtures with one edit applied. */
function inputWith(edit: (f: Fixtures) => void): ValidationInput {
  const f = fixtures();
  edit(f);
  return inputOf(f);
}

const where = (findings: readonly Finding[]): string[][] =>
  findings.map((f) => [f.rule, f.severity, f.file, f.object ?? '', f.path ?? '']);

/** The launch template, the bucket and other resources of the stack fixture, for edits. */
const lt = (f: Fixtures): Editable => f.stack.resource.aws_launch_template.vault;
const asg = (f: Fixtures): Editable => f.stack.resource.aws_autoscaling_group.vault;
const healthCheck = (f: Fixtures): Editable => f.stack.resource.aws_lb_target_group.vault.health_check;
const rolePolicy = (f: Fixtures): Editable => f.stack.resource.aws_iam_role_policy.vault;
const setRolePolicy = (f: Fixtures, statements: unknown[]): void => {
  rolePolicy(f).policy = JSON.stringify({ Version: '2012-10-17', Statement: statements });
};
const snapshot = (f: Fixtures): Editable => f.cronJob.spec.jobTemplate.spec.template.spec.initContainers[0];
const upload = (f: Fixtures): Editable => f.cronJob.spec.jobTemplate.spec.template.spec.containers[0];
const pod = (f: Fixtures): Editable => f.cronJob.spec.jobTemplate.spec.template.spec;
const pkiRole = (f: Fixtures): Editable => f.stack.resource.vault_pki_secret_backend_role.Pki_Role;
const appRole = (f: Fixtures): Editable => f.stack.resource.vault_approle_auth_backend_role.CertManagerAppRole;
const awsRole = (f: Fixtures): Editable => f.stack.resource.vault_aws_auth_backend_role.AwsAuth_Gate;
const awsClient = (f: Fixtures): Editable => f.stack.resource.vault_aws_auth_backend_client.AwsAuth_Client;

interface Case {
  readonly name: string;
  readonly edit: (f: Fixtures) => void;
  /** `[file, object, path]` of each finding expected, in order; all of the case's rule. */
  readonly at: ReadonlyArray<readonly [string, string, string | undefined]>;
  /** Text the first finding's message contains. */
  readonly message: string;
}

const inCronJob = (...paths: string[]): Array<readonly [string, string, string]> => paths.map((p) => [CRONJOB_FILE, CRONJOB, p] as const);
const inStack = (object: string, ...paths: Array<string | undefined>): Array<readonly [string, string, string | undefined]> =>
  (paths.length === 0 ? [undefined] : paths).map((p) => [STACK_FILE, object, p] as const);

// Each case breaks one rule of the compliant fixtures and expects exactly that rule's findings.
const CASES: Readonly<Record<string, readonly Case[]>> = {
  'K8S-001': [
    {
      name: 'a container overrides runAsNonRoot to false',
      edit: (f) => { upload(f).securityContext.runAsNonRoot = false; },
      at: inCronJob(`${UPLOAD}.securityContext.runAsNonRoot`),
      message: 'container "upload" may run as root: its securityContext.runAsNonRoot is false; expected true',
    },
    {
      name: 'runAsNonRoot is set nowhere',
      edit: (f) => {
        delete pod(f).securityContext.runAsNonRoot;
        delete snapshot(f).securityContext.runAsNonRoot;
        delete upload(f).securityContext.runAsNonRoot;
      },
      at: inCronJob(`${UPLOAD}.securityContext.runAsNonRoot`, `${SNAPSHOT}.securityContext.runAsNonRoot`),
      message: 'runAsNonRoot is set neither on the container nor on the pod',
    },
    {
      name: 'the pod runs as user 0',
      edit: (f) => { pod(f).securityContext.runAsUser = 0; },
      at: inCronJob(`${POD}.securityContext.runAsUser`, `${POD}.securityContext.runAsUser`),
      message: 'container "upload" runs as root: the pod\'s securityContext.runAsUser is 0; expected a non-zero user id',
    },
  ],
  'K8S-002': [
    {
      name: 'the root filesystem is writable',
      edit: (f) => { snapshot(f).securityContext.readOnlyRootFilesystem = false; },
      at: inCronJob(`${SNAPSHOT}.securityContext.readOnlyRootFilesystem`),
      message: 'init container "snapshot" has a writable root filesystem: readOnlyRootFilesystem is false; expected true',
    },
  ],
  'K8S-003': [
    {
      name: 'capabilities are not dropped',
      edit: (f) => { delete upload(f).securityContext.capabilities; },
      at: inCronJob(`${UPLOAD}.securityContext.capabilities.drop`),
      message: 'capabilities.drop is not set; expected ["ALL"]',
    },
    {
      name: 'ALL is written in lowercase',
      edit: (f) => { upload(f).securityContext.capabilities.drop = ['all']; },
      at: inCronJob(`${UPLOAD}.securityContext.capabilities.drop`),
      message: 'write "ALL" in uppercase',
    },
    {
      name: 'NET_BIND_SERVICE is added',
      edit: (f) => { upload(f).securityContext.capabilities.add = ['NET_BIND_SERVICE']; },
      at: inCronJob(`${UPLOAD}.securityContext.capabilities.add[0]`),
      message: 'container "upload" adds the capability "NET_BIND_SERVICE"; expected none added',
    },
  ],
  'K8S-004': [
    {
      name: 'allowPrivilegeEscalation is not set',
      edit: (f) => { delete snapshot(f).securityContext.allowPrivilegeEscalation; },
      at: inCronJob(`${SNAPSHOT}.securityContext.allowPrivilegeEscalation`),
      message: 'allowPrivilegeEscalation is not set (the default is true); expected false',
    },
    {
      name: 'the container is privileged',
      edit: (f) => { upload(f).securityContext.privileged = true; },
      at: inCronJob(`${UPLOAD}.securityContext.privileged`),
      message: 'container "upload" is privileged, root on the node: privileged is true; expected false or unset',
    },
  ],
  'K8S-005': [
    {
      name: 'the cpu limit is missing',
      edit: (f) => { delete upload(f).resources.limits.cpu; },
      at: inCronJob(`${UPLOAD}.resources`),
      message: 'container "upload" sets no limits.cpu; expected cpu and memory requests and limits',
    },
    {
      name: 'resources are missing',
      edit: (f) => { delete snapshot(f).resources; },
      at: inCronJob(`${SNAPSHOT}.resources`),
      message: 'sets no requests.cpu, requests.memory, limits.cpu, limits.memory',
    },
  ],
  'K8S-006': [
    {
      name: 'the pod uses the host network',
      edit: (f) => { pod(f).hostNetwork = true; },
      at: inCronJob(`${POD}.hostNetwork`),
      message: 'the pod shares the node\'s network namespace: hostNetwork is true; expected false or unset',
    },
    {
      name: 'the pod shares the host PID and IPC namespaces',
      edit: (f) => { pod(f).hostPID = true; pod(f).hostIPC = true; },
      at: inCronJob(`${POD}.hostPID`, `${POD}.hostIPC`),
      message: 'process namespace',
    },
    {
      name: 'a volume is a hostPath',
      edit: (f) => { pod(f).volumes[0] = { name: 'work', hostPath: { path: '/var/lib/vault' } }; },
      at: inCronJob(`${POD}.volumes[0].hostPath`),
      message: 'volume "work" mounts the node\'s path "/var/lib/vault"; expected no hostPath volume',
    },
    {
      name: 'a container binds a host port',
      edit: (f) => { upload(f).ports = [{ containerPort: 8080, hostPort: 8080 }]; },
      at: inCronJob(`${UPLOAD}.ports[0].hostPort`),
      message: 'container "upload" binds the node\'s port 8080',
    },
  ],
  'K8S-007': [
    {
      name: 'an image has no tag',
      edit: (f) => { snapshot(f).image = 'hashicorp/vault'; },
      at: inCronJob(`${SNAPSHOT}.image`),
      message: 'init container "snapshot" uses the image "hashicorp/vault", which has no tag and so floats with "latest"; '
        + 'expected a tag other than "latest", or a digest "@sha256:…"',
    },
    {
      name: 'an image is latest',
      edit: (f) => { snapshot(f).image = 'hashicorp/vault:latest'; },
      at: inCronJob(`${SNAPSHOT}.image`),
      message: 'which floats with each push',
    },
    {
      name: 'an image on a registry with a port has no tag',
      edit: (f) => { snapshot(f).image = 'registry.example.com:5000/vault'; },
      at: inCronJob(`${SNAPSHOT}.image`),
      message: 'which has no tag',
    },
    {
      name: 'a digest is truncated',
      edit: (f) => { upload(f).image = 'public.ecr.aws/aws-cli/aws-cli@sha256:0123'; },
      at: inCronJob(`${UPLOAD}.image`),
      message: 'whose digest is not "sha256:" and 64 lowercase hex digits',
    },
    {
      name: 'an image is empty',
      edit: (f) => { upload(f).image = ''; },
      at: inCronJob(`${UPLOAD}.image`),
      message: 'container "upload" has no image ("")',
    },
  ],
  'K8S-008': [
    {
      name: 'a container is Unconfined',
      edit: (f) => { upload(f).securityContext.seccompProfile = { type: 'Unconfined' }; },
      at: inCronJob(`${UPLOAD}.securityContext.seccompProfile.type`),
      message: 'container "upload" may make any system call: its seccompProfile.type is "Unconfined"; expected "RuntimeDefault" or "Localhost"',
    },
    {
      name: 'no seccomp profile is set',
      edit: (f) => { delete pod(f).securityContext.seccompProfile; },
      at: inCronJob(`${UPLOAD}.securityContext.seccompProfile.type`, `${SNAPSHOT}.securityContext.seccompProfile.type`),
      message: 'it has no seccomp profile, set neither on the container nor on the pod',
    },
  ],
  'K8S-009': [
    {
      name: 'VAULT_SKIP_VERIFY is set, even to false',
      edit: (f) => { snapshot(f).env.push({ name: 'VAULT_SKIP_VERIFY', value: 'false' }); },
      at: inCronJob(`${SNAPSHOT}.env[2]`),
      message: 'VAULT_SKIP_VERIFY is set (to "false"), which turns off verification of Vault\'s certificate whatever its value',
    },
    {
      name: 'BAO_SKIP_VERIFY comes from a reference',
      edit: (f) => { upload(f).env.push({ name: 'BAO_SKIP_VERIFY', valueFrom: { configMapKeyRef: { name: 'x', key: 'y' } } }); },
      at: inCronJob(`${UPLOAD}.env[2]`),
      message: 'BAO_SKIP_VERIFY is set',
    },
    {
      name: 'the Vault CLI is given -tls-skip-verify',
      edit: (f) => { snapshot(f).args = ['-tls-skip-verify']; snapshot(f).command = ['vault', 'status']; },
      at: inCronJob(`${SNAPSHOT}.args[0]`),
      message: '"-tls-skip-verify" turns off TLS certificate verification; expected the server verified against its CA',
    },
    {
      name: 'curl is the command and -k an argument',
      edit: (f) => { upload(f).command = ['curl']; upload(f).args = ['-k', 'https://vault.priv.example.com:8200/v1/sys/health']; },
      at: inCronJob(`${UPLOAD}.args[0]`),
      message: 'curl "-k" turns off TLS certificate verification (-k is --insecure)',
    },
    {
      name: 'a shell command runs curl --insecure',
      edit: (f) => { upload(f).command = ['sh', '-c', 'set -e; curl --insecure https://vault:8200 && echo ok']; },
      at: inCronJob(`${UPLOAD}.command[2]`),
      message: '"--insecure" turns off TLS certificate verification',
    },
    {
      name: 'the AWS CLI is given --no-verify-ssl',
      edit: (f) => { upload(f).command = ['aws', 's3', 'cp', '--no-verify-ssl', '/work/raft.snap', 's3://b/']; },
      at: inCronJob(`${UPLOAD}.command[3]`),
      message: '"--no-verify-ssl"',
    },
    {
      name: 'a ConfigMap script runs curl with -k among short options',
      edit: (f) => { f.script.data['upload.sh'] = f.script.data['upload.sh'].replace('curl -fsS', 'curl -fsSk'); },
      at: [[SCRIPT_FILE, SCRIPT, 'data["upload.sh"]']],
      message: 'curl "-fsSk" turns off TLS certificate verification (-k is --insecure) (line 3)',
    },
    {
      name: 'a ConfigMap holds a Vault agent configuration with tls_skip_verify',
      edit: (f) => { f.script.data['agent.hcl'] = 'vault {\n  address = "https://vault:8200"\n  tls_skip_verify = true\n}\n'; },
      at: [[SCRIPT_FILE, SCRIPT, 'data["agent.hcl"]']],
      message: 'tls_skip_verify set to true turns off TLS certificate verification (line 3)',
    },
    {
      name: 'a ConfigMap exports VAULT_SKIP_VERIFY as a key',
      edit: (f) => { f.script.data.VAULT_SKIP_VERIFY = 'true'; },
      at: [[SCRIPT_FILE, SCRIPT, 'data.VAULT_SKIP_VERIFY']],
      message: 'VAULT_SKIP_VERIFY is set (to "true")',
    },
    {
      name: 'a script exports VAULT_SKIP_VERIFY',
      edit: (f) => { f.script.data['upload.sh'] += 'export VAULT_SKIP_VERIFY=1\n'; },
      at: [[SCRIPT_FILE, SCRIPT, 'data["upload.sh"]']],
      message: 'VAULT_SKIP_VERIFY is set (line 6)',
    },
    {
      name: 'an ACME issuer skips TLS verification',
      edit: (f) => {
        f.extra.push({
          file: 'dist/mycluster-0/issuers/clusterissuer.letsencrypt-prod.yaml',
          object: {
            apiVersion: 'cert-manager.io/v1',
            kind: 'ClusterIssuer',
            metadata: { name: 'letsencrypt-prod' },
            spec: { acme: { server: 'https://acme-v02.api.letsencrypt.org/directory', skipTLSVerify: true, privateKeySecretRef: { name: 'k' } } },
          },
        });
      },
      at: [['dist/mycluster-0/issuers/clusterissuer.letsencrypt-prod.yaml', 'ClusterIssuer letsencrypt-prod', 'spec.acme.skipTLSVerify']],
      message: 'skipTLSVerify is true, which accepts any certificate the server presents; expected false or unset',
    },
    {
      name: 'Helm values pass --insecure-skip-tls-verify and an env var',
      edit: (f) => {
        f.extra.push({
          file: 'dist/mycluster-0/controllers/helmrelease.cert-manager.cert-manager.yaml',
          object: {
            apiVersion: 'helm.toolkit.fluxcd.io/v2',
            kind: 'HelmRelease',
            metadata: { name: 'cert-manager', namespace: 'cert-manager' },
            spec: { values: { extraArgs: ['--v=2', '--insecure-skip-tls-verify'], extraEnv: [{ name: 'VAULT_SKIP_VERIFY', value: 'true' }] } },
          },
        });
      },
      at: [
        ['dist/mycluster-0/controllers/helmrelease.cert-manager.cert-manager.yaml', 'HelmRelease cert-manager/cert-manager', 'spec.values.extraArgs[1]'],
        ['dist/mycluster-0/controllers/helmrelease.cert-manager.cert-manager.yaml', 'HelmRelease cert-manager/cert-manager', 'spec.values.extraEnv[0]'],
      ],
      message: '"--insecure-skip-tls-verify" turns off TLS certificate verification',
    },
  ],
  'TF-001': [
    {
      name: 'the launch template allows IMDSv1',
      edit: (f) => { lt(f).metadata_options.http_tokens = 'optional'; },
      at: inStack('aws_launch_template.vault', 'metadata_options.http_tokens'),
      message: 'IMDSv1 stays on: http_tokens is "optional"; expected "required"',
    },
    {
      name: 'the hop limit is 2',
      edit: (f) => { lt(f).metadata_options.http_put_response_hop_limit = 2; },
      at: inStack('aws_launch_template.vault', 'metadata_options.http_put_response_hop_limit'),
      message: 'containers on the instance can reach its credentials: http_put_response_hop_limit is 2; expected 1',
    },
    {
      name: 'the launch template has no metadata options',
      edit: (f) => { delete lt(f).metadata_options; },
      at: inStack('aws_launch_template.vault', 'metadata_options.http_tokens'),
      message: 'IMDSv1 may stay on: metadata_options is not set',
    },
    {
      name: 'an instance has metadata options as a list, with IMDSv1',
      edit: (f) => {
        f.stack.resource.aws_instance = {
          bastion: {
            ami: 'ami-0123456789abcdef0', instance_type: 't4g.nano',
            root_block_device: { encrypted: true }, metadata_options: [{ http_tokens: 'optional' }],
          },
        };
      },
      at: inStack('aws_instance.bastion', 'metadata_options[0].http_tokens'),
      message: 'http_tokens is "optional"',
    },
  ],
  'TF-002': [
    {
      name: 'a launch template volume is not encrypted',
      edit: (f) => { lt(f).block_device_mappings[0].ebs.encrypted = 'false'; },
      at: inStack('aws_launch_template.vault', 'block_device_mappings[0].ebs.encrypted'),
      message: 'the volume "/dev/xvda" is not encrypted: encrypted is "false"; expected true',
    },
    {
      name: 'a launch template has no block device mappings',
      edit: (f) => { delete lt(f).block_device_mappings; },
      at: inStack('aws_launch_template.vault', 'block_device_mappings'),
      message: 'the root volume\'s encryption is left to the AMI\'s snapshot',
    },
    {
      name: 'an instance has no root block device',
      edit: (f) => {
        f.stack.resource.aws_instance = { bastion: { ami: 'ami-0123456789abcdef0', metadata_options: { http_tokens: 'required' } } };
      },
      at: inStack('aws_instance.bastion', 'root_block_device'),
      message: 'root_block_device is not set',
    },
    {
      name: 'an EBS volume is not encrypted',
      edit: (f) => { delete f.stack.resource.aws_ebs_volume.raft.encrypted; },
      at: inStack('aws_ebs_volume.raft', 'encrypted'),
      message: 'the volume is not encrypted: encrypted is not set; expected true',
    },
  ],
  'TF-003': [
    {
      name: 'a key does not rotate',
      edit: (f) => { delete f.stack.resource.aws_kms_key.unseal.enable_key_rotation; },
      at: inStack('aws_kms_key.unseal', 'enable_key_rotation'),
      message: 'the key material never rotates: enable_key_rotation is not set; expected true',
    },
    {
      name: 'rotation is off',
      edit: (f) => { f.stack.resource.aws_kms_key.unseal.enable_key_rotation = false; },
      at: inStack('aws_kms_key.unseal', 'enable_key_rotation'),
      message: 'enable_key_rotation is false',
    },
  ],
  'TF-004': [
    {
      name: 'the bucket is encrypted with S3-managed keys',
      edit: (f) => {
        f.stack.resource.aws_s3_bucket_server_side_encryption_configuration.snapshots.rule[0].apply_server_side_encryption_by_default = { sse_algorithm: 'AES256' };
      },
      at: inStack('aws_s3_bucket_server_side_encryption_configuration.snapshots', 'rule[0].apply_server_side_encryption_by_default.sse_algorithm'),
      message: 'objects are not encrypted with a KMS key: sse_algorithm is "AES256"; expected "aws:kms"',
    },
    {
      name: 'the bucket has no encryption configuration',
      edit: (f) => { delete f.stack.resource.aws_s3_bucket_server_side_encryption_configuration; },
      at: inStack('aws_s3_bucket.snapshots'),
      message: 'no aws_s3_bucket_server_side_encryption_configuration names this bucket; expected one with sse_algorithm "aws:kms"',
    },
    {
      name: 'the encryption configuration names another bucket',
      edit: (f) => { f.stack.resource.aws_s3_bucket_server_side_encryption_configuration.snapshots.bucket = '${aws_s3_bucket.other.id}'; },
      at: inStack('aws_s3_bucket.snapshots'),
      message: 'names this bucket',
    },
  ],
  'TF-005': [
    {
      name: 'a public access flag is false',
      edit: (f) => { f.stack.resource.aws_s3_bucket_public_access_block.snapshots.restrict_public_buckets = false; },
      at: inStack('aws_s3_bucket_public_access_block.snapshots', 'restrict_public_buckets'),
      message: 'an ACL or a policy could make the bucket public: restrict_public_buckets is false; expected true',
    },
    {
      name: 'the bucket has no public access block',
      edit: (f) => { delete f.stack.resource.aws_s3_bucket_public_access_block; },
      at: inStack('aws_s3_bucket.snapshots'),
      message: 'no aws_s3_bucket_public_access_block names this bucket; expected one with block_public_acls, block_public_policy, '
        + 'ignore_public_acls, restrict_public_buckets all true',
    },
  ],
  'TF-006': [
    {
      name: 'the bucket has no policy',
      edit: (f) => { delete f.stack.resource.aws_s3_bucket_policy; },
      at: inStack('aws_s3_bucket.snapshots'),
      message: 'no aws_s3_bucket_policy names this bucket; expected one denying requests without TLS',
    },
    {
      name: 'the policy denies only when TLS is used',
      edit: (f) => { f.stack.data.aws_iam_policy_document.snapshots_tls.statement[0].condition[0].values = ['true']; },
      at: inStack('aws_s3_bucket_policy.snapshots', 'policy'),
      message: 'plain HTTP requests are not refused: no statement denies them; expected a Deny of "s3:*" to every principal',
    },
    {
      name: 'the JSON policy denies a single principal',
      edit: (f) => {
        f.stack.resource.aws_s3_bucket_policy.snapshots.policy = JSON.stringify({
          Version: '2012-10-17', Statement: [{ ...TLS_ONLY_STATEMENT, Principal: { AWS: '${aws_iam_role.vault.arn}' } }],
        });
      },
      at: inStack('aws_s3_bucket_policy.snapshots', 'policy'),
      message: 'no statement denies them',
    },
    {
      name: 'versioning is suspended',
      edit: (f) => { f.stack.resource.aws_s3_bucket_versioning.snapshots.versioning_configuration.status = 'Suspended'; },
      at: inStack('aws_s3_bucket_versioning.snapshots', 'versioning_configuration.status'),
      message: 'an overwritten or deleted object is gone: status is "Suspended"; expected "Enabled"',
    },
    {
      name: 'the bucket has no versioning',
      edit: (f) => { delete f.stack.resource.aws_s3_bucket_versioning; },
      at: inStack('aws_s3_bucket.snapshots'),
      message: 'no aws_s3_bucket_versioning names this bucket',
    },
  ],
  'TF-007': [
    {
      name: 'a security group is open to 0.0.0.0/0',
      edit: (f) => { f.stack.resource.aws_security_group.vault.ingress[0].cidr_blocks = ['10.0.0.0/16', '0.0.0.0/0']; },
      at: inStack('aws_security_group.vault', 'ingress[0].cidr_blocks[1]'),
      message: 'ingress is open to the whole internet on ports 8200-8201: "0.0.0.0/0"; expected the CIDRs or security groups that need access',
    },
    {
      name: 'a security group is open to ::/0',
      edit: (f) => { f.stack.resource.aws_security_group.vault.ingress[0].ipv6_cidr_blocks = ['::/0']; },
      at: inStack('aws_security_group.vault', 'ingress[0].ipv6_cidr_blocks[0]'),
      message: '"::/0"',
    },
    {
      name: 'a security group rule opens ingress to the world',
      edit: (f) => {
        f.stack.resource.aws_security_group_rule = {
          ssh: { type: 'ingress', from_port: 22, to_port: 22, protocol: 'tcp', cidr_blocks: ['0.0.0.0/0'], security_group_id: 'sg-1' },
          out: { type: 'egress', from_port: 0, to_port: 0, protocol: '-1', cidr_blocks: ['0.0.0.0/0'], security_group_id: 'sg-1' },
        };
      },
      at: inStack('aws_security_group_rule.ssh', 'cidr_blocks[0]'),
      message: 'on port 22',
    },
    {
      name: 'a VPC ingress rule is open to ::/0',
      edit: (f) => { f.stack.resource.aws_vpc_security_group_ingress_rule.nlb = { ...f.stack.resource.aws_vpc_security_group_ingress_rule.nlb, cidr_ipv4: undefined, cidr_ipv6: '::/0' }; },
      at: inStack('aws_vpc_security_group_ingress_rule.nlb', 'cidr_ipv6'),
      message: 'ingress is open to the whole internet on port 8200: "::/0"',
    },
  ],
  'TF-008': [
    {
      name: 'a role policy allows every S3 action',
      edit: (f) => { setRolePolicy(f, [ROLE_POLICY.Statement[0], { ...ROLE_POLICY.Statement[1], Action: ['s3:*'] }]); },
      at: inStack('aws_iam_role_policy.vault', 'policy.Statement[1].Action[0]'),
      message: '"s3:*" allows every action of s3, including those AWS adds later; expected the actions needed, named one by one',
    },
    {
      name: 'a role policy allows every action on one ARN',
      edit: (f) => { setRolePolicy(f, [{ Effect: 'Allow', Action: '*', Resource: '${aws_kms_key.unseal.arn}' }]); },
      at: inStack('aws_iam_role_policy.vault', 'policy.Statement[0].Action'),
      message: '"*" allows every action of every service',
    },
    {
      name: 'a key policy allows kms:*',
      edit: (f) => {
        f.stack.resource.aws_kms_key.unseal.policy = JSON.stringify({
          Version: '2012-10-17',
          Statement: { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' },
        });
      },
      at: inStack('aws_kms_key.unseal', 'policy.Statement.Action'),
      message: '"kms:*" allows every action of kms',
    },
    {
      name: 'a trust policy document allows sts:*',
      edit: (f) => { f.stack.data.aws_iam_policy_document.vault_trust.statement[0].actions = ['sts:*']; },
      at: inStack('data.aws_iam_policy_document.vault_trust', 'statement[0].actions[0]'),
      message: '"sts:*" allows every action of sts',
    },
    {
      name: 'an Allow uses NotAction',
      edit: (f) => { setRolePolicy(f, [{ Effect: 'Allow', NotAction: ['iam:*'], Resource: '${aws_s3_bucket.snapshots.arn}' }]); },
      at: inStack('aws_iam_role_policy.vault', 'policy.Statement[0].NotAction[0]'),
      message: 'an Allow with NotAction allows every action but "iam:*"; expected Action naming the actions needed',
    },
    {
      name: 'a policy is a Terraform expression',
      edit: (f) => { rolePolicy(f).policy = '${jsonencode({Statement = []})}'; },
      at: inStack('aws_iam_role_policy.vault', 'policy'),
      message: 'the policy cannot be checked: the policy is the Terraform expression "${jsonencode({Statement = []})}"',
    },
  ],
  'TF-009': [
    {
      name: 'a role policy grants S3 reads on every resource',
      edit: (f) => { setRolePolicy(f, [{ Effect: 'Allow', Action: ['s3:GetObject', 'ec2:DescribeInstances'], Resource: '*' }]); },
      at: inStack('aws_iam_role_policy.vault', 'policy.Statement[0].Resource'),
      message: '"s3:GetObject" is granted on every resource ("*"); expected the ARNs acted on ("*" only for actions without a resource type: '
        + 'ec2:DescribeInstances, route53:ListHostedZonesByName, sts:GetCallerIdentity)',
    },
    {
      name: 'a policy document grants on "*" among ARNs',
      edit: (f) => {
        f.stack.data.aws_iam_policy_document.vault_access = {
          statement: [{ actions: ['kms:Decrypt'], resources: ['${aws_kms_key.unseal.arn}', '*'] }],
        };
      },
      at: inStack('data.aws_iam_policy_document.vault_access', 'statement[0].resources[1]'),
      message: '"kms:Decrypt" is granted on every resource',
    },
    {
      name: 'an Allow uses NotResource',
      edit: (f) => { setRolePolicy(f, [{ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::secret/*' }]); },
      at: inStack('aws_iam_role_policy.vault', 'policy.Statement[0].NotResource'),
      message: 'an Allow with NotResource grants on every resource but "arn:aws:s3:::secret/*"',
    },
  ],
  'TF-010': [
    {
      name: 'the launch template\'s user data holds a private key',
      edit: (f) => {
        lt(f).user_data = base64(`${USER_DATA}cat > /etc/vault.d/key.pem <<EOF\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIFAKE\n-----END EC PRIVATE KEY-----\nEOF\n`);
      },
      at: inStack('aws_launch_template.vault', 'user_data'),
      message: 'the user data holds a PEM private key (decoded from base64, line 10), readable by every process on the instance',
    },
    {
      name: 'gzipped user data holds a Vault token',
      edit: (f) => { lt(f).user_data = gzipSync(`${USER_DATA}export VAULT_TOKEN=hvs.CAESIJ\n`).toString('base64'); },
      at: inStack('aws_launch_template.vault', 'user_data'),
      message: 'a Vault token (VAULT_TOKEN=) (decoded from base64, line 9)',
    },
    {
      name: 'an instance\'s plain user data holds an AWS access key id',
      edit: (f) => {
        f.stack.resource.aws_instance = {
          bastion: {
            ami: 'ami-0123456789abcdef0', root_block_device: { encrypted: true }, metadata_options: { http_tokens: 'required' },
            user_data: '#!/bin/sh\naws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE\n',
          },
        };
      },
      at: inStack('aws_instance.bastion', 'user_data'),
      message: 'an AWS access key id (line 2)',
    },
    {
      name: 'a Terraform expression encodes a certificate with its key',
      edit: (f) => {
        lt(f).user_data = '${base64encode("-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n# PRIVATE KEY follows\\nMHcC")}';
      },
      at: inStack('aws_launch_template.vault', 'user_data'),
      message: 'a certificate with its private key',
    },
  ],
  'TF-011': [
    {
      name: 'the local path is absolute on Windows',
      edit: (f) => { f.stack.terraform.backend.local.path = 'C:\\work\\gateway-pki\\cdktf.out\\stacks\\mycluster-0-aws\\terraform.tfstate'; },
      at: inStack('terraform.backend.local', 'path'),
      message: 'the path is absolute, "C:\\\\work',
    },
    {
      name: 'the local path, with Windows separators, stays inside the output folder',
      edit: (f) => { f.stack.terraform.backend.local.path = '..\\..\\state\\mycluster-0-aws.tfstate'; },
      at: inStack('terraform.backend.local', 'path'),
      message: 'is cdktf.out/state/mycluster-0-aws.tfstate, inside cdktf.out/',
    },
    {
      name: 'the stack has no backend (Terraform\'s default: terraform.tfstate in the stack\'s folder)',
      edit: (f) => { delete f.stack.terraform; },
      at: inStack('terraform.backend'),
      message: 'no backend: Terraform keeps the state in the stack\'s folder, cdktf.out/stacks/mycluster-0-aws/terraform.tfstate: '
        + 'synth owns cdktf.out/ and rewrites it',
    },
    {
      name: 'the local backend names no path',
      edit: (f) => { f.stack.terraform.backend.local = {}; },
      at: inStack('terraform.backend.local', 'path'),
      message: 'no path: the state is cdktf.out/stacks/mycluster-0-aws/terraform.tfstate',
    },
    {
      name: 'the local path stays inside the output folder (one ../ too few)',
      edit: (f) => { f.stack.terraform.backend.local.path = '../../terraform-state/mycluster-0-aws.tfstate'; },
      at: inStack('terraform.backend.local', 'path'),
      message: 'the state "../../terraform-state/mycluster-0-aws.tfstate" is cdktf.out/terraform-state/mycluster-0-aws.tfstate, inside cdktf.out/',
    },
    {
      name: 'the local path is CDKTF\'s default, absolute in the stack\'s folder',
      edit: (f) => { f.stack.terraform.backend.local.path = '/home/ci/gateway-pki/cdktf.out/stacks/mycluster-0-aws/terraform.tfstate'; },
      at: inStack('terraform.backend.local', 'path'),
      message: 'the path is absolute, "/home/ci/gateway-pki/cdktf.out/stacks/mycluster-0-aws/terraform.tfstate"',
    },
    {
      name: 'the local path is an expression',
      edit: (f) => { f.stack.terraform.backend.local.path = '${var.state}'; },
      at: inStack('terraform.backend.local', 'path'),
      message: 'the path cannot be checked: "${var.state}"',
    },
    {
      name: 'the S3 backend stores state unencrypted, with no key of ours',
      edit: (f) => { f.stack.terraform.backend = { s3: { bucket: 'acme-terraform-state', key: 'gateway-pki/mycluster-0-aws.tfstate', region: 'eu-west-3' } }; },
      at: inStack('terraform.backend.s3', 'encrypt').concat(inStack('terraform.backend.s3', 'kms_key_id')),
      message: 'encrypt is not set: the state, which records every secret the stack reads, is stored in clear; expected true',
    },
    {
      name: 'an old terraform.tfstate sits in the stack\'s folder',
      edit: (f) => { f.files.set('cdktf.out/stacks/mycluster-0-aws/terraform.tfstate', '{"version":4}'); },
      at: [['cdktf.out/stacks/mycluster-0-aws/terraform.tfstate', 'terraform.tfstate', undefined]],
      message: 'state in the output folder, where versions before 0.2 kept it',
    },
  ],
  'TF-012': [
    {
      name: 'the intermediate CA is imported into Vault with pem_bundle (the vault-config stack before issue #18)',
      edit: (f) => {
        f.stack.resource.vault_pki_secret_backend_config_ca = {
          Pki_IntermediateBundle_6C4A5E2B: {
            '//': { metadata: { path: 'vault-config/Pki/IntermediateBundle', uniqueId: 'Pki_IntermediateBundle_6C4A5E2B' } },
            backend: '${vault_mount.Pki_IntermediateMount_1B2C3D4E.path}',
            pem_bundle: '${file("${var.config_dir}/../.tls/bundle.pem")}',
          },
        };
      },
      at: inStack('vault_pki_secret_backend_config_ca.Pki_IntermediateBundle_6C4A5E2B', 'pem_bundle'),
      message: 'pem_bundle imports a CA\'s private key, which Terraform stores in its state (the Vault provider has no write-only form); '
        + 'expected the key generated inside Vault and its CSR signed offline (npm run pki -- sign-issuing)',
    },
    {
      name: 'Terraform generates a key',
      edit: (f) => { f.stack.resource.tls_private_key = { ca: { algorithm: 'ECDSA', ecdsa_curve: 'P384' } }; },
      at: inStack('tls_private_key.ca'),
      message: 'the key is generated by Terraform and stored in its state',
    },
    {
      name: 'a certificate is made from a private key argument, in a nested block too',
      edit: (f) => {
        f.stack.resource.tls_self_signed_cert = { root: { private_key_pem: '${tls_private_key.ca.private_key_pem}', subject: [{ common_name: 'Root' }] } };
        f.stack.resource.aws_iam_server_certificate = { lb: { name: 'lb', certificate_body: 'x', nested: [{ ca_private_key_pem: 'y' }] } };
      },
      at: inStack('tls_self_signed_cert.root', 'private_key_pem').concat(inStack('aws_iam_server_certificate.lb', 'nested[0].ca_private_key_pem')),
      message: 'private_key_pem is a private key, which Terraform stores in its state',
    },
    {
      name: 'a Secrets Manager value holds a key file read with file()',
      edit: (f) => {
        f.stack.resource.aws_secretsmanager_secret_version = {
          key: { secret_id: '${aws_secretsmanager_secret.tls.id}', secret_string: '${file("${var.config_dir}/../.tls/vault-key.pem")}' },
        };
      },
      at: inStack('aws_secretsmanager_secret_version.key', 'secret_string'),
      message: 'secret_string holds the content of the key file "${var.config_dir}/../.tls/vault-key.pem", which Terraform stores in its state; '
        + 'expected the write-only secret_string_wo',
    },
    {
      name: 'a Secrets Manager value holds a PEM key or a generated one',
      edit: (f) => {
        f.stack.resource.aws_secretsmanager_secret_version = {
          pem: { secret_id: 'x', secret_string: '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n' },
          generated: { secret_id: 'y', secret_binary: '${base64encode(tls_private_key.ca.private_key_pem)}' },
        };
      },
      at: inStack('aws_secretsmanager_secret_version.pem', 'secret_string').concat(inStack('aws_secretsmanager_secret_version.generated', 'secret_binary')),
      message: 'secret_string holds a PEM private key',
    },
    {
      name: 'Vault exports the key it generates, or generates a leaf key into state',
      edit: (f) => {
        f.stack.resource.vault_pki_secret_backend_intermediate_cert_request = { issuing: { backend: 'pki', type: 'exported', common_name: 'Issuing CA' } };
        f.stack.resource.vault_pki_secret_backend_cert = { app: { backend: 'pki', name: 'cert-manager', common_name: 'app.priv.example.com' } };
      },
      at: inStack('vault_pki_secret_backend_intermediate_cert_request.issuing', 'type').concat(inStack('vault_pki_secret_backend_cert.app')),
      message: 'type is "exported": Vault returns the key it generates and Terraform stores it in its state; expected "internal"',
    },
  ],
  'TF-013': [
    {
      name: 'the mixed instances policy names $Latest (the vault-aws stack before issue #17)',
      edit: (f) => { asg(f).mixed_instances_policy.launch_template.launch_template_specification.version = '$Latest'; },
      at: inStack('aws_autoscaling_group.vault', 'mixed_instances_policy.launch_template.launch_template_specification.version'),
      message: 'version is "$Latest": a new template version starts no instance refresh, while each replaced instance takes it, '
        + 'so versions mix unasked and running nodes keep the old one; expected the template\'s latest_version',
    },
    {
      name: 'a group\'s own launch template names $Default, as a list block',
      edit: (f) => {
        delete asg(f).mixed_instances_policy;
        asg(f).launch_template = [{ id: '${aws_launch_template.vault.id}', version: '$Default' }];
      },
      at: inStack('aws_autoscaling_group.vault', 'launch_template[0].version'),
      message: 'version is "$Default"',
    },
    {
      name: 'an override\'s launch template has no version',
      edit: (f) => {
        asg(f).mixed_instances_policy.launch_template.override = [{ instance_type: 'm7g.large', launch_template_specification: { launch_template_id: 'lt-0123' } }];
      },
      at: inStack('aws_autoscaling_group.vault', 'mixed_instances_policy.launch_template.override[0].launch_template_specification.version'),
      message: 'version is not set, so AWS uses "$Default"',
    },
  ],
  'TF-014': [
    {
      name: 'the matcher accepts sealed and uninitialised nodes (the vault-aws stack before issue #17)',
      edit: (f) => { Object.assign(healthCheck(f), { path: '/v1/sys/health', matcher: '200,429,472,473,501,503' }); },
      at: inStack('aws_lb_target_group.vault', 'health_check.matcher'),
      message: 'the matcher "200,429,472,473,501,503" accepts 5xx answers: sealed (503) or uninitialised (501) nodes count healthy',
    },
    {
      name: 'a matcher range reaches into 5xx',
      edit: (f) => { healthCheck(f).matcher = '200-502'; },
      at: inStack('aws_lb_target_group.vault', 'health_check.matcher'),
      message: 'accepts 5xx answers',
    },
    {
      name: 'sealed nodes are told to answer 200',
      edit: (f) => { healthCheck(f).path = '/v1/sys/health?standbyok=true&sealedcode=200'; },
      at: inStack('aws_lb_target_group.vault', 'health_check.path'),
      message: 'sealedcode=200 makes sealed nodes answer 200, counted healthy; expected sealedcode unset',
    },
    {
      name: 'a TCP health check on the Vault port',
      edit: (f) => { f.stack.resource.aws_lb_target_group.vault.health_check = { protocol: 'TCP' }; },
      at: inStack('aws_lb_target_group.vault', 'health_check.path'),
      message: 'the health check is TCP without a path: any node that accepts a connection counts healthy, sealed or not',
    },
    {
      name: 'a matcher that is an expression',
      edit: (f) => { healthCheck(f).matcher = '${var.codes}'; },
      at: inStack('aws_lb_target_group.vault', 'health_check.matcher'),
      message: 'the matcher cannot be checked: "${var.codes}"',
    },
  ],
  'TF-015': [
    {
      name: 'a secret has no kms_key_id (the AWS-managed key)',
      edit: (f) => { f.stack.resource.aws_secretsmanager_secret = { tls: { name: 'gateway-pki/vault/tls/key' } }; },
      at: inStack('aws_secretsmanager_secret.tls', 'kms_key_id'),
      message: 'any principal with secretsmanager:GetSecretValue can read the value: kms_key_id is not set (Secrets Manager uses the '
        + 'AWS-managed aws/secretsmanager key); expected a customer-managed key whose policy names the readers',
    },
    {
      name: 'a secret names the AWS-managed key by alias',
      edit: (f) => { f.stack.resource.aws_secretsmanager_secret = { tls: { name: 'x', kms_key_id: 'alias/aws/secretsmanager' } }; },
      at: inStack('aws_secretsmanager_secret.tls', 'kms_key_id'),
      message: 'kms_key_id is "alias/aws/secretsmanager", the AWS-managed key',
    },
  ],
  'TF-016': [
    {
      name: 'the seal names the key by its id, not an alias, and the key does not deny its deletion',
      edit: (f) => {
        lt(f).user_data = base64(`${USER_DATA}seal "awskms" {\n  kms_key_id = "\${aws_kms_key.unseal.key_id}"\n}\n`);
      },
      at: inStack('aws_kms_key.unseal', 'policy'),
      message: 'any IAM administrator of the account can destroy the seal key',
    },
    {
      name: 'a key has no policy (the default one)',
      edit: (f) => { delete f.stack.resource.aws_kms_key.unseal.policy; },
      at: inStack('aws_kms_key.unseal', 'policy'),
      message: 'the key has the default key policy, which lets every IAM policy of the account grant any use of it: policy is not set',
    },
    {
      name: 'a replica key has no policy',
      edit: (f) => { f.stack.resource.aws_kms_replica_key = { dr: { primary_key_arn: '${aws_kms_key.unseal.arn}' } }; },
      at: inStack('aws_kms_replica_key.dr', 'policy'),
      message: 'the key has the default key policy',
    },
    {
      name: 'the seal key (named by the awskms seal of the user data) does not deny its deletion',
      edit: makeSealKey,
      at: inStack('aws_kms_key.unseal', 'policy'),
      message: 'any IAM administrator of the account can destroy the seal key, and with it every snapshot: no statement denies '
        + 'kms:ScheduleKeyDeletion to every principal but a break-glass role',
    },
    {
      name: 'the seal key\'s replica does not deny its deletion',
      edit: (f) => {
        makeSealKey(f);
        f.stack.resource.aws_kms_key.unseal.policy = JSON.stringify({ ...KEY_POLICY, Statement: [...KEY_POLICY.Statement, BREAK_GLASS_DENY] });
        f.stack.resource.aws_kms_replica_key = { dr: { primary_key_arn: '${aws_kms_key.unseal.arn}', policy: JSON.stringify(KEY_POLICY) } };
      },
      at: inStack('aws_kms_replica_key.dr', 'policy'),
      message: 'no statement denies kms:ScheduleKeyDeletion',
    },
    {
      name: 'the seal key\'s deny holds only without MFA (a condition that is not a principal exception)',
      edit: (f) => {
        makeSealKey(f);
        const deny = { ...BREAK_GLASS_DENY, Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } };
        f.stack.resource.aws_kms_key.unseal.policy = JSON.stringify({ ...KEY_POLICY, Statement: [...KEY_POLICY.Statement, deny] });
      },
      at: inStack('aws_kms_key.unseal', 'policy'),
      message: 'expected a Deny with Principal "*" and at most an aws:PrincipalArn exception',
    },
    {
      name: 'the seal key\'s deny misses ScheduleKeyDeletion',
      edit: (f) => {
        makeSealKey(f);
        const deny = { ...BREAK_GLASS_DENY, Action: ['kms:DisableKey', 'kms:PutKeyPolicy'] };
        f.stack.resource.aws_kms_key.unseal.policy = JSON.stringify({ ...KEY_POLICY, Statement: [...KEY_POLICY.Statement, deny] });
      },
      at: inStack('aws_kms_key.unseal', 'policy'),
      message: 'no statement denies kms:ScheduleKeyDeletion',
    },
  ],
  'TF-017': [
    {
      name: 'a PKI role signs any name',
      edit: (f) => { pkiRole(f).allow_any_name = true; },
      at: inStack('vault_pki_secret_backend_role.Pki_Role', 'allow_any_name'),
      message: 'the role signs any common name and SAN, outside the allowed domains: allow_any_name is true; expected false',
    },
    {
      name: 'a PKI role leaves IP SANs and localhost to Vault\'s defaults',
      edit: (f) => { delete pkiRole(f).allow_ip_sans; pkiRole(f).allow_localhost = 'true'; },
      at: inStack('vault_pki_secret_backend_role.Pki_Role', 'allow_ip_sans', 'allow_localhost'),
      message: 'the role signs any IP address as a SAN: allow_ip_sans is not set (Vault\'s default is true); expected false',
    },
  ],
  'TF-018': [
    {
      name: 'a PKI role signs wildcard certificates',
      edit: (f) => { pkiRole(f).allow_wildcard_certificates = true; },
      at: inStack('vault_pki_secret_backend_role.Pki_Role', 'allow_wildcard_certificates'),
      message: 'allow_wildcard_certificates is true; expected false, or a suppression naming this role where wildcards are intended',
    },
    {
      name: 'a PKI role leaves wildcards to Vault\'s default',
      edit: (f) => { delete pkiRole(f).allow_wildcard_certificates; },
      at: inStack('vault_pki_secret_backend_role.Pki_Role', 'allow_wildcard_certificates'),
      message: 'allow_wildcard_certificates is not set (Vault\'s default is true)',
    },
  ],
  'TF-019': [
    {
      name: 'a PKI role has no max_ttl',
      edit: (f) => { delete pkiRole(f).max_ttl; },
      at: inStack('vault_pki_secret_backend_role.Pki_Role', 'max_ttl'),
      message: 'max_ttl is not set, so certificates may live as long as the mount\'s max_lease_ttl (the issuing CA\'s lifetime); '
        + 'expected a literal duration at most 9552h (398 days)',
    },
    {
      name: 'a PKI role\'s max_ttl is 0, two years, or an expression',
      edit: (f) => {
        const resources = f.stack.resource.vault_pki_secret_backend_role;
        resources.Pki_Role.max_ttl = '0';
        resources.Long = { ...resources.Pki_Role, max_ttl: '17520h' };
        resources.Variable = { ...resources.Pki_Role, max_ttl: '${var.max_ttl}' };
      },
      at: [
        ...inStack('vault_pki_secret_backend_role.Pki_Role', 'max_ttl'),
        ...inStack('vault_pki_secret_backend_role.Long', 'max_ttl'),
        ...inStack('vault_pki_secret_backend_role.Variable', 'max_ttl'),
      ],
      message: 'max_ttl is "0", which Vault reads as the mount\'s max_lease_ttl',
    },
  ],
  'TF-020': [
    {
      name: 'an issuer permits leaves outliving it',
      edit: (f) => { f.stack.resource.vault_pki_secret_backend_issuer.Pki_Issuer.leaf_not_after_behavior = 'permit'; },
      at: inStack('vault_pki_secret_backend_issuer.Pki_Issuer', 'leaf_not_after_behavior'),
      message: 'the issuer signs certificates that outlive it: leaf_not_after_behavior is "permit"; expected "err" (refuse) or "truncate"',
    },
  ],
  'TF-021': [
    {
      name: 'Vault has a single file audit device',
      edit: (f) => { delete f.stack.resource.vault_audit.Syslog; },
      at: inStack('vault_audit.File'),
      message: 'Vault has 1 audit device (1 vault_audit resource): when it cannot write to one, every request fails; expected at least 2',
    },
    {
      name: 'Vault has no audit device at all',
      edit: (f) => { delete f.stack.resource.vault_audit; },
      at: inStack('provider.vault'),
      message: 'Vault has 0 audit devices (0 vault_audit resources)',
    },
    {
      name: 'OpenBao declares one device in its server configuration',
      edit: (f) => {
        delete f.stack.resource.vault_audit;
        lt(f).user_data = base64(`${USER_DATA}cat > /etc/openbao/openbao.hcl <<EOF\naudit "file" "file" {\n  options {}\n}\nEOF\n`);
      },
      at: inStack('provider.vault'),
      message: 'Vault has 1 audit device (0 vault_audit resources and 1 declared in the server configuration)',
    },
  ],
  'TF-022': [
    {
      name: 'an AppRole\'s secret id lifetime is not set (Vault\'s default: none)',
      edit: (f) => { delete appRole(f).secret_id_ttl; },
      at: inStack('vault_approle_auth_backend_role.CertManagerAppRole', 'secret_id_ttl'),
      message: 'a leaked secret id works forever: secret_id_ttl is not set',
    },
    {
      name: 'an AppRole\'s secret id never expires',
      edit: (f) => { appRole(f).secret_id_ttl = 0; },
      at: inStack('vault_approle_auth_backend_role.CertManagerAppRole', 'secret_id_ttl'),
      message: 'a leaked secret id works forever: secret_id_ttl is 0 (0 is no limit); expected a literal lifetime',
    },
    {
      name: 'an AppRole binds no CIDR',
      edit: (f) => { appRole(f).secret_id_bound_cidrs = []; delete appRole(f).token_bound_cidrs; },
      at: inStack('vault_approle_auth_backend_role.CertManagerAppRole', 'secret_id_bound_cidrs'),
      message: 'a leaked secret id works from anywhere: neither secret_id_bound_cidrs nor token_bound_cidrs is set',
    },
    {
      name: 'an AppRole needs no secret id',
      edit: (f) => { appRole(f).bind_secret_id = false; },
      at: inStack('vault_approle_auth_backend_role.CertManagerAppRole', 'bind_secret_id'),
      message: 'anyone who knows the role id logs in: bind_secret_id is false',
    },
  ],
  'TF-023': [
    {
      name: 'an AWS auth role of the EC2 type',
      edit: (f) => { awsRole(f).auth_type = 'ec2'; },
      at: inStack('vault_aws_auth_backend_role.AwsAuth_Gate', 'auth_type'),
      message: 'the role trusts EC2 instance identity documents: auth_type is "ec2"',
    },
    {
      name: 'an AWS auth role without auth_type (Vault\'s default: ec2)',
      edit: (f) => { delete awsRole(f).auth_type; },
      at: inStack('vault_aws_auth_backend_role.AwsAuth_Gate', 'auth_type'),
      message: 'auth_type is not set (the default is "ec2"); expected "iam"',
    },
    {
      name: 'an AWS auth role bound to no principal',
      edit: (f) => { delete awsRole(f).bound_iam_principal_arns; },
      at: inStack('vault_aws_auth_backend_role.AwsAuth_Gate', 'bound_iam_principal_arns'),
      message: 'any IAM principal of any account may log in',
    },
    {
      name: 'an AWS auth role bound with a wildcard',
      edit: (f) => { awsRole(f).bound_iam_principal_arns = ['arn:aws:iam::123456789012:role/*']; },
      at: inStack('vault_aws_auth_backend_role.AwsAuth_Gate', 'bound_iam_principal_arns'),
      message: 'a wildcard lets roles nobody reviewed log in',
    },
    {
      name: 'an AWS auth role matching ARNs by name only',
      edit: (f) => { awsRole(f).resolve_aws_unique_ids = false; },
      at: inStack('vault_aws_auth_backend_role.AwsAuth_Gate', 'resolve_aws_unique_ids'),
      message: 'resolve_aws_unique_ids is false; expected true',
    },
    {
      name: 'the AWS auth client requires no server id header',
      edit: (f) => { delete awsClient(f).iam_server_id_header_value; },
      at: inStack('vault_aws_auth_backend_client.AwsAuth_Client', 'iam_server_id_header_value'),
      message: 'a login signed for another Vault (or any AWS service) can be replayed here',
    },
    {
      name: 'the AWS auth client holds a static key',
      edit: (f) => { awsClient(f).access_key = 'AKIAEXAMPLE'; },
      at: inStack('vault_aws_auth_backend_client.AwsAuth_Client', 'access_key'),
      message: 'access_key puts a static AWS key in Vault\'s configuration and Terraform\'s state',
    },
  ],
};

describe('TF-016 on a seal key whose policy cannot be read', () => {
  it('reports it, beside TF-008 (which cannot check it either)', () => {
    const findings = checkPolicies(inputWith((f) => { makeSealKey(f); f.stack.resource.aws_kms_key.unseal.policy = '${jsonencode(local.key_policy)}'; }));
    expect(where(findings).map(([rule]) => rule)).toEqual(['TF-008', 'TF-016']);
    expect(findings[1]!.message).toBe('the seal key\'s policy cannot be read here (the policy is the Terraform expression "${jsonencode(local.key_policy)}", '
      + 'whose statements are only known at plan); expected a document that denies kms:ScheduleKeyDeletion to all but a break-glass role');
  });
});

describe('POLICY_RULES', () => {
  it('has unique, stable-shaped ids in order, each with a one-line title and rationale', () => {
    const ids = POLICY_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of POLICY_RULES) {
      expect(rule.id).toMatch(rule.target === 'kubernetes' ? /^K8S-\d{3}$/ : /^TF-\d{3}$/);
      expect(rule.title).not.toMatch(/\n/);
      expect(rule.rationale).not.toMatch(/\n/);
      expect(rule.rationale.length).toBeGreaterThan(20);
    }
    expect(ids).toEqual([...ids].sort((a, b) => (a.startsWith('K8S') === b.startsWith('K8S') ? a.localeCompare(b) : a.startsWith('K8S') ? -1 : 1)));
    expect(ids).toEqual([
      'K8S-001', 'K8S-002', 'K8S-003', 'K8S-004', 'K8S-005', 'K8S-006', 'K8S-007', 'K8S-008', 'K8S-009',
      'TF-001', 'TF-002', 'TF-003', 'TF-004', 'TF-005', 'TF-006', 'TF-007', 'TF-008', 'TF-009', 'TF-010', 'TF-011', 'TF-012', 'TF-013', 'TF-014',
      'TF-015', 'TF-016', 'TF-017', 'TF-018', 'TF-019', 'TF-020', 'TF-021', 'TF-022', 'TF-023',
    ]);
  });

  it('has at least one breaking fixture for every rule', () => {
    expect(Object.keys(CASES).sort()).toEqual(POLICY_RULES.map((rule) => rule.id).sort());
  });
});

describe('checkPolicies', () => {
  it('finds nothing in the compliant fixtures', () => {
    // GIVEN a hardened CronJob (two containers sharing an emptyDir), its script, and a hardened stack
    const input = inputOf(fixtures());
    // WHEN
    const findings = checkPolicies(input);
    // THEN
    expect(findings).toEqual([]);
  });

  const rows = Object.entries(CASES).flatMap(([rule, cases]) => cases.map((c) => ({ rule, ...c })));

  it.each(rows)('$rule fires when $name', ({ rule, edit, at, message }) => {
    // GIVEN
    const input = inputWith(edit);
    // WHEN
    const findings = checkPolicies(input);
    // THEN
    expect(where(findings)).toEqual(at.map(([file, object, path]) => [rule, 'error', file, object, path ?? '']));
    expect(findings[0]!.message).toContain(message);
  });

  it.each([
    ['a digest-pinned image', (f: Fixtures) => { snapshot(f).image = `hashicorp/vault@${DIGEST}`; }],
    ['a tag and a digest', (f: Fixtures) => { snapshot(f).image = `hashicorp/vault:1.21.1@${DIGEST}`; }],
    ['an image on a registry with a port and a tag', (f: Fixtures) => { snapshot(f).image = 'registry.example.com:5000/vault:1.21.1'; }],
    ['seccomp Localhost on the container', (f: Fixtures) => {
      upload(f).securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'profiles/upload.json' };
    }],
    ['runAsNonRoot on the containers only', (f: Fixtures) => {
      delete pod(f).securityContext.runAsNonRoot;
    }],
    ['a flag explicitly false', (f: Fixtures) => { snapshot(f).command = ['vault', 'status', '-tls-skip-verify=false']; }],
    ['-k outside curl', (f: Fixtures) => { snapshot(f).command = ['sh', '-c', 'curl -fsS https://vault:8200; sort -k 2 /work/list']; }],
    ['a key whose policy is attached apart (aws_kms_key_policy)', (f: Fixtures) => {
      const key = f.stack.resource.aws_kms_key.unseal;
      f.stack.resource.aws_kms_key_policy = { unseal: { key_id: '${aws_kms_key.unseal.id}', policy: key.policy } };
      delete key.policy;
    }],
    ['the seal key\'s deny in a policy document data source', (f: Fixtures) => {
      makeSealKey(f);
      f.stack.data.aws_iam_policy_document.unseal = {
        statement: [
          { sid: 'VaultUnseal', effect: 'Allow', actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'], resources: ['*'],
            principals: [{ type: 'AWS', identifiers: ['${aws_iam_role.vault.arn}'] }] },
          { sid: 'OnlyBreakGlassDestroysTheKey', effect: 'Deny', actions: ['kms:DisableKey', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'],
            resources: ['*'], principals: [{ type: 'AWS', identifiers: ['*'] }],
            condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: ['arn:aws:iam::123456789012:role/break-glass'] }] },
        ],
      };
      f.stack.resource.aws_kms_key.unseal.policy = '${data.aws_iam_policy_document.unseal.json}';
    }],
    ['state in an encrypted S3 bucket with a key of ours', (f: Fixtures) => {
      f.stack.terraform.backend = {
        s3: {
          bucket: 'acme-terraform-state', key: 'gateway-pki/mycluster-0-aws.tfstate', region: 'eu-west-3', encrypt: true,
          kms_key_id: 'arn:aws:kms:eu-west-3:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', use_lockfile: true,
        },
      };
    }],
    ['a local state folder beside the repository', (f: Fixtures) => {
      f.stack.terraform.backend.local.path = '../../../../shared-state/mycluster-0-aws.tfstate';
    }],
    ['an egress rule to 0.0.0.0/0', (f: Fixtures) => {
      f.stack.resource.aws_security_group_rule = { out: { type: 'egress', cidr_blocks: ['0.0.0.0/0'], from_port: 0, to_port: 0, protocol: '-1' } };
    }],
    ['EBS encryption by default instead of per volume', (f: Fixtures) => {
      delete lt(f).block_device_mappings;
      f.stack.resource.aws_ebs_encryption_by_default = { this: { enabled: true } };
    }],
    ['an instance launched from the hardened launch template', (f: Fixtures) => {
      f.stack.resource.aws_instance = { vault0: { launch_template: { id: '${aws_launch_template.vault.id}', version: '$Latest' } } };
    }],
    ['secrets under a customer-managed key', (f: Fixtures) => {
      f.stack.resource.aws_secretsmanager_secret = { tls: { name: 'x', kms_key_id: '${aws_kms_key.unseal.arn}' } };
    }],
    ['the seal key denying its destruction to all but the break-glass role, and its replica likewise', (f: Fixtures) => {
      makeSealKey(f);
      const policy = JSON.stringify({ ...KEY_POLICY, Statement: [...KEY_POLICY.Statement, BREAK_GLASS_DENY] });
      f.stack.resource.aws_kms_key.unseal.policy = policy;
      f.stack.resource.aws_kms_replica_key = { dr: { primary_key_arn: '${aws_kms_key.unseal.arn}', policy } };
    }],
    ['an asymmetric key without rotation', (f: Fixtures) => {
      f.stack.resource.aws_kms_key.signing = { key_usage: 'SIGN_VERIFY', customer_master_key_spec: 'ECC_NIST_P256', policy: JSON.stringify(KEY_POLICY) };
    }],
    ['the TLS-only bucket policy as JSON', (f: Fixtures) => {
      f.stack.resource.aws_s3_bucket_policy.snapshots.policy = JSON.stringify({ Version: '2012-10-17', Statement: [TLS_ONLY_STATEMENT] });
    }],
    ['a Deny of every action on every resource', (f: Fixtures) => {
      setRolePolicy(f, [...ROLE_POLICY.Statement, { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }]);
    }],
    ['only allow-listed actions on "*"', (f: Fixtures) => {
      setRolePolicy(f, [{ Effect: 'Allow', Action: ACTIONS_WITHOUT_RESOURCE_TYPES, Resource: '*' }]);
    }],
    ['partial wildcards scoped to an ARN', (f: Fixtures) => {
      setRolePolicy(f, [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: '${aws_s3_bucket.snapshots.arn}/*' }]);
    }],
    ['a key read by a write-only argument, a key generated inside Vault, a CSR signed by Vault', (f: Fixtures) => {
      f.stack.resource.aws_secretsmanager_secret_version = {
        key: { secret_id: 'x', secret_string_wo: '${file("${var.config_dir}/../.tls/vault-key.pem")}', secret_string_wo_version: 1 },
        chain: { secret_id: 'y', secret_string: '${file("${var.config_dir}/pki/ca-chain.pem")}' },
      };
      f.stack.resource.vault_pki_secret_backend_key = { issuing: { backend: 'pki', type: 'internal', key_type: 'ec', key_bits: 256 } };
      f.stack.resource.vault_pki_secret_backend_sign = { app: { backend: 'pki', name: 'cert-manager', csr: 'x', common_name: 'app' } };
      pkiRole(f).private_key_format = 'der';
    }],
    ['a PKI max_ttl in seconds, truncating issuers, token CIDRs only, a secret id TTL as a duration', (f: Fixtures) => {
      pkiRole(f).max_ttl = '7776000';
      f.stack.resource.vault_pki_secret_backend_issuer.Pki_Issuer.leaf_not_after_behavior = 'truncate';
      delete appRole(f).secret_id_bound_cidrs;
      appRole(f).secret_id_ttl = '2160h';
    }],
    ['OpenBao: one vault_audit resource and one device declared in the server configuration', (f: Fixtures) => {
      delete f.stack.resource.vault_audit.Syslog;
      lt(f).user_data = base64(`${USER_DATA}cat > /etc/openbao/openbao.hcl <<EOF\n  audit "syslog" "syslog" {\n  }\nEOF\n`);
    }],
    ['Vault resources in a stack without a vault provider are not counted for audit', (f: Fixtures) => {
      delete f.stack.provider;
      delete f.stack.resource.vault_audit;
    }],
    ['a launch template version given as a number', (f: Fixtures) => {
      asg(f).mixed_instances_policy.launch_template.launch_template_specification.version = '7';
    }],
    ['a target group of another port checking "/" with 200-399', (f: Fixtures) => {
      f.stack.resource.aws_lb_target_group.web = { port: 443, protocol: 'TCP', health_check: { protocol: 'HTTPS', path: '/', matcher: '200-399' } };
    }],
    ['sys/health with the default matcher and explicit 5xx codes for failed states', (f: Fixtures) => {
      Object.assign(healthCheck(f), { matcher: undefined, path: '/v1/sys/health?standbyok=true&sealedcode=503&uninitcode=501' });
    }],
    ['user data that only references a secret', (f: Fixtures) => {
      lt(f).user_data = base64(`${USER_DATA}export VAULT_CACERT=/etc/vault.d/ca.pem\naws secretsmanager get-secret-value --secret-id vault-tls\n`);
    }],
  ])('accepts %s', (_, edit) => {
    expect(checkPolicies(inputWith(edit))).toEqual([]);
  });

  it('warns, without failing, of a Vault target group that accepts uninitialised nodes (vaultCluster.bootstrap, the first apply)', () => {
    const findings = checkPolicies(inputWith((f) => { healthCheck(f).path += '&uninitcode=200'; }));
    expect(where(findings)).toEqual([['TF-014', 'warning', STACK_FILE, 'aws_lb_target_group.vault', 'health_check.path']]);
    expect(findings[0]!.message).toBe('uninitcode=200 makes uninitialised nodes (a node whose retry_join failed is one) answer 200, counted '
      + 'healthy; expected only for the first apply (vaultCluster.bootstrap: true), removed once Vault is initialised');
  });

  it('checks every workload kind, and ignores a custom resource that reuses a kind', () => {
    // GIVEN a bare container in each kind: root, writable, all capabilities, no limits, no profile, floating image
    const bare = { name: 'app', image: 'nginx' };
    const spec = { containers: [bare] };
    const template = { spec };
    const objects: Array<[string, Editable, string]> = [
      ['Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec }, 'spec'],
      ['Deployment', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'n' }, spec: { template } }, 'spec.template.spec'],
      ['StatefulSet', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's', namespace: 'n' }, spec: { template } }, 'spec.template.spec'],
      ['DaemonSet', { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds', namespace: 'n' }, spec: { template } }, 'spec.template.spec'],
      ['ReplicaSet', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'n' }, spec: { template } }, 'spec.template.spec'],
      ['Job', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'n' }, spec: { template } }, 'spec.template.spec'],
      ['CronJob', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'n' }, spec: { jobTemplate: { spec: { template } } } },
        'spec.jobTemplate.spec.template.spec'],
    ];
    const crd = { apiVersion: 'example.com/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { template } };
    const input: ValidationInput = {
      manifests: [...objects.map(([kind, object]) => ({ file: `${kind}.yaml`, object })), { file: 'crd.yaml', object: crd }],
      files: new Map(),
      terraform: [],
    };
    // WHEN
    const findings = checkPolicies(input);
    // THEN
    for (const [kind, object, podPath] of objects) {
      const own = findings.filter((f) => f.file === `${kind}.yaml`);
      expect(own.map((f) => f.rule), kind).toEqual(['K8S-001', 'K8S-002', 'K8S-003', 'K8S-004', 'K8S-005', 'K8S-007', 'K8S-008']);
      expect(own.every((f) => f.object === `${kind} n/${object.metadata.name}` && f.path!.startsWith(`${podPath}.containers[0].`)), kind).toBe(true);
    }
    expect(findings.filter((f) => f.file === 'crd.yaml')).toEqual([]);
  });

  it('never shows the secret it finds in user data', () => {
    // GIVEN
    const input = inputWith((f) => {
      lt(f).user_data = base64('#!/bin/sh\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n-----BEGIN PRIVATE KEY-----\nMIIEvSECRET\n');
    });
    // WHEN
    const findings = checkPolicies(input);
    // THEN
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringContaining('holds a PEM private key (decoded from base64, line 3)'),
      expect.stringContaining('holds an AWS secret access key (decoded from base64, line 2)'),
    ]);
    expect(JSON.stringify(findings)).not.toMatch(/wJalr|MIIEvSECRET/);
  });
});

describe('suppressions', () => {
  /** Two keys without rotation and a container without limits. */
  const broken = (): ValidationInput => inputWith((f) => {
    f.stack.resource.aws_kms_key.unseal.enable_key_rotation = false;
    f.stack.resource.aws_kms_key.ebs = { description: 'EBS', enable_key_rotation: 'false', policy: JSON.stringify(KEY_POLICY) };
    delete upload(f).resources;
  });
  const reason = 'accepted until the key is replaced (#12)';

  it('drop every finding of a rule', () => {
    // WHEN
    const findings = checkPolicies(broken(), [{ rule: 'TF-003', reason }]);
    // THEN
    expect(where(findings)).toEqual([['K8S-005', 'error', CRONJOB_FILE, CRONJOB, `${UPLOAD}.resources`]]);
  });

  it('drop the findings of a rule on one object only', () => {
    // WHEN
    const findings = checkPolicies(broken(), [
      { rule: 'TF-003', reason, object: 'aws_kms_key.ebs' },
      { rule: 'K8S-005', reason, object: CRONJOB },
    ]);
    // THEN
    expect(where(findings)).toEqual([['TF-003', 'error', STACK_FILE, 'aws_kms_key.unseal', 'enable_key_rotation']]);
  });

  it('report a suppression naming an unknown rule as an error, with the likely id', () => {
    // WHEN
    const findings = checkPolicies(inputOf(fixtures()), [{ rule: 'K8S-099', reason }, { rule: 'tf-003', reason }]);
    // THEN
    expect(findings).toEqual([
      {
        rule: SUPPRESSION_FINDING_RULE, severity: 'error', file: 'config/platform.yaml', path: 'validation.suppressions[0].rule',
        message: `the suppression names no policy rule: "K8S-099"; expected one of ${POLICY_RULES.map((r) => r.id).join(', ')}`,
      },
      {
        rule: SUPPRESSION_FINDING_RULE, severity: 'error', file: 'config/platform.yaml', path: 'validation.suppressions[1].rule',
        message: expect.stringContaining('(did you mean "TF-003"?)'),
      },
    ]);
  });

  it('take the configuration\'s suppressions as they are', () => {
    // GIVEN
    const config: PlatformConfig = { ...parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG), validation: { suppressions: [{ rule: 'TF-003', reason }] } };
    // WHEN
    const findings = checkPolicies(broken(), config.validation?.suppressions);
    // THEN
    expect(findings.map((f) => f.rule)).toEqual(['K8S-005']);
  });

  it('report a suppression that matched nothing as a stale warning, and keep the finding it did not match', () => {
    // GIVEN
    const suppressions: PolicySuppression[] = [
      { rule: 'TF-003', reason, object: 'aws_kms_key.gone' },
      { rule: 'TF-007', reason },
    ];
    // WHEN
    const findings = checkPolicies(broken(), suppressions, { configFile: 'other.yaml' });
    // THEN
    expect(where(findings)).toEqual([
      ['K8S-005', 'error', CRONJOB_FILE, CRONJOB, `${UPLOAD}.resources`],
      ['TF-003', 'error', STACK_FILE, 'aws_kms_key.unseal', 'enable_key_rotation'],
      ['TF-003', 'error', STACK_FILE, 'aws_kms_key.ebs', 'enable_key_rotation'],
      [SUPPRESSION_FINDING_RULE, 'warning', 'other.yaml', '', 'validation.suppressions[0]'],
      [SUPPRESSION_FINDING_RULE, 'warning', 'other.yaml', '', 'validation.suppressions[1]'],
    ]);
    expect(findings[3]!.message).toBe('the suppression of TF-003 for "aws_kms_key.gone" matched no finding '
      + '(stale: the rule passes now, or the object is gone); expected it removed');
  });
});

describe('the example output', () => {
  /** Every object of the committed dist/, with its file relative to the project. */
  function distManifests(): ValidationInput['manifests'] {
    return readdirSync(COMMITTED_DIST, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.yaml'))
      .map((entry) => join(entry.parentPath, entry.name))
      .sort()
      .flatMap((full) => parseAllDocuments(readFileSync(full, 'utf8')).map((document) => ({
        file: relative(PROJECT_ROOT, full).split(sep).join('/'),
        object: document.toJS(),
      })));
  }

  function stackInput(config: PlatformConfig): ValidationInput['terraform'] {
    return synthesizeTerraform(config).filter((file) => file.path.endsWith('/cdk.tf.json'))
      .map((file) => ({ file: `cdktf.out/${file.path}`, stack: JSON.parse(file.content) }));
  }

  const example = (): PlatformConfig => parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG);

  it('yields no policy finding on the committed dist/ and the synthesized stack', () => {
    // GIVEN
    const input: ValidationInput = { manifests: distManifests(), files: new Map(), terraform: stackInput(example()) };
    expect(input.manifests.map((m) => m.object.kind)).toEqual(expect.arrayContaining(['HelmRelease', 'ClusterIssuer', 'ConfigMap']));
    expect(Object.keys(input.terraform[0]!.stack.resource)).toEqual([
      'aws_iam_role', 'aws_iam_role_policy', 'aws_kms_alias', 'aws_kms_key', 'aws_secretsmanager_secret', 'aws_secretsmanager_secret_policy',
    ]);
    // WHEN
    const findings = checkPolicies(input);
    // THEN
    expect(findings).toEqual([]);
  });

  it('yields no policy finding with Pod Identity and a zone looked up by name (the one action on "*")', () => {
    // GIVEN
    const config = example() as Editable;
    delete config.dns.publicZone.hostedZoneID;
    // The OIDC provider stays, for External Secrets' SecretStores.
    config.clusters[0].workloadIdentity = { ...config.clusters[0].workloadIdentity, type: 'pod-identity' };
    const terraform = stackInput(config);
    expect(JSON.stringify(terraform)).toContain('route53:ListHostedZonesByName');
    // WHEN
    const findings = checkPolicies({ manifests: [], files: new Map(), terraform });
    // THEN
    expect(findings).toEqual([]);
  });

  it('yields no policy finding with OpenBao, whose two audit devices are declared in the server configuration (TF-021 counts them)', () => {
    // GIVEN
    const config = example() as Editable;
    config.vaultCluster = { ...config.vaultCluster, engine: 'openbao', version: '2.4.1', packageSha256: 'ab'.repeat(32) };
    const terraform = stackInput(config);
    const vaultConfig = terraform.find((t) => t.file.includes('/vault-config/'))!;
    expect(vaultConfig.stack.resource.vault_audit).toBeUndefined();
    // WHEN
    const findings = checkPolicies({ manifests: [], files: new Map(), terraform });
    // THEN
    expect(findings).toEqual([]);
    // And without the vault-aws stack, nothing declares them: the rule says so.
    const alone = checkPolicies({ manifests: [], files: new Map(), terraform: [vaultConfig] });
    expect(alone.map((f) => [f.rule, f.object])).toEqual([['TF-021', 'provider.vault']]);
  });
});

describe('policyTable', () => {
  it('renders one Markdown row per rule, with id, what it applies to, title and why', () => {
    // WHEN
    const lines = policyTable().split('\n');
    // THEN
    expect(lines.slice(0, 2)).toEqual(['| id | applies to | rule | why |', '|---|---|---|---|']);
    expect(lines).toHaveLength(POLICY_RULES.length + 2);
    POLICY_RULES.forEach((rule, index) => {
      const cells = lines[index + 2]!.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
      expect(cells).toHaveLength(4);
      expect(cells[0]).toBe(`\`${rule.id}\``);
      expect(cells[2]).toBe(rule.title);
      expect(cells[3]).toBe(rule.rationale);
    });
  });
});
