# Plans the module with its defaults against a mocked AWS provider and checks the promises.

mock_provider "aws" {
  override_data {
    target = data.aws_region.current
    values = { id = "eu-central-1" }
  }

  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "111111111111" }
  }

  override_data {
    target = data.aws_partition.current
    values = { partition = "aws" }
  }

  # Known during plan, so the bucket policies can be asserted.
  override_resource {
    target          = aws_s3_bucket.state
    override_during = plan
    values          = { arn = "arn:aws:s3:::infra-state-111111111111-eu-central-1", id = "infra-state-111111111111-eu-central-1" }
  }

  override_resource {
    target          = aws_s3_bucket.audit
    override_during = plan
    values          = { arn = "arn:aws:s3:::infra-audit-111111111111-eu-central-1", id = "infra-audit-111111111111-eu-central-1" }
  }

  override_resource {
    target          = module.audit_key.aws_kms_key.this
    override_during = plan
    values          = { arn = "arn:aws:kms:eu-central-1:111111111111:key/11111111-1111-1111-1111-111111111111" }
  }

  override_resource {
    target          = module.ebs_default_key.aws_kms_key.this
    override_during = plan
    values          = { arn = "arn:aws:kms:eu-central-1:111111111111:key/22222222-2222-2222-2222-222222222222" }
  }

  override_resource {
    target          = aws_s3_bucket.access_logs
    override_during = plan
    values          = { arn = "arn:aws:s3:::infra-state-111111111111-eu-central-1-access-logs", id = "infra-state-111111111111-eu-central-1-access-logs" }
  }
}

variables {
  state_bucket_name      = "infra-state-111111111111-eu-central-1"
  kms_key_administrators = ["arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"]
  state_key_users        = ["arn:aws:iam::111111111111:role/infra-deploy"]

  kms_break_glass_administrators = ["arn:aws:iam::111111111111:role/infra-break-glass"]
}

run "secure_defaults" {
  command = plan

  assert {
    condition = alltrue([
      aws_s3_account_public_access_block.this.block_public_acls,
      aws_s3_account_public_access_block.this.block_public_policy,
      aws_s3_account_public_access_block.this.ignore_public_acls,
      aws_s3_account_public_access_block.this.restrict_public_buckets,
    ])
    error_message = "The account must block all public S3 access."
  }

  assert {
    condition     = aws_ebs_encryption_by_default.this.enabled
    error_message = "EBS encryption by default must be on."
  }

  assert {
    condition     = aws_s3_bucket.state.force_destroy == false
    error_message = "The state bucket must not be deletable with objects in it."
  }

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "The state bucket must be versioned."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : one(r.apply_server_side_encryption_by_default).sse_algorithm]) == "aws:kms"
    error_message = "The state bucket must be encrypted with SSE-KMS."
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.state.block_public_acls,
      aws_s3_bucket_public_access_block.state.block_public_policy,
      aws_s3_bucket_public_access_block.state.ignore_public_acls,
      aws_s3_bucket_public_access_block.state.restrict_public_buckets,
    ])
    error_message = "The state bucket must block all public access."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.state.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "The state bucket must disable ACLs (BucketOwnerEnforced)."
  }

  assert {
    condition     = module.state_key.alias_name == "alias/infra-state"
    error_message = "The state key must carry the alias the S3 backend names."
  }

  assert {
    condition     = jsondecode(module.state_key.policy).Statement[0].Principal.AWS == ["arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"]
    error_message = "The state key's administrators must be exactly those passed in."
  }

  assert {
    condition     = [for st in jsondecode(module.state_key.policy).Statement : st.Principal.AWS if st.Sid == "StateReadersAndWriters"] == [["arn:aws:iam::111111111111:role/infra-deploy"]]
    error_message = "Only the state key users passed in may read and write state."
  }

  assert {
    condition     = jsondecode(module.state_key.policy).Statement[1].Principal.AWS == ["arn:aws:iam::111111111111:role/infra-break-glass"]
    error_message = "The break-glass role must administer the state key."
  }

  assert {
    condition = [for st in jsondecode(aws_s3_bucket_policy.state.policy).Statement : st if st.Sid == "DenyInsecureTransport"] == [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["arn:aws:s3:::infra-state-111111111111-eu-central-1", "arn:aws:s3:::infra-state-111111111111-eu-central-1/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "The state bucket must deny every request made without TLS (aws:SecureTransport = false)."
  }

  assert {
    condition     = aws_s3_bucket_logging.state.bucket == "infra-state-111111111111-eu-central-1" && aws_s3_bucket_logging.state.target_bucket == "infra-state-111111111111-eu-central-1-access-logs"
    error_message = "Every request to the state bucket must be logged to the access-log bucket."
  }

  assert {
    condition     = output.backend == { bucket = "infra-state-111111111111-eu-central-1", region = "eu-central-1", kms_key_id = "alias/infra-state" }
    error_message = "The backend output must hold the bucket, region and key alias envs/<env>/backend.tf names."
  }
}

run "audit_trail" {
  command = plan

  assert {
    condition     = aws_cloudtrail.this.is_multi_region_trail && aws_cloudtrail.this.include_global_service_events && aws_cloudtrail.this.enable_logging
    error_message = "CloudTrail must record every region and the global services."
  }

  assert {
    condition     = aws_cloudtrail.this.enable_log_file_validation
    error_message = "CloudTrail log file validation must be on (tampering with a log file is detectable)."
  }

  assert {
    condition     = aws_cloudtrail.this.kms_key_id == module.audit_key.arn && aws_cloudtrail.this.s3_bucket_name == "infra-audit-111111111111-eu-central-1"
    error_message = "CloudTrail must write to the audit bucket in the environment's own region, encrypted with the audit key."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.audit.rule : one(r.apply_server_side_encryption_by_default).kms_master_key_id]) == module.audit_key.arn && aws_s3_bucket_versioning.audit.versioning_configuration[0].status == "Enabled"
    error_message = "The audit bucket must be versioned and encrypted with the audit key."
  }

  assert {
    condition     = alltrue([aws_s3_bucket_public_access_block.audit.block_public_policy, aws_s3_bucket_public_access_block.audit.restrict_public_buckets, aws_s3_bucket_public_access_block.access_logs.block_public_policy, aws_s3_bucket_public_access_block.access_logs.restrict_public_buckets])
    error_message = "The audit and access-log buckets must block public access."
  }

  assert {
    condition     = [for st in jsondecode(aws_s3_bucket_policy.audit.policy).Statement : st.Condition.StringEquals["aws:SourceArn"] if st.Sid == "CloudTrailWritesThisTrail"] == ["arn:aws:cloudtrail:eu-central-1:111111111111:trail/infra-audit"]
    error_message = "Only this account's trail may write CloudTrail logs to the audit bucket."
  }

  assert {
    condition     = aws_guardduty_detector.this.enable && aws_guardduty_detector_feature.eks_audit_logs.name == "EKS_AUDIT_LOGS" && aws_guardduty_detector_feature.eks_audit_logs.status == "ENABLED"
    error_message = "GuardDuty must be on, with EKS audit-log monitoring."
  }

  assert {
    condition     = aws_guardduty_detector_feature.runtime_monitoring.status == "ENABLED" && one(aws_guardduty_detector_feature.runtime_monitoring.additional_configuration).name == "EKS_ADDON_MANAGEMENT" && one(aws_guardduty_detector_feature.runtime_monitoring.additional_configuration).status == "ENABLED"
    error_message = "GuardDuty runtime monitoring must be on for the EKS nodes, with its agent managed as an add-on."
  }

  assert {
    condition     = one(aws_config_configuration_recorder.this.recording_group).all_supported && one(aws_config_configuration_recorder.this.recording_group).include_global_resource_types && aws_config_configuration_recorder_status.this.is_enabled
    error_message = "AWS Config must record every supported resource type, including global ones, and be running."
  }

  assert {
    condition     = aws_config_delivery_channel.this.s3_bucket_name == "infra-audit-111111111111-eu-central-1" && aws_config_delivery_channel.this.s3_kms_key_arn == module.audit_key.arn
    error_message = "AWS Config must deliver to the audit bucket, encrypted with the audit key."
  }

  assert {
    condition     = aws_accessanalyzer_analyzer.this.type == "ACCOUNT"
    error_message = "IAM Access Analyzer must watch the account for resources shared outside it."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.access_logs.rule : one(r.apply_server_side_encryption_by_default).sse_algorithm]) == "AES256" && aws_s3_bucket_logging.audit.target_bucket == "infra-state-111111111111-eu-central-1-access-logs"
    error_message = "Server access logs go to an SSE-S3 bucket (the only encryption S3 log delivery supports), for the audit bucket too."
  }
}

run "ebs_under_our_key" {
  command = plan

  assert {
    condition     = aws_ebs_default_kms_key.this.key_arn == "arn:aws:kms:eu-central-1:111111111111:key/22222222-2222-2222-2222-222222222222" && output.ebs_default_kms_key_arn == module.ebs_default_key.arn && module.ebs_default_key.alias_name == "alias/infra-ebs-default"
    error_message = "The account's default EBS key must be the module's own customer-managed key (alias/infra-ebs-default), not the AWS-managed aws/ebs."
  }

  assert {
    condition     = jsondecode(module.ebs_default_key.policy).Statement[0].Principal.AWS == ["arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"] && jsondecode(module.ebs_default_key.policy).Statement[1].Principal.AWS == ["arn:aws:iam::111111111111:role/infra-break-glass"]
    error_message = "The default EBS key must be administered by exactly the administrators passed in, with break glass behind it."
  }

  assert {
    condition = [for s in jsondecode(module.ebs_default_key.policy).Statement : { Sid = s.Sid, AWS = s.Principal.AWS } if !contains(["KeyAdministrators", "BreakGlassKeyAdministrators", "AdministratorsGrantOnlyToAWSServices"], s.Sid)] == [
      { Sid = "VolumeLaunchersUseTheKey", AWS = ["arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"] },
      { Sid = "VolumeLaunchersGrantOnlyToAWSServices", AWS = ["arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"] },
    ]
    error_message = "Besides its administrators, only the Auto Scaling service-linked role (it launches the nodes) may use the default EBS key, as a volume launcher."
  }

  assert {
    condition     = aws_iam_service_linked_role.autoscaling[0].aws_service_name == "autoscaling.amazonaws.com"
    error_message = "By default the module creates the Auto Scaling service-linked role the default EBS key names (KMS refuses a policy naming a missing principal)."
  }
}

run "existing_autoscaling_service_linked_role" {
  command = plan

  variables {
    create_autoscaling_service_linked_role = false
  }

  assert {
    condition     = length(aws_iam_service_linked_role.autoscaling) == 0 && jsondecode(module.ebs_default_key.policy).Statement[3].Principal.AWS == ["arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"]
    error_message = "Where the service-linked role exists, the module must not create it, and the default EBS key must still name it."
  }
}

run "rejects_invalid_bucket_name" {
  command = plan

  variables {
    state_bucket_name = "Infra_State"
  }

  expect_failures = [var.state_bucket_name]
}

run "rejects_missing_state_key_users" {
  command = plan

  variables {
    state_key_users = []
  }

  expect_failures = [var.state_key_users]
}

run "rejects_missing_break_glass_administrators" {
  command = plan

  variables {
    kms_break_glass_administrators = []
  }

  expect_failures = [var.kms_break_glass_administrators]
}
