# Placeholders: set real, unique root addresses before the first apply.
account_emails = {
  dev     = "aws+infra-dev@example.com"
  prod    = "aws+infra-prod@example.com"
  staging = "aws+infra-staging@example.com"
}
log_archive_email = "aws+infra-log-archive@example.com"
