# Region and account come from environment.tf, so no -var can point this root elsewhere.
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
