# The management account's own state bucket, created by terraform/bootstrap/org before this
# stack's first apply. Keep the account id in step with management.tf (the tree test checks it).
terraform {
  backend "s3" {
    bucket       = "infra-state-000000000000-us-east-1"
    key          = "org/terraform.tfstate"
    region       = "us-east-1"
    use_lockfile = true
    encrypt      = true
    kms_key_id   = "alias/infra-state"
  }
}
