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
