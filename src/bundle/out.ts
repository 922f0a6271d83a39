import { lstat, mkdir, mkdtemp, readdir, realpath, rename, rm } from "node:fs/promises";
import path from "node:path";
import { BundleError, UsageError } from "../errors.js";
import { displayPath, fileSystemError } from "../fs-errors.js";
import { isProcessAlive } from "../process.js";
import { BundleFile } from "./layout.js";
import { readBundleManifest } from "./manifest.js";

/** Directories `--out` must never name, nor be a parent of: replacing them would destroy the user's work. */
export interface OutGuard {
  /** Where infra was run. */
  cwd: string;
  /** The terraform tree (`--root`). */
  root: string;
}

const OUT_HINT = "pass --out a new directory, or one that holds an earlier plan bundle (the default is artifacts/<env>)";
const BUNDLE_FILES: ReadonlySet<string> = new Set(Object.values(BundleFile));

/**
 * Checks that `out` may receive a new bundle, and returns its absolute path. Only a directory
 * that is one of our plan bundles (nothing in it but bundle files, and our manifest) is ever
 * replaced; a new path is created. The current directory and its parents, the terraform tree,
 * anything in it and its parents, a file, a link: each refused by name.
 */
export async function checkOut(out: string, guard: OutGuard): Promise<string> {
  if (out.trim() === "") throw new UsageError("--out is empty", OUT_HINT);
  const given = path.resolve(guard.cwd, out);
  const target = await canonical(given);
  const [cwd, root] = await Promise.all([canonical(guard.cwd), canonical(guard.root)]);
  const refuse = (why: string) => new BundleError(`refusing --out ${displayPath(out)}: ${why}; nothing was changed`, OUT_HINT);
  if (isSameOrInside(cwd, target)) throw refuse(target === cwd ? "it is the current directory" : `it is a parent of the current directory ${cwd}`);
  if (isSameOrInside(target, root)) throw refuse(target === root ? "it is the terraform tree (--root)" : `it is inside the terraform tree ${root}`);
  if (isSameOrInside(root, target)) throw refuse(`it is a parent of the terraform tree ${root}`);
  if ((await lstat(given).catch(() => null))?.isSymbolicLink()) throw refuse("it is a symbolic link");
  const info = await lstat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw fileSystemError(error, `cannot use --out ${displayPath(out)}`, OUT_HINT);
  });
  if (info === null) return target;
  if (!info.isDirectory()) throw refuse("it is a file, not a directory");
  const entries = await readdir(target);
  if (entries.length === 0) return target;
  const foreign = entries.filter((name) => !BUNDLE_FILES.has(name));
  if (foreign.length > 0) {
    throw refuse(`it is not a plan bundle: it holds ${foreign.slice(0, 5).join(", ")}${foreign.length > 5 ? ` and ${foreign.length - 5} more` : ""}`);
  }
  await readBundleManifest(target).catch(() => {
    throw refuse(`it is not a plan bundle of infra: it has no valid ${BundleFile.manifest}`);
  });
  return target;
}

/** A private staging directory beside `out`, named so a later plan can tell whether its writer is gone. */
export async function createStaging(out: string): Promise<string> {
  const parent = path.dirname(out);
  await mkdir(parent, { recursive: true }).catch((error: unknown) => {
    throw fileSystemError(error, `cannot create ${displayPath(parent)} for the plan bundle`, OUT_HINT);
  });
  await removeLeftovers(out);
  return mkdtemp(path.join(parent, `${leftoverPrefix(out)}partial-${process.pid}-`)).catch((error: unknown) => {
    throw fileSystemError(error, `cannot write the plan bundle beside ${displayPath(out)}`, OUT_HINT);
  });
}

/** Moves a complete staging directory into place; the bundle it replaces is removed after. */
export async function commitStaging(staging: string, out: string): Promise<void> {
  const old = await lstat(out).then(
    () => `${path.join(path.dirname(out), leftoverPrefix(out))}replaced-${process.pid}-${path.basename(staging).slice(-6)}`,
    () => null,
  );
  if (old) await rename(out, old);
  await rename(staging, out);
  if (old) await rm(old, { recursive: true, force: true });
}

function leftoverPrefix(out: string): string {
  return `.${path.basename(out)}.`;
}

/**
 * Removes what plans killed before they finished left beside `out` (staging and replaced
 * directories), unless the process that made them is still running.
 */
export async function removeLeftovers(out: string): Promise<string[]> {
  const parent = path.dirname(out);
  const prefix = leftoverPrefix(out);
  const names = await readdir(parent).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const match = /^(?:partial|replaced)-(?:(\d+)-)?/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : "");
    if (!match) continue;
    const pid = match[1] === undefined ? null : Number(match[1]);
    if (pid !== null && isProcessAlive(pid)) continue;
    await rm(path.join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function isSameOrInside(inner: string, outer: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === "" || (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/** The real path of `file`, resolving links in the part that exists (the rest may not exist yet). */
async function canonical(file: string): Promise<string> {
  const missing: string[] = [];
  let existing = file;
  for (;;) {
    const real = await realpath(existing).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ENOTDIR") return null;
      throw fileSystemError(error, `cannot use the path ${displayPath(file)}`, OUT_HINT);
    });
    if (real !== null) return path.join(real, ...missing.reverse());
    const parent = path.dirname(existing);
    if (parent === existing) return file;
    missing.push(path.basename(existing));
    existing = parent;
  }
}
