# Plans the synthesized vault-aws stack against a mocked hashicorp/aws provider (the real schema,
# from the local mirror; no credentials, no network) and asserts what a plan evaluates and
# `terraform validate` cannot: file() on the TLS material, for expressions over data sources,
# jsonencode of the policies, preconditions.
#
# test/terraform/plan.test.ts copies this file into cdktf.out/stacks/vault-aws/ and runs
# `terraform test`. It passes, with -var, what the configuration under test says (nothing here
# names the example's account, region, cluster or networks):
#   account_id, region, voters, ami_id, vpc_cidr, client_cidrs, private_zone_id,
#   break_glass_role_arn, audit_log_retention_days
# and writes fixture/aws.tfmock.hcl, the facts of the account the configuration describes: the
# caller identity (its account) and the VPC (an id, its CIDR). The rest of the mocked world is below:
# three private subnets in three zones, an AMI, and known ARNs for the resources whose ARNs the
# policies reference (unknown at plan time otherwise).
#
# The stack has a second configuration of the provider, aws.dr (the DR Region), for the seal key's
# replica and the alarm's forwarder there. It is mocked apart, and gives the replica key an ARN of
# its own: a replica planned by the default configuration (the primary Region) would get the
# default mock's "misplaced" ARN instead, and the assertions naming the replica's ARN would fail.
# The forwarder's addresses carry the DR Region of the configuration under test (-eunorth1).
#
# Resource addresses are CDKTF's: construct path plus hash, stable while the construct ids are
# (lib/terraform/vault-cluster/vault-cluster.ts); the one per client CIDR is numbered from 0.

mock_provider "aws" {
  source          = "./fixture"
  override_during = plan

  mock_data "aws_subnets" {
    defaults = {
      ids = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"]
    }
  }

  mock_data "aws_ami" {
    defaults = {
      id                  = "ami-0f1e2d3c4b5a69788"
      architecture        = "x86_64"
      name                = "al2023-ami-2023.9.20251208.0-kernel-6.1-x86_64"
      root_device_type    = "ebs"
      virtualization_type = "hvm"
    }
  }

  # A replica key planned here, in the primary Region, instead of by aws.dr: an ARN the
  # replica's assertion refuses (rather than an unknown one, which would stop the run).
  mock_resource "aws_kms_replica_key" {
    defaults = {
      arn    = "arn:aws:kms:xx-misplaced-1:000000000000:key/mrk-000000000000400080000misplaced"
      key_id = "mrk-000000000000400080000misplaced"
    }
  }
}

mock_provider "aws" {
  alias           = "dr"
  source          = "./fixture"
  override_during = plan

  mock_resource "aws_kms_replica_key" {
    defaults = {
      arn    = "arn:aws:kms:dr-mock-1:000000000000:key/mrk-00000000000040008000seal0replica"
      key_id = "mrk-00000000000040008000seal0replica"
    }
  }
}

# One subnet per zone (the subnet data source is read once per subnet id, keyed by it).
override_data {
  target = data.aws_subnet.VaultCluster_SubnetZones_A399AC4F["subnet-0a1b2c3d4e5f60001"]
  values = { availability_zone = "eu-central-1a" }
}
override_data {
  target = data.aws_subnet.VaultCluster_SubnetZones_A399AC4F["subnet-0a1b2c3d4e5f60002"]
  values = { availability_zone = "eu-central-1b" }
}
override_data {
  target = data.aws_subnet.VaultCluster_SubnetZones_A399AC4F["subnet-0a1b2c3d4e5f60003"]
  values = { availability_zone = "eu-central-1c" }
}

# Known, distinct ARNs and ids for what the policies and references use.
override_resource {
  target          = aws_iam_role.VaultCluster_NodeRole_FF1CF9DE
  override_during = plan
  values = { arn = "arn:aws:iam::000000000000:role/mock-node", id = "mock-node", name = "mock-node" }
}
override_resource {
  target          = aws_iam_instance_profile.VaultCluster_NodeProfile_B3A760FD
  override_during = plan
  values = { arn = "arn:aws:iam::000000000000:instance-profile/mock-node" }
}
override_resource {
  target          = aws_kms_key.VaultCluster_SealKey_11C3384E
  override_during = plan
  values = { arn = "arn:aws:kms:eu-central-1:000000000000:key/00000000-0000-4000-8000-00000000seal", key_id = "00000000-0000-4000-8000-00000000seal" }
}
override_resource {
  target          = aws_kms_key.VaultCluster_SecretsKey_6BD12447
  override_during = plan
  values = { arn = "arn:aws:kms:eu-central-1:000000000000:key/00000000-0000-4000-8000-0000secrets", key_id = "00000000-0000-4000-8000-0000secrets" }
}
override_resource {
  target          = aws_kms_key.VaultCluster_AuditLog_Key_28BAC281
  override_during = plan
  values = { arn = "arn:aws:kms:eu-central-1:000000000000:key/00000000-0000-4000-8000-000000audit", key_id = "00000000-0000-4000-8000-000000audit" }
}
override_resource {
  target          = aws_kms_key.VaultCluster_SealKeyAlarm_TopicKey_B6722B03
  override_during = plan
  values = { arn = "arn:aws:kms:eu-central-1:000000000000:key/00000000-0000-4000-8000-000000alarm", key_id = "00000000-0000-4000-8000-000000alarm" }
}
override_resource {
  target          = aws_sns_topic.VaultCluster_SealKeyAlarm_Topic_49BF26B0
  override_during = plan
  values = { arn = "arn:aws:sns:eu-central-1:000000000000:mock-seal-key-alarm" }
}
override_resource {
  target          = aws_cloudwatch_event_rule.VaultCluster_SealKeyAlarm_Rule_EF47C66E
  override_during = plan
  values = { arn = "arn:aws:events:eu-central-1:000000000000:rule/mock-seal-key-destruction" }
}
override_resource {
  target          = aws_secretsmanager_secret.VaultCluster_TlsCertificate_6BE86B3D
  override_during = plan
  values = { arn = "arn:aws:secretsmanager:eu-central-1:000000000000:secret:mock/certificate-AbCdEf", id = "mock/certificate" }
}
override_resource {
  target          = aws_secretsmanager_secret.VaultCluster_TlsKey_152471EC
  override_during = plan
  values = { arn = "arn:aws:secretsmanager:eu-central-1:000000000000:secret:mock/key-AbCdEf", id = "mock/key" }
}
override_resource {
  target          = aws_secretsmanager_secret.VaultCluster_TlsCaChain_0EEAE2A0
  override_during = plan
  values = { arn = "arn:aws:secretsmanager:eu-central-1:000000000000:secret:mock/ca-chain-AbCdEf", id = "mock/ca-chain" }
}
override_resource {
  target          = aws_security_group.VaultCluster_NodeSecurityGroup_E4892E60
  override_during = plan
  values = { id = "sg-0000000000000node" }
}
override_resource {
  target          = aws_security_group.VaultCluster_LoadBalancerSecurityGroup_36B5E514
  override_during = plan
  values = { id = "sg-00000000000000lb" }
}
override_resource {
  target          = aws_lb.VaultCluster_LoadBalancer_82E0C021
  override_during = plan
  values = {
    arn      = "arn:aws:elasticloadbalancing:eu-central-1:000000000000:loadbalancer/net/mock-api/0123456789abcdef"
    dns_name = "mock-api-0123456789abcdef.elb.eu-central-1.amazonaws.com"
    zone_id  = "Z3F0SRJ5LGBH90"
  }
}
override_resource {
  target          = aws_lb_target_group.VaultCluster_TargetGroup_E3222F4C
  override_during = plan
  values = { arn = "arn:aws:elasticloadbalancing:eu-central-1:000000000000:targetgroup/mock-8200/0123456789abcdef" }
}
override_resource {
  target          = aws_launch_template.VaultCluster_LaunchTemplate_7281F87F
  override_during = plan
  values = { id = "lt-0123456789abcdef0", latest_version = 1 }
}

run "plans_green" {
  command = plan

  # ---- Launch template: IMDSv2 only, one hop (containers on the node cannot reach it), the AMI
  # the filter found, encrypted volumes, the instance profile of the node role.
  assert {
    condition = (aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.metadata_options[0].http_tokens == "required"
      && aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.metadata_options[0].http_endpoint == "enabled"
    && aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.metadata_options[0].http_put_response_hop_limit == 1)
    error_message = "IMDSv2 must be required with a hop limit of 1, got ${jsonencode(aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.metadata_options)}."
  }
  assert {
    condition     = aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.image_id == var.ami_id
    error_message = "The launch template must boot the pinned AMI (vaultCluster.ami.id), got ${aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.image_id}."
  }
  assert {
    condition     = length(aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.block_device_mappings) > 0 && alltrue([for d in aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.block_device_mappings : d.ebs[0].encrypted == "true"])
    error_message = "Every volume of the nodes must be encrypted."
  }
  assert {
    condition     = aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.iam_instance_profile[0].arn == aws_iam_instance_profile.VaultCluster_NodeProfile_B3A760FD.arn && aws_iam_instance_profile.VaultCluster_NodeProfile_B3A760FD.role == aws_iam_role.VaultCluster_NodeRole_FF1CF9DE.name
    error_message = "The nodes must run with the node role's instance profile."
  }
  assert {
    condition     = aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.vpc_security_group_ids == toset([aws_security_group.VaultCluster_NodeSecurityGroup_E4892E60.id])
    error_message = "The nodes must be in the node security group only."
  }
  assert {
    condition     = aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.update_default_version == true
    error_message = "Each change of the launch template must become its default version."
  }

  # ---- Auto Scaling group: one node per voter, in the three subnets, replaced on ELB health,
  # refreshed one node more, then one less.
  assert {
    condition = (aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.min_size == var.voters
      && aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.max_size == var.voters
    && aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.desired_capacity == var.voters)
    error_message = "The group must hold exactly ${var.voters} nodes (the voters)."
  }
  assert {
    condition     = aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.vpc_zone_identifier == toset(data.aws_subnets.VaultCluster_Subnets_33B97DFB.ids) && aws_lb.VaultCluster_LoadBalancer_82E0C021.subnets == toset(data.aws_subnets.VaultCluster_Subnets_33B97DFB.ids)
    error_message = "The nodes and the load balancer must use the subnets the lookup found."
  }
  assert {
    condition     = aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.health_check_type == "ELB" && aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.target_group_arns == toset([aws_lb_target_group.VaultCluster_TargetGroup_E3222F4C.arn])
    error_message = "The group must register its nodes in the API target group and replace them on its health checks."
  }
  assert {
    condition = (aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.instance_refresh[0].strategy == "Rolling"
      && aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.instance_refresh[0].preferences[0].min_healthy_percentage == 100
    && aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.instance_refresh[0].preferences[0].max_healthy_percentage > 100)
    error_message = "An instance refresh must launch a node before terminating one (min healthy 100%, max above), got ${jsonencode(aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.instance_refresh)}."
  }

  # ---- Rolling updates, health gate, on-demand voters (issue #17).
  assert {
    condition     = aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.mixed_instances_policy[0].launch_template[0].launch_template_specification[0].launch_template_id == aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.id && aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.mixed_instances_policy[0].launch_template[0].launch_template_specification[0].version == tostring(aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.latest_version)
    error_message = "The group must launch the stack's launch template at its latest_version (a numbered version: $Latest starts no refresh and cannot roll back), got ${jsonencode(aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.mixed_instances_policy[0].launch_template[0].launch_template_specification)}."
  }
  assert {
    condition = (aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.instance_refresh[0].strategy == "Rolling"
      && aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.instance_refresh[0].preferences[0].auto_rollback == true
      && aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.instance_refresh[0].preferences[0].min_healthy_percentage == 100
    && length(aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.instance_refresh[0].preferences[0].checkpoint_percentages) == var.voters)
    error_message = "The refresh must roll one node at a time (100 % healthy, one checkpoint per voter) and roll back on failure, got ${jsonencode(aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.instance_refresh)}."
  }
  assert {
    condition = (aws_lb_target_group.VaultCluster_TargetGroup_E3222F4C.health_check[0].path == "/v1/sys/health?standbyok=true&perfstandbyok=true"
    && aws_lb_target_group.VaultCluster_TargetGroup_E3222F4C.health_check[0].matcher == "200")
    error_message = "The health check must count only initialised, unsealed nodes healthy (standbyok, perfstandbyok, matcher 200), got ${jsonencode(aws_lb_target_group.VaultCluster_TargetGroup_E3222F4C.health_check)}."
  }
  assert {
    condition     = aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.mixed_instances_policy[0].instances_distribution[0].on_demand_base_capacity == var.voters && aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.mixed_instances_policy[0].instances_distribution[0].on_demand_percentage_above_base_capacity == 100
    error_message = "Every voter must be on demand by default (spot is an opt-in), got ${jsonencode(aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.mixed_instances_policy[0].instances_distribution)}."
  }
  assert {
    condition = (length(aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.initial_lifecycle_hook) == 1
      && one(aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.initial_lifecycle_hook[*].lifecycle_transition) == "autoscaling:EC2_INSTANCE_LAUNCHING"
    && one(aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.initial_lifecycle_hook[*].default_result) == "ABANDON")
    error_message = "A launching node must enter service only when its boot script completes the lifecycle hook (ABANDON otherwise)."
  }

  # ---- Load balancer: internal, TCP to HTTPS health checks on the API port, deletion protected.
  assert {
    condition = (aws_lb.VaultCluster_LoadBalancer_82E0C021.internal == true
      && aws_lb.VaultCluster_LoadBalancer_82E0C021.load_balancer_type == "network"
      && aws_lb.VaultCluster_LoadBalancer_82E0C021.enable_deletion_protection == true
    && aws_lb.VaultCluster_LoadBalancer_82E0C021.security_groups == toset([aws_security_group.VaultCluster_LoadBalancerSecurityGroup_36B5E514.id]))
    error_message = "The load balancer must be internal, of type network, deletion protected, in its own security group."
  }
  assert {
    condition = (aws_lb_target_group.VaultCluster_TargetGroup_E3222F4C.port == 8200
      && aws_lb_target_group.VaultCluster_TargetGroup_E3222F4C.protocol == "TCP"
      && aws_lb_target_group.VaultCluster_TargetGroup_E3222F4C.health_check[0].enabled == true
    && aws_lb_target_group.VaultCluster_TargetGroup_E3222F4C.health_check[0].protocol == "HTTPS")
    error_message = "The target group must forward TCP to 8200 and check health over HTTPS."
  }
  assert {
    condition     = aws_lb_listener.VaultCluster_Listener_0856509D.load_balancer_arn == aws_lb.VaultCluster_LoadBalancer_82E0C021.arn && aws_lb_listener.VaultCluster_Listener_0856509D.default_action[0].target_group_arn == aws_lb_target_group.VaultCluster_TargetGroup_E3222F4C.arn
    error_message = "The listener must forward the load balancer's traffic to the API target group."
  }
  assert {
    condition     = aws_route53_record.VaultCluster_ApiRecord_C3F078DE.zone_id == var.private_zone_id && aws_route53_record.VaultCluster_ApiRecord_C3F078DE.alias[0].name == aws_lb.VaultCluster_LoadBalancer_82E0C021.dns_name && aws_route53_record.VaultCluster_ApiRecord_C3F078DE.alias[0].zone_id == aws_lb.VaultCluster_LoadBalancer_82E0C021.zone_id
    error_message = "The API name must be an alias of the load balancer in the private zone ${var.private_zone_id}."
  }

  # ---- Seal key: rotated, multi-Region; its policy names the account's root for administration
  # (no kms:*), the node role for DescribeKey/Encrypt/Decrypt, and denies everyone but the
  # break-glass role the calls that destroy it or lock the account out of it.
  assert {
    condition     = aws_kms_key.VaultCluster_SealKey_11C3384E.enable_key_rotation == true && aws_kms_key.VaultCluster_SealKey_11C3384E.multi_region == true
    error_message = "The seal key must rotate and be multi-Region (its replica unseals a restore in the DR Region), got rotation ${aws_kms_key.VaultCluster_SealKey_11C3384E.enable_key_rotation}, multi_region ${aws_kms_key.VaultCluster_SealKey_11C3384E.multi_region}."
  }
  assert {
    condition = (toset([for s in jsondecode(aws_kms_key.VaultCluster_SealKey_11C3384E.policy).Statement : s.Sid if s.Effect == "Allow"]) == toset(["AccountAdministersTheKey", "NodesUnseal"])
      && alltrue([for s in jsondecode(aws_kms_key.VaultCluster_SealKey_11C3384E.policy).Statement : !contains(s.Action, "kms:*")])
      && one([for s in jsondecode(aws_kms_key.VaultCluster_SealKey_11C3384E.policy).Statement : s.Principal.AWS if s.Sid == "AccountAdministersTheKey"]) == "arn:aws:iam::${var.account_id}:root"
      && one([for s in jsondecode(aws_kms_key.VaultCluster_SealKey_11C3384E.policy).Statement : s.Principal.AWS if s.Sid == "NodesUnseal"]) == aws_iam_role.VaultCluster_NodeRole_FF1CF9DE.arn
    && toset(one([for s in jsondecode(aws_kms_key.VaultCluster_SealKey_11C3384E.policy).Statement : s.Action if s.Sid == "NodesUnseal"])) == toset(["kms:DescribeKey", "kms:Encrypt", "kms:Decrypt"]))
    error_message = "The seal key policy must let account ${var.account_id} administer the key (no kms:*) and the node role only unseal, got ${aws_kms_key.VaultCluster_SealKey_11C3384E.policy}."
  }
  assert {
    condition = (length([for s in jsondecode(aws_kms_key.VaultCluster_SealKey_11C3384E.policy).Statement : s if s.Effect == "Deny"]) == 1
      && one([for s in jsondecode(aws_kms_key.VaultCluster_SealKey_11C3384E.policy).Statement : s.Principal if s.Effect == "Deny"]) == { AWS = "*" }
      && toset(one([for s in jsondecode(aws_kms_key.VaultCluster_SealKey_11C3384E.policy).Statement : s.Action if s.Effect == "Deny"])) == toset(["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"])
      && one([for s in jsondecode(aws_kms_key.VaultCluster_SealKey_11C3384E.policy).Statement : s.Resource if s.Effect == "Deny"]) == ["*"]
    && flatten([one([for s in jsondecode(aws_kms_key.VaultCluster_SealKey_11C3384E.policy).Statement : s.Condition.ArnNotEquals["aws:PrincipalArn"] if s.Effect == "Deny"])]) == [var.break_glass_role_arn])
    error_message = "The seal key policy must deny ScheduleKeyDeletion, DisableKey and PutKeyPolicy to every principal but the break-glass role ${var.break_glass_role_arn}, got ${aws_kms_key.VaultCluster_SealKey_11C3384E.policy}."
  }

  # ---- Its replica, in the DR Region (planned by the aws.dr configuration: the ARN its mock
  # gives), of this key, under the same policy; both keep their alias.
  assert {
    condition = (startswith(aws_kms_replica_key.VaultCluster_SealKeyReplica_D15ACC8C.arn, "arn:aws:kms:dr-mock-1:")
      && aws_kms_replica_key.VaultCluster_SealKeyReplica_D15ACC8C.primary_key_arn == aws_kms_key.VaultCluster_SealKey_11C3384E.arn
    && aws_kms_alias.VaultCluster_SealKeyReplicaAlias_7AA73AE5.target_key_id == aws_kms_replica_key.VaultCluster_SealKeyReplica_D15ACC8C.key_id)
    error_message = "The seal key must have a replica, planned by the provider aws.dr (the DR Region), with its alias there, got ${aws_kms_replica_key.VaultCluster_SealKeyReplica_D15ACC8C.arn} of ${aws_kms_replica_key.VaultCluster_SealKeyReplica_D15ACC8C.primary_key_arn}."
  }
  assert {
    condition     = jsondecode(aws_kms_replica_key.VaultCluster_SealKeyReplica_D15ACC8C.policy) == jsondecode(aws_kms_key.VaultCluster_SealKey_11C3384E.policy) && aws_kms_alias.VaultCluster_SealKeyAlias_13D9D723.target_key_id == aws_kms_key.VaultCluster_SealKey_11C3384E.key_id
    error_message = "The seal key's replica must carry the seal key's policy (the break-glass deny included), got ${aws_kms_replica_key.VaultCluster_SealKeyReplica_D15ACC8C.policy}."
  }

  # ---- The alarm: calls that destroy either key reach an encrypted SNS topic; the DR Region's
  # events are forwarded to this Region's default bus.
  assert {
    condition = (toset(jsondecode(aws_cloudwatch_event_rule.VaultCluster_SealKeyAlarm_Rule_EF47C66E.event_pattern).detail.eventName) == toset(["ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy"])
      && toset(jsondecode(aws_cloudwatch_event_rule.VaultCluster_SealKeyAlarm_Rule_EF47C66E.event_pattern).detail.resources.ARN) == toset([aws_kms_key.VaultCluster_SealKey_11C3384E.arn, aws_kms_replica_key.VaultCluster_SealKeyReplica_D15ACC8C.arn])
      && aws_cloudwatch_event_target.VaultCluster_SealKeyAlarm_ToTopic_8019E67B.rule == aws_cloudwatch_event_rule.VaultCluster_SealKeyAlarm_Rule_EF47C66E.name
      && aws_cloudwatch_event_target.VaultCluster_SealKeyAlarm_ToTopic_8019E67B.arn == aws_sns_topic.VaultCluster_SealKeyAlarm_Topic_49BF26B0.arn
      && aws_sns_topic.VaultCluster_SealKeyAlarm_Topic_49BF26B0.kms_master_key_id == aws_kms_key.VaultCluster_SealKeyAlarm_TopicKey_B6722B03.arn
    && one(jsondecode(aws_sns_topic_policy.VaultCluster_SealKeyAlarm_TopicPolicy_9B22215B.policy).Statement[*].Condition.ArnEquals["aws:SourceArn"]) == aws_cloudwatch_event_rule.VaultCluster_SealKeyAlarm_Rule_EF47C66E.arn)
    error_message = "ScheduleKeyDeletion, DisableKey and PutKeyPolicy on the seal key or its replica must alarm on the KMS-encrypted topic, published by that rule only, got ${aws_cloudwatch_event_rule.VaultCluster_SealKeyAlarm_Rule_EF47C66E.event_pattern}."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.VaultCluster_SealKeyAlarm_Rule-eunorth1_DF6EADB0.event_pattern) == jsondecode(aws_cloudwatch_event_rule.VaultCluster_SealKeyAlarm_Rule_EF47C66E.event_pattern) && aws_cloudwatch_event_target.VaultCluster_SealKeyAlarm_ToPrimaryBus-eunorth1_84A27C8D.arn == "arn:aws:events:${var.region}:${var.account_id}:event-bus/default"
    error_message = "The DR Region's KMS events on the seal key must be forwarded to the default event bus of ${var.region}."
  }

  # ---- Node role: unseal with this key, auto-join, read the three TLS secrets; "*" only where no
  # resource type exists (ec2:DescribeInstances).
  assert {
    condition = (one([for s in jsondecode(aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy).Statement : s.Resource if s.Sid == "AutoUnseal"]) == [aws_kms_key.VaultCluster_SealKey_11C3384E.arn]
      && toset(one([for s in jsondecode(aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy).Statement : s.Resource if s.Sid == "TlsMaterial"])) == toset([aws_secretsmanager_secret.VaultCluster_TlsCertificate_6BE86B3D.arn, aws_secretsmanager_secret.VaultCluster_TlsKey_152471EC.arn, aws_secretsmanager_secret.VaultCluster_TlsCaChain_0EEAE2A0.arn])
      && [for s in jsondecode(aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy).Statement : s.Action if contains(s.Resource, "*")] == [["ec2:DescribeInstances"]]
    && alltrue([for s in jsondecode(aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy).Statement : alltrue([for a in s.Action : !strcontains(a, "*")])]))
    error_message = "The node policy must be scoped to the seal key and the three TLS secrets, with \"*\" only for ec2:DescribeInstances, got ${aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy}."
  }
  assert {
    condition     = aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.role == aws_iam_role.VaultCluster_NodeRole_FF1CF9DE.id && jsondecode(aws_iam_role.VaultCluster_NodeRole_FF1CF9DE.assume_role_policy).Statement[*].Principal == [{ Service = "ec2.amazonaws.com" }]
    error_message = "The node role must be assumable by EC2 only, and carry the node policy."
  }
  assert {
    condition = (one([for s in jsondecode(aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy).Statement : s.Resource if s.Sid == "LaunchHook"]) == ["arn:aws:autoscaling:${var.region}:${var.account_id}:autoScalingGroup:*:autoScalingGroupName/${aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.name}"]
    && [for s in jsondecode(aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy).Statement : s.Action if anytrue([for a in s.Action : startswith(a, "autoscaling:")])] == [["autoscaling:CompleteLifecycleAction"]])
    error_message = "The nodes may complete the launch hook of their own group (${aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7.name}, in ${var.region} and ${var.account_id}) only, got ${aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy}."
  }
  assert {
    condition = (one([for s in jsondecode(aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy).Statement : s.Resource if s.Sid == "TlsMaterialKey"]) == [aws_kms_key.VaultCluster_SecretsKey_6BD12447.arn]
      && one([for s in jsondecode(aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy).Statement : s.Action if s.Sid == "TlsMaterialKey"]) == ["kms:Decrypt"]
    && one([for s in jsondecode(aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy).Statement : s.Condition.StringEquals["kms:ViaService"] if s.Sid == "TlsMaterialKey"]) == "secretsmanager.${var.region}.amazonaws.com")
    error_message = "The nodes may decrypt with the secrets key through Secrets Manager in ${var.region} only, got ${aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy}."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy).Statement : s.Resource if s.Sid == "AuditLogShipping"]) == ["arn:aws:logs:${var.region}:${var.account_id}:log-group:${aws_cloudwatch_log_group.VaultCluster_AuditLog_F1579A1A.name}:*"]
    error_message = "The nodes may write to the audit log group's streams only, got ${aws_iam_role_policy.VaultCluster_NodePolicy_1281ACFD.policy}."
  }

  # ---- Audit trail: the log group and the nodes' audit volume under the audit key, the group
  # kept as configured.
  assert {
    condition = (aws_cloudwatch_log_group.VaultCluster_AuditLog_F1579A1A.kms_key_id == aws_kms_key.VaultCluster_AuditLog_Key_28BAC281.arn
      && aws_cloudwatch_log_group.VaultCluster_AuditLog_F1579A1A.retention_in_days == var.audit_log_retention_days
    && aws_kms_key.VaultCluster_AuditLog_Key_28BAC281.enable_key_rotation == true)
    error_message = "The audit log group must be encrypted with the rotated audit key and kept ${var.audit_log_retention_days} days, got key ${aws_cloudwatch_log_group.VaultCluster_AuditLog_F1579A1A.kms_key_id}, ${aws_cloudwatch_log_group.VaultCluster_AuditLog_F1579A1A.retention_in_days} days."
  }
  assert {
    condition = (one([for s in jsondecode(aws_kms_key.VaultCluster_AuditLog_Key_28BAC281.policy).Statement : s.Principal.Service if s.Sid == "CloudWatchLogsEncryptsTheAuditLogGroup"]) == "logs.${var.region}.amazonaws.com"
    && one([for s in jsondecode(aws_kms_key.VaultCluster_AuditLog_Key_28BAC281.policy).Statement : s.Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"] if s.Sid == "CloudWatchLogsEncryptsTheAuditLogGroup"]) == "arn:aws:logs:${var.region}:${var.account_id}:log-group:${aws_cloudwatch_log_group.VaultCluster_AuditLog_F1579A1A.name}")
    error_message = "The audit key may be used by CloudWatch Logs of ${var.region} for the audit log group only, got ${aws_kms_key.VaultCluster_AuditLog_Key_28BAC281.policy}."
  }
  assert {
    condition     = length([for d in aws_launch_template.VaultCluster_LaunchTemplate_7281F87F.block_device_mappings : d if d.ebs[0].kms_key_id == aws_kms_key.VaultCluster_AuditLog_Key_28BAC281.arn]) == 1
    error_message = "One volume of each node, the audit volume, must be encrypted with the audit key."
  }

  # ---- TLS material: file() read the test PKI's files at plan time (a missing file fails the
  # plan); the values themselves are write-only, so the plan and state never hold them.
  assert {
    condition = alltrue([for v in [aws_secretsmanager_secret_version.VaultCluster_TlsCertificateValue_303D78F3, aws_secretsmanager_secret_version.VaultCluster_TlsKeyValue_CA7905F1, aws_secretsmanager_secret_version.VaultCluster_TlsCaChainValue_9918042A] : v.secret_string == null && v.secret_string_wo_version >= 1])
    error_message = "The TLS secrets must be written through write-only arguments only."
  }
  assert {
    condition     = aws_secretsmanager_secret_version.VaultCluster_TlsKeyValue_CA7905F1.secret_id == aws_secretsmanager_secret.VaultCluster_TlsKey_152471EC.id
    error_message = "The key's value must go into the key's secret."
  }
  assert {
    condition = (alltrue([for secret in [aws_secretsmanager_secret.VaultCluster_TlsCertificate_6BE86B3D, aws_secretsmanager_secret.VaultCluster_TlsKey_152471EC, aws_secretsmanager_secret.VaultCluster_TlsCaChain_0EEAE2A0] : secret.kms_key_id == aws_kms_key.VaultCluster_SecretsKey_6BD12447.arn])
    && aws_kms_key.VaultCluster_SecretsKey_6BD12447.enable_key_rotation == true)
    error_message = "The TLS secrets must be encrypted with the stack's rotated secrets key, not aws/secretsmanager."
  }
  assert {
    condition = (toset([for p in [aws_secretsmanager_secret_policy.VaultCluster_SecretsKey_TlsCertificatePolicy_55824E16, aws_secretsmanager_secret_policy.VaultCluster_SecretsKey_TlsKeyPolicy_563ACFAB, aws_secretsmanager_secret_policy.VaultCluster_SecretsKey_TlsCaChainPolicy_E0011407] : p.secret_arn]) == toset([aws_secretsmanager_secret.VaultCluster_TlsCertificate_6BE86B3D.arn, aws_secretsmanager_secret.VaultCluster_TlsKey_152471EC.arn, aws_secretsmanager_secret.VaultCluster_TlsCaChain_0EEAE2A0.arn])
      && alltrue([for p in [aws_secretsmanager_secret_policy.VaultCluster_SecretsKey_TlsCertificatePolicy_55824E16, aws_secretsmanager_secret_policy.VaultCluster_SecretsKey_TlsKeyPolicy_563ACFAB, aws_secretsmanager_secret_policy.VaultCluster_SecretsKey_TlsCaChainPolicy_E0011407] : p.block_public_policy == true && one(jsondecode(p.policy).Statement).Effect == "Deny" && one(jsondecode(p.policy).Statement).Action == ["secretsmanager:GetSecretValue"] && toset(one(jsondecode(p.policy).Statement).Condition.ArnNotEquals["aws:PrincipalArn"]) == toset([aws_iam_role.VaultCluster_NodeRole_FF1CF9DE.arn, data.aws_iam_session_context.VaultCluster_CallerRole_EA36B5BC.issuer_arn])])
    && toset(one([for s in jsondecode(aws_kms_key.VaultCluster_SecretsKey_6BD12447.policy).Statement : s.Principal.AWS if s.Sid == "ReadersDecryptThroughSecretsManager"])) == toset([aws_iam_role.VaultCluster_NodeRole_FF1CF9DE.arn, data.aws_iam_session_context.VaultCluster_CallerRole_EA36B5BC.issuer_arn]))
    error_message = "Each TLS secret's policy must deny its value to all but the node role and the applying role, who alone may decrypt with the secrets key."
  }

  # ---- Network: no ingress from 0.0.0.0/0; the API from the VPC and the VPN only.
  assert {
    condition = alltrue([for r in [
      aws_vpc_security_group_ingress_rule.VaultCluster_LbApiFromVpc_A0B0081D,
      aws_vpc_security_group_ingress_rule.VaultCluster_NodeApiFromVpc_AFC609E9,
      aws_vpc_security_group_ingress_rule.VaultCluster_LbApiFromClientCidr0_377E8351,
      aws_vpc_security_group_ingress_rule.VaultCluster_NodeApiFromClientCidr0_D3442B88,
      aws_vpc_security_group_ingress_rule.VaultCluster_NodeApiFromLb_68D92C08,
      aws_vpc_security_group_ingress_rule.VaultCluster_NodeFromNodes8200_CD353E78,
      aws_vpc_security_group_ingress_rule.VaultCluster_NodeFromNodes8201_54F89FA5,
    ] : r.cidr_ipv4 != "0.0.0.0/0" && r.cidr_ipv6 != "::/0"])
    error_message = "No ingress rule may admit the whole Internet."
  }
  assert {
    condition = (aws_vpc_security_group_ingress_rule.VaultCluster_NodeApiFromVpc_AFC609E9.cidr_ipv4 == var.vpc_cidr
      && aws_vpc_security_group_ingress_rule.VaultCluster_LbApiFromVpc_A0B0081D.cidr_ipv4 == var.vpc_cidr
      && aws_vpc_security_group_ingress_rule.VaultCluster_NodeApiFromClientCidr0_D3442B88.cidr_ipv4 == var.client_cidrs[0]
    && aws_vpc_security_group_ingress_rule.VaultCluster_NodeApiFromLb_68D92C08.referenced_security_group_id == aws_security_group.VaultCluster_LoadBalancerSecurityGroup_36B5E514.id)
    error_message = "The API must be open to the VPC (${var.vpc_cidr}), the VPN and the load balancer."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.VaultCluster_NodeFromNodes8201_54F89FA5.referenced_security_group_id == aws_security_group.VaultCluster_NodeSecurityGroup_E4892E60.id && aws_vpc_security_group_ingress_rule.VaultCluster_NodeFromNodes8201_54F89FA5.security_group_id == aws_security_group.VaultCluster_NodeSecurityGroup_E4892E60.id
    error_message = "The cluster port must be open between nodes only."
  }
}

# The stack's own checks fire on bad data.

run "refuses_subnets_in_two_zones" {
  command = plan

  override_data {
    target = data.aws_subnet.VaultCluster_SubnetZones_A399AC4F["subnet-0a1b2c3d4e5f60003"]
    values = { availability_zone = "eu-central-1b" }
  }

  expect_failures = [aws_autoscaling_group.VaultCluster_AutoScalingGroup_B28637E7]
}

run "refuses_another_account" {
  command = plan

  override_data {
    target = data.aws_caller_identity.AwsAccount_CEC68315
    values = { account_id = "999999999999", arn = "arn:aws:iam::999999999999:user/someone-else" }
  }

  expect_failures = [data.aws_caller_identity.AwsAccount_CEC68315]
}

# The pinned image is looked up at plan time: one of another architecture, or one that is not an
# EBS-backed HVM image, stops the plan before any node is replaced with it.
run "refuses_an_image_of_another_architecture" {
  command = plan

  override_data {
    target = data.aws_ami.VaultCluster_Ami_60E34222
    values = { architecture = "arm64", root_device_type = "ebs", virtualization_type = "hvm" }
  }

  expect_failures = [aws_launch_template.VaultCluster_LaunchTemplate_7281F87F]
}

run "refuses_an_instance_store_image" {
  command = plan

  override_data {
    target = data.aws_ami.VaultCluster_Ami_60E34222
    values = { architecture = "x86_64", root_device_type = "instance-store", virtualization_type = "hvm" }
  }

  expect_failures = [aws_launch_template.VaultCluster_LaunchTemplate_7281F87F]
}
