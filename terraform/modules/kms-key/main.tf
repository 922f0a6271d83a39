locals {
  # CloudWatch Logs may use the key only for the one log group named, in that log group's region.
  log_group_statements = var.log_group_arn == null ? [] : [{
    Sid       = "CloudWatchLogsForThisLogGroup"
    Effect    = "Allow"
    Principal = { Service = "logs.${split(":", var.log_group_arn)[3]}.amazonaws.com" }
    Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    Resource  = "*"
    Condition = { ArnEquals = { "kms:EncryptionContext:aws:logs:arn" = var.log_group_arn } }
  }]

  # Who launches instances or creates volumes under the key (the Auto Scaling service-linked role
  # for nodes): EC2 attaches each volume through a grant its launcher creates, so a launcher may
  # create grants, but only for AWS resources, never for itself or another principal.
  volume_launcher_statements = [for statement in [
    {
      Sid       = "VolumeLaunchersUseTheKey"
      Effect    = "Allow"
      Principal = { AWS = var.volume_launchers }
      Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
      Resource  = "*"
    },
    {
      Sid       = "VolumeLaunchersGrantOnlyToAWSServices"
      Effect    = "Allow"
      Principal = { AWS = var.volume_launchers }
      Action    = "kms:CreateGrant"
      Resource  = "*"
      Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
    },
  ] : statement if length(var.volume_launchers) > 0]
}

################################################################################
# Key
################################################################################

locals {
  # Everything an administrator needs except using the key: no kms:Create* (which would include
  # kms:CreateGrant), so an administrator cannot grant itself decrypt. Grants come only from the
  # next statement, for AWS services acting for the caller. No kms:PutKeyPolicy either (nor
  # kms:Put*, which is only that): whoever may rewrite the policy may grant itself anything, so
  # only the break-glass administrators (MFA) may.
  administrator_actions = [
    "kms:CreateAlias", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Update*",
    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
    "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
  ]

  # AWS rotates symmetric keys only; an asymmetric key is rotated by a new key and an alias move.
  symmetric = var.key_spec == "SYMMETRIC_DEFAULT"
}

resource "aws_kms_key" "this" {
  description              = var.description
  customer_master_key_spec = var.key_spec
  key_usage                = var.key_usage
  enable_key_rotation      = local.symmetric
  deletion_window_in_days  = 30

  # Whatever a key encrypted (state, audit logs, secrets, images) is lost with it: terraform
  # refuses any plan that would destroy one.
  lifecycle {
    prevent_destroy = true
  }

  # No account-root statement: the administrators are exactly those passed in, never derived
  # from the caller, and everyone else gets only what the caller's statements (and
  # log_group_arn) grant. The break-glass administrators keep the key manageable if the
  # deploy role is ever deleted and recreated (a new role is a new principal to KMS).
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "KeyAdministrators"
        Effect    = "Allow"
        Principal = { AWS = var.administrators }
        Action    = local.administrator_actions
        Resource  = "*"
      },
      {
        Sid       = "BreakGlassKeyAdministrators"
        Effect    = "Allow"
        Principal = { AWS = var.break_glass_administrators }
        Action    = concat(local.administrator_actions, ["kms:PutKeyPolicy"])
        Resource  = "*"
      },
      {
        Sid       = "AdministratorsGrantOnlyToAWSServices"
        Effect    = "Allow"
        Principal = { AWS = concat(var.administrators, var.break_glass_administrators) }
        Action    = "kms:CreateGrant"
        Resource  = "*"
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
    ], var.statements, local.volume_launcher_statements, local.log_group_statements)
  })

  tags = var.tags
}

################################################################################
# Alias
################################################################################

resource "aws_kms_alias" "this" {
  count = var.alias == null ? 0 : 1

  name          = var.alias
  target_key_id = aws_kms_key.this.key_id
}
