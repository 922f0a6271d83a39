output "state_bucket_name" {
  description = "Name of the Terraform state bucket (the S3 backend's `bucket`)."
  value       = aws_s3_bucket.state.id
}

output "state_bucket_arn" {
  description = "ARN of the Terraform state bucket."
  value       = aws_s3_bucket.state.arn
}

output "state_kms_key_arn" {
  description = "ARN of the KMS key encrypting the state bucket."
  value       = aws_kms_key.state.arn
}

output "state_kms_key_alias" {
  description = "Alias of the state KMS key (the S3 backend's `kms_key_id`)."
  value       = aws_kms_alias.state.name
}
