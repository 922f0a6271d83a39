output "environment" {
  description = "The facts of this environment, as environment.tf states them."
  value = {
    name          = local.environment
    region        = local.region
    account_id    = local.account_id
    promoted_from = local.promoted_from
  }
}

output "vpc_id" {
  description = "ID of the environment's VPC."
  value       = module.networking.vpc_id
}

output "cluster_name" {
  description = "Name of the environment's EKS cluster."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Private endpoint of the Kubernetes API."
  value       = module.eks.cluster_endpoint
}

output "ecr_repository_urls" {
  description = "ECR repository URLs, by name."
  value       = module.ecr.repository_urls
}
