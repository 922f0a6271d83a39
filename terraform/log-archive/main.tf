# What lives in the log archive account: the bucket the organization trail writes into (Object
# Lock, compliance mode), its KMS key, and the organization's Security Hub and Config aggregator
# (delegated here by terraform/org). Apply after terraform/org has created the account
# (README "First-time setup"), as the management administrator of administrators.tf (a link to
# terraform/bootstrap/org/administrators.tf).
data "aws_organizations_organization" "this" {
  provider = aws.management
}

locals {
  log_archive_admin_role_arn = "arn:aws:iam::${local.log_archive_account_id}:role/OrganizationAccountAccessRole"
  organization_id            = data.aws_organizations_organization.this.id

  trail_name = "infra-organization"
  # Stated, not read from the trail: the bucket and key policies must name it before it exists.
  trail_arn   = "arn:aws:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"
  bucket_name = "infra-org-trail-${local.log_archive_account_id}"
}

################################################################################
# Trail key
################################################################################

# The key's administrator of last resort, as in every environment account: infra-break-glass of
# this account, assumable only by the management account's break-glass IAM users, with MFA. The
# organization's role alone would leave the key to whoever holds the management account's
# administrator, with no second factor.
module "break_glass" {
  source = "../modules/break-glass-role"

  description = "Administers the log archive account's KMS keys when nothing else can; MFA required"
  principals  = local.break_glass_users
}

module "trail_key" {
  source = "../modules/kms-key"

  description = "Encrypts the organization trail's log files in ${local.bucket_name}"
  alias       = "alias/infra-org-trail"

  # Principals of this account only: the organization's role administers, infra-break-glass
  # (MFA) alone may rewrite the policy; no principal of a workload account is named, and the key
  # policy has no account-root statement that could delegate to one. The break-glass ARN is
  # stated from the role's name, as the policies state the trail's, so the policy is known when
  # planned; naming the module's output still makes the key wait for the role to exist.
  administrators             = [local.log_archive_admin_role_arn]
  break_glass_administrators = ["arn:aws:iam::${local.log_archive_account_id}:role/${module.break_glass.name}"]

  statements = [
    {
      Sid       = "CloudTrailEncryptsForThisTrail"
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = "kms:GenerateDataKey*"
      Resource  = "*"
      Condition = {
        StringEquals = { "aws:SourceArn" = local.trail_arn }
        StringLike   = { "kms:EncryptionContext:aws:cloudtrail:arn" = "arn:aws:cloudtrail:*:${local.account_id}:trail/*" }
      }
    },
    {
      Sid       = "CloudTrailDescribesTheKey"
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = "kms:DescribeKey"
      Resource  = "*"
      Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn } }
    },
    {
      # Auditors read the evidence from inside the log archive account.
      Sid       = "LogArchiveReadsTheTrail"
      Effect    = "Allow"
      Principal = { AWS = local.log_archive_admin_role_arn }
      Action    = ["kms:Decrypt", "kms:DescribeKey"]
      Resource  = "*"
      Condition = { StringLike = { "kms:EncryptionContext:aws:cloudtrail:arn" = "arn:aws:cloudtrail:*:${local.account_id}:trail/*" } }
    },
    {
      # Without the key the locked log files are unreadable: deleting or disabling it would
      # destroy the evidence Object Lock keeps. Lifting this takes a reviewed key-policy change.
      Sid       = "NobodyDisablesOrDeletesTheKey"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DeleteImportedKeyMaterial"]
      Resource  = "*"
    },
  ]

  tags = { Name = "infra-org-trail" }
}

################################################################################
# Trail bucket
################################################################################

resource "aws_s3_bucket" "trail" {
  bucket              = local.bucket_name
  object_lock_enabled = true

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "trail" {
  bucket = aws_s3_bucket.trail.id

  versioning_configuration {
    status = "Enabled"
  }
}

# Compliance mode: no principal (the account root included) can delete a log file version or
# shorten its retention before local.trail_retention_days have passed.
resource "aws_s3_bucket_object_lock_configuration" "trail" {
  bucket = aws_s3_bucket.trail.id

  rule {
    default_retention {
      mode = "COMPLIANCE"
      days = local.trail_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.trail]
}

resource "aws_s3_bucket_server_side_encryption_configuration" "trail" {
  bucket = aws_s3_bucket.trail.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.trail_key.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "trail" {
  bucket = aws_s3_bucket.trail.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "trail" {
  bucket = aws_s3_bucket.trail.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "trail" {
  bucket = aws_s3_bucket.trail.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.trail.arn, "${aws_s3_bucket.trail.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        # Object Lock refuses these for locked versions already; the denial also covers the
        # bucket itself and versions whose retention has run out.
        Sid       = "DenyDeletingEvidence"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket", "s3:PutLifecycleConfiguration", "s3:BypassGovernanceRetention"]
        Resource  = [aws_s3_bucket.trail.arn, "${aws_s3_bucket.trail.arn}/*"]
      },
      {
        Sid       = "CloudTrailChecksTheBucketAcl"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:GetBucketAcl"
        Resource  = aws_s3_bucket.trail.arn
        Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn } }
      },
      {
        # The management account's own events and those of every account of this organization,
        # written by this organization's trail only.
        Sid       = "CloudTrailWritesThisOrganizationsTrail"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = ["${aws_s3_bucket.trail.arn}/AWSLogs/${local.account_id}/*", "${aws_s3_bucket.trail.arn}/AWSLogs/${local.organization_id}/*"]
        Condition = {
          StringEquals = {
            "aws:SourceArn"   = local.trail_arn
            "aws:SourceOrgID" = local.organization_id
            "s3:x-amz-acl"    = "bucket-owner-full-control"
          }
        }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.trail]
}

################################################################################
# Security Hub (delegated administrator of the organization)
################################################################################

resource "aws_securityhub_account" "this" {
  # The standards are subscribed below, by name: a default set would change under us.
  enable_default_standards  = false
  auto_enable_controls      = true
  control_finding_generator = "SECURITY_CONTROL"
}

# Every account of the organization, present and future, joins Security Hub with its findings
# reported here.
resource "aws_securityhub_organization_configuration" "this" {
  auto_enable           = true
  auto_enable_standards = "DEFAULT"

  depends_on = [aws_securityhub_account.this]
}

locals {
  securityhub_standards = {
    cis_aws_foundations = "arn:aws:securityhub:${local.region}::standards/cis-aws-foundations-benchmark/v/1.4.0"
    aws_foundational    = "arn:aws:securityhub:${local.region}::standards/aws-foundational-security-best-practices/v/1.0.0"
  }
}

resource "aws_securityhub_standards_subscription" "this" {
  for_each = local.securityhub_standards

  standards_arn = each.value

  depends_on = [aws_securityhub_account.this]
}

################################################################################
# Config aggregator (delegated administrator of the organization)
################################################################################

resource "aws_iam_role" "config_aggregator" {
  name        = "infra-config-aggregator"
  description = "Lets AWS Config read the configuration of every account of the organization"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "config.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.log_archive_account_id } }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "config_aggregator" {
  role       = aws_iam_role.config_aggregator.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSConfigRoleForOrganizations"
}

resource "aws_config_configuration_aggregator" "organization" {
  name = "infra-organization"

  organization_aggregation_source {
    all_regions = true
    role_arn    = aws_iam_role.config_aggregator.arn
  }

  depends_on = [aws_iam_role_policy_attachment.config_aggregator]
}
