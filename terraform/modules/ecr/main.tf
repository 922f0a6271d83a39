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
    kms_key         = var.kms_key_arn
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = { for name, r in var.repositories : name => r if r.keep_images != null }

  repository = aws_ecr_repository.this[each.key].name

  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the newest ${each.value.keep_images} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = each.value.keep_images
      }
      action = { type = "expire" }
    }]
  })
}
