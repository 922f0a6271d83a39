/**
 * The static rules on modules nobody here wrote: terraform-aws-modules eks (and its managed node
 * group), vpc and ecr, and cloudposse's eks-cluster, read in place from ../shared/hcl-corpus
 * (never copied), each called from an environment root with settings that keep every promise,
 * then with one setting changed: the finding a careful reviewer expects, and no other.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, type TestContext } from "vitest";
import { readEnvironment } from "../../../src/config/environment.js";
import { loadPolicyTree } from "../../../src/policy/hcl-tree.js";
import { evaluateTree } from "../../../src/policy/index.js";
import { REPO_ROOT, skipBecause } from "../../helpers.js";

const CORPUS = process.env["INFRA_HCL_CORPUS"] ?? path.resolve(REPO_ROOT, "../shared/hcl-corpus");
const FACTS = 'locals {\n  environment   = "dev"\n  region        = "eu-central-1"\n  account_id    = "123456789012"\n  promoted_from = null\n}\n';

const workspaces: string[] = [];
afterAll(async () => {
  await Promise.all(workspaces.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** `rule address` of every finding on envs/dev calling the corpus module `module` with `settings`, module-remote aside. */
async function judge(context: TestContext, module: string, settings: Record<string, string>): Promise<string[]> {
  const source = path.join(CORPUS, module);
  if (!existsSync(source)) skipBecause(context, `no ${module} in the HCL corpus at ${CORPUS} (set INFRA_HCL_CORPUS to one)`);
  const workspace = await mkdtemp(path.join(tmpdir(), "infra-real-modules-"));
  workspaces.push(workspace);
  const envDir = path.join(workspace, "terraform", "envs", "dev");
  await mkdir(envDir, { recursive: true });
  await writeFile(path.join(envDir, "environment.tf"), FACTS);
  const lines = Object.entries(settings).map(([name, value]) => `  ${name} = ${value}`);
  await writeFile(path.join(envDir, "main.tf"), `module "m" {\n  source = "${path.relative(envDir, source)}"\n${lines.join("\n")}\n}\n`);
  const tree = await loadPolicyTree(await readEnvironment(path.join(workspace, "terraform"), "dev", {}), {});
  return evaluateTree(tree)
    .filter((finding) => finding.rule !== "module-remote")
    .map((finding) => `${finding.rule} ${finding.address ?? finding.file ?? ""}`);
}

const EKS = "terraform-aws-modules+terraform-aws-eks";
const EKS_KEEPING_PROMISES = {
  name: '"demo"',
  kubernetes_version: '"1.33"',
  vpc_id: '"vpc-0123456789abcdef0"',
  subnet_ids: '["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]',
  authentication_mode: '"API"',
  enabled_log_types: '["api", "audit", "authenticator", "controllerManager", "scheduler"]',
  cloudwatch_log_group_retention_in_days: "365",
};

/** The module cannot set prevent_destroy (a lifecycle argument cannot be a variable): a careful reviewer notes it every time. */
const UNPROTECTED = "prevent-destroy module.m.aws_eks_cluster.this";

describe("terraform-aws-modules/eks", () => {
  it("keeps every promise but prevent_destroy, with secrets encrypted through its dynamic encryption_config block", async (context) => {
    expect(await judge(context, EKS, EKS_KEEPING_PROMISES)).toEqual([UNPROTECTED]);
  });

  it.for([
    ["endpoint_public_access", "true", "eks-public-endpoint module.m.aws_eks_cluster.this"],
    ["encryption_config", "null", "eks-secrets-encryption module.m.aws_eks_cluster.this"],
    ["cloudwatch_log_group_retention_in_days", "30", "eks-log-retention module.m.aws_cloudwatch_log_group.this"],
    ["enabled_log_types", '["api", "audit"]', "eks-control-plane-logs module.m.aws_eks_cluster.this"],
    ["authentication_mode", '"API_AND_CONFIG_MAP"', "eks-authentication-mode module.m.aws_eks_cluster.this"],
  ] as Array<[string, string, string]>)("with %s = %s finds exactly %s", async ([name, value, expected], context) => {
    expect(await judge(context, EKS, { ...EKS_KEEPING_PROMISES, [name]: value })).toEqual([expected, UNPROTECTED]);
  });

  // The module grants its creator admin through an explicit access entry, never the implicit bootstrap grant.
  it("finds nothing where the creator is made admin by an access entry", async (context) => {
    expect(await judge(context, EKS, { ...EKS_KEEPING_PROMISES, enable_cluster_creator_admin_permissions: "true" })).toEqual([UNPROTECTED]);
  });

  it("judges nothing of a cluster the module is told not to create", async (context) => {
    expect(await judge(context, EKS, { ...EKS_KEEPING_PROMISES, create: "false", endpoint_public_access: "true" })).toEqual([]);
  });
});

const NODE_GROUP = "terraform-aws-modules+terraform-aws-eks/modules/eks-managed-node-group";
const NODE_GROUP_SETTINGS = { name: '"workers"', cluster_name: '"demo"', subnet_ids: '["subnet-0123456789abcdef0"]' };

describe("terraform-aws-modules/eks managed node group", () => {
  it("takes IMDSv2 from the optional() default of metadata_options", async (context) => {
    expect(await judge(context, NODE_GROUP, NODE_GROUP_SETTINGS)).toEqual([]);
    expect(await judge(context, NODE_GROUP, { ...NODE_GROUP_SETTINGS, metadata_options: '{ http_endpoint = "enabled" }' })).toEqual([]);
  });

  it("finds IMDSv1 allowed when http_tokens is set to optional", async (context) => {
    expect(await judge(context, NODE_GROUP, { ...NODE_GROUP_SETTINGS, metadata_options: '{ http_tokens = "optional" }' })).toEqual(["eks-node-imdsv2 module.m.aws_launch_template.this"]);
  });
});

const VPC = "terraform-aws-modules+terraform-aws-vpc";
const VPC_KEEPING_PROMISES = {
  name: '"demo"',
  cidr: '"10.0.0.0/16"',
  azs: '["eu-central-1a", "eu-central-1b"]',
  private_subnets: '["10.0.1.0/24", "10.0.2.0/24"]',
  public_subnets: '["10.0.101.0/24", "10.0.102.0/24"]',
  enable_flow_log: "true",
  create_flow_log_cloudwatch_log_group: "true",
  create_flow_log_cloudwatch_iam_role: "true",
};

describe("terraform-aws-modules/vpc", () => {
  it("keeps every promise with flow logs on", async (context) => {
    expect(await judge(context, VPC, VPC_KEEPING_PROMISES)).toEqual([]);
  });

  it("finds no flow log where enable_flow_log keeps its default (false)", async (context) => {
    const { enable_flow_log: _, ...withoutFlowLog } = VPC_KEEPING_PROMISES;
    expect(await judge(context, VPC, withoutFlowLog)).toEqual(["network-flow-logs module.m.aws_vpc.this"]);
  });

  it("finds public IPs on launch in the public subnets", async (context) => {
    expect(await judge(context, VPC, { ...VPC_KEEPING_PROMISES, map_public_ip_on_launch: "true" })).toEqual(["network-public-ip module.m.aws_subnet.public"]);
  });
});

const ECR = "terraform-aws-modules+terraform-aws-ecr";
const ECR_KEEPING_PROMISES = {
  repository_name: '"app"',
  repository_encryption_type: '"KMS"',
  manage_registry_scanning_configuration: "true",
  registry_scan_type: '"ENHANCED"',
  registry_scan_rules: '[{ scan_frequency = "SCAN_ON_PUSH", filter = [{ filter = "*", filter_type = "WILDCARD" }] }]',
};

describe("terraform-aws-modules/ecr", () => {
  it("keeps every promise with KMS and registry scanning on push", async (context) => {
    expect(await judge(context, ECR, ECR_KEEPING_PROMISES)).toEqual([]);
  });

  it.for([
    ["repository_image_tag_mutability", '"MUTABLE"', "ecr-immutable-tags module.m.aws_ecr_repository.this"],
    ["repository_image_scan_on_push", "false", "ecr-scan-on-push module.m.aws_ecr_repository.this"],
    ["repository_encryption_type", "null", "ecr-kms-encryption module.m.aws_ecr_repository.this"],
    ["repository_force_delete", "true", "ecr-force-delete module.m.aws_ecr_repository.this"],
  ] as Array<[string, string, string]>)("with %s = %s finds exactly %s", async ([name, value, expected], context) => {
    expect(await judge(context, ECR, { ...ECR_KEEPING_PROMISES, [name]: value })).toEqual([expected]);
  });
});

describe("cloudposse/eks-cluster", () => {
  // Every resource's count is module.this.enabled, an output of a registry module the HCL stage
  // does not read: whether anything exists is known only to the plan, which judges it.
  it("leaves a public endpoint to the plan, as every resource's existence depends on a registry module", async (context) => {
    expect(await judge(context, "cloudposse+terraform-aws-eks-cluster", { endpoint_public_access: "true", subnet_ids: '["subnet-0123456789abcdef0"]' })).toEqual([]);
  });
});
