################################################################################
# Repositories
################################################################################

variable "repositories" {
  description = "Repositories to create, by name. Set `keep_images` to expire all but the newest N images; leave it null to keep every image."
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

variable "kms_key_arn" {
  description = "ARN of a customer-managed KMS key to encrypt the repositories with. When null, ECR uses its AWS-managed KMS key (`aws/ecr`); encryption is KMS either way, never AES256."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (not an alias)."
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
