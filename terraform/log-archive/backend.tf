# Kept in the management account's state bucket (terraform/bootstrap/org): this root runs with
# the management administrator's credentials, like terraform/org. Keep the account id in step
# with management.tf (the tree test checks it).
terraform {
  backend "s3" {
    bucket       = "infra-state-000000000000-us-east-1"
    key          = "log-archive/terraform.tfstate"
    region       = "us-east-1"
    use_lockfile = true
    encrypt      = true
    kms_key_id   = "alias/infra-state"
  }
}
