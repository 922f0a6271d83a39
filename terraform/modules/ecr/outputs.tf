output "repository_urls" {
  description = "Repository URLs (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`), by name."
  value       = { for name, r in aws_ecr_repository.this : name => r.repository_url }
}

output "repository_arns" {
  description = "Repository ARNs, by name."
  value       = { for name, r in aws_ecr_repository.this : name => r.arn }
}

output "repository_image_tag_mutability" {
  description = "Tag mutability of each repository, by name: always `IMMUTABLE`."
  value       = { for name, r in aws_ecr_repository.this : name => r.image_tag_mutability }
}

output "registry_id" {
  description = "ID of the registry (the AWS account id) whose scanning this module configures."
  value       = aws_ecr_registry_scanning_configuration.this.registry_id
}

output "kms_key_arn" {
  description = "ARN of the customer-managed KMS key encrypting every repository."
  value       = module.kms_key.arn
}
