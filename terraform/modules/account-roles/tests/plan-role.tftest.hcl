# Plans infra-plan against a mocked AWS provider: who may become it (a pull request's job or
# main's drift check of this repository, never an environment's job), and that it reads the
# state without being able to write it or its lock.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111111111111" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { name = "eu-central-1" }
  }

  override_resource {
    target          = aws_iam_openid_connect_provider.github
    override_during = plan
    values          = { arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com" }
  }

  override_resource {
    target          = module.break_glass.aws_iam_role.this
    override_during = plan
    values          = { arn = "arn:aws:iam::111111111111:role/infra-break-glass" }
  }
}

variables {
  kms_key_administrators    = ["arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"]
  environment               = "staging"
  github_repository         = "example-org/infra"
  platform_admin_principals = ["arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_PlatformAdmin_0123456789abcdef"]
  break_glass_principals    = ["arn:aws:iam::111111111111:user/break-glass"]
}

run "plan_role" {
  command = plan

  assert {
    condition     = aws_iam_role.plan.name == "infra-plan"
    error_message = "The read-only role must be named infra-plan: the workflows and `infra plan --read-only` assume it by that name."
  }

  assert {
    condition = jsondecode(aws_iam_role.plan.assume_role_policy).Statement == [{
      Sid       = "GitHubPullRequestsAndMainOfThisRepository"
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals               = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        "ForAnyValue:StringEquals" = { "token.actions.githubusercontent.com:sub" = ["repo:example-org/infra:pull_request", "repo:example-org/infra:ref:refs/heads/main"] }
      }
    }]
    error_message = "Only pull requests and main's drift check of this repository may assume infra-plan, by exact subject."
  }

  assert {
    condition     = !contains(jsondecode(aws_iam_role.plan.assume_role_policy).Statement[0].Condition["ForAnyValue:StringEquals"]["token.actions.githubusercontent.com:sub"], jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"])
    error_message = "infra-plan must never trust the environment subject infra-deploy trusts."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.plan_read_only.policy_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    error_message = "infra-plan reads the account through AWS's ReadOnlyAccess, nothing more."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.plan_state.policy).Statement[0].Resource == "arn:aws:s3:::infra-state-111111111111-eu-central-1/envs/staging/terraform.tfstate" && jsondecode(aws_iam_role_policy.plan_state.policy).Statement[0].Action == ["s3:GetObject"]
    error_message = "infra-plan reads exactly this environment's state object of its backend.tf."
  }

  assert {
    condition     = alltrue([for statement in jsondecode(aws_iam_role_policy.plan_state.policy).Statement : statement.Effect == "Deny" || length([for action in statement.Action : action if can(regex("^s3:(Put|Delete)", action))]) == 0])
    error_message = "infra-plan may not write or delete the state or its lock file (read-only plans run with -lock=false)."
  }

  assert {
    condition     = contains(jsondecode(aws_iam_role_policy.plan_state.policy).Statement[3].Action, "s3:PutObject") && jsondecode(aws_iam_role_policy.plan_state.policy).Statement[3].Effect == "Deny"
    error_message = "infra-plan must be denied writing to the state bucket, whatever ReadOnlyAccess grows into."
  }
}
