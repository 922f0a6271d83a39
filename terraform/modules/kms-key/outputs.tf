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
  description = "The key policy, as JSON: `KeyAdministrators`, `BreakGlassKeyAdministrators` and `AdministratorsGrantOnlyToAWSServices` first, then the statements passed in, then `VolumeLaunchersUseTheKey` and `VolumeLaunchersGrantOnlyToAWSServices` when volume_launchers are named, then `CloudWatchLogsForThisLogGroup` when log_group_arn is set."
  value       = aws_kms_key.this.policy
}

output "key_spec" {
  description = "The key's spec, e.g. `SYMMETRIC_DEFAULT` or `ECC_NIST_P256`."
  value       = aws_kms_key.this.customer_master_key_spec
}

output "key_usage" {
  description = "The key's usage: `ENCRYPT_DECRYPT` or `SIGN_VERIFY`."
  value       = aws_kms_key.this.key_usage
}

output "alias_arn" {
  description = "ARN of the alias, or null when the key has none; known once the alias exists, so a data source reading the key by it waits for it."
  value       = try(aws_kms_alias.this[0].arn, null)
}
