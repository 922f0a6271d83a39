import { spawn } from "node:child_process";
import { mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { FakeGitHub } from "../fake-github.js";
import { commitChanges, copyFixture, REPO_ROOT, runInfra, tempDir, type RunResult } from "../helpers.js";
import type { Workflow } from "../workflows/rules.js";

// Made up for this test: the outside stack's secret, before and after it changed there.
const OLD_SECRET = "drift-old-secret-5521-horse";
const NEW_SECRET = "drift-new-secret-8830-staple";

/** The other stack's state, as its own terraform would write it: outputs only. */
function outsideState(endpoint: string, password: string, serial: number): string {
  return JSON.stringify({
    version: 4,
    terraform_version: "1.11.4",
    serial,
    lineage: "6f1e7c2a-drift-test-network",
    outputs: { endpoint: { value: endpoint, type: "string" }, db_password: { value: password, type: "string", sensitive: true } },
    resources: [],
    check_results: null,
  });
}

describe("infra drift", () => {
  let root: string;
  let outside: string;
  const drift = (...extra: string[]) => runInfra(["drift", "--offline", "--env", "dev", "--root", root, "--quiet", ...extra]);

  beforeAll(async () => {
    root = await copyFixture("drift");
    outside = path.join(root, "outside", "network.tfstate");
    await mkdir(path.dirname(outside));
    await writeFile(outside, outsideState("db-1.internal", OLD_SECRET, 1));
    const bundle = path.join(root, "..", "artifacts", "dev");
    const plan = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle, "--quiet"]);
    expect(plan.code, plan.stderr).toBe(0);
    const apply = await runInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root, "--quiet"]);
    expect(apply.code, apply.stderr).toBe(0);
  });

  it("exits 0 when nothing changed outside terraform since the apply", async () => {
    const run = await drift();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("no drift in dev: the infrastructure matches the state terraform last wrote\n");
  });

  it("does not count a change still waiting to be applied as drift (a normal plan shows it)", async () => {
    const main = path.join(root, "envs", "dev", "main.tf");
    const { readFile } = await import("node:fs/promises");
    await writeFile(main, (await readFile(main, "utf8")).replace('input = "v1"', 'input = "v2"'));
    commitChanges(root, "a change not yet promoted");
    const plan = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", path.join(root, "..", "artifacts", "pending"), "--quiet", "--json"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as { summary: { hasChanges: boolean } }).summary.hasChanges).toBe(true);
    const run = await drift();
    expect(run.code, run.stderr).toBe(0);
  });

  it("exits 2 and prints, with the review's renderer, what changed outside terraform, secrets masked", async () => {
    await writeFile(outside, outsideState("db-2.internal", NEW_SECRET, 2));
    const run = await drift();
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout.split("\n")[0]).toBe("drift in dev: 2 output(s) changed outside terraform");
    expect(run.stdout).toContain(
      'Outputs:\n  ~   output.db_password\n        ~ (whole value): (sensitive value) -> (sensitive value)\n  ~   output.endpoint\n        ~ (whole value): "db-1.internal" -> "db-2.internal"\n',
    );
    const json = await drift("--json");
    expect(json.code).toBe(2);
    const document = JSON.parse(json.stdout) as { env: string; drifted: boolean; markdown: string; summary: { outputs: Array<{ name: string; action: string }> } };
    expect(document).toMatchObject({ env: "dev", drifted: true });
    expect(document.summary.outputs.map((output) => [output.name, output.action])).toEqual([
      ["db_password", "change"],
      ["endpoint", "change"],
    ]);
    expect(document.markdown).toContain("endpoint");
    for (const text of [run.stdout, run.stderr, json.stdout, json.stderr]) {
      expect(text).not.toContain(OLD_SECRET);
      expect(text).not.toContain(NEW_SECRET);
    }
  });

  it("drift.yml's jobs turn the report into the environment's issue, and close it once the drift is gone", async () => {
    const github = new FakeGitHub("ghs_driftWorkflowToken");
    await github.start();
    try {
      const drift = (parseYaml(await readFile(path.join(REPO_ROOT, ".github", "workflows", "drift.yml"), "utf8")) as Workflow).jobs;
      // What `dagger call drift --env dev -o drift/dev` returns: the CLI's --json output as drift/dev/drift.json.
      const call = drift["drift-dev"]!.steps.find((step) => step.run?.startsWith("dagger call drift "))!;
      expect(call.run).toMatch(/ -o drift\/dev$/);
      const issueStep = drift["drift-issue-dev"]!.steps.find((step) => step.run?.includes("scripts/drift-issue.ts"))!;
      // The issue job's checkout, with the repository's dependencies (its `npm ci`).
      const workspace = await tempDir("drift-issue-job");
      for (const entry of ["scripts", "src", "node_modules", "package.json", "tsconfig.json"]) await symlink(path.join(REPO_ROOT, entry), path.join(workspace, entry));
      await mkdir(path.join(workspace, "drift", "dev"), { recursive: true });
      const runIssueJob = async (): Promise<RunResult> => {
        const report = await runInfra(["drift", "--offline", "--env", "dev", "--root", root, "--quiet", "--json"]);
        await writeFile(path.join(workspace, "drift", "dev", "drift.json"), report.stdout);
        const env = { PATH: process.env["PATH"], HOME: process.env["HOME"], GITHUB_REPOSITORY: "example/infra", GITHUB_API_URL: github.url, GITHUB_SERVER_URL: "https://github.invalid", GITHUB_RUN_ID: "90" };
        const stepEnv = Object.fromEntries(Object.entries(issueStep.env ?? {}).map(([name, value]) => [name, value === "${{ github.token }}" ? "ghs_driftWorkflowToken" : value]));
        const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", issueStep.run!], { cwd: workspace, env: { ...env, ...stepEnv }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        return { code, stdout, stderr };
      };
      const opened = await runIssueJob();
      expect(opened.code, opened.stderr).toBe(0);
      expect(opened.stdout).toBe("drift issue #1 of dev: opened\n");
      expect(github.issues[0]!.body).toContain("endpoint");
      for (const secret of [OLD_SECRET, NEW_SECRET]) expect(github.issues[0]!.body).not.toContain(secret);
      // The other stack is put back: the next scheduled run closes the issue.
      await writeFile(outside, outsideState("db-1.internal", OLD_SECRET, 3));
      const closed = await runIssueJob();
      expect(closed.stdout).toBe("drift issue #1 of dev: closed\n");
      expect(github.issues[0]).toMatchObject({ state: "closed" });
      await writeFile(outside, outsideState("db-2.internal", NEW_SECRET, 4));
    } finally {
      await github.stop();
    }
  });

  it("exits 1 in one sentence when terraform cannot refresh, and 2 for a usage error", async () => {
    await rm(outside);
    const run = await drift();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: terraform plan failed \(exit 1\)/);
    expect(run.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
    const unknown = await runInfra(["drift", "--offline", "--env", "qa", "--root", root]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error: unknown environment "qa"');
    const missing = await runInfra(["drift", "--root", root]);
    expect(missing.code).toBe(2);
  });
});
