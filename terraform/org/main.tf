locals {
  # Every folder under envs/ is an environment with an account of its own. Its region is read
  # from its environment.tf, so the region each SCP allows is stated once, where infra reads it.
  environments = {
    for f in fileset("${path.module}/../envs", "*/environment.tf") : dirname(f) => {
      region = regex("(?m)^\\s*region\\s*=\\s*\"([a-z]{2}(?:-[a-z]+)+-[0-9])\"", file("${path.module}/../envs/${f}"))[0]
    }
  }

  # Services that are global (or answer only in us-east-1) and must stay usable from every account.
  # Add one here only when an environment needs it.
  global_actions = [
    "account:*", "budgets:*", "ce:*", "cur:*", "health:*", "iam:*", "organizations:*",
    "pricing:*", "route53:*", "route53domains:*", "sts:*", "support:*", "trustedadvisor:*",
    "ec2:DescribeRegions", "s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock",
    "s3:ListAllMyBuckets",
  ]
}

################################################################################
# Organization
################################################################################

# Service control policies only take effect where the organization enables them. An
# organization that already exists is imported first (README "First-time setup"):
#   terraform import aws_organizations_organization.this <o-xxxxxxxxxx>
resource "aws_organizations_organization" "this" {
  feature_set          = "ALL"
  enabled_policy_types = ["SERVICE_CONTROL_POLICY"]

  aws_service_access_principals = [
    "access-analyzer.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "config-multiaccountsetup.amazonaws.com",
    "config.amazonaws.com",
    "guardduty.amazonaws.com",
    "securityhub.amazonaws.com",
  ]

  lifecycle {
    prevent_destroy = true
  }
}

################################################################################
# Accounts
################################################################################

resource "aws_organizations_account" "this" {
  for_each = local.environments

  name              = "infra-${each.key}"
  email             = var.account_emails[each.key]
  role_name         = "OrganizationAccountAccessRole"
  close_on_deletion = false

  tags = { Environment = each.key }

  lifecycle {
    prevent_destroy = true
    # AWS does not report role_name back; changing it would replace the account.
    ignore_changes = [role_name]

    precondition {
      condition     = contains(keys(var.account_emails), each.key)
      error_message = "account_emails has no address for environment \"${each.key}\" (terraform/envs/${each.key}); add one in terraform/org/terraform.tfvars."
    }
  }
}

################################################################################
# Log archive account
################################################################################

# Where the audit evidence lives, out of reach of every workload account and of the deployers:
# the organization trail's Object Lock bucket, Security Hub and the Config aggregator
# (terraform/log-archive). Not an environment: no region lock, no deploy role.
resource "aws_organizations_account" "log_archive" {
  name              = "infra-log-archive"
  email             = var.log_archive_email
  role_name         = "OrganizationAccountAccessRole"
  close_on_deletion = false

  tags = { Environment = "log-archive" }

  lifecycle {
    prevent_destroy = true
    # AWS does not report role_name back; changing it would replace the account.
    ignore_changes = [role_name]

    precondition {
      condition     = !contains(values(var.account_emails), var.log_archive_email)
      error_message = "log_archive_email is also an environment's address in account_emails: every account needs a root e-mail of its own; change one in terraform/org/terraform.tfvars."
    }
  }
}

# Security Hub findings and the Config aggregator of every account are administered from the
# log archive account, not from the management account or a workload account.
# (aws_securityhub_organization_admin_account registers Security Hub's delegation itself; a
# second registration here would fail as already registered.)
resource "aws_organizations_delegated_administrator" "config" {
  account_id        = aws_organizations_account.log_archive.id
  service_principal = "config.amazonaws.com"

  depends_on = [aws_organizations_organization.this]
}

# Security Hub must be on in the management account before it can name its administrator.
resource "aws_securityhub_account" "management" {
  enable_default_standards = false
}

resource "aws_securityhub_organization_admin_account" "log_archive" {
  admin_account_id = aws_organizations_account.log_archive.id

  depends_on = [aws_securityhub_account.management, aws_organizations_organization.this]
}

resource "aws_organizations_policy_attachment" "guardrails_log_archive" {
  policy_id = aws_organizations_policy.guardrails.id
  target_id = aws_organizations_account.log_archive.id
}

################################################################################
# Region lock (service control policies)
################################################################################

resource "aws_organizations_policy" "region_lock" {
  for_each = local.environments

  name        = "infra-${each.key}-region-lock"
  description = "Denies every region but ${each.value.region} to the ${each.key} account"
  type        = "SERVICE_CONTROL_POLICY"

  content = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyOtherRegions"
      Effect    = "Deny"
      NotAction = local.global_actions
      Resource  = "*"
      Condition = { StringNotEquals = { "aws:RequestedRegion" = [each.value.region] } }
    }]
  })

  tags = { Environment = each.key }

  depends_on = [aws_organizations_organization.this]
}

resource "aws_organizations_policy_attachment" "region_lock" {
  for_each = local.environments

  policy_id = aws_organizations_policy.region_lock[each.key].id
  target_id = aws_organizations_account.this[each.key].id
}

################################################################################
# Guard rails (one service control policy for every environment account)
################################################################################

locals {
  # The role AWS Organizations creates in every account it creates: the bootstrap and the
  # organization's administrators act through it; nothing inside an account can.
  organization_admin_role = "arn:aws:iam::*:role/OrganizationAccountAccessRole"
  # The pipeline's role in every environment account (modules/account-roles).
  deploy_role = "arn:aws:iam::*:role/infra-deploy"

  # The roles and the boundary the credential chain stands on: changed only by the bootstrap
  # (as OrganizationAccountAccessRole). Whoever could rewrite one of them could become it.
  platform_roles = [
    "arn:aws:iam::*:role/OrganizationAccountAccessRole", "arn:aws:iam::*:role/infra-deploy",
    "arn:aws:iam::*:role/infra-break-glass", "arn:aws:iam::*:role/infra-platform-admin",
    "arn:aws:iam::*:role/infra-image-push",
  ]
  platform_policies = ["arn:aws:iam::*:policy/infra-deploy-boundary"]

  guardrails = {
    Version = "2012-10-17"
    Statement = [
      {
        # Replication runs service-side, outside aws:RequestedRegion: images and objects would
        # leave the environment's region without a request in another region.
        Sid      = "DenyReplicationOutOfTheRegion"
        Effect   = "Deny"
        Action   = ["ecr:PutReplicationConfiguration", "s3:PutReplicationConfiguration"]
        Resource = "*"
      },
      {
        # Sharing would hand the environment's network or resources to another account.
        Sid      = "DenySharingOutOfTheAccount"
        Effect   = "Deny"
        Action   = ["ram:CreateResourceShare", "ram:AssociateResourceShare", "ram:AcceptResourceShareInvitation", "ec2:CreateVpcPeeringConnection", "ec2:AcceptVpcPeeringConnection"]
        Resource = "*"
      },
      {
        # Nor moving the account's default EBS key off ours (account-baseline) to aws/ebs or
        # another key. The Sid is the one src/policy's baseline names.
        Sid       = "DenyDisablingEbsEncryptionByDefault"
        Effect    = "Deny"
        Action    = ["ec2:DisableEbsEncryptionByDefault", "ec2:ModifyEbsDefaultKmsKeyId", "ec2:ResetEbsDefaultKmsKeyId"]
        Resource  = "*"
        Condition = { ArnNotLike = { "aws:PrincipalArn" = local.organization_admin_role } }
      },
      {
        # Creating and tuning flow-log groups stays allowed (terraform sets their retention).
        # Deleting them takes the organization's role, or infra-deploy on flow logs terraform
        # made (next statement): a replacement or an environment's teardown, in a reviewed plan.
        Sid       = "DenyDeletingFlowLogs"
        Effect    = "Deny"
        Action    = ["ec2:DeleteFlowLogs", "logs:DeleteLogGroup", "logs:DeleteLogStream"]
        Resource  = ["arn:aws:ec2:*:*:vpc-flow-log/*", "arn:aws:logs:*:*:log-group:/aws/vpc/*"]
        Condition = { ArnNotLike = { "aws:PrincipalArn" = [local.organization_admin_role, local.deploy_role] } }
      },
      {
        Sid      = "DenyDeletingFlowLogsTerraformDidNotMake"
        Effect   = "Deny"
        Action   = ["ec2:DeleteFlowLogs", "logs:DeleteLogGroup", "logs:DeleteLogStream"]
        Resource = ["arn:aws:ec2:*:*:vpc-flow-log/*", "arn:aws:logs:*:*:log-group:/aws/vpc/*"]
        Condition = {
          ArnLike         = { "aws:PrincipalArn" = local.deploy_role }
          StringNotEquals = { "aws:ResourceTag/ManagedBy" = "terraform" }
        }
      },
      {
        # A flow log gets its ManagedBy tag when it is created, never later: otherwise any flow
        # log could be tagged as terraform's and deleted.
        Sid      = "DenyRetaggingFlowLogs"
        Effect   = "Deny"
        Action   = ["ec2:CreateTags", "ec2:DeleteTags"]
        Resource = "arn:aws:ec2:*:*:vpc-flow-log/*"
        Condition = {
          StringNotEquals            = { "ec2:CreateAction" = "CreateFlowLogs" }
          "ForAnyValue:StringEquals" = { "aws:TagKeys" = ["ManagedBy"] }
          ArnNotLike                 = { "aws:PrincipalArn" = local.organization_admin_role }
        }
      },
      {
        Sid    = "DenyBlindingTheAuditTrail"
        Effect = "Deny"
        Action = [
          "cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors", "cloudtrail:PutInsightSelectors",
          "guardduty:DeleteDetector", "guardduty:UpdateDetector", "guardduty:DisassociateFromMasterAccount", "guardduty:DisassociateFromAdministratorAccount", "guardduty:CreateFilter", "guardduty:UpdateFilter",
          "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel", "config:StopConfigurationRecorder", "config:PutConfigurationRecorder", "config:PutDeliveryChannel",
          "access-analyzer:DeleteAnalyzer", "access-analyzer:CreateArchiveRule", "access-analyzer:UpdateArchiveRule",
          "securityhub:DisableSecurityHub", "securityhub:BatchDisableStandards",
        ]
        Resource  = "*"
        Condition = { ArnNotLike = { "aws:PrincipalArn" = local.organization_admin_role } }
      },
      {
        # The EKS control-plane, flow-log and Session Manager transcript groups keep their
        # retention: only terraform (as infra-deploy, which sets it when it creates them) or the
        # organization's role change it.
        Sid       = "DenyShorteningAuditLogRetention"
        Effect    = "Deny"
        Action    = ["logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:DisassociateKmsKey"]
        Resource  = ["arn:aws:logs:*:*:log-group:/aws/eks/*", "arn:aws:logs:*:*:log-group:/aws/vpc/*", "arn:aws:logs:*:*:log-group:/aws/ssm/*"]
        Condition = { ArnNotLike = { "aws:PrincipalArn" = [local.organization_admin_role, local.deploy_role] } }
      },
      {
        Sid    = "DenyChangingThePlatformRoles"
        Effect = "Deny"
        Action = [
          "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:DeleteRole",
          "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
          "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:TagRole", "iam:UntagRole",
          "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy",
        ]
        Resource  = concat(local.platform_roles, local.platform_policies)
        Condition = { ArnNotLike = { "aws:PrincipalArn" = local.organization_admin_role } }
      },
      {
        # No long-lived keys: people arrive through Identity Center, CI through OIDC.
        Sid       = "DenyLongLivedAccessKeys"
        Effect    = "Deny"
        Action    = ["iam:CreateAccessKey", "iam:CreateUser", "iam:CreateLoginProfile"]
        Resource  = "*"
        Condition = { ArnNotLike = { "aws:PrincipalArn" = local.organization_admin_role } }
      },
      {
        Sid      = "DenyLeavingTheOrganization"
        Effect   = "Deny"
        Action   = ["organizations:LeaveOrganization"]
        Resource = "*"
      },
    ]
  }
}

resource "aws_organizations_policy" "guardrails" {
  name        = "infra-guardrails"
  description = "No replication or sharing out of the account, no unencrypted EBS or EBS off our key, no deleted flow logs, no blinded audit trail, no changed platform roles, no access keys, no leaving the organization"
  type        = "SERVICE_CONTROL_POLICY"
  content     = jsonencode(local.guardrails)

  depends_on = [aws_organizations_organization.this]
}

resource "aws_organizations_policy_attachment" "guardrails" {
  for_each = local.environments

  policy_id = aws_organizations_policy.guardrails.id
  target_id = aws_organizations_account.this[each.key].id
}
