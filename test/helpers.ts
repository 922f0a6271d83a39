import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cp, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, type TestContext } from "vitest";
import { commitAll, TREE_GITIGNORE } from "../src/git.js";

export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const INFRA_BIN = path.join(REPO_ROOT, "bin", "infra.js");
export const FIXTURES = path.join(REPO_ROOT, "test", "fixtures");

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Own process group, as a terminal session would have: lets a test signal the whole group. */
  detached?: boolean;
}

/** Runs the built CLI as a user would: a separate process, real terraform on PATH. */
export function startInfra(args: readonly string[], options: RunOptions = {}): { child: ChildProcess; done: Promise<RunResult> } {
  const child = spawn(process.execPath, [INFRA_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    detached: options.detached ?? false,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

export function runInfra(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return startInfra(args, options).done;
}

/** Resolves once `text` has appeared on the child's stderr. */
export function waitForStderr(child: ChildProcess, text: string, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${text}" on stderr; saw:\n${seen}`)), timeoutMs);
    child.stderr?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

const workspaces: string[] = [];
afterAll(async () => {
  await Promise.all(workspaces.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * A private copy of a fixture tree, committed to a git repository of its own (plans carry a
 * commit, apply compares it with HEAD, the ledger lives there): terraform writes state and
 * data dirs into it, which the repository ignores.
 */
export async function copyFixture(name: string): Promise<string> {
  const workspace = await mkdtemp(path.join(tmpdir(), `infra-${name}-`));
  workspaces.push(workspace);
  const root = path.join(workspace, "terraform");
  await cp(path.join(FIXTURES, name), root, { recursive: true });
  await writeFile(path.join(workspace, ".gitignore"), `${TREE_GITIGNORE}\n`);
  await commitAll(workspace, `fixture ${name}`);
  return root;
}

/** Commits every change in the repository holding `root`; returns the new HEAD. */
export function commitChanges(root: string, message: string): string {
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=infra-test", "-c", "user.email=infra-test@example.invalid", ...args], { cwd: root }).toString().trim();
  git("add", "-A", ".");
  git("commit", "-q", "-m", message);
  return git("rev-parse", "HEAD");
}

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `infra-${prefix}-`));
  workspaces.push(dir);
  return dir;
}

/** Resource addresses in an environment's local state; [] when nothing was ever applied. */
export async function stateAddresses(envDir: string): Promise<string[]> {
  const text = await readFile(path.join(envDir, "terraform.tfstate"), "utf8").catch(() => null);
  if (text === null) return [];
  const state = JSON.parse(text) as { resources?: Array<{ module?: string; type: string; name: string }> };
  return (state.resources ?? []).map((r) => [r.module, r.type, r.name].filter(Boolean).join("."));
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, "utf8")) as T;
}

/** Skips the running test and prints why: vitest's reporter does not show a skip's note. */
export function skipBecause(context: TestContext, reason: string): never {
  process.stderr.write(`skipped "${context.task.name}": ${reason}\n`);
  context.skip(reason);
  throw new Error("unreachable: context.skip throws");
}

/** Resolves once `check` returns true, polling; fails after `timeoutMs` naming what it waited for. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The state's serial, or null when there is no state file yet. */
export async function stateSerial(envDir: string): Promise<number | null> {
  const text = await readFile(path.join(envDir, "terraform.tfstate"), "utf8").catch(() => null);
  return text === null ? null : (JSON.parse(text) as { serial: number }).serial;
}

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * A copy of fixture `name` whose environments have local ledger keys, their public halves
 * committed: `infra ledger --write-key` as a user runs it. Without them a source environment's
 * apply records an unsigned entry, which no promotion gate accepts.
 */
export async function fixtureWithLedgerKeys(name = "sensitive", envs: readonly string[] = ["dev", "prod"], edit?: (root: string) => Promise<void>): Promise<string> {
  const root = await copyFixture(name);
  await edit?.(root);
  for (const env of envs) {
    const run = await runInfra(["ledger", "--env", env, "--write-key", "--root", root]);
    if (run.code !== 0 || !run.stdout.includes(`envs/${env}/ledger-key.pem: key `)) throw new Error(`infra ledger --write-key for ${env} failed: ${run.stderr}`);
  }
  commitChanges(root, "ledger keys");
  return root;
}
