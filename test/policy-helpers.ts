import { readFileSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { REPO_ROOT } from "./helpers.js";
import { createLogger } from "../src/log.js";
import type { WorkflowContext } from "../src/workflow/context.js";

const copies: string[] = [];
afterAll(async () => {
  await Promise.all(copies.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** What the policy tests read of the real tree: every environment root, bootstrap and module, and the org stack. */
const POLICY_TREE_PARTS = ["envs", "bootstrap", "modules", "org"];

/**
 * A private copy of the real terraform/ tree (its roots, bootstraps and modules, without
 * terraform's working directories), made at test time so the tests judge the HCL that ships.
 * Symlinks stay relative (bootstrap/<env>/environment.tf links to its environment's), so an
 * edit of the copy's facts reaches its bootstrap too.
 */
export async function copyPolicyTree(): Promise<string> {
  const workspace = await mkdtemp(path.join(tmpdir(), "infra-policy-"));
  copies.push(workspace);
  const root = path.join(workspace, "terraform");
  for (const part of POLICY_TREE_PARTS) {
    await cp(path.join(REPO_ROOT, "terraform", part), path.join(root, part), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (source) => !WORKING_DIRS.has(path.basename(source)),
    });
  }
  return root;
}

/** terraform's and infra's per-root state, present wherever someone ran terraform in the real tree. */
const WORKING_DIRS = new Set([".terraform", ".infra"]);

/** One property broken: `from` (which must occur exactly once) becomes `to` in `file`. */
export interface Edit {
  file: string;
  from: string | RegExp;
  to: string;
}

export async function applyEdits(root: string, edits: readonly Edit[]): Promise<void> {
  for (const edit of edits) {
    const file = path.join(root, edit.file);
    const text = await readFile(file, "utf8");
    const matches = typeof edit.from === "string" ? text.split(edit.from).length - 1 : (text.match(new RegExp(edit.from, "g")) ?? []).length;
    if (matches !== 1) throw new Error(`edit of ${edit.file}: expected exactly one ${String(edit.from)}, found ${matches}`);
    await writeFile(file, text.replace(edit.from, edit.to));
  }
}

/** A workflow context for in-process tests: quiet, real terraform for parse-error positions. */
export function quietContext(root: string, now = new Date("2026-06-01T12:00:00Z")): WorkflowContext {
  return {
    root,
    cwd: root,
    terraformBinary: "terraform",
    processEnv: process.env,
    logger: createLogger({ quiet: true, write: () => undefined }),
    now: () => now,
  };
}

/** The line of the one occurrence of `text` in `file` of the tree: the real tree moves, assertions follow it. */
export async function lineIn(root: string, file: string, text: string): Promise<number> {
  const content = await readFile(path.join(root, file), "utf8");
  const at = content.indexOf(text);
  if (at === -1 || content.indexOf(text, at + 1) !== -1) throw new Error(`${file}: expected exactly one ${text}`);
  return content.slice(0, at).split("\n").length;
}

/**
 * The account id an environment of the real tree states in its facts: tests edit the tree by the
 * value it holds, so they hold once a user has put the real ids in (never a pinned placeholder).
 */
export function accountIdOfTree(env: string): string {
  const facts = readFileSync(path.join(REPO_ROOT, "terraform", "envs", env, "environment.tf"), "utf8");
  const id = /^\s*account_id\s*=\s*"(\d{12})"/m.exec(facts)?.[1];
  if (id === undefined) throw new Error(`terraform/envs/${env}/environment.tf states no account_id = "<12 digits>"`);
  return id;
}
