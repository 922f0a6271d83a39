variable "account_emails" {
  description = "Root e-mail address of each environment's account, by environment name (one per folder under terraform/envs). Each must be unique across AWS."
  type        = map(string)

  validation {
    condition     = alltrue([for email in values(var.account_emails) : can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", email))])
    error_message = "account_emails values must be e-mail addresses, e.g. \"aws+infra-dev@your-company.com\"."
  }

  # AWS would create the account, and its root user could never be recovered by mail.
  validation {
    condition     = !anytrue([for email in values(var.account_emails) : can(regex("(?i)@([a-z0-9-]+\\.)*(example\\.(com|net|org)|example|invalid|test|localhost)$", email))])
    error_message = "account_emails still holds a placeholder address (example.com or another documentation domain): set each environment's real root e-mail in terraform/org/terraform.tfvars."
  }
}
