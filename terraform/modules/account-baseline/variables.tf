################################################################################
# State bucket
################################################################################

variable "state_bucket_name" {
  description = "Name of the S3 bucket holding this account's Terraform state, by convention `infra-state-<account id>-<region>`."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "state_key_alias" {
  description = "Alias of the state bucket's KMS key; the S3 backend's `kms_key_id` names it."
  type        = string
  default     = "alias/infra-state"

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]+$", var.state_key_alias)) && !startswith(var.state_key_alias, "alias/aws/")
    error_message = "state_key_alias must look like \"alias/infra-state\" and must not start with the reserved \"alias/aws/\"."
  }
}

################################################################################
# Access
################################################################################

variable "kms_key_administrators" {
  description = "IAM role or user ARNs that administer the state KMS key. Must include the role that runs this stack, or AWS refuses the key policy."
  type        = list(string)

  validation {
    condition     = length(var.kms_key_administrators) > 0 && alltrue([for arn in var.kms_key_administrators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "kms_key_administrators must list at least one IAM role or user ARN, e.g. \"arn:aws:iam::111111111111:role/OrganizationAccountAccessRole\"."
  }
}

variable "kms_break_glass_administrators" {
  description = "IAM role ARNs of the key administrators of last resort (`infra-break-glass`) for the state and audit keys; they may also read the audit logs."
  type        = list(string)

  validation {
    condition     = length(var.kms_break_glass_administrators) > 0 && alltrue([for arn in var.kms_break_glass_administrators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "kms_break_glass_administrators must list at least one IAM role ARN, e.g. \"arn:aws:iam::111111111111:role/infra-break-glass\"."
  }
}

variable "audit_log_readers" {
  description = "IAM role ARNs that may decrypt the CloudTrail logs and Config snapshots in the audit bucket (besides the break-glass role)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.audit_log_readers : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "audit_log_readers must be IAM role ARNs."
  }
}

variable "state_key_users" {
  description = "IAM role ARNs that read and write Terraform state (encrypt and decrypt with the state key), e.g. the environment's deploy role. The roles must already exist."
  type        = list(string)

  validation {
    condition     = length(var.state_key_users) > 0 && alltrue([for arn in var.state_key_users : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "state_key_users must list at least one IAM role ARN, e.g. \"arn:aws:iam::111111111111:role/infra-deploy\"."
  }
}

################################################################################
# EBS
################################################################################

variable "create_autoscaling_service_linked_role" {
  description = "Create the account's Auto Scaling service-linked role (`AWSServiceRoleForAutoScaling`), which launches the nodes and is named in the policy of the account's default EBS key (and of modules/eks's node-volume key). Set false where the account already has it (it exists once any Auto Scaling group was created there)."
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
