# Plans the module with its defaults against a mocked AWS provider and checks the promises.

mock_provider "aws" {
  override_data {
    target = data.aws_region.current
    values = { region = "eu-central-1" }
  }
}

variables {
  state_bucket_name      = "infra-state-111111111111-eu-central-1"
  kms_key_administrators = ["arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"]
  state_key_users        = ["arn:aws:iam::111111111111:role/infra-deploy"]
}

run "secure_defaults" {
  command = plan

  assert {
    condition = alltrue([
      aws_s3_account_public_access_block.this.block_public_acls,
      aws_s3_account_public_access_block.this.block_public_policy,
      aws_s3_account_public_access_block.this.ignore_public_acls,
      aws_s3_account_public_access_block.this.restrict_public_buckets,
    ])
    error_message = "The account must block all public S3 access."
  }

  assert {
    condition     = aws_ebs_encryption_by_default.this.enabled
    error_message = "EBS encryption by default must be on."
  }

  assert {
    condition     = aws_s3_bucket.state.force_destroy == false
    error_message = "The state bucket must not be deletable with objects in it."
  }

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "The state bucket must be versioned."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : one(r.apply_server_side_encryption_by_default).sse_algorithm]) == "aws:kms"
    error_message = "The state bucket must be encrypted with SSE-KMS."
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.state.block_public_acls,
      aws_s3_bucket_public_access_block.state.block_public_policy,
      aws_s3_bucket_public_access_block.state.ignore_public_acls,
      aws_s3_bucket_public_access_block.state.restrict_public_buckets,
    ])
    error_message = "The state bucket must block all public access."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.state.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "The state bucket must disable ACLs (BucketOwnerEnforced)."
  }

  assert {
    condition     = module.state_key.alias_name == "alias/infra-state"
    error_message = "The state key must carry the alias the S3 backend names."
  }

  assert {
    condition     = jsondecode(module.state_key.policy).Statement[0].Principal.AWS == ["arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"]
    error_message = "The state key's administrators must be exactly those passed in."
  }

  assert {
    condition     = jsondecode(module.state_key.policy).Statement[1].Principal.AWS == ["arn:aws:iam::111111111111:role/infra-deploy"]
    error_message = "Only the state key users passed in may read and write state."
  }

  assert {
    condition     = output.backend == { bucket = "infra-state-111111111111-eu-central-1", region = "eu-central-1", kms_key_id = "alias/infra-state" }
    error_message = "The backend output must hold the bucket, region and key alias envs/<env>/backend.tf names."
  }
}

run "rejects_invalid_bucket_name" {
  command = plan

  variables {
    state_bucket_name = "Infra_State"
  }

  expect_failures = [var.state_bucket_name]
}

run "rejects_missing_state_key_users" {
  command = plan

  variables {
    state_key_users = []
  }

  expect_failures = [var.state_key_users]
}
