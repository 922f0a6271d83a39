locals {
  name = "infra-${local.environment}"

  # Role names from terraform.tfvars become ARNs in this environment's own account.
  kms_key_administrators = [for role in var.kms_key_administrator_role_names : "arn:aws:iam::${local.account_id}:role/${role}"]
}

################################################################################
# Networking
################################################################################

module "networking" {
  source = "../../modules/networking"

  name                   = local.name
  cidr                   = var.vpc_cidr
  azs                    = [for letter in var.az_letters : "${local.region}${letter}"]
  nat_mode               = var.nat_mode
  kms_key_administrators = local.kms_key_administrators
}

################################################################################
# EKS
################################################################################

module "eks" {
  source = "../../modules/eks"

  name                     = local.name
  kubernetes_version       = var.kubernetes_version
  control_plane_subnet_ids = module.networking.intra_subnet_ids
  node_subnet_ids          = module.networking.private_subnet_ids
  kms_key_administrators   = local.kms_key_administrators
  node_groups              = var.node_groups

  access_entries = {
    for role in var.cluster_admin_role_names : role => {
      principal_arn = "arn:aws:iam::${local.account_id}:role/${role}"
      policy        = "AmazonEKSClusterAdminPolicy"
    }
  }
}

################################################################################
# ECR
################################################################################

module "ecr" {
  source = "../../modules/ecr"

  repositories = var.ecr_repositories
  scan_type    = var.ecr_scan_type
}
