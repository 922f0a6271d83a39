import { execFile } from "node:child_process";
import { cp, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluatePlan } from "../../src/policy/index.js";
import type { PlanJson } from "../../src/review/plan-json.js";
import { FIXTURES, tempDir } from "../helpers.js";
import { applyEdits, type Edit } from "../policy-helpers.js";

const run = promisify(execFile);
const MIRROR = "/opt/tf-plugins";
const PROVIDER = path.join(MIRROR, "registry.terraform.io", "hashicorp", "aws", "5.100.0");
const ENVIRONMENT = { name: "dev", region: "eu-central-1", accountId: "123456789012" };

/**
 * The plan rules on plans the real terraform makes with the real AWS provider (from the local
 * filesystem mirror), offline: test/fixtures/policy-aws keeps every promise; each case breaks
 * one property and must fail exactly its rule. Credentials are dummies: nothing reaches AWS.
 */
const CASES: Array<[rule: string, what: string, edits: Edit[]]> = [
  ["eks-public-endpoint", "the EKS public endpoint on", [{ file: "main.tf", from: "endpoint_public_access  = false", to: "endpoint_public_access  = true" }]],
  [
    "no-replication",
    "an ECR replication rule",
    [{ file: "main.tf", from: /$/, to: '\nresource "aws_ecr_replication_configuration" "this" {\n  replication_configuration {\n    rule {\n      destination {\n        region      = "us-east-2"\n        registry_id = "123456789012"\n      }\n    }\n  }\n}\n' }],
  ],
  ["network-flow-logs", "the flow log removed", [{ file: "main.tf", from: /resource "aws_flow_log" "this" \{[\s\S]*?\n\}\n/, to: "" }]],
  ["network-open-ingress", "endpoints open to the internet", [{ file: "main.tf", from: 'cidr_ipv4         = "10.10.0.0/16"', to: 'cidr_ipv4         = "0.0.0.0/0"' }]],
  ["region-resources", "the provider in another region", [{ file: "main.tf", from: 'region                      = "eu-central-1"', to: 'region                      = "eu-west-1"' }]],
];

describe("the plan rules on plans real terraform makes with the AWS provider", () => {
  let available = false;
  let workspace = "";
  let terraformEnv: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    available = (await stat(PROVIDER).catch(() => undefined))?.isDirectory() ?? false;
    if (!available) return;
    workspace = await tempDir("policy-aws");
    await cp(path.join(FIXTURES, "policy-aws"), workspace, { recursive: true });
    await writeFile(path.join(workspace, "cli.tfrc"), `provider_installation {\n  filesystem_mirror {\n    path = "${MIRROR}"\n  }\n}\n`);
    terraformEnv = {
      ...process.env,
      TF_CLI_CONFIG_FILE: path.join(workspace, "cli.tfrc"),
      TF_IN_AUTOMATION: "1",
      AWS_ACCESS_KEY_ID: "dummy-offline-test",
      AWS_SECRET_ACCESS_KEY: "dummy-offline-test",
    };
    await run("terraform", ["init", "-input=false", "-no-color"], { cwd: workspace, env: terraformEnv });
  }, 300_000);

  async function planOf(edits: Edit[]): Promise<PlanJson> {
    const original = await readFile(path.join(workspace, "main.tf"), "utf8");
    try {
      await applyEdits(workspace, edits);
      await run("terraform", ["plan", "-input=false", "-no-color", "-out=tfplan"], { cwd: workspace, env: terraformEnv, maxBuffer: 1 << 26 });
      const { stdout } = await run("terraform", ["show", "-json", "tfplan"], { cwd: workspace, env: terraformEnv, maxBuffer: 1 << 28 });
      return JSON.parse(stdout) as PlanJson;
    } finally {
      await writeFile(path.join(workspace, "main.tf"), original);
    }
  }

  function skipUnlessMirror(context: { skip: () => void }): boolean {
    if (available) return false;
    console.log(`skipped: the hashicorp/aws 5.100.0 filesystem mirror is not at ${PROVIDER}`);
    context.skip();
    return true;
  }

  it("finds nothing in the fixture's plan", async (context) => {
    if (skipUnlessMirror(context)) return;
    const plan = await planOf([]);
    expect(plan.resource_changes?.length).toBeGreaterThan(10);
    expect(evaluatePlan({ plan, environment: ENVIRONMENT })).toEqual([]);
  }, 300_000);

  it.for(CASES)("fails exactly %s when %s", { timeout: 300_000 }, async ([rule, , edits], context) => {
    if (skipUnlessMirror(context)) return;
    const findings = evaluatePlan({ plan: await planOf(edits), environment: ENVIRONMENT });
    expect([...new Set(findings.map((finding) => finding.rule))]).toEqual([rule]);
    expect(findings.every((finding) => finding.source === "plan")).toBe(true);
  });
});
