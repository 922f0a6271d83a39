# One-time stack of the organization's management account, applied before terraform/org: the
# roles of the credential chain (GitHub environment "org"), the account's guard rails and audit
# trail, and the state bucket of terraform/org/backend.tf. Facts come from management.tf, the
# administrator who runs it and the break-glass users from administrators.tf.
module "roles" {
  source = "../../modules/account-roles"

  environment            = local.environment
  github_repository      = "example-org/infra" # placeholder: this repository's owner/name
  kms_key_administrators = [local.management_administrator_role_arn]

  # Service control policies do not apply in the management account, so its deploy role is no
  # administrator: the organization's API and (account-roles) its own state.
  deploy_role_policy_arns = ["arn:aws:iam::aws:policy/AWSOrganizationsFullAccess"]

  # The people who change the organization, by their Identity Center role (administrators.tf).
  deployer_principals       = [local.management_administrator_role_arn]
  platform_admin_principals = [local.management_administrator_role_arn]

  break_glass_principals = local.break_glass_users
}

module "baseline" {
  source = "../../modules/account-baseline"

  state_bucket_name              = "infra-state-${local.account_id}-${local.region}"
  kms_key_administrators         = [local.management_administrator_role_arn]
  kms_break_glass_administrators = [module.roles.break_glass_role_arn]
  state_key_users                = [module.roles.deploy_role_arn, local.management_administrator_role_arn]
}
