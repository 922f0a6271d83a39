import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { IdentityFacts } from "../aws/identity.js";
import type { ApprovalRecord } from "../gates/approval.js";
import { BundleError } from "../errors.js";
import { displayPath, fileSystemError } from "../fs-errors.js";
import { BundleFile } from "./layout.js";

/** `started` is written before terraform runs; a receipt still `started` later means infra died mid-apply. */
export type Outcome = "applied" | "failed" | "interrupted" | "started";

const OUTCOMES: readonly Outcome[] = ["applied", "failed", "interrupted", "started"];

export interface Receipt {
  env: string;
  /** The account stack applied (bootstrap/dev, org); absent for an environment's own root. */
  stack?: string;
  region: string;
  accountId: string;
  /** The commit the plan's own configuration was checked against, file by file, before applying. */
  commit: string | null;
  /** sha256 of the plan's configuration snapshot (src/plan-source.ts): the configuration applied. */
  configDigest?: string;
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
  /** terraform's output of this apply (secrets swept out once infra saw it finish). */
  log?: string;
  /** Set when a later run, not the apply itself, wrote the outcome: infra died while terraform ran. */
  recovered?: { at: string; note: string };
}

/** The receipt in `dir`, null if there is none; a corrupt one or a link in its place is an error. */
export async function readReceipt(dir: string): Promise<Receipt | null> {
  const file = path.join(dir, BundleFile.receipt);
  const info = await lstat(file).catch(() => null);
  if (info === null) return null;
  if (!info.isFile()) {
    throw new BundleError(`${displayPath(file)} is not a regular file (a symbolic link or directory was put there)`, "remove it; never edit a bundle by hand");
  }
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await handle.readFile("utf8"));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw corrupt(file, `not valid JSON (${error.message})`);
  } finally {
    await handle.close();
  }
  return checkReceiptShape(parsed, file);
}

function checkReceiptShape(value: unknown, file: string): Receipt {
  const record = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  if (record === null) throw corrupt(file, "not a JSON object");
  const wrong = ["env", "planDigest", "startedAt", "finishedAt"].filter((key) => typeof record[key] !== "string");
  if (!OUTCOMES.includes(record["outcome"] as Outcome)) wrong.push("outcome");
  if (!Array.isArray(record["gates"])) wrong.push("gates");
  if (wrong.length > 0) throw corrupt(file, `missing or wrong: ${wrong.join(", ")}`);
  return record as unknown as Receipt;
}

function corrupt(file: string, why: string): BundleError {
  return new BundleError(
    `${displayPath(file)} is corrupt: ${why}`,
    "whether this bundle was applied can no longer be told from it; make a new plan, and check the state with `infra plan`",
  );
}

/**
 * Writes `<dir>/receipt.json` atomically: a new file (O_EXCL, O_NOFOLLOW, 0600) is written,
 * synced and renamed over the old name, so a link planted there is replaced, never followed,
 * and a crash leaves the old receipt or the new one, never half of one. Returns its path.
 */
export async function writeReceipt(dir: string, receipt: Receipt): Promise<string> {
  const file = path.join(dir, BundleFile.receipt);
  await writeNewFile(dir, `${JSON.stringify(receipt, null, 2)}\n`, async (temp) => rename(temp, file)).catch((error: unknown) => {
    throw fileSystemError(error, `cannot write ${displayPath(file)}`, "make the bundle directory writable; the outcome is also printed above");
  });
  return file;
}

/**
 * Proves that a receipt can be written into `dir` before anything is applied: writes, syncs and
 * removes a probe file exactly as writeReceipt would, and refuses a link where receipt.json goes.
 */
export async function probeReceiptWritable(dir: string): Promise<void> {
  const file = path.join(dir, BundleFile.receipt);
  const existing = await lstat(file).catch(() => null);
  if (existing !== null && !existing.isFile()) {
    throw new BundleError(`${displayPath(file)} is not a regular file (a symbolic link or directory was put there)`, "remove it and make a new plan; never edit a bundle by hand");
  }
  await writeNewFile(dir, "probe\n", async () => undefined).catch((error: unknown) => {
    throw fileSystemError(
      error,
      `cannot write the receipt into the plan bundle ${displayPath(dir)}, so nothing was applied`,
      "make the bundle writable (or copy it to a writable place) and apply again",
    );
  });
}

/** Writes `content` to a fresh temp file in `dir`, fsyncs it, hands it to `commit`, and cleans up. */
async function writeNewFile(dir: string, content: string, commit: (temp: string) => Promise<void>): Promise<void> {
  const temp = path.join(dir, `.${BundleFile.receipt}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  try {
    const handle = await open(temp, flags, 0o600);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await commit(temp);
    await syncDirectory(dir);
  } finally {
    await rm(temp, { force: true });
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
