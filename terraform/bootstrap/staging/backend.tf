# After the first apply (scripts/bootstrap.ts runs it on a local backend_override.tf, because
# this bucket does not exist yet), the bootstrap state moves here with
# `terraform init -migrate-state`. Backend blocks cannot read locals: keep the bucket name in
# step with environment.tf (test/terraform-tree/tree.test.ts checks it).
terraform {
  backend "s3" {
    bucket       = "infra-state-333333333333-eu-central-1"
    key          = "bootstrap/staging/terraform.tfstate"
    region       = "eu-central-1"
    use_lockfile = true
    encrypt      = true
    kms_key_id   = "alias/infra-state"
  }
}
