################################################################################
# Network
################################################################################

variable "name" {
  description = "Name of the VPC; also the prefix of every resource name in this module."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "name must be 3-40 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "cidr" {
  description = "IPv4 CIDR of the VPC, /16 to /22. Private subnets take three quarters of it; intra and public subnets share the last quarter."
  type        = string

  validation {
    condition     = can(cidrhost(var.cidr, 0)) && try(tonumber(split("/", var.cidr)[1]) >= 16 && tonumber(split("/", var.cidr)[1]) <= 22, false)
    error_message = "cidr must be an IPv4 CIDR with a prefix length from /16 to /22, e.g. \"10.20.0.0/16\"."
  }
}

variable "azs" {
  description = "Availability zones of the provider's region to spread subnets over (2 or 3), e.g. [\"eu-central-1a\", \"eu-central-1b\", \"eu-central-1c\"]."
  type        = list(string)

  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 3 && length(distinct(var.azs)) == length(var.azs)
    error_message = "azs must list 2 or 3 distinct availability zones."
  }

  validation {
    condition     = alltrue([for az in var.azs : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", az))]) && length(distinct([for az in var.azs : substr(az, 0, length(az) - 1)])) == 1
    error_message = "azs must be availability zone names of one single region, e.g. \"eu-central-1a\"."
  }
}

variable "nat_mode" {
  description = "NAT gateways for egress from private subnets: `single` (one, in the first AZ) or `per_az` (one per AZ, survives an AZ outage)."
  type        = string
  default     = "single"

  validation {
    condition     = contains(["single", "per_az"], var.nat_mode)
    error_message = "Allowed values for nat_mode: \"single\", \"per_az\"."
  }
}

################################################################################
# Flow logs
################################################################################

variable "flow_log_retention_days" {
  description = "Days to keep VPC flow logs; at least 365."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a CloudWatch Logs retention of at least 365: 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key_administrators" {
  description = "IAM role or user ARNs that administer the flow-log KMS key. Must include the role terraform runs as, or terraform cannot manage the key afterwards."
  type        = list(string)

  validation {
    condition     = length(var.kms_key_administrators) > 0 && alltrue([for arn in var.kms_key_administrators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "kms_key_administrators must list at least one IAM role or user ARN, e.g. \"arn:aws:iam::111111111111:role/infra-deploy\"."
  }
}

variable "kms_break_glass_administrators" {
  description = "IAM role ARNs of the flow-log key's administrators of last resort (`infra-break-glass`)."
  type        = list(string)

  validation {
    condition     = length(var.kms_break_glass_administrators) > 0 && alltrue([for arn in var.kms_break_glass_administrators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "kms_break_glass_administrators must list at least one IAM role ARN, e.g. \"arn:aws:iam::111111111111:role/infra-break-glass\"."
  }
}

################################################################################
# Deploy access
################################################################################

variable "deploy_access_instance_type" {
  description = "Instance type of the SSM-managed deploy-access instance (the in-network path to the private Kubernetes API)."
  type        = string
  default     = "t3.micro"
}

################################################################################
# Session Manager
################################################################################

variable "session_instance_role_arns" {
  description = "IAM role ARNs of further SSM-managed instances (the EKS nodes' role) that serve Session Manager sessions: the session key lets them decrypt; attach `session_logging_policy_arn` to them. The deploy-access instance's role is always included."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.session_instance_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "session_instance_role_arns must list IAM role ARNs, e.g. \"arn:aws:iam::111111111111:role/infra-dev-node\"."
  }
}

variable "session_user_arns" {
  description = "IAM role ARNs of the people who start Session Manager sessions (e.g. `infra-platform-admin`, `infra-break-glass`): the session key lets them create the session's data key. Empty: nobody can start a KMS-encrypted session."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.session_user_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "session_user_arns must list IAM role or user ARNs, e.g. \"arn:aws:iam::111111111111:role/infra-platform-admin\"."
  }
}

variable "session_log_retention_days" {
  description = "Days to keep Session Manager transcripts; at least 365."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.session_log_retention_days)
    error_message = "session_log_retention_days must be a CloudWatch Logs retention of at least 365: 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

################################################################################
# Egress
################################################################################

variable "egress_allowed_domains" {
  description = "Further domain names the DNS firewall resolves, each a reviewed internet destination (e.g. \"*.example.org.\"). The region's AWS names and the VPC's own hostnames are always allowed; every other name gets NXDOMAIN."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for d in var.egress_allowed_domains : can(regex("^(\\*\\.)?([a-z0-9-]+\\.)+[a-z]{2,}\\.?$", d))])
    error_message = "egress_allowed_domains must list domain names, optionally starting with \"*.\", with at least a second-level label (e.g. \"*.example.org.\"); \"*\" or \"*.com\"-like entries that open whole top-level domains are refused."
  }
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
