# The facts of this environment. `infra` reads them (region, account, promotion order);
# the provider, the backend check and the policies use them from here.
locals {
  environment   = "staging"
  region        = "eu-central-1"
  account_id    = "333333333333" # placeholder: set the staging account id before the first plan
  promoted_from = "dev"
  protected     = false
}
