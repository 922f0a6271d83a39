################################################################################
# VPC
################################################################################

output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

################################################################################
# Subnets
################################################################################

output "private_subnet_ids" {
  description = "IDs of the private subnets (worker nodes), in the order of `azs`."
  value       = [for az in var.azs : aws_subnet.private[az].id]
}

output "intra_subnet_ids" {
  description = "IDs of the intra subnets (control-plane interfaces and VPC endpoints; no route out of the VPC), in the order of `azs`."
  value       = [for az in var.azs : aws_subnet.intra[az].id]
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, which hold only the NAT gateways, in the order of `azs`."
  value       = [for az in var.azs : aws_subnet.public[az].id]
}

################################################################################
# Egress and endpoints
################################################################################

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways (what the internet sees for egress)."
  value       = [for eip in aws_eip.nat : eip.public_ip]
}

output "vpc_endpoint_ids" {
  description = "IDs of the VPC endpoints, by service name (`s3` is the gateway endpoint)."
  value       = merge({ for k, e in aws_vpc_endpoint.interface : k => e.id }, { s3 = aws_vpc_endpoint.s3.id })
}

################################################################################
# Flow logs
################################################################################

output "flow_log_group_name" {
  description = "Name of the KMS-encrypted CloudWatch log group receiving the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "flow_log_kms_key_arn" {
  description = "ARN of the KMS key encrypting the flow-log group."
  value       = module.flow_logs_key.arn
}

################################################################################
# Deploy access
################################################################################

output "deploy_access_security_group_id" {
  description = "ID of the deploy-access instance's security group (no inbound rules); the cluster's security group admits it on 443."
  value       = aws_security_group.deploy_access.id
}

output "deploy_access_volume_kms_key_arn" {
  description = "ARN of the customer-managed KMS key encrypting the deploy-access instance's volume."
  value       = module.deploy_access_volume_key.arn
}

output "deploy_access_instance_id" {
  description = "ID of the SSM-managed deploy-access instance: the `--target` of `aws ssm start-session`."
  value       = aws_instance.deploy_access.id
}

################################################################################
# Session Manager
################################################################################

output "session_document_name" {
  description = "Name of the account's Session Manager preferences document (`SSM-SessionManagerRunShell`)."
  value       = aws_ssm_document.session_preferences.name
}

output "session_kms_key_arn" {
  description = "ARN of the customer-managed KMS key encrypting Session Manager sessions and their log group."
  value       = module.session_key.arn
}

output "session_kms_key_policy" {
  description = "Policy of the session key, as JSON: who may decrypt sessions (the instances) and create their data keys (the people starting them)."
  value       = module.session_key.policy
}

output "session_log_group_name" {
  description = "Name of the KMS-encrypted CloudWatch log group receiving Session Manager transcripts."
  value       = aws_cloudwatch_log_group.sessions.name
}

output "session_logging_policy_arn" {
  description = "ARN of the IAM policy an SSM-managed instance's role needs to serve encrypted, logged sessions (attach it to the nodes' role)."
  value       = aws_iam_policy.session_logging.arn
}

################################################################################
# Egress
################################################################################

output "dns_firewall_rule_group_id" {
  description = "ID of the Route 53 Resolver DNS Firewall rule group (reviewed allow list, everything else NXDOMAIN) associated with the VPC."
  value       = aws_route53_resolver_firewall_rule_group.egress.id
}
