# dev's platform: its values are written here; its facts (region, account) come from environment.tf.
module "platform" {
  source = "../../modules/platform"

  name       = "infra-${local.environment}"
  region     = local.region
  account_id = local.account_id

  vpc_cidr   = "10.10.0.0/16"
  az_letters = ["a", "b", "c"]
  nat_mode   = "single"

  kubernetes_version = "1.33"
  node_groups = {
    general = {
      instance_types = ["m7i.large"]
      min_size       = 1
      max_size       = 3
      desired_size   = 2
    }
  }

  # These roles must exist in the account before the first apply; the key administrators must
  # include infra-deploy, the role providers.tf assumes.
  kms_key_administrator_role_names = ["infra-deploy"]
  cluster_admin_role_names         = ["infra-platform-admin"]

  ecr_repositories = {
    "platform/api" = { keep_images = 200 }
  }
  ecr_scan_type = "BASIC"
}
