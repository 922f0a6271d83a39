output "deploy_role_arn" {
  description = "ARN of `infra-deploy`, the role infra assumes before plan and apply."
  value       = aws_iam_role.deploy.arn
}

output "platform_admin_role_arn" {
  description = "ARN of `infra-platform-admin`, the cluster administrators' role."
  value       = aws_iam_role.platform_admin.arn
}

output "break_glass_role_arn" {
  description = "ARN of `infra-break-glass`, the KMS key administrator of last resort."
  value       = aws_iam_role.break_glass.arn
}

output "image_push_role_arn" {
  description = "ARN of `infra-image-push`, the role GitHub Actions pushes images as."
  value       = aws_iam_role.image_push.arn
}

output "github_oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC identity provider."
  value       = aws_iam_openid_connect_provider.github.arn
}

output "plan_role_arn" {
  description = "ARN of `infra-plan`, the read-only role of pull-request plans (`infra plan --read-only`) and `infra drift`."
  value       = aws_iam_role.plan.arn
}
