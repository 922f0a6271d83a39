################################################################################
# Repositories
################################################################################

variable "repositories" {
  description = "Repositories to create, by name. Set `keep_images` to expire all but the newest N untagged images (a tagged image is never expired); leave it null to keep every image."
  type = map(object({
    keep_images = optional(number)
  }))

  validation {
    condition     = alltrue([for name in keys(var.repositories) : can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$", name)) && length(name) <= 256])
    error_message = "Repository names must be lowercase letters, digits and . _ - separators, optionally namespaced with /, e.g. \"platform/api\"."
  }

  validation {
    condition     = alltrue([for r in values(var.repositories) : r.keep_images == null ? true : r.keep_images >= 1])
    error_message = "repositories[*].keep_images must be null (keep all) or at least 1."
  }
}

################################################################################
# Who pushes and pulls
################################################################################

variable "push_principal_arns" {
  description = "IAM role ARNs that may push images: the CI role (`infra-image-push`). Nobody else can push, whatever their IAM policies say."
  type        = list(string)

  validation {
    condition     = length(var.push_principal_arns) > 0 && alltrue([for arn in var.push_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[^*]+$", arn))])
    error_message = "push_principal_arns must list at least one IAM role ARN without wildcards, e.g. \"arn:aws:iam::111111111111:role/infra-image-push\"."
  }
}

variable "pull_principal_arns" {
  description = "IAM role ARNs that may pull images: the cluster's node role. Nobody else (but the pushers and AWS service-linked roles such as Amazon Inspector's) can pull."
  type        = list(string)

  validation {
    condition     = length(var.pull_principal_arns) > 0 && alltrue([for arn in var.pull_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[^*]+$", arn))])
    error_message = "pull_principal_arns must list at least one IAM role ARN without wildcards, e.g. the node role \"arn:aws:iam::111111111111:role/infra-dev-node\"."
  }
}

################################################################################
# Key
################################################################################

variable "name" {
  description = "Name of the environment's registry, used for the KMS key's alias `alias/ecr/<name>`, e.g. \"infra-dev\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "name must be 3-40 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "kms_key_administrators" {
  description = "IAM role ARNs that administer the repositories' KMS key. Must include the role terraform runs as."
  type        = list(string)

  validation {
    condition     = length(var.kms_key_administrators) > 0 && alltrue([for arn in var.kms_key_administrators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "kms_key_administrators must list at least one IAM role or user ARN, e.g. \"arn:aws:iam::111111111111:role/infra-deploy\"."
  }
}

variable "kms_break_glass_administrators" {
  description = "IAM role ARNs of the repositories' key administrators of last resort (`infra-break-glass`)."
  type        = list(string)

  validation {
    condition     = length(var.kms_break_glass_administrators) > 0 && alltrue([for arn in var.kms_break_glass_administrators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "kms_break_glass_administrators must list at least one IAM role ARN, e.g. \"arn:aws:iam::111111111111:role/infra-break-glass\"."
  }
}

################################################################################
# Registry scanning
################################################################################

variable "scan_type" {
  description = "Registry-wide scanning: `BASIC` (ECR's own scanner) or `ENHANCED` (Amazon Inspector, billed separately). Every repository is scanned on push either way."
  type        = string
  default     = "BASIC"

  validation {
    condition     = contains(["BASIC", "ENHANCED"], var.scan_type)
    error_message = "Allowed values for scan_type: \"BASIC\", \"ENHANCED\"."
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
