# Plans a synthesized <cluster>-aws stack (one per cluster whose pods use IRSA) against a mocked
# hashicorp/aws provider (the real schema, from the local mirror; no credentials, no network) and
# asserts the roles' trust and policies as the plan renders them, and the stack's checks.
#
# test/terraform/plan.test.ts copies this file into every cdktf.out/stacks/<cluster>-aws/ and runs
# `terraform test` with -var values from the configuration under test (nothing here names the
# example's account, region, cluster or zone):
#   account_id, region, cluster, oidc_provider_arn, public_zone_id, public_zone_name, backup_namespace
# and fixture/aws.tfmock.hcl, the facts of the configured account (the caller identity).
# The cluster receives AppRole secret ids (cert-manager's, the backup jobs'), so the secrets, the
# cluster's secrets key and one reader role per receiving namespace exist.

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
  target          = aws_iam_role.CertManagerDns01_A432784C
  override_during = plan
  values          = { arn = "arn:aws:iam::000000000000:role/mock-cert-manager" }
}
override_resource {
  target          = aws_iam_role.SecretIdReader-cert-manager_CD5A758D
  override_during = plan
  values          = { arn = "arn:aws:iam::000000000000:role/mock-cert-manager-secret-id" }
}
override_resource {
  target          = aws_iam_role.SecretIdReader-vault-snapshot_4B3F91BE
  override_during = plan
  values          = { arn = "arn:aws:iam::000000000000:role/mock-vault-snapshot-secret-id" }
}
override_resource {
  target          = aws_kms_key.SecretsKey_317DCF94
  override_during = plan
  values          = { arn = "arn:aws:kms:eu-central-1:000000000000:key/00000000-0000-4000-8000-0000secrets", key_id = "00000000-0000-4000-8000-0000secrets" }
}
override_resource {
  target          = aws_secretsmanager_secret.SecretId-cert-manager_82130B7B
  override_during = plan
  values          = { arn = "arn:aws:secretsmanager:eu-central-1:000000000000:secret:mock/cert-manager-AbCdEf" }
}
override_resource {
  target          = aws_secretsmanager_secret.SecretId-vault-snapshot_4053A36A
  override_during = plan
  values          = { arn = "arn:aws:secretsmanager:eu-central-1:000000000000:secret:mock/vault-snapshot-AbCdEf" }
}

run "plans_green" {
  command = plan

  # ---- cert-manager: trusted by its service account only, through the cluster's OIDC provider
  # and the audience that provider accepts.
  assert {
    condition = (jsondecode(aws_iam_role.CertManagerDns01_A432784C.assume_role_policy).Statement[*].Principal == [{ Federated = var.oidc_provider_arn }]
      && jsondecode(aws_iam_role.CertManagerDns01_A432784C.assume_role_policy).Statement[0].Action == ["sts:AssumeRoleWithWebIdentity"]
      && jsondecode(aws_iam_role.CertManagerDns01_A432784C.assume_role_policy).Statement[0].Condition.StringEquals["${split(":oidc-provider/", var.oidc_provider_arn)[1]}:sub"] == "system:serviceaccount:cert-manager:cert-manager"
    && contains(data.aws_iam_openid_connect_provider.OidcProvider_A3C7D7F2.client_id_list, jsondecode(aws_iam_role.CertManagerDns01_A432784C.assume_role_policy).Statement[0].Condition.StringEquals["${split(":oidc-provider/", var.oidc_provider_arn)[1]}:aud"]))
    error_message = "Only cert-manager's service account may assume its role, through ${var.oidc_provider_arn}, got ${aws_iam_role.CertManagerDns01_A432784C.assume_role_policy}."
  }

  # ---- Route53: TXT challenge records of the public zone only; no wildcard action.
  assert {
    condition = (aws_iam_role_policy.CertManagerDns01_Route53_83AA2A37.role == aws_iam_role.CertManagerDns01_A432784C.name
      && one([for s in jsondecode(aws_iam_role_policy.CertManagerDns01_Route53_83AA2A37.policy).Statement : s.Resource if contains(s.Action, "route53:ChangeResourceRecordSets")]) == ["arn:aws:route53:::hostedzone/${var.public_zone_id}"]
      && one([for s in jsondecode(aws_iam_role_policy.CertManagerDns01_Route53_83AA2A37.policy).Statement : s.Condition["ForAllValues:StringEquals"]["route53:ChangeResourceRecordSetsRecordTypes"] if contains(s.Action, "route53:ChangeResourceRecordSets")]) == ["TXT"]
    && one([for s in jsondecode(aws_iam_role_policy.CertManagerDns01_Route53_83AA2A37.policy).Statement : s.Condition["ForAllValues:StringLike"]["route53:ChangeResourceRecordSetsNormalizedRecordNames"] if contains(s.Action, "route53:ChangeResourceRecordSets")]) == ["_acme-challenge.${var.public_zone_name}", "_acme-challenge.*.${var.public_zone_name}"])
    error_message = "cert-manager may change TXT challenge records of zone ${var.public_zone_id} only, got ${aws_iam_role_policy.CertManagerDns01_Route53_83AA2A37.policy}."
  }
  assert {
    condition = (toset(flatten(jsondecode(aws_iam_role_policy.CertManagerDns01_Route53_83AA2A37.policy).Statement[*].Action)) == toset(["route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListResourceRecordSets"])
    && !contains(flatten(jsondecode(aws_iam_role_policy.CertManagerDns01_Route53_83AA2A37.policy).Statement[*].Resource), "*"))
    error_message = "cert-manager's Route53 policy must name its three actions and no \"*\" resource."
  }

  # ---- The secret id readers: one role per receiving namespace, trusted by that namespace's reader
  # service account only; each reads its own secret id only.
  assert {
    condition = (jsondecode(aws_iam_role.SecretIdReader-cert-manager_CD5A758D.assume_role_policy).Statement[*].Principal == [{ Federated = var.oidc_provider_arn }]
      && jsondecode(aws_iam_role.SecretIdReader-cert-manager_CD5A758D.assume_role_policy).Statement[0].Action == ["sts:AssumeRoleWithWebIdentity"]
      && jsondecode(aws_iam_role.SecretIdReader-cert-manager_CD5A758D.assume_role_policy).Statement[0].Condition.StringEquals["${split(":oidc-provider/", var.oidc_provider_arn)[1]}:sub"] == "system:serviceaccount:cert-manager:aws-secrets-reader"
    && jsondecode(aws_iam_role.SecretIdReader-cert-manager_CD5A758D.assume_role_policy).Statement[0].Condition.StringEquals["${split(":oidc-provider/", var.oidc_provider_arn)[1]}:aud"] == "sts.amazonaws.com")
    error_message = "Only the reader service account of namespace cert-manager may assume its role, got ${aws_iam_role.SecretIdReader-cert-manager_CD5A758D.assume_role_policy}."
  }
  assert {
    condition = (jsondecode(aws_iam_role.SecretIdReader-vault-snapshot_4B3F91BE.assume_role_policy).Statement[*].Principal == [{ Federated = var.oidc_provider_arn }]
      && jsondecode(aws_iam_role.SecretIdReader-vault-snapshot_4B3F91BE.assume_role_policy).Statement[0].Action == ["sts:AssumeRoleWithWebIdentity"]
      && jsondecode(aws_iam_role.SecretIdReader-vault-snapshot_4B3F91BE.assume_role_policy).Statement[0].Condition.StringEquals["${split(":oidc-provider/", var.oidc_provider_arn)[1]}:sub"] == "system:serviceaccount:${var.backup_namespace}:aws-secrets-reader"
    && jsondecode(aws_iam_role.SecretIdReader-vault-snapshot_4B3F91BE.assume_role_policy).Statement[0].Condition.StringEquals["${split(":oidc-provider/", var.oidc_provider_arn)[1]}:aud"] == "sts.amazonaws.com")
    error_message = "Only the reader service account of namespace ${var.backup_namespace} may assume its role, got ${aws_iam_role.SecretIdReader-vault-snapshot_4B3F91BE.assume_role_policy}."
  }
  assert {
    condition = (aws_iam_role_policy.SecretIdReader-cert-manager_ReadSecretId_71AFB87A.role == aws_iam_role.SecretIdReader-cert-manager_CD5A758D.name
      && one([for s in jsondecode(aws_iam_role_policy.SecretIdReader-cert-manager_ReadSecretId_71AFB87A.policy).Statement : s.Resource if s.Sid == "ReadSecretId"]) == [aws_secretsmanager_secret.SecretId-cert-manager_82130B7B.arn]
      && toset(one([for s in jsondecode(aws_iam_role_policy.SecretIdReader-cert-manager_ReadSecretId_71AFB87A.policy).Statement : s.Action if s.Sid == "ReadSecretId"])) == toset(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"])
      && one([for s in jsondecode(aws_iam_role_policy.SecretIdReader-cert-manager_ReadSecretId_71AFB87A.policy).Statement : s.Resource if s.Sid == "DecryptSecretId"]) == [aws_kms_key.SecretsKey_317DCF94.arn]
      && one([for s in jsondecode(aws_iam_role_policy.SecretIdReader-cert-manager_ReadSecretId_71AFB87A.policy).Statement : s.Action if s.Sid == "DecryptSecretId"]) == ["kms:Decrypt"]
      && one([for s in jsondecode(aws_iam_role_policy.SecretIdReader-cert-manager_ReadSecretId_71AFB87A.policy).Statement : s.Condition.StringEquals["kms:ViaService"] if s.Sid == "DecryptSecretId"]) == "secretsmanager.${var.region}.amazonaws.com"
      && one([for s in jsondecode(aws_iam_role_policy.SecretIdReader-cert-manager_ReadSecretId_71AFB87A.policy).Statement : s.Condition.StringEquals["kms:EncryptionContext:SecretARN"] if s.Sid == "DecryptSecretId"]) == aws_secretsmanager_secret.SecretId-cert-manager_82130B7B.arn
    && length(jsondecode(aws_iam_role_policy.SecretIdReader-cert-manager_ReadSecretId_71AFB87A.policy).Statement) == 2)
    error_message = "The cert-manager reader may read that secret id only, and decrypt it through Secrets Manager with the cluster's key, got ${aws_iam_role_policy.SecretIdReader-cert-manager_ReadSecretId_71AFB87A.policy}."
  }
  assert {
    condition = (aws_iam_role_policy.SecretIdReader-vault-snapshot_ReadSecretId_25632815.role == aws_iam_role.SecretIdReader-vault-snapshot_4B3F91BE.name
      && one([for s in jsondecode(aws_iam_role_policy.SecretIdReader-vault-snapshot_ReadSecretId_25632815.policy).Statement : s.Resource if s.Sid == "ReadSecretId"]) == [aws_secretsmanager_secret.SecretId-vault-snapshot_4053A36A.arn]
      && toset(one([for s in jsondecode(aws_iam_role_policy.SecretIdReader-vault-snapshot_ReadSecretId_25632815.policy).Statement : s.Action if s.Sid == "ReadSecretId"])) == toset(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"])
      && one([for s in jsondecode(aws_iam_role_policy.SecretIdReader-vault-snapshot_ReadSecretId_25632815.policy).Statement : s.Resource if s.Sid == "DecryptSecretId"]) == [aws_kms_key.SecretsKey_317DCF94.arn]
      && one([for s in jsondecode(aws_iam_role_policy.SecretIdReader-vault-snapshot_ReadSecretId_25632815.policy).Statement : s.Action if s.Sid == "DecryptSecretId"]) == ["kms:Decrypt"]
      && one([for s in jsondecode(aws_iam_role_policy.SecretIdReader-vault-snapshot_ReadSecretId_25632815.policy).Statement : s.Condition.StringEquals["kms:ViaService"] if s.Sid == "DecryptSecretId"]) == "secretsmanager.${var.region}.amazonaws.com"
      && one([for s in jsondecode(aws_iam_role_policy.SecretIdReader-vault-snapshot_ReadSecretId_25632815.policy).Statement : s.Condition.StringEquals["kms:EncryptionContext:SecretARN"] if s.Sid == "DecryptSecretId"]) == aws_secretsmanager_secret.SecretId-vault-snapshot_4053A36A.arn
    && length(jsondecode(aws_iam_role_policy.SecretIdReader-vault-snapshot_ReadSecretId_25632815.policy).Statement) == 2)
    error_message = "The vault-snapshot reader may read that secret id only, and decrypt it through Secrets Manager with the cluster's key, got ${aws_iam_role_policy.SecretIdReader-vault-snapshot_ReadSecretId_25632815.policy}."
  }
  assert {
    condition     = alltrue([for s in [aws_secretsmanager_secret.SecretId-cert-manager_82130B7B, aws_secretsmanager_secret.SecretId-vault-snapshot_4053A36A] : startswith(s.name, "gateway-pki/${var.cluster}/")])
    error_message = "The AppRole secret ids must live under gateway-pki/${var.cluster}/."
  }

  # ---- The cluster's secrets key: the AppRole secret ids are encrypted with it (not with
  # aws/secretsmanager); it rotates, the readers alone decrypt, through Secrets Manager; each
  # secret's policy denies its value to every principal but its own reader.
  assert {
    condition     = alltrue([for s in [aws_secretsmanager_secret.SecretId-cert-manager_82130B7B, aws_secretsmanager_secret.SecretId-vault-snapshot_4053A36A] : s.kms_key_id == aws_kms_key.SecretsKey_317DCF94.arn])
    error_message = "The AppRole secret ids must be encrypted with the cluster's secrets key, got ${jsonencode([for s in [aws_secretsmanager_secret.SecretId-cert-manager_82130B7B, aws_secretsmanager_secret.SecretId-vault-snapshot_4053A36A] : s.kms_key_id])}."
  }
  assert {
    condition = (aws_kms_key.SecretsKey_317DCF94.enable_key_rotation == true
      && one([for s in jsondecode(aws_kms_key.SecretsKey_317DCF94.policy).Statement : s.Principal.AWS if s.Sid == "ReadersDecryptThroughSecretsManager"]) == ["arn:aws:iam::${var.account_id}:role/${aws_iam_role.SecretIdReader-cert-manager_CD5A758D.name}", "arn:aws:iam::${var.account_id}:role/${aws_iam_role.SecretIdReader-vault-snapshot_4B3F91BE.name}"]
      && one([for s in jsondecode(aws_kms_key.SecretsKey_317DCF94.policy).Statement : s.Condition.StringEquals["kms:ViaService"] if s.Sid == "ReadersDecryptThroughSecretsManager"]) == "secretsmanager.${var.region}.amazonaws.com"
      && alltrue([for s in jsondecode(aws_kms_key.SecretsKey_317DCF94.policy).Statement : s.Effect == "Allow" && !contains(s.Action, "kms:*")])
    && alltrue([for s in jsondecode(aws_kms_key.SecretsKey_317DCF94.policy).Statement : s.Principal.AWS == "arn:aws:iam::${var.account_id}:root" if s.Sid != "ReadersDecryptThroughSecretsManager"]))
    error_message = "The secrets key must rotate, be administered by account ${var.account_id} (no kms:*) and decrypt for the two secret id readers through Secrets Manager only, got ${aws_kms_key.SecretsKey_317DCF94.policy}."
  }
  assert {
    condition = (aws_secretsmanager_secret_policy.SecretsKey_SecretId-cert-managerPolicy_69222AE7.secret_arn == aws_secretsmanager_secret.SecretId-cert-manager_82130B7B.arn && aws_secretsmanager_secret_policy.SecretsKey_SecretId-cert-managerPolicy_69222AE7.block_public_policy == true
      && one(jsondecode(aws_secretsmanager_secret_policy.SecretsKey_SecretId-cert-managerPolicy_69222AE7.policy).Statement).Effect == "Deny" && one(jsondecode(aws_secretsmanager_secret_policy.SecretsKey_SecretId-cert-managerPolicy_69222AE7.policy).Statement).Action == ["secretsmanager:GetSecretValue"]
    && one(jsondecode(aws_secretsmanager_secret_policy.SecretsKey_SecretId-cert-managerPolicy_69222AE7.policy).Statement).Condition.ArnNotEquals["aws:PrincipalArn"] == ["arn:aws:iam::${var.account_id}:role/${aws_iam_role.SecretIdReader-cert-manager_CD5A758D.name}"])
    error_message = "The policy of ${aws_secretsmanager_secret.SecretId-cert-manager_82130B7B.name} must deny its value to every principal but its own reader role, got ${aws_secretsmanager_secret_policy.SecretsKey_SecretId-cert-managerPolicy_69222AE7.policy}."
  }
  assert {
    condition = (aws_secretsmanager_secret_policy.SecretsKey_SecretId-vault-snapshotPolicy_3CFE20E0.secret_arn == aws_secretsmanager_secret.SecretId-vault-snapshot_4053A36A.arn && aws_secretsmanager_secret_policy.SecretsKey_SecretId-vault-snapshotPolicy_3CFE20E0.block_public_policy == true
      && one(jsondecode(aws_secretsmanager_secret_policy.SecretsKey_SecretId-vault-snapshotPolicy_3CFE20E0.policy).Statement).Effect == "Deny" && one(jsondecode(aws_secretsmanager_secret_policy.SecretsKey_SecretId-vault-snapshotPolicy_3CFE20E0.policy).Statement).Action == ["secretsmanager:GetSecretValue"]
    && one(jsondecode(aws_secretsmanager_secret_policy.SecretsKey_SecretId-vault-snapshotPolicy_3CFE20E0.policy).Statement).Condition.ArnNotEquals["aws:PrincipalArn"] == ["arn:aws:iam::${var.account_id}:role/${aws_iam_role.SecretIdReader-vault-snapshot_4B3F91BE.name}"])
    error_message = "The policy of ${aws_secretsmanager_secret.SecretId-vault-snapshot_4053A36A.name} must deny its value to every principal but its own reader role, got ${aws_secretsmanager_secret_policy.SecretsKey_SecretId-vault-snapshotPolicy_3CFE20E0.policy}."
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
