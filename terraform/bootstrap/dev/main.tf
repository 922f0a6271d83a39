# One-time stack of the dev account, applied before anything else (README "First-time setup"):
# the roles of the credential chain, the account's guard rails and audit trail, and the state
# bucket of envs/dev/backend.tf. Its values are written here; its facts come from environment.tf.
locals {
  # Who runs this stack: administers the state and audit keys and may use the state key, so the
  # bootstrap state itself can move into the bucket.
  bootstrap_role_arn = "arn:aws:iam::${local.account_id}:role/OrganizationAccountAccessRole"
}

module "roles" {
  source = "../../modules/account-roles"

  environment            = local.environment
  protected              = local.protected
  github_repository      = "example-org/infra" # placeholder: this repository's owner/name
  kms_key_administrators = [local.bootstrap_role_arn]

  # The people, by their IAM Identity Center roles in this account. Identity Center creates them
  # under the path aws-reserved/sso.amazonaws.com/<Identity Center region>/ (find each with
  # `aws iam list-roles --path-prefix /aws-reserved/sso.amazonaws.com/`); trust policies naming
  # them without that path are refused. Placeholders: the permission sets' role-name suffixes.
  deployer_principals       = ["arn:aws:iam::${local.account_id}:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_Deployer_0000000000000000"]
  platform_admin_principals = ["arn:aws:iam::${local.account_id}:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_PlatformAdmin_0000000000000000"]

  # Identity Center sessions carry no MFA condition key, so break glass is an IAM user with an
  # MFA device, in the management account (placeholder: README "First-time setup", step 1).
  break_glass_principals = ["arn:aws:iam::000000000000:user/break-glass"]
}

module "baseline" {
  source = "../../modules/account-baseline"

  state_bucket_name              = "infra-state-${local.account_id}-${local.region}"
  kms_key_administrators         = [local.bootstrap_role_arn]
  kms_break_glass_administrators = [module.roles.break_glass_role_arn]
  state_key_users                = [module.roles.deploy_role_arn, local.bootstrap_role_arn]
}
