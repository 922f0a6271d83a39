# Plans the organization stack against a mocked AWS provider and checks its service control
# policies: each environment folder gets an account, a region lock and the guard rails.

mock_provider "aws" {}

variables {
  account_emails = {
    dev     = "aws+infra-dev@example.com"
    prod    = "aws+infra-prod@example.com"
    staging = "aws+infra-staging@example.com"
  }
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
    condition     = [for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : s.Effect] == ["Deny", "Deny", "Deny", "Deny", "Deny"]
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
    condition     = alltrue([for s in jsondecode(aws_organizations_policy.guardrails.content).Statement : try(s.Condition.ArnNotLike["aws:PrincipalArn"], "arn:aws:iam::*:role/OrganizationAccountAccessRole") == "arn:aws:iam::*:role/OrganizationAccountAccessRole"])
    error_message = "The only exception to a guard rail is the organization's own access role."
  }
}

run "rejects_a_missing_account_email" {
  command = plan

  variables {
    account_emails = {
      dev  = "aws+infra-dev@example.com"
      prod = "aws+infra-prod@example.com"
    }
  }

  expect_failures = [aws_organizations_account.this]
}
