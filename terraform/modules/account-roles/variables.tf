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

variable "protected" {
  description = "Whether the environment is protected (`local.protected` of its environment.tf): then `infra-deploy` trusts only GitHub OIDC of the environment's deployment environment, and no person may deploy (people use `infra-break-glass`, MFA only)."
  type        = bool
  default     = false
  nullable    = false
}

variable "github_oidc_subject" {
  description = "The whole OIDC `sub` claim that may assume `infra-deploy` and `infra-image-push`, for organisations that customise GitHub's sub claim (e.g. `repo:<owner>/<repo>:environment:<env>:job_workflow_ref:<owner>/<repo>/.github/workflows/infra.yml@refs/heads/main`); null for GitHub's default, `repo:<owner>/<repo>:environment:<env>`."
  type        = string
  default     = null

  validation {
    condition     = var.github_oidc_subject == null ? true : startswith(coalesce(var.github_oidc_subject, "-"), "repo:${var.github_repository}:environment:${var.environment}:") && !strcontains(coalesce(var.github_oidc_subject, "-"), "*") && !strcontains(coalesce(var.github_oidc_subject, "-"), "?")
    error_message = "github_oidc_subject must begin with \"repo:<github_repository>:environment:<environment>:\" (the repository and deployment environment stay in the subject) and hold no wildcard."
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

  validation {
    condition     = !var.protected || length(var.deployer_principals) == 0
    error_message = "deployer_principals must be empty in a protected environment: it changes only through the pipeline (GitHub OIDC); people use infra-break-glass there. Remove them from terraform/bootstrap/<env>/main.tf."
  }

  validation {
    condition     = alltrue([for arn in var.deployer_principals : !strcontains(arn, ":role/AWSReservedSSO_")])
    error_message = "deployer_principals names an IAM Identity Center role without its path: write it as arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/<region>/AWSReservedSSO_<name>_<suffix> (`aws iam list-roles --path-prefix /aws-reserved/sso.amazonaws.com/` shows it); IAM refuses the trust policy otherwise."
  }
}

variable "platform_admin_principals" {
  description = "IAM role or user ARNs that may assume `infra-platform-admin` (Kubernetes cluster administrators). Each must exist."
  type        = list(string)

  validation {
    condition     = length(var.platform_admin_principals) > 0 && alltrue([for arn in var.platform_admin_principals : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", arn))])
    error_message = "platform_admin_principals must list at least one IAM role or user ARN, without wildcards."
  }

  validation {
    condition     = alltrue([for arn in var.platform_admin_principals : !strcontains(arn, ":role/AWSReservedSSO_")])
    error_message = "platform_admin_principals names an IAM Identity Center role without its path: write it as arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/<region>/AWSReservedSSO_<name>_<suffix> (`aws iam list-roles --path-prefix /aws-reserved/sso.amazonaws.com/` shows it); IAM refuses the trust policy otherwise."
  }
}

variable "break_glass_principals" {
  description = "IAM user ARNs that may assume `infra-break-glass`, with MFA only (each user has an MFA device and signs in with it). Roles are refused (modules/break-glass-role validates them): an IAM Identity Center or other role session never carries `aws:MultiFactorAuthPresent`, so the role could never be assumed. Each must exist."
  type        = list(string)
}

variable "deploy_role_policy_arns" {
  description = "Managed policies of `infra-deploy`. An environment account's terraform creates networks, clusters, keys and roles, so AdministratorAccess (bounded by `infra-deploy-boundary` and the organization's SCPs); the management account, where SCPs do not apply, passes what the org stack needs instead."
  type        = list(string)
  default     = ["arn:aws:iam::aws:policy/AdministratorAccess"]

  validation {
    condition     = length(var.deploy_role_policy_arns) > 0 && alltrue([for arn in var.deploy_role_policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", arn))])
    error_message = "deploy_role_policy_arns must list at least one managed policy ARN, e.g. \"arn:aws:iam::aws:policy/AWSOrganizationsFullAccess\"."
  }
}

variable "kms_key_administrators" {
  description = "IAM role ARNs that administer the ledger signing key: the role that runs the bootstrap stack (AWS refuses a key policy that would lock it out). They may read the public key, never sign."
  type        = list(string)

  validation {
    condition     = length(var.kms_key_administrators) > 0 && alltrue([for arn in var.kms_key_administrators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[^*]+$", arn)) && !endswith(arn, ":role/infra-deploy")])
    error_message = "kms_key_administrators must list at least one IAM role ARN without wildcards (the bootstrap role), and not infra-deploy, the only signer."
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
