import { ToolError } from "./errors.js";
import { exec } from "./process.js";

export interface SourceRevision {
  /** HEAD commit of the repository holding the terraform tree, or null outside a repository. */
  commit: string | null;
  /** Uncommitted changes under the tree; null when there is no repository to ask. */
  dirty: boolean | null;
}

/**
 * Where the plan's source came from, so a reviewer can tell whether it matches a commit.
 * One `git status --porcelain=v2 --branch` answers both: its header names HEAD, the
 * remaining lines are the changes.
 */
export async function readRevision(dir: string): Promise<SourceRevision> {
  const status = await exec("git", ["status", "--porcelain=v2", "--branch", "--untracked-files=normal", "--", "."], { cwd: dir });
  if (status.exitCode !== 0) return { commit: null, dirty: null };
  return parseStatus(status.stdout);
}

export function parseStatus(porcelainV2: string): SourceRevision {
  const lines = porcelainV2.split("\n").filter(Boolean);
  const oid = lines.find((line) => line.startsWith("# branch.oid "))?.slice("# branch.oid ".length);
  const commit = oid && /^[0-9a-f]{40,64}$/.test(oid) ? oid : null;
  return { commit, dirty: lines.some((line) => !line.startsWith("#")) };
}

/** What a repository holding a terraform tree never tracks: working files, state, bundles. */
export const TREE_GITIGNORE = [".infra/", "*.tfstate", "*.tfstate.*", ".terraform.tfstate.lock.info", "artifacts/"].join("\n");

/**
 * Makes `dir` a git repository with one commit of everything in it (the demo's workspace), so
 * plans carry a commit and the promotion ledger has a home. Returns the commit.
 */
export async function commitAll(dir: string, message: string): Promise<string> {
  const author = ["-c", "user.name=infra", "-c", "user.email=infra@example.invalid", "-c", "commit.gpgsign=false"];
  const steps: Array<[string, string[]]> = [
    ["init", ["init", "-q"]],
    ["add", ["add", "-A"]],
    ["commit", [...author, "commit", "-q", "-m", message]],
    ["rev-parse", ["rev-parse", "HEAD"]],
  ];
  let output = "";
  for (const [name, args] of steps) {
    const result = await exec("git", args, { cwd: dir });
    if (result.exitCode !== 0) {
      throw new ToolError(`git ${name} failed in ${dir}: ${(result.spawnError?.message ?? result.stderr).trim()}`, "install git; plans are made from commits");
    }
    output = result.stdout;
  }
  return output.trim();
}
