# staging's platform: its values are written here; its facts (region, account) come from environment.tf.
module "platform" {
  source = "../../modules/platform"

  name       = "infra-${local.environment}"
  region     = local.region
  account_id = local.account_id

  vpc_cidr   = "10.30.0.0/16"
  az_letters = ["a", "b", "c"]
  nat_mode   = "per_az" # like prod, so a zone failure is rehearsed here first

  kubernetes_version = "1.33"
  node_groups = {
    general = {
      instance_types = ["m7i.large"]
      min_size       = 2
      max_size       = 6
      desired_size   = 2
    }
  }

  # These roles must exist in the account before the first apply; the key administrators must
  # include infra-deploy, the role infra hands terraform.
  kms_key_administrator_role_names = ["infra-deploy"]
  cluster_admin_role_names         = ["infra-platform-admin"]

  ecr_repositories = {
    "platform/api" = { keep_images = 200 }
  }
  ecr_scan_type = "BASIC"
}
