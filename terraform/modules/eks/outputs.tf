################################################################################
# Cluster
################################################################################

output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "Private endpoint of the Kubernetes API (reachable only from inside the VPC)."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64-encoded CA certificate of the Kubernetes API."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "cluster_security_group_id" {
  description = "ID of the security group EKS created for the control plane and nodes."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "oidc_issuer_url" {
  description = "OIDC issuer URL of the cluster, for IAM roles for service accounts."
  value       = aws_eks_cluster.this.identity[0].oidc[0].issuer
}

output "access_policy_arns" {
  description = "EKS access policy ARN of each access entry, by the key passed in `access_entries`."
  value       = { for k, a in aws_eks_access_policy_association.this : k => a.policy_arn }
}

output "pod_identity_agent_addon" {
  description = "Name of the EKS Pod Identity agent add-on, through which pods get AWS credentials."
  value       = aws_eks_addon.pod_identity_agent.addon_name
}

################################################################################
# Encryption and logs
################################################################################

output "kms_key_arn" {
  description = "ARN of the customer-managed KMS key encrypting secrets and control-plane logs."
  value       = module.kms_key.arn
}

output "log_group_name" {
  description = "Name of the CloudWatch log group receiving all five control-plane log types."
  value       = aws_cloudwatch_log_group.this.name
}

################################################################################
# Nodes
################################################################################

output "node_role_arn" {
  description = "ARN of the IAM role the managed nodes run as."
  value       = aws_iam_role.node.arn
}

output "node_role_name" {
  description = "Name of the IAM role the managed nodes run as (to attach further policies, e.g. Session Manager logging)."
  value       = aws_iam_role.node.name
}

output "node_volume_kms_key_arn" {
  description = "ARN of the customer-managed KMS key encrypting the nodes' EBS volumes."
  value       = module.ebs_key.arn
}

output "vpc_cni_role_arn" {
  description = "ARN of the IAM role the VPC CNI (`kube-system/aws-node`) gets through EKS Pod Identity."
  value       = aws_iam_role.vpc_cni.arn
}

output "node_group_arns" {
  description = "ARNs of the managed node groups, by name."
  value       = { for k, g in aws_eks_node_group.this : k => g.arn }
}

################################################################################
# Promises
################################################################################

output "cluster_endpoint_public_access" {
  description = "Whether the Kubernetes API has a public endpoint: always false, the API is reachable only from inside the VPC."
  value       = aws_eks_cluster.this.vpc_config[0].endpoint_public_access
}
