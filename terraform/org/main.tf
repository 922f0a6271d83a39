locals {
  management_account_id = "000000000000" # placeholder: set the management account id before the first plan

  # Every folder under envs/ is an environment with an account of its own. Its region is read
  # from its environment.tf, so the region each SCP allows is stated once, where infra reads it.
  environments = {
    for f in fileset("${path.module}/../envs", "*/environment.tf") : dirname(f) => {
      region = regex("(?m)^\\s*region\\s*=\\s*\"([a-z]{2}(?:-[a-z]+)+-[0-9])\"", file("${path.module}/../envs/${f}"))[0]
    }
  }

  # Services that are global (or answer only in us-east-1) and must stay usable from every account.
  # Add one here only when an environment needs it.
  global_actions = [
    "account:*", "budgets:*", "ce:*", "cur:*", "health:*", "iam:*", "organizations:*",
    "pricing:*", "route53:*", "route53domains:*", "sts:*", "support:*", "trustedadvisor:*",
    "ec2:DescribeRegions", "s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock",
    "s3:ListAllMyBuckets",
  ]
}

################################################################################
# Accounts
################################################################################

resource "aws_organizations_account" "this" {
  for_each = local.environments

  name              = "infra-${each.key}"
  email             = var.account_emails[each.key]
  role_name         = "OrganizationAccountAccessRole"
  close_on_deletion = false

  tags = { Environment = each.key }

  lifecycle {
    prevent_destroy = true
    # AWS does not report role_name back; changing it would replace the account.
    ignore_changes = [role_name]

    precondition {
      condition     = contains(keys(var.account_emails), each.key)
      error_message = "account_emails has no address for environment \"${each.key}\" (terraform/envs/${each.key}); add one in terraform/org/terraform.tfvars."
    }
  }
}

################################################################################
# Region lock (service control policies)
################################################################################

resource "aws_organizations_policy" "region_lock" {
  for_each = local.environments

  name        = "infra-${each.key}-region-lock"
  description = "Denies every region but ${each.value.region} to the ${each.key} account"
  type        = "SERVICE_CONTROL_POLICY"

  content = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyOtherRegions"
      Effect    = "Deny"
      NotAction = local.global_actions
      Resource  = "*"
      Condition = { StringNotEquals = { "aws:RequestedRegion" = [each.value.region] } }
    }]
  })

  tags = { Environment = each.key }
}

resource "aws_organizations_policy_attachment" "region_lock" {
  for_each = local.environments

  policy_id = aws_organizations_policy.region_lock[each.key].id
  target_id = aws_organizations_account.this[each.key].id
}
