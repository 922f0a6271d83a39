# The facts of the organization's log archive account, stated once: this root reads them, and
# terraform/org creates the account (copy its output log_archive_account_id here).
locals {
  log_archive_account_id = "444444444444" # placeholder: set the log archive account id before the first plan

  # Object Lock in compliance mode: no one, the account root included, can delete or shorten
  # the retention of a log file before this many days. README "The organization's audit trail".
  trail_retention_days = 365
}
