output "cluster_name" {
  description = "Name of the environment's cluster."
  value       = terraform_data.cluster.output.name
}

output "repositories" {
  description = "Names of the image repositories."
  value       = sort(keys(terraform_data.registry))
}
