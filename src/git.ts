import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
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

/** A repository as a source check sees it: where it is, the commit HEAD names, how it hashes objects. */
export interface Repository {
  top: string;
  commit: string;
  objectFormat: "sha1" | "sha256";
}

export interface CommittedEntry {
  /** "blob" for files (links already followed to their target), "tree", "commit" (a submodule). */
  type: string;
  oid: string;
}

/** The repository holding `dir` and its HEAD commit, resolved once; null outside one or before the first commit. */
export async function openRepository(dir: string): Promise<Repository | null> {
  const found = await exec("git", ["rev-parse", "--show-toplevel", "--verify", "-q", "HEAD^{commit}"], { cwd: dir });
  const [top, commit] = found.stdout.split("\n");
  if (found.exitCode !== 0 || !top || !commit || !/^[0-9a-f]{40,64}$/.test(commit)) return null;
  const format = await exec("git", ["rev-parse", "--show-object-format"], { cwd: dir });
  return { top, commit, objectFormat: format.stdout.trim() === "sha256" ? "sha256" : "sha1" };
}

/**
 * The entries directly inside each of `dirs` (paths relative to the repository, "" for its top)
 * at the repository's commit, keyed by path. A committed symbolic link is followed within the
 * commit, as terraform follows it in a checkout (bootstrap roots link their environment.tf).
 */
export async function committedEntries(repository: Repository, dirs: readonly string[]): Promise<Map<string, CommittedEntry>> {
  const entries = new Map<string, CommittedEntry>();
  if (dirs.length === 0) return entries;
  const listed = await lsTree(repository, dirs.map((dir) => (dir === "" ? "." : `${dir}/`)));
  for (const [file, entry] of listed) entries.set(file, await followLink(repository, file, entry, 0));
  return entries;
}

async function lsTree(repository: Repository, pathspecs: readonly string[]): Promise<Map<string, CommittedEntry & { mode: string }>> {
  const listing = await exec("git", ["ls-tree", "-z", "--full-tree", repository.commit, "--", ...pathspecs], { cwd: repository.top });
  if (listing.exitCode !== 0) throw new ToolError(`git ls-tree failed in ${repository.top}: ${listing.stderr.trim()}`, "check that git can read the repository");
  const entries = new Map<string, CommittedEntry & { mode: string }>();
  for (const record of listing.stdout.split("\0").filter(Boolean)) {
    const tab = record.indexOf("\t");
    const [mode, type, oid] = record.slice(0, tab).split(" ");
    if (mode && type && oid) entries.set(record.slice(tab + 1), { mode, type, oid });
  }
  return entries;
}

async function followLink(repository: Repository, file: string, entry: CommittedEntry & { mode: string }, depth: number): Promise<CommittedEntry> {
  if (entry.mode !== "120000") return { type: entry.type, oid: entry.oid };
  const target = await exec("git", ["cat-file", "blob", entry.oid], { cwd: repository.top });
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), target.stdout));
  if (target.exitCode !== 0 || depth > 8 || resolved.startsWith("../") || path.posix.isAbsolute(target.stdout)) return { type: "link outside the repository", oid: entry.oid };
  const next = (await lsTree(repository, [resolved])).get(resolved);
  return next ? followLink(repository, resolved, next, depth + 1) : { type: "link to nothing committed", oid: entry.oid };
}

/**
 * Whether `content` is what git stores as `oid` at `repoFile`. The object id of the raw bytes
 * answers almost always; where it differs, git itself hashes the bytes through the path's
 * attributes (line endings, filters), as `git add` would have.
 */
export async function hashAsCommitted(repository: Repository, repoFile: string, content: Buffer, oid: string): Promise<boolean> {
  const raw = createHash(repository.objectFormat).update(`blob ${content.length}\0`).update(content).digest("hex");
  if (raw === oid) return true;
  const filtered = await exec("git", ["hash-object", `--path=${repoFile}`, "--stdin"], { cwd: repository.top, input: content });
  return filtered.exitCode === 0 && filtered.stdout.trim() === oid;
}

/** The committed bytes of `repoFile` at the repository's commit; null when the commit has no such file. */
export async function readCommittedFile(repository: Repository, repoFile: string): Promise<string | null> {
  const found = await exec("git", ["cat-file", "blob", `${repository.commit}:${repoFile}`], { cwd: repository.top });
  return found.exitCode === 0 ? found.stdout : null;
}

/**
 * Writes the files committed at `commit` under each of `dirs` (relative to the repository) into
 * `dest` at the same relative paths, as a checkout would (links stay links). Through a private
 * index rather than `git archive`, which leaves out whatever a committed .gitattributes marks
 * export-ignore.
 */
export async function exportCommitted(top: string, commit: string, dirs: readonly string[], dest: string): Promise<void> {
  const index = path.join(dest, ".infra-export-index");
  try {
    const env = { ...process.env, GIT_INDEX_FILE: index };
    for (const dir of coveringDirs(dirs)) {
      const read = await exec("git", ["read-tree", dir === "" ? commit : `${commit}:${dir}`], { cwd: top, env });
      if (read.exitCode !== 0) throw new ToolError(`git read-tree of ${dir || "the repository"} at ${commit.slice(0, 12)} failed: ${read.stderr.trim()}`, "check that git can read the repository");
      const prefix = path.join(dest, dir) + path.sep;
      const written = await exec("git", ["checkout-index", "-a", "-f", `--prefix=${prefix}`], { cwd: top, env });
      if (written.exitCode !== 0) throw new ToolError(`git checkout-index into ${prefix} failed: ${written.stderr.trim()}`, "check free space in the temporary directory");
    }
  } finally {
    await rm(index, { force: true });
  }
}

/** The directories of `dirs` that no other of them contains. */
function coveringDirs(dirs: readonly string[]): string[] {
  const sorted = [...new Set(dirs)].sort();
  const inside = (dir: string, parent: string) => parent === "" || dir === parent || dir.startsWith(`${parent}/`);
  return sorted.filter((dir) => !sorted.some((other) => other !== dir && inside(dir, other)));
}
