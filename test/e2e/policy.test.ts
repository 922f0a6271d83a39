import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Manifest } from "../../src/bundle/manifest.js";
import type { PolicyResult } from "../../src/workflow/policy.js";
import type { GateResult } from "../../src/workflow/gate.js";
import { commitChanges, copyFixture, fixtureWithLedgerKeys, readJson, runInfra, stateAddresses } from "../helpers.js";
import { applyEdits, copyPolicyTree, lineIn } from "../policy-helpers.js";

const env = { ...process.env, TF_VAR_db_password: "not-a-real-password" };

/** The sensitive fixture (terraform_data, local backend) with prod placed in eu-central-1. */
async function prodInTheWrongRegion(): Promise<string> {
  return fixtureWithLedgerKeys("sensitive", ["dev", "prod"], (root) => applyEdits(root, [{ file: "envs/prod/environment.tf", from: '"us-east-2"', to: '"eu-central-1"' }]));
}

describe("infra policy --list", () => {
  it("prints every rule with its rationale and promise", async () => {
    const run = await runInfra(["policy", "--list"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("eks-public-endpoint (error; hcl + plan; checkov CKV_AWS_39)");
    expect(run.stdout).toContain("promise: Clusters reachable only inside the cloud network.");
    expect(run.stdout).toContain("destruction-protected (error; plan)");
  });

  it("lists them as JSON", async () => {
    const run = await runInfra(["policy", "--list", "--json"]);
    const { rules } = JSON.parse(run.stdout) as { rules: Array<{ id: string; rationale: string; promise: string; runsOn: string[] }> };
    expect(rules.length).toBeGreaterThanOrEqual(30);
    expect(rules.find((rule) => rule.id === "region-provider")).toMatchObject({ runsOn: ["hcl"], promise: expect.stringContaining("us-east-2") });
  });

  it("lists the rule over the org stack's service control policies", async () => {
    const run = await runInfra(["policy", "--list", "--json"]);
    const { rules } = JSON.parse(run.stdout) as { rules: Array<{ id: string; runsOn: string[]; promise: string }> };
    expect(rules.find((rule) => rule.id === "org-guard-rails")).toMatchObject({ runsOn: ["org"], promise: expect.stringContaining("us-east-2") });
  });

  it("is a usage error without --env or --list", async () => {
    const run = await runInfra(["policy"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("infra policy needs --env E, --org or --list");
  });
});

describe("infra policy --org", () => {
  it("passes the org stack as it ships and names file and line of the deploy role exempted from a guard rail", async () => {
    const root = await copyPolicyTree();
    const passing = await runInfra(["policy", "--org", "--root", root, "--json"]);
    expect(passing.code, passing.stderr).toBe(0);
    expect(JSON.parse(passing.stdout) as PolicyResult).toMatchObject({ env: "org", status: "passed", findings: [] });

    const exempted = '"aws:PrincipalArn" = [local.organization_admin_role, local.deploy_role] } }\n      },\n      {\n        Sid      = "DenyLeavingTheOrganization"';
    await applyEdits(root, [
      { file: "org/main.tf", from: '"aws:PrincipalArn" = local.organization_admin_role } }\n      },\n      {\n        Sid      = "DenyLeavingTheOrganization"', to: exempted },
    ]);
    const failing = await runInfra(["policy", "--org", "--root", root]);
    expect(failing.code).toBe(1);
    const line = await lineIn(root, "org/main.tf", exempted);
    expect(failing.stdout).toContain(`[org-guard-rails] guard-rail statement DenyLongLivedAccessKeys exempts arn:aws:iam::*:role/infra-deploy (aws:PrincipalArn)`);
    expect(failing.stdout).toContain(`(org/main.tf line ${line})`);
  });

  it("takes neither --env nor --plan", async () => {
    const run = await runInfra(["policy", "--org", "--env", "dev"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("infra policy --org takes neither --env nor --plan");
  });
});

describe("infra policy --env", () => {
  it("passes on a copy of the real tree and fails with file and line when one property breaks", async () => {
    const root = await copyPolicyTree();
    const passing = await runInfra(["policy", "--env", "prod", "--root", root, "--json"]);
    expect(passing.code, passing.stderr).toBe(0);
    expect((JSON.parse(passing.stdout) as PolicyResult).status).toBe("passed");

    await applyEdits(root, [{ file: "modules/ecr/main.tf", from: 'image_tag_mutability = "IMMUTABLE"', to: 'image_tag_mutability = "MUTABLE"' }]);
    const failing = await runInfra(["policy", "--env", "prod", "--root", root]);
    expect(failing.code).toBe(1);
    const line = await lineIn(root, "modules/ecr/main.tf", 'image_tag_mutability = "MUTABLE"');
    expect(failing.stdout).toContain(
      `error   [ecr-immutable-tags] module.platform.module.ecr.aws_ecr_repository.this has image_tag_mutability = "MUTABLE"; set it to "IMMUTABLE" (modules/ecr/main.tf line ${line})`,
    );
    expect(failing.stdout).toContain("policy FAILED: 1 error(s)");
  });

  it("names the file and line of invalid HCL in a module the environment calls", async () => {
    const root = await copyPolicyTree();
    await writeFile(path.join(root, "modules", "ecr", "broken.tf"), 'resource "aws_ecr_repository" "x" {\n  name = \n}\n');
    const run = await runInfra(["policy", "--env", "dev", "--root", root]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`invalid HCL in ${path.join(root, "modules", "ecr", "broken.tf")} line 2`);
  });

  it("runs the plan rules on a plan JSON file with --plan, and takes --allow-destroy", async () => {
    const root = await copyPolicyTree();
    const planFile = path.join(root, "..", "plan.json");
    const address = "module.platform.module.ecr.aws_ecr_repository.this";
    await writeFile(
      planFile,
      JSON.stringify({
        format_version: "1.2",
        resource_changes: [{ address, module_address: "module.platform.module.ecr", mode: "managed", type: "aws_ecr_repository", name: "this", change: { actions: ["delete"], before: {}, after: null } }],
      }),
    );
    const refused = await runInfra(["policy", "--env", "dev", "--root", root, "--plan", planFile, "--json"]);
    expect(refused.code).toBe(1);
    expect((JSON.parse(refused.stdout) as PolicyResult).findings).toEqual([expect.objectContaining({ rule: "destruction-protected", address, source: "plan" })]);
    const allowed = await runInfra(["policy", "--env", "dev", "--root", root, "--plan", planFile, "--allow-destroy", address]);
    expect(allowed.code, allowed.stdout).toBe(0);
  });

  it("refuses a --plan that is not a plan JSON, naming it", async () => {
    const root = await copyPolicyTree();
    const notPlan = path.join(root, "..", "page.html");
    await writeFile(notPlan, "<html>`not json`</html>");
    const run = await runInfra(["policy", "--env", "dev", "--root", root, "--plan", notPlan]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${notPlan} is not valid JSON`);
  });
});

describe("infra plan and apply with a policy error", () => {
  it("writes the bundle marked failed, shows why in summary.md, and apply refuses it", async () => {
    const root = await prodInTheWrongRegion();
    const bundle = path.join(root, "..", "artifacts", "prod");
    const plan = await runInfra(["plan", "--offline", "--env", "prod", "--root", root, "--out", bundle], { env });
    expect(plan.code, plan.stderr).toBe(1);
    expect(plan.stdout).toContain("(marked failed: written for review, apply will refuse it)");
    const manifest = await readJson<Manifest>(path.join(bundle, "manifest.json"));
    expect(manifest.policy).toEqual({ status: "failed", errors: 1, warnings: 0, waivers: [] });
    expect(manifest.findings).toEqual([expect.objectContaining({ rule: "region-promise", severity: "error", line: 3, source: "hcl" })]);
    expect(await readFile(path.join(bundle, "summary.md"), "utf8")).toContain("#### Policy: **FAILED** - apply will refuse this bundle");

    const apply = await runInfra(["apply", "--offline", "--env", "prod", "--root", root, "--plan", bundle, "--approve", manifest.planDigest.slice(0, 12)], { env });
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain("policy gate refused: policy fails for the plan to apply (1 error(s)):");
    expect(apply.stderr).toContain("region-promise");
    expect(await stateAddresses(path.join(root, "envs", "prod"))).toEqual([]);

    // Fixed in the working tree but not committed: the commit the plan came from still breaks the promise.
    await applyEdits(root, [{ file: "envs/prod/environment.tf", from: '"eu-central-1"', to: '"us-east-2"' }]);
    const gate = await runInfra(["gate", "--offline", "--env", "prod", "--root", root, "--plan", bundle, "--json", "--quiet"], { env });
    const decisions = (JSON.parse(gate.stdout) as GateResult).decisions;
    expect(decisions.find((decision) => decision.gate === "policy")).toMatchObject({ allowed: false, reason: expect.stringContaining("region-promise") });
  });

  it("plans and applies once a waiver with a reason and an expiry covers the finding, listing it in manifest and summary", async () => {
    const root = await prodInTheWrongRegion();
    const waiver = { rule: "region-promise", path: "envs/prod/environment.tf", reason: "region move rehearsal", expires: "2999-12-31" };
    await writeFile(path.join(root, "policy-waivers.json"), JSON.stringify({ waivers: [waiver] }));
    commitChanges(root, "waiver");
    // prod is promoted from dev: the same commit goes through dev first.
    const devBundle = path.join(root, "..", "artifacts", "dev");
    expect((await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", devBundle], { env })).code).toBe(0);
    expect((await runInfra(["apply", "--offline", "--env", "dev", "--root", root, "--plan", devBundle], { env })).code).toBe(0);
    const bundle = path.join(root, "..", "artifacts", "prod");
    const plan = await runInfra(["plan", "--offline", "--env", "prod", "--root", root, "--out", bundle], { env });
    expect(plan.code, plan.stderr).toBe(0);
    const manifest = await readJson<Manifest>(path.join(bundle, "manifest.json"));
    expect(manifest.policy).toEqual({ status: "passed", errors: 0, warnings: 0, waivers: [{ ...waiver, covered: 1 }] });
    expect(await readFile(path.join(bundle, "summary.md"), "utf8")).toContain("region move rehearsal");
    const review = await runInfra(["review", bundle]);
    expect(review.stdout).toContain("waived  [region-promise]");
    expect(review.stdout).toContain("waiver  region-promise on envs/prod/environment.tf until 2999-12-31: region move rehearsal");
    const apply = await runInfra(["apply", "--offline", "--env", "prod", "--root", root, "--plan", bundle, "--approve", manifest.planDigest.slice(0, 12)], { env });
    expect(apply.code, apply.stderr).toBe(0);
  });

  it("fails the plan when the waiver has expired", async () => {
    const root = await prodInTheWrongRegion();
    await writeFile(
      path.join(root, "policy-waivers.json"),
      JSON.stringify({ waivers: [{ rule: "region-promise", path: "envs/prod/environment.tf", reason: "old", expires: "2001-01-01" }] }),
    );
    commitChanges(root, "expired waiver");
    const plan = await runInfra(["plan", "--offline", "--env", "prod", "--root", root, "--out", path.join(root, "..", "b"), "--json"], { env });
    expect(plan.code).toBe(1);
    const { manifest } = JSON.parse(plan.stdout) as { manifest: Manifest };
    expect(manifest.findings.map((finding) => finding.rule).sort()).toEqual(["region-promise", "waiver-valid"]);
  });
});
