variable "account_emails" {
  description = "Root e-mail address of each environment's account, by environment name (one per folder under terraform/envs). Each must be unique across AWS."
  type        = map(string)

  validation {
    condition     = alltrue([for email in values(var.account_emails) : can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", email))])
    error_message = "account_emails values must be e-mail addresses, e.g. \"aws+infra-dev@example.com\"."
  }
}
