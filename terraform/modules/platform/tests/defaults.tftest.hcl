# Plans the wiring against a mocked AWS provider and checks that it keeps the modules' promises.

# Every module's data sources see the same region, account and partition.
mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { id = "eu-central-1" }
  }

  mock_data "aws_caller_identity" {
    defaults = { account_id = "111111111111" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_ssm_parameter" {
    defaults = { value = "ami-00000000000000000" }
  }
}

# The node role's ARN is known at plan, so the repository policy can be asserted.
override_resource {
  target          = module.eks.aws_iam_role.node
  override_during = plan
  values          = { arn = "arn:aws:iam::111111111111:role/infra-test-node", name = "infra-test-node" }
}

override_resource {
  target          = module.networking.aws_iam_policy.session_logging
  override_during = plan
  values          = { arn = "arn:aws:iam::111111111111:policy/infra-test-session-logging" }
}

override_resource {
  target          = module.networking.aws_iam_role.deploy_access
  override_during = plan
  values          = { arn = "arn:aws:iam::111111111111:role/infra-test-deploy-access" }
}

variables {
  name               = "infra-test"
  region             = "eu-central-1"
  account_id         = "111111111111"
  vpc_cidr           = "10.10.0.0/16"
  nat_mode           = "single"
  kubernetes_version = "1.33"

  node_groups = {
    general = {
      instance_types = ["m7i.large"]
      min_size       = 1
      max_size       = 3
      desired_size   = 2
    }
  }

  kms_key_administrator_role_names = ["infra-deploy"]
  cluster_admin_role_names         = ["infra-platform-admin"]

  ecr_repositories = {
    "platform/api"    = { keep_images = 200 }
    "platform/worker" = {}
  }
}

run "wiring" {
  command = plan

  assert {
    condition     = module.eks.cluster_endpoint_public_access == false
    error_message = "The cluster's Kubernetes API must be private."
  }

  assert {
    condition     = module.eks.cluster_name == "infra-test" && module.eks.log_group_name == "/aws/eks/infra-test/cluster"
    error_message = "The cluster must be named after the environment."
  }

  assert {
    condition     = module.ecr.repository_image_tag_mutability == { "platform/api" = "IMMUTABLE", "platform/worker" = "IMMUTABLE" }
    error_message = "Every repository passed in must exist, with immutable tags."
  }

  assert {
    condition     = local.azs == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    error_message = "Zone letters must become zones of the environment's region."
  }

  assert {
    condition     = local.kms_key_administrators == ["arn:aws:iam::111111111111:role/infra-deploy"]
    error_message = "Key administrators must be role ARNs in the environment's own account."
  }

  assert {
    condition     = module.eks.access_policy_arns == { "infra-platform-admin" = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" }
    error_message = "infra-platform-admin must be the cluster's administrator (AmazonEKSClusterAdminPolicy over the whole cluster), nothing weaker."
  }

  assert {
    condition     = local.break_glass_role_arns == ["arn:aws:iam::111111111111:role/infra-break-glass"] && local.image_push_role_arn == "arn:aws:iam::111111111111:role/infra-image-push"
    error_message = "The break-glass and image-push roles must be the bootstrap stack's, in the environment's own account."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.cluster_api_from_deploy_access.from_port == 443 && aws_vpc_security_group_ingress_rule.cluster_api_from_deploy_access.to_port == 443 && aws_vpc_security_group_ingress_rule.cluster_api_from_deploy_access.cidr_ipv4 == null
    error_message = "Only the deploy-access instance's security group may reach the cluster API, on 443."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.node_sessions.role == "infra-test-node" && aws_iam_role_policy_attachment.node_sessions.policy_arn == "arn:aws:iam::111111111111:policy/infra-test-session-logging"
    error_message = "The nodes' role must carry the session-logging policy, so sessions on nodes are encrypted and logged like those on the deploy-access instance."
  }

  assert {
    condition     = [for st in jsondecode(module.networking.session_kms_key_policy).Statement : st.Principal.AWS if st.Sid == "InstancesDecryptSessions" || st.Sid == "UsersEncryptSessions"] == [["arn:aws:iam::111111111111:role/infra-test-deploy-access", "arn:aws:iam::111111111111:role/infra-test-node"], ["arn:aws:iam::111111111111:role/infra-platform-admin", "arn:aws:iam::111111111111:role/infra-break-glass"]]
    error_message = "The nodes (besides the deploy-access instance) must decrypt sessions, and the cluster admins and break glass start them."
  }

  assert {
    condition     = module.networking.vpc_cidr == "10.10.0.0/16" && length(module.networking.nat_public_ips) == 1
    error_message = "The VPC must take the CIDR and NAT mode passed in."
  }
}

run "per_az_nat" {
  command = plan

  variables {
    nat_mode = "per_az"
  }

  assert {
    condition     = length(module.networking.nat_public_ips) == 3
    error_message = "nat_mode = \"per_az\" must reach the networking module."
  }
}

run "rejects_key_administrators_without_the_deploy_role" {
  command = plan

  variables {
    kms_key_administrator_role_names = ["infra-platform-admin"]
  }

  expect_failures = [var.kms_key_administrator_role_names]
}

run "rejects_role_arns_as_cluster_admin_names" {
  command = plan

  variables {
    cluster_admin_role_names = ["arn:aws:iam::111111111111:role/infra-platform-admin"]
  }

  expect_failures = [var.cluster_admin_role_names]
}

run "rejects_zone_names_as_letters" {
  command = plan

  variables {
    az_letters = ["eu-central-1a", "eu-central-1b"]
  }

  expect_failures = [var.az_letters]
}
