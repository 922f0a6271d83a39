# Tunable inputs for dev. Role names resolve to ARNs in the dev account from environment.tf.

vpc_cidr = "10.10.0.0/16"
nat_mode = "single"

kubernetes_version = "1.33"

node_groups = {
  general = {
    instance_types = ["m7i.large"]
    min_size       = 1
    max_size       = 3
    desired_size   = 2
  }
}

# These roles must exist in the account before the first apply.
kms_key_administrator_role_names = ["infra-deploy"]
cluster_admin_role_names         = ["infra-platform-admin"]

ecr_repositories = {
  "platform/api" = { keep_images = 200 }
}
