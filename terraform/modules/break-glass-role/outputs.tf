output "arn" {
  description = "ARN of `infra-break-glass`, to name in the account's key policies (`break_glass_administrators` of modules/kms-key)."
  value       = aws_iam_role.this.arn
}

output "name" {
  description = "Name of the role: `infra-break-glass`, which the guard rails of terraform/org and `infra-deploy-boundary` protect by that name."
  value       = aws_iam_role.this.name
}
