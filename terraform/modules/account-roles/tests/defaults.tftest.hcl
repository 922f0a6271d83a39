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
    target          = module.break_glass.aws_iam_role.this
    override_during = plan
    values          = { arn = "arn:aws:iam::111111111111:role/infra-break-glass" }
  }

  override_resource {
    target          = aws_iam_policy.deploy_boundary
    override_during = plan
    values          = { arn = "arn:aws:iam::111111111111:policy/infra-deploy-boundary" }
  }

  override_resource {
    target          = aws_iam_role.deploy
    override_during = plan
    values          = { arn = "arn:aws:iam::111111111111:role/infra-deploy" }
  }

  # Known during plan, so the public key is read (the data source waits for the key's ARN).
  override_resource {
    target          = module.ledger_key.aws_kms_alias.this
    override_during = plan
    values          = { arn = "arn:aws:kms:eu-central-1:111111111111:alias/infra-ledger" }
  }

  override_data {
    target          = data.aws_kms_public_key.ledger
    override_during = plan
    values          = { public_key_pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmockmockmockmock\n-----END PUBLIC KEY-----\n" }
  }
}

variables {
  kms_key_administrators    = ["arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"]
  environment               = "staging"
  github_repository         = "example-org/infra"
  deployer_principals       = ["arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_Deployer_0123456789abcdef"]
  platform_admin_principals = ["arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_PlatformAdmin_0123456789abcdef"]
  break_glass_principals    = ["arn:aws:iam::111111111111:user/break-glass"]
}

run "credential_chain" {
  command = plan

  assert {
    condition     = aws_iam_openid_connect_provider.github.url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github.client_id_list == toset(["sts.amazonaws.com"])
    error_message = "The GitHub OIDC provider must trust token.actions.githubusercontent.com for the audience sts.amazonaws.com."
  }

  assert {
    condition     = aws_iam_role.deploy.name == "infra-deploy" && aws_iam_role.platform_admin.name == "infra-platform-admin" && module.break_glass.name == "infra-break-glass"
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
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[1].Principal.AWS == ["arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_Deployer_0123456789abcdef"] && length(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement) == 2
    error_message = "Besides GitHub, only the listed deployer principals may assume infra-deploy."
  }

  # Its trust (the listed IAM users, MFA only) is modules/break-glass-role's, tested there.
  assert {
    condition     = output.break_glass_role_arn == "arn:aws:iam::111111111111:role/infra-break-glass"
    error_message = "infra-break-glass (modules/break-glass-role) must be the account's break-glass role."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.platform_admin.policy).Statement : s if contains(flatten([s.Action]), "ssm:StartSession")] == [
      {
        Sid       = "PortForwardThroughDeployAccess"
        Effect    = "Allow"
        Action    = "ssm:StartSession"
        Resource  = "arn:aws:ec2:*:111111111111:instance/*"
        Condition = { StringEquals = { "ssm:resourceTag/Role" = "deploy-access" } }
      },
      {
        Sid      = "WithThePortForwardingDocumentOnly"
        Effect   = "Allow"
        Action   = "ssm:StartSession"
        Resource = "arn:aws:ssm:*::document/AWS-StartPortForwardingSessionToRemoteHost"
      },
    ]
    error_message = "infra-platform-admin may port-forward only through the instance tagged Role = deploy-access (an untagged instance, a node, is no target), with the port-forwarding document only."
  }

  assert {
    condition     = jsondecode(aws_iam_role.platform_admin.assume_role_policy).Statement[0].Principal.AWS == ["arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_PlatformAdmin_0123456789abcdef"]
    error_message = "Only the listed platform admins may assume infra-platform-admin."
  }

  assert {
    condition     = jsondecode(aws_iam_role.image_push.assume_role_policy).Statement == [jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0]]
    error_message = "infra-image-push must trust exactly the same GitHub subject as infra-deploy, and nobody else."
  }

  assert {
    condition     = aws_iam_role.deploy.permissions_boundary == "arn:aws:iam::111111111111:policy/infra-deploy-boundary" && aws_iam_policy.deploy_boundary.name == "infra-deploy-boundary"
    error_message = "infra-deploy must carry the infra-deploy-boundary permissions boundary."
  }

  assert {
    condition = alltrue([for role in ["OrganizationAccountAccessRole", "infra-deploy", "infra-break-glass"] : contains(flatten([
      for s in jsondecode(aws_iam_policy.deploy_boundary.policy).Statement : s.Resource if s.Effect == "Deny" && contains(flatten([s.Action]), "iam:UpdateAssumeRolePolicy") && contains(flatten([s.Action]), "iam:AttachRolePolicy")
    ]), "arn:aws:iam::111111111111:role/${role}")])
    error_message = "infra-deploy must not change OrganizationAccountAccessRole, the break-glass role or its own role (trust or policies)."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_policy.deploy_boundary.policy).Statement : s if s.Sid == "NoRoleWithoutTheBoundary"] == [{
      Sid       = "NoRoleWithoutTheBoundary"
      Effect    = "Deny"
      Action    = ["iam:CreateRole", "iam:PutRolePermissionsBoundary"]
      Resource  = "*"
      Condition = { StringNotEquals = { "iam:PermissionsBoundary" = "arn:aws:iam::111111111111:policy/infra-deploy-boundary" } }
    }] && contains(flatten([for s in jsondecode(aws_iam_policy.deploy_boundary.policy).Statement : s.Action if s.Effect == "Deny" && s.Resource == "arn:aws:iam::111111111111:policy/infra-deploy-boundary"]), "iam:CreatePolicyVersion")
    error_message = "Every role infra-deploy creates must carry its boundary, and the boundary itself must not change."
  }

  assert {
    condition     = length(setintersection(toset(flatten([for s in jsondecode(aws_iam_policy.deploy_boundary.policy).Statement : s.Action if s.Effect == "Deny"])), toset(["cloudtrail:StopLogging", "cloudtrail:UpdateTrail", "guardduty:DeleteDetector", "config:StopConfigurationRecorder", "access-analyzer:DeleteAnalyzer", "ec2:ModifyFlowLogs", "iam:CreateAccessKey"]))) == 7
    error_message = "infra-deploy must not stop or redirect the trail, GuardDuty, Config, Access Analyzer or flow logs, nor create access keys."
  }

  assert {
    condition = alltrue([for action in ["ec2:DisableEbsEncryptionByDefault", "ec2:ModifyEbsDefaultKmsKeyId", "ec2:ResetEbsDefaultKmsKeyId"] : contains(flatten([
      for s in jsondecode(aws_iam_policy.deploy_boundary.policy).Statement : s.Action if s.Effect == "Deny" && s.Resource == "*" && !can(s.Condition)
    ]), action)])
    error_message = "infra-deploy must not turn off EBS encryption by default nor move the account's default EBS key off ours (modify or reset it to aws/ebs)."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_policy.deploy_boundary.policy).Statement : s.Condition if s.Sid == "NoDeletingFlowLogsTerraformDidNotMake"] == [{ StringNotEquals = { "aws:ResourceTag/ManagedBy" = "terraform" } }]
    error_message = "infra-deploy may delete only flow logs terraform made (ManagedBy = terraform), so replacements and teardowns apply and nothing else is deleted."
  }

  assert {
    condition     = [for attachment in aws_iam_role_policy_attachment.deploy : attachment.policy_arn] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    error_message = "In an environment account infra-deploy administers the account, bounded."
  }
}

run "management_account_deploy_role_is_no_administrator" {
  command = plan

  variables {
    environment             = "org"
    deploy_role_policy_arns = ["arn:aws:iam::aws:policy/AWSOrganizationsFullAccess"]
  }

  assert {
    condition     = [for attachment in aws_iam_role_policy_attachment.deploy : attachment.policy_arn] == ["arn:aws:iam::aws:policy/AWSOrganizationsFullAccess"]
    error_message = "infra-deploy holds exactly the policies passed in (no AdministratorAccess in the management account)."
  }
}

run "ledger_signing_key" {
  command = plan

  assert {
    condition     = module.ledger_key.key_spec == "ECC_NIST_P256" && module.ledger_key.key_usage == "SIGN_VERIFY" && output.ledger_key_alias == "alias/infra-ledger"
    error_message = "The ledger key must be an ECC_NIST_P256 SIGN_VERIFY key under alias/infra-ledger (the alias infra signs with)."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(module.ledger_key.policy).Statement : s.Principal == { AWS = "arn:aws:iam::111111111111:role/infra-deploy" } || !anytrue([
        for action in flatten([s.Action]) : contains(["*", "kms:*", "kms:S*", "kms:Si*", "kms:Sig*", "kms:Sign*", "kms:Sign"], action)
      ])
    ]) && length([for s in jsondecode(module.ledger_key.policy).Statement : s if contains(flatten([s.Action]), "kms:Sign")]) == 1
    error_message = "Only infra-deploy may sign with the ledger key (kms:Sign in exactly one statement, naming infra-deploy alone); its administrators and break glass must not."
  }

  assert {
    condition = [for s in jsondecode(module.ledger_key.policy).Statement : s if s.Sid == "OnlyTheDeployRoleSigns"] == [{
      Sid       = "OnlyTheDeployRoleSigns"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111111111111:role/infra-deploy" }
      Action    = "kms:Sign"
      Resource  = "*"
      Condition = { StringEquals = { "kms:SigningAlgorithm" = "ECDSA_SHA_256" } }
    }]
    error_message = "infra-deploy signs with ECDSA_SHA_256, the algorithm the CLI verifies."
  }

  assert {
    condition     = jsondecode(module.ledger_key.policy).Statement[0].Principal.AWS == ["arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"] && jsondecode(module.ledger_key.policy).Statement[1].Principal.AWS == ["arn:aws:iam::111111111111:role/infra-break-glass"] && contains(jsondecode(module.ledger_key.policy).Statement[0].Action, "kms:Get*")
    error_message = "The ledger key is administered like the other keys: the bootstrap role and infra-break-glass, who may read its public key."
  }

  assert {
    condition     = startswith(output.ledger_public_key_pem, "-----BEGIN PUBLIC KEY-----")
    error_message = "ledger_public_key_pem must be the key's public key in PEM (the file committed as envs/<env>/ledger-key.pem)."
  }
}

run "protected_environment_changes_only_through_the_pipeline" {
  command = plan

  variables {
    environment         = "prod"
    protected           = true
    deployer_principals = []
  }

  assert {
    condition = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement == [{
      Sid       = "GitHubActionsOfThisRepositoryAndEnvironment"
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = "repo:example-org/infra:environment:prod"
        }
      }
    }]
    error_message = "A protected environment's infra-deploy must trust nothing but GitHub OIDC of that deployment environment."
  }
}

run "protected_environment_refuses_deployers" {
  command = plan

  variables {
    environment = "prod"
    protected   = true
  }

  expect_failures = [var.deployer_principals]
}

run "customised_subject_claim" {
  command = plan

  variables {
    environment         = "prod"
    protected           = true
    deployer_principals = []
    github_oidc_subject = "repo:example-org/infra:environment:prod:job_workflow_ref:example-org/infra/.github/workflows/infra.yml@refs/heads/main"
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:example-org/infra:environment:prod:job_workflow_ref:example-org/infra/.github/workflows/infra.yml@refs/heads/main" && length(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement) == 1
    error_message = "With a customised sub claim, infra-deploy trusts exactly that subject."
  }
}

run "rejects_a_subject_of_another_environment" {
  command = plan

  variables {
    github_oidc_subject = "repo:example-org/infra:environment:dev:job_workflow_ref:example-org/infra/.github/workflows/infra.yml@refs/heads/main"
  }

  expect_failures = [var.github_oidc_subject]
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

run "rejects_an_identity_center_role_without_its_path" {
  command = plan

  variables {
    platform_admin_principals = ["arn:aws:iam::111111111111:role/AWSReservedSSO_PlatformAdmin_0123456789abcdef"]
  }

  expect_failures = [var.platform_admin_principals]
}
