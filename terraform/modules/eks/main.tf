data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # `id` is the region's name in both the 5.x and 6.x providers (6.x deprecates `name`).
  region     = data.aws_region.current.id
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  log_group_name = "/aws/eks/${var.name}/cluster"

  autoscaling_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
  log_types            = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
}

################################################################################
# KMS key (Kubernetes secrets and control-plane logs)
################################################################################

# Rotated, managed only by the named administrators; the cluster role may only use it, and
# CloudWatch Logs only for this cluster's log group.
module "kms_key" {
  source = "../kms-key"

  description                = "Encrypts Kubernetes secrets and control-plane logs of EKS cluster ${var.name}"
  alias                      = "alias/eks/${var.name}"
  administrators             = var.kms_key_administrators
  break_glass_administrators = var.kms_break_glass_administrators
  log_group_arn              = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"

  statements = [{
    Sid       = "ClusterRoleEncryptsSecrets"
    Effect    = "Allow"
    Principal = { AWS = aws_iam_role.cluster.arn }
    Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]
    Resource  = "*"
  }]

  tags = merge(var.tags, { Name = "${var.name}-eks" })
}

################################################################################
# KMS key (node volumes)
################################################################################

# Managed node groups launch through an Auto Scaling group, whose service-linked role creates
# and attaches the volumes: the key policy must name it, or nodes never start. It exists once
# an account has had an Auto Scaling group; in a new account this module creates it first
# (KMS refuses a policy naming a principal that does not exist).
resource "aws_iam_service_linked_role" "autoscaling" {
  count = var.create_autoscaling_service_linked_role ? 1 : 0

  aws_service_name = "autoscaling.amazonaws.com"
  description      = "Launches the managed nodes of EKS clusters, with volumes under their customer-managed key"

  tags = var.tags
}

# Node volumes under a key of ours rather than aws/ebs, whose policy nobody here controls. Only
# the Auto Scaling service-linked role, which launches the nodes, uses it.
module "ebs_key" {
  source = "../kms-key"

  description                = "Encrypts the EBS volumes of the nodes of EKS cluster ${var.name}"
  alias                      = "alias/ebs/${var.name}-nodes"
  administrators             = var.kms_key_administrators
  break_glass_administrators = var.kms_break_glass_administrators
  volume_launchers           = [local.autoscaling_role_arn]

  tags = merge(var.tags, { Name = "${var.name}-node-volumes" })

  depends_on = [aws_iam_service_linked_role.autoscaling]
}

################################################################################
# Control-plane logs
################################################################################

# Created before the cluster, so EKS does not create it with unlimited retention and no key.
resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = module.kms_key.arn

  tags = var.tags
}

################################################################################
# Cluster
################################################################################

resource "aws_iam_role" "cluster" {
  name                 = "${var.name}-cluster"
  permissions_boundary = var.permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

resource "aws_eks_cluster" "this" {
  name                      = var.name
  version                   = var.kubernetes_version
  role_arn                  = aws_iam_role.cluster.arn
  enabled_cluster_log_types = local.log_types

  vpc_config {
    subnet_ids              = var.control_plane_subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = false
  }

  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = false
  }

  encryption_config {
    resources = ["secrets"]

    provider {
      key_arn = module.kms_key.arn
    }
  }

  # STANDARD: a version leaving standard support is upgraded by EKS rather than kept for the
  # extended-support fee; upgrades are planned here first (kubernetes_version).
  upgrade_policy {
    support_type = "STANDARD"
  }

  tags = var.tags

  # Deleting the cluster takes every workload with it. Provider 6.x adds the API-side
  # `deletion_protection = true`; 5.100 (the version proven here) lacks the argument, so the
  # guard that works with both is terraform's own.
  lifecycle {
    prevent_destroy = true
  }

  depends_on = [
    aws_iam_role_policy_attachment.cluster,
    aws_cloudwatch_log_group.this,
  ]
}

################################################################################
# Access entries
################################################################################

resource "aws_eks_access_entry" "this" {
  for_each = var.access_entries

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value.principal_arn
  type          = "STANDARD"

  tags = var.tags
}

resource "aws_eks_access_policy_association" "this" {
  for_each = var.access_entries

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_eks_access_entry.this[each.key].principal_arn
  policy_arn    = "arn:${local.partition}:eks::aws:cluster-access-policy/${each.value.policy}"

  access_scope {
    type       = length(each.value.namespaces) > 0 ? "namespace" : "cluster"
    namespaces = length(each.value.namespaces) > 0 ? each.value.namespaces : null
  }
}

################################################################################
# Managed node groups
################################################################################

resource "aws_iam_role" "node" {
  name                 = "${var.name}-node"
  permissions_boundary = var.permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

# AmazonSSMManagedInstanceCore: Session Manager is the only way onto a node (no SSH). No
# AmazonEKS_CNI_Policy: the VPC CNI gets it through Pod Identity (below), so no other pod can
# reach ENI management through the node's role.
resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset(["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"])

  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.key}"
}

# IMDSv2 only, with a hop limit of 1 so pods cannot reach the node's instance credentials.
resource "aws_launch_template" "node" {
  for_each = var.node_groups

  name_prefix            = "${var.name}-${each.key}-"
  update_default_version = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = each.value.disk_size_gib
      volume_type           = "gp3"
      encrypted             = true
      kms_key_id            = module.ebs_key.arn
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.name}-${each.key}" })
  }

  tags = var.tags
}

# No remote_access block: nodes accept no SSH; use SSM Session Manager if a shell is needed.
resource "aws_eks_node_group" "this" {
  for_each = var.node_groups

  cluster_name    = aws_eks_cluster.this.name
  node_group_name = each.key
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.node_subnet_ids
  instance_types  = each.value.instance_types
  capacity_type   = each.value.capacity_type
  ami_type        = each.value.ami_type
  labels          = each.value.labels

  scaling_config {
    min_size     = each.value.min_size
    max_size     = each.value.max_size
    desired_size = each.value.desired_size
  }

  update_config {
    max_unavailable = 1
  }

  launch_template {
    id      = aws_launch_template.node[each.key].id
    version = aws_launch_template.node[each.key].latest_version
  }

  tags = var.tags

  # A cluster autoscaler owns the desired size once the group exists.
  lifecycle {
    ignore_changes = [scaling_config[0].desired_size]
  }

  # The VPC CNI on a new node needs its credentials before the node can become Ready.
  depends_on = [
    aws_iam_role_policy_attachment.node,
    aws_eks_addon.pod_identity_agent,
    aws_eks_pod_identity_association.vpc_cni,
  ]
}

################################################################################
# Add-ons
################################################################################

# Pods get AWS credentials through EKS Pod Identity (aws_eks_pod_identity_association per
# service account), never from the node's instance role (IMDS hop limit 1). A DaemonSet is
# healthy with no nodes, so the agent is installed before the node groups, which need it.
resource "aws_eks_addon" "pod_identity_agent" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "eks-pod-identity-agent"
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  tags = var.tags
}

################################################################################
# VPC CNI credentials (Pod Identity)
################################################################################

# Only the aws-node service account of this cluster may assume it: EKS Pod Identity tags each
# session with the cluster, namespace and service account (session tags are on by default).
resource "aws_iam_role" "vpc_cni" {
  name                 = "${var.name}-vpc-cni"
  permissions_boundary = var.permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "pods.eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
      Condition = {
        StringEquals = {
          "aws:SourceAccount"                         = local.account_id
          "aws:RequestTag/eks-cluster-name"           = var.name
          "aws:RequestTag/kubernetes-namespace"       = "kube-system"
          "aws:RequestTag/kubernetes-service-account" = "aws-node"
        }
      }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "vpc_cni" {
  role       = aws_iam_role.vpc_cni.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKS_CNI_Policy"
}

resource "aws_eks_pod_identity_association" "vpc_cni" {
  cluster_name    = aws_eks_cluster.this.name
  namespace       = "kube-system"
  service_account = "aws-node"
  role_arn        = aws_iam_role.vpc_cni.arn

  tags = var.tags

  depends_on = [aws_iam_role_policy_attachment.vpc_cni]
}
