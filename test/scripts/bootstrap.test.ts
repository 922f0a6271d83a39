import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BACKEND_OVERRIDE, bootstrapSteps, describeStep, firstTimeOrder } from "../../scripts/bootstrap.js";
import { REPO_ROOT } from "../helpers.js";

const SCRIPT = path.join(REPO_ROOT, "scripts", "bootstrap.ts");

function runScript(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("npx", ["tsx", SCRIPT, ...args], { cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: "0" } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe("bootstrap order", () => {
  it("applies a first run on a local backend, then moves the state into the bucket it created", () => {
    const steps = bootstrapSteps({ firstRun: true, autoApprove: false }).map(describeStep);
    expect(steps).toEqual([
      `write ${BACKEND_OVERRIDE} (local backend: the state bucket does not exist yet)`,
      "terraform init -input=false -reconfigure",
      "terraform apply -input=false",
      `remove ${BACKEND_OVERRIDE} (the S3 backend of backend.tf applies again)`,
      "terraform init -input=false -migrate-state -force-copy",
      "remove the local terraform.tfstate (its content now lives in the state bucket)",
    ]);
  });

  it("runs later bootstraps on the S3 backend, approving only when asked", () => {
    expect(bootstrapSteps({ firstRun: false, autoApprove: true }).map(describeStep)).toEqual([
      "terraform init -input=false",
      "terraform apply -input=false -auto-approve",
    ]);
  });

  it("bootstraps the management account and the organization before any environment, and plans last", () => {
    const order = firstTimeOrder(["dev", "staging", "prod"]);
    const at = (text: string) => order.findIndex((line) => line.includes(text));
    expect(at("bootstrap.ts org")).toBe(0);
    expect(at("terraform/org")).toBe(1);
    expect(at("bootstrap.ts dev")).toBeGreaterThan(at("account ids"));
    expect(at("bootstrap.ts staging")).toBeLessThan(at("infra plan --env dev"));
  });

  it("creates the log archive's evidence (trail, Object Lock bucket) once terraform/org has made its account and its id is copied in", () => {
    const order = firstTimeOrder(["dev"]);
    const at = (text: string) => order.findIndex((line) => line.includes(text));
    expect(at("output log_archive_account_id")).toBeGreaterThan(at("cd terraform/org"));
    expect(at("cd terraform/log-archive")).toBe(at("output log_archive_account_id") + 1);
    expect(at("cd terraform/log-archive")).toBeLessThan(at("bootstrap.ts dev"));
  });

  it("assigns permission sets before the environment stacks name their roles, and commits each ledger key before planning", () => {
    const order = firstTimeOrder(["dev", "prod"]);
    const at = (text: string) => order.findIndex((line) => line.includes(text));
    expect(at("permission sets")).toBeGreaterThan(at("terraform/org"));
    expect(at("permission sets")).toBeLessThan(at("bootstrap.ts dev"));
    for (const env of ["dev", "prod"]) {
      expect(at(`> terraform/envs/${env}/ledger-key.pem`)).toBe(at(`bootstrap.ts ${env}`) + 1);
      expect(at(`> terraform/envs/${env}/ledger-key.pem`)).toBeLessThan(at(`infra plan --env ${env}`));
    }
  });
});

describe("scripts/bootstrap.ts", () => {
  it("prints the steps of a first run without running them", async () => {
    const run = await runScript(["staging", "--first-run", "--dry-run"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("1. write backend_override.tf");
    expect(run.stdout).toContain("5. terraform init -input=false -migrate-state -force-copy");
    expect(existsSync(path.join(REPO_ROOT, "terraform", "bootstrap", "staging", BACKEND_OVERRIDE))).toBe(false);
  });

  it("refuses a stack whose account id is still the placeholder, before terraform runs", async () => {
    const run = await runScript(["dev", "--first-run"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("terraform/bootstrap/dev still has the placeholder account id 111111111111");
    expect(existsSync(path.join(REPO_ROOT, "terraform", "bootstrap", "dev", BACKEND_OVERRIDE))).toBe(false);
  });

  it("names the stacks that exist when given an unknown one, and exits 2", async () => {
    const run = await runScript(["qa"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown bootstrap stack "qa"');
    expect(run.stderr).toContain("dev, org, prod, staging");
  });

  it("lists every environment folder in the first-time order", async () => {
    const run = await runScript(["--order"]);
    expect(run.code, run.stderr).toBe(0);
    for (const env of ["dev", "staging", "prod"]) expect(run.stdout).toContain(`scripts/bootstrap.ts ${env} --first-run`);
  });
});
