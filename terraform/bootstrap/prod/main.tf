# One-time stack of the prod account, applied before anything else (README "First-time setup"):
# the roles of the credential chain, the account's guard rails and audit trail, and the state
# bucket of envs/prod/backend.tf. Its values are written here; its facts come from environment.tf.
locals {
  # Who runs this stack: administers the state and audit keys and may use the state key, so the
  # bootstrap state itself can move into the bucket.
  bootstrap_role_arn = "arn:aws:iam::${local.account_id}:role/OrganizationAccountAccessRole"
}

module "roles" {
  source = "../../modules/account-roles"

  environment       = local.environment
  github_repository = "example-org/infra" # placeholder: this repository's owner/name

  # placeholders: the SSO roles of the people who deploy, run the clusters and break the glass
  deployer_principals       = ["arn:aws:iam::222222222222:role/AWSReservedSSO_Deployer_0000000000000000"]
  platform_admin_principals = ["arn:aws:iam::222222222222:role/AWSReservedSSO_PlatformAdmin_0000000000000000"]
  break_glass_principals    = ["arn:aws:iam::222222222222:role/AWSReservedSSO_BreakGlass_0000000000000000"]
}

module "baseline" {
  source = "../../modules/account-baseline"

  state_bucket_name              = "infra-state-${local.account_id}-${local.region}"
  kms_key_administrators         = [local.bootstrap_role_arn]
  kms_break_glass_administrators = [module.roles.break_glass_role_arn]
  state_key_users                = [module.roles.deploy_role_arn, local.bootstrap_role_arn]
}
