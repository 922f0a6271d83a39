/**
 * The mock tests bite: each promise the modules, the org stack and the log archive make is
 * broken on a copy of the tree, and `terraform test` (with the real hashicorp/aws schema, from
 * the local mirror) must fail with the assertion that guards it. The breakages of one folder are
 * applied together and tested in one run (each assertion is evaluated, so each breakage shows its
 * own message); one run per folder keeps this affordable on two shared cores.
 *
 * Every `from` must occur exactly once in its file: when the code changes so that a breakage no
 * longer applies, this test says which one to rewrite instead of passing vacuously.
 */
import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { exec } from "../../src/process.js";
import { awsMirrorEnv, awsMirrorMissing } from "../aws-mirror.js";
import { REPO_ROOT, skipBecause, tempDir } from "../helpers.js";

interface Breakage {
  /** The promise broken, as the compliance page or the issue states it. */
  property: string;
  /** File relative to the folder under test. */
  file: string;
  from: string;
  to: string;
  /** The error_message of the assertion (or validation) that must catch it. */
  caughtBy: string;
}

/** Keyed by the folder under terraform/ whose `terraform test` must fail, `#label` to test a folder twice. */
const BREAKAGES: Record<string, Breakage[]> = {
  "modules/kms-key": [
    {
      property: "key administrators cannot create grants for themselves (kms:Create* includes kms:CreateGrant)",
      file: "main.tf",
      from: '"kms:CreateAlias", "kms:Describe*"',
      to: '"kms:Create*", "kms:Describe*"',
      caughtBy: "Key administrators must not hold kms:CreateGrant",
    },
    {
      property: "administrators create grants only with kms:GrantIsForAWSResource",
      file: "main.tf",
      from: '        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }\n      },\n    ], var.statements',
      to: '        Condition = { Bool = { "kms:GrantIsForAWSResource" = "false" } }\n      },\n    ], var.statements',
      caughtBy: "Administrators may create grants only for AWS services",
    },
    {
      property: "a break-glass administrator keeps every key manageable",
      file: "main.tf",
      from: "Principal = { AWS = var.break_glass_administrators }",
      to: "Principal = { AWS = var.administrators }",
      caughtBy: "The break-glass role must administer the key like the administrators do",
    },
    {
      property: "no key administrator but break glass may rewrite the key policy (kms:Put* is kms:PutKeyPolicy)",
      file: "main.tf",
      from: '"kms:List*", "kms:Update*",',
      to: '"kms:List*", "kms:Put*", "kms:Update*",',
      caughtBy: "Only the break-glass administrators may hold kms:PutKeyPolicy",
    },
    {
      property: "AWS refuses rotation of an asymmetric key: rotation follows the key spec",
      file: "main.tf",
      from: "enable_key_rotation      = local.symmetric",
      to: "enable_key_rotation      = true",
      caughtBy: "AWS does not rotate asymmetric keys",
    },
    {
      property: "volume launchers (Auto Scaling, for node and default EBS keys) create grants only for AWS resources",
      file: "main.tf",
      from: '      Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }\n    },\n  ] : statement',
      to: '      Condition = { Bool = { "kms:GrantIsForAWSResource" = "false" } }\n    },\n  ] : statement',
      caughtBy: "Volume launchers may use the key and create grants only for AWS resources",
    },
  ],
  "modules/account-baseline": [
    {
      property: "the state bucket denies requests without TLS (condition inverted)",
      file: "main.tf",
      from: 'Resource  = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]\n      Condition = { Bool = { "aws:SecureTransport" = "false" } }',
      to: 'Resource  = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]\n      Condition = { Bool = { "aws:SecureTransport" = "true" } }',
      caughtBy: "The state bucket must deny every request made without TLS",
    },
    {
      property: "state-bucket access is logged",
      file: "main.tf",
      from: 'target_bucket = aws_s3_bucket.access_logs.id\n  target_prefix = "s3/${var.state_bucket_name}/"',
      to: 'target_bucket = aws_s3_bucket.state.id\n  target_prefix = "s3/${var.state_bucket_name}/"',
      caughtBy: "Every request to the state bucket must be logged to the access-log bucket",
    },
    {
      property: "CloudTrail records every region",
      file: "main.tf",
      from: "is_multi_region_trail         = true",
      to: "is_multi_region_trail         = false",
      caughtBy: "CloudTrail must record every region and the global services",
    },
    {
      property: "CloudTrail log files are validated",
      file: "main.tf",
      from: "enable_log_file_validation    = true",
      to: "enable_log_file_validation    = false",
      caughtBy: "CloudTrail log file validation must be on",
    },
    {
      property: "GuardDuty watches EKS audit logs",
      file: "main.tf",
      from: 'name        = "EKS_AUDIT_LOGS"\n  status      = "ENABLED"',
      to: 'name        = "EKS_AUDIT_LOGS"\n  status      = "DISABLED"',
      caughtBy: "GuardDuty must be on, with EKS audit-log monitoring",
    },
    {
      property: "AWS Config records",
      file: "main.tf",
      from: "is_enabled = true",
      to: "is_enabled = false",
      caughtBy: "AWS Config must record every supported resource type",
    },
    {
      property: "IAM Access Analyzer watches the account",
      file: "main.tf",
      from: 'type          = "ACCOUNT"',
      to: 'type          = "ORGANIZATION"',
      caughtBy: "IAM Access Analyzer must watch the account",
    },
    {
      property: "volumes that name no key are under our key, not the AWS-managed aws/ebs",
      file: "main.tf",
      from: "key_arn = module.ebs_default_key.arn",
      to: 'key_arn = "arn:aws:kms:eu-central-1:111111111111:alias/aws/ebs"',
      caughtBy: "The account's default EBS key must be the module's own customer-managed key",
    },
    {
      property: "only the Auto Scaling service-linked role uses the default EBS key (the deploy role added)",
      file: "main.tf",
      from: "volume_launchers = [local.autoscaling_role_arn]",
      to: 'volume_launchers = [local.autoscaling_role_arn, "arn:aws:iam::111111111111:role/infra-deploy"]',
      caughtBy: "only the Auto Scaling service-linked role (it launches the nodes) may use the default EBS key",
    },
  ],
  "modules/networking": [
    {
      property: "the endpoint security group admits the VPC only (opened to 0.0.0.0/0)",
      file: "main.tf",
      from: 'description       = "HTTPS from the VPC"\n  cidr_ipv4         = var.cidr',
      to: 'description       = "HTTPS from the VPC"\n  cidr_ipv4         = "0.0.0.0/0"',
      caughtBy: "The endpoint security group must admit HTTPS from the VPC's own CIDR only",
    },
    {
      property: "the default security group has no rules (open ingress added)",
      file: "main.tf",
      from: "ingress = []",
      to: 'ingress = [{ description = "open", from_port = 0, to_port = 0, protocol = "-1", cidr_blocks = ["0.0.0.0/0"], ipv6_cidr_blocks = [], prefix_list_ids = [], security_groups = [], self = false }]',
      caughtBy: "The default security group must have no ingress and no egress rule",
    },
    {
      property: "private subnets reach the internet through NAT only (routed through the internet gateway)",
      file: "main.tf",
      from: 'nat_gateway_id         = aws_nat_gateway.this[var.nat_mode == "per_az" ? each.key : var.azs[0]].id',
      to: "gateway_id             = aws_internet_gateway.this.id",
      caughtBy: "Private subnets must reach the internet only through NAT",
    },
    {
      property: "interface endpoints serve this account's principals only",
      file: "main.tf",
      from: '        Condition = { StringEquals = { "aws:PrincipalAccount" = local.account_id } }\n      },\n      {\n        # Workload',
      to: '      },\n      {\n        # Workload',
      caughtBy: "Every interface endpoint must serve principals of this account only",
    },
    {
      property: "the S3 gateway reaches this account's buckets and the ECR layer bucket only",
      file: "main.tf",
      from: 'Resource  = "${local.ecr_layer_bucket_arn}/*"',
      to: 'Resource  = "*"',
      caughtBy: "The S3 gateway endpoint must reach only this account's buckets",
    },
    {
      property: "unsigned web-identity calls reach this account's roles only",
      file: "main.tf",
      from: 'Resource  = "arn:${local.partition}:iam::${local.account_id}:role/*"',
      to: 'Resource  = "*"',
      caughtBy: "and the unsigned web-identity call workload identity makes, for this account's roles only",
    },
    {
      property: "the in-network deploy path has no public IP",
      file: "main.tf",
      from: "associate_public_ip_address = false",
      to: "associate_public_ip_address = true",
      caughtBy: "The deploy-access instance must have no public IP",
    },
    {
      property: "the deploy-access disk is under our key, not the AWS-managed aws/ebs",
      file: "main.tf",
      from: "kms_key_id  = module.deploy_access_volume_key.arn",
      to: 'kms_key_id  = "arn:aws:kms:eu-central-1:111111111111:alias/aws/ebs"',
      caughtBy: "The deploy-access instance's volume must be encrypted with the module's own customer-managed key",
    },
    {
      property: "Session Manager sessions are encrypted with our key",
      file: "main.tf",
      from: "kmsKeyId                    = module.session_key.key_id",
      to: 'kmsKeyId                    = ""',
      caughtBy: "Session Manager sessions must be encrypted with the module's own session key",
    },
    {
      property: "session transcripts go only to an encrypted log group",
      file: "main.tf",
      from: "cloudWatchEncryptionEnabled = true",
      to: "cloudWatchEncryptionEnabled = false",
      caughtBy: "Session Manager must log every session to the session log group and refuse to log to an unencrypted one",
    },
    {
      property: "the nodes reach KMS inside the network (an endpoint dropped)",
      file: "main.tf",
      from: '"ec2messages", "kms"])',
      to: '"ec2messages"])',
      caughtBy: "Every AWS service the cluster and the deploy-access instance use must have its interface endpoint",
    },
    {
      property: "names outside the allow list get NXDOMAIN (block weakened to alert)",
      file: "main.tf",
      from: 'action                  = "BLOCK"',
      to: 'action                  = "ALERT"',
      caughtBy: "The DNS firewall must answer every name outside the allow list with NXDOMAIN",
    },
    {
      property: "the DNS allow list holds reviewed names only (everything added)",
      file: "main.tf",
      from: '"*.compute.internal.",',
      to: '"*.compute.internal.", "*",',
      caughtBy: "The DNS firewall must allow the region's AWS names, the VPC's hostnames and the reviewed domains passed in, nothing else",
    },
    {
      property: "the DNS firewall fails closed",
      file: "main.tf",
      from: 'firewall_fail_open = "DISABLED"',
      to: 'firewall_fail_open = "ENABLED"',
      caughtBy: "The DNS firewall must fail closed",
    },
  ],
  "modules/eks": [
    {
      property: "pods get AWS credentials through the Pod Identity agent",
      file: "main.tf",
      from: 'addon_name                  = "eks-pod-identity-agent"',
      to: 'addon_name                  = "vpc-cni"',
      caughtBy: "The EKS Pod Identity agent must be installed",
    },
    {
      property: "nodes carry the SSM policy",
      file: "main.tf",
      from: '"AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"]',
      to: '"AmazonEC2ContainerRegistryPullOnly"]',
      caughtBy: "Nodes must carry the SSM policy",
    },
    {
      property: "the upgrade policy is explicit",
      file: "main.tf",
      from: 'support_type = "STANDARD"',
      to: 'support_type = "EXTENDED"',
      caughtBy: "The cluster's upgrade policy must be explicit",
    },
    {
      property: "node volumes are under our key, not the AWS-managed aws/ebs",
      file: "main.tf",
      from: "kms_key_id            = module.ebs_key.arn",
      to: 'kms_key_id            = "arn:aws:kms:eu-central-1:111111111111:alias/aws/ebs"',
      caughtBy: "Node volumes must be encrypted with the module's own customer-managed node-volume key",
    },
    {
      property: "only the Auto Scaling service-linked role uses the node-volume key (another launcher added)",
      file: "main.tf",
      from: "volume_launchers           = [local.autoscaling_role_arn]",
      to: 'volume_launchers           = [local.autoscaling_role_arn, "arn:aws:iam::111111111111:role/infra-deploy"]',
      caughtBy: "Besides its administrators, only the Auto Scaling service-linked role may use the node-volume key",
    },
    {
      property: "the CNI policy is not on the node role (put back)",
      file: "main.tf",
      from: 'toset(["AmazonEKSWorkerNodePolicy", ',
      to: 'toset(["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", ',
      caughtBy: "The node role must not carry AmazonEKS_CNI_Policy",
    },
    {
      property: "only this cluster's kube-system/aws-node assumes the CNI role (another service account admitted)",
      file: "main.tf",
      from: '"aws:RequestTag/kubernetes-service-account" = "aws-node"',
      to: '"aws:RequestTag/kubernetes-service-account" = "default"',
      caughtBy: "Only EKS Pod Identity, for this cluster's kube-system/aws-node, may assume the VPC CNI's role",
    },
  ],
  "modules/networking#boundary": [
    {
      property: "the deploy-access instance's role carries the deploy boundary",
      file: "main.tf",
      from: 'name                 = "${var.name}-deploy-access"\n  permissions_boundary = var.permissions_boundary_arn\n',
      to: 'name = "${var.name}-deploy-access"\n',
      caughtBy: "Every role the module creates must carry the permissions boundary passed in",
    },
  ],
  // Apart from the others: an unknown argument makes the whole configuration invalid.
  "modules/eks#schema": [
    {
      property: "every argument exists in the real provider schema (deletion_protection arrives only in 6.x)",
      file: "main.tf",
      from: '    support_type = "STANDARD"\n  }\n',
      to: '    support_type = "STANDARD"\n  }\n\n  deletion_protection = true\n',
      caughtBy: 'An argument named "deletion_protection" is not expected here',
    },
  ],
  "modules/ecr": [
    {
      property: "repositories use our key, not the AWS-managed aws/ecr",
      file: "main.tf",
      from: "kms_key         = module.kms_key.arn",
      to: 'kms_key         = "arn:aws:kms:eu-central-1:111111111111:alias/aws/ecr"',
      caughtBy: "Repositories must be encrypted with the module's own customer-managed key",
    },
    {
      property: "only the CI role is allowed to push",
      file: "main.tf",
      from: 'Sid       = "PushFromCI"\n        Effect    = "Allow"\n        Principal = { AWS = var.push_principal_arns }',
      to: 'Sid       = "PushFromCI"\n        Effect    = "Allow"\n        Principal = "*"',
      caughtBy: "The repository policy must allow push only to the CI role and pull only to the nodes",
    },
    {
      property: "everyone else is denied push",
      file: "main.tf",
      from: 'ArnNotLike = { "aws:PrincipalArn" = var.push_principal_arns }',
      to: 'ArnNotLike = { "aws:PrincipalArn" = ["arn:aws:iam::*:role/*"] }',
      caughtBy: "Pushing must be denied to everyone but the CI role",
    },
    {
      property: "lifecycle rules never expire tagged images",
      file: "main.tf",
      from: 'tagStatus   = "untagged"',
      to: 'tagStatus   = "any"',
      caughtBy: "Lifecycle rules may expire untagged images only",
    },
  ],
  "modules/platform": [
    {
      property: "the platform admin is cluster admin (weakened to View)",
      file: "main.tf",
      from: 'policy        = "AmazonEKSClusterAdminPolicy"',
      to: 'policy        = "AmazonEKSViewPolicy"',
      caughtBy: "infra-platform-admin must be the cluster's administrator",
    },
    {
      property: "only the deploy-access instance reaches the cluster API",
      file: "main.tf",
      from: "referenced_security_group_id = module.networking.deploy_access_security_group_id",
      to: 'cidr_ipv4                    = "0.0.0.0/0"',
      caughtBy: "Only the deploy-access instance's security group may reach the cluster API",
    },
    {
      property: "sessions on nodes are logged (the nodes' role lacks the session-logging policy)",
      file: "main.tf",
      from: "policy_arn = module.networking.session_logging_policy_arn",
      to: 'policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"',
      caughtBy: "The nodes' role must carry the session-logging policy",
    },
    {
      property: "the nodes may decrypt sessions with the session key",
      file: "main.tf",
      from: "session_instance_role_arns = [module.eks.node_role_arn]",
      to: "session_instance_role_arns = []",
      caughtBy: "The nodes (besides the deploy-access instance) must decrypt sessions",
    },
  ],
  "modules/account-roles": [
    {
      property: "infra-deploy trusts only this repository's jobs in the environment's GitHub environment",
      file: "main.tf",
      from: '"repo:${var.github_repository}:environment:${var.environment}")',
      to: '"repo:${var.github_repository}:*")',
      caughtBy: "Only GitHub jobs of this repository in the GitHub environment named like the infra environment may assume infra-deploy",
    },
    {
      property: "only infra-deploy signs ledger entries (kms:Sign given to the key administrators)",
      file: "main.tf",
      from: '      Principal = { AWS = aws_iam_role.deploy.arn }\n      Action    = "kms:Sign"',
      to: '      Principal = { AWS = concat([aws_iam_role.deploy.arn], var.kms_key_administrators) }\n      Action    = "kms:Sign"',
      caughtBy: "Only infra-deploy may sign with the ledger key",
    },
    {
      property: "the ledger key is an ECC_NIST_P256 signing key",
      file: "main.tf",
      from: 'key_spec                   = "ECC_NIST_P256"',
      to: 'key_spec                   = "RSA_2048"',
      caughtBy: "The ledger key must be an ECC_NIST_P256 SIGN_VERIFY key under alias/infra-ledger",
    },
    {
      property: "the deploy role cannot change OrganizationAccountAccessRole (dropped from its boundary)",
      file: "main.tf",
      from: 'for name in ["OrganizationAccountAccessRole", "infra-deploy", "infra-break-glass",',
      to: 'for name in ["infra-deploy", "infra-break-glass",',
      caughtBy: "infra-deploy must not change OrganizationAccountAccessRole, the break-glass role or its own role",
    },
    {
      property: "the deploy role cannot stop the trail (StopLogging dropped from its boundary)",
      file: "main.tf",
      from: '"cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "cloudtrail:UpdateTrail",',
      to: '"cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail",',
      caughtBy: "infra-deploy must not stop or redirect the trail, GuardDuty, Config, Access Analyzer or flow logs",
    },
    {
      property: "roles the deploy role creates carry its boundary",
      file: "main.tf",
      from: 'Condition = { StringNotEquals = { "iam:PermissionsBoundary" = local.deploy_boundary_arn } }',
      to: 'Condition = { StringNotEquals = { "iam:PermissionsBoundary" = "*" } }',
      caughtBy: "Every role infra-deploy creates must carry its boundary",
    },
    {
      property: "the deploy role cannot reset the account's default EBS key to aws/ebs (dropped from its boundary)",
      file: "main.tf",
      from: '"ec2:ModifyEbsDefaultKmsKeyId", "ec2:ResetEbsDefaultKmsKeyId"]',
      to: '"ec2:ModifyEbsDefaultKmsKeyId"]',
      caughtBy: "infra-deploy must not turn off EBS encryption by default nor move the account's default EBS key off ours",
    },
    {
      property: "port forwarding reaches only the deploy-access instance (a tag-less instance, a node, admitted)",
      file: "main.tf",
      from: 'StringEquals = { "ssm:resourceTag/Role" = "deploy-access" }',
      to: 'StringEqualsIfExists = { "ssm:resourceTag/Role" = "deploy-access" }',
      caughtBy: "infra-platform-admin may port-forward only through the instance tagged Role = deploy-access",
    },
  ],
  // A validation that no longer fails is an error that stops the remaining runs: one folder run each.
  "modules/account-roles#protected": [
    {
      property: "a protected environment's deploy role trusts people (deployer principals allowed there)",
      file: "variables.tf",
      from: "condition     = !var.protected || length(var.deployer_principals) == 0",
      to: "condition     = length(var.deployer_principals) >= 0",
      caughtBy: "The checkable object, var.deployer_principals, was expected to report an error but did not",
    },
  ],
  "modules/break-glass-role": [
    {
      property: "the break-glass role needs MFA",
      file: "main.tf",
      from: 'Bool            = { "aws:MultiFactorAuthPresent" = "true" }',
      to: 'Bool            = { "aws:MultiFactorAuthPresent" = "false" }',
      caughtBy: "infra-break-glass must be assumable only by the listed IAM users, and only with MFA",
    },
  ],
  "modules/break-glass-role#users": [
    {
      property: "break glass needs MFA, so it trusts IAM users only (Identity Center roles carry no MFA)",
      file: "variables.tf",
      from: 'can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:user/[^*]+$", arn))',
      to: 'can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", arn))',
      caughtBy: "The checkable object, var.principals, was expected to report an error but did not",
    },
  ],
  "modules/networking#egress-domains": [
    {
      property: "a reviewed domain cannot open a whole top-level domain",
      file: "variables.tf",
      from: 'can(regex("^(',
      to: 'can(regex(".*|^(',
      caughtBy: "The checkable object, var.egress_allowed_domains, was expected to report an error but did not",
    },
  ],
  // The last run of org's test: a placeholder root e-mail (AWS would create an unrecoverable account).
  "org#email": [
    {
      property: "placeholder root e-mails are refused",
      file: "variables.tf",
      from: "example\\\\.(com|net|org)|example|invalid|test|localhost",
      to: "never-matches",
      caughtBy: "The checkable object, var.account_emails, was expected to report an error but did not",
    },
  ],
  org: [
    {
      property: "SCPs are enabled in the organization",
      file: "main.tf",
      from: 'enabled_policy_types = ["SERVICE_CONTROL_POLICY"]',
      to: "enabled_policy_types = []",
      caughtBy: "The organization must enable service control policies",
    },
    {
      property: "S3 replication is denied (aws:RequestedRegion does not see it)",
      file: "main.tf",
      from: 'Action   = ["ecr:PutReplicationConfiguration", "s3:PutReplicationConfiguration"]',
      to: 'Action   = ["ecr:PutReplicationConfiguration"]',
      caughtBy: "ECR and S3 replication must be denied to everyone",
    },
    {
      property: "disabling EBS default encryption is denied",
      file: "main.tf",
      from: 'Action    = ["ec2:DisableEbsEncryptionByDefault", ',
      to: 'Action    = ["ec2:GetEbsEncryptionByDefault", ',
      caughtBy: "Turning off EBS encryption by default must be denied",
    },
    {
      property: "resetting the default EBS key to aws/ebs is denied",
      file: "main.tf",
      from: '"ec2:ModifyEbsDefaultKmsKeyId", "ec2:ResetEbsDefaultKmsKeyId"]',
      to: '"ec2:ModifyEbsDefaultKmsKeyId"]',
      caughtBy: "Moving the account's default EBS key off ours (modifying it, or resetting it to aws/ebs) must be denied",
    },
    {
      property: "the Session Manager transcripts keep their retention (dropped from the retention guard rail)",
      file: "main.tf",
      from: ', "arn:aws:logs:*:*:log-group:/aws/ssm/*"]',
      to: "]",
      caughtBy: "The retention guard rail must cover every audit log group",
    },
    {
      property: "deleting flow logs is denied",
      file: "main.tf",
      from: 'Action    = ["ec2:DeleteFlowLogs", "logs:DeleteLogGroup", "logs:DeleteLogStream"]\n        Resource  = ["arn:aws:ec2:*:*:vpc-flow-log/*", "arn:aws:logs:*:*:log-group:/aws/vpc/*"]\n        Condition = { ArnNotLike',
      to: 'Action    = ["logs:DeleteLogStream"]\n        Resource  = ["arn:aws:ec2:*:*:vpc-flow-log/*", "arn:aws:logs:*:*:log-group:/aws/vpc/*"]\n        Condition = { ArnNotLike',
      caughtBy: "Deleting flow logs (or their log group) must be denied",
    },
    {
      property: "infra-deploy deletes only the flow logs terraform made (the tag condition dropped)",
      file: "main.tf",
      from: 'StringNotEquals = { "aws:ResourceTag/ManagedBy" = "terraform" }',
      to: 'StringNotEquals = { "aws:ResourceTag/ManagedBy" = "*" }',
      caughtBy: "infra-deploy may delete only the flow logs terraform made",
    },
    {
      property: "the deploy role cannot change OrganizationAccountAccessRole (the one principal the SCPs exempt)",
      file: "main.tf",
      from: '"arn:aws:iam::*:role/OrganizationAccountAccessRole", "arn:aws:iam::*:role/infra-deploy",\n',
      to: '"arn:aws:iam::*:role/infra-deploy",\n',
      caughtBy: "Nobody but the organization's role may change OrganizationAccountAccessRole",
    },
    {
      property: "the trail cannot be redirected (cloudtrail:UpdateTrail)",
      file: "main.tf",
      from: '"cloudtrail:UpdateTrail", ',
      to: "",
      caughtBy: "Redirecting the trail or reconfiguring Config's recorder and delivery channel must be denied too",
    },
    {
      property: "no access keys and no sharing out of the account",
      file: "main.tf",
      from: 'Action    = ["iam:CreateAccessKey", "iam:CreateUser", "iam:CreateLoginProfile"]',
      to: 'Action    = ["iam:CreateLoginProfile"]',
      caughtBy: "Access keys, RAM shares and VPC peering must be denied in the environment accounts",
    },
    {
      property: "leaving the organization is denied",
      file: "main.tf",
      from: 'Action   = ["organizations:LeaveOrganization"]',
      to: 'Action   = ["organizations:DescribeOrganization"]',
      caughtBy: "Leaving the organization must be denied to everyone in an environment account",
    },
    {
      property: "the audit trail cannot be stopped",
      file: "main.tf",
      from: '"cloudtrail:DeleteTrail", "cloudtrail:StopLogging", ',
      to: '"cloudtrail:DeleteTrail", ',
      caughtBy: "Stopping or deleting CloudTrail, GuardDuty, Config or Access Analyzer must be denied",
    },
    {
      property: "Security Hub is administered from the log archive account",
      file: "main.tf",
      from: "admin_account_id = aws_organizations_account.log_archive.id",
      to: 'admin_account_id = "000000000000"',
      caughtBy: "Security Hub must be administered from the log archive account",
    },
    {
      property: "the Config aggregator is delegated to the log archive account",
      file: "main.tf",
      from: 'service_principal = "config.amazonaws.com"',
      to: 'service_principal = "config-multiaccountsetup.amazonaws.com"',
      caughtBy: "AWS Config (the organization's aggregator) must be administered from the log archive account",
    },
    {
      property: "the log archive account has a root address of its own",
      file: "main.tf",
      from: "condition     = !contains(values(var.account_emails), var.log_archive_email)",
      to: 'condition     = var.log_archive_email != ""',
      caughtBy: "The checkable object, aws_organizations_account.log_archive, was expected to report an error but did not",
    },
  ],
  "log-archive": [
    {
      property: "the trail covers the whole organization",
      file: "trail.tf",
      from: "is_organization_trail         = true",
      to: "is_organization_trail         = false",
      caughtBy: "The trail must be the organization's",
    },
    {
      property: "log file validation is on",
      file: "trail.tf",
      from: "enable_log_file_validation    = true",
      to: "enable_log_file_validation    = false",
      caughtBy: "Log file validation (digest files) must be on",
    },
    {
      property: "log files are locked in compliance mode (governance mode can be bypassed)",
      file: "main.tf",
      from: 'mode = "COMPLIANCE"',
      to: 'mode = "GOVERNANCE"',
      caughtBy: "Every log file must be locked in compliance mode for the 365 days README states",
    },
    {
      property: "CloudTrail writes only for this organization (aws:SourceOrgID)",
      file: "main.tf",
      from: '"aws:SourceOrgID" = local.organization_id',
      to: '"aws:SourceAccount" = local.account_id',
      caughtBy: "CloudTrail may write only for this organization's trail",
    },
    {
      property: "nobody may delete log file versions",
      file: "main.tf",
      from: '"s3:DeleteObject", "s3:DeleteObjectVersion", ',
      to: '"s3:DeleteObject", ',
      caughtBy: "Deleting log files, their versions or the bucket must be denied to everyone",
    },
    {
      property: "the bucket refuses requests without TLS",
      file: "main.tf",
      from: 'Condition = { Bool = { "aws:SecureTransport" = "false" } }',
      to: 'Condition = { Bool = { "aws:SecureTransport" = "true" } }',
      caughtBy: "The bucket must refuse every request without TLS",
    },
    {
      property: "no principal may schedule the trail key's deletion",
      file: "main.tf",
      from: 'Action    = ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DeleteImportedKeyMaterial"]',
      to: 'Action    = ["kms:DeleteImportedKeyMaterial"]',
      caughtBy: "Nobody may schedule the deletion of the trail key or disable it",
    },
    {
      property: "the trail key's administrator of last resort needs MFA (the organization's role put back as break glass)",
      file: "main.tf",
      from: 'break_glass_administrators = ["arn:aws:iam::${local.log_archive_account_id}:role/${module.break_glass.name}"]',
      to: "break_glass_administrators = [local.log_archive_admin_role_arn]",
      caughtBy: "The trail key's break-glass administrator must be the log archive account's infra-break-glass",
    },
    {
      property: "Security Hub runs the CIS AWS Foundations standard",
      file: "main.tf",
      from: '"arn:aws:securityhub:${local.region}::standards/cis-aws-foundations-benchmark/v/1.4.0"',
      to: '"arn:aws:securityhub:${local.region}::standards/pci-dss/v/3.2.1"',
      caughtBy: "Security Hub must run the CIS AWS Foundations and AWS Foundational Security Best Practices standards",
    },
    {
      property: "the Config aggregator covers every region",
      file: "main.tf",
      from: "all_regions = true",
      to: "all_regions = false",
      caughtBy: "The Config aggregator must gather every region of every account of the organization",
    },
    {
      property: "console authentication failures are alarmed on",
      file: "trail.tf",
      from: '($.errorMessage = \\"Failed authentication\\")',
      to: '($.errorMessage = \\"ok\\")',
      caughtBy: "Each metric filter must match the events of its CIS monitoring item",
    },
    {
      property: "the alarm topic is encrypted with our key",
      file: "trail.tf",
      from: "kms_master_key_id = module.alarm_key.arn",
      to: 'kms_master_key_id = "alias/aws/sns"',
      caughtBy: "The alarm topic must be encrypted with our key",
    },
  ],
};

/** terraform wraps long diagnostics at the terminal width; compare text with whitespace folded. */
function folded(text: string): string {
  return text.replace(/[│╷╵]/g, " ").replace(/\s+/g, " ");
}

async function breakTree(root: string, dir: string, breakages: readonly Breakage[]): Promise<void> {
  for (const breakage of breakages) {
    const file = path.join(root, dir, breakage.file);
    const text = await readFile(file, "utf8");
    const found = text.split(breakage.from).length - 1;
    if (found !== 1) {
      throw new Error(`breakage "${breakage.property}" expects its text once in terraform/${dir}/${breakage.file}, found ${found}: rewrite it for the current code`);
    }
    await writeFile(file, text.replace(breakage.from, breakage.to));
  }
}

describe("terraform test catches each breakage of the promises", () => {
  it.for(Object.entries(BREAKAGES))("%s", { timeout: 600_000 }, async ([key, breakages], context) => {
    const dir = key.split("#")[0] ?? key;
    const missing = awsMirrorMissing();
    if (missing) skipBecause(context, missing);
    const root = path.join(await tempDir("breakages"), "terraform");
    await cp(path.join(REPO_ROOT, "terraform"), root, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (source) => !source.split(path.sep).some((part) => part === ".terraform" || part === ".infra"),
    });
    await breakTree(root, dir, breakages);

    const options = { cwd: path.join(root, dir), env: await awsMirrorEnv() };
    const init = await exec("terraform", ["init", "-backend=false", "-input=false", "-no-color"], options);
    expect(init.exitCode, init.stderr).toBe(0);
    const test = await exec("terraform", ["test", "-no-color"], options);
    const output = folded(`${test.stdout}\n${test.stderr}`);
    expect(test.exitCode, `terraform test passed in terraform/${dir} with every breakage applied:\n${test.stdout}`).toBe(1);
    const missed = breakages.filter((breakage) => !output.includes(folded(breakage.caughtBy)));
    expect(missed.map((breakage) => breakage.property), `terraform test output:\n${test.stdout}\n${test.stderr}`).toEqual([]);
    process.stderr.write(`terraform/${dir}: ${breakages.length} breakages, each caught by terraform test\n`);
  });
});
