# Region and account come from environment.tf, so no -var can point this root elsewhere. No
# assume_role: `infra` hands terraform the credentials of infra-deploy (README "Credentials").
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
