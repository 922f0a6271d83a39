# prod's platform: its values are written here; its facts (region, account) come from environment.tf.
module "platform" {
  source = "../../modules/platform"

  name       = "infra-${local.environment}"
  region     = local.region
  account_id = local.account_id

  vpc_cidr   = "10.20.0.0/16"
  az_letters = ["a", "b", "c"]
  nat_mode   = "per_az" # survives the loss of one zone

  kubernetes_version = "1.33"
  node_groups = {
    general = {
      instance_types = ["m7i.xlarge"]
      min_size       = 3
      max_size       = 9
      desired_size   = 3
    }
  }

  # These roles must exist in the account before the first apply; the key administrators must
  # include infra-deploy, the role providers.tf assumes.
  kms_key_administrator_role_names = ["infra-deploy"]
  cluster_admin_role_names         = ["infra-platform-admin"]

  ecr_repositories = {
    "platform/api" = { keep_images = 500 }
  }
  ecr_scan_type = "ENHANCED" # Amazon Inspector
}
