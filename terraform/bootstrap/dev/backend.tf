# Local state: this stack creates the bucket the S3 backend would need. After the first apply,
# keep terraform.tfstate safe or move it into the new bucket (key "bootstrap/dev/terraform.tfstate")
# with `terraform init -migrate-state`.
terraform {
  backend "local" {}
}
