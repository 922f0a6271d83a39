# Region and account come from environment.tf, so no -var can point this root elsewhere.
# No assume_role: `infra` has already assumed infra-deploy in this account (session name
# infra-<env>-<commit12>) and hands terraform those credentials (README "The credential chain").
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
