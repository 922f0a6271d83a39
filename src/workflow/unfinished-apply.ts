import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readReceipt, writeReceipt, type Outcome } from "../bundle/receipt.js";
import { RefusedError } from "../errors.js";
import { displayPath } from "../fs-errors.js";
import { isProcessAlive } from "../process.js";
import { readApplyLog } from "../terraform/apply-log.js";

/**
 * An apply in flight leaves a marker beside its log (`<data dir>/logs/apply-*.running.json`)
 * from before terraform starts until its receipt is written. A marker found later, with neither
 * infra nor terraform alive, means infra died mid-apply: its outcome is read from terraform's
 * log and recorded in the bundle's receipt by the next run that looks.
 */
export interface ApplyMarker {
  env: string;
  bundle: string;
  planDigest: string;
  log: string;
  startedAt: string;
  infraPid: number;
  terraformPid?: number;
}

export interface RunningApply {
  marker: ApplyMarker;
}

export interface SettledApply {
  marker: ApplyMarker;
  outcome: Exclude<Outcome, "started">;
  /** What terraform's log says, in one line. */
  summary: string;
  completed: string[];
  /** The receipt the outcome was recorded in; null when the bundle is gone or was applied anew. */
  receiptFile: string | null;
}

const LOGS = "logs";
const MARKER_SUFFIX = ".running.json";

/** Where an apply starting now keeps its log and its marker. */
export function applyRunFiles(dataDir: string, startedAt: Date): { log: string; marker: string } {
  const stem = path.join(dataDir, LOGS, `apply-${startedAt.toISOString().replace(/[:.]/g, "-")}-${randomBytes(3).toString("hex")}`);
  return { log: `${stem}.log`, marker: `${stem}${MARKER_SUFFIX}` };
}

export function markerOfLog(log: string): string {
  return log.replace(/\.log$/, MARKER_SUFFIX);
}

export async function writeMarker(file: string, marker: ApplyMarker): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(marker), { mode: 0o600 });
  await rename(temp, file);
}

/** Synchronous, for the moment terraform has just spawned: its pid must be on disk before anything else can happen. */
export function recordTerraformPid(file: string, marker: ApplyMarker, terraformPid: number): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ ...marker, terraformPid }), { mode: 0o600 });
  renameSync(temp, file);
}

export async function removeMarker(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** Settles every unfinished apply of one environment; refuses while one is still running. */
export async function settleEnvironment(dataDir: string, now: Date): Promise<SettledApply[]> {
  const dir = path.join(dataDir, LOGS);
  const names = await readdir(dir).catch(() => [] as string[]);
  const settled: SettledApply[] = [];
  for (const name of names.filter((entry) => entry.endsWith(MARKER_SUFFIX)).sort()) {
    const result = await settleMarker(path.join(dir, name), now);
    if (result && "outcome" in result) settled.push(result);
    else if (result) throw stillRunning(result.marker);
  }
  return settled;
}

/** The same for one bundle whose receipt still says `started`. */
export async function settleBundle(bundle: string, now: Date): Promise<RunningApply | SettledApply | null> {
  const receipt = await readReceipt(bundle);
  if (receipt?.outcome !== "started" || !receipt.log) return null;
  return settleMarker(markerOfLog(receipt.log), now, { bundle, planDigest: receipt.planDigest, log: receipt.log, startedAt: receipt.startedAt, env: receipt.env });
}

async function settleMarker(file: string, now: Date, fallback?: Omit<ApplyMarker, "infraPid">): Promise<RunningApply | SettledApply | null> {
  const text = await readFile(file, "utf8").catch(() => null);
  const marker: ApplyMarker | null = text === null ? (fallback ? { ...fallback, infraPid: -1 } : null) : parseMarker(text);
  if (marker === null) {
    await removeMarker(file);
    return null;
  }
  const alive = [marker.infraPid, marker.terraformPid].some((pid) => pid !== undefined && pid > 0 && pid !== process.pid && isProcessAlive(pid));
  if (alive) return { marker };
  const log = await readFile(marker.log, "utf8").catch(() => "");
  const reading = readApplyLog(log);
  const receiptFile = await recordOutcome(marker, reading.outcome, reading.summary, now);
  await removeMarker(file);
  return { marker, outcome: reading.outcome, summary: reading.summary, completed: reading.completed, receiptFile };
}

/** Writes the outcome into the bundle's receipt, if that receipt is still the `started` one of this apply. */
async function recordOutcome(marker: ApplyMarker, outcome: SettledApply["outcome"], summary: string, now: Date): Promise<string | null> {
  const receipt = await readReceipt(marker.bundle).catch(() => null);
  if (receipt?.outcome !== "started" || receipt.planDigest !== marker.planDigest || receipt.startedAt !== marker.startedAt) return null;
  return writeReceipt(marker.bundle, {
    ...receipt,
    outcome,
    finishedAt: now.toISOString(),
    ...(outcome === "applied" ? {} : { error: summary }),
    recovered: { at: now.toISOString(), note: `infra stopped during the apply; terraform's log ${marker.log} says: ${summary}` },
  });
}

function parseMarker(text: string): ApplyMarker | null {
  try {
    const value = JSON.parse(text) as Partial<ApplyMarker>;
    return typeof value.bundle === "string" && typeof value.log === "string" && typeof value.infraPid === "number" ? (value as ApplyMarker) : null;
  } catch {
    return null;
  }
}

export function stillRunning(marker: ApplyMarker): RefusedError {
  const who = marker.terraformPid ? `terraform (pid ${marker.terraformPid})` : `infra (pid ${marker.infraPid})`;
  return new RefusedError(
    `an apply of ${marker.env} is still running: ${who} started at ${marker.startedAt} from bundle ${displayPath(marker.bundle)}; it holds the state lock`,
    `wait for it to finish (its output is in ${marker.log}), then run again: infra will record what it did`,
  );
}

/** One warning that says what a settled apply did and where it was recorded. */
export function describeSettled(settled: SettledApply): string {
  const done = settled.completed.length > 0 ? ` Completed: ${settled.completed.join(", ")}.` : "";
  const where = settled.receiptFile ? `recorded as "${settled.outcome}" in ${settled.receiptFile}` : "no receipt of that bundle to record it in";
  return `the apply of ${displayPath(settled.marker.bundle)} started at ${settled.marker.startedAt} was not finished by infra (infra was stopped); terraform's log ${settled.marker.log} says: ${settled.summary.replace(/\.$/, "")}.${done} ${where}.`;
}
