# The facts of this environment. `infra` reads them (region, account, promotion order);
# everything else in this root uses them from here.
locals {
  environment   = "prod"
  region        = "us-east-2"
  account_id    = "444455556666"
  promoted_from = "dev"
  protected     = true # applies need --approve <first 12 hex of the plan digest>
}
