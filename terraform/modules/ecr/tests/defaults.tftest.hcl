# Plans the module with its defaults against a mocked AWS provider and checks the promises.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111111111111" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { id = "eu-central-1" }
  }

  override_resource {
    target          = module.kms_key.aws_kms_key.this
    override_during = plan
    values          = { arn = "arn:aws:kms:eu-central-1:111111111111:key/22222222-2222-2222-2222-222222222222" }
  }
}

variables {
  name = "infra-test"
  repositories = {
    "platform/api"    = { keep_images = 100 }
    "platform/worker" = {}
  }
  push_principal_arns = ["arn:aws:iam::111111111111:role/infra-image-push"]
  pull_principal_arns = ["arn:aws:iam::111111111111:role/infra-test-node"]

  kms_key_administrators         = ["arn:aws:iam::111111111111:role/infra-deploy"]
  kms_break_glass_administrators = ["arn:aws:iam::111111111111:role/infra-break-glass"]
}

run "secure_defaults" {
  command = plan

  assert {
    condition     = alltrue([for r in values(aws_ecr_repository.this) : r.image_tag_mutability == "IMMUTABLE"])
    error_message = "Tags must be immutable."
  }

  assert {
    condition     = alltrue([for r in values(aws_ecr_repository.this) : r.image_scanning_configuration[0].scan_on_push])
    error_message = "Every repository must scan on push."
  }

  assert {
    condition     = alltrue([for r in values(aws_ecr_repository.this) : r.encryption_configuration[0].encryption_type == "KMS"])
    error_message = "Repositories must be KMS-encrypted, never AES256."
  }

  assert {
    condition     = alltrue([for r in values(aws_ecr_repository.this) : r.encryption_configuration[0].kms_key == "arn:aws:kms:eu-central-1:111111111111:key/22222222-2222-2222-2222-222222222222"]) && module.kms_key.alias_name == "alias/ecr/infra-test"
    error_message = "Repositories must be encrypted with the module's own customer-managed key, not the AWS-managed aws/ecr."
  }

  assert {
    condition     = keys(aws_ecr_repository_policy.this) == ["platform/api", "platform/worker"]
    error_message = "Every repository must carry the repository policy."
  }

  assert {
    condition = alltrue([for p in values(aws_ecr_repository_policy.this) : [for st in jsondecode(p.policy).Statement : [st.Sid, st.Effect, try(st.Principal.AWS, st.Principal)]] == [
      ["PushFromCI", "Allow", ["arn:aws:iam::111111111111:role/infra-image-push"]],
      ["PullFromNodes", "Allow", ["arn:aws:iam::111111111111:role/infra-test-node"]],
      ["NobodyElsePushes", "Deny", "*"],
      ["NobodyElsePulls", "Deny", "*"],
    ]])
    error_message = "The repository policy must allow push only to the CI role and pull only to the nodes, and deny both to everyone else."
  }

  assert {
    condition = alltrue([for p in values(aws_ecr_repository_policy.this) : jsondecode(p.policy).Statement[2].Condition == {
      ArnNotLike = { "aws:PrincipalArn" = ["arn:aws:iam::111111111111:role/infra-image-push"] }
      Bool       = { "aws:PrincipalIsAWSService" = "false" }
      } && jsondecode(p.policy).Statement[3].Condition.ArnNotLike["aws:PrincipalArn"] == [
      "arn:aws:iam::111111111111:role/infra-image-push", "arn:aws:iam::111111111111:role/infra-test-node", "arn:aws:iam::111111111111:role/aws-service-role/*",
      ] && contains(jsondecode(p.policy).Statement[2].Action, "ecr:PutImage") && contains(jsondecode(p.policy).Statement[3].Action, "ecr:BatchGetImage")
    ])
    error_message = "Pushing must be denied to everyone but the CI role, pulling to everyone but the nodes, the CI role and AWS service-linked roles."
  }

  assert {
    condition     = alltrue([for r in values(aws_ecr_repository.this) : r.force_delete == false])
    error_message = "force_delete must stay off: deleting a repository must not delete its images."
  }

  assert {
    condition     = one(aws_ecr_registry_scanning_configuration.this.rule).scan_frequency == "SCAN_ON_PUSH"
    error_message = "The registry must scan every repository on push."
  }

  assert {
    condition     = keys(aws_ecr_lifecycle_policy.this) == ["platform/api"]
    error_message = "A lifecycle policy is created only where keep_images is set."
  }

  assert {
    condition     = alltrue([for policy in values(aws_ecr_lifecycle_policy.this) : alltrue([for rule in jsondecode(policy.policy).rules : rule.selection.tagStatus == "untagged"])])
    error_message = "Lifecycle rules may expire untagged images only: an expired tag could be pushed again with other content."
  }
}

run "rejects_unknown_scan_type" {
  command = plan

  variables {
    scan_type = "NONE"
  }

  expect_failures = [var.scan_type]
}

run "rejects_uppercase_repository_name" {
  command = plan

  variables {
    repositories = { "Platform/API" = {} }
  }

  expect_failures = [var.repositories]
}

run "rejects_a_wildcard_pusher" {
  command = plan

  variables {
    push_principal_arns = ["arn:aws:iam::111111111111:role/*"]
  }

  expect_failures = [var.push_principal_arns]
}
