# The log archive account has no roles of its own: the management administrator (the caller's
# credentials, as for terraform/org) reaches it through OrganizationAccountAccessRole, the role
# AWS Organizations created with the account.
provider "aws" {
  region              = local.region
  allowed_account_ids = [local.log_archive_account_id]

  assume_role {
    role_arn     = local.log_archive_admin_role_arn
    session_name = "infra-log-archive"
  }

  default_tags {
    tags = {
      Environment = "log-archive"
      ManagedBy   = "terraform"
      Repository  = "infra"
    }
  }
}

# The organization trail and its alarms belong to the management account: only it can create
# an organization trail.
provider "aws" {
  alias               = "management"
  region              = local.region
  allowed_account_ids = [local.account_id]

  default_tags {
    tags = {
      Environment = local.environment
      ManagedBy   = "terraform"
      Repository  = "infra"
    }
  }
}
