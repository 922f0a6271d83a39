import { appendFile, cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../src/workflow/check.js";
import { AWS_MIRROR, awsMirrorEnv, awsMirrorMissing } from "../aws-mirror.js";
import { copyFixture, REPO_ROOT, runInfra, skipBecause, tempDir } from "../helpers.js";

function parse(stdout: string): CheckResult {
  return JSON.parse(stdout) as CheckResult;
}

function statusOf(result: CheckResult, step: string, target: string): string | undefined {
  return result.steps.find((s) => s.step === step && s.target === target)?.status;
}

describe("infra check", () => {
  it("passes fmt, config, policy, init and validate on a clean tree, and skips tflint with the reason", async () => {
    const root = await copyFixture("sensitive");
    const run = await runInfra(["check", "--root", root, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = parse(run.stdout);
    expect(result.ok).toBe(true);
    expect(statusOf(result, "fmt", ".")).toBe("passed");
    for (const target of ["envs/dev", "envs/prod", "modules/database"]) {
      expect(statusOf(result, "init", target), target).toBe("passed");
      expect(statusOf(result, "validate", target), target).toBe("passed");
    }
    expect(statusOf(result, "policy", "envs/prod")).toBe("passed");
    const tflint = result.steps.find((s) => s.step === "tflint");
    // CI images that ship tflint run it for real; this one reports why it could not.
    if (tflint?.status === "skipped") expect(tflint.reason).toBe("tflint is not installed");
  });

  it("runs a module's terraform tests and fails when one fails", async () => {
    const root = await copyFixture("sensitive");
    const passing = parse((await runInfra(["check", "--root", root, "--json", "--quiet"])).stdout);
    expect(statusOf(passing, "test", "modules/database")).toBe("passed");
    const testFile = path.join(root, "modules", "database", "tests", "defaults.tftest.hcl");
    const { readFile } = await import("node:fs/promises");
    await writeFile(testFile, (await readFile(testFile, "utf8")).replace("orders.db.internal", "orders.example.com"));
    const run = await runInfra(["check", "--root", root, "--json", "--quiet"]);
    expect(run.code).toBe(1);
    const failing = parse(run.stdout).steps.find((s) => s.step === "test" && s.target === "modules/database");
    expect(failing?.status).toBe("failed");
    expect(failing?.details?.join("\n")).toContain("the endpoint must stay on the internal domain");
  });

  it("fails under --strict when a step was skipped", async (context) => {
    const root = await copyFixture("sensitive");
    const run = await runInfra(["check", "--root", root, "--strict", "--json", "--quiet"]);
    const result = parse(run.stdout);
    if (!result.steps.some((s) => s.status === "skipped")) {
      skipBecause(context, "every step could run on this machine (tflint installed), so --strict has nothing to turn into a failure");
    }
    expect(run.code).toBe(1);
    expect(result.ok).toBe(false);
  });

  it("checks only the named environment's root with --env", async () => {
    const root = await copyFixture("sensitive");
    const run = await runInfra(["check", "--root", root, "--env", "dev", "--json", "--quiet"]);
    expect(run.code, run.stderr).toBe(0);
    const targets = new Set(parse(run.stdout).steps.map((s) => s.target));
    expect(targets.has("envs/dev")).toBe(true);
    expect(targets.has("envs/prod")).toBe(false);
    expect(targets.has("modules/database")).toBe(true);
  });

  it("names an unknown --env and the environments that exist", async () => {
    const root = await copyFixture("sensitive");
    const run = await runInfra(["check", "--root", root, "--env", "staging"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('unknown environment "staging"');
    expect(run.stderr).toContain("use one of: dev, prod");
  });

  it("lists unformatted files and exits 1", async () => {
    const root = await copyFixture("sensitive");
    await appendFile(path.join(root, "modules", "database", "main.tf"), '\nlocals {\nx=1\n}\n');
    const run = await runInfra(["check", "--root", root]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("failed fmt .: 1 file(s) need formatting");
    expect(run.stdout).toContain("modules/database/main.tf");
    expect(run.stdout).toMatch(/check FAILED: \d+ steps passed, \d+ skipped, 1 failed/);
  });

  it("reports invalid HCL with its file and line", async () => {
    const root = await copyFixture("sensitive");
    const file = path.join(root, "modules", "database", "broken.tf");
    await writeFile(file, 'locals {\n  a = "ok"\n  b = \n}\n');
    const run = await runInfra(["check", "--root", root, "--json", "--quiet"]);
    expect(run.code).toBe(1);
    const config = parse(run.stdout).steps.find((s) => s.step === "config" && s.target === "modules/database");
    expect(config?.status).toBe("failed");
    expect(config?.reason).toContain(`invalid HCL in ${file} line 3`);
  });

  it("fails validate with the file and line terraform names", async () => {
    const root = await copyFixture("sensitive");
    await writeFile(path.join(root, "modules", "database", "outputs.tf"), 'output "x" {\n  value = terraform_data.missing.id\n}\n');
    const run = await runInfra(["check", "--root", root, "--json", "--quiet"]);
    expect(run.code).toBe(1);
    const validate = parse(run.stdout).steps.find((s) => s.step === "validate" && s.target === "modules/database");
    expect(validate?.status).toBe("failed");
    expect(validate?.details?.join("\n")).toContain("modules/database/outputs.tf line 2: Reference to undeclared resource");
  });

  it("fails the policy step for an environment outside its promised region", async () => {
    const root = await copyFixture("sensitive");
    const facts = path.join(root, "envs", "prod", "environment.tf");
    const { readFile } = await import("node:fs/promises");
    await writeFile(facts, (await readFile(facts, "utf8")).replace("us-east-2", "eu-west-1"));
    const run = await runInfra(["check", "--root", root, "--json", "--quiet"]);
    expect(run.code).toBe(1);
    const policy = parse(run.stdout).steps.find((s) => s.step === "policy" && s.target === "envs/prod");
    expect(policy?.status).toBe("failed");
    expect(policy?.details?.[0]).toContain('environment "prod" is in eu-west-1, but the compliance page promises us-east-2');
    expect(policy?.details?.[0]).toMatch(/environment\.tf line 3\)$/);
    // plan still writes the bundle, marked failed, for the reviewer (test/e2e/policy.test.ts)
    const plan = await runInfra(["plan", "--offline", "--env", "prod", "--root", root], { env: { ...process.env, TF_VAR_db_password: "x" } });
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain("policy FAILED");
  });

  it("reports a root whose providers cannot be downloaded as skipped, with the reason", async (context) => {
    const root = await copyFixture("sensitive");
    const dir = path.join(root, "modules", "needs-aws");
    await mkdir(dir);
    await writeFile(
      path.join(dir, "versions.tf"),
      'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = ">= 6.28, < 7.0"\n    }\n  }\n}\n',
    );
    const run = await runInfra(["check", "--root", root, "--json", "--quiet"]);
    const init = parse(run.stdout).steps.find((s) => s.step === "init" && s.target === "modules/needs-aws");
    if (init?.status === "passed") skipBecause(context, "this machine reaches the provider registry, so nothing is skipped");
    expect(init?.status).toBe("skipped");
    expect(init?.reason).toContain("registry unreachable");
    expect(statusOf(parse(run.stdout), "validate", "modules/needs-aws")).toBe("skipped");
    expect(run.code).toBe(0);
  });
});

/**
 * A private copy of the repository's terraform/ tree, its relative links kept relative. With
 * `firstRun`, its placeholders are replaced as README "First-time setup" has an organisation do:
 * real-looking account ids (one per placeholder, so each account stays distinct), root e-mails,
 * Identity Center role suffixes and the repository's owner/name.
 */
async function copyRepositoryTree(options: { firstRun?: boolean } = {}): Promise<string> {
  const root = path.join(await tempDir("real-tree"), "terraform");
  const skip = [`${path.sep}.infra`, `${path.sep}.terraform${path.sep}`];
  await cp(path.join(REPO_ROOT, "terraform"), root, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => !skip.some((part) => `${source}${path.sep}`.includes(part)),
  });
  if (options.firstRun) await fillInFirstRun(root);
  return root;
}

/** Roots and their .tfvars, never module code or tests (whose mock accounts stay mock accounts). */
async function fillInFirstRun(root: string): Promise<void> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && /\.(tf|tfvars)$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !path.relative(root, file).startsWith(`modules${path.sep}`));
  for (const file of files) {
    const text = await readFile(file, "utf8");
    const filled = text
      .replace(/(?<!\d)(\d)\1{11}(?!\d)/g, (id) => `40${id[0]}95${id[0]}27${id[0]}83${id[0]}`)
      .replace(/@example\.com/g, "@infra-operators.eu")
      .replace(/(AWSReservedSSO_[A-Za-z]+_)0{16}/g, "$10a1b2c3d4e5f6a7b")
      .replace(/"example-org\/infra"/g, '"infra-operators/infra"');
    if (filled !== text) await writeFile(file, filled);
  }
}

/** Every directory of the tree that holds .tf files, relative to it. */
async function terraformDirs(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const dirs = entries.filter((entry) => entry.name.endsWith(".tf")).map((entry) => path.relative(root, entry.parentPath));
  return [...new Set(dirs)].filter((dir) => !dir.split(path.sep).some((part) => part.startsWith("."))).sort();
}

async function lockFiles(root: string, dirs: readonly string[]): Promise<Record<string, string | null>> {
  const entries = await Promise.all(dirs.map(async (dir) => [dir, await readFile(path.join(root, dir, ".terraform.lock.hcl"), "utf8").catch(() => null)] as const));
  return Object.fromEntries(entries);
}

describe("infra check on the repository's terraform tree", () => {
  it("validates and tests every module and root against the real hashicorp/aws provider, as the committed locks pin it", async (context) => {
    const missing = awsMirrorMissing();
    if (missing) skipBecause(context, missing);
    const root = await copyRepositoryTree({ firstRun: true });
    const dirs = await terraformDirs(root);
    const roots = dirs.filter((dir) => !dir.startsWith(`modules${path.sep}`));
    const locksBefore = await lockFiles(root, roots);
    for (const dir of roots) expect(locksBefore[dir], `terraform/${dir} commits no .terraform.lock.hcl`).toMatch(/provider "registry.terraform.io\/hashicorp\/aws"/);

    const run = await runInfra(["check", "--root", root, "--json", "--quiet"], { env: await awsMirrorEnv() });
    const result = parse(run.stdout);
    expect(result.steps.filter((s) => s.status === "failed"), run.stderr).toEqual([]);
    for (const dir of dirs) {
      for (const step of ["init", "validate"]) {
        const found = result.steps.find((s) => s.step === step && s.target === dir);
        expect(found?.status, `${step} ${dir}: ${found?.reason ?? ""}`).toBe("passed");
      }
    }
    const tests = result.steps.filter((s) => s.step === "test");
    const suites = dirs.filter((dir) => dir.startsWith(`modules${path.sep}`) || dir === "org" || dir === "log-archive");
    expect(tests.map((s) => s.target).sort()).toEqual(suites);
    let runs = 0;
    for (const step of tests) {
      expect(step.status, step.target).toBe("passed");
      const [, passed] = /^(\d+) passed, 0 failed$/.exec(step.details?.[0] ?? "") ?? [];
      expect(passed, `terraform test in ${step.target} reported ${step.details?.[0]}`).toBeDefined();
      runs += Number(passed);
    }
    expect(await lockFiles(root, roots), "init changed a committed lock file: run terraform init in that root and commit its lock").toEqual(locksBefore);
    expect(run.code).toBe(0);
    process.stderr.write(
      `hashicorp/aws from ${AWS_MIRROR}: ${dirs.length} roots and modules initialised and valid, ` +
        `${tests.length} terraform test suites, ${runs} runs passed, 0 failed\n`,
    );
  }, 1_200_000);

  it("refuses the template's placeholders, naming each file to edit", async (context) => {
    // The template's own values; a checkout whose owner filled them in has none left to refuse
    // (the refusal itself stays tested: findPlaceholders in test/unit/config, plan on test/fixtures/placeholder).
    const devFacts = await readFile(path.join(REPO_ROOT, "terraform", "envs", "dev", "environment.tf"), "utf8");
    if (!/account_id\s*=\s*"(\d)\1{11}"/.test(devFacts)) skipBecause(context, "terraform/envs/dev/environment.tf holds a real account id: this checkout's placeholders are filled in");
    const root = await copyRepositoryTree();
    const run = await runInfra(["check", "--root", root, "--json", "--quiet"]);
    expect(run.code).toBe(1);
    const result = parse(run.stdout);
    const refused = (target: string) => result.steps.find((s) => s.step === "config" && s.target === target);
    for (const env of ["dev", "staging", "prod"]) {
      expect(refused(`envs/${env}`)?.status, `envs/${env}`).toBe("failed");
      expect(refused(`envs/${env}`)?.details?.join("\n")).toContain(`${path.join(root, "envs", env, "environment.tf")}: placeholder account id`);
      expect(refused(`bootstrap/${env}`)?.details?.join("\n")).toContain(`${path.join(root, "bootstrap", env, "main.tf")}: placeholder GitHub repository example-org/infra`);
    }
    expect(refused("org")?.details).toContain(`${path.join(root, "org", "terraform.tfvars")}: placeholder e-mail aws+infra-dev@example.com; set an address someone reads`);
    expect(refused("org")?.details?.join("\n")).toContain(`${path.join(root, "org", "management.tf")}: placeholder account id 000000000000`);
    // the management administrator is written once, in bootstrap/org/administrators.tf, which log-archive links
    for (const dir of ["bootstrap/org", "log-archive"]) {
      expect(refused(dir)?.details?.join("\n"), dir).toContain(`${path.join(root, dir, "administrators.tf")}: placeholder Identity Center role AWSReservedSSO_AdministratorAccess_0000000000000000`);
    }
    expect(refused("org")?.details).toContain(`${path.join(root, "org", "terraform.tfvars")}: placeholder e-mail aws+infra-log-archive@example.com; set an address someone reads`);
    expect(refused("log-archive")?.details?.join("\n")).toContain(`${path.join(root, "log-archive", "log-archive.tf")}: placeholder account id 444444444444`);
    expect(refused("org")?.reason).toContain('README "First-time setup"');
    expect(result.steps.filter((s) => s.status === "failed" && !(s.step === "config" && s.details?.every((d) => d.includes(": placeholder "))))).toEqual([]);
  });

  it("passes fmt, config and policy once the placeholders are filled in, and reports what cannot run offline as skipped with the reason", async () => {
    const root = await copyRepositoryTree({ firstRun: true });
    const run = await runInfra(["check", "--root", root, "--json", "--quiet"]);
    const result = parse(run.stdout);
    expect(statusOf(result, "fmt", ".")).toBe("passed");
    for (const env of ["envs/dev", "envs/staging", "envs/prod"]) {
      expect(statusOf(result, "config", env), env).toBe("passed");
      expect(statusOf(result, "policy", env), env).toBe("passed");
    }
    // the org stack's guard rails and region lock, judged once for every environment
    expect(statusOf(result, "policy", "org")).toBe("passed");
    expect(result.steps.filter((s) => s.status === "failed")).toEqual([]);
    const tflint = result.steps.find((s) => s.step === "tflint" && s.target === "envs/dev");
    expect(["passed", "skipped"]).toContain(tflint?.status);
    if (tflint?.status === "skipped") expect(tflint.reason).toMatch(/tflint is not installed|tflint plugins could not be installed/);
    const validate = result.steps.find((s) => s.step === "validate" && s.target === "modules/eks");
    if (validate?.status !== "skipped") {
      return expect(validate?.status).toBe("passed"); // a machine that reaches the registry validates for real
    }
    expect(validate.reason).toBe("init skipped");
    expect(result.steps.find((s) => s.step === "init" && s.target === "modules/eks")?.reason).toContain("registry unreachable");
    expect(run.code).toBe(0);
  });
});
