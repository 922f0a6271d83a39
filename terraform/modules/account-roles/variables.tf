################################################################################
# Environment
################################################################################

variable "environment" {
  description = "Name of the infra environment (`local.environment` of its environment.tf); also the GitHub environment whose jobs may assume `infra-deploy` and `infra-image-push`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be a lowercase environment name such as \"dev\", \"staging\" or \"prod\"."
  }
}

variable "github_repository" {
  description = "The GitHub repository (`owner/name`) whose Actions may assume the roles, e.g. \"example-org/infra\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be \"owner/name\" with no wildcard, e.g. \"example-org/infra\"."
  }
}

################################################################################
# Who may assume what
################################################################################

variable "deployer_principals" {
  description = "IAM role or user ARNs of people who may assume `infra-deploy` from a laptop (their own SSO or profile role in this account). Each must exist, or IAM refuses the trust policy."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.deployer_principals : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", arn))])
    error_message = "deployer_principals must be IAM role or user ARNs without wildcards."
  }
}

variable "platform_admin_principals" {
  description = "IAM role or user ARNs that may assume `infra-platform-admin` (Kubernetes cluster administrators). Each must exist."
  type        = list(string)

  validation {
    condition     = length(var.platform_admin_principals) > 0 && alltrue([for arn in var.platform_admin_principals : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", arn))])
    error_message = "platform_admin_principals must list at least one IAM role or user ARN, without wildcards."
  }
}

variable "break_glass_principals" {
  description = "IAM role or user ARNs that may assume `infra-break-glass`, with MFA only. Each must exist."
  type        = list(string)

  validation {
    condition     = length(var.break_glass_principals) > 0 && alltrue([for arn in var.break_glass_principals : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", arn))])
    error_message = "break_glass_principals must list at least one IAM role or user ARN, without wildcards."
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
