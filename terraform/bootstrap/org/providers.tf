# Region and account come from management.tf (a link to terraform/org/management.tf). No
# assume_role: it runs with the credentials of the administrator role main.tf names
# (README "First-time setup").
provider "aws" {
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
