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
  value       = module.state_key.arn
}

output "state_kms_key_alias" {
  description = "Alias of the state KMS key (the S3 backend's `kms_key_id`)."
  value       = module.state_key.alias_name
}

output "backend" {
  description = "What the S3 backend of the environment roots in this account and region must say: `bucket`, `region` and `kms_key_id`."
  value = {
    bucket     = aws_s3_bucket.state.bucket
    region     = data.aws_region.current.region
    kms_key_id = module.state_key.alias_name
  }
}
