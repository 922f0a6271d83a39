output "backend" {
  description = "The values envs/<env>/backend.tf must hold: bucket, region and kms_key_id."
  value       = module.baseline.backend
}

output "roles" {
  description = "ARNs of the roles of the credential chain: deploy (infra assumes it), platform_admin, break_glass, image_push."
  value = {
    deploy         = module.roles.deploy_role_arn
    platform_admin = module.roles.platform_admin_role_arn
    break_glass    = module.roles.break_glass_role_arn
    image_push     = module.roles.image_push_role_arn
  }
}

output "ledger_public_key_pem" {
  description = "Public key of this environment's ledger signing key (alias/infra-ledger): commit it as terraform/envs/<env>/ledger-key.pem (README \"First-time setup\")."
  value       = module.roles.ledger_public_key_pem
}
