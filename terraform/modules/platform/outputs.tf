output "vpc_id" {
  description = "ID of the environment's VPC."
  value       = module.networking.vpc_id
}

output "cluster_name" {
  description = "Name of the environment's EKS cluster."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Private endpoint of the Kubernetes API (reachable only from inside the VPC)."
  value       = module.eks.cluster_endpoint
}

output "ecr_repository_urls" {
  description = "ECR repository URLs, by name."
  value       = module.ecr.repository_urls
}

output "deploy_access_instance_id" {
  description = "ID of the SSM-managed instance through which the private Kubernetes API is reached (`aws ssm start-session --target`)."
  value       = module.networking.deploy_access_instance_id
}
