variable "description" {
  description = "What the role administers, e.g. \"Administers the dev environment's KMS keys when nothing else can; MFA required\"."
  type        = string
}

variable "principals" {
  description = "IAM user ARNs that may assume `infra-break-glass`, with MFA only (each user has an MFA device and signs in with it). Roles are refused: an IAM Identity Center or other role session never carries `aws:MultiFactorAuthPresent`, so the role could never be assumed. Each must exist."
  type        = list(string)

  validation {
    condition     = length(var.principals) > 0 && alltrue([for arn in var.principals : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:user/[^*]+$", arn))])
    error_message = "The break-glass principals must list at least one IAM user ARN without wildcards (e.g. \"arn:aws:iam::111111111111:user/break-glass\"): role sessions, Identity Center's included, carry no MFA, so a role could never assume infra-break-glass."
  }
}

variable "tags" {
  description = "Tags of the role, on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
