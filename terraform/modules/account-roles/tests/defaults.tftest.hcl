# Plans the roles against a mocked AWS provider and checks the credential chain of
# notes CREDENTIALS: who may become infra-deploy, infra-platform-admin and infra-break-glass.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111111111111" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  # Known during plan, so the trust policies can be asserted.
  override_resource {
    target          = aws_iam_openid_connect_provider.github
    override_during = plan
    values          = { arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com" }
  }

  override_resource {
    target          = aws_iam_role.break_glass
    override_during = plan
    values          = { arn = "arn:aws:iam::111111111111:role/infra-break-glass" }
  }
}

variables {
  environment               = "staging"
  github_repository         = "example-org/infra"
  deployer_principals       = ["arn:aws:iam::111111111111:role/AWSReservedSSO_Deployer_0123456789abcdef"]
  platform_admin_principals = ["arn:aws:iam::111111111111:role/AWSReservedSSO_PlatformAdmin_0123456789abcdef"]
  break_glass_principals    = ["arn:aws:iam::111111111111:user/break-glass"]
}

run "credential_chain" {
  command = plan

  assert {
    condition     = aws_iam_openid_connect_provider.github.url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github.client_id_list == toset(["sts.amazonaws.com"])
    error_message = "The GitHub OIDC provider must trust token.actions.githubusercontent.com for the audience sts.amazonaws.com."
  }

  assert {
    condition     = aws_iam_role.deploy.name == "infra-deploy" && aws_iam_role.platform_admin.name == "infra-platform-admin" && aws_iam_role.break_glass.name == "infra-break-glass"
    error_message = "The roles must carry the names the key policies, access entries and infra use."
  }

  assert {
    condition = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0] == {
      Sid       = "GitHubActionsOfThisRepositoryAndEnvironment"
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = "repo:example-org/infra:environment:staging"
        }
      }
    }
    error_message = "Only GitHub jobs of this repository in the GitHub environment named like the infra environment may assume infra-deploy (exact sub and aud, StringEquals)."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[1].Principal.AWS == ["arn:aws:iam::111111111111:role/AWSReservedSSO_Deployer_0123456789abcdef"] && length(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement) == 2
    error_message = "Besides GitHub, only the listed deployer principals may assume infra-deploy."
  }

  assert {
    condition     = jsondecode(aws_iam_role.break_glass.assume_role_policy).Statement[0].Condition.Bool["aws:MultiFactorAuthPresent"] == "true" && jsondecode(aws_iam_role.break_glass.assume_role_policy).Statement[0].Principal.AWS == ["arn:aws:iam::111111111111:user/break-glass"]
    error_message = "infra-break-glass must be assumable only by the listed principals, and only with MFA."
  }

  assert {
    condition     = jsondecode(aws_iam_role.platform_admin.assume_role_policy).Statement[0].Principal.AWS == ["arn:aws:iam::111111111111:role/AWSReservedSSO_PlatformAdmin_0123456789abcdef"]
    error_message = "Only the listed platform admins may assume infra-platform-admin."
  }

  assert {
    condition     = jsondecode(aws_iam_role.image_push.assume_role_policy).Statement == [jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0]]
    error_message = "infra-image-push must trust exactly the same GitHub subject as infra-deploy, and nobody else."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.deploy_guard.policy).Statement[0].Effect == "Deny" && jsondecode(aws_iam_role_policy.deploy_guard.policy).Statement[0].Resource == "arn:aws:iam::111111111111:role/infra-break-glass"
    error_message = "infra-deploy must not be able to change the break-glass role's trust or permissions."
  }
}

run "no_laptop_deployers" {
  command = plan

  variables {
    deployer_principals = []
  }

  assert {
    condition     = length(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement) == 1
    error_message = "Without deployer principals, only GitHub Actions may assume infra-deploy."
  }
}

run "rejects_a_wildcard_repository" {
  command = plan

  variables {
    github_repository = "example-org/*"
  }

  expect_failures = [var.github_repository]
}

run "rejects_missing_break_glass_principals" {
  command = plan

  variables {
    break_glass_principals = []
  }

  expect_failures = [var.break_glass_principals]
}
