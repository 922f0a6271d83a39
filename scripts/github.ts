/**
 * What the scripts that write to GitHub from a workflow share (drift-issue.ts, pr-comment.ts):
 * flags, the job's token and repository, one Octokit that stays quiet, a body cut to GitHub's
 * limit, and a refusal said in one sentence.
 */
import { Octokit } from "@octokit/rest";
import { parseArgv } from "zx";
import { ConfigError, UsageError } from "../src/errors.js";

/** GitHub refuses an issue, pull request or comment body over 65,536 characters. */
export const GITHUB_BODY_LIMIT = 65_536;

export interface Repository {
  owner: string;
  repo: string;
}

export interface GitHubContext {
  octokit: Octokit;
  repository: Repository;
  /** The run that writes, e.g. https://github.com/owner/name/actions/runs/123; null outside Actions. */
  runUrl: string | null;
}

/** `--name value` flags, each named in `flags` and each required unless in `optional`; anything else is the usage line. */
export function parseFlags<const Name extends string, const Optional extends Name = never>(
  args: readonly string[],
  flags: readonly Name[],
  usage: { what: string; line: string },
  optional: readonly Optional[] = [],
): Record<Exclude<Name, Optional>, string> & Partial<Record<Optional, string>> {
  const argv = parseArgv([...args], { string: [...flags] });
  const unknown = Object.keys(argv).filter((key) => key !== "_" && !(flags as readonly string[]).includes(key));
  const values: Record<string, string> = {};
  let bad = unknown.length > 0 || argv._.length > 0;
  for (const flag of flags) {
    const value: unknown = argv[flag];
    if (typeof value === "string" && value !== "") values[flag] = value;
    else if (value !== undefined || !(optional as readonly string[]).includes(flag)) bad = true;
  }
  if (bad) throw new UsageError(usage.what, `usage: ${usage.line}`);
  return values as Record<Exclude<Name, Optional>, string> & Partial<Record<Optional, string>>;
}

/**
 * The job's token, repository and run, from what the runner sets (GITHUB_TOKEN is passed by the
 * step). `job` names where the script runs and the permission its token needs, for the hint.
 */
export function githubFromEnv(processEnv: NodeJS.ProcessEnv, job: { where: string; permission: string }): GitHubContext {
  const required = (name: string): string => {
    const value = processEnv[name];
    if (!value) throw new ConfigError(`${name} is not set`, `run this in ${job.where}, or set it (GITHUB_TOKEN needs ${job.permission})`);
    return value;
  };
  const token = required("GITHUB_TOKEN");
  const [owner, repo, ...extra] = required("GITHUB_REPOSITORY").split("/");
  if (!owner || !repo || extra.length > 0) throw new ConfigError(`GITHUB_REPOSITORY "${processEnv["GITHUB_REPOSITORY"]}" is not owner/name`, "set it as the runner does, e.g. example-org/infra");
  const server = processEnv["GITHUB_SERVER_URL"];
  const runId = processEnv["GITHUB_RUN_ID"];
  // Octokit's own log would print each failed request before our sentence; the sentence says it all.
  const quiet = () => undefined;
  const octokit = new Octokit({
    auth: token,
    ...(processEnv["GITHUB_API_URL"] ? { baseUrl: processEnv["GITHUB_API_URL"] } : {}),
    request: { retries: 0 },
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
  return { octokit, repository: { owner, repo }, runUrl: server && runId ? `${server}/${owner}/${repo}/actions/runs/${runId}` : null };
}

/** `full` if GitHub takes it, else its start with `tail` (saying where the rest is) at the end, `limit` characters in all. */
export function fitBody(full: string, tail: string, limit = GITHUB_BODY_LIMIT): string {
  if (full.length <= limit) return full;
  return `${full.slice(0, limit - tail.length)}${tail}`;
}

/** A failed request as one sentence: what was refused, the status, GitHub's first line; never the token. */
export function refusal(error: unknown, what: string, hint: string): ConfigError {
  const status = (error as { status?: unknown }).status;
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return new ConfigError(`GitHub refused to ${what}${typeof status === "number" ? ` (HTTP ${status})` : ""}: ${message}`, hint);
}
