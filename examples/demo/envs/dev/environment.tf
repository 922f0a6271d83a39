# The facts of this environment. `infra` reads them (region, account, promotion order);
# everything else in this root uses them from here.
locals {
  environment   = "dev"
  region        = "eu-central-1"
  account_id    = "111122223333"
  promoted_from = null
}
