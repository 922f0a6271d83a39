# Region and account come from environment.tf (a link to the environment's own file). No
# assume_role: the first run uses the caller's credentials for OrganizationAccountAccessRole in
# this account (README "First-time setup"), the role AWS Organizations creates in every account
# it creates - nothing else exists yet.
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
