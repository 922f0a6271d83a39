locals {
  # Role names become ARNs in the environment's own account; zone letters become zones of its region.
  kms_key_administrators = [for role in var.kms_key_administrator_role_names : "arn:aws:iam::${var.account_id}:role/${role}"]
  azs                    = [for letter in var.az_letters : "${var.region}${letter}"]
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

  access_entries = {
    for role in var.cluster_admin_role_names : role => {
      principal_arn = "arn:aws:iam::${var.account_id}:role/${role}"
      policy        = "AmazonEKSClusterAdminPolicy"
    }
  }
}

################################################################################
# ECR
################################################################################

module "ecr" {
  source = "../ecr"

  repositories = var.ecr_repositories
  scan_type    = var.ecr_scan_type
}
