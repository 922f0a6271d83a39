# One-time stack of the organization's management account, applied before terraform/org: the
# roles of the credential chain (GitHub environment "org"), the account's guard rails and audit
# trail, and the state bucket of terraform/org/backend.tf. Facts come from management.tf.
locals {
  # Who runs this stack: the management account has no OrganizationAccountAccessRole, so an
  # administrator's own IAM Identity Center role does, named with the path Identity Center gives
  # it, aws-reserved/sso.amazonaws.com/<Identity Center region>/ (find it with `aws iam
  # list-roles --path-prefix /aws-reserved/sso.amazonaws.com/`). Placeholder: its suffix.
  bootstrap_role_arn = "arn:aws:iam::${local.account_id}:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_AdministratorAccess_0000000000000000"
}

module "roles" {
  source = "../../modules/account-roles"

  environment            = local.environment
  github_repository      = "example-org/infra" # placeholder: this repository's owner/name
  kms_key_administrators = [local.bootstrap_role_arn]

  # Service control policies do not apply in the management account, so its deploy role is no
  # administrator: the organization's API and (account-roles) its own state.
  deploy_role_policy_arns = ["arn:aws:iam::aws:policy/AWSOrganizationsFullAccess"]

  # The people who change the organization, by their Identity Center role (see above).
  deployer_principals       = [local.bootstrap_role_arn]
  platform_admin_principals = [local.bootstrap_role_arn]

  # Identity Center sessions carry no MFA condition key, so break glass is an IAM user of this
  # account with an MFA device (README "First-time setup", step 1).
  break_glass_principals = ["arn:aws:iam::${local.account_id}:user/break-glass"]
}

module "baseline" {
  source = "../../modules/account-baseline"

  state_bucket_name              = "infra-state-${local.account_id}-${local.region}"
  kms_key_administrators         = [local.bootstrap_role_arn]
  kms_break_glass_administrators = [module.roles.break_glass_role_arn]
  state_key_users                = [module.roles.deploy_role_arn, local.bootstrap_role_arn]
}
