# The facts of this environment. `infra` reads them (region, account, promotion order);
# the provider, the backend check and the policies use them from here.
locals {
  environment   = "prod"
  region        = "us-east-2"
  account_id    = "222222222222" # placeholder: set the prod account id before the first plan
  promoted_from = "staging"
  protected     = true # applies need --approve <first 12 hex of the plan digest>
}
