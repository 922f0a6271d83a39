# The facts of this environment. `infra` reads them (region, account, promotion order);
# the provider, the backend check and the policies use them from here.
locals {
  environment   = "dev"
  region        = "eu-central-1"
  account_id    = "111111111111" # placeholder: set the dev account id before the first plan
  promoted_from = null
  protected     = false
}
