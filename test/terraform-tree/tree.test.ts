/**
 * Static checks over the HCL under terraform/: every file parses, module READMEs match their
 * variables and outputs, the secure settings the modules promise are written in the code (every
 * KMS key through modules/kms-key, the platform module's wiring), the environment roots hold
 * their facts the way `infra` reads them and call the platform module with literal values, and
 * `terraform fmt` is clean.
 * These tests read text and need only node and the terraform binary; that every attribute exists
 * and every promise holds in a plan is proven against the real AWS provider by `infra check`
 * (test/e2e/check.test.ts) and by the breakages of test/terraform-tree/breakages.test.ts.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEPLOY_ROLE_NAME } from "../../src/aws/credential-chain.js";

// hcl2-parser output is untyped JSON: blocks are arrays of bodies, expressions are "${...}" strings.
type Hcl = any;

const require = createRequire(import.meta.url);
const hcl = require("hcl2-parser") as { parseToObject(text: string): [Hcl | null, unknown] };

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TF_ROOT = path.join(REPO_ROOT, "terraform");
const MODULES = ["account-baseline", "account-roles", "break-glass-role", "ecr", "eks", "kms-key", "networking", "platform"];
/** The modules that create a KMS key, each through modules/kms-key, by the name of that module call. */
const KEY_USERS: Array<[string, string]> = [
  ["account-baseline", "state_key"],
  ["account-baseline", "audit_key"],
  ["account-baseline", "ebs_default_key"],
  ["ecr", "kms_key"],
  ["eks", "kms_key"],
  ["networking", "flow_logs_key"],
  ["eks", "ebs_key"],
  ["networking", "deploy_access_volume_key"],
  ["networking", "session_key"],
];
/** Every root accepts the provider proven here (5.100, from the local mirror) and 6.x; the lock pins one. */
const AWS_CONSTRAINT = ">= 5.100, < 7.0";
// The account ids are not here: they are whatever each environment.tf says (placeholders in the
// template, real ids once an organisation fills them in), and every test reads them from there.
const ENVIRONMENTS: Record<string, { region: string; promotedFrom: string | null; protected: boolean; natMode: string; ecrScanType: string }> = {
  dev: { region: "eu-central-1", promotedFrom: null, protected: false, natMode: "single", ecrScanType: "BASIC" },
  staging: { region: "eu-central-1", promotedFrom: "dev", protected: false, natMode: "per_az", ecrScanType: "BASIC" },
  prod: { region: "us-east-2", promotedFrom: "staging", protected: true, natMode: "per_az", ecrScanType: "ENHANCED" },
};
/** The ids the template ships with; module tests and examples use them as mock accounts. */
const PLACEHOLDER_ACCOUNTS = ["000000000000", "111111111111", "222222222222", "333333333333", "444444444444"];
const HCL_FILE = /(\.tf|\.tftest\.hcl|\.tfvars|\.tflint\.hcl)$/;

/**
 * Every file under terraform/, relative to it, following links. Hidden folders (terraform's
 * .terraform, infra's git-ignored .infra cache) are tool output, never the tree.
 */
function treeFiles(): string[] {
  return readdirSync(TF_ROOT, { recursive: true, encoding: "utf8" })
    .filter((rel) => !rel.split(path.sep).slice(0, -1).some((part) => part.startsWith(".")))
    .filter((rel) => statSync(path.join(TF_ROOT, rel)).isFile())
    .sort();
}

/** Every HCL file under terraform/, relative to it. */
function hclFiles(): string[] {
  return treeFiles().filter((rel) => HCL_FILE.test(rel));
}

/** The account ids the tree's facts state: each environment.tf, org/management.tf and the log archive's. */
function factAccountIds(): string[] {
  const factFiles = [...Object.keys(ENVIRONMENTS).map((env) => `envs/${env}/environment.tf`), "org/management.tf"];
  const logArchive = String(first(parse("log-archive/log-archive.tf").locals, "locals of terraform/log-archive/log-archive.tf").log_archive_account_id);
  return [...factFiles.map((rel) => String(first(parse(rel).locals, `locals of terraform/${rel}`).account_id)), logArchive];
}

function parse(rel: string): Hcl {
  const [body] = hcl.parseToObject(readFileSync(path.join(TF_ROOT, rel), "utf8"));
  if (body === null) throw new Error(`terraform/${rel} is not valid HCL`);
  return body;
}

/** The first body of a block such as resource.aws_vpc.this or a nested vpc_config. */
function first(value: Hcl, what: string): Hcl {
  const body = Array.isArray(value) ? value[0] : value;
  if (body === undefined || body === null) throw new Error(`missing ${what}`);
  return body;
}

function resource(rel: string, type: string, name: string): Hcl {
  return first(parse(rel).resource?.[type]?.[name], `resource ${type}.${name} in terraform/${rel}`);
}

function variable(rel: string, name: string): Hcl {
  return first(parse(rel).variable?.[name], `variable ${name} in terraform/${rel}`);
}

function moduleCall(rel: string, name: string): Hcl {
  return first(parse(rel).module?.[name], `module ${name} in terraform/${rel}`);
}

/** Names in the first column of the markdown table under `heading`, within the terraform-docs markers. */
function readmeTableNames(readme: string, heading: "Inputs" | "Outputs"): string[] {
  const begin = readme.indexOf("<!-- BEGIN_TF_DOCS -->");
  const end = readme.indexOf("<!-- END_TF_DOCS -->");
  if (begin < 0 || end < begin) throw new Error("README has no <!-- BEGIN_TF_DOCS --> ... <!-- END_TF_DOCS --> block");
  const docs = readme.slice(begin, end);
  const start = docs.indexOf(`## ${heading}`);
  if (start < 0) throw new Error(`README's terraform-docs block has no "## ${heading}" section`);
  const section = docs.slice(start + heading.length + 3).split(/^## /m)[0] ?? "";
  return [...section.matchAll(/^\|\s*`([^`]+)`\s*\|/gm)].map((match) => match[1] ?? "").sort();
}

describe("terraform tree", () => {
  const files = hclFiles();

  it("holds the modules, environments, bootstrap stacks and org", () => {
    const envs = Object.keys(ENVIRONMENTS);
    for (const dir of [...MODULES.map((m) => `modules/${m}`), ...envs.map((e) => `envs/${e}`), ...envs.map((e) => `bootstrap/${e}`), "bootstrap/org", "org", "log-archive"]) {
      expect(files.some((rel) => rel.startsWith(`${dir}/`)), `terraform/${dir} has no HCL files`).toBe(true);
    }
  });

  it.each(files)("parses terraform/%s", (rel) => {
    const [body] = hcl.parseToObject(readFileSync(path.join(TF_ROOT, rel), "utf8"));
    expect(body, `terraform/${rel} does not parse with hcl2-parser`).toBeTypeOf("object");
    expect(body, `terraform/${rel} does not parse with hcl2-parser`).not.toBeNull();
  });

  it("names no AWS account id but those the facts state (and the placeholders mock tests use)", () => {
    const allowed = new Set([...PLACEHOLDER_ACCOUNTS, ...factAccountIds()]);
    for (const rel of treeFiles()) {
      const ids = readFileSync(path.join(TF_ROOT, rel), "utf8").match(/(?<![0-9])[0-9]{12}(?![0-9])/g) ?? [];
      expect(ids.filter((id) => !allowed.has(id)), `terraform/${rel} names an account id that no environment.tf or management.tf states`).toEqual([]);
    }
  });
});

describe("module README", () => {
  it.each(MODULES)("lists exactly the inputs and outputs of modules/%s", (mod) => {
    const readme = readFileSync(path.join(TF_ROOT, "modules", mod, "README.md"), "utf8");
    const variables = Object.keys(parse(`modules/${mod}/variables.tf`).variable ?? {}).sort();
    const outputs = Object.keys(parse(`modules/${mod}/outputs.tf`).output ?? {}).sort();
    expect(readmeTableNames(readme, "Inputs"), `modules/${mod}/README.md Inputs vs variables.tf`).toEqual(variables);
    expect(readmeTableNames(readme, "Outputs"), `modules/${mod}/README.md Outputs vs outputs.tf`).toEqual(outputs);
  });
});

describe("module structure", () => {
  it.each(MODULES)("modules/%s has the four files, a test and described, typed variables", (mod) => {
    for (const name of ["main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"]) {
      expect(existsSync(path.join(TF_ROOT, "modules", mod, name)), `modules/${mod}/${name} is missing`).toBe(true);
    }
    const tests = readdirSync(path.join(TF_ROOT, "modules", mod, "tests")).filter((name) => name.endsWith(".tftest.hcl"));
    expect(tests.length, `modules/${mod}/tests has no .tftest.hcl`).toBeGreaterThan(0);
    for (const name of tests) {
      const body = parse(`modules/${mod}/tests/${name}`);
      expect(Object.keys(body.mock_provider ?? {}), `modules/${mod}/tests/${name} must mock the aws provider`).toContain("aws");
      for (const [run, blocks] of Object.entries<Hcl>(body.run ?? {})) {
        expect(first(blocks, run).command, `run "${run}" in modules/${mod}/tests/${name} must plan only`).toBe("${plan}");
      }
    }
    for (const [name, blocks] of Object.entries<Hcl>(parse(`modules/${mod}/variables.tf`).variable ?? {})) {
      const v = first(blocks, name);
      expect(typeof v.description === "string" && v.description.length > 0, `variable ${name} in modules/${mod} has no description`).toBe(true);
      expect(v.type, `variable ${name} in modules/${mod} has no type`).toBeDefined();
    }
    for (const [name, blocks] of Object.entries<Hcl>(parse(`modules/${mod}/outputs.tf`).output ?? {})) {
      expect(first(blocks, name).description, `output ${name} in modules/${mod} has no description`).toBeTruthy();
    }
  });

  it.each(MODULES)(`modules/%s accepts hashicorp/aws ${AWS_CONSTRAINT} on terraform >= 1.11`, (mod) => {
    const terraform = first(parse(`modules/${mod}/versions.tf`).terraform, "terraform block");
    expect(terraform.required_version).toBe(">= 1.11");
    expect(first(terraform.required_providers, "required_providers").aws).toEqual({ source: "hashicorp/aws", version: AWS_CONSTRAINT });
  });

  it("creates KMS keys only in modules/kms-key, rotated, with a policy naming its administrators first", () => {
    const keys = files("modules").flatMap((rel) => Object.keys(parse(rel).resource?.aws_kms_key ?? {}).map((name) => `${rel}: aws_kms_key.${name}`));
    expect(keys, "every KMS key is made by modules/kms-key").toEqual(["modules/kms-key/main.tf: aws_kms_key.this"]);
    const key = resource("modules/kms-key/main.tf", "aws_kms_key", "this");
    expect(key.enable_key_rotation, "the key must rotate (AWS rotates symmetric keys only)").toBe("${local.symmetric}");
    expect((parse("modules/kms-key/main.tf").locals as Hcl[]).find((locals) => "symmetric" in locals)?.symmetric).toBe('${var.key_spec == "SYMMETRIC_DEFAULT"}');
    expect(variable("modules/kms-key/variables.tf", "key_spec").default).toBe("SYMMETRIC_DEFAULT");
    expect(key.deletion_window_in_days).toBe(30);
    const policy = String(key.policy);
    expect(policy, "the first statement names the administrators passed in").toMatch(/concat\(\[\s*\{\s*Sid\s*=\s*"KeyAdministrators"[^}]*Principal\s*=\s*\{\s*AWS\s*=\s*var\.administrators\s*\}/);
    expect(policy, "the second names the break-glass administrators").toMatch(/Sid\s*=\s*"BreakGlassKeyAdministrators"[^}]*Principal\s*=\s*\{\s*AWS\s*=\s*var\.break_glass_administrators\s*\}/);
    const actions = (parse("modules/kms-key/main.tf").locals as Hcl[]).find((locals) => locals.administrator_actions)?.administrator_actions as string[];
    expect(actions.filter((action) => /^kms:(\*|C\*|Cr\*|Create\*|CreateGrant)$/.test(action)), "administrators must not hold kms:CreateGrant unconditionally").toEqual([]);
    expect(actions.filter((action) => /^kms:(\*|P\*|Pu\*|Put\*|PutKeyPolicy)$/.test(action)), "administrators must not rewrite the key policy").toEqual([]);
    expect(policy, "administrators create grants only for AWS services").toMatch(/Action\s*=\s*"kms:CreateGrant"[^}]*"kms:GrantIsForAWSResource"\s*=\s*"true"/);
    expect(policy, "the caller's statements follow, then the volume launchers', then the one log group's").toMatch(/\],\s*var\.statements,\s*local\.volume_launcher_statements,\s*local\.log_group_statements\)/);
    const logs = String(first(parse("modules/kms-key/main.tf").locals, "locals").log_group_statements);
    expect(logs, "CloudWatch Logs may use the key only for the log group named").toMatch(/"kms:EncryptionContext:aws:logs:arn"\s*=\s*var\.log_group_arn/);
    expect(policy, "the key must not trust the account root").not.toContain(":root");
    expect(String(first(variable("modules/kms-key/variables.tf", "statements").validation.at(-1), "validation").condition)).toContain(":root");
  });

  it.each(KEY_USERS)("modules/%s makes its key %s with modules/kms-key, administered by var.kms_key_administrators", (mod, call) => {
    const key = moduleCall(`modules/${mod}/main.tf`, call);
    expect(key.source).toBe("../kms-key");
    expect(key.administrators).toBe("${var.kms_key_administrators}");
    expect(key.break_glass_administrators).toBe("${var.kms_break_glass_administrators}");
    expect(JSON.stringify(key.statements ?? []), `module.${call} in modules/${mod} must not trust an account root`).not.toContain(":root");
  });

  it("modules/account-roles makes the ledger signing key with modules/kms-key: ECC_NIST_P256, SIGN_VERIFY, alias/infra-ledger", () => {
    const key = moduleCall("modules/account-roles/main.tf", "ledger_key");
    expect(key.source).toBe("../kms-key");
    expect([key.alias, key.key_spec, key.key_usage]).toEqual(["alias/infra-ledger", "ECC_NIST_P256", "SIGN_VERIFY"]);
    expect(key.administrators).toBe("${var.kms_key_administrators}");
    expect(key.break_glass_administrators).toEqual(["${module.break_glass.arn}"]);
    expect(JSON.stringify(key.statements ?? []), "module.ledger_key must not trust an account root").not.toContain(":root");
  });

  it.each([
    ["eks", "kms_key", "log_group_name"],
    ["networking", "flow_logs_key", "flow_log_group_name"],
    ["networking", "session_key", "session_log_group_name"],
  ])("modules/%s lets CloudWatch Logs use its key for its own log group only", (mod, call, local) => {
    expect(moduleCall(`modules/${mod}/main.tf`, call).log_group_arn).toBe(
      `arn:\${local.partition}:logs:\${local.region}:\${local.account_id}:log-group:\${local.${local}}`,
    );
  });
});

describe("secure defaults", () => {
  it("eks: private endpoint, API auth without creator admin, encrypted secrets, all logs kept a year", () => {
    const cluster = resource("modules/eks/main.tf", "aws_eks_cluster", "this");
    const vpc = first(cluster.vpc_config, "vpc_config");
    expect(vpc.endpoint_public_access).toBe(false);
    expect(vpc.endpoint_private_access).toBe(true);
    const access = first(cluster.access_config, "access_config");
    expect(access.authentication_mode).toBe("API");
    expect(access.bootstrap_cluster_creator_admin_permissions).toBe(false);
    const encryption = first(cluster.encryption_config, "encryption_config");
    expect(encryption.resources).toEqual(["secrets"]);
    expect(first(encryption.provider, "encryption_config provider").key_arn).toBe("${module.kms_key.arn}");
    expect(first(parse("modules/eks/main.tf").locals, "locals").log_types).toEqual(["api", "audit", "authenticator", "controllerManager", "scheduler"]);
    expect(cluster.enabled_cluster_log_types).toBe("${local.log_types}");
    expect(variable("modules/eks/variables.tf", "log_retention_days").default).toBeGreaterThanOrEqual(365);
  });

  it("eks: nodes require IMDSv2 and accept no SSH", () => {
    const template = resource("modules/eks/main.tf", "aws_launch_template", "node");
    const metadata = first(template.metadata_options, "metadata_options");
    expect(metadata.http_tokens).toBe("required");
    expect(metadata.http_put_response_hop_limit).toBe(1);
    const group = resource("modules/eks/main.tf", "aws_eks_node_group", "this");
    expect(group.remote_access, "node groups must not configure remote_access (SSH)").toBeUndefined();
    expect(group.subnet_ids).toBe("${var.node_subnet_ids}");
  });

  it("ecr: immutable tags, scan on push, KMS, no force delete, no replication", () => {
    const repo = resource("modules/ecr/main.tf", "aws_ecr_repository", "this");
    expect(repo.image_tag_mutability).toBe("IMMUTABLE");
    expect(repo.force_delete).toBe(false);
    expect(first(repo.image_scanning_configuration, "image_scanning_configuration").scan_on_push).toBe(true);
    expect(first(repo.encryption_configuration, "encryption_configuration").encryption_type).toBe("KMS");
    const scanning = resource("modules/ecr/main.tf", "aws_ecr_registry_scanning_configuration", "this");
    expect(first(scanning.rule, "rule").scan_frequency).toBe("SCAN_ON_PUSH");
    for (const rel of files("modules/ecr")) {
      expect(parse(rel).resource?.aws_ecr_replication_configuration, `terraform/${rel} replicates images`).toBeUndefined();
    }
  });

  it("networking: no public IPs on launch, all traffic logged encrypted, default SG empty, endpoints for a private cluster", () => {
    const main = "modules/networking/main.tf";
    for (const tier of ["private", "intra", "public"]) {
      expect(resource(main, "aws_subnet", tier).map_public_ip_on_launch, `aws_subnet.${tier}`).toBe(false);
    }
    const vpc = resource(main, "aws_vpc", "this");
    expect(vpc.enable_dns_support).toBe(true);
    expect(vpc.enable_dns_hostnames).toBe(true);
    expect(resource(main, "aws_flow_log", "this").traffic_type).toBe("ALL");
    expect(resource(main, "aws_cloudwatch_log_group", "flow_logs").kms_key_id).toBe("${module.flow_logs_key.arn}");
    const defaultSg = resource(main, "aws_default_security_group", "this");
    expect(defaultSg.ingress, "the default security group must have no ingress").toEqual([]);
    expect(defaultSg.egress, "the default security group must have no egress").toEqual([]);
    expect(first(parse(main).locals, "locals").interface_endpoints).toBe(
      '${toset(["ec2", "ecr.api", "ecr.dkr", "sts", "logs", "elasticloadbalancing", "eks-auth", "eks", "autoscaling", "ssm", "ssmmessages", "ec2messages", "kms"])}',
    );
    expect(resource(main, "aws_vpc_endpoint", "interface").policy).toBe("${local.interface_endpoint_policy}");
    expect(resource(main, "aws_vpc_endpoint", "s3").policy).toBe("${local.s3_endpoint_policy}");
    const access = resource(main, "aws_instance", "deploy_access");
    expect(access.key_name, "the deploy-access instance takes no SSH key").toBeUndefined();
    expect(access.associate_public_ip_address).toBe(false);
    expect(parse(main).resource?.aws_vpc_security_group_ingress_rule?.deploy_access, "deploy access admits no inbound traffic").toBeUndefined();
    expect(resource(main, "aws_vpc_endpoint", "s3").vpc_endpoint_type).toBe("Gateway");
    const natMode = variable("modules/networking/variables.tf", "nat_mode");
    expect(natMode.default).toBe("single");
    expect(first(natMode.validation, "validation").condition).toBe('${contains(["single", "per_az"], var.nat_mode)}');
    expect(variable("modules/networking/variables.tf", "flow_log_retention_days").default).toBeGreaterThanOrEqual(365);
  });

  it("account-baseline: public access blocked, EBS encrypted, state bucket versioned with SSE-KMS and no ACLs", () => {
    const main = "modules/account-baseline/main.tf";
    const blocks = [resource(main, "aws_s3_account_public_access_block", "this"), resource(main, "aws_s3_bucket_public_access_block", "state")];
    for (const block of blocks) {
      for (const key of ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]) {
        expect(block[key], key).toBe(true);
      }
    }
    expect(resource(main, "aws_ebs_encryption_by_default", "this").enabled).toBe(true);
    expect(first(resource(main, "aws_s3_bucket_versioning", "state").versioning_configuration, "versioning_configuration").status).toBe("Enabled");
    const sse = first(first(resource(main, "aws_s3_bucket_server_side_encryption_configuration", "state").rule, "rule").apply_server_side_encryption_by_default, "sse");
    expect(sse.sse_algorithm).toBe("aws:kms");
    expect(sse.kms_master_key_id).toBe("${module.state_key.arn}");
    expect(moduleCall(main, "state_key").alias).toBe("${var.state_key_alias}");
    expect(first(resource(main, "aws_s3_bucket_ownership_controls", "state").rule, "rule").object_ownership).toBe("BucketOwnerEnforced");
    const bucket = resource(main, "aws_s3_bucket", "state");
    expect(bucket.force_destroy).toBe(false);
    expect(first(bucket.lifecycle, "lifecycle").prevent_destroy).toBe(true);
  });

  it("platform: a private cluster in the environment's own network, account and region, administered by the deploy role", () => {
    const main = "modules/platform/main.tf";
    const locals = first(parse(main).locals, "locals");
    expect(locals.kms_key_administrators).toBe('${[for role in var.kms_key_administrator_role_names : "arn:aws:iam::${var.account_id}:role/${role}"]}');
    expect(locals.azs).toBe('${[for letter in var.az_letters : "${var.region}${letter}"]}');
    const networking = moduleCall(main, "networking");
    expect(networking.source).toBe("../networking");
    expect(networking.azs).toBe("${local.azs}");
    expect(networking.kms_key_administrators).toBe("${local.kms_key_administrators}");
    const eks = moduleCall(main, "eks");
    expect(eks.source).toBe("../eks");
    expect(eks.control_plane_subnet_ids, "the control plane goes in the intra subnets (no route out)").toBe("${module.networking.intra_subnet_ids}");
    expect(eks.node_subnet_ids, "nodes go in the private subnets").toBe("${module.networking.private_subnet_ids}");
    expect(eks.kms_key_administrators).toBe("${local.kms_key_administrators}");
    expect(String(eks.access_entries)).toContain('principal_arn = "arn:aws:iam::${var.account_id}:role/${role}"');
    expect(moduleCall(main, "ecr").source).toBe("../ecr");
    expect(moduleCall(main, "ecr").pull_principal_arns, "only the cluster's nodes pull").toEqual(["${module.eks.node_role_arn}"]);
    for (const call of ["networking", "eks", "ecr"]) expect(moduleCall(main, call).kms_break_glass_administrators, call).toBe("${local.break_glass_role_arns}");
    expect(locals.deploy_boundary_arn, "roles infra-deploy creates carry its boundary").toBe("arn:aws:iam::${var.account_id}:policy/infra-deploy-boundary");
    for (const call of ["networking", "eks"]) expect(moduleCall(main, call).permissions_boundary_arn, call).toBe("${local.deploy_boundary_arn}");
    const administrators = first(variable("modules/platform/variables.tf", "kms_key_administrator_role_names").validation, "validation");
    expect(administrators.condition, "terraform's own role must administer the keys it manages").toContain('contains(var.kms_key_administrator_role_names, "infra-deploy")');
    expect(first(variable("modules/platform/variables.tf", "cluster_admin_role_names").validation, "validation").condition).toContain("alltrue(");
    expect(first(variable("modules/platform/variables.tf", "az_letters").validation, "validation").condition).toContain('"^[a-z]$"');
    expect(eks.create_autoscaling_service_linked_role, "the bootstrap's account-baseline creates the Auto Scaling service-linked role").toBe(false);
  });

  it("EBS volumes under keys of ours: the account default (account-baseline) and the nodes' (eks), used by Auto Scaling as a volume launcher", () => {
    const baseline = "modules/account-baseline/main.tf";
    expect(resource(baseline, "aws_ebs_default_kms_key", "this").key_arn).toBe("${module.ebs_default_key.arn}");
    expect(resource(baseline, "aws_iam_service_linked_role", "autoscaling").aws_service_name).toBe("autoscaling.amazonaws.com");
    for (const [rel, call] of [[baseline, "ebs_default_key"], ["modules/eks/main.tf", "ebs_key"]] as const) {
      const key = moduleCall(rel, call);
      expect(key.volume_launchers, `${rel} module.${call}`).toEqual(["${local.autoscaling_role_arn}"]);
      expect(key.statements, `${rel} module.${call} grants nothing beyond the volume launchers' statements of modules/kms-key`).toBeUndefined();
      expect(first(parse(rel).locals, "locals").autoscaling_role_arn).toBe(
        "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
      );
    }
  });

  it("makes every infra-break-glass role with modules/break-glass-role (MFA only), in each account and in the log archive", () => {
    const roles = hclFiles()
      .filter((rel) => rel.endsWith(".tf"))
      .flatMap((rel) => Object.entries<Hcl>(parse(rel).resource?.aws_iam_role ?? {}).map(([name, blocks]) => ({ rel, name, role: first(blocks, name) })))
      .filter(({ role }) => role.name === "infra-break-glass");
    expect(roles.map(({ rel, name }) => `${rel}: aws_iam_role.${name}`)).toEqual(["modules/break-glass-role/main.tf: aws_iam_role.this"]);
    expect(moduleCall("modules/account-roles/main.tf", "break_glass").source).toBe("../break-glass-role");
    const logArchive = moduleCall("log-archive/main.tf", "break_glass");
    expect(logArchive.source).toBe("../modules/break-glass-role");
    expect(logArchive.principals).toBe("${local.break_glass_users}");
    expect(moduleCall("log-archive/main.tf", "trail_key").break_glass_administrators, "the trail key's last resort needs MFA").toEqual([
      "arn:aws:iam::${local.log_archive_account_id}:role/${module.break_glass.name}",
    ]);
  });

  it("org: SCPs enabled; each environment account gets its region lock and the guard rails", () => {
    const organization = resource("org/main.tf", "aws_organizations_organization", "this");
    expect(organization.enabled_policy_types).toEqual(["SERVICE_CONTROL_POLICY"]);
    expect(resource("org/main.tf", "aws_organizations_policy_attachment", "guardrails").for_each).toBe("${local.environments}");
    const management = first(parse("org/management.tf").locals, "locals");
    expect(first(parse("org/providers.tf").provider?.aws, "provider aws").allowed_account_ids).toEqual(["${local.account_id}"]);
    const s3 = first(first(parse("org/backend.tf").terraform, "terraform").backend?.s3, "backend s3");
    expect(s3.bucket).toBe(`infra-state-${management.account_id}-${management.region}`);
    expect(s3.region).toBe(management.region);
    expect(realpathSync(path.join(TF_ROOT, "bootstrap/org/management.tf"))).toBe(realpathSync(path.join(TF_ROOT, "org/management.tf")));
    const emails = Object.keys(parse("org/terraform.tfvars").account_emails ?? {}).sort();
    expect(emails, "org/terraform.tfvars needs one root address per environment folder").toEqual(Object.keys(ENVIRONMENTS).sort());
    expect(typeof parse("org/terraform.tfvars").log_archive_email, "org/terraform.tfvars needs the log archive account's root address").toBe("string");
  });

  it("log-archive: runs from the management account, into the log archive account through OrganizationAccountAccessRole", () => {
    const management = first(parse("org/management.tf").locals, "locals");
    expect(realpathSync(path.join(TF_ROOT, "log-archive/management.tf"))).toBe(realpathSync(path.join(TF_ROOT, "org/management.tf")));
    const s3 = first(first(parse("log-archive/backend.tf").terraform, "terraform").backend?.s3, "backend s3");
    expect(s3.bucket, "its state lives in the management account's bucket, beside terraform/org's").toBe(`infra-state-${management.account_id}-${management.region}`);
    expect(s3.key).toBe("log-archive/terraform.tfstate");
    const providers: Hcl[] = parse("log-archive/providers.tf").provider?.aws ?? [];
    const logArchive = providers.find((p) => p.alias === undefined);
    const mgmt = providers.find((p) => p.alias === "management");
    expect(logArchive?.allowed_account_ids).toEqual(["${local.log_archive_account_id}"]);
    expect(first(logArchive?.assume_role, "assume_role of the log archive provider").role_arn).toBe("${local.log_archive_admin_role_arn}");
    expect(first(parse("log-archive/main.tf").locals, "locals").log_archive_admin_role_arn).toBe("arn:aws:iam::${local.log_archive_account_id}:role/OrganizationAccountAccessRole");
    expect(mgmt?.allowed_account_ids, "the organization trail is the management account's").toEqual(["${local.account_id}"]);
    expect(resource("log-archive/trail.tf", "aws_cloudtrail", "organization").provider).toBe("${aws.management}");
  });

  it("bootstrap/org: the management account's deploy role is no administrator (SCPs do not apply there)", () => {
    const roles = moduleCall("bootstrap/org/main.tf", "roles");
    expect(roles.deploy_role_policy_arns).toEqual(["arn:aws:iam::aws:policy/AWSOrganizationsFullAccess"]);
    expect(roles.break_glass_principals).toBe("${local.break_glass_users}");
  });

  it("states the management account's administrator and break-glass users once, in bootstrap/org/administrators.tf, which log-archive links", () => {
    const source = realpathSync(path.join(TF_ROOT, "bootstrap/org/administrators.tf"));
    expect(realpathSync(path.join(TF_ROOT, "log-archive/administrators.tf")), "log-archive links the file, never a copy").toBe(source);
    const people = first(parse("bootstrap/org/administrators.tf").locals, "locals");
    expect(people.management_administrator_role_arn, "an Identity Center role, with its aws-reserved path").toMatch(
      /^arn:aws:iam::\$\{local\.account_id\}:role\/aws-reserved\/sso\.amazonaws\.com\/[a-z]{2}-[a-z]+-\d\/AWSReservedSSO_/,
    );
    for (const arn of people.break_glass_users as string[]) expect(arn, "break glass is an IAM user with MFA").toMatch(/^arn:aws:iam::\$\{local\.account_id\}:user\//);
    // The role's ARN is written in that one file: every other file names it through the local.
    const writers = treeFiles().filter((rel) => readFileSync(path.join(TF_ROOT, rel), "utf8").includes("AWSReservedSSO_AdministratorAccess"));
    expect([...new Set(writers.map((rel) => realpathSync(path.join(TF_ROOT, rel))))]).toEqual([source]);
    for (const [rel, call, key] of [
      ["bootstrap/org/main.tf", "roles", "kms_key_administrators"],
      ["bootstrap/org/main.tf", "baseline", "kms_key_administrators"],
      ["log-archive/trail.tf", "alarm_key", "administrators"],
    ] as const) {
      expect(moduleCall(rel, call)[key], `${rel} module.${call}.${key}`).toEqual(["${local.management_administrator_role_arn}"]);
    }
  });

  it("org: each environment account gets an SCP denying every other region", () => {
    const policy = resource("org/main.tf", "aws_organizations_policy", "region_lock");
    expect(policy.type).toBe("SERVICE_CONTROL_POLICY");
    expect(String(policy.content)).toMatch(/Effect\s*=\s*"Deny"/);
    expect(String(policy.content)).toMatch(/StringNotEquals\s*=\s*\{\s*"aws:RequestedRegion"\s*=\s*\[each\.value\.region\]/);
    expect(resource("org/main.tf", "aws_organizations_policy_attachment", "region_lock").target_id).toBe("${aws_organizations_account.this[each.key].id}");
  });

  it("tflint enables the pinned AWS ruleset and the recommended preset", () => {
    const config = parse(".tflint.hcl");
    const aws = first(config.plugin?.aws, "plugin aws");
    expect(aws.source).toBe("github.com/terraform-linters/tflint-ruleset-aws");
    expect(aws.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(aws.enabled).toBe(true);
    expect(first(config.plugin?.terraform, "plugin terraform").preset).toBe("recommended");
  });
});

describe.each(Object.entries(ENVIRONMENTS))("envs/%s", (env, expected) => {
  const dir = `envs/${env}`;

  it("states its facts once, as literals in environment.tf", () => {
    const body = parse(`${dir}/environment.tf`);
    expect(Object.keys(body), "environment.tf holds only a locals block").toEqual(["locals"]);
    expect(body.locals).toHaveLength(1);
    const facts = body.locals[0];
    const optional = ["max_plan_age", "protected"].filter((key) => key in facts);
    expect(Object.keys(facts).sort()).toEqual(["account_id", "environment", "promoted_from", "region", ...optional].sort());
    expect(facts.protected ?? false, "prod alone needs an approval bound to the plan digest").toBe(expected.protected);
    expect(facts.environment).toBe(env);
    expect(facts.region).toBe(expected.region);
    expect(facts.account_id, "a 12-digit account id, as a string").toMatch(/^[0-9]{12}$/);
    expect(new Set(factAccountIds()).size, "each environment (and the management account) has an account of its own").toBe(factAccountIds().length);
    expect(facts.promoted_from).toBe(expected.promotedFrom);
    for (const rel of files(dir).filter((r) => r !== `${dir}/environment.tf` && r.endsWith(".tf"))) {
      const other = parse(rel);
      for (const locals of other.locals ?? []) {
        for (const key of ["environment", "region", "account_id", "promoted_from"]) {
          expect(locals[key], `${key} is restated in terraform/${rel}`).toBeUndefined();
        }
      }
      for (const key of ["region", "account_id", "aws_region", "environment"]) {
        expect(other.variable?.[key], `terraform/${rel} makes ${key} a variable, which -var could override`).toBeUndefined();
      }
    }
  });

  it("keeps state in its own account and region with S3 native locking", () => {
    const facts = parse(`${dir}/environment.tf`).locals[0];
    const s3 = first(first(parse(`${dir}/backend.tf`).terraform, "terraform").backend?.s3, "backend s3");
    expect(s3.region).toBe(facts.region);
    expect(s3.bucket).toBe(`infra-state-${facts.account_id}-${facts.region}`);
    expect(s3.key).toBe(`envs/${env}/terraform.tfstate`);
    expect(s3.use_lockfile).toBe(true);
    expect(s3.encrypt).toBe(true);
    expect(s3.kms_key_id).toBe("alias/infra-state");
    expect(s3.dynamodb_table, "S3 native locking replaces the DynamoDB table").toBeUndefined();
  });

  it("points the provider at the environment's region and account only", () => {
    const provider = first(parse(`${dir}/providers.tf`).provider?.aws, "provider aws");
    expect(provider.region).toBe("${local.region}");
    expect(provider.allowed_account_ids).toEqual(["${local.account_id}"]);
    expect(provider.assume_role, "infra hands terraform infra-deploy's credentials; the provider assumes nothing").toBeUndefined();
    expect(first(provider.default_tags, "default_tags").tags).toEqual({
      Environment: "${local.environment}",
      ManagedBy: "terraform",
      Repository: "infra",
    });
  });

  it("calls the platform module once, its values written as literals and its facts taken from environment.tf", () => {
    const body = parse(`${dir}/main.tf`);
    expect(Object.keys(body), "main.tf holds only the module call").toEqual(["module"]);
    expect(Object.keys(body.module)).toEqual(["platform"]);
    const platform = moduleCall(`${dir}/main.tf`, "platform");
    expect(platform.source).toBe("../../modules/platform");
    expect(platform.name).toBe("infra-${local.environment}");
    expect(platform.region).toBe("${local.region}");
    expect(platform.account_id).toBe("${local.account_id}");
    expect(platform.nat_mode).toBe(expected.natMode);
    expect(platform.ecr_scan_type).toBe(expected.ecrScanType);
    expect(platform.kms_key_administrator_role_names, "the role terraform runs as must administer the keys").toContain(DEPLOY_ROLE_NAME);
    for (const key of ["vpc_cidr", "az_letters", "kubernetes_version", "node_groups", "cluster_admin_role_names", "ecr_repositories"]) {
      expect(platform[key], `${dir}/main.tf sets ${key}`).toBeDefined();
      expect(JSON.stringify(platform[key]), `${dir}/main.tf writes ${key} as a literal`).not.toMatch(/\$\{(var|local)\./);
    }
    expect(first(parse(`${dir}/outputs.tf`).output?.platform, "output platform").value).toBe("${module.platform}");
  });

  it("repeats no variables.tf / terraform.tfvars pair", () => {
    expect(readdirSync(path.join(TF_ROOT, dir)).filter((name) => name.endsWith(".tfvars") || name.endsWith(".tfvars.json"))).toEqual([]);
    for (const rel of files(dir)) expect(parse(rel).variable, `terraform/${rel} declares variables`).toBeUndefined();
  });

  it("accepts the AWS provider proven here and 6.x, pinned by a committed lock", () => {
    for (const root of [dir, `bootstrap/${env}`]) {
      const terraform = first(parse(`${root}/versions.tf`).terraform, "terraform block");
      expect(terraform.required_version).toBe(">= 1.11");
      expect(first(terraform.required_providers, "required_providers").aws).toEqual({ source: "hashicorp/aws", version: AWS_CONSTRAINT });
      const lock = parse(`${root}/.terraform.lock.hcl`);
      const aws = first(lock.provider?.["registry.terraform.io/hashicorp/aws"], `aws in terraform/${root}/.terraform.lock.hcl`);
      expect(aws.version, `terraform/${root}/.terraform.lock.hcl`).toMatch(/^(5\.(1\d\d)|6\.\d+)\.\d+$/);
      expect(aws.hashes.length, `terraform/${root}/.terraform.lock.hcl records no hash`).toBeGreaterThan(0);
    }
  });

  it("has a bootstrap stack reading the same facts, that creates the credential chain and the state bucket", () => {
    const boot = `bootstrap/${env}`;
    expect(realpathSync(path.join(TF_ROOT, boot, "environment.tf"))).toBe(realpathSync(path.join(TF_ROOT, dir, "environment.tf")));
    const facts = parse(`${dir}/environment.tf`).locals[0];
    const s3 = first(first(parse(`${boot}/backend.tf`).terraform, "terraform").backend?.s3, "backend s3");
    expect(s3.bucket, "the bootstrap state moves into the bucket it creates").toBe(`infra-state-${facts.account_id}-${facts.region}`);
    expect(s3.key).toBe(`bootstrap/${env}/terraform.tfstate`);
    expect(s3.region).toBe(facts.region);
    const provider = first(parse(`${boot}/providers.tf`).provider?.aws, "provider aws");
    expect(provider.region).toBe("${local.region}");
    expect(provider.allowed_account_ids).toEqual(["${local.account_id}"]);
    expect(provider.assume_role, "the bootstrap runs with the caller's credentials").toBeUndefined();
    const roles = moduleCall(`${boot}/main.tf`, "roles");
    expect(roles.source).toBe("../../modules/account-roles");
    expect(roles.environment, "GitHub environment and infra environment are the same name").toBe("${local.environment}");
    expect(roles.protected, "the deploy role learns whether the environment is protected from environment.tf").toBe("${local.protected}");
    if (expected.protected) expect(roles.deployer_principals, "a protected environment changes only through the pipeline: no people deploy").toEqual([]);
    expect(roles.kms_key_administrators, "the bootstrap role administers the ledger key").toEqual(["${local.bootstrap_role_arn}"]);
    for (const arn of [...(roles.deployer_principals ?? []), ...roles.platform_admin_principals] as string[]) {
      expect(arn, "Identity Center roles are named with their aws-reserved path").toMatch(/^arn:aws:iam::\$\{local\.account_id\}:role\/aws-reserved\/sso\.amazonaws\.com\/[a-z]{2}-[a-z]+-\d\/AWSReservedSSO_/);
    }
    for (const arn of roles.break_glass_principals as string[]) expect(arn, "break glass is an IAM user with MFA").toMatch(/^arn:aws:iam::[0-9]{12}:user\//);
    expect(first(parse(`${boot}/outputs.tf`).output?.ledger_public_key_pem, "output ledger_public_key_pem").value).toBe("${module.roles.ledger_public_key_pem}");
    const baseline = moduleCall(`${boot}/main.tf`, "baseline");
    expect(baseline.source).toBe("../../modules/account-baseline");
    expect(baseline.state_bucket_name).toBe("infra-state-${local.account_id}-${local.region}");
    expect(baseline.kms_key_administrators, "the role the bootstrap runs as must administer the state key, or AWS refuses the policy").toEqual(["${local.bootstrap_role_arn}"]);
    expect(baseline.kms_break_glass_administrators).toEqual(["${module.roles.break_glass_role_arn}"]);
    expect(baseline.state_key_users, "infra-deploy reads and writes state; the bootstrap principal moves its own state in").toEqual([
      "${module.roles.deploy_role_arn}",
      "${local.bootstrap_role_arn}",
    ]);
    expect(first(parse(`${boot}/main.tf`).locals, "locals").bootstrap_role_arn).toBe("arn:aws:iam::${local.account_id}:role/OrganizationAccountAccessRole");
    for (const rel of files(boot)) expect(parse(rel).variable, `terraform/${rel} declares variables`).toBeUndefined();
  });

  it("adds, besides its facts and values, nothing another environment does not have", () => {
    // One more environment is one more folder: everything but the facts (environment.tf),
    // the values (main.tf) and the literals backend blocks need is the same file everywhere.
    for (const [root, peer] of [[dir, "envs/dev"], [`bootstrap/${env}`, "bootstrap/dev"]] as const) {
      const names = readdirSync(path.join(TF_ROOT, root)).filter((name) => name.endsWith(".tf")).sort();
      expect(names, root).toEqual(readdirSync(path.join(TF_ROOT, peer)).filter((name) => name.endsWith(".tf")).sort());
      for (const name of names.filter((n) => !["environment.tf", "main.tf", "backend.tf"].includes(n))) {
        const text = (rel: string) => readFileSync(path.join(TF_ROOT, rel), "utf8").replaceAll(`/${env}`, "/<env>").replaceAll("/dev", "/<env>");
        expect(text(`${root}/${name}`), `terraform/${root}/${name} differs from terraform/${peer}/${name}`).toBe(text(`${peer}/${name}`));
      }
    }
  });
});

describe("terraform fmt", () => {
  // terraform is installed wherever these tests run (see README); its absence is a failure here.
  it("reports nothing to reformat under terraform/", () => {
    let output = "";
    let status = 0;
    try {
      execFileSync("terraform", ["fmt", "-check", "-recursive", "terraform"], { cwd: REPO_ROOT, stdio: "pipe", encoding: "utf8" });
    } catch (error) {
      const failed = error as { status?: number; stdout?: string };
      status = failed.status ?? 1;
      output = failed.stdout ?? "";
    }
    expect(status, `terraform fmt -check -recursive terraform would rewrite:\n${output}`).toBe(0);
  });
});

/** HCL files under terraform/<dir>/, relative to terraform/. */
function files(dir: string): string[] {
  return hclFiles().filter((rel) => rel.startsWith(`${dir}/`));
}
