import { execFile } from "node:child_process";
import { appendFile, cp, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluatePlan, type Finding } from "../../src/policy/index.js";
import type { PlanJson } from "../../src/review/plan-json.js";
import { FIXTURES, tempDir } from "../helpers.js";
import { applyEdits, type Edit } from "../policy-helpers.js";

const run = promisify(execFile);
const MIRROR = "/opt/tf-plugins";
const PROVIDER = path.join(MIRROR, "registry.terraform.io", "hashicorp", "aws", "5.100.0");
const ENVIRONMENT = { name: "dev", region: "eu-central-1", accountId: "123456789012" };
const MODULE = "modules/platform/main.tf";

/**
 * The plan rules on a plan the real terraform makes with the real AWS provider (from the local
 * filesystem mirror), offline. test/fixtures/policy-aws calls modules/platform, which keeps every
 * promise; each case is a copy of that module with one property broken, called beside it, and
 * must fail exactly its rule. One plan holds them all (a plan per case costs a provider start
 * each). Credentials are dummies: nothing reaches AWS.
 */
const CASES: Array<[name: string, rule: string, edits: Edit[]]> = [
  ["public_endpoint", "eks-public-endpoint", [{ file: MODULE, from: "endpoint_public_access  = false", to: "endpoint_public_access  = true" }]],
  [
    "replication",
    "no-replication",
    [{ file: MODULE, from: /$/, to: '\nresource "aws_ecr_replication_configuration" "this" {\n  replication_configuration {\n    rule {\n      destination {\n        region      = "us-east-2"\n        registry_id = "123456789012"\n      }\n    }\n  }\n}\n' }],
  ],
  ["no_flow_log", "network-flow-logs", [{ file: MODULE, from: /resource "aws_flow_log" "this" \{[\s\S]*?\n\}\n/, to: "" }]],
  ["open_ingress", "network-open-ingress", [{ file: MODULE, from: 'cidr_ipv4         = "10.10.0.0/16"', to: 'cidr_ipv4         = "0.0.0.0/0"' }]],
  ["short_logs", "eks-log-retention", [{ file: MODULE, from: 'name              = "/aws/eks/infra-dev/cluster"\n  retention_in_days = 365', to: 'name              = "/aws/eks/infra-dev/cluster"\n  retention_in_days = 30' }]],
  ["mutable_tags", "ecr-immutable-tags", [{ file: MODULE, from: '"IMMUTABLE"', to: '"MUTABLE"' }]],
];

describe("the plan rules on a plan real terraform makes with the AWS provider", () => {
  let plan: PlanJson | undefined;
  let findings: Finding[] = [];

  beforeAll(async () => {
    if (!(await stat(PROVIDER).catch(() => undefined))?.isDirectory()) return;
    const workspace = await tempDir("policy-aws");
    await cp(path.join(FIXTURES, "policy-aws"), workspace, { recursive: true });
    for (const [name, , edits] of CASES) {
      await cp(path.join(workspace, "modules", "platform"), path.join(workspace, "modules", name), { recursive: true });
      await applyEdits(workspace, edits.map((edit) => ({ ...edit, file: edit.file.replace("platform", name) })));
      await appendFile(path.join(workspace, "main.tf"), `\nmodule "${name}" {\n  source = "./modules/${name}"\n}\n`);
    }
    // The promised region is eu-central-1: a module given a provider for another region breaks it.
    await appendFile(
      path.join(workspace, "main.tf"),
      '\nprovider "aws" {\n  alias                       = "elsewhere"\n  region                      = "eu-west-1"\n  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n  skip_metadata_api_check     = true\n}\n\nmodule "elsewhere" {\n  source    = "./modules/platform"\n  providers = { aws = aws.elsewhere }\n}\n',
    );
    await writeFile(path.join(workspace, "cli.tfrc"), `provider_installation {\n  filesystem_mirror {\n    path = "${MIRROR}"\n  }\n}\n`);
    const env = {
      ...process.env,
      TF_CLI_CONFIG_FILE: path.join(workspace, "cli.tfrc"),
      TF_IN_AUTOMATION: "1",
      AWS_ACCESS_KEY_ID: "dummy-offline-test",
      AWS_SECRET_ACCESS_KEY: "dummy-offline-test",
    };
    const options = { cwd: workspace, env, maxBuffer: 1 << 28 };
    await run("terraform", ["init", "-input=false", "-no-color"], options);
    await run("terraform", ["plan", "-input=false", "-no-color", "-out=tfplan"], options);
    plan = JSON.parse((await run("terraform", ["show", "-json", "tfplan"], options)).stdout) as PlanJson;
    findings = evaluatePlan({ plan, environment: ENVIRONMENT });
  }, 600_000);

  function requirePlan(context: { skip: () => void }): PlanJson | undefined {
    if (!plan) {
      console.log(`skipped: the hashicorp/aws 5.100.0 filesystem mirror is not at ${PROVIDER}`);
      context.skip();
    }
    return plan;
  }

  function rulesUnder(module: string): string[] {
    return [...new Set(findings.filter((finding) => finding.address?.startsWith(`module.${module}.`)).map((finding) => finding.rule))];
  }

  it("finds nothing in the module that keeps every promise", (context) => {
    const planned = requirePlan(context);
    expect(planned?.resource_changes?.filter((change) => change.address.startsWith("module.compliant.")).length).toBeGreaterThan(10);
    expect(rulesUnder("compliant")).toEqual([]);
  });

  it.for(CASES)("fails exactly %s's rule (%s) on its broken copy", ([name, rule], context) => {
    requirePlan(context);
    expect(rulesUnder(name)).toEqual([rule]);
    expect(findings.filter((finding) => finding.address?.startsWith(`module.${name}.`)).every((finding) => finding.source === "plan")).toBe(true);
  });

  it("fails region-resources for the provider configured for another region, and nothing else is found", (context) => {
    requirePlan(context);
    const unplaced = findings.filter((finding) => !CASES.some(([name]) => finding.address?.startsWith(`module.${name}.`)));
    expect(unplaced.map((finding) => [finding.rule, finding.message])).toEqual([
      ["region-resources", "provider aws.elsewhere in the plan points at eu-west-1, outside dev's eu-central-1"],
    ]);
  });
});
