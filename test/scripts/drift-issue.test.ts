import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRIFT_LABEL, issueBody, syncDriftIssue } from "../../scripts/drift-issue.js";
import { GITHUB_BODY_LIMIT as ISSUE_BODY_LIMIT } from "../../scripts/github.js";
import { FakeGitHub } from "../fake-github.js";
import { REPO_ROOT, tempDir } from "../helpers.js";

const execFileAsync = promisify(execFile);
const repository = { owner: "example", repo: "infra" };
const run = { url: "https://github.invalid/example/infra/actions/runs/77" };
const drifted = (env: string, markdown = "### Plan for `prod`\n\n~ output.endpoint\n") => ({ env, drifted: true, markdown });
const clean = (env: string) => ({ env, drifted: false, markdown: "### Plan for `prod`\n\nNo changes.\n" });

describe("scripts/drift-issue.ts against a GitHub API on 127.0.0.1", () => {
  const github = new FakeGitHub("ghs_fakeDriftToken");
  let octokit: Octokit;

  beforeAll(async () => {
    await github.start();
    octokit = new Octokit({ auth: "ghs_fakeDriftToken", baseUrl: github.url, request: { retries: 0 } });
  });
  afterAll(() => github.stop());

  it("opens one issue per environment on drift, updates it in place on the next, and leaves other environments' alone", async () => {
    expect(await syncDriftIssue(octokit, repository, drifted("prod"), run)).toEqual({ action: "opened", number: 1 });
    expect(await syncDriftIssue(octokit, repository, drifted("staging"), run)).toEqual({ action: "opened", number: 2 });
    expect(await syncDriftIssue(octokit, repository, drifted("prod", "### Plan for `prod`\n\n~ output.endpoint\n~ output.db_password\n"), run)).toEqual({ action: "updated", number: 1 });
    expect(github.issues.map((issue) => [issue.number, issue.title, issue.state, issue.labels])).toEqual([
      [1, "Drift in prod: infrastructure changed outside terraform", "open", [{ name: DRIFT_LABEL }]],
      [2, "Drift in staging: infrastructure changed outside terraform", "open", [{ name: DRIFT_LABEL }]],
    ]);
    expect(github.issues[0]!.body).toMatch(/^<!-- infra-drift:prod -->\n`infra drift --env prod` found changes made outside terraform \(\[run\]\(https:\/\/github\.invalid\/example\/infra\/actions\/runs\/77\)\)/);
    expect(github.issues[0]!.body).toContain("~ output.db_password");
  });

  it("closes the environment's issue with a comment when the drift is gone, and does nothing when there is none", async () => {
    expect(await syncDriftIssue(octokit, repository, clean("prod"), run)).toEqual({ action: "closed", number: 1 });
    expect(github.issues[0]).toMatchObject({ state: "closed", state_reason: "completed" });
    expect(github.commentsOn(1)).toEqual([expect.stringContaining("No drift in prod any more")]);
    expect(github.issues[1]!.state).toBe("open");
    expect(await syncDriftIssue(octokit, repository, clean("prod"), run)).toEqual({ action: "none" });
    // Drift again after it was closed: a new issue, the closed one stays as history.
    expect(await syncDriftIssue(octokit, repository, drifted("prod"), run)).toEqual({ action: "opened", number: 3 });
  });

  it("keeps a body under GitHub's 65,536 characters, pointing at the run for the rest", async () => {
    const huge = drifted("dev", `${"~ module.big.terraform_data.item\n".repeat(5_000)}`);
    const body = issueBody(huge, run);
    expect(body.length).toBeLessThanOrEqual(ISSUE_BODY_LIMIT);
    expect(body).toContain("cut to fit GitHub's 65536 characters: the whole report is the drift artifact of [the run](https://github.invalid/example/infra/actions/runs/77)");
    expect(await syncDriftIssue(octokit, repository, huge, run)).toMatchObject({ action: "opened" });
    expect(issueBody(drifted("dev"), run).length).toBeLessThan(1_000);
  });

  it("runs as the workflow runs it: reads the report, uses the job's token, and answers a bad report or a refusal in one sentence", async () => {
    const dir = await tempDir("drift-issue");
    const script = path.join(REPO_ROOT, "scripts", "drift-issue.ts");
    const env = { ...process.env, GITHUB_TOKEN: "ghs_fakeDriftToken", GITHUB_REPOSITORY: "example/infra", GITHUB_API_URL: github.url, GITHUB_SERVER_URL: "https://github.invalid", GITHUB_RUN_ID: "78" };
    const runScript = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
      try {
        const { stdout, stderr } = await execFileAsync(process.execPath, ["--import", "tsx", script, ...args], { cwd: REPO_ROOT, env: { ...env, ...extra } });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
      }
    };
    const report = path.join(dir, "drift.json");
    await writeFile(report, JSON.stringify(drifted("staging")));
    const updated = await runScript(["--env", "staging", "--report", report]);
    expect(updated).toMatchObject({ code: 0, stdout: "drift issue #2 of staging: updated\n" });
    expect(github.issues[1]!.body).toContain("([run](https://github.invalid/example/infra/actions/runs/78))");

    await writeFile(report, JSON.stringify({ error: { type: "TerraformError", message: "terraform plan failed (exit 1)", hint: "read terraform's message" } }));
    const before = JSON.stringify(github.issues);
    const failedCheck = await runScript(["--env", "staging", "--report", report]);
    expect(failedCheck.code).toBe(1);
    expect(failedCheck.stderr).toMatch(/^error: the drift check of staging failed, so nothing is known about drift: terraform plan failed \(exit 1\)\n/);
    expect(JSON.stringify(github.issues)).toBe(before);

    await writeFile(report, JSON.stringify(drifted("prod")));
    const otherEnv = await runScript(["--env", "staging", "--report", report]);
    expect(otherEnv.code).toBe(1);
    expect(otherEnv.stderr).toContain(`error: ${report} is not a drift report of staging`);

    await writeFile(report, JSON.stringify(drifted("staging")));
    const badToken = await runScript(["--env", "staging", "--report", report], { GITHUB_TOKEN: "ghs_wrong" });
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/^error: GitHub refused to update the drift issue of staging in example\/infra \(HTTP 401\): Bad credentials/);
    for (const text of [badToken.stdout, badToken.stderr]) expect(text).not.toContain("ghs_wrong");

    const usage = await runScript(["--env", "staging"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("name the environment and its report");
    expect(github.requests.every((request) => request.authorization === "token ghs_fakeDriftToken" || request.authorization === "token ghs_wrong")).toBe(true);
  });
});
