locals {
  # Documentation domains (RFC 2606): an account whose root address is one of them can never be
  # recovered by mail. The same list `infra check` refuses (src/config/environment.ts).
  placeholder_email = "(?i)@([a-z0-9-]+\\.)*(example\\.(com|net|org)|example|invalid|test|localhost)$"
}

variable "account_emails" {
  description = "Root e-mail address of each environment's account, by environment name (one per folder under terraform/envs). Each must be unique across AWS."
  type        = map(string)

  validation {
    condition     = alltrue([for email in values(var.account_emails) : can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", email))])
    error_message = "account_emails values must be e-mail addresses, e.g. \"aws+infra-dev@your-company.com\"."
  }

  # AWS would create the account, and its root user could never be recovered by mail.
  validation {
    condition     = !anytrue([for email in values(var.account_emails) : can(regex(local.placeholder_email, email))])
    error_message = "account_emails still holds a placeholder address (example.com or another documentation domain): set each environment's real root e-mail in terraform/org/terraform.tfvars."
  }
}

variable "log_archive_email" {
  description = "Root e-mail address of the log archive account (the organization trail's bucket, Security Hub, the Config aggregator). Must be unique across AWS."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", var.log_archive_email))
    error_message = "log_archive_email must be an e-mail address, e.g. \"aws+infra-log-archive@your-company.com\"."
  }

  # AWS would create the account, and its root user could never be recovered by mail.
  validation {
    condition     = !can(regex(local.placeholder_email, var.log_archive_email))
    error_message = "log_archive_email still holds a placeholder address (example.com or another documentation domain): set the log archive account's real root e-mail in terraform/org/terraform.tfvars."
  }
}
