# Runs in the organization's management account (facts in management.tf). No assume_role:
# it uses the caller's credentials, as every root does.
provider "aws" {
  region              = local.region
  allowed_account_ids = [local.account_id]

  default_tags {
    tags = {
      ManagedBy  = "terraform"
      Repository = "infra"
    }
  }
}
