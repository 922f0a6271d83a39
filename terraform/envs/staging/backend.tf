# State lives in this environment's own account and region, in the bucket and KMS key that
# terraform/bootstrap/staging creates. Backend blocks cannot read locals: `infra` checks that
# region equals local.region in environment.tf; keep the account id in the bucket name in step
# with local.account_id (test/terraform-tree/tree.test.ts checks both).
terraform {
  backend "s3" {
    bucket       = "infra-state-333333333333-eu-central-1"
    key          = "envs/staging/terraform.tfstate"
    region       = "eu-central-1"
    use_lockfile = true
    encrypt      = true
    kms_key_id   = "alias/infra-state"
  }
}
