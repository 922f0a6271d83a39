import { describe, expect, it } from "vitest";
import { policyRules } from "../../../src/policy/index.js";
import { policy } from "../../../src/workflow/policy.js";
import { accountIdOfTree, applyEdits, copyPolicyTree, lineIn, quietContext, type Edit } from "../../policy-helpers.js";

/**
 * copyPolicyTree copies the real environment roots, bootstraps and modules from terraform/.
 * Untouched, every rule holds; each case breaks one property and must fail exactly its rule.
 */
const DEV_ACCOUNT = accountIdOfTree("dev");
const PROD_ACCOUNT = accountIdOfTree("prod");
/** An account of no environment of the tree. */
const STRANGER_ACCOUNT = "987650001234";
const EKS = "modules/eks/main.tf";
const ECR = "modules/ecr/main.tf";
const NET = "modules/networking/main.tf";
const BASE = "modules/account-baseline/main.tf";

interface Mutation {
  rule: string;
  env: "dev" | "prod";
  what: string;
  edits: Edit[];
}

const MUTATIONS: Mutation[] = [
  {
    rule: "region-promise",
    env: "prod",
    what: "prod moved to eu-central-1",
    edits: [
      { file: "envs/prod/environment.tf", from: '"us-east-2"', to: '"eu-central-1"' },
      { file: "envs/prod/backend.tf", from: 'region       = "us-east-2"', to: 'region       = "eu-central-1"' },
    ],
  },
  { rule: "region-provider", env: "prod", what: "prod provider pinned to another region", edits: [{ file: "envs/prod/providers.tf", from: "region              = local.region", to: 'region              = "eu-central-1"' }] },
  { rule: "region-resources", env: "dev", what: "a repository placed in another region", edits: [{ file: ECR, from: "  name                 = each.key\n", to: '  name                 = each.key\n  region               = "us-west-2"\n' }] },
  {
    rule: "region-resources",
    env: "dev",
    what: "a provider alias for another region",
    edits: [{ file: "envs/dev/providers.tf", from: /$/, to: '\nprovider "aws" {\n  alias               = "elsewhere"\n  region              = "us-west-2"\n  allowed_account_ids = [local.account_id]\n}\n' }],
  },
  { rule: "region-backend", env: "dev", what: "the backend's region left to the environment", edits: [{ file: "envs/dev/backend.tf", from: '    region       = "eu-central-1"\n', to: "" }] },
  {
    rule: "no-replication",
    env: "dev",
    what: "an ECR replication rule",
    edits: [{ file: ECR, from: /$/, to: '\nresource "aws_ecr_replication_configuration" "this" {\n  replication_configuration {\n    rule {\n      destination {\n        region      = "us-east-2"\n        registry_id = "123456789012"\n      }\n    }\n  }\n}\n' }],
  },
  { rule: "kms-single-region", env: "dev", what: "a multi-region key", edits: [{ file: "modules/kms-key/main.tf", from: "  deletion_window_in_days  = 30\n", to: "  deletion_window_in_days  = 30\n  multi_region             = true\n" }] },
  { rule: "account-allowed-ids", env: "dev", what: "a second allowed account", edits: [{ file: "envs/dev/providers.tf", from: "[local.account_id]", to: `[local.account_id, "${STRANGER_ACCOUNT}"]` }] },
  { rule: "account-backend", env: "dev", what: "state in another account's bucket", edits: [{ file: "envs/dev/backend.tf", from: `infra-state-${DEV_ACCOUNT}-eu-central-1`, to: `infra-state-${STRANGER_ACCOUNT}-eu-central-1` }] },
  { rule: "account-static-keys", env: "dev", what: "a static key in the provider", edits: [{ file: "envs/dev/providers.tf", from: "  allowed_account_ids", to: "  access_key          = var.access_key\n  allowed_account_ids" }] },
  {
    rule: "account-distinct",
    env: "prod",
    what: "prod in dev's account",
    edits: [
      { file: "envs/prod/environment.tf", from: `"${PROD_ACCOUNT}"`, to: `"${DEV_ACCOUNT}"` },
      { file: "envs/prod/backend.tf", from: `infra-state-${PROD_ACCOUNT}`, to: `infra-state-${DEV_ACCOUNT}` },
    ],
  },
  { rule: "eks-public-endpoint", env: "dev", what: "the EKS public endpoint on", edits: [{ file: EKS, from: "endpoint_public_access  = false", to: "endpoint_public_access  = true" }] },
  { rule: "eks-private-endpoint", env: "dev", what: "the EKS private endpoint off", edits: [{ file: EKS, from: "endpoint_private_access = true", to: "endpoint_private_access = false" }] },
  { rule: "eks-secrets-encryption", env: "dev", what: "secrets not encrypted", edits: [{ file: EKS, from: 'resources = ["secrets"]', to: "resources = []" }] },
  { rule: "eks-control-plane-logs", env: "dev", what: "scheduler logs dropped", edits: [{ file: EKS, from: ', "scheduler"]', to: "]" }] },
  { rule: "eks-log-retention", env: "dev", what: "logs kept 30 days", edits: [{ file: EKS, from: "retention_in_days = var.log_retention_days", to: "retention_in_days = 30" }] },
  { rule: "eks-authentication-mode", env: "dev", what: "the aws-auth ConfigMap allowed", edits: [{ file: EKS, from: '= "API"', to: '= "API_AND_CONFIG_MAP"' }] },
  { rule: "eks-creator-admin", env: "dev", what: "implicit creator admin", edits: [{ file: EKS, from: "bootstrap_cluster_creator_admin_permissions = false", to: "bootstrap_cluster_creator_admin_permissions = true" }] },
  { rule: "eks-node-imdsv2", env: "dev", what: "IMDSv1 allowed on nodes", edits: [{ file: EKS, from: 'http_tokens                 = "required"', to: 'http_tokens                 = "optional"' }] },
  { rule: "eks-node-subnets", env: "prod", what: "nodes in the public subnets", edits: [{ file: "modules/platform/main.tf", from: "module.networking.private_subnet_ids", to: "module.networking.public_subnet_ids" }] },
  { rule: "ecr-immutable-tags", env: "dev", what: "mutable tags", edits: [{ file: ECR, from: '"IMMUTABLE"', to: '"MUTABLE"' }] },
  { rule: "ecr-scan-on-push", env: "dev", what: "no scan on push", edits: [{ file: ECR, from: "scan_on_push = true", to: "scan_on_push = false" }] },
  { rule: "ecr-kms-encryption", env: "dev", what: "AES256 instead of KMS", edits: [{ file: ECR, from: 'encryption_type = "KMS"', to: 'encryption_type = "AES256"' }] },
  { rule: "ecr-registry-scanning", env: "dev", what: "registry scanning manual", edits: [{ file: ECR, from: '"SCAN_ON_PUSH"', to: '"MANUAL"' }] },
  { rule: "ecr-force-delete", env: "dev", what: "force_delete on", edits: [{ file: ECR, from: "force_delete         = false", to: "force_delete         = true" }] },
  { rule: "state-versioning", env: "dev", what: "versioning suspended", edits: [{ file: BASE, from: /(resource "aws_s3_bucket_versioning" "state" \{[\s\S]*?)status = "Enabled"/, to: '$1status = "Suspended"' }] },
  { rule: "state-encryption", env: "dev", what: "SSE-S3 instead of KMS", edits: [{ file: BASE, from: /(resource "aws_s3_bucket_server_side_encryption_configuration" "state" \{[\s\S]*?)sse_algorithm     = "aws:kms"/, to: '$1sse_algorithm     = "AES256"' }] },
  { rule: "state-public-access", env: "prod", what: "public buckets not restricted", edits: [{ file: BASE, from: /(resource "aws_s3_bucket_public_access_block" "state" \{[\s\S]*?)restrict_public_buckets = true/, to: "$1restrict_public_buckets = false" }] },
  { rule: "state-tls-only", env: "dev", what: "no TLS-only statement", edits: [{ file: BASE, from: /(resource "aws_s3_bucket_policy" "state" \{[\s\S]*?)Effect    = "Deny"/, to: '$1Effect    = "Allow"' }] },
  { rule: "network-flow-logs", env: "dev", what: "flow logs of rejected traffic only", edits: [{ file: NET, from: 'traffic_type             = "ALL"', to: 'traffic_type             = "REJECT"' }] },
  { rule: "network-flow-logs", env: "prod", what: "the flow log removed", edits: [{ file: NET, from: /resource "aws_flow_log" "this" \{[\s\S]*?\n\}\n/, to: "" }] },
  { rule: "network-default-sg", env: "dev", what: "a rule on the default security group", edits: [{ file: NET, from: "  ingress = []\n", to: "  ingress {\n    protocol  = -1\n    self      = true\n    from_port = 0\n    to_port   = 0\n  }\n" }] },
  { rule: "network-public-ip", env: "dev", what: "public IPs in the public subnets", edits: [{ file: NET, from: "cidr_block              = each.value.public\n  map_public_ip_on_launch = false", to: "cidr_block              = each.value.public\n  map_public_ip_on_launch = true" }] },
  { rule: "network-open-ingress", env: "prod", what: "endpoints open to the internet", edits: [{ file: NET, from: /(resource "aws_vpc_security_group_ingress_rule" "endpoints_https" \{[\s\S]*?)cidr_ipv4         = var\.cidr/, to: '$1cidr_ipv4         = "0.0.0.0/0"' }] },
  {
    rule: "s3-tls-only",
    env: "dev",
    what: "the access-log bucket's TLS statement turned to Allow",
    edits: [{ file: BASE, from: /(Sid\s+= "DenyInsecureTransport"\s+Effect\s+= )"Deny"(\s+Principal = "\*"\s+Action\s+= "s3:\*"\s+Resource\s+= \[aws_s3_bucket\.access_logs\.arn)/, to: '$1"Allow"$2' }],
  },
  { rule: "ecr-scan-filter", env: "dev", what: "registry scanning narrowed to one prefix", edits: [{ file: ECR, from: 'filter      = "*"', to: 'filter      = "platform/*"' }] },
  { rule: "ecr-lifecycle-tagged", env: "prod", what: "the lifecycle rule expiring tagged images", edits: [{ file: ECR, from: 'tagStatus   = "untagged"', to: 'tagStatus   = "any"' }] },
  {
    rule: "network-sensitive-ingress",
    env: "dev",
    what: "SSH to the deploy-access instance from 10.0.0.0/8",
    edits: [{ file: NET, from: /$/, to: '\nresource "aws_vpc_security_group_ingress_rule" "deploy_access_ssh" {\n  security_group_id = aws_security_group.deploy_access.id\n  cidr_ipv4         = "10.0.0.0/8"\n  ip_protocol       = "tcp"\n  from_port         = 22\n  to_port           = 22\n}\n' }],
  },
  {
    rule: "network-isolated-routes",
    env: "prod",
    what: "a default route from the intra subnets through NAT",
    edits: [{ file: NET, from: /$/, to: '\nresource "aws_route" "intra_nat" {\n  route_table_id         = aws_route_table.intra.id\n  destination_cidr_block = "0.0.0.0/0"\n  nat_gateway_id         = aws_nat_gateway.this[var.azs[0]].id\n}\n' }],
  },
  { rule: "prevent-destroy", env: "dev", what: "keys no longer protected from destroy", edits: [{ file: "modules/kms-key/main.tf", from: "  lifecycle {\n    prevent_destroy = true\n  }\n", to: "" }] },
  { rule: "prevent-destroy", env: "prod", what: "the cluster no longer protected from destroy", edits: [{ file: EKS, from: "  lifecycle {\n    prevent_destroy = true\n  }\n", to: "" }] },
];

describe("a copy of the real roots and modules", () => {
  it.each(["dev", "prod"])("passes every rule for %s", async (env) => {
    const root = await copyPolicyTree();
    const result = await policy(quietContext(root), { env, allowDestroy: [] });
    expect(result.findings).toEqual([]);
    expect(result.status).toBe("passed");
  });

  it.each(MUTATIONS.map((mutation) => [mutation.rule, mutation.what, mutation] as const))("fails exactly %s when %s", async (_rule, _what, mutation) => {
    const root = await copyPolicyTree();
    await applyEdits(root, mutation.edits);
    const result = await policy(quietContext(root), { env: mutation.env, allowDestroy: [] });
    expect([...new Set(result.findings.map((finding) => finding.rule))]).toEqual([mutation.rule]);
    expect(result.status).toBe("failed");
    for (const finding of result.findings) {
      expect(finding.promise).toBe(policyRules.find((rule) => rule.id === mutation.rule)?.promise);
      expect(finding.file ?? finding.address).toBeTruthy();
    }
  });

  it("warns, without failing, about a module the HCL rules cannot read", async () => {
    const root = await copyPolicyTree();
    await applyEdits(root, [{ file: "envs/dev/main.tf", from: /$/, to: '\nmodule "vpc" {\n  source  = "terraform-aws-modules/vpc/aws"\n  version = "6.0.0"\n}\n' }]);
    const result = await policy(quietContext(root), { env: "dev", allowDestroy: [] });
    expect(result.findings).toEqual([
      expect.objectContaining({ rule: "module-remote", severity: "warning", address: "module.vpc", file: "envs/dev/main.tf", line: await lineIn(root, "envs/dev/main.tf", 'module "vpc"') }),
    ]);
    expect(result.status).toBe("passed");
    expect(result.warnings).toBe(1);
  });

  it("reads a module that calls itself (source \".\") or its caller once, and a missing module not at all", async () => {
    const root = await copyPolicyTree();
    await applyEdits(root, [
      { file: "modules/ecr/main.tf", from: /$/, to: '\nmodule "again" {\n  source = "./"\n}\n\nmodule "up" {\n  source = "../platform"\n}\n\nmodule "gone" {\n  source = "../nowhere"\n}\n' },
      { file: "modules/ecr/main.tf", from: '"IMMUTABLE"', to: '"MUTABLE"' },
    ]);
    const result = await policy(quietContext(root), { env: "dev", allowDestroy: [] });
    // platform -> ecr -> platform is a cycle too, so "up" is not followed either: one instance, one finding.
    expect(result.findings.map((finding) => finding.address)).toEqual(["module.platform.module.ecr.aws_ecr_repository.this"]);
  });

  it("names the file and line of the broken property", async () => {
    const root = await copyPolicyTree();
    await applyEdits(root, [{ file: EKS, from: "endpoint_public_access  = false", to: "endpoint_public_access  = true" }]);
    const [finding] = (await policy(quietContext(root), { env: "dev", allowDestroy: [] })).findings;
    expect(finding).toMatchObject({
      rule: "eks-public-endpoint",
      severity: "error",
      address: "module.platform.module.eks.aws_eks_cluster.this",
      file: "modules/eks/main.tf",
      line: await lineIn(root, EKS, "endpoint_public_access  = true"),
      source: "hcl",
    });
  });
});
