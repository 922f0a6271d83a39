import { constants } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import path from "node:path";
import { BundleError } from "../errors.js";
import { sha256File } from "./digest.js";
import { BundleFile } from "./layout.js";

/** A copy of a bundle's tfplan that only this process can read or change. */
export interface PrivatePlan {
  file: string;
  /** sha256 of the copy itself: what apply will execute. */
  digest: string;
  remove(): Promise<void>;
}

/**
 * Copies `<bundle>/tfplan` into a new 0700 directory under `parent` (file 0600) and hashes the
 * copy. Apply checks that hash against the manifest and runs terraform on the copy, so a tfplan
 * swapped in the bundle after the check is never what gets applied.
 */
export async function copyPlanPrivately(bundle: string, parent: string): Promise<PrivatePlan> {
  const dir = await mkdtemp(path.join(parent, "private-plan-"));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const file = path.join(dir, BundleFile.plan);
    const source = await open(path.join(bundle, BundleFile.plan), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      if (!(await source.stat()).isFile()) throw new BundleError(`${path.join(bundle, BundleFile.plan)} is not a regular file`, "make a new plan; never edit a bundle by hand");
      const target = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        for await (const chunk of source.createReadStream({ autoClose: false })) await target.write(chunk as Buffer);
        await target.sync();
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
    return { file, digest: await sha256File(file), remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
