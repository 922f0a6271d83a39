data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  github_host = "token.actions.githubusercontent.com"
  # The GitHub environment named like the infra environment: a workflow job of this repository
  # that declares `environment: <env>` (and passes that environment's protection rules) and
  # nothing else may become infra-deploy or push images. An organisation that customises the
  # sub claim (e.g. to add job_workflow_ref) states its whole subject in github_oidc_subject.
  github_subject = coalesce(var.github_oidc_subject, "repo:${var.github_repository}:environment:${var.environment}")

  github_trust = {
    Sid       = "GitHubActionsOfThisRepositoryAndEnvironment"
    Effect    = "Allow"
    Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
    Action    = "sts:AssumeRoleWithWebIdentity"
    Condition = {
      StringEquals = {
        "${local.github_host}:aud" = "sts.amazonaws.com"
        "${local.github_host}:sub" = local.github_subject
      }
    }
  }
}

################################################################################
# GitHub Actions OIDC provider
################################################################################

# AWS verifies GitHub's certificate chain itself for this issuer, so no thumbprint is pinned.
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://${local.github_host}"
  client_id_list = ["sts.amazonaws.com"]

  tags = var.tags
}

################################################################################
# infra-deploy: the one role that changes infrastructure
################################################################################

resource "aws_iam_role" "deploy" {
  name                 = "infra-deploy"
  description          = "Changes the ${var.environment} environment's infrastructure; assumed by infra (CI via GitHub OIDC, or a listed deployer)"
  max_session_duration = 3600
  permissions_boundary = aws_iam_policy.deploy_boundary.arn

  # A protected environment changes only through the pipeline: its deploy role trusts GitHub
  # OIDC of that deployment environment and nobody else (var.deployer_principals is refused).
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([local.github_trust], var.protected || length(var.deployer_principals) == 0 ? [] : [{
      Sid       = "ListedDeployers"
      Effect    = "Allow"
      Principal = { AWS = var.deployer_principals }
      Action    = "sts:AssumeRole"
    }])
  })

  tags = var.tags
}

# Terraform creates VPCs, clusters, keys and IAM roles, so the deploy role administers the
# account (var.deploy_role_policy_arns; the management account passes less); the boundary
# below and the service control policies of terraform/org bound what it may do.
resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = toset(var.deploy_role_policy_arns)

  role       = aws_iam_role.deploy.name
  policy_arn = each.value
}

data "aws_region" "current" {}

# State, whatever else the role may do: the management account's deploy role holds no
# administrator policy, and still reads and writes the org stack's state.
resource "aws_iam_role_policy" "deploy_state" {
  name = "read-and-write-state"
  role = aws_iam_role.deploy.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "StateBucket"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketVersioning"]
        Resource = "arn:${local.partition}:s3:::infra-state-${local.account_id}-${data.aws_region.current.id}"
      },
      {
        Sid      = "StateObjects"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = "arn:${local.partition}:s3:::infra-state-${local.account_id}-${data.aws_region.current.id}/*"
      },
    ]
  })
}

################################################################################
# infra-deploy-boundary: what the pipeline may never do, whatever its policies say
################################################################################

locals {
  deploy_boundary_arn = "arn:${local.partition}:iam::${local.account_id}:policy/infra-deploy-boundary"

  # The roles that watch, repair or are the credential chain: whoever rewrites one becomes it.
  platform_role_arns = [
    for name in ["OrganizationAccountAccessRole", "infra-deploy", "infra-break-glass", "infra-platform-admin", "infra-image-push"] :
    "arn:${local.partition}:iam::${local.account_id}:role/${name}"
  ]

  flow_log_resources = ["arn:${local.partition}:ec2:*:${local.account_id}:vpc-flow-log/*", "arn:${local.partition}:logs:*:${local.account_id}:log-group:/aws/vpc/*"]
}

# The permissions boundary of infra-deploy and of every role it creates (a role without it is
# refused), so no role the pipeline makes can do what the pipeline may not. Kept in step with
# the guard rails of terraform/org, which hold where a boundary does not (other principals).
resource "aws_iam_policy" "deploy_boundary" {
  name        = "infra-deploy-boundary"
  description = "Bounds infra-deploy and every role it creates: no changes to the platform roles, the boundary, the audit trail, GuardDuty, Config, Access Analyzer, EBS default encryption or flow logs terraform did not make"

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WhatTheRolesOwnPoliciesAllow"
        Effect   = "Allow"
        Action   = "*"
        Resource = "*"
      },
      {
        Sid    = "NoChangesToThePlatformRoles"
        Effect = "Deny"
        Action = [
          "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:DeleteRole",
          "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
          "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:TagRole", "iam:UntagRole",
        ]
        Resource = local.platform_role_arns
      },
      {
        Sid      = "NoChangesToTheBoundary"
        Effect   = "Deny"
        Action   = ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"]
        Resource = local.deploy_boundary_arn
      },
      {
        Sid       = "NoRoleWithoutTheBoundary"
        Effect    = "Deny"
        Action    = ["iam:CreateRole", "iam:PutRolePermissionsBoundary"]
        Resource  = "*"
        Condition = { StringNotEquals = { "iam:PermissionsBoundary" = local.deploy_boundary_arn } }
      },
      {
        Sid      = "NoBoundaryRemovedNoUsersNoKeys"
        Effect   = "Deny"
        Action   = ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary", "iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"]
        Resource = "*"
      },
      {
        Sid    = "NoBlindingTheAudit"
        Effect = "Deny"
        Action = [
          "cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors", "cloudtrail:PutInsightSelectors",
          "guardduty:DeleteDetector", "guardduty:UpdateDetector", "guardduty:Disassociate*", "guardduty:CreateFilter", "guardduty:UpdateFilter",
          "config:Delete*", "config:StopConfigurationRecorder", "config:PutConfigurationRecorder", "config:PutDeliveryChannel",
          "access-analyzer:DeleteAnalyzer", "access-analyzer:CreateArchiveRule", "access-analyzer:UpdateArchiveRule",
          "securityhub:DisableSecurityHub", "securityhub:BatchDisableStandards",
          "ec2:ModifyFlowLogs",
        ]
        Resource = "*"
      },
      {
        # The account's EBS encryption stays on, under the key of account-baseline.
        Sid      = "NoWeakeningEbsEncryptionByDefault"
        Effect   = "Deny"
        Action   = ["ec2:DisableEbsEncryptionByDefault", "ec2:ModifyEbsDefaultKmsKeyId", "ec2:ResetEbsDefaultKmsKeyId"]
        Resource = "*"
      },
      {
        Sid       = "NoDeletingFlowLogsTerraformDidNotMake"
        Effect    = "Deny"
        Action    = ["ec2:DeleteFlowLogs", "logs:DeleteLogGroup", "logs:DeleteLogStream"]
        Resource  = local.flow_log_resources
        Condition = { StringNotEquals = { "aws:ResourceTag/ManagedBy" = "terraform" } }
      },
    ]
  })

  tags = var.tags
}

################################################################################
# infra-platform-admin: cluster administrators
################################################################################

resource "aws_iam_role" "platform_admin" {
  name                 = "infra-platform-admin"
  description          = "Kubernetes cluster administrator of the ${var.environment} environment (an EKS access entry names it)"
  max_session_duration = 3600

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "ListedPlatformAdmins"
      Effect    = "Allow"
      Principal = { AWS = var.platform_admin_principals }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

# Enough to reach the private API through the in-network path: find the cluster, start an SSM
# port-forwarding session on the deploy-access instance, and read what it is.
resource "aws_iam_role_policy" "platform_admin" {
  name = "reach-the-cluster"
  role = aws_iam_role.platform_admin.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DescribeClusters"
        Effect   = "Allow"
        Action   = ["eks:DescribeCluster", "eks:ListClusters", "ec2:DescribeInstances"]
        Resource = "*"
      },
      {
        Sid      = "PortForwardThroughDeployAccess"
        Effect   = "Allow"
        Action   = "ssm:StartSession"
        Resource = "arn:${local.partition}:ec2:*:${local.account_id}:instance/*"
        # StringEquals, not ...IfExists: an instance without the tag (a node) is no target.
        Condition = {
          StringEquals = { "ssm:resourceTag/Role" = "deploy-access" }
        }
      },
      {
        Sid      = "WithThePortForwardingDocumentOnly"
        Effect   = "Allow"
        Action   = "ssm:StartSession"
        Resource = "arn:${local.partition}:ssm:*::document/AWS-StartPortForwardingSessionToRemoteHost"
      },
      {
        Sid      = "EndOwnSessions"
        Effect   = "Allow"
        Action   = ["ssm:TerminateSession", "ssm:ResumeSession"]
        Resource = "arn:${local.partition}:ssm:*:${local.account_id}:session/$${aws:userid}-*"
      },
    ]
  })
}

################################################################################
# infra-break-glass: key administrator of last resort
################################################################################

# Named in every key policy of the account as an administrator; assumable only by the listed IAM
# users, and only with MFA (modules/break-glass-role, which terraform/log-archive uses too).
module "break_glass" {
  source = "../break-glass-role"

  description = "Administers the ${var.environment} environment's KMS keys when nothing else can; MFA required"
  principals  = var.break_glass_principals
  tags        = var.tags
}

# Where the role was made here before it had a module of its own: the same role, not a new one.
moved {
  from = aws_iam_role.break_glass
  to   = module.break_glass.aws_iam_role.this
}

################################################################################
# infra-image-push: CI pushes images
################################################################################

resource "aws_iam_role" "image_push" {
  name                 = "infra-image-push"
  description          = "Pushes container images of the ${var.environment} environment from GitHub Actions"
  max_session_duration = 3600

  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [local.github_trust]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "image_push" {
  name = "push-images"
  role = aws_iam_role.image_push.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "LogIn"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken"
        Resource = "*"
      },
      {
        Sid    = "PushToThisAccount"
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
          "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart",
        ]
        Resource = "arn:${local.partition}:ecr:*:${local.account_id}:repository/*"
      },
    ]
  })
}

################################################################################
# Ledger signing key: promotion evidence signed by the environment that earned it
################################################################################

# infra signs each ledger entry of this environment with alias/infra-ledger (kms:Sign, as
# infra-deploy) and verifies it against the public key committed as
# terraform/envs/<env>/ledger-key.pem (the ledger_public_key_pem output). Only the deploy role
# signs; the administrators manage the key and read its public key, and none of them signs.
module "ledger_key" {
  source = "../kms-key"

  description                = "Signs the promotion ledger entries of the ${var.environment} environment (infra apply, as infra-deploy)"
  alias                      = "alias/infra-ledger"
  key_spec                   = "ECC_NIST_P256"
  key_usage                  = "SIGN_VERIFY"
  administrators             = var.kms_key_administrators
  break_glass_administrators = [module.break_glass.arn]

  statements = [
    {
      Sid       = "OnlyTheDeployRoleSigns"
      Effect    = "Allow"
      Principal = { AWS = aws_iam_role.deploy.arn }
      Action    = "kms:Sign"
      Resource  = "*"
      Condition = { StringEquals = { "kms:SigningAlgorithm" = "ECDSA_SHA_256" } }
    },
    {
      Sid       = "DeployRoleReadsThePublicKey"
      Effect    = "Allow"
      Principal = { AWS = aws_iam_role.deploy.arn }
      Action    = ["kms:GetPublicKey", "kms:DescribeKey"]
      Resource  = "*"
    },
  ]

  tags = var.tags
}

data "aws_kms_public_key" "ledger" {
  key_id = module.ledger_key.alias_arn
}
