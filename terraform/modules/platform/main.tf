locals {
  # Role names become ARNs in the environment's own account; zone letters become zones of its region.
  kms_key_administrators = [for role in var.kms_key_administrator_role_names : "arn:aws:iam::${var.account_id}:role/${role}"]
  azs                    = [for letter in var.az_letters : "${var.region}${letter}"]
  break_glass_role_arns  = ["arn:aws:iam::${var.account_id}:role/${var.break_glass_role_name}"]
  image_push_role_arn    = "arn:aws:iam::${var.account_id}:role/${var.image_push_role_name}"
  # infra-deploy may create roles only under its own boundary (account-roles).
  deploy_boundary_arn     = "arn:aws:iam::${var.account_id}:policy/infra-deploy-boundary"
  cluster_admin_role_arns = [for role in var.cluster_admin_role_names : "arn:aws:iam::${var.account_id}:role/${role}"]
}

################################################################################
# Networking
################################################################################

module "networking" {
  source = "../networking"

  name                   = var.name
  cidr                   = var.vpc_cidr
  azs                    = local.azs
  nat_mode               = var.nat_mode
  kms_key_administrators = local.kms_key_administrators

  kms_break_glass_administrators = local.break_glass_role_arns
  permissions_boundary_arn       = local.deploy_boundary_arn

  # Session Manager: the nodes serve sessions too; the cluster admins and break glass start them.
  session_instance_role_arns = [module.eks.node_role_arn]
  session_user_arns          = concat(local.cluster_admin_role_arns, local.break_glass_role_arns)
  egress_allowed_domains     = var.egress_allowed_domains
}

################################################################################
# EKS
################################################################################

# The control plane's interfaces go in the intra subnets (no route out), the nodes in the
# private ones.
module "eks" {
  source = "../eks"

  name                     = var.name
  kubernetes_version       = var.kubernetes_version
  control_plane_subnet_ids = module.networking.intra_subnet_ids
  node_subnet_ids          = module.networking.private_subnet_ids
  kms_key_administrators   = local.kms_key_administrators
  node_groups              = var.node_groups

  kms_break_glass_administrators = local.break_glass_role_arns
  permissions_boundary_arn       = local.deploy_boundary_arn

  # The bootstrap stack's account-baseline created the account's Auto Scaling service-linked role
  # (its default EBS key names it); a second creation would fail.
  create_autoscaling_service_linked_role = false

  access_entries = {
    for role in var.cluster_admin_role_names : role => {
      principal_arn = "arn:aws:iam::${var.account_id}:role/${role}"
      policy        = "AmazonEKSClusterAdminPolicy"
    }
  }
}

# The nodes' SSM agent serves encrypted, logged sessions like the deploy-access instance's.
resource "aws_iam_role_policy_attachment" "node_sessions" {
  role       = module.eks.node_role_name
  policy_arn = module.networking.session_logging_policy_arn
}

################################################################################
# ECR
################################################################################

# CI pushes (the bootstrap stack's infra-image-push role), the cluster's nodes pull.
module "ecr" {
  source = "../ecr"

  name                = var.name
  repositories        = var.ecr_repositories
  scan_type           = var.ecr_scan_type
  push_principal_arns = [local.image_push_role_arn]
  pull_principal_arns = [module.eks.node_role_arn]

  kms_key_administrators         = local.kms_key_administrators
  kms_break_glass_administrators = local.break_glass_role_arns
}

################################################################################
# Deploy access to the private API
################################################################################

# The SSM-managed deploy-access instance is the one place outside the cluster that reaches the
# private Kubernetes API.
resource "aws_vpc_security_group_ingress_rule" "cluster_api_from_deploy_access" {
  security_group_id            = module.eks.cluster_security_group_id
  description                  = "Kubernetes API from the SSM-managed deploy-access instance"
  referenced_security_group_id = module.networking.deploy_access_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}
