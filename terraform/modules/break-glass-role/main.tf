# infra-break-glass: the KMS key administrator of last resort of one account, named in every key
# policy there; assumable only by the listed IAM users, and only with MFA. It holds no IAM
# permissions: the key policies grant what it may do. account-roles makes it in each account it
# bootstraps, terraform/log-archive in the log archive account.
resource "aws_iam_role" "this" {
  name                 = "infra-break-glass"
  description          = var.description
  max_session_duration = 3600

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "ListedBreakGlassPrincipalsWithMFA"
      Effect    = "Allow"
      Principal = { AWS = var.principals }
      Action    = "sts:AssumeRole"
      Condition = {
        Bool            = { "aws:MultiFactorAuthPresent" = "true" }
        NumericLessThan = { "aws:MultiFactorAuthAge" = "3600" }
      }
    }]
  })

  tags = var.tags
}
