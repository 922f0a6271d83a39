################################################################################
# Key
################################################################################

variable "description" {
  description = "What the key encrypts, e.g. \"Encrypts the VPC flow logs of infra-dev\"."
  type        = string
}

variable "alias" {
  description = "Alias of the key, e.g. \"alias/eks/infra-dev\"; null for no alias."
  type        = string
  default     = null

  validation {
    condition     = var.alias == null ? true : can(regex("^alias/[a-zA-Z0-9/_-]+$", var.alias)) && !startswith(var.alias, "alias/aws/")
    error_message = "alias must be null or look like \"alias/eks/infra-dev\", and must not start with the reserved \"alias/aws/\"."
  }
}

variable "key_spec" {
  description = "The key's spec: \"SYMMETRIC_DEFAULT\" (encryption, rotated yearly by AWS) or an asymmetric spec such as \"ECC_NIST_P256\" (signing; AWS does not rotate asymmetric keys, so rotation is off for them)."
  type        = string
  default     = "SYMMETRIC_DEFAULT"

  validation {
    condition     = contains(["SYMMETRIC_DEFAULT", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "RSA_2048", "RSA_3072", "RSA_4096"], var.key_spec)
    error_message = "key_spec must be SYMMETRIC_DEFAULT or one of ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, RSA_2048, RSA_3072, RSA_4096."
  }
}

variable "key_usage" {
  description = "\"ENCRYPT_DECRYPT\" or, for an asymmetric key_spec, \"SIGN_VERIFY\"."
  type        = string
  default     = "ENCRYPT_DECRYPT"

  validation {
    condition     = var.key_usage == "ENCRYPT_DECRYPT" || (var.key_usage == "SIGN_VERIFY" && var.key_spec != "SYMMETRIC_DEFAULT")
    error_message = "key_usage must be ENCRYPT_DECRYPT, or SIGN_VERIFY with an asymmetric key_spec such as ECC_NIST_P256."
  }
}

################################################################################
# Key policy
################################################################################

variable "administrators" {
  description = "IAM role or user ARNs that administer the key (the policy's first statement, `KeyAdministrators`). Must include the role terraform runs as, or AWS refuses the policy and terraform could not manage the key afterwards."
  type        = list(string)

  validation {
    condition     = length(var.administrators) > 0 && alltrue([for arn in var.administrators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "administrators must list at least one IAM role or user ARN, e.g. \"arn:aws:iam::111111111111:role/infra-deploy\"."
  }
}

variable "break_glass_administrators" {
  description = "IAM role ARNs of the administrators of last resort (the `infra-break-glass` role, assumable only with MFA): the policy's second statement, `BreakGlassKeyAdministrators`. They keep the key manageable when the deploy role is lost or recreated."
  type        = list(string)

  validation {
    condition     = length(var.break_glass_administrators) > 0 && alltrue([for arn in var.break_glass_administrators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "break_glass_administrators must list at least one IAM role ARN, e.g. \"arn:aws:iam::111111111111:role/infra-break-glass\"."
  }
}

variable "statements" {
  description = "Further key-policy statements after the three administrator statements (`KeyAdministrators`, `BreakGlassKeyAdministrators`, `AdministratorsGrantOnlyToAWSServices`) and before those of volume_launchers and log_group_arn: who else may use the key. Each is an IAM policy statement object (`Sid`, `Effect`, `Principal`, `Action`, `Resource`, optionally `Condition`), written as for `jsonencode`. None may trust an account root."
  type        = any
  default     = []

  validation {
    condition     = try(alltrue([for s in var.statements : !contains(["KeyAdministrators", "BreakGlassKeyAdministrators", "AdministratorsGrantOnlyToAWSServices", "VolumeLaunchersUseTheKey", "VolumeLaunchersGrantOnlyToAWSServices", "CloudWatchLogsForThisLogGroup"], s.Sid)]), false)
    error_message = "statements must be a list of policy statement objects, each with its own Sid (not one of the administrator, volume-launcher or log-group statements this module writes)."
  }

  validation {
    condition     = !strcontains(jsonencode(var.statements), ":root")
    error_message = "statements must not name an account root (\"arn:aws:iam::<account>:root\"): grant the key to named roles or services only."
  }
}

variable "volume_launchers" {
  description = "IAM role ARNs that create EBS volumes under the key, e.g. the Auto Scaling service-linked role that launches nodes: they may use the key (`VolumeLaunchersUseTheKey`) and create grants for AWS resources only (`VolumeLaunchersGrantOnlyToAWSServices`), as EC2 needs to attach each volume. Each role must exist (KMS refuses a policy naming a missing principal)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.volume_launchers : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[^*]+$", arn))])
    error_message = "volume_launchers must be IAM role ARNs without wildcards, e.g. \"arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling\"."
  }
}

variable "log_group_arn" {
  description = "ARN of the one CloudWatch Logs log group that may use the key (adds the last statement, `CloudWatchLogsForThisLogGroup`); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.log_group_arn == null ? true : can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:[^*]+$", var.log_group_arn))
    error_message = "log_group_arn must be null or the ARN of one log group (no wildcard), e.g. \"arn:aws:logs:eu-central-1:111111111111:log-group:/aws/eks/infra-dev/cluster\"."
  }
}

################################################################################
# Tags
################################################################################

variable "tags" {
  description = "Tags of the key, on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
