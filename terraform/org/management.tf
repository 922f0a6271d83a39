# The facts of the organization's management account, stated once: this stack and
# terraform/bootstrap/org (which links this file) read them.
locals {
  environment = "org"
  region      = "us-east-1"    # AWS Organizations is served from us-east-1
  account_id  = "000000000000" # placeholder: set the management account id before the first plan
}
