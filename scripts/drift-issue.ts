#!/usr/bin/env -S npx tsx
/**
 * Keeps one GitHub issue per environment in step with `infra drift` (.github/workflows/drift.yml):
 * drift opens the environment's issue, or rewrites the open one in place; no drift closes it with a
 * comment saying when. Never a second issue for the same environment: the issue carries a marker
 * (`<!-- infra-drift:<env> -->`) and the label `infra-drift`, and the open one is found by them.
 *
 *   npx tsx scripts/drift-issue.ts --env ENV --report drift/ENV/drift.json
 *
 * The report is what `infra drift --env ENV --json` printed (`dagger call drift` returns it). A
 * report that is an error, or no report, changes no issue and exits 1: a failed check says nothing
 * about drift.
 *
 * Environment: GITHUB_TOKEN (the job's token, `issues: write`), GITHUB_REPOSITORY (owner/name),
 * GITHUB_API_URL (the runner sets it), GITHUB_SERVER_URL and GITHUB_RUN_ID (the link to the run).
 */
import { readFile } from "node:fs/promises";
import type { Octokit } from "@octokit/rest";
import { runAsScript } from "./entry-point.js";
import { fitBody, GITHUB_BODY_LIMIT, githubFromEnv, parseFlags, refusal, type Repository } from "./github.js";
import { ConfigError } from "../src/errors.js";

export const DRIFT_LABEL = "infra-drift";
const marker = (env: string) => `<!-- infra-drift:${env} -->`;
const titleOf = (env: string) => `Drift in ${env}: infrastructure changed outside terraform`;

export interface DriftReport {
  env: string;
  drifted: boolean;
  markdown: string;
}

export interface RunLink {
  /** The run that found it, e.g. https://github.com/owner/name/actions/runs/123 */
  url: string | null;
}

export type IssueOutcome = { action: "opened" | "updated" | "closed"; number: number } | { action: "none" };

/** Reads `infra drift --json`'s output; anything else is one sentence naming the file. */
export async function readDriftReport(file: string, env: string): Promise<DriftReport> {
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(`cannot read the drift report ${file} (${error.code ?? error.message})`, "pass the drift.json that `infra drift --json` (or `dagger call drift`) wrote");
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`the drift report ${file} is not JSON`, "pass the drift.json that `infra drift --json` wrote");
  }
  const record = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if ("error" in record) {
    const error = record["error"] as { message?: unknown } | string;
    const message = typeof error === "string" ? error : typeof error?.message === "string" ? error.message : JSON.stringify(error);
    throw new ConfigError(`the drift check of ${env} failed, so nothing is known about drift: ${message}`, "read the drift job's log, fix what it names and run the workflow again");
  }
  if (typeof record["drifted"] !== "boolean" || typeof record["markdown"] !== "string" || record["env"] !== env) {
    throw new ConfigError(`${file} is not a drift report of ${env} (it needs env "${env}", drifted and markdown)`, "pass the drift.json that `infra drift --env ENV --json` wrote for this environment");
  }
  return { env, drifted: record["drifted"], markdown: record["markdown"] };
}

/** The issue body: the marker, what changed (the review's markdown), the run; cut to GitHub's limit with a pointer to the run. */
export function issueBody(report: DriftReport, run: RunLink): string {
  const head = `${marker(report.env)}\n\`infra drift --env ${report.env}\` found changes made outside terraform${run.url ? ` ([run](${run.url}))` : ""}. Bring them back under terraform (change the code and apply it) or undo them; this issue closes itself when the next check finds no drift.\n\n`;
  return fitBody(`${head}${report.markdown}`, `\n\n... cut to fit GitHub's ${GITHUB_BODY_LIMIT} characters: the whole report is the drift artifact${run.url ? ` of [the run](${run.url})` : ""}.\n`);
}

/** Opens, updates or closes the one issue of `report.env`. */
export async function syncDriftIssue(octokit: Octokit, repository: Repository, report: DriftReport, run: RunLink): Promise<IssueOutcome> {
  const open = await octokit.paginate(octokit.rest.issues.listForRepo, { ...repository, state: "open", labels: DRIFT_LABEL, per_page: 100 });
  const existing = open.find((issue) => issue.pull_request === undefined && (issue.body ?? "").startsWith(marker(report.env)));
  if (report.drifted) {
    const body = issueBody(report, run);
    if (existing) {
      await octokit.rest.issues.update({ ...repository, issue_number: existing.number, title: titleOf(report.env), body });
      return { action: "updated", number: existing.number };
    }
    const created = await octokit.rest.issues.create({ ...repository, title: titleOf(report.env), body, labels: [DRIFT_LABEL] });
    return { action: "opened", number: created.data.number };
  }
  if (!existing) return { action: "none" };
  await octokit.rest.issues.createComment({ ...repository, issue_number: existing.number, body: `No drift in ${report.env} any more${run.url ? ` ([run](${run.url}))` : ""}: the infrastructure matches the state terraform last wrote.` });
  await octokit.rest.issues.update({ ...repository, issue_number: existing.number, state: "closed", state_reason: "completed" });
  return { action: "closed", number: existing.number };
}

async function main(args: string[], processEnv: NodeJS.ProcessEnv): Promise<void> {
  const flags = parseFlags(args, ["env", "report"], { what: "name the environment and its report", line: "npx tsx scripts/drift-issue.ts --env ENV --report drift/ENV/drift.json" });
  const report = await readDriftReport(flags.report, flags.env);
  const { octokit, repository, runUrl } = githubFromEnv(processEnv, { where: "the drift workflow's issue job", permission: "issues: write" });
  let outcome: IssueOutcome;
  try {
    outcome = await syncDriftIssue(octokit, repository, report, { url: runUrl });
  } catch (error) {
    throw refusal(error, `update the drift issue of ${flags.env} in ${repository.owner}/${repository.repo}`, "check that the job has `issues: write` and that GITHUB_API_URL is the repository's API");
  }
  process.stdout.write(outcome.action === "none" ? `no drift in ${flags.env}, and no open drift issue\n` : `drift issue #${outcome.number} of ${flags.env}: ${outcome.action}\n`);
}

runAsScript(import.meta.url, () => main(process.argv.slice(2), process.env));
