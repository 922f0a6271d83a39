import { createHash } from "node:crypto";
import path from "node:path";
import { FIRST_RUN_BACKEND, FIRST_RUN_BACKEND_FILE } from "./first-run-backend.js";
import { committedEntries, hashAsCommitted, openRepository, type CommittedEntry, type Repository } from "./git.js";
import type { ConfigSnapshot, SnapshotModule } from "./terraform/plan-file.js";

/**
 * Whether a saved plan was made from committed code: its own configuration snapshot (every file
 * terraform loaded, and the lock file) compared with what git holds at HEAD. This, not
 * `git status`, is what "planned from commit X, clean" means: ignored override files, modules
 * outside --root and edits made while terraform planned all show up here, because terraform
 * recorded what it actually read.
 */
export interface SourceCheck {
  /** The commit the snapshot was compared with (HEAD when checked); null outside a repository. */
  commit: string | null;
  /** sha256 over the snapshot's modules, files and lock file: the same for the same configuration. */
  configDigest: string;
  /** One sentence per way the plan's configuration differs from the commit; empty when clean. */
  differences: string[];
  /** Modules terraform downloaded: not in git, pinned by the committed call's source and version. */
  remoteModules: Array<{ key: string; source: string; version: string | null }>;
  /** The repository the commit belongs to, and its directories the plan loaded local modules from; null outside one. */
  repository: { top: string; moduleDirs: string[] } | null;
  /** The root held infra's first-run local backend override, uncommitted and byte for byte (account stacks only). */
  firstRunBackend: boolean;
}

export interface SourceCheckOptions {
  /** Accept src/first-run-backend.ts's override, exactly, in the root module (an account stack's first run). */
  acceptFirstRunBackend?: boolean;
}

/** Compares `snapshot`, taken by terraform running in `configDir`, with HEAD of the repository holding it. */
export async function checkPlanSource(snapshot: ConfigSnapshot, configDir: string, displayRoot: string, options: SourceCheckOptions = {}): Promise<SourceCheck> {
  const configDigest = snapshotDigest(snapshot);
  const remoteModules = remoteModulesOf(snapshot.modules);
  const repository = await openRepository(configDir);
  if (repository === null) {
    return {
      commit: null,
      configDigest,
      differences: [`${displayPath(displayRoot, configDir)} is not in a git repository with a commit, so no commit vouches for the plan`],
      remoteModules,
      repository: null,
      firstRunBackend: false,
    };
  }
  const remoteKeys = new Set(remoteModules.map((module) => module.key));
  const localDirs = new Map<string, string>();
  const differences: string[] = [];
  for (const module of snapshot.modules) {
    if (remoteKeys.has(module.key)) continue;
    const repoDir = repositoryPath(repository, path.resolve(configDir, module.dir));
    if (repoDir === null) {
      differences.push(`module ${module.key || "(root)"} was loaded from ${path.resolve(configDir, module.dir)}, outside the repository, so no commit holds it`);
      continue;
    }
    localDirs.set(module.key, repoDir);
  }
  const committed = await committedEntries(repository, [...new Set(localDirs.values())]);
  // Named relative to the terraform tree, or to the repository for what lies outside the tree.
  const show = (repoFile: string) => displayPath(displayRoot, path.join(repository.top, repoFile), repoFile);
  const inPlan = new Set<string>();
  let firstRunBackend = false;
  for (const file of snapshot.files) {
    const repoDir = localDirs.get(file.module);
    if (repoDir === undefined) continue;
    const repoFile = path.posix.join(repoDir, file.name);
    inPlan.add(repoFile);
    if (options.acceptFirstRunBackend && isFirstRunBackend(file, committed.has(repoFile))) {
      firstRunBackend = true;
      continue;
    }
    differences.push(...(await compareFile(repository, committed.get(repoFile), repoFile, file.content, show)));
  }
  for (const [repoFile, entry] of committed) {
    if (!inPlan.has(repoFile) && isConfigurationFile(repoFile) && localDirsHold(localDirs, repoFile) && entry.type === "blob") {
      differences.push(`${show(repoFile)} is committed but was not in the plan (removed or renamed in the working tree when terraform planned)`);
    }
  }
  const rootDir = localDirs.get("");
  if (rootDir !== undefined) {
    const lockFile = path.posix.join(rootDir, ".terraform.lock.hcl");
    const lock = committed.get(lockFile);
    if (snapshot.lockFile !== null && (lock !== undefined || declaresProviders(snapshot.lockFile))) {
      differences.push(...(await compareFile(repository, lock, lockFile, snapshot.lockFile, show)));
    } else if (snapshot.lockFile === null && lock !== undefined) {
      differences.push(`${show(lockFile)} is committed but the plan holds no lock file`);
    }
  }
  return {
    commit: repository.commit,
    configDigest,
    differences,
    remoteModules,
    repository: { top: repository.top, moduleDirs: [...new Set(localDirs.values())] },
    firstRunBackend,
  };
}

function isFirstRunBackend(file: ConfigSnapshot["files"][number], committed: boolean): boolean {
  return file.module === "" && file.name === FIRST_RUN_BACKEND_FILE && !committed && file.content.equals(Buffer.from(FIRST_RUN_BACKEND));
}

async function compareFile(
  repository: Repository,
  entry: CommittedEntry | undefined,
  repoFile: string,
  content: Buffer,
  show: (repoFile: string) => string,
): Promise<string[]> {
  if (entry === undefined) return [`${show(repoFile)} is in the plan but not committed`];
  if (entry.type !== "blob") return [`${show(repoFile)} is in the plan but committed as a ${entry.type}`];
  if (!(await hashAsCommitted(repository, repoFile, content, entry.oid))) return [`${show(repoFile)} in the plan differs from the committed file`];
  return [];
}

/** A module whose call names a non-local source, or that lives inside one. */
function remoteModulesOf(modules: readonly SnapshotModule[]): SourceCheck["remoteModules"] {
  const byKey = new Map(modules.map((module) => [module.key, module]));
  const isRemote = (module: SnapshotModule): boolean => {
    if (module.key === "") return false;
    const parent = byKey.get(module.key.includes(".") ? module.key.slice(0, module.key.lastIndexOf(".")) : "");
    return !isLocalSource(module.source) || (parent !== undefined && isRemote(parent));
  };
  return modules.filter(isRemote).map((module) => ({ key: module.key, source: module.source ?? "", version: module.version }));
}

function isLocalSource(source: string | null): boolean {
  return source !== null && (source.startsWith("./") || source.startsWith("../"));
}

function isConfigurationFile(repoFile: string): boolean {
  return repoFile.endsWith(".tf") || repoFile.endsWith(".tf.json");
}

function localDirsHold(localDirs: ReadonlyMap<string, string>, repoFile: string): boolean {
  const dir = path.posix.dirname(repoFile);
  for (const each of localDirs.values()) if (each === dir || (each === "" && dir === ".")) return true;
  return false;
}

/** A lock file that pins no provider (a stack of terraform's built-in provider alone) need not be committed. */
function declaresProviders(lockFile: Buffer): boolean {
  return /^provider\s+"/m.test(lockFile.toString("utf8"));
}

function repositoryPath(repository: Repository, absolute: string): string | null {
  const relative = path.relative(repository.top, absolute);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return null;
  return relative.split(path.sep).join("/");
}

function displayPath(root: string, file: string, otherwise = file): string {
  const relative = path.relative(root, file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : otherwise;
}

export function snapshotDigest(snapshot: ConfigSnapshot): string {
  const hash = createHash("sha256");
  const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
  for (const module of snapshot.modules) hash.update(`module ${JSON.stringify([module.key, module.source, module.version, module.dir])}\n`);
  for (const file of snapshot.files) hash.update(`file ${JSON.stringify([file.module, file.name])} ${sha(file.content)}\n`);
  hash.update(`lock ${snapshot.lockFile === null ? "none" : sha(snapshot.lockFile)}\n`);
  return hash.digest("hex");
}
