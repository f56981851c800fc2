# Plans the synthesized vault-backup-aws stack against a mocked hashicorp/aws provider (the real
# schema, from the local mirror; no credentials, no network) and asserts what the plan evaluates:
# the bucket's protections, the key, the role's policy as jsonencode rendered it, the checks.
#
# test/terraform/plan.test.ts copies this file into cdktf.out/stacks/vault-backup-aws/ and runs
# `terraform test` with -var values from the configuration under test (nothing here names the
# example's account, region or cluster):
#   account_id, region, oidc_provider_arn, service_account ("<namespace>:<name>"), key_prefix,
#   glacier_after_days, expire_after_days, object_lock_days, break_glass_role_arn
# and fixture/aws.tfmock.hcl, the facts of the configured account (the caller identity).
# The backup cluster's pods use IRSA in that configuration: the OIDC provider is mocked below.
#
# The snapshots are replicated to a bucket in the DR Region, under a key there: both are planned by
# the second configuration of the provider, aws.dr, mocked apart with ARNs of its own. A replica
# planned by the default configuration would get the default mock's "misplaced" ARN instead, and
# the assertions naming the replica's ARNs would fail.

mock_provider "aws" {
  source          = "./fixture"
  override_during = plan

  # The cluster's OIDC provider, as `aws eks` creates it for IRSA.
  mock_data "aws_iam_openid_connect_provider" {
    defaults = {
      url             = "oidc.eks.eu-central-1.amazonaws.com/id/5E1F0C0FFEE5E1F0C0FFEE5E1F0C0FFE"
      client_id_list  = ["sts.amazonaws.com"]
      thumbprint_list = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
    }
  }

  # What no override_resource below names: a replica planned in the primary Region by mistake.
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::mock-misplaced", id = "mock-misplaced" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:xx-misplaced-1:000000000000:key/00000000-0000-4000-8000-000misplaced", key_id = "00000000-0000-4000-8000-000misplaced" }
  }
}

mock_provider "aws" {
  alias           = "dr"
  source          = "./fixture"
  override_during = plan

  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::mock-dr-snapshots", id = "mock-dr-snapshots" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:dr-mock-1:000000000000:key/00000000-0000-4000-8000-00dr0snapshot", key_id = "00000000-0000-4000-8000-00dr0snapshot" }
  }
}

override_resource {
  target          = aws_kms_key.VaultBackup_Key_C76824FC
  override_during = plan
  values          = { arn = "arn:aws:kms:eu-central-1:000000000000:key/00000000-0000-4000-8000-0000snapshot", key_id = "00000000-0000-4000-8000-0000snapshot" }
}
override_resource {
  target          = aws_s3_bucket.VaultBackup_Bucket_A9564E2B
  override_during = plan
  values          = { arn = "arn:aws:s3:::mock-snapshots", id = "mock-snapshots" }
}
override_resource {
  target          = aws_iam_role.VaultBackup_Role_7E78760B
  override_during = plan
  values          = { arn = "arn:aws:iam::000000000000:role/mock-backup", id = "mock-backup" }
}
override_resource {
  target          = aws_s3_bucket.VaultBackup_AccessLogsBucket_4C17CE4F
  override_during = plan
  values          = { arn = "arn:aws:s3:::mock-snapshots-logs", id = "mock-snapshots-logs" }
}
override_resource {
  target          = aws_iam_role.VaultBackup_ReplicationRole_008F90AD
  override_during = plan
  values          = { arn = "arn:aws:iam::000000000000:role/mock-replication", id = "mock-replication" }
}

run "plans_green" {
  command = plan

  # ---- Bucket: SSE-KMS with its own key and an S3 Bucket Key, versioned, no public access,
  # no ACLs, TLS 1.2 or later only.
  assert {
    condition = (one(aws_s3_bucket_server_side_encryption_configuration.VaultBackup_Encryption_BDFC6C04.rule[*].apply_server_side_encryption_by_default[0].sse_algorithm) == "aws:kms"
      && one(aws_s3_bucket_server_side_encryption_configuration.VaultBackup_Encryption_BDFC6C04.rule[*].apply_server_side_encryption_by_default[0].kms_master_key_id) == aws_kms_key.VaultBackup_Key_C76824FC.arn
      && one(aws_s3_bucket_server_side_encryption_configuration.VaultBackup_Encryption_BDFC6C04.rule[*].bucket_key_enabled) == true
    && aws_s3_bucket_server_side_encryption_configuration.VaultBackup_Encryption_BDFC6C04.bucket == aws_s3_bucket.VaultBackup_Bucket_A9564E2B.id)
    error_message = "The bucket must be encrypted with SSE-KMS under the snapshot key, with an S3 Bucket Key, got ${jsonencode(aws_s3_bucket_server_side_encryption_configuration.VaultBackup_Encryption_BDFC6C04.rule)}."
  }
  assert {
    condition     = aws_s3_bucket_versioning.VaultBackup_Versioning_DF475D7A.versioning_configuration[0].status == "Enabled" && aws_s3_bucket_versioning.VaultBackup_Versioning_DF475D7A.bucket == aws_s3_bucket.VaultBackup_Bucket_A9564E2B.id
    error_message = "The bucket must be versioned."
  }
  assert {
    condition = (aws_s3_bucket_public_access_block.VaultBackup_PublicAccessBlock_68719116.block_public_acls
      && aws_s3_bucket_public_access_block.VaultBackup_PublicAccessBlock_68719116.block_public_policy
      && aws_s3_bucket_public_access_block.VaultBackup_PublicAccessBlock_68719116.ignore_public_acls
      && aws_s3_bucket_public_access_block.VaultBackup_PublicAccessBlock_68719116.restrict_public_buckets
    && aws_s3_bucket_public_access_block.VaultBackup_PublicAccessBlock_68719116.bucket == aws_s3_bucket.VaultBackup_Bucket_A9564E2B.id)
    error_message = "The bucket must block every kind of public access."
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.VaultBackup_Ownership_7DF86901.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "The bucket must refuse ACLs (object ownership enforced)."
  }
  assert {
    condition = (aws_s3_bucket_policy.VaultBackup_Policy_94EA2FC2.bucket == aws_s3_bucket.VaultBackup_Bucket_A9564E2B.id
      && alltrue([for s in jsondecode(aws_s3_bucket_policy.VaultBackup_Policy_94EA2FC2.policy).Statement : s.Effect == "Deny" && s.Principal == "*" && toset(s.Resource) == toset([aws_s3_bucket.VaultBackup_Bucket_A9564E2B.arn, "${aws_s3_bucket.VaultBackup_Bucket_A9564E2B.arn}/*"])])
      && anytrue([for s in jsondecode(aws_s3_bucket_policy.VaultBackup_Policy_94EA2FC2.policy).Statement : try(s.Condition.Bool["aws:SecureTransport"], "") == "false"])
    && anytrue([for s in jsondecode(aws_s3_bucket_policy.VaultBackup_Policy_94EA2FC2.policy).Statement : try(s.Condition.NumericLessThan["s3:TlsVersion"], "") == "1.2"]))
    error_message = "The bucket policy must deny plain HTTP and TLS below 1.2 on the bucket and its objects, and allow nothing, got ${aws_s3_bucket_policy.VaultBackup_Policy_94EA2FC2.policy}."
  }
  assert {
    condition = (one([for r in aws_s3_bucket_lifecycle_configuration.VaultBackup_Lifecycle_D94E740E.rule : r.expiration[0].days if r.id == "snapshots"]) == var.expire_after_days
      && one([for r in aws_s3_bucket_lifecycle_configuration.VaultBackup_Lifecycle_D94E740E.rule : [for t in r.transition : t.days] if r.id == "snapshots"]) == [var.glacier_after_days]
      && one([for r in aws_s3_bucket_lifecycle_configuration.VaultBackup_Lifecycle_D94E740E.rule : r.noncurrent_version_expiration[0].noncurrent_days if r.id == "snapshots"]) == var.expire_after_days
    && alltrue([for r in aws_s3_bucket_lifecycle_configuration.VaultBackup_Lifecycle_D94E740E.rule : r.status == "Enabled" && r.filter[0].prefix == "${var.key_prefix}/"]))
    error_message = "Snapshots under ${var.key_prefix}/ must move to Glacier after ${var.glacier_after_days} days and expire after ${var.expire_after_days}, got ${jsonencode(aws_s3_bucket_lifecycle_configuration.VaultBackup_Lifecycle_D94E740E.rule)}."
  }

  # ---- Object lock: every snapshot version kept, in governance mode (the break-glass role may
  # lift it), for the configured days.
  assert {
    condition = (aws_s3_bucket_object_lock_configuration.VaultBackup_ObjectLock_14CBBD3F.bucket == aws_s3_bucket.VaultBackup_Bucket_A9564E2B.id
      && aws_s3_bucket_object_lock_configuration.VaultBackup_ObjectLock_14CBBD3F.object_lock_enabled == "Enabled"
      && aws_s3_bucket_object_lock_configuration.VaultBackup_ObjectLock_14CBBD3F.rule[0].default_retention[0].mode == "GOVERNANCE"
    && aws_s3_bucket_object_lock_configuration.VaultBackup_ObjectLock_14CBBD3F.rule[0].default_retention[0].days == var.object_lock_days)
    error_message = "The snapshots must be locked in GOVERNANCE mode for ${var.object_lock_days} days, got ${jsonencode(aws_s3_bucket_object_lock_configuration.VaultBackup_ObjectLock_14CBBD3F.rule)}."
  }

  # ---- Access logs: the bucket's server access logs go to the log bucket, itself encrypted,
  # private, TLS only, written by the S3 log delivery of this bucket and account only.
  assert {
    condition     = aws_s3_bucket_logging.VaultBackup_AccessLogging_054F694E.bucket == aws_s3_bucket.VaultBackup_Bucket_A9564E2B.id && aws_s3_bucket_logging.VaultBackup_AccessLogging_054F694E.target_bucket == aws_s3_bucket.VaultBackup_AccessLogsBucket_4C17CE4F.id
    error_message = "The snapshot bucket's access logs must go to the log bucket, got ${aws_s3_bucket_logging.VaultBackup_AccessLogging_054F694E.target_bucket}."
  }
  assert {
    condition = (one(aws_s3_bucket_server_side_encryption_configuration.VaultBackup_AccessLogsEncryption_F906535D.rule[*].apply_server_side_encryption_by_default[0].sse_algorithm) == "aws:kms"
      && aws_s3_bucket_server_side_encryption_configuration.VaultBackup_AccessLogsEncryption_F906535D.bucket == aws_s3_bucket.VaultBackup_AccessLogsBucket_4C17CE4F.id
      && aws_s3_bucket_public_access_block.VaultBackup_AccessLogsPublicAccessBlock_DF38C1EC.bucket == aws_s3_bucket.VaultBackup_AccessLogsBucket_4C17CE4F.id
      && aws_s3_bucket_public_access_block.VaultBackup_AccessLogsPublicAccessBlock_DF38C1EC.block_public_policy
      && aws_s3_bucket_public_access_block.VaultBackup_AccessLogsPublicAccessBlock_DF38C1EC.restrict_public_buckets
      && aws_s3_bucket_policy.VaultBackup_AccessLogsPolicy_A08FADF1.bucket == aws_s3_bucket.VaultBackup_AccessLogsBucket_4C17CE4F.id
      && anytrue([for s in jsondecode(aws_s3_bucket_policy.VaultBackup_AccessLogsPolicy_A08FADF1.policy).Statement : s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"])
      && one([for s in jsondecode(aws_s3_bucket_policy.VaultBackup_AccessLogsPolicy_A08FADF1.policy).Statement : s.Principal if s.Effect == "Allow"]) == { Service = "logging.s3.amazonaws.com" }
      && one([for s in jsondecode(aws_s3_bucket_policy.VaultBackup_AccessLogsPolicy_A08FADF1.policy).Statement : s.Action if s.Effect == "Allow"]) == ["s3:PutObject"]
      && one([for s in jsondecode(aws_s3_bucket_policy.VaultBackup_AccessLogsPolicy_A08FADF1.policy).Statement : s.Condition.ArnLike["aws:SourceArn"] if s.Effect == "Allow"]) == "arn:aws:s3:::${aws_s3_bucket.VaultBackup_Bucket_A9564E2B.bucket}"
    && one([for s in jsondecode(aws_s3_bucket_policy.VaultBackup_AccessLogsPolicy_A08FADF1.policy).Statement : s.Condition.StringEquals["aws:SourceAccount"] if s.Effect == "Allow"]) == var.account_id)
    error_message = "The log bucket must be encrypted, private, TLS only, and written by the S3 log delivery of the snapshot bucket in ${var.account_id} only, got ${aws_s3_bucket_policy.VaultBackup_AccessLogsPolicy_A08FADF1.policy}."
  }

  # ---- Replication to the DR Region: the snapshots under the prefix, re-encrypted under the
  # replica key, into the replica bucket (both planned by aws.dr: the ARNs its mock gives), by the
  # replication role; deletions are not replicated.
  assert {
    condition = (aws_s3_bucket_replication_configuration.VaultBackup_Replication_235D2EE4.bucket == aws_s3_bucket.VaultBackup_Bucket_A9564E2B.id
      && aws_s3_bucket_replication_configuration.VaultBackup_Replication_235D2EE4.role == aws_iam_role.VaultBackup_ReplicationRole_008F90AD.arn
      && length(aws_s3_bucket_replication_configuration.VaultBackup_Replication_235D2EE4.rule) == 1
      && one(aws_s3_bucket_replication_configuration.VaultBackup_Replication_235D2EE4.rule[*].status) == "Enabled"
      && one(aws_s3_bucket_replication_configuration.VaultBackup_Replication_235D2EE4.rule[*].filter[0].prefix) == "${var.key_prefix}/"
      && one(aws_s3_bucket_replication_configuration.VaultBackup_Replication_235D2EE4.rule[*].destination[0].bucket) == aws_s3_bucket.VaultBackup_ReplicaBucket_BD153C8D.arn
      && one(aws_s3_bucket_replication_configuration.VaultBackup_Replication_235D2EE4.rule[*].destination[0].encryption_configuration[0].replica_kms_key_id) == aws_kms_key.VaultBackup_ReplicaKey_38C7A67E.arn
      && one(aws_s3_bucket_replication_configuration.VaultBackup_Replication_235D2EE4.rule[*].source_selection_criteria[0].sse_kms_encrypted_objects[0].status) == "Enabled"
    && one(aws_s3_bucket_replication_configuration.VaultBackup_Replication_235D2EE4.rule[*].delete_marker_replication[0].status) == "Disabled")
    error_message = "The snapshots under ${var.key_prefix}/ must be replicated, under the replica key, to the DR bucket by the replication role, deletions not replicated, got ${jsonencode(aws_s3_bucket_replication_configuration.VaultBackup_Replication_235D2EE4.rule)}."
  }
  assert {
    condition     = aws_s3_bucket.VaultBackup_ReplicaBucket_BD153C8D.arn == "arn:aws:s3:::mock-dr-snapshots" && startswith(aws_kms_key.VaultBackup_ReplicaKey_38C7A67E.arn, "arn:aws:kms:dr-mock-1:")
    error_message = "The replica bucket and its key must be planned by the provider aws.dr (the DR Region), got ${aws_s3_bucket.VaultBackup_ReplicaBucket_BD153C8D.arn} and ${aws_kms_key.VaultBackup_ReplicaKey_38C7A67E.arn}."
  }
  assert {
    condition = (aws_s3_bucket.VaultBackup_ReplicaBucket_BD153C8D.object_lock_enabled == true
      && aws_s3_bucket_object_lock_configuration.VaultBackup_ReplicaObjectLock_553D2274.bucket == aws_s3_bucket.VaultBackup_ReplicaBucket_BD153C8D.id
      && aws_s3_bucket_object_lock_configuration.VaultBackup_ReplicaObjectLock_553D2274.rule[0].default_retention[0].mode == "GOVERNANCE"
      && aws_s3_bucket_object_lock_configuration.VaultBackup_ReplicaObjectLock_553D2274.rule[0].default_retention[0].days == var.object_lock_days
      && aws_s3_bucket_versioning.VaultBackup_ReplicaVersioning_EE1CE2DE.bucket == aws_s3_bucket.VaultBackup_ReplicaBucket_BD153C8D.id
      && aws_s3_bucket_versioning.VaultBackup_ReplicaVersioning_EE1CE2DE.versioning_configuration[0].status == "Enabled"
      && aws_s3_bucket_server_side_encryption_configuration.VaultBackup_ReplicaEncryption_0C5158B3.bucket == aws_s3_bucket.VaultBackup_ReplicaBucket_BD153C8D.id
      && one(aws_s3_bucket_server_side_encryption_configuration.VaultBackup_ReplicaEncryption_0C5158B3.rule[*].apply_server_side_encryption_by_default[0].kms_master_key_id) == aws_kms_key.VaultBackup_ReplicaKey_38C7A67E.arn
      && aws_s3_bucket_public_access_block.VaultBackup_ReplicaPublicAccessBlock_74884E71.bucket == aws_s3_bucket.VaultBackup_ReplicaBucket_BD153C8D.id
      && aws_s3_bucket_public_access_block.VaultBackup_ReplicaPublicAccessBlock_74884E71.block_public_policy
    && aws_s3_bucket_public_access_block.VaultBackup_ReplicaPublicAccessBlock_74884E71.restrict_public_buckets)
    error_message = "The replica bucket must be locked like the snapshots (GOVERNANCE, ${var.object_lock_days} days), versioned, encrypted under the replica key and private."
  }
  assert {
    condition = (jsondecode(aws_iam_role.VaultBackup_ReplicationRole_008F90AD.assume_role_policy).Statement[*].Principal == [{ Service = "s3.amazonaws.com" }]
      && jsondecode(aws_iam_role.VaultBackup_ReplicationRole_008F90AD.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == var.account_id
      && aws_iam_role_policy.VaultBackup_ReplicationPolicy_21CBC2EE.role == aws_iam_role.VaultBackup_ReplicationRole_008F90AD.name
      && one([for s in jsondecode(aws_iam_role_policy.VaultBackup_ReplicationPolicy_21CBC2EE.policy).Statement : s.Resource if s.Sid == "ReadSnapshotVersions"]) == ["arn:aws:s3:::${aws_s3_bucket.VaultBackup_Bucket_A9564E2B.bucket}/${var.key_prefix}/*"]
      && one([for s in jsondecode(aws_iam_role_policy.VaultBackup_ReplicationPolicy_21CBC2EE.policy).Statement : s.Resource if s.Sid == "WriteReplicas"]) == ["arn:aws:s3:::${aws_s3_bucket.VaultBackup_ReplicaBucket_BD153C8D.bucket}/${var.key_prefix}/*"]
      && one([for s in jsondecode(aws_iam_role_policy.VaultBackup_ReplicationPolicy_21CBC2EE.policy).Statement : s.Resource if s.Sid == "DecryptSnapshots"]) == [aws_kms_key.VaultBackup_Key_C76824FC.arn]
      && one([for s in jsondecode(aws_iam_role_policy.VaultBackup_ReplicationPolicy_21CBC2EE.policy).Statement : s.Resource if s.Sid == "EncryptReplicas"]) == [aws_kms_key.VaultBackup_ReplicaKey_38C7A67E.arn]
      && !contains(flatten(jsondecode(aws_iam_role_policy.VaultBackup_ReplicationPolicy_21CBC2EE.policy).Statement[*].Resource), "*")
    && !anytrue([for a in flatten(jsondecode(aws_iam_role_policy.VaultBackup_ReplicationPolicy_21CBC2EE.policy).Statement[*].Action) : strcontains(a, "*") || strcontains(a, "Delete")]))
    error_message = "The replication role must be S3's of ${var.account_id}, reading the snapshots under ${var.key_prefix}/ and writing their replicas only (no delete, no \"*\"), got ${aws_iam_role_policy.VaultBackup_ReplicationPolicy_21CBC2EE.policy}."
  }

  # ---- Key: rotated, 30 days before a deletion takes effect, its alias.
  assert {
    condition     = aws_kms_key.VaultBackup_Key_C76824FC.enable_key_rotation == true && aws_kms_key.VaultBackup_Key_C76824FC.deletion_window_in_days == 30 && aws_kms_alias.VaultBackup_KeyAlias_434943B8.target_key_id == aws_kms_key.VaultBackup_Key_C76824FC.key_id
    error_message = "The snapshot key must rotate, keep a 30-day deletion window, and carry its alias."
  }
  assert {
    condition = alltrue([for key in [aws_kms_key.VaultBackup_Key_C76824FC, aws_kms_key.VaultBackup_ReplicaKey_38C7A67E] : (
      key.enable_key_rotation == true
      && one([for s in jsondecode(key.policy).Statement : s.Condition.ArnEquals["aws:PrincipalArn"] if s.Sid == "RestoreRolesDecryptThroughS3"]) == [var.break_glass_role_arn]
      && one([for s in jsondecode(key.policy).Statement : s.Action if s.Sid == "RestoreRolesDecryptThroughS3"]) == ["kms:Decrypt"]
      && alltrue([for s in jsondecode(key.policy).Statement : s.Effect == "Allow" && !contains(s.Action, "kms:*")])
    )])
    error_message = "The snapshot key and its replica must rotate and let the break-glass role ${var.break_glass_role_arn} decrypt a snapshot by hand for a restore (no kms:*)."
  }

  # ---- Role: trusted by the jobs' service account only; lists, writes and reads under the
  # prefix, uses the key through S3 of this region only; no delete, no "*".
  assert {
    condition = (jsondecode(aws_iam_role.VaultBackup_Role_7E78760B.assume_role_policy).Statement[*].Principal == [{ Federated = var.oidc_provider_arn }]
      && jsondecode(aws_iam_role.VaultBackup_Role_7E78760B.assume_role_policy).Statement[0].Action == ["sts:AssumeRoleWithWebIdentity"]
      && jsondecode(aws_iam_role.VaultBackup_Role_7E78760B.assume_role_policy).Statement[0].Condition.StringEquals["${split(":oidc-provider/", var.oidc_provider_arn)[1]}:sub"] == "system:serviceaccount:${var.service_account}"
    && jsondecode(aws_iam_role.VaultBackup_Role_7E78760B.assume_role_policy).Statement[0].Condition.StringEquals["${split(":oidc-provider/", var.oidc_provider_arn)[1]}:aud"] == data.aws_iam_openid_connect_provider.OidcProvider_A3C7D7F2.client_id_list[0])
    error_message = "Only service account ${var.service_account} may assume the backup role, through ${var.oidc_provider_arn}, got ${aws_iam_role.VaultBackup_Role_7E78760B.assume_role_policy}."
  }
  assert {
    condition = (aws_iam_role_policy.VaultBackup_RolePolicy_0B9B8507.role == aws_iam_role.VaultBackup_Role_7E78760B.name
      && one([for s in jsondecode(aws_iam_role_policy.VaultBackup_RolePolicy_0B9B8507.policy).Statement : s.Resource if s.Sid == "ListSnapshots"]) == [aws_s3_bucket.VaultBackup_Bucket_A9564E2B.arn]
      && one([for s in jsondecode(aws_iam_role_policy.VaultBackup_RolePolicy_0B9B8507.policy).Statement : s.Condition.StringLike["s3:prefix"] if s.Sid == "ListSnapshots"]) == ["${var.key_prefix}/*"]
      && one([for s in jsondecode(aws_iam_role_policy.VaultBackup_RolePolicy_0B9B8507.policy).Statement : s.Resource if s.Sid == "WriteAndReadSnapshots"]) == ["${aws_s3_bucket.VaultBackup_Bucket_A9564E2B.arn}/${var.key_prefix}/*"]
      && one([for s in jsondecode(aws_iam_role_policy.VaultBackup_RolePolicy_0B9B8507.policy).Statement : s.Resource if s.Sid == "UseSnapshotKeyThroughS3"]) == [aws_kms_key.VaultBackup_Key_C76824FC.arn]
    && one([for s in jsondecode(aws_iam_role_policy.VaultBackup_RolePolicy_0B9B8507.policy).Statement : s.Condition.StringEquals["kms:ViaService"] if s.Sid == "UseSnapshotKeyThroughS3"]) == "s3.${var.region}.amazonaws.com")
    error_message = "The backup role must be scoped to the bucket, the prefix ${var.key_prefix}/ and the snapshot key through S3 in ${var.region}, got ${aws_iam_role_policy.VaultBackup_RolePolicy_0B9B8507.policy}."
  }
  assert {
    condition     = toset(flatten(jsondecode(aws_iam_role_policy.VaultBackup_RolePolicy_0B9B8507.policy).Statement[*].Action)) == toset(["s3:ListBucket", "s3:PutObject", "s3:GetObject", "kms:GenerateDataKey", "kms:Decrypt"]) && !contains(flatten(jsondecode(aws_iam_role_policy.VaultBackup_RolePolicy_0B9B8507.policy).Statement[*].Resource), "*")
    error_message = "The backup role may list, put and get snapshots and use the key, nothing else (no delete, no \"*\")."
  }
}

# The stack's own checks fire on bad data.

run "refuses_an_oidc_provider_without_the_sts_audience" {
  command = plan

  override_data {
    target = data.aws_iam_openid_connect_provider.OidcProvider_A3C7D7F2
    values = { client_id_list = ["sigstore"] }
  }

  expect_failures = [data.aws_iam_openid_connect_provider.OidcProvider_A3C7D7F2]
}

run "refuses_another_account" {
  command = plan

  override_data {
    target = data.aws_caller_identity.AwsAccount_CEC68315
    values = { account_id = "999999999999", arn = "arn:aws:iam::999999999999:user/someone-else" }
  }

  expect_failures = [data.aws_caller_identity.AwsAccount_CEC68315]
}
