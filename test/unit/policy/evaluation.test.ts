/**
 * The static rules follow terraform's evaluation far enough to be right both ways on modules
 * written the way public ones are: count/for_each of zero, dynamic blocks, optional() defaults,
 * null as "not set", and what HCL cannot resolve left to the plan. Each case was wrong before.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readEnvironment } from "../../../src/config/environment.js";
import { loadPolicyTree } from "../../../src/policy/hcl-tree.js";
import { blockingFindings, evaluateTree, mergeFindings, type Finding } from "../../../src/policy/index.js";

const workspaces: string[] = [];
afterAll(async () => {
  await Promise.all(workspaces.map((dir) => rm(dir, { recursive: true, force: true })));
});

const FACTS = 'locals {\n  environment   = "dev"\n  region        = "eu-central-1"\n  account_id    = "123456789012"\n  promoted_from = null\n}\n';

/** envs/dev calling modules/m with `call` (the module block's body), and modules/m's main.tf. */
async function findings(call: string, module: string, rule: string, moduleFiles: Record<string, string> = {}): Promise<Finding[]> {
  const workspace = await mkdtemp(path.join(tmpdir(), "infra-policy-eval-"));
  workspaces.push(workspace);
  const root = path.join(workspace, "terraform");
  await mkdir(path.join(root, "envs", "dev"), { recursive: true });
  await mkdir(path.join(root, "modules", "m"), { recursive: true });
  await writeFile(path.join(root, "envs", "dev", "environment.tf"), FACTS);
  await writeFile(path.join(root, "envs", "dev", "main.tf"), `module "m" {\n  source = "../../modules/m"\n${call}\n}\n`);
  await writeFile(path.join(root, "modules", "m", "main.tf"), module);
  for (const [name, text] of Object.entries(moduleFiles)) {
    await mkdir(path.dirname(path.join(root, "modules", "m", name)), { recursive: true });
    await writeFile(path.join(root, "modules", "m", name), text);
  }
  const tree = await loadPolicyTree(await readEnvironment(root, "dev", {}), {});
  return evaluateTree(tree).filter((finding) => finding.rule === rule);
}

const CLUSTER_WITH_DYNAMIC_ENCRYPTION = `
variable "encryption_config" {
  type = object({
    resources        = optional(list(string), ["secrets"])
    provider_key_arn = optional(string)
  })
  default = {}
}

variable "enable_encryption" {
  type    = bool
  default = true
}

resource "aws_kms_key" "eks" {}

resource "aws_eks_cluster" "this" {
  name = "c"

  dynamic "encryption_config" {
    for_each = var.enable_encryption ? [var.encryption_config] : []

    content {
      provider {
        key_arn = aws_kms_key.eks.arn
      }
      resources = encryption_config.value.resources
    }
  }
}
`;

const LAUNCH_TEMPLATE_WITH_OPTIONAL_IMDS = `
variable "metadata_options" {
  type = object({
    http_endpoint = optional(string, "enabled")
    http_tokens   = optional(string, "required")
  })
  default  = {}
  nullable = false
}

resource "aws_launch_template" "this" {
  dynamic "metadata_options" {
    for_each = [var.metadata_options]
    iterator = meta

    content {
      http_endpoint = meta.value.http_endpoint
      http_tokens   = meta.value.http_tokens
    }
  }
}
`;

describe("dynamic blocks and optional() defaults", () => {
  it("reads secrets encryption set in a dynamic encryption_config block", async () => {
    expect(await findings("", CLUSTER_WITH_DYNAMIC_ENCRYPTION, "eks-secrets-encryption")).toEqual([]);
  });

  it("reports it where the dynamic block generates nothing", async () => {
    expect(await findings("  enable_encryption = false", CLUSTER_WITH_DYNAMIC_ENCRYPTION, "eks-secrets-encryption")).toEqual([
      expect.objectContaining({ address: "module.m.aws_eks_cluster.this" }),
    ]);
  });

  it("reports it where the generated block covers other resources than secrets", async () => {
    expect(await findings('  encryption_config = { resources = ["configmaps"] }', CLUSTER_WITH_DYNAMIC_ENCRYPTION, "eks-secrets-encryption")).toHaveLength(1);
  });

  it("applies an optional() default of IMDSv2 that reaches a launch template through a dynamic block", async () => {
    expect(await findings('  metadata_options = { http_endpoint = "enabled" }', LAUNCH_TEMPLATE_WITH_OPTIONAL_IMDS, "eks-node-imdsv2")).toEqual([]);
    expect(await findings("  metadata_options = null", LAUNCH_TEMPLATE_WITH_OPTIONAL_IMDS, "eks-node-imdsv2")).toEqual([]);
  });

  it("still reports IMDSv1 given explicitly over the default", async () => {
    expect(await findings('  metadata_options = { http_tokens = "optional" }', LAUNCH_TEMPLATE_WITH_OPTIONAL_IMDS, "eks-node-imdsv2")).toEqual([
      expect.objectContaining({ message: expect.stringContaining('http_tokens = "optional"') }),
    ]);
  });
});

const NODE_GROUP_WITHOUT_TEMPLATE = `
variable "create" {
  type    = bool
  default = true
}

resource "aws_eks_node_group" "this" {
  count           = var.create ? 1 : 0
  node_group_name = "n"
}
`;

describe("count and for_each", () => {
  it("does not judge a module instantiated zero times", async () => {
    expect(await findings("  count = 0", NODE_GROUP_WITHOUT_TEMPLATE, "eks-node-imdsv2")).toEqual([]);
    expect(await findings("  for_each = {}", NODE_GROUP_WITHOUT_TEMPLATE, "eks-node-imdsv2")).toEqual([]);
    expect(await findings("  create = false", NODE_GROUP_WITHOUT_TEMPLATE, "eks-node-imdsv2")).toEqual([]);
    // instantiated: judged
    expect(await findings("  count = 1", NODE_GROUP_WITHOUT_TEMPLATE, "eks-node-imdsv2")).toHaveLength(1);
  });

  it("does not report replication by a resource with count = 0", async () => {
    const module = 'variable "replicate" {\n  default = false\n}\n\nresource "aws_ecr_replication_configuration" "this" {\n  count = var.replicate ? 1 : 0\n  replication_configuration {\n    rule {}\n  }\n}\n';
    expect(await findings("", module, "no-replication")).toEqual([]);
    expect(await findings("  replicate = true", module, "no-replication")).toHaveLength(1);
  });

  it("leaves a resource whose count it cannot resolve to the plan, neither judged nor assumed present", async () => {
    const module = 'resource "aws_ecr_replication_configuration" "this" {\n  count = length(data.aws_regions.all.names) > 1 ? 1 : 0\n  replication_configuration {\n    rule {}\n  }\n}\n';
    expect(await findings("", module, "no-replication")).toEqual([]);
  });

  it("finds a VPC without flow logs when the flow log's count resolves to 0 through locals and defaults", async () => {
    const module = `
variable "create_vpc" {
  default = true
}

variable "enable_flow_log" {
  default = false
}

locals {
  enable_flow_log = var.create_vpc && var.enable_flow_log
}

resource "aws_vpc" "this" {
  count      = var.create_vpc ? 1 : 0
  cidr_block = "10.0.0.0/16"
}

resource "aws_flow_log" "this" {
  count        = local.enable_flow_log ? 1 : 0
  vpc_id       = aws_vpc.this[0].id
  traffic_type = "ALL"
}
`;
    expect(await findings("", module, "network-flow-logs")).toEqual([expect.objectContaining({ address: "module.m.aws_vpc.this" })]);
    expect(await findings("  enable_flow_log = true", module, "network-flow-logs")).toEqual([]);
    expect(await findings("  create_vpc = false", module, "network-flow-logs")).toEqual([]);
  });
});

describe("unknown is left to the plan, null is not set", () => {
  it("does not take a log group whose name it cannot resolve for the cluster's", async () => {
    const module = `
resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_cloudwatch_log_group" "flow_log" {
  name              = "/aws/vpc-flow-log/\${aws_vpc.this.id}"
  retention_in_days = 30
}

resource "aws_cloudwatch_log_group" "other" {
  name              = var.log_group_name
  retention_in_days = var.retention
}

variable "log_group_name" {
  type = string
}

variable "retention" {
  default = null
}

resource "aws_eks_cluster" "this" {
  name = "c"
}
`;
    expect(await findings("", module, "eks-log-retention")).toEqual([]);
  });

  it("reads a null encryption_type as not set, and says so", async () => {
    const module = 'variable "encryption_type" {\n  default = null\n}\n\nresource "aws_ecr_repository" "this" {\n  name = "r"\n  encryption_configuration {\n    encryption_type = var.encryption_type\n  }\n}\n';
    const [finding, ...rest] = await findings("", module, "ecr-kms-encryption");
    expect(rest).toEqual([]);
    expect(finding?.message).not.toContain("null");
    expect(finding?.message).toContain('encryption_type = "AES256" (not set: the provider\'s default)');
  });
});

describe("the plan's verdict", () => {
  const hclFinding: Finding = { rule: "eks-secrets-encryption", severity: "error", message: "m", address: "module.m.aws_eks_cluster.this", source: "hcl" };

  it("does not let an HCL finding the plan did not confirm block the plan", () => {
    const merged = mergeFindings([hclFinding], []);
    expect(merged).toEqual([{ ...hclFinding, unconfirmed: true }]);
    expect(blockingFindings(merged)).toEqual([]);
  });

  it("keeps an HCL finding the plan confirms, once, with its line, and blocking", () => {
    const planFinding: Finding = { ...hclFinding, address: 'module.m.aws_eks_cluster.this["a"]', source: "plan" };
    const merged = mergeFindings([hclFinding], [planFinding]);
    expect(merged).toEqual([hclFinding]);
    expect(blockingFindings(merged)).toHaveLength(1);
  });

  it("keeps HCL findings of rules the plan cannot judge blocking", () => {
    const providerFinding: Finding = { rule: "region-provider", severity: "error", message: "m", source: "hcl" };
    const subnetFinding: Finding = { rule: "eks-node-subnets", severity: "error", message: "m", address: "aws_eks_node_group.n", source: "hcl" };
    expect(blockingFindings(mergeFindings([providerFinding, subnetFinding], []))).toHaveLength(2);
  });
});

describe("who a role's trust admits", () => {
  const role = (statement: string) => `resource "aws_iam_role" "deploy" {\n  name = "infra-deploy"\n  assume_role_policy = jsonencode({\n    Version   = "2012-10-17"\n    Statement = [${statement}]\n  })\n}\n`;
  const github = (subject: string) =>
    `{\n      Effect    = "Allow"\n      Action    = "sts:AssumeRoleWithWebIdentity"\n      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }\n      Condition = { StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"${subject} } }\n    }`;

  it("finds a trust that admits anyone", async () => {
    expect(await findings("", role('{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = ["arn:aws:iam::123456789012:role/a", "*"] } }'), "iam-trust")).toEqual([
      expect.objectContaining({ address: "module.m.aws_iam_role.deploy", message: expect.stringContaining('any principal ("*")') }),
    ]);
  });

  it("finds GitHub's OIDC provider trusted without a subject, or with one any repository matches", async () => {
    expect(await findings("", role(github("")), "iam-trust")).toEqual([expect.objectContaining({ message: expect.stringContaining("every GitHub Actions workflow") })]);
    expect(await findings("", role(github(', "token.actions.githubusercontent.com:sub" = "repo:example/*"')), "iam-trust")).toEqual([
      expect.objectContaining({ message: expect.stringContaining('"repo:example/*"') }),
    ]);
  });

  it("accepts a trust bound to one repository's environment, and named principals", async () => {
    expect(await findings("", role(github(', "token.actions.githubusercontent.com:sub" = "repo:example/infra:environment:prod"')), "iam-trust")).toEqual([]);
    expect(await findings("", role('{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::123456789012:role/a" } }'), "iam-trust")).toEqual([]);
  });
});

describe("terraform's file functions, read from the committed tree", () => {
  // One repository per file under repos/, its tag mutability read from settings.txt: as the org
  // stack reads each environment's region from its environment.tf.
  const READ_FROM_FILES = `
locals {
  mutability = regex("(?m)^mode\\\\s*=\\\\s*\\"([A-Z]+)\\"", file("\${path.module}/settings.txt"))[0]
  names      = { for f in fileset("\${path.module}/repos", "*/name.txt") : dirname(f) => trimspace(file("\${path.module}/repos/\${f}")) }
}

resource "aws_ecr_repository" "this" {
  for_each             = local.names
  name                 = each.key
  image_tag_mutability = local.mutability
}
`;

  it("follows fileset, file, regex and dirname to a value, both ways", async () => {
    const repos = { "repos/api/name.txt": "api\n", "repos/web/name.txt": "web\n", "repos/README": "not matched\n" };
    const mutable = await findings("", READ_FROM_FILES, "ecr-immutable-tags", { "settings.txt": '# tags\nmode = "MUTABLE"\n', ...repos });
    expect(mutable.map((finding) => finding.message)).toEqual(['module.m.aws_ecr_repository.this has image_tag_mutability = "MUTABLE"; set it to "IMMUTABLE"']);
    expect(await findings("", READ_FROM_FILES, "ecr-immutable-tags", { "settings.txt": 'mode = "IMMUTABLE"\n', ...repos })).toEqual([]);
  });

  it("makes nothing where fileset matches no file, and leaves unknown what it cannot read", async () => {
    expect(await findings("", READ_FROM_FILES, "ecr-immutable-tags", { "settings.txt": 'mode = "MUTABLE"\n' })).toEqual([]);
    // no such file: terraform would fail; here it is unknown, not "not set"
    expect(await findings("", READ_FROM_FILES.replace("settings.txt", "missing.txt"), "ecr-immutable-tags", { "repos/api/name.txt": "api" })).toEqual([]);
    // outside the tree: never read
    const outside = READ_FROM_FILES.replace('file("${path.module}/settings.txt")', 'file("/etc/hostname")');
    expect(await findings("", outside, "ecr-immutable-tags", { "repos/api/name.txt": "api" })).toEqual([]);
  });
});
