################################################################################
# Cluster
################################################################################

variable "name" {
  description = "Name of the EKS cluster; also the prefix of its IAM roles, KMS alias and node groups."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "name must be 3-40 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane, e.g. \"1.33\"."
  type        = string

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version such as \"1.33\"."
  }
}

variable "control_plane_subnet_ids" {
  description = "Subnets for the control plane's network interfaces, in at least two AZs (the networking module's `intra_subnet_ids`)."
  type        = list(string)

  validation {
    condition     = length(var.control_plane_subnet_ids) >= 2
    error_message = "control_plane_subnet_ids must name subnets in at least two availability zones."
  }
}

variable "node_subnet_ids" {
  description = "Private subnets for the managed node groups (the networking module's `private_subnet_ids`)."
  type        = list(string)

  validation {
    condition     = length(var.node_subnet_ids) >= 1
    error_message = "node_subnet_ids must name at least one private subnet."
  }
}

variable "log_retention_days" {
  description = "Days to keep the control-plane logs; at least 365."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention of at least 365: 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

################################################################################
# Access
################################################################################

variable "kms_key_administrators" {
  description = "IAM role or user ARNs that administer the cluster's KMS key (secrets and logs). Must include the role terraform runs as, or terraform cannot manage the key afterwards."
  type        = list(string)

  validation {
    condition     = length(var.kms_key_administrators) > 0 && alltrue([for arn in var.kms_key_administrators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "kms_key_administrators must list at least one IAM role or user ARN, e.g. \"arn:aws:iam::111111111111:role/infra-deploy\"."
  }
}

variable "kms_break_glass_administrators" {
  description = "IAM role ARNs of the cluster key's administrators of last resort (`infra-break-glass`)."
  type        = list(string)

  validation {
    condition     = length(var.kms_break_glass_administrators) > 0 && alltrue([for arn in var.kms_break_glass_administrators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "kms_break_glass_administrators must list at least one IAM role ARN, e.g. \"arn:aws:iam::111111111111:role/infra-break-glass\"."
  }
}

variable "access_entries" {
  description = "Who may use the Kubernetes API, by a key of your choice. `policy` is an EKS access policy name; `namespaces` limits it to those namespaces (empty = whole cluster). Nobody else has access: the cluster creator is not made an admin."
  type = map(object({
    principal_arn = string
    policy        = string
    namespaces    = optional(list(string), [])
  }))
  default = {}

  validation {
    condition     = alltrue([for e in values(var.access_entries) : contains(["AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"], e.policy)])
    error_message = "Allowed values for access_entries[*].policy: \"AmazonEKSClusterAdminPolicy\", \"AmazonEKSAdminPolicy\", \"AmazonEKSEditPolicy\", \"AmazonEKSViewPolicy\"."
  }

  validation {
    condition     = alltrue([for e in values(var.access_entries) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", e.principal_arn))])
    error_message = "access_entries[*].principal_arn must be an IAM role or user ARN."
  }
}

################################################################################
# Node groups
################################################################################

variable "node_groups" {
  description = "Managed node groups, by name. Nodes run in `node_subnet_ids` with IMDSv2 required, a gp3 root volume encrypted with the module's own node-volume key and no SSH."
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
  default = {}

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.min_size >= 0 && g.min_size <= g.desired_size && g.desired_size <= g.max_size && g.max_size >= 1])
    error_message = "Each node group needs 0 <= min_size <= desired_size <= max_size and max_size >= 1."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : contains(["ON_DEMAND", "SPOT"], g.capacity_type)])
    error_message = "Allowed values for node_groups[*].capacity_type: \"ON_DEMAND\", \"SPOT\"."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : contains(["AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD"], g.ami_type)])
    error_message = "Allowed values for node_groups[*].ami_type: \"AL2023_x86_64_STANDARD\", \"AL2023_ARM_64_STANDARD\"."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : length(g.instance_types) > 0 && g.disk_size_gib >= 20])
    error_message = "Each node group needs at least one instance type and disk_size_gib >= 20."
  }
}

variable "create_autoscaling_service_linked_role" {
  description = "Create the account's Auto Scaling service-linked role (`AWSServiceRoleForAutoScaling`), which launches the nodes and must be named in the node-volume key's policy. Set false where the account already has it (it exists once any Auto Scaling group was created there)."
  type        = bool
  default     = true
}

################################################################################
# Tags
################################################################################

variable "tags" {
  description = "Tags added to every resource, on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of every IAM role this module creates: `infra-deploy-boundary`, without which infra-deploy may not create a role (see account-roles); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null ? true : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be null or a managed policy ARN, e.g. \"arn:aws:iam::111111111111:policy/infra-deploy-boundary\"."
  }
}
