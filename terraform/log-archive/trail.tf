# The organization trail, in the management account: every account's management events, every
# region, with digest files, into the locked bucket of main.tf; and the CIS monitoring alarms on
# its CloudWatch log group.
locals {
  trail_log_group_name = "/aws/cloudtrail/${local.trail_name}"
  # Stated, not read: the key policy must name the log group before it exists.
  trail_log_group_arn = "arn:aws:logs:${local.region}:${local.account_id}:log-group:${local.trail_log_group_name}"
}

resource "aws_cloudtrail" "organization" {
  provider = aws.management

  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.trail.id
  kms_key_id                    = module.trail_key.arn
  is_organization_trail         = true
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true

  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.trail_logs.arn

  # CloudTrail checks it may write (bucket policy, key, Object Lock) when the trail is created.
  depends_on = [aws_s3_bucket_policy.trail, aws_s3_bucket_object_lock_configuration.trail, aws_s3_bucket_server_side_encryption_configuration.trail]
}

################################################################################
# Log group and alarm key (management account)
################################################################################

module "alarm_key" {
  source    = "../modules/kms-key"
  providers = { aws = aws.management }

  description = "Encrypts the organization trail's log group and the CIS alarm topic"
  alias       = "alias/infra-org-alarms"

  # terraform runs here as the management administrator; break glass is the management
  # account's infra-break-glass role (terraform/bootstrap/org).
  administrators             = [local.management_administrator_role_arn]
  break_glass_administrators = ["arn:aws:iam::${local.account_id}:role/infra-break-glass"]
  log_group_arn              = local.trail_log_group_arn

  statements = [{
    # CloudWatch publishes alarm notifications to the encrypted topic.
    Sid       = "CloudWatchPublishesAlarms"
    Effect    = "Allow"
    Principal = { Service = "cloudwatch.amazonaws.com" }
    Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
    Resource  = "*"
    Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
  }]

  tags = { Name = "infra-org-alarms" }
}

resource "aws_cloudwatch_log_group" "trail" {
  provider = aws.management

  name              = local.trail_log_group_name
  retention_in_days = local.trail_retention_days
  kms_key_id        = module.alarm_key.arn
}

resource "aws_iam_role" "trail_logs" {
  provider = aws.management

  name        = "infra-org-trail-logs"
  description = "Lets the organization trail deliver its events to ${local.trail_log_group_name}"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn } }
    }]
  })
}

resource "aws_iam_role_policy" "trail_logs" {
  provider = aws.management

  name = "deliver-to-the-trail-log-group"
  role = aws_iam_role.trail_logs.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "${local.trail_log_group_arn}:log-stream:*"
    }]
  })
}

################################################################################
# CIS monitoring alarms
################################################################################

resource "aws_sns_topic" "cis_alarms" {
  provider = aws.management

  name              = "infra-cis-alarms"
  kms_master_key_id = module.alarm_key.arn
}

locals {
  # The CIS AWS Foundations Benchmark's monitoring items (Security Hub controls CloudWatch.1 to
  # CloudWatch.14, and the Organizations changes of CIS 3.0 4.15), each a filter on the trail's
  # log group counting into one metric, alarmed on its first event.
  cis_alarms = {
    unauthorized-api-calls = {
      description = "Unauthorised API calls"
      pattern     = "{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }"
    }
    console-signin-without-mfa = {
      description = "Console sign-in without MFA"
      pattern     = "{ ($.eventName = \"ConsoleLogin\") && ($.additionalEventData.MFAUsed != \"Yes\") && ($.userIdentity.type = \"IAMUser\") && ($.responseElements.ConsoleLogin = \"Success\") }"
    }
    root-usage = {
      description = "Use of the root user"
      pattern     = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }"
    }
    iam-policy-changes = {
      description = "IAM policy changes"
      pattern     = "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }"
    }
    cloudtrail-changes = {
      description = "CloudTrail configuration changes"
      pattern     = "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"
    }
    console-auth-failures = {
      description = "Console authentication failures"
      pattern     = "{ ($.eventName = ConsoleLogin) && ($.errorMessage = \"Failed authentication\") }"
    }
    cmk-disable-or-deletion = {
      description = "Disabling or scheduled deletion of customer-managed KMS keys"
      pattern     = "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }"
    }
    s3-bucket-policy-changes = {
      description = "S3 bucket policy changes"
      pattern     = "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }"
    }
    config-changes = {
      description = "AWS Config configuration changes"
      pattern     = "{ ($.eventSource = config.amazonaws.com) && (($.eventName = StopConfigurationRecorder) || ($.eventName = DeleteDeliveryChannel) || ($.eventName = PutDeliveryChannel) || ($.eventName = PutConfigurationRecorder)) }"
    }
    security-group-changes = {
      description = "Security group changes"
      pattern     = "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }"
    }
    nacl-changes = {
      description = "Network ACL changes"
      pattern     = "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }"
    }
    network-gateway-changes = {
      description = "Network gateway changes"
      pattern     = "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }"
    }
    route-table-changes = {
      description = "Route table changes"
      pattern     = "{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }"
    }
    vpc-changes = {
      description = "VPC changes"
      pattern     = "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }"
    }
    organizations-changes = {
      description = "AWS Organizations changes"
      pattern     = "{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = AcceptHandshake) || ($.eventName = AttachPolicy) || ($.eventName = CreateAccount) || ($.eventName = CreateOrganizationalUnit) || ($.eventName = CreatePolicy) || ($.eventName = DeclineHandshake) || ($.eventName = DeleteOrganization) || ($.eventName = DeleteOrganizationalUnit) || ($.eventName = DeletePolicy) || ($.eventName = DetachPolicy) || ($.eventName = DisablePolicyType) || ($.eventName = EnablePolicyType) || ($.eventName = InviteAccountToOrganization) || ($.eventName = LeaveOrganization) || ($.eventName = MoveAccount) || ($.eventName = RemoveAccountFromOrganization) || ($.eventName = UpdatePolicy) || ($.eventName = UpdateOrganizationalUnit)) }"
    }
  }
}

resource "aws_cloudwatch_log_metric_filter" "cis" {
  provider = aws.management
  for_each = local.cis_alarms

  name           = "infra-cis-${each.key}"
  log_group_name = aws_cloudwatch_log_group.trail.name
  pattern        = each.value.pattern

  metric_transformation {
    name      = each.key
    namespace = "infra/CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "cis" {
  provider = aws.management
  for_each = local.cis_alarms

  alarm_name          = "infra-cis-${each.key}"
  alarm_description   = "${each.value.description} in any account of the organization (CIS AWS Foundations monitoring item)"
  namespace           = aws_cloudwatch_log_metric_filter.cis[each.key].metric_transformation[0].namespace
  metric_name         = aws_cloudwatch_log_metric_filter.cis[each.key].metric_transformation[0].name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.cis_alarms.arn]
}
