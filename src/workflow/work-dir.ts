import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Environment, ReadOptions } from "../config/environment.js";
import { displayPath, fileSystemError } from "../fs-errors.js";

// Apart from context.ts, which loads the terraform runner and child_process: `infra policy`
// needs these and none of that (a few ms of every run).

/** Per-run working files (terraform data dirs) live here, outside the configuration. */
export function workDir(root: string): string {
  return path.join(root, ".infra");
}

/**
 * The data dir plan, gate and apply of one stack share (its lock, its unfinished-apply markers):
 * `env/<name>` for an environment, and one per account stack, so bootstrap/dev never shares dev's.
 */
export function stackDataDir(root: string, environment: Pick<Environment, "name" | "stack" | "accountStack">): string {
  return path.join(workDir(root), stackDataDirName(environment));
}

/** stackDataDir, relative to the work dir. */
export function stackDataDirName(environment: Pick<Environment, "name" | "stack" | "accountStack">): string {
  return environment.accountStack ? `stack/${encodeURIComponent(environment.stack)}` : `env/${environment.name}`;
}

/** What a tool's own cache directory holds so that git never sees it, whatever the repository's .gitignore says. */
export const IGNORE_EVERYTHING = "# infra's working files: never committed\n*\n";

/**
 * Creates the work dir, ignoring itself (as tool caches do), so infra's own files never make a
 * checkout look changed. A work dir that cannot be written is one sentence, not a stack trace.
 */
export async function prepareWorkDir(root: string): Promise<string> {
  const dir = workDir(root);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(path.join(dir, ".gitignore"), IGNORE_EVERYTHING, { flag: "wx" }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  } catch (error) {
    throw fileSystemError(error, `cannot write infra's working directory ${displayPath(dir)}`, `make ${displayPath(dir)} a writable directory (remove whatever is in its place) and run again`);
  }
  return dir;
}

/** How workflows read HCL: parsed files are cached by content under the work dir. */
export function readOptions(context: { root: string }): ReadOptions {
  return { cacheDir: path.join(workDir(context.root), "hcl") };
}
