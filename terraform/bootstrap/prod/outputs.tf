output "backend" {
  description = "The values envs/<env>/backend.tf must hold: bucket, region and kms_key_id."
  value       = module.baseline.backend
}
