import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKEND_OVERRIDE, bootstrapSteps, describeStep, firstTimeOrder } from "../../scripts/bootstrap.js";
import { FIRST_RUN_BACKEND } from "../../src/first-run-backend.js";
import { fakeStsEnv, startFakeSts, type FakeSts } from "../fake-sts.js";
import { commitChanges, copyFixture, REPO_ROOT, skipBecause, stateAddresses } from "../helpers.js";

const SCRIPT = path.join(REPO_ROOT, "scripts", "bootstrap.ts");

/** Runs the script; `answer` gives what the person types at the approval prompt, once it is asked. */
function runScript(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; answer?: () => string | Promise<string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("npx", ["tsx", SCRIPT, ...args], { cwd: REPO_ROOT, env: { ...(options.env ?? process.env), FORCE_COLOR: "0" } });
    let stdout = "";
    let stderr = "";
    let asked = false;
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (asked || !stderr.includes("press Enter to stop")) return;
      asked = true;
      void Promise.resolve(options.answer?.() ?? "").then((line) => child.stdin.end(`${line}\n`));
    });
    if (!options.answer) child.stdin.end();
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("bootstrap order", () => {
  it("plans a first run on infra's local backend override, applies it through the gates with a typed digest, then moves the state into the bucket it created", () => {
    const steps = bootstrapSteps({ firstRun: true }).map((step) => describeStep(step, "dev"));
    expect(steps).toEqual([
      `write ${BACKEND_OVERRIDE} (local backend: the state bucket does not exist yet)`,
      "infra plan --stack bootstrap/dev --out artifacts/bootstrap/dev (prints the review)",
      "you type the first 12 hex of the plan digest the review printed, or nothing to stop",
      "infra apply --stack bootstrap/dev --plan artifacts/bootstrap/dev --approve <digest> (every gate decides first)",
      `remove ${BACKEND_OVERRIDE} (the S3 backend of backend.tf applies again)`,
      "terraform init -input=false -migrate-state -force-copy",
      "remove the local terraform.tfstate (its content now lives in the state bucket)",
    ]);
  });

  it("runs later bootstraps on the S3 backend, through the same plan, typed digest and gates", () => {
    expect(bootstrapSteps({ firstRun: false }).map((step) => step.kind)).toEqual(["plan", "approve", "apply"]);
  });

  it("bootstraps the management account and the organization before any environment, and plans last", () => {
    const order = firstTimeOrder(["dev", "staging", "prod"]);
    const at = (text: string) => order.findIndex((line) => line.includes(text));
    expect(at("bootstrap.ts org")).toBe(0);
    expect(at("infra plan --stack org")).toBe(1);
    expect(at("bootstrap.ts dev")).toBeGreaterThan(at("account ids"));
    expect(at("bootstrap.ts staging")).toBeLessThan(at("infra plan --env dev"));
  });

  it("creates the log archive's evidence (trail, Object Lock bucket) once terraform/org has made its account and its id is copied in", () => {
    const order = firstTimeOrder(["dev"]);
    const at = (text: string) => order.findIndex((line) => line.includes(text));
    expect(at("output log_archive_account_id")).toBeGreaterThan(at("infra plan --stack org"));
    expect(at("infra plan --stack log-archive")).toBe(at("output log_archive_account_id") + 1);
    expect(at("infra plan --stack log-archive")).toBeLessThan(at("bootstrap.ts dev"));
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
    expect(run.stdout).toContain("2. infra plan --stack bootstrap/staging");
    expect(run.stdout).toContain("6. terraform init -input=false -migrate-state -force-copy");
    expect(existsSync(path.join(REPO_ROOT, "terraform", "bootstrap", "staging", BACKEND_OVERRIDE))).toBe(false);
  });

  it("refuses a stack whose account id is still the placeholder, before anything is written or run", async () => {
    const root = await accountStackTree();
    const facts = path.join(root, "envs", "dev", "environment.tf");
    await writeFile(facts, (await readFile(facts, "utf8")).replace(ACCOUNT, "111111111111"));
    const run = await runScript(["dev", "--first-run", "--root", root]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('environment "dev" still has the placeholder account id 111111111111');
    expect(existsSync(path.join(root, "bootstrap", "dev", BACKEND_OVERRIDE))).toBe(false);
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
    expect(run.stdout).toContain("npx infra plan --stack org");
  });
});

/**
 * The script end to end on a stack of terraform's built-in provider, against a local STS: the
 * committed backend is a local file elsewhere (standing for the S3 bucket), so the migration of
 * the first run's state is terraform's real `init -migrate-state`.
 */
describe("scripts/bootstrap.ts through infra's gates", () => {
  let sts: FakeSts;
  beforeAll(async () => {
    sts = await startFakeSts({ principals: { AKIAADMIN: { account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/OrganizationAccountAccessRole/admin` } } });
  });
  afterAll(() => sts.close());

  it("stops with nothing applied when no digest is typed, resumes, applies the reviewed bundle and moves the state; a later run goes through the same gates", async () => {
    const root = await accountStackTree();
    const stackDir = path.join(root, "bootstrap", "dev");
    const bundle = path.join(root, "..", "artifacts", "bootstrap", "dev");
    const env = fakeStsEnv(sts, "AKIAADMIN", process.env);

    const stopped = await runScript(["dev", "--first-run", "--root", root], { env, answer: () => "" });
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain("nothing was applied to bootstrap/dev: no approval was typed");
    expect(await stateAddresses(stackDir)).toEqual([]);
    expect(await readFile(path.join(stackDir, BACKEND_OVERRIDE), "utf8")).toBe(FIRST_RUN_BACKEND);

    const digest = async () => (JSON.parse(await readFile(path.join(bundle, "manifest.json"), "utf8")) as { planDigest: string }).planDigest.slice(0, 12);
    const first = await runScript(["dev", "--first-run", "--root", root], { env, answer: digest });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("resuming an earlier first run of bootstrap/dev");
    expect(first.stderr).toContain("passed  approval: approved by a person");
    expect(existsSync(path.join(stackDir, BACKEND_OVERRIDE))).toBe(false);
    expect(existsSync(path.join(stackDir, "terraform.tfstate"))).toBe(false);
    expect(await stateAddresses(path.join(stackDir, "migrated"))).toEqual(["terraform_data.deploy_role", "terraform_data.state_bucket"]);
    expect(JSON.parse(await readFile(path.join(bundle, "receipt.json"), "utf8"))).toMatchObject({ stack: "bootstrap/dev", outcome: "applied", approval: { by: "person" } });

    const wrongDigest = await runScript(["dev", "--root", root], { env, answer: () => "000000000000" });
    expect(wrongDigest.code).toBe(1);
    expect(wrongDigest.stderr).toContain("approval gate refused: --approve 000000000000 approves another plan");

    const later = await runScript(["dev", "--root", root], { env, answer: digest });
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toContain("No changes.");
    expect(JSON.parse(await readFile(path.join(bundle, "receipt.json"), "utf8"))).toMatchObject({ outcome: "applied" });
  });
});

const ACCOUNT = "111122223333";

describe("scripts/bootstrap.ts at a terminal", () => {
  let sts: FakeSts;
  beforeAll(async () => {
    sts = await startFakeSts({ principals: { AKIAADMIN: { account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/OrganizationAccountAccessRole/admin` } } });
  });
  afterAll(() => sts.close());

  it("stops at Ctrl-C in the approval prompt with exit 130 and nothing applied", async (context) => {
    if (!existsSync("/usr/bin/script")) skipBecause(context, "util-linux `script` is not installed: no pseudo-terminal to press Ctrl-C in");
    const root = await accountStackTree();
    const command = ["npx", "tsx", SCRIPT, "dev", "--first-run", "--root", root].map((word) => `'${word}'`).join(" ");
    const child = spawn("/usr/bin/script", ["--quiet", "--return", "--command", command, "/dev/null"], {
      cwd: REPO_ROOT,
      env: { ...fakeStsEnv(sts, "AKIAADMIN", process.env), FORCE_COLOR: "0" },
    });
    let output = "";
    let pressed = false;
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (pressed || !output.includes("press Enter to stop")) return;
      pressed = true;
      child.stdin.write("\x03");
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(output).toContain("interrupted at the approval prompt: nothing was applied");
    expect(code).toBe(130);
    expect(await stateAddresses(path.join(root, "bootstrap", "dev"))).toEqual([]);
  });

  it("waits for infra when Ctrl-C comes during the apply: terraform stops cleanly, the receipt says interrupted, the first run stays resumable", async (context) => {
    if (!existsSync("/usr/bin/script")) skipBecause(context, "util-linux `script` is not installed: no pseudo-terminal to press Ctrl-C in");
    const root = await accountStackTree({ slowApply: true });
    const bundle = path.join(root, "..", "artifacts", "bootstrap", "dev");
    const command = ["npx", "tsx", SCRIPT, "dev", "--first-run", "--root", root].map((word) => `'${word}'`).join(" ");
    const child = spawn("/usr/bin/script", ["--quiet", "--return", "--command", command, "/dev/null"], {
      cwd: REPO_ROOT,
      env: { ...fakeStsEnv(sts, "AKIAADMIN", process.env), FORCE_COLOR: "0" },
    });
    let output = "";
    let stage: "plan" | "approved" | "pressed" = "plan";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (stage === "plan" && output.includes("press Enter to stop")) {
        stage = "approved";
        void readFile(path.join(bundle, "manifest.json"), "utf8").then((text) => child.stdin.write(`${(JSON.parse(text) as { planDigest: string }).planDigest.slice(0, 12)}\r`));
      } else if (stage === "approved" && output.includes("terraform_data.slow: Provisioning with 'local-exec'")) {
        stage = "pressed";
        child.stdin.write("\x03");
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stage).toBe("pressed");
    expect(output).toContain("interrupted: the step above stopped cleanly; nothing after it ran");
    expect(code).toBe(130);
    expect(JSON.parse(await readFile(path.join(bundle, "receipt.json"), "utf8"))).toMatchObject({ stack: "bootstrap/dev", outcome: "interrupted" });
    expect(await readFile(path.join(root, "bootstrap", "dev", BACKEND_OVERRIDE), "utf8")).toBe(FIRST_RUN_BACKEND);
  });
});

/** The account-stack fixture with its bootstrap stack linked to its facts and its committed backend a local file elsewhere. */
async function accountStackTree(options: { slowApply?: boolean } = {}): Promise<string> {
  const root = await copyFixture("account-stack");
  const stackDir = path.join(root, "bootstrap", "dev");
  if (options.slowApply) {
    await writeFile(path.join(stackDir, "slow.tf"), 'resource "terraform_data" "slow" {\n  provisioner "local-exec" {\n    command = "sleep 30"\n  }\n}\n');
  }
  await symlink("../../envs/dev/environment.tf", path.join(stackDir, "environment.tf"));
  await writeFile(path.join(stackDir, "backend.tf"), 'terraform {\n  backend "local" {\n    path = "migrated/terraform.tfstate"\n  }\n}\n');
  commitChanges(root, "a bootstrap stack whose bucket is a local file");
  return root;
}
