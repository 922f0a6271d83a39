import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GITHUB_BODY_LIMIT } from "../../scripts/github.js";
import { commentBody, cutMarkdown, readPlanComment, syncPlanComment, type PlanComment } from "../../scripts/pr-comment.js";
import type { Finding } from "../../src/policy/index.js";
import { policyReport, renderPolicyMarkdown } from "../../src/policy/report.js";
import type { WaiverInForce } from "../../src/policy/waivers.js";
import { renderMarkdown, type PlanHeader } from "../../src/review/render.js";
import { summaryDocument, summaryJsonText } from "../../src/review/summary-file.js";
import { emptyCounts, type ResourceSummary, type Summary } from "../../src/review/summary.js";
import { FakeGitHub } from "../fake-github.js";
import { REPO_ROOT, tempDir } from "../helpers.js";

const execFileAsync = promisify(execFile);
const repository = { owner: "example", repo: "infra" };
const TOKEN = "ghs_fakePrCommentToken";

function resource(address: string, action: ResourceSummary["action"], attributes: ResourceSummary["attributes"] = []): ResourceSummary {
  const actions = ({ add: ["create"], change: ["update"], destroy: ["delete"], replace: ["delete", "create"] } as Record<string, ResourceSummary["actions"]>)[action] ?? ["no-op"];
  return { address, module: "", type: "terraform_data", mode: "managed", action, actions, attributes };
}

function summaryOf(resources: ResourceSummary[]): Summary {
  const counts = emptyCounts();
  for (const each of resources) if (each.action in counts) counts[each.action as keyof typeof counts] += 1;
  return { terraformVersion: "1.11.4", formatVersion: "1.2", hasChanges: resources.length > 0, errored: false, complete: true, counts, resources, drift: [], outputs: [], deferred: [], checks: [] };
}

const header = (env: string): PlanHeader => ({ env, region: "eu-central-1", accountId: "123456789012", commit: "0123456789abcdef0123456789abcdef01234567", dirty: false, createdAt: "2026-01-02T03:04:05.000Z" });
const warning: Finding = { rule: "tags-required", severity: "warning", message: "terraform_data.<b>web</b> has no `owner` tag", address: "terraform_data.web", source: "plan" };

/** A PR plan bundle as `dagger call plan --read-only` leaves it after the upload (no tfplan), written by the real renderers. */
async function writeBundle(dir: string, env: string, summary: Summary, findings: Finding[] = [warning], waivers: WaiverInForce[] = []): Promise<string> {
  const policy = policyReport(findings, waivers);
  await mkdir(dir, { recursive: true });
  const { findings: _, ...verdict } = policy;
  await writeFile(path.join(dir, "manifest.json"), JSON.stringify({ schemaVersion: 1, ...header(env), counts: summary.counts, findings, policy: verdict, readOnly: true }));
  await writeFile(path.join(dir, "summary.json"), summaryJsonText(summaryDocument(summary, header(env))));
  await writeFile(path.join(dir, "summary.md"), renderMarkdown(summary, header(env), { fullReport: "report.html in the plan bundle" }) + renderPolicyMarkdown(policy));
  return dir;
}

const ours = (github: FakeGitHub, pr: number, env: string) => github.comments.filter((comment) => comment.issue === pr && comment.body.startsWith(`<!-- infra-plan:${env} -->\n`));

describe("scripts/pr-comment.ts against a GitHub API on 127.0.0.1", () => {
  const github = new FakeGitHub(TOKEN);
  let octokit: Octokit;
  let dir: string;
  let pr: number;

  beforeAll(async () => {
    await github.start();
    const quiet = () => undefined;
    octokit = new Octokit({ auth: TOKEN, baseUrl: github.url, request: { retries: 0 }, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
    dir = await tempDir("pr-comment");
    pr = github.openPullRequest();
    // More than one page of conversation before the plans: the comment is found on page two.
    for (let index = 0; index < 120; index += 1) github.addComment(pr, `review note ${index}`);
  });
  afterAll(() => github.stop());

  it("writes one comment per environment, then rewrites it in place, leaving the other environment's and people's comments alone", async () => {
    const dev = await readPlanComment(await writeBundle(path.join(dir, "dev-1"), "dev", summaryOf([resource("terraform_data.web", "add")])), "dev", "https://github.invalid/example/infra/actions/runs/5/artifacts/9");
    const staging = await readPlanComment(await writeBundle(path.join(dir, "staging"), "staging", summaryOf([resource("terraform_data.db", "change")])), "staging", null);
    const first = await syncPlanComment(octokit, repository, pr, dev);
    expect(first.action).toBe("created");
    expect(await syncPlanComment(octokit, repository, pr, staging)).toMatchObject({ action: "created" });
    // Someone quotes the raw comment, marker first: still a person's comment, never rewritten.
    const pasted = github.addComment(pr, "<!-- infra-plan:dev -->\nmy own notes");
    const stagingBefore = ours(github, pr, "staging")[0]!.body;

    const changed = await readPlanComment(await writeBundle(path.join(dir, "dev-2"), "dev", summaryOf([resource("terraform_data.web", "add"), resource("terraform_data.old", "destroy")])), "dev", null);
    expect(await syncPlanComment(octokit, repository, pr, changed)).toEqual({ action: "updated", id: first.id });

    const devComments = ours(github, pr, "dev").filter((comment) => comment.user.type === "Bot");
    expect(devComments).toHaveLength(1);
    expect(devComments[0]!.body).toContain("**Plan: 1 to add, 0 to change, 1 to destroy\\.**");
    expect(devComments[0]!.body).toContain("> - destroy `terraform_data.old`");
    expect(ours(github, pr, "staging")).toHaveLength(1);
    expect(ours(github, pr, "staging")[0]!.body).toBe(stagingBefore);
    expect(github.comments.find((comment) => comment.id === pasted.id)!.body).toBe("<!-- infra-plan:dev -->\nmy own notes");
    expect(github.commentsOn(pr).filter((body) => body.startsWith("review note"))).toHaveLength(120);
  });

  it("puts counts, destructive changes and policy first, summary.md collapsed after them, and escapes what it adds", async () => {
    const plan = await readPlanComment(
      await writeBundle(path.join(dir, "escape"), "dev", summaryOf([resource("terraform_data.x[\"</details><img src=x onerror=alert(1)>\"]", "destroy")]), [warning], [
        // A waivers file is part of the pull request: its rule and address are whatever it says.
        { rule: "tags-required`</details>`", address: "terraform_data.`x`", reason: "migration <b>now</b>", expires: "2026-12-31", covered: 0 },
      ]),
      "dev",
      "https://github.invalid/example/infra/actions/runs/5/artifacts/9",
    );
    const body = commentBody(plan);
    const order = ["<!-- infra-plan:dev -->\n### Read-only plan of `dev` at `0123456789ab`", "Per resource: 0 to add", "> [!WARNING]", "#### Policy: passed", "<details><summary>The whole summary (summary.md)</summary>", "### Plan for `dev`", "</details>"];
    // The first of each (summary.md repeats the counts), the last </details> (the escaped address holds one).
    const positions = order.map((text) => (text === "</details>" ? body.lastIndexOf(text) : body.indexOf(text)));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // The address is in a code span, the finding's HTML and backticks are escaped: nothing ends the <details> or opens a tag.
    expect(body).toContain('> - destroy `terraform_data.x["</details><img src=x onerror=alert(1)>"]`');
    expect(body).toContain("terraform\\_data.\\<b\\>web\\</b\\> has no \\`owner\\` tag");
    expect(body).toContain("- `` tags-required`</details>` `` on `` terraform_data.`x` `` until 2026-12-31: migration \\<b\\>now\\</b\\>");
    expect(body).not.toContain("report.html in the artifact");
  });

  it("cuts an oversize summary under GitHub's limit at a block boundary, with a link to report.html in the run's artifact", async () => {
    // Long destroyed addresses overflow the head's list; big attribute blocks put fences where summary.md is cut.
    const attributes = (index: number) => Array.from({ length: 40 }, (_, key) => ({ path: `input.setting_${key}`, before: `"${"a".repeat(30)}"`, ...(index % 3 === 0 ? {} : { after: `"${"b".repeat(30 + (index % 7))}"` }) }));
    const many = Array.from({ length: 120 }, (_, index) => resource(`module.fleet.terraform_data.node["${index}${index % 3 === 0 ? "-".padEnd(200, "z") : ""}"]`, index % 3 === 0 ? "destroy" : "change", attributes(index)));
    const plan = await readPlanComment(await writeBundle(path.join(dir, "huge"), "prod", summaryOf(many)), "prod", "https://github.invalid/example/infra/actions/runs/5/artifacts/9");
    expect(`${plan.summaryMarkdown}`.length).toBeGreaterThan(50_000);
    const body = commentBody(plan);
    expect(body.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(body.length).toBeGreaterThan(GITHUB_BODY_LIMIT - 5_000);
    expect(body).toMatch(/<\/details>\n\n… cut to fit GitHub's 65536 characters: everything is in \[report\.html in the artifact pr-plan-prod\]\(https:\/\/github\.invalid\/example\/infra\/actions\/runs\/5\/artifacts\/9\)\.\n$/);
    expect(body).toContain("> **40 resource(s) will be destroyed or replaced:**");
    expect(body).toMatch(/> - …and \d+ more: see the summary below, or report\.html in the artifact\n/);
    // Every fence and <details> opened is closed: the cut fell between blocks.
    expect(body.match(/^```/gm)!.length).toBeGreaterThan(10);
    expect(body.match(/^```/gm)!.length % 2).toBe(0);
    expect(body.match(/^<details>/gm)!.length).toBe(body.match(/^<\/details>/gm)!.length);
    expect((await syncPlanComment(octokit, repository, pr, plan)).action).toBe("created");
    expect(ours(github, pr, "prod")[0]!.body).toBe(body);
    // Without the cut, GitHub (here, its stand-in) would refuse it.
    await expect(octokit.rest.issues.createComment({ ...repository, issue_number: pr, body: `${plan.summaryMarkdown}${plan.summaryMarkdown}` })).rejects.toMatchObject({ status: 422 });
  });

  it("cuts markdown only where no fence or <details> is open", () => {
    const markdown = ["intro", "<details><summary>a</summary>", "", "```diff", "</details>", "```", "", "</details>", "after"].join("\n");
    expect(cutMarkdown(markdown, markdown.length - 3)).toBe(markdown.slice(0, markdown.indexOf("after")));
    expect(cutMarkdown(markdown, markdown.indexOf("```diff"))).toBe("intro\n");
  });

  it("runs as the workflow runs it, and answers bad arguments, a foreign bundle and a refusal in one sentence", async () => {
    const script = path.join(REPO_ROOT, "scripts", "pr-comment.ts");
    const env = { ...process.env, GITHUB_TOKEN: TOKEN, GITHUB_REPOSITORY: "example/infra", GITHUB_API_URL: github.url, GITHUB_SERVER_URL: "https://github.invalid", GITHUB_RUN_ID: "78" };
    const runScript = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
      try {
        const { stdout, stderr } = await execFileAsync(process.execPath, ["--import", "tsx", script, ...args], { cwd: REPO_ROOT, env: { ...env, ...extra } });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
      }
    };
    const other = github.openPullRequest("Another change");
    const bundle = await writeBundle(path.join(dir, "script"), "staging", summaryOf([resource("terraform_data.db", "replace")]));
    const created = await runScript(["--env", "staging", "--bundle", bundle, "--pr", String(other)]);
    expect(created).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^plan comment of staging on pull request #${other}: created \\(\\d+\\)\\n$`)) });
    const updated = await runScript(["--env", "staging", "--bundle", bundle, "--pr", String(other), "--report-url", "https://github.invalid/example/infra/actions/runs/78/artifacts/3"]);
    expect(updated).toMatchObject({ code: 0, stdout: expect.stringContaining("updated") });
    expect(ours(github, other, "staging")).toHaveLength(1);

    // The next push's plan fails: the comment stops showing the last plan as if it were this push's.
    const failed = await runScript(["--env", "staging", "--bundle", path.join(dir, "never-downloaded"), "--pr", String(other), "--plan-result", "failure"]);
    expect(failed).toMatchObject({ code: 0, stdout: expect.stringContaining("updated") });
    expect(ours(github, other, "staging").map((comment) => comment.body)).toEqual([
      "<!-- infra-plan:staging -->\n### Read-only plan of `staging`\n\n**No plan for the latest push: the job `pr-plan-staging` ended with failure** ([run](https://github.invalid/example/infra/actions/runs/78)).\n\nWhat this comment showed before described an earlier push. Read the job's log, fix what it names and push again.\n",
    ]);
    expect((await runScript(["--env", "staging", "--bundle", bundle, "--pr", String(other)])).stdout).toContain("updated");
    expect(ours(github, other, "staging")[0]!.body).toContain("**Plan: 1 to add, 0 to change, 1 to destroy\\.**");

    const before = JSON.stringify(github.comments);
    github.readOnly = true;
    const forbidden = await runScript(["--env", "staging", "--bundle", bundle, "--pr", String(other)]);
    github.readOnly = false;
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(new RegExp(`^error: GitHub refused to write the plan comment of staging on pull request #${other} of example/infra \\(HTTP 403\\): Resource not accessible by integration\\n`));
    const badToken = await runScript(["--env", "staging", "--bundle", bundle, "--pr", String(other)], { GITHUB_TOKEN: "ghs_wrong" });
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/^error: GitHub refused to write the plan comment of staging .*\(HTTP 401\): Bad credentials\n/);
    for (const text of [badToken.stdout, badToken.stderr, forbidden.stderr]) expect(text).not.toMatch(/ghs_/);

    // The rest change nothing and depend on nothing: run side by side.
    const badArguments = [
      [["--env", "staging", "--bundle", bundle], "error: name the environment, its plan bundle and the pull request\n"],
      [["--env", "staging", "--bundle", bundle, "--pr", "12a"], 'error: --pr "12a" is not a pull request number\n'],
      [["--env", "staging", "--bundle", bundle, "--pr", "3", "--colour"], "error: name the environment, its plan bundle and the pull request\n"],
      [["--env", "staging", "--bundle", bundle, "--pr", "3", "--report-url", "javascript:alert(1)"], 'error: --report-url "javascript:alert(1)" is not an http(s) URL\n'],
      [["--env", "staging", "--bundle", bundle, "--pr", "3", "--plan-result", "cancelled"], 'error: --plan-result "cancelled" is not success, failure, skipped\n'],
      [["--env", "staging", "--pr", "3"], "error: name the environment, its plan bundle and the pull request\n"],
    ] as const;
    const malformed = await writeBundle(path.join(dir, "malformed"), "staging", summaryOf([]));
    await writeFile(path.join(malformed, "manifest.json"), JSON.stringify({ env: "staging", findings: [{ rule: "tags-required" }] }));
    const [foreign, empty, broken, ...bad] = await Promise.all([
      runScript(["--env", "prod", "--bundle", bundle, "--pr", String(other)]),
      runScript(["--env", "staging", "--bundle", path.join(dir, "nothing"), "--pr", String(other)]),
      runScript(["--env", "staging", "--bundle", malformed, "--pr", String(other)]),
      ...badArguments.map(([args]) => runScript([...args])),
    ]);
    expect(foreign!.code).toBe(1);
    expect(foreign!.stderr).toMatch(new RegExp(`^error: ${bundle.replaceAll("/", "\\/")}\\/manifest\\.json is the plan of "staging", not of prod\\n`));
    expect(empty!.code).toBe(1);
    expect(empty!.stderr).toMatch(/^error: the plan bundle .*nothing has no manifest\.json\n\nhint: pass the directory the artifact pr-plan-staging was downloaded to/);
    expect(broken!.stderr).toMatch(/^error: .*malformed\/manifest\.json is not a manifest infra wrote \(its findings or policy verdict are malformed\)\n/);
    expect(bad.map((result) => ({ code: result.code, first: `${result.stderr.split("\n")[0]}\n` }))).toEqual(badArguments.map(([, sentence]) => ({ code: 2, first: sentence })));
    expect(JSON.stringify(github.comments)).toBe(before);
  });
});
