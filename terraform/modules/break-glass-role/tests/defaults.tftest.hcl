# Plans the module against a mocked AWS provider: the role of last resort is assumable only by
# the listed IAM users, with MFA.

mock_provider "aws" {}

variables {
  description = "Administers the test account's KMS keys when nothing else can; MFA required"
  principals  = ["arn:aws:iam::111111111111:user/break-glass"]
}

run "mfa_only" {
  command = plan

  assert {
    condition     = aws_iam_role.this.name == "infra-break-glass" && aws_iam_role.this.max_session_duration == 3600
    error_message = "The role must be infra-break-glass (the name the guard rails protect), with one-hour sessions."
  }

  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy).Statement == [{
      Sid       = "ListedBreakGlassPrincipalsWithMFA"
      Effect    = "Allow"
      Principal = { AWS = ["arn:aws:iam::111111111111:user/break-glass"] }
      Action    = "sts:AssumeRole"
      Condition = {
        Bool            = { "aws:MultiFactorAuthPresent" = "true" }
        NumericLessThan = { "aws:MultiFactorAuthAge" = "3600" }
      }
    }]
    error_message = "infra-break-glass must be assumable only by the listed IAM users, and only with MFA signed in within the hour."
  }
}

run "rejects_missing_principals" {
  command = plan

  variables {
    principals = []
  }

  expect_failures = [var.principals]
}

# An Identity Center role session never carries aws:MultiFactorAuthPresent: the role could never
# be assumed.
run "rejects_a_role" {
  command = plan

  variables {
    principals = ["arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_BreakGlass_0123456789abcdef"]
  }

  expect_failures = [var.principals]
}
