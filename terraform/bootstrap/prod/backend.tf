# After the first apply (scripts/bootstrap.ts runs it on a local backend_override.tf, because
# this bucket does not exist yet), the bootstrap state moves here with
# `terraform init -migrate-state`. Backend blocks cannot read locals: keep the bucket name in
# step with environment.tf (test/terraform-tree/tree.test.ts checks it).
terraform {
  backend "s3" {
    bucket       = "infra-state-222222222222-us-east-2"
    key          = "bootstrap/prod/terraform.tfstate"
    region       = "us-east-2"
    use_lockfile = true
    encrypt      = true
    kms_key_id   = "alias/infra-state"
  }
}
