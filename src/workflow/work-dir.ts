import path from "node:path";
import type { ReadOptions } from "../config/environment.js";

// Apart from context.ts, which loads the terraform runner and child_process: `infra policy`
// needs these two and none of that (a few ms of every run).

/** Per-run working files (terraform data dirs) live here, outside the configuration. */
export function workDir(root: string): string {
  return path.join(root, ".infra");
}

/** How workflows read HCL: parsed files are cached by content under the work dir. */
export function readOptions(context: { root: string }): ReadOptions {
  return { cacheDir: path.join(workDir(context.root), "hcl") };
}
