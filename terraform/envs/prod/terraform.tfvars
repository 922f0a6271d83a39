# Tunable inputs for prod. Role names resolve to ARNs in the prod account from environment.tf.

vpc_cidr = "10.20.0.0/16"
nat_mode = "per_az"

kubernetes_version = "1.33"

node_groups = {
  general = {
    instance_types = ["m7i.xlarge"]
    min_size       = 3
    max_size       = 9
    desired_size   = 3
  }
}

# These roles must exist in the account before the first apply.
kms_key_administrator_role_names = ["infra-deploy"]
cluster_admin_role_names         = ["infra-platform-admin"]

ecr_repositories = {
  "platform/api" = { keep_images = 500 }
}

ecr_scan_type = "ENHANCED"
