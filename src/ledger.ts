import { InfraError } from "./errors.js";
import type { Receipt } from "./bundle/receipt.js";
import { exec } from "./process.js";

/**
 * The promotion ledger: one git ref per environment and commit, `refs/infra/applied/<env>/<commit>`,
 * pointing to a blob holding the receipt of the successful apply. It needs no access to any
 * environment's account: CI pushes the refs, anyone reads them after
 * `git fetch origin 'refs/infra/*:refs/infra/*'`. scripts/ledger.sh carries them (git alone, for a
 * runner or a Dagger user without this project's dependencies): it records a returned receipt
 * under the same ref, as the same blob, and pushes it.
 */
export const LEDGER_PREFIX = "refs/infra/applied";

export function ledgerRef(env: string, commit: string): string {
  return `${LEDGER_PREFIX}/${env}/${commit}`;
}

/** A ledger entry as read: its receipt, or why the blob is not one. */
export type LedgerEntry = { ref: string; env: string; commit: string; receipt: Receipt } | { ref: string; env: string; commit: string; problem: string };

/** Records the receipt file of a successful apply under `refs/infra/applied/<env>/<commit>`; returns the ref. */
export async function recordApplied(repoDir: string, env: string, commit: string, receiptFile: string): Promise<string> {
  const ref = ledgerRef(env, commit);
  const blob = await git(repoDir, ["hash-object", "-w", "--", receiptFile], `record ${ref}`);
  await git(repoDir, ["update-ref", "-m", `infra apply ${env}`, ref, blob.trim()], `record ${ref}`);
  return ref;
}

/** The receipt recorded for `env` at `commit`, or null when there is none. */
export async function readApplied(repoDir: string, env: string, commit: string): Promise<LedgerEntry | null> {
  const ref = ledgerRef(env, commit);
  const found = await exec("git", ["cat-file", "blob", ref], { cwd: repoDir });
  if (found.exitCode !== 0) return null;
  return entryOf(ref, env, commit, found.stdout);
}

/** Every entry of `env`, oldest apply first. */
export async function listApplied(repoDir: string, env: string): Promise<LedgerEntry[]> {
  const prefix = `${LEDGER_PREFIX}/${env}/`;
  const listing = await git(repoDir, ["for-each-ref", "--format=%(refname)", prefix], `list ${prefix}`);
  const refs = listing.split("\n").filter(Boolean);
  const entries = await Promise.all(
    refs.map(async (ref) => {
      const text = await git(repoDir, ["cat-file", "blob", ref], `read ${ref}`);
      return entryOf(ref, env, ref.slice(prefix.length), text);
    }),
  );
  return entries.sort((a, b) => finishedAt(a).localeCompare(finishedAt(b)));
}

function finishedAt(entry: LedgerEntry): string {
  return "receipt" in entry ? entry.receipt.finishedAt : "";
}

function entryOf(ref: string, env: string, commit: string, text: string): LedgerEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ref, env, commit, problem: `${ref} does not hold a receipt (not JSON)` };
  }
  const record = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const fields = ["env", "commit", "outcome", "planDigest", "finishedAt"];
  const missing = fields.filter((key) => typeof record[key] !== "string");
  if (missing.length > 0) return { ref, env, commit, problem: `${ref} does not hold a receipt (missing ${missing.join(", ")})` };
  return { ref, env, commit, receipt: record as unknown as Receipt };
}

async function git(repoDir: string, args: readonly string[], what: string): Promise<string> {
  const result = await exec("git", args, { cwd: repoDir });
  if (result.exitCode !== 0) {
    const detail = (result.spawnError?.message ?? result.stderr).trim().split("\n")[0] ?? "";
    throw new InfraError(
      `could not ${what} (git ${args[0] ?? ""} in ${repoDir}): ${detail}`,
      "the promotion ledger lives in the git repository holding the terraform tree; run infra inside it",
    );
  }
  return result.stdout;
}

/** One line of `infra ledger`. */
export function describeEntry(entry: LedgerEntry): string {
  if ("problem" in entry) return `${entry.commit.slice(0, 12)}  ${entry.problem}`;
  const { receipt } = entry;
  const approval = receipt.approval?.by === "person" ? "approved by a person" : receipt.approval?.by === "ci" ? `approved in CI run ${receipt.approval.runId}` : "";
  return [entry.commit.slice(0, 12), receipt.finishedAt, `plan ${receipt.planDigest.slice(0, 12)}`, receipt.outcome, approval].filter(Boolean).join("  ");
}
