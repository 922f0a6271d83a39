# Plans the module with its defaults against a mocked AWS provider and checks the promises.

mock_provider "aws" {}

variables {
  repositories = {
    "platform/api"    = { keep_images = 100 }
    "platform/worker" = {}
  }
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
