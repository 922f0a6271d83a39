################################################################################
# infra-plan: reads, never changes (a pull request's plan, the scheduled drift check)
################################################################################

locals {
  # A pull request's job (no GitHub environment) and a scheduled job on main (the drift check,
  # also without an environment). Never an environment's subject: that is infra-deploy's alone,
  # so no job that can become infra-plan can also apply, and the reverse.
  plan_subjects = [
    "repo:${var.github_repository}:pull_request",
    "repo:${var.github_repository}:ref:refs/heads/main",
  ]

  # The state this environment's terraform keeps (envs/<env>/backend.tf, made by the bootstrap
  # stack): infra-plan reads it and never writes its lock, so a read-only plan runs with
  # -lock=false and cannot hold up an apply.
  plan_state_bucket = "infra-state-${local.account_id}-${data.aws_region.current.name}"
  plan_state_key    = "envs/${var.environment}/terraform.tfstate"
}

resource "aws_iam_role" "plan" {
  name                 = "infra-plan"
  description          = "Reads the ${var.environment} environment for a pull request's plan and the drift check; changes nothing"
  max_session_duration = 3600

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "GitHubPullRequestsAndMainOfThisRepository"
      Effect    = "Allow"
      Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = { "${local.github_host}:aud" = "sts.amazonaws.com" }
        # StringEquals over a list: the token's sub must be exactly one of them, no wildcard.
        "ForAnyValue:StringEquals" = { "${local.github_host}:sub" = local.plan_subjects }
      }
    }]
  })

  tags = var.tags
}

# What refresh needs of every resource type terraform manages; AWS keeps it current.
resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.plan.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role_policy" "plan_state" {
  name = "read-the-state"
  role = aws_iam_role.plan.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadTheStateObject"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = "arn:${local.partition}:s3:::${local.plan_state_bucket}/${local.plan_state_key}"
      },
      {
        Sid      = "ListTheStateBucket"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = "arn:${local.partition}:s3:::${local.plan_state_bucket}"
      },
      {
        # The state is encrypted with alias/infra-state; decrypting through S3 only.
        Sid      = "DecryptTheStateThroughS3"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = "*"
        Condition = {
          StringEquals               = { "kms:ViaService" = "s3.${data.aws_region.current.name}.amazonaws.com" }
          "ForAnyValue:StringEquals" = { "kms:ResourceAliases" = "alias/infra-state" }
        }
      },
      {
        # Read-only whatever the managed policy grows into: no write of the state, its lock, or anything else in the bucket.
        Sid      = "NeverWriteTheState"
        Effect   = "Deny"
        Action   = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutBucketPolicy", "s3:PutBucketVersioning"]
        Resource = ["arn:${local.partition}:s3:::${local.plan_state_bucket}", "arn:${local.partition}:s3:::${local.plan_state_bucket}/*"]
      },
    ]
  })
}
