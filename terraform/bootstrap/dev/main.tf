# One-time stack: the account's guard rails and the state bucket of envs/<env>/backend.tf.
module "baseline" {
  source = "../../modules/account-baseline"

  state_bucket_name      = "infra-state-${local.account_id}-${local.region}"
  kms_key_administrators = [for role in var.kms_key_administrator_role_names : "arn:aws:iam::${local.account_id}:role/${role}"]
  state_key_users        = [for role in var.state_key_user_role_names : "arn:aws:iam::${local.account_id}:role/${role}"]
}
