# Plans the module against a mocked AWS provider and checks the promises.

mock_provider "aws" {}

variables {
  description    = "Encrypts the test data"
  alias          = "alias/infra-test"
  administrators = ["arn:aws:iam::111111111111:role/infra-deploy"]

  break_glass_administrators = ["arn:aws:iam::111111111111:role/infra-break-glass"]
  log_group_arn              = "arn:aws:logs:eu-central-1:111111111111:log-group:/aws/test"

  statements = [
    {
      Sid       = "AppUsesTheKey"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111111111111:role/app" }
      Action    = ["kms:Encrypt", "kms:Decrypt"]
      Resource  = "*"
    },
    {
      Sid       = "ServiceUsesTheKey"
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
      Resource  = "*"
      Condition = { StringEquals = { "aws:SourceAccount" = "111111111111" } }
    },
  ]
}

run "secure_defaults" {
  command = plan

  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_key.this.deletion_window_in_days == 30
    error_message = "The key must rotate and wait the full 30 days before deletion."
  }

  assert {
    condition     = jsondecode(aws_kms_key.this.policy).Statement[0].Sid == "KeyAdministrators" && jsondecode(aws_kms_key.this.policy).Statement[0].Principal.AWS == ["arn:aws:iam::111111111111:role/infra-deploy"]
    error_message = "The policy's first statement must name exactly the administrators passed in."
  }

  assert {
    condition     = [for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid] == ["KeyAdministrators", "BreakGlassKeyAdministrators", "AdministratorsGrantOnlyToAWSServices", "AppUsesTheKey", "ServiceUsesTheKey", "CloudWatchLogsForThisLogGroup"]
    error_message = "The caller's statements must follow the three administrator statements, in order, then the log-group statement, and nothing else."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid == "AdministratorsGrantOnlyToAWSServices" || !anytrue([
        for action in flatten([s.Action]) : contains(["kms:*", "kms:Create*", "kms:CreateGrant", "kms:C*", "*"], action)
      ]) || !contains(["KeyAdministrators", "BreakGlassKeyAdministrators"], s.Sid)
    ])
    error_message = "Key administrators must not hold kms:CreateGrant (nor kms:Create* or kms:*) without kms:GrantIsForAWSResource: they could grant themselves decrypt."
  }

  assert {
    condition = jsondecode(aws_kms_key.this.policy).Statement[2] == {
      Sid       = "AdministratorsGrantOnlyToAWSServices"
      Effect    = "Allow"
      Principal = { AWS = ["arn:aws:iam::111111111111:role/infra-deploy", "arn:aws:iam::111111111111:role/infra-break-glass"] }
      Action    = "kms:CreateGrant"
      Resource  = "*"
      Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
    }
    error_message = "Administrators may create grants only for AWS services (kms:GrantIsForAWSResource)."
  }

  assert {
    condition     = jsondecode(aws_kms_key.this.policy).Statement[1].Sid == "BreakGlassKeyAdministrators" && jsondecode(aws_kms_key.this.policy).Statement[1].Principal.AWS == ["arn:aws:iam::111111111111:role/infra-break-glass"] && jsondecode(aws_kms_key.this.policy).Statement[1].Action == concat(jsondecode(aws_kms_key.this.policy).Statement[0].Action, ["kms:PutKeyPolicy"])
    error_message = "The break-glass role must administer the key like the administrators do, and alone may rewrite its policy, so a lost deploy role never leaves the key unmanageable."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid == "BreakGlassKeyAdministrators" || !anytrue([
        for action in flatten([s.Action]) : contains(["kms:*", "kms:Put*", "kms:P*", "kms:PutKeyPolicy", "*"], action)
      ])
    ])
    error_message = "Only the break-glass administrators may hold kms:PutKeyPolicy: whoever may rewrite the key policy may grant itself decrypt."
  }

  assert {
    condition     = aws_kms_key.this.customer_master_key_spec == "SYMMETRIC_DEFAULT" && aws_kms_key.this.key_usage == "ENCRYPT_DECRYPT"
    error_message = "By default the key is a symmetric encryption key."
  }

  assert {
    condition = jsondecode(aws_kms_key.this.policy).Statement[5] == {
      Sid       = "CloudWatchLogsForThisLogGroup"
      Effect    = "Allow"
      Principal = { Service = "logs.eu-central-1.amazonaws.com" }
      Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      Resource  = "*"
      Condition = { ArnEquals = { "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:eu-central-1:111111111111:log-group:/aws/test" } }
    }
    error_message = "CloudWatch Logs of the log group's region may use the key only for that one log group."
  }

  assert {
    condition     = !strcontains(aws_kms_key.this.policy, ":root")
    error_message = "The key policy must not trust an account root."
  }

  assert {
    condition     = aws_kms_alias.this[0].name == "alias/infra-test" && output.alias_name == "alias/infra-test"
    error_message = "The alias passed in must name the key."
  }
}

run "no_alias_and_no_statements" {
  command = plan

  variables {
    alias         = null
    log_group_arn = null
    statements    = []
  }

  assert {
    condition     = length(aws_kms_alias.this) == 0 && output.alias_name == null
    error_message = "Without an alias, no alias resource is created."
  }

  assert {
    condition     = length(jsondecode(aws_kms_key.this.policy).Statement) == 3
    error_message = "Without statements, the policy holds only the three administrator statements."
  }
}

run "volume_launchers" {
  command = plan

  variables {
    volume_launchers = ["arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"]
  }

  assert {
    condition     = [for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid] == ["KeyAdministrators", "BreakGlassKeyAdministrators", "AdministratorsGrantOnlyToAWSServices", "AppUsesTheKey", "ServiceUsesTheKey", "VolumeLaunchersUseTheKey", "VolumeLaunchersGrantOnlyToAWSServices", "CloudWatchLogsForThisLogGroup"]
    error_message = "The volume launchers' statements must follow the caller's statements and precede the log-group statement."
  }

  assert {
    condition = [for s in jsondecode(aws_kms_key.this.policy).Statement : s if startswith(s.Sid, "VolumeLaunchers")] == [
      {
        Sid       = "VolumeLaunchersUseTheKey"
        Effect    = "Allow"
        Principal = { AWS = ["arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"] }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
      },
      {
        Sid       = "VolumeLaunchersGrantOnlyToAWSServices"
        Effect    = "Allow"
        Principal = { AWS = ["arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"] }
        Action    = "kms:CreateGrant"
        Resource  = "*"
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
    ]
    error_message = "Volume launchers may use the key and create grants only for AWS resources (EC2 attaching a volume), never for a principal."
  }
}

run "rejects_a_volume_launcher_wildcard" {
  command = plan

  variables {
    volume_launchers = ["arn:aws:iam::111111111111:role/*"]
  }

  expect_failures = [var.volume_launchers]
}

run "asymmetric_signing_key" {
  command = plan

  variables {
    key_spec      = "ECC_NIST_P256"
    key_usage     = "SIGN_VERIFY"
    log_group_arn = null
  }

  assert {
    condition     = aws_kms_key.this.customer_master_key_spec == "ECC_NIST_P256" && aws_kms_key.this.key_usage == "SIGN_VERIFY"
    error_message = "The key must carry the spec and usage passed in."
  }

  assert {
    condition     = !aws_kms_key.this.enable_key_rotation && aws_kms_key.this.deletion_window_in_days == 30
    error_message = "AWS does not rotate asymmetric keys (rotation must be off, or AWS refuses the key); deletion still waits 30 days."
  }
}

run "rejects_signing_with_a_symmetric_key" {
  command = plan

  variables {
    key_usage = "SIGN_VERIFY"
  }

  expect_failures = [var.key_usage]
}

run "rejects_missing_administrators" {
  command = plan

  variables {
    administrators = []
  }

  expect_failures = [var.administrators]
}

run "rejects_account_root" {
  command = plan

  variables {
    statements = [{
      Sid       = "Everyone"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111111111111:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  }

  expect_failures = [var.statements]
}

run "rejects_a_second_key_administrators_statement" {
  command = plan

  variables {
    statements = [{
      Sid       = "KeyAdministrators"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111111111111:role/someone" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  }

  expect_failures = [var.statements]
}

run "rejects_a_log_group_wildcard" {
  command = plan

  variables {
    log_group_arn = "arn:aws:logs:eu-central-1:111111111111:log-group:*"
  }

  expect_failures = [var.log_group_arn]
}

run "rejects_reserved_alias" {
  command = plan

  variables {
    alias = "alias/aws/ebs"
  }

  expect_failures = [var.alias]
}

run "rejects_missing_break_glass_administrators" {
  command = plan

  variables {
    break_glass_administrators = []
  }

  expect_failures = [var.break_glass_administrators]
}
