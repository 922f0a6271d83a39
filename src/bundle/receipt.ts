import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { IdentityFacts } from "../aws/identity.js";
import type { ApprovalRecord } from "../gates/approval.js";
import { BundleFile } from "./layout.js";

export type Outcome = "applied" | "failed" | "interrupted";

export interface Receipt {
  env: string;
  region: string;
  accountId: string;
  commit: string | null;
  planDigest: string;
  startedAt: string;
  finishedAt: string;
  outcome: Outcome;
  /** Why it failed, in the same words the CLI printed. */
  error?: string;
  gates: Array<{ gate: string; allowed: boolean; reason: string }>;
  terraformVersion: string;
  /** Who terraform ran as, or `{ status: "offline" }` when --offline skipped the check. */
  identity?: IdentityFacts;
  /** Who approved: a person by the plan digest, a CI run in the deployment environment, or nobody needed to. */
  approval?: ApprovalRecord;
  /** Protected resources the apply was allowed to delete or replace (`--allow-destroy`). */
  allowedDestroy?: string[];
}

export async function readReceipt(dir: string): Promise<Receipt | null> {
  const text = await readFile(path.join(dir, BundleFile.receipt), "utf8").catch(() => null);
  return text === null ? null : (JSON.parse(text) as Receipt);
}

/** Writes `<dir>/receipt.json`; returns its path. */
export async function writeReceipt(dir: string, receipt: Receipt): Promise<string> {
  const receiptFile = path.join(dir, BundleFile.receipt);
  await writeFile(receiptFile, `${JSON.stringify(receipt, null, 2)}\n`);
  return receiptFile;
}
