import { readdir, readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../src/bundle/manifest.js";
import type { Receipt } from "../../src/bundle/receipt.js";
import { commitChanges, copyFixture, readJson, runInfra, stateAddresses, type RunResult } from "../helpers.js";

// Made up for this test; it must appear in tfplan (terraform needs it) and nowhere else.
const SECRET = "correct-horse-battery-staple-41";
const env = { ...process.env, TF_VAR_db_password: SECRET };

describe("infra plan and apply on the sensitive fixture", () => {
  let root: string;
  let bundle: string;
  let planRun: RunResult;

  beforeAll(async () => {
    root = await copyFixture("sensitive");
    bundle = path.join(root, "..", "artifacts", "dev");
    planRun = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle], { env });
  });

  it("writes every file of the bundle and exits 0", async () => {
    expect(planRun.code, planRun.stderr).toBe(0);
    expect((await readdir(bundle)).sort()).toEqual(
      ["manifest.json", "plan.redacted.json", "plan.txt", "report.html", "summary.json", "summary.md", "tfplan"].sort(),
    );
    expect(planRun.stdout).toContain("Plan for dev (eu-central-1, account 111122223333)");
    expect(planRun.stdout).toContain("1 to add, 0 to change, 0 to destroy, 0 to replace");
  });

  it("prints progress with durations on stderr", () => {
    expect(planRun.stderr).toMatch(/▶ terraform plan \(dev\)/);
    expect(planRun.stderr).toMatch(/✔ terraform plan \(dev\) \(\d+(\.\d)?m?s\)/);
  });

  it("records the sha256 of every file and the plan digest in the manifest", async () => {
    const manifest = await readJson<Manifest>(path.join(bundle, "manifest.json"));
    expect(manifest).toMatchObject({ env: "dev", region: "eu-central-1", accountId: "111122223333", terraformVersion: "1.11.4" });
    expect(Object.keys(manifest.files).sort()).toEqual(["plan.redacted.json", "plan.txt", "report.html", "summary.json", "summary.md", "tfplan"]);
    for (const [name, digest] of Object.entries(manifest.files)) {
      const actual = createHash("sha256").update(await readFile(path.join(bundle, name))).digest("hex");
      expect(actual, name).toBe(digest);
    }
    expect(manifest.planDigest).toBe(manifest.files["tfplan"]);
    expect(manifest.counts).toMatchObject({ add: 1, change: 0, destroy: 0, replace: 0, import: 0 });
    // The fixture copy is a git repository of its own: the manifest names its clean HEAD.
    expect(manifest.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(manifest.dirty).toBe(false);
  });

  it("keeps the secret out of every artifact but the binary plan", async () => {
    for (const name of await readdir(bundle)) {
      if (name === "tfplan") continue;
      expect(await readFile(path.join(bundle, name), "utf8"), name).not.toContain(SECRET);
    }
    expect(planRun.stdout + planRun.stderr).not.toContain(SECRET);
    const redacted = await readFile(path.join(bundle, "plan.redacted.json"), "utf8");
    expect(redacted).toContain("(sensitive value)");
    expect(redacted).toContain("orders-dev");
  });

  it("reviews the bundle as text and as JSON", async () => {
    const text = await runInfra(["review", bundle]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("+   module.database.terraform_data.this");
    expect(text.stdout).toContain("bundle: intact");
    expect(text.stdout).toContain("apply: not applied");
    const json = await runInfra(["review", bundle, "--json"]);
    const parsed = JSON.parse(json.stdout) as { integrity: { ok: boolean }; summary: { counts: unknown } };
    expect(parsed.integrity.ok).toBe(true);
    expect(parsed.summary.counts).toMatchObject({ add: 1, change: 0, destroy: 0, replace: 0, import: 0 });
  });

  it("applies exactly that plan and writes a receipt", async () => {
    expect(await stateAddresses(path.join(root, "envs", "dev"))).toEqual([]);
    const run = await runInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root, "--json"], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(await stateAddresses(path.join(root, "envs", "dev"))).toEqual(["module.database.terraform_data.this"]);
    const manifest = await readJson<Manifest>(path.join(bundle, "manifest.json"));
    const receipt = await readJson<Receipt>(path.join(bundle, "receipt.json"));
    expect(receipt).toMatchObject({ env: "dev", outcome: "applied", planDigest: manifest.planDigest, commit: manifest.commit });
    expect(receipt.gates.map((gate) => gate.gate)).toEqual([
      "environment",
      "read-only",
      "integrity",
      "encryption",
      "terraform-version",
      "not-yet-applied",
      "identity",
      "policy",
      "freshness",
      "promotion",
      "approval",
      "destruction",
      "signature",
    ]);
    expect(receipt.identity).toEqual({ status: "offline" });
    expect(JSON.parse(run.stdout)).toMatchObject({ receipt: { outcome: "applied" } });
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it("skips terraform init on a second run until the configuration changes", async () => {
    const out = path.join(root, "..", "again");
    const again = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", out], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("terraform init (dev): already initialised from this configuration");
    const { appendFile } = await import("node:fs/promises");
    await appendFile(path.join(root, "modules", "database", "main.tf"), "\n# a module change needs init\n");
    commitChanges(root, "a module change");
    const changed = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", out], { env });
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stderr).toMatch(/✔ terraform init \(dev\) \(\d/);
  });

  it("refuses to apply the same bundle twice", async () => {
    const run = await runInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("this bundle was already applied");
  });

  it("plans prod into the default artifacts/<env> directory with --json", async () => {
    const cwd = path.join(root, "..");
    const run = await runInfra(["plan", "--offline", "--env", "prod", "--root", "terraform", "--json", "--quiet"], { env, cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    const result = JSON.parse(run.stdout) as { bundle: string; manifest: Manifest };
    expect(result.bundle).toBe(path.join(cwd, "artifacts", "prod"));
    expect(result.manifest).toMatchObject({ env: "prod", region: "us-east-2", accountId: "444455556666" });
  });
});
