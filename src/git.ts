import { exec } from "./process.js";

export interface SourceRevision {
  /** HEAD commit of the repository holding the terraform tree, or null outside a repository. */
  commit: string | null;
  /** Uncommitted changes under the tree; null when there is no repository to ask. */
  dirty: boolean | null;
}

/** Where the plan's source came from, so a reviewer can tell whether it matches a commit. */
export async function readRevision(dir: string): Promise<SourceRevision> {
  const head = await exec("git", ["rev-parse", "HEAD"], { cwd: dir });
  if (head.exitCode !== 0) return { commit: null, dirty: null };
  const status = await exec("git", ["status", "--porcelain", "--untracked-files=normal", "--", "."], { cwd: dir });
  return { commit: head.stdout.trim(), dirty: status.stdout.trim() !== "" };
}
