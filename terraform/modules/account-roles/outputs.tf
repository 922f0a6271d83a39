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
  value       = module.break_glass.arn
}

output "image_push_role_arn" {
  description = "ARN of `infra-image-push`, the role GitHub Actions pushes images as."
  value       = aws_iam_role.image_push.arn
}

output "github_oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC identity provider."
  value       = aws_iam_openid_connect_provider.github.arn
}

output "ledger_key_arn" {
  description = "ARN of the ledger signing key (ECC_NIST_P256, SIGN_VERIFY); infra signs with its alias, `alias/infra-ledger`."
  value       = module.ledger_key.arn
}

output "ledger_key_alias" {
  description = "Alias of the ledger signing key: `alias/infra-ledger`."
  value       = module.ledger_key.alias_name
}

output "ledger_public_key_pem" {
  description = "Public key of the ledger signing key (SubjectPublicKeyInfo, PEM): commit it as terraform/envs/<env>/ledger-key.pem."
  value       = data.aws_kms_public_key.ledger.public_key_pem
}

output "deploy_boundary_arn" {
  description = "ARN of `infra-deploy-boundary`, the permissions boundary of infra-deploy and of every role it creates (the eks and networking modules' roles carry it)."
  value       = aws_iam_policy.deploy_boundary.arn
}

output "plan_role_arn" {
  description = "ARN of `infra-plan`, the read-only role of pull-request plans (`infra plan --read-only`) and `infra drift`."
  value       = aws_iam_role.plan.arn
}
