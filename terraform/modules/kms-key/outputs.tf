output "arn" {
  description = "ARN of the key."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "ID of the key."
  value       = aws_kms_key.this.key_id
}

output "alias_name" {
  description = "Alias of the key, or null when it has none."
  value       = try(aws_kms_alias.this[0].name, null)
}

output "policy" {
  description = "The key policy, as JSON: `KeyAdministrators`, `BreakGlassKeyAdministrators` and `AdministratorsGrantOnlyToAWSServices` first, then the statements passed in, then `CloudWatchLogsForThisLogGroup` when log_group_arn is set."
  value       = aws_kms_key.this.policy
}
