# Plans the module with its defaults against a mocked AWS provider and checks the promises.

mock_provider "aws" {
  override_data {
    target = data.aws_region.current
    values = { id = "eu-central-1" }
  }

  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "111111111111" }
  }

  override_data {
    target = data.aws_partition.current
    values = { partition = "aws" }
  }

  # Known during plan, so the log group's key can be asserted.
  override_resource {
    target          = module.flow_logs_key.aws_kms_key.this
    override_during = plan
    values          = { arn = "arn:aws:kms:eu-central-1:111111111111:key/00000000-0000-0000-0000-000000000000" }
  }

  # Known during plan, so the routes can be asserted to go through NAT, not the internet gateway.
  override_resource {
    target          = aws_nat_gateway.this
    override_during = plan
    values          = { id = "nat-00000000000000000" }
  }

  override_resource {
    target          = aws_internet_gateway.this
    override_during = plan
    values          = { id = "igw-00000000000000000" }
  }

  override_resource {
    target          = module.deploy_access_volume_key.aws_kms_key.this
    override_during = plan
    values          = { arn = "arn:aws:kms:eu-central-1:111111111111:key/22222222-2222-2222-2222-222222222222" }
  }

  override_resource {
    target          = module.session_key.aws_kms_key.this
    override_during = plan
    values          = { arn = "arn:aws:kms:eu-central-1:111111111111:key/33333333-3333-3333-3333-333333333333", key_id = "33333333-3333-3333-3333-333333333333" }
  }

  override_resource {
    target          = aws_iam_role.deploy_access
    override_during = plan
    values          = { arn = "arn:aws:iam::111111111111:role/infra-test-deploy-access", name = "infra-test-deploy-access" }
  }

  override_resource {
    target          = aws_cloudwatch_log_group.sessions
    override_during = plan
    values          = { arn = "arn:aws:logs:eu-central-1:111111111111:log-group:/aws/ssm/infra-test/sessions" }
  }

  override_resource {
    target          = aws_vpc.this
    override_during = plan
    values          = { id = "vpc-00000000000000000" }
  }

  override_resource {
    target          = aws_route53_resolver_firewall_domain_list.allowed
    override_during = plan
    values          = { id = "rslvr-fdl-allowed" }
  }

  override_resource {
    target          = aws_route53_resolver_firewall_domain_list.everything
    override_during = plan
    values          = { id = "rslvr-fdl-everything" }
  }

  override_resource {
    target          = aws_route53_resolver_firewall_rule_group.egress
    override_during = plan
    values          = { id = "rslvr-frg-egress" }
  }

  override_resource {
    target          = aws_security_group.deploy_access
    override_during = plan
    values          = { id = "sg-0deployaccess00000" }
  }

  mock_data "aws_ssm_parameter" {
    defaults = { value = "ami-00000000000000000" }
  }
}

variables {
  permissions_boundary_arn = "arn:aws:iam::111111111111:policy/infra-deploy-boundary"
  name                     = "infra-test"
  cidr                     = "10.10.0.0/16"
  azs                      = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
  kms_key_administrators   = ["arn:aws:iam::111111111111:role/infra-deploy"]

  kms_break_glass_administrators = ["arn:aws:iam::111111111111:role/infra-break-glass"]

  session_instance_role_arns = ["arn:aws:iam::111111111111:role/infra-test-node"]
  session_user_arns          = ["arn:aws:iam::111111111111:role/infra-platform-admin"]
}

run "secure_defaults" {
  command = plan

  assert {
    condition     = aws_iam_role.flow_logs.permissions_boundary == "arn:aws:iam::111111111111:policy/infra-deploy-boundary" && aws_iam_role.deploy_access.permissions_boundary == "arn:aws:iam::111111111111:policy/infra-deploy-boundary"
    error_message = "Every role the module creates must carry the permissions boundary passed in (infra-deploy may create no role without it)."
  }

  assert {
    condition     = aws_vpc.this.enable_dns_support && aws_vpc.this.enable_dns_hostnames
    error_message = "The VPC must have DNS support and DNS hostnames (private endpoints rely on them)."
  }

  assert {
    condition     = alltrue([for s in concat(values(aws_subnet.private), values(aws_subnet.intra), values(aws_subnet.public)) : s.map_public_ip_on_launch == false])
    error_message = "No subnet may give instances a public IP on launch."
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1
    error_message = "nat_mode defaults to a single NAT gateway."
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["ec2", "ecr.api", "ecr.dkr", "sts", "logs", "elasticloadbalancing", "eks-auth", "eks", "autoscaling", "ssm", "ssmmessages", "ec2messages", "kms"])
    error_message = "Every AWS service the cluster and the deploy-access instance use must have its interface endpoint: ec2, ecr.api, ecr.dkr, sts, logs, elasticloadbalancing, eks-auth, eks, autoscaling, ssm, ssmmessages, ec2messages and kms."
  }

  assert {
    condition     = alltrue([for e in values(aws_vpc_endpoint.interface) : e.private_dns_enabled && e.vpc_endpoint_type == "Interface" && startswith(e.service_name, "com.amazonaws.eu-central-1.")])
    error_message = "Interface endpoints must be region-local, with private DNS."
  }

  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.s3.service_name == "com.amazonaws.eu-central-1.s3"
    error_message = "S3 must be reachable through a gateway endpoint of the region."
  }

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL" && aws_flow_log.this.log_destination_type == "cloud-watch-logs"
    error_message = "Flow logs must record ALL traffic to CloudWatch Logs."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.retention_in_days >= 365
    error_message = "Flow logs must be kept at least 365 days."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.kms_key_id == module.flow_logs_key.arn
    error_message = "The flow-log group must be encrypted with the module's own KMS key."
  }

  assert {
    condition     = jsondecode(module.flow_logs_key.policy).Statement[0].Principal.AWS == ["arn:aws:iam::111111111111:role/infra-deploy"]
    error_message = "The flow-log key's administrators must be exactly those passed in."
  }

  assert {
    condition     = [for st in jsondecode(module.flow_logs_key.policy).Statement : st.Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"] if st.Sid == "CloudWatchLogsForThisLogGroup"] == ["arn:aws:logs:eu-central-1:111111111111:log-group:/aws/vpc/infra-test/flow-logs"]
    error_message = "CloudWatch Logs may use the flow-log key only for the flow-log group."
  }
}

run "closed_network" {
  command = plan

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "The default security group must have no ingress and no egress rule."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints_https.cidr_ipv4 == "10.10.0.0/16" && aws_vpc_security_group_ingress_rule.endpoints_https.from_port == 443 && aws_vpc_security_group_ingress_rule.endpoints_https.to_port == 443
    error_message = "The endpoint security group must admit HTTPS from the VPC's own CIDR only, never 0.0.0.0/0."
  }

  assert {
    condition     = alltrue([for r in values(aws_route.private_nat) : r.nat_gateway_id == "nat-00000000000000000" && r.gateway_id == null])
    error_message = "Private subnets must reach the internet only through NAT, never through the internet gateway."
  }

  assert {
    condition     = aws_route.public_internet.gateway_id == "igw-00000000000000000"
    error_message = "The public route table (NAT gateways only) reaches the internet gateway."
  }

  assert {
    condition = alltrue([for e in values(aws_vpc_endpoint.interface) : jsondecode(e.policy).Statement == [
      { Sid = "OnlyThisAccountsPrincipals", Effect = "Allow", Principal = "*", Action = "*", Resource = "*", Condition = { StringEquals = { "aws:PrincipalAccount" = "111111111111" } } },
      { Sid = "UnsignedWebIdentityForThisAccountsRoles", Effect = "Allow", Principal = "*", Action = "sts:AssumeRoleWithWebIdentity", Resource = "arn:aws:iam::111111111111:role/*" },
    ]])
    error_message = "Every interface endpoint must serve principals of this account only (and the unsigned web-identity call workload identity makes, for this account's roles only)."
  }

  assert {
    condition = jsondecode(aws_vpc_endpoint.s3.policy).Statement == [
      { Sid = "ThisAccountsBuckets", Effect = "Allow", Principal = "*", Action = "s3:*", Resource = "*", Condition = { StringEquals = { "aws:ResourceAccount" = "111111111111", "aws:PrincipalAccount" = "111111111111" } } },
      { Sid = "EcrImageLayers", Effect = "Allow", Principal = "*", Action = "s3:GetObject", Resource = "arn:aws:s3:::prod-eu-central-1-starport-layer-bucket/*" },
      {
        Sid = "AwsOwnedPackageRepositories", Effect = "Allow", Principal = "*", Action = "s3:GetObject",
        Resource = [
          "arn:aws:s3:::al2023-repos-eu-central-1-de612dc2/*", "arn:aws:s3:::amazonlinux-2-repos-eu-central-1/*",
          "arn:aws:s3:::amazon-ssm-eu-central-1/*", "arn:aws:s3:::aws-ssm-eu-central-1/*", "arn:aws:s3:::amazon-eks-eu-central-1/*",
        ]
      },
    ]
    error_message = "The S3 gateway endpoint must reach only this account's buckets, the region's ECR layer bucket and the AWS-owned package repositories, read-only."
  }

  assert {
    condition     = aws_instance.deploy_access.associate_public_ip_address == false && aws_instance.deploy_access.vpc_security_group_ids == toset(["sg-0deployaccess00000"]) && aws_instance.deploy_access.metadata_options[0].http_tokens == "required" && aws_instance.deploy_access.root_block_device[0].encrypted
    error_message = "The deploy-access instance must have no public IP, IMDSv2 and an encrypted disk."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.deploy_access_ssm.policy_arn == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" && aws_vpc_security_group_egress_rule.deploy_access_https.cidr_ipv4 == "10.10.0.0/16"
    error_message = "The deploy-access instance must be managed by SSM and talk HTTPS only inside the VPC."
  }
}

run "keys_we_control" {
  command = plan

  assert {
    condition     = aws_instance.deploy_access.root_block_device[0].kms_key_id == "arn:aws:kms:eu-central-1:111111111111:key/22222222-2222-2222-2222-222222222222" && output.deploy_access_volume_kms_key_arn == module.deploy_access_volume_key.arn
    error_message = "The deploy-access instance's volume must be encrypted with the module's own customer-managed key, not the AWS-managed aws/ebs."
  }

  assert {
    condition = [for st in jsondecode(module.deploy_access_volume_key.policy).Statement : st if !contains(["KeyAdministrators", "BreakGlassKeyAdministrators", "AdministratorsGrantOnlyToAWSServices"], st.Sid)] == [{
      Sid       = "LaunchersUseTheKeyThroughEC2"
      Effect    = "Allow"
      Principal = { AWS = ["arn:aws:iam::111111111111:role/infra-deploy"] }
      Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
      Resource  = "*"
      Condition = { StringEquals = { "kms:ViaService" = "ec2.eu-central-1.amazonaws.com", "kms:CallerAccount" = "111111111111" } }
    }]
    error_message = "Besides its administrators' key management, the deploy-access volume key may be used only by the administrators who launch the instance, and only through EC2 of the region."
  }

  assert {
    condition     = aws_ssm_document.session_preferences.name == "SSM-SessionManagerRunShell" && aws_ssm_document.session_preferences.document_type == "Session" && jsondecode(aws_ssm_document.session_preferences.content).inputs.kmsKeyId == "33333333-3333-3333-3333-333333333333"
    error_message = "Session Manager sessions must be encrypted with the module's own session key (the account's SSM-SessionManagerRunShell preferences)."
  }

  assert {
    condition     = jsondecode(aws_ssm_document.session_preferences.content).inputs.cloudWatchLogGroupName == "/aws/ssm/infra-test/sessions" && jsondecode(aws_ssm_document.session_preferences.content).inputs.cloudWatchEncryptionEnabled == true && jsondecode(aws_ssm_document.session_preferences.content).inputs.cloudWatchStreamingEnabled == true
    error_message = "Session Manager must log every session to the session log group and refuse to log to an unencrypted one."
  }

  assert {
    condition     = aws_cloudwatch_log_group.sessions.kms_key_id == "arn:aws:kms:eu-central-1:111111111111:key/33333333-3333-3333-3333-333333333333" && aws_cloudwatch_log_group.sessions.retention_in_days >= 365
    error_message = "The session log group must be encrypted with the session key and kept at least 365 days."
  }

  assert {
    condition = [for st in jsondecode(module.session_key.policy).Statement : st if !contains(["KeyAdministrators", "BreakGlassKeyAdministrators", "AdministratorsGrantOnlyToAWSServices"], st.Sid)] == [
      { Sid = "InstancesDecryptSessions", Effect = "Allow", Principal = { AWS = ["arn:aws:iam::111111111111:role/infra-test-deploy-access", "arn:aws:iam::111111111111:role/infra-test-node"] }, Action = "kms:Decrypt", Resource = "*" },
      { Sid = "UsersEncryptSessions", Effect = "Allow", Principal = { AWS = ["arn:aws:iam::111111111111:role/infra-platform-admin"] }, Action = "kms:GenerateDataKey", Resource = "*" },
      {
        Sid       = "CloudWatchLogsForThisLogGroup", Effect = "Allow", Principal = { Service = "logs.eu-central-1.amazonaws.com" },
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"], Resource = "*",
        Condition = { ArnEquals = { "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:eu-central-1:111111111111:log-group:/aws/ssm/infra-test/sessions" } }
      },
    ]
    error_message = "Only the session instances may decrypt with the session key, only the session users create its data keys, and CloudWatch Logs uses it for the session log group only."
  }

  assert {
    condition = jsondecode(aws_iam_policy.session_logging.policy).Statement == [
      { Sid = "DecryptSessions", Effect = "Allow", Action = "kms:Decrypt", Resource = "arn:aws:kms:eu-central-1:111111111111:key/33333333-3333-3333-3333-333333333333" },
      { Sid = "WriteSessionLogs", Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource = ["arn:aws:logs:eu-central-1:111111111111:log-group:/aws/ssm/infra-test/sessions:*", "arn:aws:logs:eu-central-1:111111111111:log-group:/aws/ssm/infra-test/sessions"] },
      { Sid = "FindTheLogGroup", Effect = "Allow", Action = "logs:DescribeLogGroups", Resource = "*" },
    ] && aws_iam_role_policy_attachment.deploy_access_sessions.role == "infra-test-deploy-access"
    error_message = "The deploy-access instance's role must be able to decrypt sessions with the session key and write to the session log group, and nothing more."
  }
}

run "egress_only_through_reviewed_names" {
  command = plan

  variables {
    egress_allowed_domains = ["*.example.org."]
  }

  assert {
    condition     = aws_route53_resolver_firewall_domain_list.allowed.domains == toset(["*.eu-central-1.amazonaws.com.", "*.eu-central-1.eks.amazonaws.com.", "*.compute.internal.", "*.example.org."])
    error_message = "The DNS firewall must allow the region's AWS names, the VPC's hostnames and the reviewed domains passed in, nothing else."
  }

  assert {
    condition     = aws_route53_resolver_firewall_rule.allow.action == "ALLOW" && aws_route53_resolver_firewall_rule.allow.firewall_domain_list_id == "rslvr-fdl-allowed" && aws_route53_resolver_firewall_rule.block_everything_else.action == "BLOCK" && aws_route53_resolver_firewall_rule.block_everything_else.block_response == "NXDOMAIN" && aws_route53_resolver_firewall_domain_list.everything.domains == toset(["*"]) && aws_route53_resolver_firewall_rule.block_everything_else.firewall_domain_list_id == "rslvr-fdl-everything" && aws_route53_resolver_firewall_rule.allow.priority < aws_route53_resolver_firewall_rule.block_everything_else.priority
    error_message = "The DNS firewall must answer every name outside the allow list with NXDOMAIN (the allow rule first, then a block of everything)."
  }

  assert {
    condition     = aws_route53_resolver_firewall_rule.allow.firewall_rule_group_id == "rslvr-frg-egress" && aws_route53_resolver_firewall_rule.block_everything_else.firewall_rule_group_id == "rslvr-frg-egress" && aws_route53_resolver_firewall_rule_group_association.egress.firewall_rule_group_id == "rslvr-frg-egress" && aws_route53_resolver_firewall_rule_group_association.egress.vpc_id == "vpc-00000000000000000" && aws_route53_resolver_firewall_rule_group_association.egress.mutation_protection == "ENABLED"
    error_message = "The DNS firewall rule group must be associated with the VPC, protected from changes by other associations."
  }

  assert {
    condition     = aws_route53_resolver_firewall_config.this.resource_id == "vpc-00000000000000000" && aws_route53_resolver_firewall_config.this.firewall_fail_open == "DISABLED"
    error_message = "The DNS firewall must fail closed: when it is unavailable, no name resolves."
  }
}

run "rejects_allowing_a_whole_top_level_domain" {
  command = plan

  variables {
    egress_allowed_domains = ["*.com."]
  }

  expect_failures = [var.egress_allowed_domains]
}

run "per_az_nat" {
  command = plan

  variables {
    nat_mode = "per_az"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3
    error_message = "nat_mode = \"per_az\" must create one NAT gateway per AZ."
  }
}

run "rejects_unknown_nat_mode" {
  command = plan

  variables {
    nat_mode = "none"
  }

  expect_failures = [var.nat_mode]
}

run "rejects_short_flow_log_retention" {
  command = plan

  variables {
    flow_log_retention_days = 90
  }

  expect_failures = [var.flow_log_retention_days]
}

run "rejects_zones_of_another_region" {
  command = plan

  variables {
    azs = ["us-east-2a", "us-east-2b"]
  }

  expect_failures = [aws_vpc.this]
}
