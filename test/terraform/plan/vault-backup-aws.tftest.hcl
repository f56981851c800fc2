# Plans the synthesized vault-backup-aws stack against a mocked hashicorp/aws provider (the real
# schema, from the local mirror; no credentials, no network) and asserts what the plan evaluates:
# the bucket's protections, the key, the role's policy as jsonencode rendered it, the checks.
#
# test/terraform/plan.test.ts copies this file into cdktf.out/stacks/vault-backup-aws/ and runs
# `terraform test` with -var values from the configuration under test (nothing here names the
# example's account, region or cluster):
#   account_id, region, oidc_provider_arn, service_account ("<namespace>:<name>"), key_prefix,
#   glacier_after_days, expire_after_days
# and fixture/aws.tfmock.hcl, the facts of the configured account (the caller identity).
# The backup cluster's pods use IRSA in that configuration: the OIDC provider is mocked below.

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

  # ---- Key: rotated, 30 days before a deletion takes effect, its alias.
  assert {
    condition     = aws_kms_key.VaultBackup_Key_C76824FC.enable_key_rotation == true && aws_kms_key.VaultBackup_Key_C76824FC.deletion_window_in_days == 30 && aws_kms_alias.VaultBackup_KeyAlias_434943B8.target_key_id == aws_kms_key.VaultBackup_Key_C76824FC.key_id
    error_message = "The snapshot key must rotate, keep a 30-day deletion window, and carry its alias."
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
