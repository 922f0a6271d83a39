output "environment" {
  description = "The facts of the environment this stack bootstrapped."
  value = {
    name          = local.environment
    region        = local.region
    account_id    = local.account_id
    promoted_from = local.promoted_from
  }
}

output "backend" {
  description = "The values envs/<env>/backend.tf must hold."
  value = {
    bucket     = module.baseline.state_bucket_name
    region     = local.region
    kms_key_id = module.baseline.state_kms_key_alias
  }
}
