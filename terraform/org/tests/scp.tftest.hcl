# Plans the organization stack against a mocked AWS provider and checks its service control
# policies: each environment folder gets an account, a region lock and the guard rails.

mock_provider "aws" {}

# Addresses of a real-looking organisation: terraform test also loads terraform.tfvars, whose
# template placeholders the validation refuses.
variables {
  account_emails = {
    dev     = "aws+infra-dev@infra-operators.eu"
    prod    = "aws+infra-prod@infra-operators.eu"
    staging = "aws+infra-staging@infra-operators.eu"
  }
  log_archive_email = "aws+infra-log-archive@infra-operators.eu"
}

run "accounts_and_region_locks" {
  command = plan

  assert {
    condition     = keys(aws_organizations_account.this) == ["dev", "prod", "staging"] && local.environments == { dev = { region = "eu-central-1" }, prod = { region = "us-east-2" }, staging = { region = "eu-central-1" } }
    error_message = "Every folder under terraform/envs must become an account, with the region its environment.tf states."
  }

  assert {
    condition     = aws_organizations_organization.this.feature_set == "ALL" && aws_organizations_organization.this.enabled_policy_types == toset(["SERVICE_CONTROL_POLICY"])
    error_message = "The organization must enable service control policies, or none of them takes effect."
  }

  assert {
    condition = alltrue([for env, policy in aws_organizations_policy.region_lock : jsondecode(policy.content).Statement == [{
      Sid       = "DenyOtherRegions"
      Effect    = "Deny"
      NotAction = local.global_actions
      Resource  = "*"
      Condition = { StringNotEquals = { "aws:RequestedRegion" = [local.environments[env].region] } }
    }]])
    error_message = "Each environment's region lock must deny every action outside its own region, but the global services."
  }

  assert {
    condition     = length(aws_organizations_policy_attachment.region_lock) == 3 && length(aws_organizations_policy_attachment.guardrails) == 3
    error_message = "Every environment account must carry its region lock and the guard rails."
  }
}

run "guardrails" {
  command = plan

  assert {
    condition     = length(aws_organizations_policy.guardrails.content) <= 5120 && alltrue([for policy in aws_organizations_policy.region_lock : length(policy.content) <= 5120])
    error_message = "AWS refuses a service control policy over 5,120 characters."
  }

  assert {
    condition     = toset([for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Effect]) == toset(["Deny"])
    error_message = "The guard rails are denials only."
  }

  assert {
    condition     = [for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s if s.Sid == "DenyReplicationOutOfTheRegion"] == [{ Sid = "DenyReplicationOutOfTheRegion", Effect = "Deny", Action = ["ecr:PutReplicationConfiguration", "s3:PutReplicationConfiguration"], Resource = "*" }]
    error_message = "ECR and S3 replication must be denied to everyone: it runs service-side, where aws:RequestedRegion does not see it."
  }

  assert {
    condition     = contains(flatten([for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Action if s.Effect == "Deny"]), "ec2:DisableEbsEncryptionByDefault")
    error_message = "Turning off EBS encryption by default must be denied."
  }

  assert {
    condition = alltrue([for action in ["ec2:ModifyEbsDefaultKmsKeyId", "ec2:ResetEbsDefaultKmsKeyId"] : contains(flatten([
      for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Action if s.Effect == "Deny" && s.Resource == "*" && try(s.Condition.ArnNotLike["aws:PrincipalArn"], "") == "arn:aws:iam::*:role/OrganizationAccountAccessRole"
    ]), action)])
    error_message = "Moving the account's default EBS key off ours (modifying it, or resetting it to aws/ebs) must be denied to all but the organization's role, which the bootstrap runs as."
  }

  assert {
    condition     = length(setintersection(toset(flatten([for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Action if s.Sid == "DenyDeletingFlowLogs"])), toset(["ec2:DeleteFlowLogs", "logs:DeleteLogGroup"]))) == 2
    error_message = "Deleting flow logs (or their log group) must be denied."
  }

  assert {
    condition     = [for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s if s.Sid == "DenyLeavingTheOrganization"] == [{ Sid = "DenyLeavingTheOrganization", Effect = "Deny", Action = ["organizations:LeaveOrganization"], Resource = "*" }]
    error_message = "Leaving the organization must be denied to everyone in an environment account."
  }

  assert {
    condition     = length(setintersection(toset(flatten([for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Action if s.Sid == "DenyBlindingTheAuditTrail"])), toset(["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:DeleteDetector", "config:StopConfigurationRecorder", "access-analyzer:DeleteAnalyzer"]))) == 5
    error_message = "Stopping or deleting CloudTrail, GuardDuty, Config or Access Analyzer must be denied."
  }

  assert {
    condition = alltrue([for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : contains([
      "arn:aws:iam::*:role/OrganizationAccountAccessRole", ["arn:aws:iam::*:role/OrganizationAccountAccessRole", "arn:aws:iam::*:role/infra-deploy"]
    ], try(s.Condition.ArnNotLike["aws:PrincipalArn"], "arn:aws:iam::*:role/OrganizationAccountAccessRole"))])
    error_message = "The only exceptions to a guard rail are the organization's own access role and, where terraform must (flow logs it made, log retention it sets), infra-deploy."
  }

  assert {
    condition = [for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Condition if s.Sid == "DenyDeletingFlowLogsTerraformDidNotMake"] == [{
      ArnLike         = { "aws:PrincipalArn" = "arn:aws:iam::*:role/infra-deploy" }
      StringNotEquals = { "aws:ResourceTag/ManagedBy" = "terraform" }
    }] && contains(flatten([for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Action if s.Sid == "DenyRetaggingFlowLogs"]), "ec2:CreateTags")
    error_message = "infra-deploy may delete only the flow logs terraform made (tagged ManagedBy = terraform when created, never retagged), so replacements and teardowns apply."
  }

  assert {
    condition     = length(setintersection(toset(flatten([for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Action if s.Sid == "DenyBlindingTheAuditTrail"])), toset(["cloudtrail:UpdateTrail", "config:PutConfigurationRecorder", "config:PutDeliveryChannel", "guardduty:UpdateDetector"]))) == 4
    error_message = "Redirecting the trail or reconfiguring Config's recorder and delivery channel must be denied too."
  }

  assert {
    condition = alltrue([for action in ["iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion"] :
    contains(flatten([for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Action if s.Sid == "DenyChangingThePlatformRoles"]), action)]) && contains(flatten([for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Resource if s.Sid == "DenyChangingThePlatformRoles"]), "arn:aws:iam::*:role/OrganizationAccountAccessRole")
    error_message = "Nobody but the organization's role may change OrganizationAccountAccessRole, the infra roles or the deploy boundary: whoever rewrites a role's trust becomes it."
  }

  assert {
    condition     = length(setintersection(toset(flatten([for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Action if s.Sid == "DenyLongLivedAccessKeys"])), toset(["iam:CreateAccessKey", "iam:CreateUser"]))) == 2 && length(setintersection(toset(flatten([for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Action if s.Sid == "DenySharingOutOfTheAccount"])), toset(["ram:CreateResourceShare", "ec2:CreateVpcPeeringConnection"]))) == 2
    error_message = "Access keys, RAM shares and VPC peering must be denied in the environment accounts."
  }

  assert {
    condition     = [for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Condition if s.Sid == "DenyShorteningAuditLogRetention"] == [{ ArnNotLike = { "aws:PrincipalArn" = ["arn:aws:iam::*:role/OrganizationAccountAccessRole", "arn:aws:iam::*:role/infra-deploy"] } }]
    error_message = "Only terraform (infra-deploy) and the organization's role may change the retention of the EKS and flow-log groups."
  }

  # The log groups modules/eks, modules/networking (flow logs, Session Manager transcripts) create
  # for an environment, by the names those modules give them: IAM's wildcards read as a regex.
  assert {
    condition = alltrue([for group in ["/aws/eks/infra-dev/cluster", "/aws/vpc/infra-dev/flow-logs", "/aws/ssm/infra-dev/sessions"] : anytrue([
      for pattern in flatten([for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Resource if s.Sid == "DenyShorteningAuditLogRetention" && contains(flatten([s.Action]), "logs:PutRetentionPolicy")]) :
      can(regex("^${replace(replace(pattern, ".", "\\."), "*", ".*")}$", "arn:aws:logs:eu-central-1:111111111111:log-group:${group}"))
    ])])
    error_message = "The retention guard rail must cover every audit log group: the EKS control-plane logs, the flow logs and the Session Manager transcripts (/aws/ssm/<name>/sessions)."
  }
}

run "rejects_a_missing_account_email" {
  command = plan

  variables {
    account_emails = {
      dev  = "aws+infra-dev@infra-operators.eu"
      prod = "aws+infra-prod@infra-operators.eu"
    }
  }

  expect_failures = [aws_organizations_account.this]
}

run "rejects_a_placeholder_account_email" {
  command = plan

  variables {
    account_emails = {
      dev     = "aws+infra-dev@example.com"
      prod    = "aws+infra-prod@infra-operators.eu"
      staging = "aws+infra-staging@infra-operators.eu"
    }
  }

  expect_failures = [var.account_emails]
}
