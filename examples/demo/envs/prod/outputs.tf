output "cluster_name" {
  description = "Name of the environment's cluster."
  value       = module.platform.cluster_name
}
