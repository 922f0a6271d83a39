# The facts of the organization's log archive account, stated once: this root reads them, and
# terraform/org creates the account (copy its output log_archive_account_id here).
locals {
  log_archive_account_id = "444444444444" # placeholder: set the log archive account id before the first plan

  # Who runs this root: the management account's administrator, the Identity Center role
  # terraform/bootstrap/org/main.tf names (bootstrap_role_arn), with its path. Placeholder: its suffix.
  management_administrator_role_arn = "arn:aws:iam::${local.account_id}:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_AdministratorAccess_0000000000000000"

  # Object Lock in compliance mode: no one, the account root included, can delete or shorten
  # the retention of a log file before this many days. README "The organization's audit trail".
  trail_retention_days = 365
}
