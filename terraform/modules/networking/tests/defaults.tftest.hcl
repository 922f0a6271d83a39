# Plans the module with its defaults against a mocked AWS provider and checks the promises.

mock_provider "aws" {
  override_data {
    target = data.aws_region.current
    values = { region = "eu-central-1" }
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
}

variables {
  name                   = "infra-test"
  cidr                   = "10.10.0.0/16"
  azs                    = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
  kms_key_administrators = ["arn:aws:iam::111111111111:role/infra-deploy"]
}

run "secure_defaults" {
  command = plan

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
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["ec2", "ecr.api", "ecr.dkr", "sts", "logs", "elasticloadbalancing", "eks-auth"])
    error_message = "A private cluster needs exactly the ec2, ecr.api, ecr.dkr, sts, logs, elasticloadbalancing and eks-auth interface endpoints."
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
    condition     = jsondecode(module.flow_logs_key.policy).Statement[1].Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"] == "arn:aws:logs:eu-central-1:111111111111:log-group:/aws/vpc/infra-test/flow-logs"
    error_message = "CloudWatch Logs may use the flow-log key only for the flow-log group."
  }
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
