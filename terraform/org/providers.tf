# Runs in the organization's management account; AWS Organizations is served from us-east-1.
provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = [local.management_account_id]

  default_tags {
    tags = {
      ManagedBy  = "terraform"
      Repository = "infra"
    }
  }
}
