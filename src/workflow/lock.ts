import { stat } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.js";
import { LOCK_PLATFORMS } from "../terraform/platforms.js";
import { findRoots } from "./check.js";
import { requireTerraform, terraformFor, type WorkflowContext } from "./context.js";


export interface LockInput {
  platforms: readonly string[];
  /** A provider mirror directory to take hashes from instead of the registry (air-gapped use). */
  fsMirror?: string;
}

export interface LockResult {
  platforms: string[];
  /** Each root's lock file, relative to the tree root. */
  lockFiles: string[];
}

/**
 * Writes `.terraform.lock.hcl` in every root (environments, bootstrap, org; not reusable modules,
 * whose callers own the lock) with provider hashes for every platform that runs terraform, so a
 * lock made on one machine verifies on all the others.
 */
export async function lock(context: WorkflowContext, input: LockInput): Promise<LockResult> {
  const bad = input.platforms.filter((platform) => !/^[a-z0-9]+_[a-z0-9]+$/.test(platform));
  if (input.platforms.length === 0 || bad.length > 0) {
    throw new UsageError(
      input.platforms.length === 0 ? "--platform names no platform" : `--platform ${bad.map((value) => JSON.stringify(value)).join(", ")} is not an os_arch pair`,
      `name platforms as terraform does, e.g. --platform ${LOCK_PLATFORMS.join(" --platform ")}`,
    );
  }
  const fsMirror = input.fsMirror === undefined ? undefined : path.resolve(input.fsMirror);
  if (fsMirror !== undefined && !(await stat(fsMirror).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(`--fs-mirror ${fsMirror} is not a directory`, "pass a provider mirror laid out as registry.terraform.io/<namespace>/<type>/<version>/<os_arch>/");
  }
  await requireTerraform(context);
  const modules = path.join(context.root, "modules");
  const roots = (await findRoots(context.root)).filter((dir) => dir !== modules && !dir.startsWith(`${modules}${path.sep}`));
  const lockFiles: string[] = [];
  // One root at a time: each one downloads providers for every platform.
  for (const dir of roots) {
    const relative = path.relative(context.root, dir);
    const terraform = terraformFor(context, dir, relative === "" ? "lock" : path.join("lock", relative));
    await context.logger.step(`terraform providers lock (${relative || "."})`, async () => {
      // Local modules must be installed for terraform to see their provider requirements.
      await terraform.run(["get", "-no-color"]);
      await terraform.run([
        "providers",
        "lock",
        "-no-color",
        ...(fsMirror !== undefined ? [`-fs-mirror=${fsMirror}`] : []),
        ...input.platforms.map((platform) => `-platform=${platform}`),
      ]);
    });
    lockFiles.push(path.join(relative, ".terraform.lock.hcl"));
  }
  return { platforms: [...input.platforms], lockFiles };
}
