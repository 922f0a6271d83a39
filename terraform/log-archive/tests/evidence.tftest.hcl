# Plans the log archive root against mocked AWS providers and checks what makes the audit
# evidence unchangeable: the organization trail, the Object Lock bucket and its policies, the
# key, Security Hub, the Config aggregator and the CIS monitoring alarms.

mock_provider "aws" {}

mock_provider "aws" {
  alias = "management"

  override_data {
    target = data.aws_organizations_organization.this
    values = { id = "o-a1b2c3d4e5" }
  }
}

# Known at plan time, as AWS would name them: the policies and the trail refer to these.
override_resource {
  target          = aws_s3_bucket.trail
  override_during = plan
  values          = { id = "infra-org-trail-mock", arn = "arn:aws:s3:::infra-org-trail-mock" }
}

override_resource {
  target          = module.trail_key.aws_kms_key.this
  override_during = plan
  values          = { arn = "arn:aws:kms:us-east-1:444444444444:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0" }
}

override_resource {
  target          = module.alarm_key.aws_kms_key.this
  override_during = plan
  values          = { arn = "arn:aws:kms:us-east-1:000000000000:key/1b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0" }
}

override_resource {
  target          = aws_cloudwatch_log_group.trail
  override_during = plan
  values          = { arn = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/cloudtrail/infra-organization" }
}

override_resource {
  target          = aws_sns_topic.cis_alarms
  override_during = plan
  values          = { arn = "arn:aws:sns:us-east-1:000000000000:infra-cis-alarms" }
}

override_resource {
  target          = aws_iam_role.config_aggregator
  override_during = plan
  values          = { arn = "arn:aws:iam::444444444444:role/infra-config-aggregator" }
}

run "organization_trail" {
  command = plan

  assert {
    condition     = aws_cloudtrail.organization.is_organization_trail && aws_cloudtrail.organization.is_multi_region_trail && aws_cloudtrail.organization.include_global_service_events
    error_message = "The trail must be the organization's: every account, every region, global services included."
  }

  assert {
    condition     = aws_cloudtrail.organization.enable_log_file_validation
    error_message = "Log file validation (digest files) must be on, or a changed log file goes unnoticed."
  }

  assert {
    condition     = aws_cloudtrail.organization.s3_bucket_name == aws_s3_bucket.trail.id && aws_s3_bucket.trail.bucket == "infra-org-trail-${local.log_archive_account_id}" && aws_cloudtrail.organization.name == "infra-organization"
    error_message = "The trail must write into the log archive account's bucket."
  }

  assert {
    condition     = local.trail_arn == "arn:aws:cloudtrail:us-east-1:${local.account_id}:trail/infra-organization"
    error_message = "The policies must name the management account's trail, as CloudTrail will report its ARN."
  }
}

run "object_lock_bucket" {
  command = plan

  assert {
    condition     = aws_s3_bucket.trail.object_lock_enabled
    error_message = "The trail bucket must be created with Object Lock (it cannot be turned on for objects already written)."
  }

  assert {
    condition     = aws_s3_bucket_object_lock_configuration.trail.rule[0].default_retention[0].mode == "COMPLIANCE" && aws_s3_bucket_object_lock_configuration.trail.rule[0].default_retention[0].days == 365
    error_message = "Every log file must be locked in compliance mode for the 365 days README states."
  }

  assert {
    condition     = aws_s3_bucket_versioning.trail.versioning_configuration[0].status == "Enabled"
    error_message = "Versioning must be on: Object Lock locks versions."
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.trail.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    error_message = "Log files must be encrypted with the trail's KMS key."
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.trail.block_public_policy && aws_s3_bucket_public_access_block.trail.restrict_public_buckets && aws_s3_bucket_public_access_block.trail.block_public_acls && aws_s3_bucket_public_access_block.trail.ignore_public_acls
    error_message = "The trail bucket must block every kind of public access."
  }
}

run "bucket_policy" {
  command = plan

  assert {
    condition = [for s in jsondecode(aws_s3_bucket_policy.trail.policy).Statement : s.Condition if s.Sid == "DenyInsecureTransport" && s.Effect == "Deny" && s.Action == "s3:*"] == [
      { Bool = { "aws:SecureTransport" = "false" } }
    ]
    error_message = "The bucket must refuse every request without TLS."
  }

  assert {
    condition = length([for s in jsondecode(aws_s3_bucket_policy.trail.policy).Statement : s if s.Effect == "Deny" && s.Principal == { AWS = "*" } && !can(s.Condition) &&
    length(setintersection(toset(flatten([s.Action])), toset(["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket"]))) == 3]) == 1
    error_message = "Deleting log files, their versions or the bucket must be denied to everyone, unconditionally."
  }

  assert {
    condition = [for s in jsondecode(aws_s3_bucket_policy.trail.policy).Statement : s.Condition if s.Effect == "Allow" && s.Action == "s3:PutObject"] == [{
      StringEquals = {
        "aws:SourceArn"   = "arn:aws:cloudtrail:us-east-1:${local.account_id}:trail/infra-organization"
        "aws:SourceOrgID" = "o-a1b2c3d4e5"
        "s3:x-amz-acl"    = "bucket-owner-full-control"
      }
    }]
    error_message = "CloudTrail may write only for this organization's trail (aws:SourceArn and aws:SourceOrgID)."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_s3_bucket_policy.trail.policy).Statement : s.Principal == { Service = "cloudtrail.amazonaws.com" } && can(s.Condition.StringEquals["aws:SourceArn"]) if s.Effect == "Allow"])
    error_message = "The bucket policy allows nothing but CloudTrail, and CloudTrail only for this trail."
  }

  assert {
    condition     = flatten([for s in jsondecode(aws_s3_bucket_policy.trail.policy).Statement : s.Resource if s.Action == "s3:PutObject"]) == ["${aws_s3_bucket.trail.arn}/AWSLogs/${local.account_id}/*", "${aws_s3_bucket.trail.arn}/AWSLogs/o-a1b2c3d4e5/*"]
    error_message = "CloudTrail may write only under AWSLogs/ of the management account and of the organization."
  }
}

run "trail_key" {
  command = plan

  assert {
    condition = [for s in jsondecode(module.trail_key.policy).Statement : s.Condition if s.Sid == "CloudTrailEncryptsForThisTrail" && s.Principal == { Service = "cloudtrail.amazonaws.com" } && s.Action == "kms:GenerateDataKey*"] == [{
      StringEquals = { "aws:SourceArn" = "arn:aws:cloudtrail:us-east-1:${local.account_id}:trail/infra-organization" }
      StringLike   = { "kms:EncryptionContext:aws:cloudtrail:arn" = "arn:aws:cloudtrail:*:${local.account_id}:trail/*" }
    }]
    error_message = "CloudTrail must be able to encrypt with the key, for this organization's trail only."
  }

  assert {
    condition     = toset(flatten([for s in jsondecode(module.trail_key.policy).Statement : s.Principal.AWS if s.Effect == "Allow" && can(s.Principal.AWS)])) == toset(["arn:aws:iam::${local.log_archive_account_id}:role/OrganizationAccountAccessRole", "arn:aws:iam::${local.log_archive_account_id}:role/infra-break-glass"])
    error_message = "No principal outside the log archive account (a workload account's least of all) may be granted the key."
  }

  assert {
    condition = [for s in jsondecode(module.trail_key.policy).Statement : s.Principal.AWS if s.Sid == "BreakGlassKeyAdministrators"] == [["arn:aws:iam::${local.log_archive_account_id}:role/infra-break-glass"]] && module.break_glass.name == "infra-break-glass" && local.break_glass_users == ["arn:aws:iam::${local.account_id}:user/break-glass"] && !contains(flatten([
      for s in jsondecode(module.trail_key.policy).Statement : s.Principal.AWS if s.Sid == "BreakGlassKeyAdministrators"
    ]), local.log_archive_admin_role_arn)
    error_message = "The trail key's break-glass administrator must be the log archive account's infra-break-glass (the management account's break-glass IAM users, with MFA), not the organization's role."
  }

  assert {
    condition = length([for s in jsondecode(module.trail_key.policy).Statement : s if s.Effect == "Deny" && s.Principal == { AWS = "*" } && !can(s.Condition) &&
    length(setintersection(toset(flatten([s.Action])), toset(["kms:ScheduleKeyDeletion", "kms:DisableKey"]))) == 2]) == 1
    error_message = "Nobody may schedule the deletion of the trail key or disable it: the locked evidence would become unreadable."
  }

  assert {
    condition     = aws_s3_bucket_server_side_encryption_configuration.trail.rule != null && aws_cloudtrail.organization.kms_key_id == module.trail_key.arn
    error_message = "The trail must encrypt its log files with the log archive account's key."
  }
}

run "security_hub_and_config" {
  command = plan

  assert {
    condition = toset([for s in aws_securityhub_standards_subscription.this : s.standards_arn]) == toset([
      "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/1.4.0",
      "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0",
    ])
    error_message = "Security Hub must run the CIS AWS Foundations and AWS Foundational Security Best Practices standards."
  }

  assert {
    condition     = aws_securityhub_organization_configuration.this.auto_enable && !aws_securityhub_account.this.enable_default_standards
    error_message = "Every account of the organization must join Security Hub, with the standards named here rather than a changing default."
  }

  assert {
    condition     = aws_config_configuration_aggregator.organization.organization_aggregation_source[0].all_regions && aws_config_configuration_aggregator.organization.organization_aggregation_source[0].role_arn == aws_iam_role.config_aggregator.arn
    error_message = "The Config aggregator must gather every region of every account of the organization."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.config_aggregator.policy_arn == "arn:aws:iam::aws:policy/service-role/AWSConfigRoleForOrganizations" && jsondecode(aws_iam_role.config_aggregator.assume_role_policy).Statement[0].Principal == { Service = "config.amazonaws.com" }
    error_message = "The aggregator's role must be AWS Config's, with the organization read permissions."
  }
}

run "cis_alarms" {
  command = plan

  assert {
    condition = toset(keys(aws_cloudwatch_metric_alarm.cis)) == toset([
      "unauthorized-api-calls", "console-signin-without-mfa", "root-usage", "iam-policy-changes", "cloudtrail-changes",
      "console-auth-failures", "cmk-disable-or-deletion", "s3-bucket-policy-changes", "config-changes", "security-group-changes",
      "nacl-changes", "network-gateway-changes", "route-table-changes", "vpc-changes", "organizations-changes",
    ])
    error_message = "Every CIS monitoring item must have its alarm."
  }

  assert {
    condition = alltrue([for name, needle in {
      unauthorized-api-calls     = "AccessDenied*"
      console-signin-without-mfa = "MFAUsed != \"Yes\""
      root-usage                 = "$.userIdentity.type = \"Root\""
      iam-policy-changes         = "AttachRolePolicy"
      cloudtrail-changes         = "StopLogging"
      console-auth-failures      = "Failed authentication"
      cmk-disable-or-deletion    = "ScheduleKeyDeletion"
      s3-bucket-policy-changes   = "PutBucketPolicy"
      config-changes             = "StopConfigurationRecorder"
      security-group-changes     = "AuthorizeSecurityGroupIngress"
      nacl-changes               = "CreateNetworkAclEntry"
      network-gateway-changes    = "AttachInternetGateway"
      route-table-changes        = "CreateRoute"
      vpc-changes                = "CreateVpc"
      organizations-changes      = "organizations.amazonaws.com"
    } : strcontains(aws_cloudwatch_log_metric_filter.cis[name].pattern, needle)])
    error_message = "Each metric filter must match the events of its CIS monitoring item."
  }

  assert {
    condition     = alltrue([for filter in aws_cloudwatch_log_metric_filter.cis : filter.log_group_name == "/aws/cloudtrail/infra-organization" && filter.metric_transformation[0].value == "1"])
    error_message = "Every metric filter must count the organization trail's events."
  }

  assert {
    condition = alltrue([for name, alarm in aws_cloudwatch_metric_alarm.cis :
      alarm.metric_name == aws_cloudwatch_log_metric_filter.cis[name].metric_transformation[0].name && alarm.namespace == aws_cloudwatch_log_metric_filter.cis[name].metric_transformation[0].namespace &&
      alarm.threshold == 1 && alarm.comparison_operator == "GreaterThanOrEqualToThreshold" && alarm.statistic == "Sum" &&
    alarm.alarm_actions == toset([aws_sns_topic.cis_alarms.arn])])
    error_message = "Every alarm must fire on the first event its filter counts, and notify the CIS alarm topic."
  }

  assert {
    condition     = aws_sns_topic.cis_alarms.kms_master_key_id == module.alarm_key.arn && length([for s in jsondecode(module.alarm_key.policy).Statement : s if s.Principal == { Service = "cloudwatch.amazonaws.com" } && contains(flatten([s.Action]), "kms:GenerateDataKey*")]) == 1
    error_message = "The alarm topic must be encrypted with our key, which CloudWatch may use to publish."
  }

  assert {
    condition     = aws_cloudtrail.organization.cloud_watch_logs_group_arn == "${aws_cloudwatch_log_group.trail.arn}:*" && aws_cloudwatch_log_group.trail.kms_key_id == module.alarm_key.arn && aws_cloudwatch_log_group.trail.retention_in_days == 365
    error_message = "The trail must deliver to its encrypted log group, kept as long as the locked log files."
  }
}
