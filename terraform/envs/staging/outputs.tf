output "platform" {
  description = "The platform's outputs (terraform/modules/platform): vpc_id, cluster_name, cluster_endpoint, ecr_repository_urls."
  value       = module.platform
}
