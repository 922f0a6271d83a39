# One-time stack: the account's guard rails and the state bucket of envs/<env>/backend.tf.
module "baseline" {
  source = "../../modules/account-baseline"

  state_bucket_name = "infra-state-${local.account_id}-${local.region}"

  # The role providers.tf assumes must administer the state key, or AWS refuses the key policy.
  kms_key_administrators = ["arn:aws:iam::${local.account_id}:role/OrganizationAccountAccessRole"]
  # The role envs/<env>/providers.tf assumes reads and writes the state; it must already exist.
  state_key_users = ["arn:aws:iam::${local.account_id}:role/infra-deploy"]
}
