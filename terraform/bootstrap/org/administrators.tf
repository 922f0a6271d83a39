# The people of the management account, stated once: terraform/bootstrap/org (this folder) and
# terraform/log-archive (which links this file) name them; terraform/org runs as the first of
# them and names neither. `infra check` refuses the placeholder below, naming this file.
locals {
  # The administrator who runs both stacks (and terraform/org): the management account has no
  # OrganizationAccountAccessRole, so it is an IAM Identity Center role, named with the path
  # Identity Center gives it, aws-reserved/sso.amazonaws.com/<Identity Center region>/ (find it
  # with `aws iam list-roles --path-prefix /aws-reserved/sso.amazonaws.com/`); without the path
  # IAM and KMS refuse the policies naming it. Placeholder: its suffix.
  management_administrator_role_arn = "arn:aws:iam::${local.account_id}:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_AdministratorAccess_0000000000000000"

  # Break glass: IAM users of this account, each with an MFA device (Identity Center sessions
  # carry no MFA condition key), trusted by the infra-break-glass role of the management and the
  # log archive accounts (README "First-time setup", step 1).
  break_glass_users = ["arn:aws:iam::${local.account_id}:user/break-glass"]
}
