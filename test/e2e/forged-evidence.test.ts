import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Manifest } from "../../src/bundle/manifest.js";
import { findExecutable } from "../../src/process.js";
import { awsMirrorEnv, awsMirrorMissing } from "../aws-mirror.js";
import { copyFixture, readJson, runInfra, stateAddresses, tempDir, type RunResult } from "../helpers.js";

/**
 * An attacker who can write the bundle, or the working tree between steps, tries to get a plan
 * applied that no commit holds, or that breaks a promise. Every attempt ends in one sentence
 * from the gate that saw it, and nothing is applied: the gates read the plan file terraform
 * would execute and what git committed, never what the bundle says about itself.
 */
const git = (root: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], { cwd: root }).toString().trim();

/** Commits every change in the repository holding `root`, outside the tree too; returns the new HEAD. */
function commitEverything(root: string, message: string): string {
  git(root, "add", "-A", ":/");
  git(root, "commit", "-q", "-m", message);
  return git(root, "rev-parse", "HEAD");
}

async function plan(root: string, env: NodeJS.ProcessEnv = process.env, ...extra: string[]): Promise<{ run: RunResult; bundle: string }> {
  const bundle = path.join(root, "..", "artifacts", `dev-${Math.random().toString(16).slice(2)}`);
  const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle, ...extra], { env });
  return { run, bundle };
}

const apply = (root: string, bundle: string, env: NodeJS.ProcessEnv = process.env) =>
  runInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root], { env });

async function editManifest(bundle: string, edit: (manifest: Manifest) => void): Promise<void> {
  const file = path.join(bundle, "manifest.json");
  const manifest = await readJson<Manifest>(file);
  edit(manifest);
  await writeFile(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Exit 1 with `<gate> gate refused: ...` naming `what`, and dev's state holds nothing. */
async function expectRefused(root: string, run: RunResult, gate: string, what: string): Promise<void> {
  expect(run.code, run.stderr).toBe(1);
  const error = run.stderr.split("\n").find((line) => line.startsWith("error: "));
  expect(error).toMatch(new RegExp(`^error: ${gate} gate refused: `));
  expect(error).toContain(what);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(await stateAddresses(path.join(root, "envs", "dev"))).toEqual([]);
}

describe("a plan no commit holds is never applied", () => {
  it("refuses an older commit's plan whose manifest was edited to name the new commit", async () => {
    const root = await copyFixture("forgery");
    const { run, bundle } = await plan(root);
    expect(run.code, run.stderr).toBe(0);
    await writeFile(path.join(root, "modules", "app", "main.tf"), 'resource "terraform_data" "app" {\n  input = "changed later"\n}\n');
    const later = commitEverything(root, "a later change");
    await editManifest(bundle, (manifest) => {
      manifest.commit = later;
    });
    await expectRefused(root, await apply(root, bundle), "freshness", `the plan's configuration is not what commit ${later.slice(0, 12)} (HEAD) holds: modules/app/main.tf in the plan differs from the committed file`);
    expect(() => git(root, "rev-parse", "-q", "--verify", `refs/infra/applied/dev/${later}`)).toThrow();
  });

  it("refuses a plan of uncommitted changes whose manifest was edited to say clean", async () => {
    const root = await copyFixture("forgery");
    const extra = path.join(root, "envs", "dev", "extra.tf");
    await writeFile(extra, 'resource "terraform_data" "extra" {\n  input = "not committed"\n}\n');
    const { run, bundle } = await plan(root);
    expect(run.code, run.stderr).toBe(0);
    expect(await readJson<Manifest>(path.join(bundle, "manifest.json"))).toMatchObject({ dirty: true });
    await editManifest(bundle, (manifest) => {
      manifest.dirty = false;
    });
    await rm(extra);
    await expectRefused(root, await apply(root, bundle), "freshness", "envs/dev/extra.tf is in the plan but not committed");
  });

  it("refuses an override file the repository's .gitignore hides", async () => {
    const root = await copyFixture("forgery");
    // GitHub's Terraform template ignores override files; git status then calls the tree clean.
    await writeFile(path.join(root, "..", ".gitignore"), `${await readFile(path.join(root, "..", ".gitignore"), "utf8")}*_override.tf\n`);
    commitEverything(root, "ignore override files");
    await writeFile(path.join(root, "envs", "dev", "main_override.tf"), 'resource "terraform_data" "root" {\n  input = "from an ignored file"\n}\n');
    expect(git(root, "status", "--porcelain")).toBe("");
    const { run, bundle } = await plan(root);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("not committed: envs/dev/main_override.tf is in the plan but not committed");
    await expectRefused(root, await apply(root, bundle), "freshness", "envs/dev/main_override.tf is in the plan but not committed");
  });

  it("refuses a change to a module inside the repository but outside --root", async () => {
    const root = await copyFixture("forgery");
    const shared = path.join(root, "..", "shared", "app");
    await mkdir(shared, { recursive: true });
    await writeFile(path.join(shared, "main.tf"), 'resource "terraform_data" "app" {\n  input = "committed"\n}\n');
    const main = path.join(root, "envs", "dev", "main.tf");
    await writeFile(main, (await readFile(main, "utf8")).replace('"../../modules/app"', '"../../../shared/app"'));
    commitEverything(root, "a module outside the tree");
    await writeFile(path.join(shared, "main.tf"), 'resource "terraform_data" "app" {\n  input = "not committed"\n}\n');
    const { run, bundle } = await plan(root);
    expect(run.code, run.stderr).toBe(0);
    await expectRefused(root, await apply(root, bundle), "freshness", "shared/app/main.tf in the plan differs from the committed file");
  });

  it("refuses a plan of a file edited while terraform planned and restored afterwards", async () => {
    const root = await copyFixture("forgery");
    const terraform = await findExecutable("terraform", process.env["PATH"] ?? "");
    if (terraform === null) throw new Error("terraform is not on PATH");
    const main = path.join(root, "envs", "dev", "main.tf");
    // Edits main.tf as terraform plan starts, and checks the committed file out again once it is done.
    const wrapper = path.join(await tempDir("edit-during-plan"), "terraform");
    await writeFile(
      wrapper,
      [
        "#!/bin/sh",
        'if [ "$1" = plan ]; then',
        `  sed -i 's/"committed"/"edited during plan"/' '${main}'`,
        `  '${terraform}' "$@"; code=$?`,
        `  git -C '${root}' checkout -q -- '${main}'`,
        "  exit $code",
        "fi",
        `exec '${terraform}' "$@"`,
        "",
      ].join("\n"),
    );
    await chmod(wrapper, 0o755);
    const env = { ...process.env, INFRA_TERRAFORM: wrapper };
    const { run, bundle } = await plan(root, env);
    expect(run.code, run.stderr).toBe(0);
    expect(git(root, "status", "--porcelain")).toBe("");
    expect(run.stderr).toContain("not committed: envs/dev/main.tf in the plan differs from the committed file");
    await expectRefused(root, await apply(root, bundle, env), "freshness", "envs/dev/main.tf in the plan differs from the committed file");
  });
});

describe("--offline only where terraform keeps the state locally", () => {
  const refusesOffline = async (file: string, content: string, type: string) => {
    const root = await copyFixture("forgery");
    await writeFile(path.join(root, "envs", "dev", file), content);
    commitEverything(root, `a ${type} backend in ${file}`);
    const { run } = await plan(root);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`error: identity gate refused: --offline skips the identity check, which only a stack on the local backend may do; dev keeps its state in the ${type} backend`);
    expect(run.stderr).toContain(file);
    expect(await stateAddresses(path.join(root, "envs", "dev"))).toEqual([]);
  };

  it("refuses a backend declared in a .tf.json file", async () => {
    await refusesOffline("backend.tf.json", JSON.stringify({ terraform: { backend: { http: { address: "http://127.0.0.1:9/state" } } } }), "http");
  });

  it("refuses a local backend overridden in an override file", async () => {
    await refusesOffline("versions_override.tf", 'terraform {\n  backend "http" {\n    address = "http://127.0.0.1:9/state"\n  }\n}\n', "http");
  });

  it("refuses a cloud block", async () => {
    await refusesOffline("cloud.tf", 'terraform {\n  cloud {\n    organization = "example"\n    workspaces {\n      name = "dev"\n    }\n  }\n}\n', "cloud");
  });
});

/**
 * Policy and destructions are what `terraform show -json` says of the plan to execute. The real
 * hashicorp/aws provider (filesystem mirror) plans a mutable ECR repository and the deletion of a
 * state bucket offline: `-refresh=false`, and a state that holds the bucket.
 */
describe.skipIf(awsMirrorMissing() !== undefined)("policy and destructions from the plan terraform would execute", () => {
  if (awsMirrorMissing()) console.log(`skipped: ${awsMirrorMissing()}`);

  async function awsBundle(): Promise<{ root: string; bundle: string; env: NodeJS.ProcessEnv }> {
    const root = await copyFixture("forgery-aws");
    const env = {
      ...(await awsMirrorEnv()),
      TF_CLI_ARGS_plan: "-refresh=false",
      AWS_ACCESS_KEY_ID: "AKIAFORGERYTEST",
      AWS_SECRET_ACCESS_KEY: "forgery-test-secret",
      AWS_EC2_METADATA_DISABLED: "true",
    };
    const bucket = { id: "infra-state-111122223333-eu-central-1", bucket: "infra-state-111122223333-eu-central-1", force_destroy: false, tags: {}, tags_all: {} };
    const state = {
      version: 4,
      terraform_version: "1.11.4",
      serial: 1,
      lineage: "5f1e8f2c-0000-4000-8000-000000000001",
      outputs: {},
      resources: [
        {
          mode: "managed",
          type: "aws_s3_bucket",
          name: "state",
          provider: 'provider["registry.terraform.io/hashicorp/aws"]',
          instances: [{ schema_version: 0, attributes: bucket, sensitive_attributes: [] }],
        },
      ],
      check_results: null,
    };
    await writeFile(path.join(root, "envs", "dev", "terraform.tfstate"), JSON.stringify(state));
    const bundle = path.join(root, "..", "artifacts", "dev");
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle], { env });
    // Policy fails (the mutable repository): the bundle is written for review and plan exits 1.
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout + run.stderr).toContain("[ecr-immutable-tags]");
    expect(await readJson<Manifest>(path.join(bundle, "manifest.json"))).toMatchObject({ policy: { status: "failed" } });
    return { root, bundle, env };
  }

  type Verdicts = { decisions: Array<{ gate: string; allowed: boolean; reason: string }> };
  const verdict = async (root: string, bundle: string, env: NodeJS.ProcessEnv, gate: string) => {
    const run = await runInfra(["gate", "--offline", "--env", "dev", "--plan", bundle, "--root", root, "--json", "--quiet"], { env });
    expect(run.code, run.stderr).toBe(1);
    return (JSON.parse(run.stdout) as Verdicts).decisions.find((decision) => decision.gate === gate);
  };

  it("refuses a failed plan whose manifest was edited to say policy passed", async () => {
    const { root, bundle, env } = await awsBundle();
    await editManifest(bundle, (manifest) => {
      manifest.policy = { status: "passed", errors: 0, warnings: 0, waivers: [] };
      manifest.findings = [];
    });
    const policy = await verdict(root, bundle, env, "policy");
    expect(policy?.allowed).toBe(false);
    expect(policy?.reason).toContain("[ecr-immutable-tags]");
  });

  it("refuses the deletion of the state bucket hidden from plan.redacted.json, with its digest recomputed", async () => {
    const { root, bundle, env } = await awsBundle();
    const planFile = path.join(bundle, "plan.redacted.json");
    const planJson = await readJson<{ resource_changes: Array<{ address: string }> }>(planFile);
    expect(planJson.resource_changes.map((change) => change.address)).toContain("aws_s3_bucket.state");
    planJson.resource_changes = planJson.resource_changes.filter((change) => change.address !== "aws_s3_bucket.state");
    const forged = JSON.stringify(planJson);
    await writeFile(planFile, forged);
    await editManifest(bundle, (manifest) => {
      manifest.files["plan.redacted.json"] = createHash("sha256").update(forged).digest("hex");
    });
    const integrity = await verdict(root, bundle, env, "integrity");
    expect(integrity?.allowed).toBe(true);
    expect(await verdict(root, bundle, env, "destruction")).toMatchObject({
      allowed: false,
      reason: "the plan would delete aws_s3_bucket.state (S3 bucket (the state bucket among them)) without --allow-destroy",
    });
  });
});
