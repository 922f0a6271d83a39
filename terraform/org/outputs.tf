output "account_ids" {
  description = "Account id of each environment: copy each into terraform/envs/<env>/environment.tf (local.account_id) and the bucket name in backend.tf."
  value       = { for env, account in aws_organizations_account.this : env => account.id }
}

output "region_lock_policy_ids" {
  description = "ID of each environment's region-lock service control policy."
  value       = { for env, policy in aws_organizations_policy.region_lock : env => policy.id }
}

output "guardrails_policy_id" {
  description = "ID of the guard-rails service control policy attached to every environment account."
  value       = aws_organizations_policy.guardrails.id
}

output "log_archive_account_id" {
  description = "Account id of the log archive account: copy it into terraform/log-archive/log-archive.tf (local.log_archive_account_id)."
  value       = aws_organizations_account.log_archive.id
}
