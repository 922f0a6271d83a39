# Tunable inputs of this environment; values are in terraform.tfvars. The environment's facts
# (region, account, promotion order) are not variables: they live in environment.tf.

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
  description = "Managed node groups, by name (see terraform/modules/eks)."
  type = map(object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
    capacity_type  = optional(string, "ON_DEMAND")
    ami_type       = optional(string, "AL2023_x86_64_STANDARD")
    disk_size_gib  = optional(number, 50)
    labels         = optional(map(string), {})
  }))
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
  description = "Names of IAM roles in this environment's account that administer the KMS keys; must include the deploy role terraform runs as."
  type        = list(string)

  validation {
    condition     = contains(var.kms_key_administrator_role_names, "infra-deploy") && alltrue([for role in var.kms_key_administrator_role_names : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", role))])
    error_message = "kms_key_administrator_role_names must be IAM role names (not ARNs) and include \"infra-deploy\", the role terraform runs as."
  }
}

################################################################################
# ECR
################################################################################

variable "ecr_repositories" {
  description = "ECR repositories, by name; `keep_images` expires all but the newest N images."
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
