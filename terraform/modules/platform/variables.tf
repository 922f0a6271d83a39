################################################################################
# Environment
################################################################################

variable "name" {
  description = "Name of the environment's VPC and EKS cluster, and the prefix of their resources, e.g. \"infra-dev\"."
  type        = string
}

variable "region" {
  description = "The environment's region (`local.region` of its environment.tf); availability zones are named from it and must be the provider's."
  type        = string
}

variable "account_id" {
  description = "The environment's AWS account id (`local.account_id` of its environment.tf); role names become role ARNs in this account."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

################################################################################
# Networking
################################################################################

variable "vpc_cidr" {
  description = "IPv4 CIDR of the environment's VPC, /16 to /22."
  type        = string
}

variable "az_letters" {
  description = "Zone letters of the environment's region to use, e.g. [\"a\", \"b\", \"c\"]."
  type        = list(string)
  default     = ["a", "b", "c"]

  validation {
    condition     = alltrue([for letter in var.az_letters : can(regex("^[a-z]$", letter))])
    error_message = "az_letters must be single lowercase letters, e.g. [\"a\", \"b\", \"c\"]."
  }
}

variable "egress_allowed_domains" {
  description = "Reviewed internet domains the VPC's DNS firewall resolves besides the region's AWS names (networking module), e.g. [\"*.example.org.\"]; every other name gets NXDOMAIN."
  type        = list(string)
  default     = []
}

variable "nat_mode" {
  description = "NAT gateways: `single` or `per_az`."
  type        = string
}

################################################################################
# EKS
################################################################################

variable "kubernetes_version" {
  description = "Kubernetes minor version of the cluster, e.g. \"1.33\"."
  type        = string
}

variable "node_groups" {
  description = "Managed node groups, by name, passed to the eks module as they are: `instance_types`, `min_size`, `max_size`, `desired_size`, optionally `capacity_type`, `ami_type`, `disk_size_gib` and `labels` (see terraform/modules/eks, which checks them)."
  type        = any
}

variable "cluster_admin_role_names" {
  description = "Names of IAM roles in this environment's account that get cluster-admin access to the Kubernetes API."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for role in var.cluster_admin_role_names : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", role))])
    error_message = "cluster_admin_role_names must be IAM role names (not ARNs), e.g. \"infra-platform-admin\"."
  }
}

################################################################################
# Keys
################################################################################

variable "kms_key_administrator_role_names" {
  description = "Names of IAM roles in this environment's account that administer the KMS keys; must include `infra-deploy`, the role the environment roots' provider assumes."
  type        = list(string)

  validation {
    condition     = contains(var.kms_key_administrator_role_names, "infra-deploy") && alltrue([for role in var.kms_key_administrator_role_names : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", role))])
    error_message = "kms_key_administrator_role_names must be IAM role names (not ARNs) and include \"infra-deploy\", the role terraform runs as."
  }
}

variable "break_glass_role_name" {
  description = "Name of the IAM role in this environment's account that administers every KMS key of last resort (created by terraform/bootstrap/<env>)."
  type        = string
  default     = "infra-break-glass"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.break_glass_role_name))
    error_message = "break_glass_role_name must be an IAM role name (not an ARN), e.g. \"infra-break-glass\"."
  }
}

################################################################################
# ECR
################################################################################

variable "image_push_role_name" {
  description = "Name of the IAM role in this environment's account that alone may push images (created by terraform/bootstrap/<env>, assumed by GitHub Actions)."
  type        = string
  default     = "infra-image-push"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.image_push_role_name))
    error_message = "image_push_role_name must be an IAM role name (not an ARN), e.g. \"infra-image-push\"."
  }
}

variable "ecr_repositories" {
  description = "ECR repositories, by name, passed to the ecr module as they are; `keep_images` expires all but the newest N untagged images."
  type = map(object({
    keep_images = optional(number)
  }))
  default = {}
}

variable "ecr_scan_type" {
  description = "Registry-wide image scanning: `BASIC` or `ENHANCED`."
  type        = string
  default     = "BASIC"
}
