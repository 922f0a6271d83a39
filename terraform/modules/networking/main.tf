data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # `id` is the region's name in both the 5.x and 6.x providers (6.x deprecates `name`).
  region     = data.aws_region.current.id
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # Address plan (for a /16): private subnets take quarters 0-2 (/18 each, pods use VPC IPs),
  # quarter 3 holds intra subnets (/20 each) and, in its last sixteenth, public subnets (/22 each).
  last_quarter = cidrsubnet(var.cidr, 2, 3)
  subnets = {
    for i, az in var.azs : az => {
      private = cidrsubnet(var.cidr, 2, i)
      intra   = cidrsubnet(local.last_quarter, 2, i)
      public  = cidrsubnet(cidrsubnet(local.last_quarter, 2, 3), 2, i)
    }
  }
  nat_azs = var.nat_mode == "per_az" ? var.azs : [var.azs[0]]

  # Every AWS service the nodes, their add-ons and the deploy-access instance call, reached
  # inside the VPC: what a private EKS cluster needs (ec2, ecr.api, ecr.dkr, sts, logs,
  # elasticloadbalancing, eks-auth for Pod Identity, eks, autoscaling for a cluster
  # autoscaler), the three Session Manager needs, and kms (session encryption). S3 is the
  # gateway endpoint below. Any other AWS name is refused by the DNS firewall.
  interface_endpoints = toset(["ec2", "ecr.api", "ecr.dkr", "sts", "logs", "elasticloadbalancing", "eks-auth", "eks", "autoscaling", "ssm", "ssmmessages", "ec2messages", "kms"])

  # Every endpoint serves only principals of this account: a stolen credential of another
  # account cannot use the VPC's endpoints to reach its own resources (exfiltration).
  interface_endpoint_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "OnlyThisAccountsPrincipals"
        Effect    = "Allow"
        Principal = "*"
        Action    = "*"
        Resource  = "*"
        Condition = { StringEquals = { "aws:PrincipalAccount" = local.account_id } }
      },
      {
        # Workload identity exchanges a token for a role with an unsigned call, which carries no
        # aws:PrincipalAccount: allow it, for this account's roles only.
        Sid       = "UnsignedWebIdentityForThisAccountsRoles"
        Effect    = "Allow"
        Principal = "*"
        Action    = "sts:AssumeRoleWithWebIdentity"
        Resource  = "arn:${local.partition}:iam::${local.account_id}:role/*"
      },
    ]
  })

  # The S3 gateway reaches this account's buckets, the region's ECR layer bucket (image layers
  # are served from it) and the AWS-owned buckets nodes and the deploy-access instance install
  # from (Amazon Linux package repositories, the SSM agent), read-only, nothing else.
  ecr_layer_bucket_arn = "arn:${local.partition}:s3:::prod-${local.region}-starport-layer-bucket"
  aws_package_bucket_arns = [
    "arn:${local.partition}:s3:::al2023-repos-${local.region}-de612dc2/*",
    "arn:${local.partition}:s3:::amazonlinux-2-repos-${local.region}/*",
    "arn:${local.partition}:s3:::amazon-ssm-${local.region}/*",
    "arn:${local.partition}:s3:::aws-ssm-${local.region}/*",
    "arn:${local.partition}:s3:::amazon-eks-${local.region}/*",
  ]
  s3_endpoint_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ThisAccountsBuckets"
        Effect    = "Allow"
        Principal = "*"
        Action    = "s3:*"
        Resource  = "*"
        Condition = { StringEquals = { "aws:ResourceAccount" = local.account_id, "aws:PrincipalAccount" = local.account_id } }
      },
      {
        Sid       = "EcrImageLayers"
        Effect    = "Allow"
        Principal = "*"
        Action    = "s3:GetObject"
        Resource  = "${local.ecr_layer_bucket_arn}/*"
      },
      {
        Sid       = "AwsOwnedPackageRepositories"
        Effect    = "Allow"
        Principal = "*"
        Action    = "s3:GetObject"
        Resource  = local.aws_package_bucket_arns
      },
    ]
  })

  flow_log_group_name    = "/aws/vpc/${var.name}/flow-logs"
  session_log_group_name = "/aws/ssm/${var.name}/sessions"

  # What the DNS firewall answers: the region's AWS names (the endpoints' private DNS, S3
  # through its gateway, the private cluster API), the VPC's own hostnames, and whatever the
  # caller reviewed and added. Everything else gets NXDOMAIN.
  egress_allowed_domains = concat([
    "*.${local.region}.amazonaws.com.",
    "*.${local.region}.eks.amazonaws.com.",
    "*.compute.internal.",
  ], var.egress_allowed_domains)
}

################################################################################
# VPC
################################################################################

resource "aws_vpc" "this" {
  cidr_block           = var.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    precondition {
      condition     = alltrue([for az in var.azs : startswith(az, local.region)])
      error_message = "Every entry of azs must be a zone of the provider's region (${local.region}); this module never spans regions."
    }
  }
}

# Adopts the VPC's default security group and removes all its rules: nothing may use it.
# The empty lists are written out so a plan shows (and the tests check) that no rule exists.
resource "aws_default_security_group" "this" {
  vpc_id  = aws_vpc.this.id
  ingress = []
  egress  = []

  tags = merge(var.tags, { Name = "${var.name}-default-deny" })
}

################################################################################
# Subnets
################################################################################

resource "aws_subnet" "private" {
  for_each = local.subnets

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = each.value.private
  map_public_ip_on_launch = false

  tags = merge(var.tags, {
    Name                              = "${var.name}-private-${each.key}"
    Tier                              = "private"
    "kubernetes.io/role/internal-elb" = "1"
  })
}

resource "aws_subnet" "intra" {
  for_each = local.subnets

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = each.value.intra
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-intra-${each.key}", Tier = "intra" })
}

# Public subnets exist only to hold NAT gateways; nothing else is placed in them.
resource "aws_subnet" "public" {
  for_each = local.subnets

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = each.value.public
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-public-${each.key}", Tier = "public" })
}

################################################################################
# Internet egress (NAT)
################################################################################

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_eip" "nat" {
  for_each = toset(local.nat_azs)

  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name}-nat-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  for_each = toset(local.nat_azs)

  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.public[each.key].id

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

################################################################################
# Routing
################################################################################

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = aws_subnet.public

  subnet_id      = each.value.id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  for_each = local.subnets

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-private-${each.key}" })
}

resource "aws_route" "private_nat" {
  for_each = local.subnets

  route_table_id         = aws_route_table.private[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.nat_mode == "per_az" ? each.key : var.azs[0]].id
}

resource "aws_route_table_association" "private" {
  for_each = aws_subnet.private

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private[each.key].id
}

# Intra subnets have no route out of the VPC.
resource "aws_route_table" "intra" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-intra" })
}

resource "aws_route_table_association" "intra" {
  for_each = aws_subnet.intra

  subnet_id      = each.value.id
  route_table_id = aws_route_table.intra.id
}

################################################################################
# VPC endpoints
################################################################################

resource "aws_security_group" "endpoints" {
  name        = "${var.name}-vpc-endpoints"
  description = "HTTPS from inside the VPC to the interface endpoints"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-vpc-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  security_group_id = aws_security_group.endpoints.id
  description       = "HTTPS from the VPC"
  cidr_ipv4         = var.cidr
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# Endpoint interfaces sit in the intra subnets so the private subnets keep their addresses for pods.
resource "aws_vpc_endpoint" "interface" {
  for_each = local.interface_endpoints

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = [for s in aws_subnet.intra : s.id]
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true
  policy              = local.interface_endpoint_policy

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = concat([for rt in aws_route_table.private : rt.id], [aws_route_table.intra.id])
  policy            = local.s3_endpoint_policy

  tags = merge(var.tags, { Name = "${var.name}-s3" })
}

################################################################################
# Flow logs
################################################################################

# Rotated, managed only by the named administrators; only CloudWatch Logs may use it, for this
# one log group.
module "flow_logs_key" {
  source = "../kms-key"

  description                = "Encrypts the VPC flow logs of ${var.name}"
  administrators             = var.kms_key_administrators
  break_glass_administrators = var.kms_break_glass_administrators
  log_group_arn              = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.flow_log_group_name}"

  tags = merge(var.tags, { Name = "${var.name}-flow-logs" })
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = local.flow_log_group_name
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = module.flow_logs_key.arn

  tags = var.tags
}

resource "aws_iam_role" "flow_logs" {
  name                 = "${var.name}-flow-logs"
  permissions_boundary = var.permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "flow_logs" {
  name = "write-flow-logs"
  role = aws_iam_role.flow_logs.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"]
      Resource = ["${aws_cloudwatch_log_group.flow_logs.arn}:*", aws_cloudwatch_log_group.flow_logs.arn]
    }]
  })
}

resource "aws_flow_log" "this" {
  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn             = aws_iam_role.flow_logs.arn
  max_aggregation_interval = 60

  tags = merge(var.tags, { Name = var.name })
}

################################################################################
# Deploy access: the in-network path to the private Kubernetes API
################################################################################

# One small instance in a private subnet, managed by SSM Session Manager: no inbound rule, no
# SSH key, no public IP. Platform admins reach the private API with an SSM port-forwarding
# session through it (README "Reaching a private cluster"); the platform module lets its
# security group reach the cluster on 443.
data "aws_ssm_parameter" "deploy_access_ami" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

resource "aws_security_group" "deploy_access" {
  name        = "${var.name}-deploy-access"
  description = "SSM-managed deploy access: no inbound, HTTPS out inside the VPC only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-deploy-access" })
}

resource "aws_vpc_security_group_egress_rule" "deploy_access_https" {
  security_group_id = aws_security_group.deploy_access.id
  description       = "HTTPS to the VPC endpoints (SSM) and the private Kubernetes API"
  cidr_ipv4         = var.cidr
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_iam_role" "deploy_access" {
  name                 = "${var.name}-deploy-access"
  permissions_boundary = var.permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "deploy_access_ssm" {
  role       = aws_iam_role.deploy_access.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_role_policy_attachment" "deploy_access_sessions" {
  role       = aws_iam_role.deploy_access.name
  policy_arn = aws_iam_policy.session_logging.arn
}

# The instance's disk under a key of ours rather than aws/ebs. terraform launches it as one of
# the administrators, and EC2 uses the key on that launcher's behalf: the administrators may
# use it only through EC2 of this region, which never hands them a plaintext data key.
module "deploy_access_volume_key" {
  source = "../kms-key"

  description                = "Encrypts the EBS volume of the deploy-access instance of ${var.name}"
  alias                      = "alias/ebs/${var.name}-deploy-access"
  administrators             = var.kms_key_administrators
  break_glass_administrators = var.kms_break_glass_administrators

  statements = [{
    Sid       = "LaunchersUseTheKeyThroughEC2"
    Effect    = "Allow"
    Principal = { AWS = var.kms_key_administrators }
    Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    Resource  = "*"
    Condition = { StringEquals = { "kms:ViaService" = "ec2.${local.region}.amazonaws.com", "kms:CallerAccount" = local.account_id } }
  }]

  tags = merge(var.tags, { Name = "${var.name}-deploy-access-volume" })
}

resource "aws_iam_instance_profile" "deploy_access" {
  name = "${var.name}-deploy-access"
  role = aws_iam_role.deploy_access.name

  tags = var.tags
}

resource "aws_instance" "deploy_access" {
  ami                         = data.aws_ssm_parameter.deploy_access_ami.value
  instance_type               = var.deploy_access_instance_type
  subnet_id                   = aws_subnet.private[var.azs[0]].id
  vpc_security_group_ids      = [aws_security_group.deploy_access.id]
  iam_instance_profile        = aws_iam_instance_profile.deploy_access.name
  associate_public_ip_address = false

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    encrypted   = true
    kms_key_id  = module.deploy_access_volume_key.arn
    volume_type = "gp3"
  }

  tags = merge(var.tags, { Name = "${var.name}-deploy-access", Role = "deploy-access" })

  # A new AMI version must not replace the instance in the middle of someone's session.
  lifecycle {
    ignore_changes = [ami]
  }

  depends_on = [aws_iam_role_policy_attachment.deploy_access_ssm, aws_iam_role_policy_attachment.deploy_access_sessions, aws_vpc_endpoint.interface, aws_ssm_document.session_preferences]
}

################################################################################
# Session Manager: encrypted with our key, every shell session logged
################################################################################

# The client starting a session asks for a data key (kms:GenerateDataKey), the instance's agent
# decrypts it (kms:Decrypt); CloudWatch Logs encrypts the transcripts of this one log group.
module "session_key" {
  source = "../kms-key"

  description                = "Encrypts Session Manager sessions and their logs in the account of ${var.name}"
  alias                      = "alias/ssm/${var.name}-sessions"
  administrators             = var.kms_key_administrators
  break_glass_administrators = var.kms_break_glass_administrators
  log_group_arn              = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.session_log_group_name}"

  statements = concat([{
    Sid       = "InstancesDecryptSessions"
    Effect    = "Allow"
    Principal = { AWS = concat([aws_iam_role.deploy_access.arn], var.session_instance_role_arns) }
    Action    = "kms:Decrypt"
    Resource  = "*"
    }], length(var.session_user_arns) == 0 ? [] : [{
    Sid       = "UsersEncryptSessions"
    Effect    = "Allow"
    Principal = { AWS = var.session_user_arns }
    Action    = "kms:GenerateDataKey"
    Resource  = "*"
  }])

  tags = merge(var.tags, { Name = "${var.name}-sessions" })
}

resource "aws_cloudwatch_log_group" "sessions" {
  name              = local.session_log_group_name
  retention_in_days = var.session_log_retention_days
  kms_key_id        = module.session_key.arn

  tags = var.tags
}

# The account's Session Manager preferences (one per account and region, under this fixed
# name): sessions encrypted with our key, transcripts streamed to the encrypted log group, and
# the agent refuses to log to a group that is not encrypted. Port-forwarding sessions are TLS
# end to end and are not transcribed (AWS logs shell sessions only); CloudTrail records each
# StartSession.
resource "aws_ssm_document" "session_preferences" {
  name            = "SSM-SessionManagerRunShell"
  document_type   = "Session"
  document_format = "JSON"

  content = jsonencode({
    schemaVersion = "1.0"
    description   = "Session Manager preferences: KMS-encrypted sessions, logged to an encrypted CloudWatch log group"
    sessionType   = "Standard_Stream"
    inputs = {
      kmsKeyId                    = module.session_key.key_id
      cloudWatchLogGroupName      = aws_cloudwatch_log_group.sessions.name
      cloudWatchEncryptionEnabled = true
      cloudWatchStreamingEnabled  = true
      s3BucketName                = ""
      s3KeyPrefix                 = ""
      s3EncryptionEnabled         = true
      runAsEnabled                = false
      runAsDefaultUser            = ""
      idleSessionTimeout          = "20"
      maxSessionDuration          = "60"
      shellProfile                = { linux = "", windows = "" }
    }
  })

  tags = var.tags
}

# What an instance's SSM agent needs on top of AmazonSSMManagedInstanceCore to serve such a
# session: decrypt with the session key, write the transcript to the one log group (and find
# it: DescribeLogGroups takes no resource). Attached to the deploy-access instance here and to
# the nodes by the caller (output session_logging_policy_arn).
resource "aws_iam_policy" "session_logging" {
  name        = "${var.name}-session-logging"
  description = "Lets an SSM-managed instance serve KMS-encrypted Session Manager sessions logged to ${local.session_log_group_name}"

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DecryptSessions"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = module.session_key.arn
      },
      {
        Sid      = "WriteSessionLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
        Resource = ["${aws_cloudwatch_log_group.sessions.arn}:*", aws_cloudwatch_log_group.sessions.arn]
      },
      {
        Sid      = "FindTheLogGroup"
        Effect   = "Allow"
        Action   = "logs:DescribeLogGroups"
        Resource = "*"
      },
    ]
  })

  tags = var.tags
}

################################################################################
# Internet egress: Route 53 Resolver DNS Firewall (allow list)
################################################################################

# Every name resolved in the VPC goes through this allow list; anything else is answered
# NXDOMAIN, so nothing here can find an internet host (or tunnel data out through DNS) that
# was not reviewed into egress_allowed_domains. If the firewall is unavailable, queries fail
# rather than pass (fail-closed).
resource "aws_route53_resolver_firewall_domain_list" "allowed" {
  name    = "${var.name}-egress-allowed"
  domains = local.egress_allowed_domains

  tags = var.tags
}

resource "aws_route53_resolver_firewall_domain_list" "everything" {
  name    = "${var.name}-everything"
  domains = ["*"]

  tags = var.tags
}

resource "aws_route53_resolver_firewall_rule_group" "egress" {
  name = "${var.name}-egress"

  tags = var.tags
}

resource "aws_route53_resolver_firewall_rule" "allow" {
  name                    = "allow-reviewed-domains"
  action                  = "ALLOW"
  firewall_domain_list_id = aws_route53_resolver_firewall_domain_list.allowed.id
  firewall_rule_group_id  = aws_route53_resolver_firewall_rule_group.egress.id
  priority                = 100
}

resource "aws_route53_resolver_firewall_rule" "block_everything_else" {
  name                    = "block-everything-else"
  action                  = "BLOCK"
  block_response          = "NXDOMAIN"
  firewall_domain_list_id = aws_route53_resolver_firewall_domain_list.everything.id
  firewall_rule_group_id  = aws_route53_resolver_firewall_rule_group.egress.id
  priority                = 200
}

resource "aws_route53_resolver_firewall_rule_group_association" "egress" {
  name                   = "${var.name}-egress"
  firewall_rule_group_id = aws_route53_resolver_firewall_rule_group.egress.id
  vpc_id                 = aws_vpc.this.id
  priority               = 101
  mutation_protection    = "ENABLED"

  tags = var.tags
}

resource "aws_route53_resolver_firewall_config" "this" {
  resource_id        = aws_vpc.this.id
  firewall_fail_open = "DISABLED"
}
