# environment.tf is a link to the environment's own file, so region and account are stated once.
# It runs as OrganizationAccountAccessRole, the role AWS Organizations creates in every
# account it creates: nothing else can be relied on to exist yet.
provider "aws" {
  region              = local.region
  allowed_account_ids = [local.account_id]

  assume_role {
    role_arn     = "arn:aws:iam::${local.account_id}:role/OrganizationAccountAccessRole"
    session_name = "infra-bootstrap-${local.environment}"
  }

  default_tags {
    tags = {
      Environment = local.environment
      ManagedBy   = "terraform"
      Repository  = "infra"
    }
  }
}
