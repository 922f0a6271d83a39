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
    region     = local.region
    kms_key_id = module.state_key.alias_name
  }
}

output "audit_bucket_name" {
  description = "Name of the bucket receiving CloudTrail logs (prefix `cloudtrail/`) and AWS Config snapshots (prefix `config/`), encrypted with the audit key."
  value       = aws_s3_bucket.audit.id
}

output "access_log_bucket_name" {
  description = "Name of the bucket receiving the S3 server access logs of the state and audit buckets."
  value       = aws_s3_bucket.access_logs.id
}

output "cloudtrail_arn" {
  description = "ARN of the account's multi-region CloudTrail trail."
  value       = aws_cloudtrail.this.arn
}

output "guardduty_detector_id" {
  description = "ID of the GuardDuty detector (EKS audit logs and runtime monitoring enabled)."
  value       = aws_guardduty_detector.this.id
}

output "ebs_default_kms_key_arn" {
  description = "ARN of the account's default EBS key (`alias/infra-ebs-default`): volumes that name no key of their own are encrypted under it."
  value       = aws_ebs_default_kms_key.this.key_arn
}
