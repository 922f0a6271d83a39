variable "kms_key_administrator_role_names" {
  description = "Names of IAM roles in this account that administer the state KMS key; must include the role this stack runs as."
  type        = list(string)
  default     = ["OrganizationAccountAccessRole"]

  validation {
    condition     = contains(var.kms_key_administrator_role_names, "OrganizationAccountAccessRole")
    error_message = "kms_key_administrator_role_names must include \"OrganizationAccountAccessRole\", the role this stack runs as; AWS refuses a key policy that locks its creator out."
  }
}

variable "state_key_user_role_names" {
  description = "Names of IAM roles in this account that read and write Terraform state; the roles must already exist."
  type        = list(string)
  default     = ["infra-deploy"]

  validation {
    condition     = length(var.state_key_user_role_names) > 0 && alltrue([for role in var.state_key_user_role_names : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", role))])
    error_message = "state_key_user_role_names must list at least one IAM role name (not an ARN), e.g. \"infra-deploy\"."
  }
}
