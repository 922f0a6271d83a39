# Plans the organization stack against a mocked AWS provider and checks the log archive account:
# its own root address, and the Config aggregator and Security Hub delegated to it.

mock_provider "aws" {}

variables {
  account_emails = {
    dev     = "aws+infra-dev@infra-operators.eu"
    prod    = "aws+infra-prod@infra-operators.eu"
    staging = "aws+infra-staging@infra-operators.eu"
  }
  log_archive_email = "aws+infra-log-archive@infra-operators.eu"
}

# The account id AWS would give the new account, known at plan time so the delegations can be
# checked against it.
override_resource {
  target          = aws_organizations_account.log_archive
  override_during = plan
  values          = { id = "444444444444" }
}

run "log_archive_account" {
  command = plan

  assert {
    condition     = aws_organizations_account.log_archive.name == "infra-log-archive" && aws_organizations_account.log_archive.email == "aws+infra-log-archive@infra-operators.eu" && !aws_organizations_account.log_archive.close_on_deletion
    error_message = "The organization must have a log archive account of its own, with its own root address."
  }

  assert {
    condition     = !contains(keys(aws_organizations_policy_attachment.region_lock), "log-archive") && aws_organizations_policy_attachment.guardrails_log_archive.target_id == "444444444444"
    error_message = "The log archive account carries the guard rails (no leaving the organization, no blinding the audit services) and is no environment."
  }

  assert {
    condition     = length(setintersection(aws_organizations_organization.this.aws_service_access_principals, toset(["cloudtrail.amazonaws.com", "config.amazonaws.com", "config-multiaccountsetup.amazonaws.com", "securityhub.amazonaws.com"]))) == 4
    error_message = "The organization must trust CloudTrail (organization trail), Config (aggregator) and Security Hub."
  }
}

run "delegations" {
  command = plan

  assert {
    condition     = aws_organizations_delegated_administrator.config.account_id == "444444444444" && aws_organizations_delegated_administrator.config.service_principal == "config.amazonaws.com"
    error_message = "AWS Config (the organization's aggregator) must be administered from the log archive account."
  }

  assert {
    condition     = aws_securityhub_organization_admin_account.log_archive.admin_account_id == "444444444444"
    error_message = "Security Hub must be administered from the log archive account."
  }

  assert {
    condition     = output.log_archive_account_id == "444444444444"
    error_message = "The stack must output the log archive account id, which terraform/log-archive states."
  }
}

run "rejects_a_placeholder_log_archive_email" {
  command = plan

  variables {
    log_archive_email = "aws+infra-log-archive@example.com"
  }

  expect_failures = [var.log_archive_email]
}

run "rejects_a_log_archive_email_an_environment_has" {
  command = plan

  variables {
    log_archive_email = "aws+infra-prod@infra-operators.eu"
  }

  expect_failures = [aws_organizations_account.log_archive]
}
