data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  pull_actions = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
  push_actions = ["ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"]
  # AWS services acting through their service-linked roles (Amazon Inspector scans images).
  service_linked_roles = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/aws-service-role/*"

  # Identity policies in this account could otherwise grant push or pull to anyone: the
  # denials make the repository policy the one list of who pushes (CI) and who pulls (nodes).
  repository_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "PushFromCI"
        Effect    = "Allow"
        Principal = { AWS = var.push_principal_arns }
        Action    = concat(local.push_actions, local.pull_actions)
      },
      {
        Sid       = "PullFromNodes"
        Effect    = "Allow"
        Principal = { AWS = var.pull_principal_arns }
        Action    = local.pull_actions
      },
      {
        Sid       = "NobodyElsePushes"
        Effect    = "Deny"
        Principal = "*"
        Action    = local.push_actions
        Condition = {
          ArnNotLike = { "aws:PrincipalArn" = var.push_principal_arns }
          Bool       = { "aws:PrincipalIsAWSService" = "false" }
        }
      },
      {
        Sid       = "NobodyElsePulls"
        Effect    = "Deny"
        Principal = "*"
        Action    = local.pull_actions
        Condition = {
          ArnNotLike = { "aws:PrincipalArn" = concat(var.push_principal_arns, var.pull_principal_arns, [local.service_linked_roles]) }
          Bool       = { "aws:PrincipalIsAWSService" = "false" }
        }
      },
    ]
  })
}

################################################################################
# Key
################################################################################

# Our own key, like every other store of the environment: rotated, administered by the named
# administrators; ECR uses it through grants it creates for itself (kms:GrantIsForAWSResource).
module "kms_key" {
  source = "../kms-key"

  description    = "Encrypts the container images of ${var.name}"
  alias          = "alias/ecr/${var.name}"
  administrators = var.kms_key_administrators

  break_glass_administrators = var.kms_break_glass_administrators

  statements = [{
    Sid       = "PushersAndPullersUseTheKeyThroughECR"
    Effect    = "Allow"
    Principal = { AWS = concat(var.push_principal_arns, var.pull_principal_arns) }
    Action    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"]
    Resource  = "*"
    Condition = { StringEquals = { "kms:ViaService" = "ecr.${data.aws_region.current.id}.amazonaws.com" } }
  }]

  tags = merge(var.tags, { Name = "${var.name}-ecr" })
}

################################################################################
# Registry
################################################################################

# One scanning configuration for the whole registry of this account and region; call this
# module once per environment. There is deliberately no aws_ecr_replication_configuration:
# images never leave the environment's region.
resource "aws_ecr_registry_scanning_configuration" "this" {
  scan_type = var.scan_type

  rule {
    scan_frequency = "SCAN_ON_PUSH"

    repository_filter {
      filter      = "*"
      filter_type = "WILDCARD"
    }
  }
}

################################################################################
# Repositories
################################################################################

resource "aws_ecr_repository" "this" {
  for_each = var.repositories

  name                 = each.key
  image_tag_mutability = "IMMUTABLE"
  force_delete         = false

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = module.kms_key.arn
  }

  tags = var.tags
}

resource "aws_ecr_repository_policy" "this" {
  for_each = var.repositories

  repository = aws_ecr_repository.this[each.key].name
  policy     = local.repository_policy
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = { for name, r in var.repositories : name => r if r.keep_images != null }

  repository = aws_ecr_repository.this[each.key].name

  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the newest ${each.value.keep_images} untagged images"
      selection = {
        tagStatus   = "untagged"
        countType   = "imageCountMoreThan"
        countNumber = each.value.keep_images
      }
      action = { type = "expire" }
    }]
  })
}
