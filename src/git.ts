import { $ } from "zx";

export interface SourceRevision {
  /** HEAD commit of the repository holding the terraform tree, or null outside a repository. */
  commit: string | null;
  /** Uncommitted changes under the tree; null when there is no repository to ask. */
  dirty: boolean | null;
}

/** Where the plan's source came from, so a reviewer can tell whether it matches a commit. */
export async function readRevision(dir: string): Promise<SourceRevision> {
  const git = $({ cwd: dir, quiet: true, nothrow: true });
  const head = await git`git rev-parse HEAD`;
  if (head.exitCode !== 0) return { commit: null, dirty: null };
  const status = await git`git status --porcelain --untracked-files=normal -- .`;
  return { commit: head.stdout.trim(), dirty: status.stdout.trim() !== "" };
}
