#!/usr/bin/env -S npx tsx
/**
 * Keeps one comment per environment on a pull request in step with its read-only plan
 * (`pr-comment-<env>` in .github/workflows/infra.yml): the first run writes it, every later run
 * rewrites the same comment, found by the marker it starts with (`<!-- infra-plan:<env> -->`).
 * Counts, destructive changes and policy come first; the bundle's summary.md follows collapsed;
 * whatever does not fit GitHub's 65,536 characters is left to report.html in the run's artifact.
 *
 *   npx tsx scripts/pr-comment.ts --env ENV --bundle artifacts/ENV --pr NUMBER [--report-url URL]
 *   npx tsx scripts/pr-comment.ts --env ENV --pr NUMBER --plan-result failure|skipped
 *
 * The bundle is the artifact `pr-plan-<env>` (summary.md, summary.json, manifest.json; its tfplan
 * never leaves the plan job). --report-url is where that artifact is downloaded (the upload step's
 * `artifact-url`); without it the comment links the run. --plan-result is how the plan job ended
 * (`needs.pr-plan-<env>.result`): without a bundle, the comment says there is no plan for this push.
 *
 * Environment: GITHUB_TOKEN (the job's token, `pull-requests: write`), GITHUB_REPOSITORY,
 * GITHUB_API_URL, GITHUB_SERVER_URL and GITHUB_RUN_ID (set by the runner).
 */
import type { Octokit } from "@octokit/rest";
import { runAsScript } from "./entry-point.js";
import { GITHUB_BODY_LIMIT, githubFromEnv, parseFlags, refusal, type Repository } from "./github.js";
import { BundleFile } from "../src/bundle/layout.js";
import { readBundleText } from "../src/bundle/read.js";
import { ConfigError, UsageError } from "../src/errors.js";
import type { Finding } from "../src/policy/index.js";
import { renderPolicyMarkdown, type PolicyVerdict } from "../src/policy/report.js";
import { markdownCode, markdownText } from "../src/review/escape.js";
import { actionLabel, countsLabel, headline, protectedDestructionsIn } from "../src/review/render.js";
import { parseSummaryJson } from "../src/review/summary-file.js";
import { describeCounts, isDestructive, type Summary } from "../src/review/summary.js";

const marker = (env: string) => `<!-- infra-plan:${env} -->`;
/** The part above the collapsed summary.md: long lists of destroys or findings are cut to this, so summary.md keeps room. */
const HEAD_LIMIT = 20_000;

export interface PlanComment {
  env: string;
  summary: Summary;
  /** The bundle's summary.md, escaped where it was written. */
  summaryMarkdown: string;
  commit: string | null;
  policy: (PolicyVerdict & { findings: Finding[] }) | null;
  /** Where report.html can be downloaded (the artifact, or the run that holds it); null outside Actions. */
  reportUrl: string | null;
}

export type CommentOutcome = { action: "created" | "updated"; id: number };

/** Reads the PR plan bundle of `env`; a missing or foreign file is one sentence naming it. */
export async function readPlanComment(dir: string, env: string, reportUrl: string | null): Promise<PlanComment> {
  const hint = `pass the directory the artifact pr-plan-${env} was downloaded to (\`dagger call plan --env ${env} --read-only -o DIR\` writes it)`;
  const read = async (name: string) => {
    const text = await readBundleText(dir, name);
    if (text === null) throw new ConfigError(`the plan bundle ${dir} has no ${name}`, hint);
    return text;
  };
  const manifestFile = `${dir}/${BundleFile.manifest}`;
  let manifest: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(await read(BundleFile.manifest));
    manifest = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${manifestFile} is not JSON`, hint);
  }
  if (manifest["env"] !== env) throw new ConfigError(`${manifestFile} is the plan of ${JSON.stringify(manifest["env"])}, not of ${env}`, hint);
  const findings = manifest["findings"] ?? [];
  const verdict = manifest["policy"];
  if (!Array.isArray(findings) || !findings.every(isFinding) || (verdict !== undefined && !isVerdict(verdict))) {
    throw new ConfigError(`${manifestFile} is not a manifest infra wrote (its findings or policy verdict are malformed)`, hint);
  }
  const summary = parseSummaryJson(await read(BundleFile.summaryJson), `${dir}/${BundleFile.summaryJson}`);
  return {
    env,
    summary,
    summaryMarkdown: await read(BundleFile.summaryMarkdown),
    commit: typeof manifest["commit"] === "string" ? manifest["commit"] : null,
    policy: verdict === undefined ? null : { ...verdict, findings },
    reportUrl,
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

function isFinding(value: unknown): value is Finding {
  return isRecord(value) && typeof value["rule"] === "string" && (value["severity"] === "error" || value["severity"] === "warning") && typeof value["message"] === "string";
}

function isVerdict(value: unknown): value is PolicyVerdict {
  return (
    isRecord(value) &&
    (value["status"] === "passed" || value["status"] === "failed") &&
    typeof value["errors"] === "number" &&
    typeof value["warnings"] === "number" &&
    Array.isArray(value["waivers"]) &&
    value["waivers"].every((waiver) => isRecord(waiver) && typeof waiver["rule"] === "string" && typeof waiver["reason"] === "string" && typeof waiver["expires"] === "string")
  );
}

/** Lines while they fit `limit` characters, then one saying how many were left out. */
function linesWithin(lines: readonly string[], limit: number, more: (left: number) => string): string[] {
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    if (used + line.length + 1 > limit) return [...kept, more(lines.length - kept.length)];
    kept.push(line);
    used += line.length + 1;
  }
  return kept;
}

/**
 * Where summary.md may be cut: after a line that closes no open fence or `<details>`, so the cut
 * leaves no code block swallowing what follows. Returns the longest such prefix of at most `limit`.
 */
export function cutMarkdown(markdown: string, limit: number): string {
  let fence: string | null = null;
  let open = 0;
  let best = 0;
  let offset = 0;
  for (const line of markdown.split("\n")) {
    offset += line.length + 1;
    if (offset > limit) break;
    const run = /^(`{3,})/.exec(line)?.[1];
    if (fence !== null) {
      if (line.trimEnd() === fence) fence = null;
    } else if (run) fence = run;
    else if (line.startsWith("<details>")) open += 1;
    else if (line.startsWith("</details>")) open -= 1;
    if (fence === null && open === 0) best = offset;
  }
  return markdown.slice(0, best);
}

/** A URL as a markdown link target: only http(s), and nothing in it that could end the link. */
function linkTarget(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
    return parsed.href.replace(/[()<>\s]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
  } catch {
    return null;
  }
}

/** The comment: marker, counts, destructive changes, policy; then summary.md collapsed, cut with a link to report.html when it would not fit. */
export function commentBody(plan: PlanComment, limit = GITHUB_BODY_LIMIT): string {
  const { summary, env } = plan;
  const head = [
    marker(env),
    `### Read-only plan of ${markdownCode(env)}${plan.commit ? ` at ${markdownCode(plan.commit.slice(0, 12))}` : ""}`,
    "",
    `**${markdownText(headline(summary))}**`,
  ];
  if (summary.hasChanges) head.push("", `${markdownText(countsLabel(summary))}: ${markdownText(describeCounts(summary.counts))}`);
  const protectedDestructions = protectedDestructionsIn(summary);
  if (protectedDestructions.length > 0) {
    head.push(
      "",
      "> [!CAUTION]",
      `> **${protectedDestructions.length} protected resource(s) will be deleted or replaced; apply refuses each until \`--allow-destroy ADDRESS\` names it:**`,
      ...linesWithin(
        protectedDestructions.map((found) => `> - ${markdownText(found.action)} ${markdownCode(found.address)} (${markdownText(found.kind)})`),
        HEAD_LIMIT / 4,
        (left) => `> - …and ${left} more: see the summary below, or report.html in the artifact`,
      ),
    );
  }
  const destructive = summary.resources.filter((resource) => isDestructive(resource.action));
  if (destructive.length > 0) {
    head.push(
      "",
      "> [!WARNING]",
      `> **${destructive.length} resource(s) will be destroyed or replaced:**`,
      ...linesWithin(
        destructive.map((resource) => `> - ${markdownText(actionLabel(resource))} ${markdownCode(resource.address)}`),
        HEAD_LIMIT / 2,
        (left) => `> - …and ${left} more: see the summary below, or report.html in the artifact`,
      ),
    );
  }
  if (plan.policy) {
    const policy = renderPolicyMarkdown(plan.policy).trimEnd().split("\n");
    head.push(...linesWithin(policy, HEAD_LIMIT / 4, (left) => `- …and ${left} more lines: manifest.json in the artifact lists every finding`));
  } else {
    head.push("", "No policy verdict in this bundle's manifest.");
  }
  const link = plan.reportUrl === null ? null : linkTarget(plan.reportUrl);
  const where = link ? `[report.html in the artifact pr-plan-${markdownText(env)}](${link})` : `report.html in the artifact pr-plan-${markdownText(env)} of this run`;
  const open = ["", "<details><summary>The whole summary (summary.md)</summary>", "", ""].join("\n");
  const close = "\n\n</details>\n";
  const cutNote = `\n… cut to fit GitHub's ${GITHUB_BODY_LIMIT} characters: everything is in ${where}.\n`;
  const top = `${head.join("\n")}\n`;
  const full = `${top}${open}${plan.summaryMarkdown.trimEnd()}${close}`;
  if (full.length <= limit) return full;
  const room = limit - top.length - open.length - close.length - cutNote.length;
  return `${top}${open}${cutMarkdown(plan.summaryMarkdown, Math.max(0, room)).trimEnd()}${close}${cutNote}`;
}

/** How the plan job ended when it made no bundle (needs.<job>.result). */
export const PLAN_RESULTS = ["success", "failure", "skipped"] as const;

export interface PlanNotMade {
  env: string;
  result: Exclude<(typeof PLAN_RESULTS)[number], "success">;
  runUrl: string | null;
}

/**
 * The comment when the newest push has no plan: it replaces the last plan's comment, which
 * described an earlier push and would otherwise pass for this one's.
 */
export function notMadeBody(plan: PlanNotMade): string {
  const link = plan.runUrl === null ? null : linkTarget(plan.runUrl);
  return [
    marker(plan.env),
    `### Read-only plan of ${markdownCode(plan.env)}`,
    "",
    `**No plan for the latest push: the job ${markdownCode(`pr-plan-${plan.env}`)} ended with ${markdownText(plan.result)}**${link ? ` ([run](${link}))` : ""}.`,
    "",
    "What this comment showed before described an earlier push. Read the job's log, fix what it names and push again.",
    "",
  ].join("\n");
}

/** Writes the comment of `plan.env` on the pull request, or rewrites the one already there; other comments are left alone. */
export async function syncPlanComment(octokit: Octokit, repository: Repository, pullRequest: number, plan: PlanComment | PlanNotMade): Promise<CommentOutcome> {
  const body = "summary" in plan ? commentBody(plan) : notMadeBody(plan);
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...repository, issue_number: pullRequest, per_page: 100 });
  // Only a bot's comment is ours to rewrite: a person who pastes the marker keeps their comment.
  const existing = comments.find((comment) => comment.user?.type === "Bot" && (comment.body ?? "").startsWith(`${marker(plan.env)}\n`));
  if (existing) {
    await octokit.rest.issues.updateComment({ ...repository, comment_id: existing.id, body });
    return { action: "updated", id: existing.id };
  }
  const created = await octokit.rest.issues.createComment({ ...repository, issue_number: pullRequest, body });
  return { action: "created", id: created.data.id };
}

const USAGE = {
  what: "name the environment, its plan bundle and the pull request",
  line: "npx tsx scripts/pr-comment.ts --env ENV --bundle artifacts/ENV --pr NUMBER [--report-url URL] [--plan-result success|failure|skipped]",
};

async function main(args: string[], processEnv: NodeJS.ProcessEnv): Promise<void> {
  const flags = parseFlags(args, ["env", "bundle", "pr", "report-url", "plan-result"], USAGE, ["bundle", "report-url", "plan-result"]);
  const result = flags["plan-result"] ?? "success";
  if (!(PLAN_RESULTS as readonly string[]).includes(result)) {
    throw new UsageError(`--plan-result ${JSON.stringify(result)} is not ${PLAN_RESULTS.join(", ")}`, "pass ${{ needs.pr-plan-ENV.result }} (a cancelled plan needs no comment)");
  }
  if (result === "success" && flags.bundle === undefined) throw new UsageError(USAGE.what, `usage: ${USAGE.line}`);
  if (!/^[1-9]\d{0,9}$/.test(flags.pr)) throw new UsageError(`--pr ${JSON.stringify(flags.pr)} is not a pull request number`, "pass ${{ github.event.pull_request.number }}");
  if (!/^[A-Za-z0-9_-]+$/.test(flags.env)) throw new UsageError(`--env ${JSON.stringify(flags.env)} is not an environment name`, "pass the name of a folder under terraform/envs/");
  if (flags["report-url"] !== undefined && linkTarget(flags["report-url"]) === null) {
    throw new UsageError(`--report-url ${JSON.stringify(flags["report-url"])} is not an http(s) URL`, "pass the upload step's artifact-url, or leave it out to link the run");
  }
  const { octokit, repository, runUrl } = githubFromEnv(processEnv, { where: "the pr-comment job of infra.yml", permission: "pull-requests: write" });
  const plan = flags.bundle === undefined || result !== "success"
    ? { env: flags.env, result: result as PlanNotMade["result"], runUrl }
    : await readPlanComment(flags.bundle, flags.env, flags["report-url"] ?? runUrl);
  let outcome: CommentOutcome;
  try {
    outcome = await syncPlanComment(octokit, repository, Number(flags.pr), plan);
  } catch (error) {
    throw refusal(error, `write the plan comment of ${flags.env} on pull request #${flags.pr} of ${repository.owner}/${repository.repo}`, "check that the job has `pull-requests: write` and that GITHUB_API_URL is the repository's API");
  }
  process.stdout.write(`plan comment of ${flags.env} on pull request #${flags.pr}: ${outcome.action} (${outcome.id})\n`);
}

runAsScript(import.meta.url, () => main(process.argv.slice(2), process.env));
