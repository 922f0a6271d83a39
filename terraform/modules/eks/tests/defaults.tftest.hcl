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

  # Known during plan, so the key policy and the log group's key can be asserted.
  override_resource {
    target          = aws_iam_role.cluster
    override_during = plan
    values          = { arn = "arn:aws:iam::111111111111:role/infra-test-cluster" }
  }

  override_resource {
    target          = module.kms_key.aws_kms_key.this
    override_during = plan
    values          = { arn = "arn:aws:kms:eu-central-1:111111111111:key/00000000-0000-0000-0000-000000000000" }
  }

  override_resource {
    target          = module.ebs_key.aws_kms_key.this
    override_during = plan
    values          = { arn = "arn:aws:kms:eu-central-1:111111111111:key/11111111-1111-1111-1111-111111111111" }
  }

  override_resource {
    target          = aws_iam_role.vpc_cni
    override_during = plan
    values          = { arn = "arn:aws:iam::111111111111:role/infra-test-vpc-cni", name = "infra-test-vpc-cni" }
  }
}

variables {
  permissions_boundary_arn = "arn:aws:iam::111111111111:policy/infra-deploy-boundary"
  name                     = "infra-test"
  kubernetes_version       = "1.33"
  control_plane_subnet_ids = ["subnet-0a", "subnet-0b", "subnet-0c"]
  node_subnet_ids          = ["subnet-1a", "subnet-1b", "subnet-1c"]
  kms_key_administrators   = ["arn:aws:iam::111111111111:role/infra-deploy"]

  kms_break_glass_administrators = ["arn:aws:iam::111111111111:role/infra-break-glass"]

  access_entries = {
    admin = {
      principal_arn = "arn:aws:iam::111111111111:role/infra-platform-admin"
      policy        = "AmazonEKSClusterAdminPolicy"
    }
  }

  node_groups = {
    general = {
      instance_types = ["m7i.large"]
      min_size       = 1
      max_size       = 3
      desired_size   = 2
    }
  }
}

run "secure_defaults" {
  command = plan

  assert {
    condition     = aws_iam_role.cluster.permissions_boundary == "arn:aws:iam::111111111111:policy/infra-deploy-boundary" && aws_iam_role.node.permissions_boundary == "arn:aws:iam::111111111111:policy/infra-deploy-boundary" && aws_iam_role.vpc_cni.permissions_boundary == "arn:aws:iam::111111111111:policy/infra-deploy-boundary"
    error_message = "Every role the module creates must carry the permissions boundary passed in (infra-deploy may create no role without it)."
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_public_access == false && aws_eks_cluster.this.vpc_config[0].endpoint_private_access == true
    error_message = "The Kubernetes API must be private only."
  }

  assert {
    condition     = aws_eks_cluster.this.access_config[0].authentication_mode == "API" && aws_eks_cluster.this.access_config[0].bootstrap_cluster_creator_admin_permissions == false
    error_message = "Access must be by explicit access entries only; the creator gets no implicit admin."
  }

  assert {
    condition     = aws_eks_cluster.this.encryption_config[0].resources == toset(["secrets"])
    error_message = "Kubernetes secrets must be envelope-encrypted with the module's KMS key."
  }

  assert {
    condition     = aws_eks_cluster.this.encryption_config[0].provider[0].key_arn == module.kms_key.arn && aws_cloudwatch_log_group.this.kms_key_id == module.kms_key.arn
    error_message = "The cluster key must encrypt both the secrets and the control-plane log group."
  }

  assert {
    condition     = jsondecode(module.kms_key.policy).Statement[0].Principal.AWS == ["arn:aws:iam::111111111111:role/infra-deploy"]
    error_message = "The cluster key's administrators must be exactly those passed in, never the caller."
  }

  assert {
    condition     = [for s in jsondecode(module.kms_key.policy).Statement : s.Sid] == ["KeyAdministrators", "BreakGlassKeyAdministrators", "AdministratorsGrantOnlyToAWSServices", "ClusterRoleEncryptsSecrets", "CloudWatchLogsForThisLogGroup"] && jsondecode(module.kms_key.policy).Statement[3].Principal.AWS == "arn:aws:iam::111111111111:role/infra-test-cluster"
    error_message = "Besides its administrators, only the cluster role and CloudWatch Logs may use the cluster key."
  }

  assert {
    condition     = module.kms_key.alias_name == "alias/eks/infra-test"
    error_message = "The cluster key must carry the alias alias/eks/<name>."
  }

  assert {
    condition     = toset(aws_eks_cluster.this.enabled_cluster_log_types) == toset(["api", "audit", "authenticator", "controllerManager", "scheduler"])
    error_message = "All five control-plane log types must be enabled."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/eks/infra-test/cluster" && aws_cloudwatch_log_group.this.retention_in_days >= 365
    error_message = "Control-plane logs must go to the cluster's log group, kept at least 365 days."
  }

  assert {
    condition     = aws_launch_template.node["general"].metadata_options[0].http_tokens == "required" && aws_launch_template.node["general"].metadata_options[0].http_put_response_hop_limit == 1
    error_message = "Nodes must require IMDSv2 with a hop limit of 1."
  }

  assert {
    condition     = aws_launch_template.node["general"].block_device_mappings[0].ebs[0].encrypted == "true"
    error_message = "Node root volumes must be encrypted."
  }

  assert {
    condition     = length(aws_eks_node_group.this["general"].remote_access) == 0
    error_message = "Nodes must not accept SSH (no remote_access)."
  }

  assert {
    condition     = aws_eks_node_group.this["general"].subnet_ids == toset(["subnet-1a", "subnet-1b", "subnet-1c"])
    error_message = "Nodes must run in the private subnets passed in."
  }

  assert {
    condition     = aws_eks_access_policy_association.this["admin"].access_scope[0].type == "cluster"
    error_message = "An access entry without namespaces is scoped to the cluster."
  }
}

run "operations" {
  command = plan

  assert {
    condition     = aws_eks_addon.pod_identity_agent.addon_name == "eks-pod-identity-agent" && output.pod_identity_agent_addon == "eks-pod-identity-agent"
    error_message = "The EKS Pod Identity agent must be installed, so pods can get AWS credentials without the node's role."
  }

  assert {
    condition     = aws_eks_cluster.this.upgrade_policy[0].support_type == "STANDARD"
    error_message = "The cluster's upgrade policy must be explicit: STANDARD support, no silent extended-support fees."
  }

  assert {
    condition     = try(aws_iam_role_policy_attachment.node["AmazonSSMManagedInstanceCore"].policy_arn, null) == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    error_message = "Nodes must carry the SSM policy: Session Manager is the only way onto a node."
  }

  assert {
    condition     = jsondecode(module.kms_key.policy).Statement[1].Principal.AWS == ["arn:aws:iam::111111111111:role/infra-break-glass"]
    error_message = "The break-glass role must administer the cluster key."
  }

  assert {
    condition     = output.access_policy_arns == { admin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" }
    error_message = "Each access entry must get exactly the access policy passed in."
  }
}

run "keys_we_control" {
  command = plan

  assert {
    condition     = aws_launch_template.node["general"].block_device_mappings[0].ebs[0].kms_key_id == "arn:aws:kms:eu-central-1:111111111111:key/11111111-1111-1111-1111-111111111111" && output.node_volume_kms_key_arn == module.ebs_key.arn
    error_message = "Node volumes must be encrypted with the module's own customer-managed node-volume key, not the AWS-managed aws/ebs."
  }

  assert {
    condition     = jsondecode(module.ebs_key.policy).Statement[0].Principal.AWS == ["arn:aws:iam::111111111111:role/infra-deploy"] && jsondecode(module.ebs_key.policy).Statement[1].Principal.AWS == ["arn:aws:iam::111111111111:role/infra-break-glass"] && module.ebs_key.alias_name == "alias/ebs/infra-test-nodes"
    error_message = "The node-volume key must be administered by exactly the administrators passed in, with break glass behind it, under alias/ebs/<name>-nodes."
  }

  assert {
    condition = [for st in jsondecode(module.ebs_key.policy).Statement : st if !contains(["KeyAdministrators", "BreakGlassKeyAdministrators", "AdministratorsGrantOnlyToAWSServices"], st.Sid)] == [
      {
        Sid       = "VolumeLaunchersUseTheKey"
        Effect    = "Allow"
        Principal = { AWS = ["arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"] }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
      },
      {
        Sid       = "VolumeLaunchersGrantOnlyToAWSServices"
        Effect    = "Allow"
        Principal = { AWS = ["arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"] }
        Action    = "kms:CreateGrant"
        Resource  = "*"
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
    ]
    error_message = "Besides its administrators, only the Auto Scaling service-linked role may use the node-volume key (it launches the nodes), and it may create grants only for AWS services."
  }

  assert {
    condition     = aws_iam_service_linked_role.autoscaling[0].aws_service_name == "autoscaling.amazonaws.com"
    error_message = "By default the module creates the Auto Scaling service-linked role the node-volume key names (KMS refuses a policy naming a missing principal)."
  }
}

run "cni_through_pod_identity" {
  command = plan

  assert {
    condition     = !contains(keys(aws_iam_role_policy_attachment.node), "AmazonEKS_CNI_Policy") && alltrue([for a in values(aws_iam_role_policy_attachment.node) : !endswith(a.policy_arn, "/AmazonEKS_CNI_Policy")])
    error_message = "The node role must not carry AmazonEKS_CNI_Policy: the VPC CNI gets it through Pod Identity, so other pods on the node cannot manage ENIs."
  }

  assert {
    condition     = aws_eks_pod_identity_association.vpc_cni.namespace == "kube-system" && aws_eks_pod_identity_association.vpc_cni.service_account == "aws-node" && aws_eks_pod_identity_association.vpc_cni.role_arn == "arn:aws:iam::111111111111:role/infra-test-vpc-cni" && aws_iam_role_policy_attachment.vpc_cni.policy_arn == "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy" && output.vpc_cni_role_arn == "arn:aws:iam::111111111111:role/infra-test-vpc-cni"
    error_message = "The VPC CNI (kube-system/aws-node) must get AmazonEKS_CNI_Policy through a Pod Identity association with its own role."
  }

  assert {
    condition = jsondecode(aws_iam_role.vpc_cni.assume_role_policy).Statement == [{
      Effect    = "Allow"
      Principal = { Service = "pods.eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
      Condition = {
        StringEquals = {
          "aws:SourceAccount"                         = "111111111111"
          "aws:RequestTag/eks-cluster-name"           = "infra-test"
          "aws:RequestTag/kubernetes-namespace"       = "kube-system"
          "aws:RequestTag/kubernetes-service-account" = "aws-node"
        }
      }
    }]
    error_message = "Only EKS Pod Identity, for this cluster's kube-system/aws-node, may assume the VPC CNI's role."
  }
}

run "existing_autoscaling_service_linked_role" {
  command = plan

  variables {
    create_autoscaling_service_linked_role = false
  }

  assert {
    condition     = length(aws_iam_service_linked_role.autoscaling) == 0 && jsondecode(module.ebs_key.policy).Statement[3].Principal.AWS == ["arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"]
    error_message = "Where the service-linked role exists, the module must not create it, and the node-volume key must still name it."
  }
}

run "rejects_short_log_retention" {
  command = plan

  variables {
    log_retention_days = 30
  }

  expect_failures = [var.log_retention_days]
}

run "rejects_unknown_access_policy" {
  command = plan

  variables {
    access_entries = {
      admin = {
        principal_arn = "arn:aws:iam::111111111111:role/infra-platform-admin"
        policy        = "AdministratorAccess"
      }
    }
  }

  expect_failures = [var.access_entries]
}

run "rejects_missing_key_administrators" {
  command = plan

  variables {
    kms_key_administrators = []
  }

  expect_failures = [var.kms_key_administrators]
}
