# One-time stack of the organization's management account, applied before terraform/org: the
# roles of the credential chain (GitHub environment "org"), the account's guard rails and audit
# trail, and the state bucket of terraform/org/backend.tf. Facts come from management.tf.
locals {
  # Who runs this stack: the management account has no OrganizationAccountAccessRole, so an
  # administrator's own role does (placeholder: your SSO administrator role).
  bootstrap_role_arn = "arn:aws:iam::${local.account_id}:role/AWSReservedSSO_AdministratorAccess_0000000000000000"
}

module "roles" {
  source = "../../modules/account-roles"

  environment       = local.environment
  github_repository = "example-org/infra" # placeholder: this repository's owner/name

  # placeholders: the SSO roles of the people who change the organization and break the glass
  deployer_principals       = ["arn:aws:iam::000000000000:role/AWSReservedSSO_AdministratorAccess_0000000000000000"]
  platform_admin_principals = ["arn:aws:iam::000000000000:role/AWSReservedSSO_AdministratorAccess_0000000000000000"]
  break_glass_principals    = ["arn:aws:iam::000000000000:role/AWSReservedSSO_BreakGlass_0000000000000000"]
}

module "baseline" {
  source = "../../modules/account-baseline"

  state_bucket_name              = "infra-state-${local.account_id}-${local.region}"
  kms_key_administrators         = [local.bootstrap_role_arn]
  kms_break_glass_administrators = [module.roles.break_glass_role_arn]
  state_key_users                = [module.roles.deploy_role_arn, local.bootstrap_role_arn]
}
