import { readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../errors.js";
import type { Finding } from "./index.js";
import { PROMISES, type PolicyRule } from "./rules.js";
import type { Waiver } from "./waiver-schema.js";

export type { Waiver };

/** Where waivers live: one file at the top of the terraform tree, reviewed like the HCL beside it. */
export const WAIVERS_FILE = "policy-waivers.json";

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A waiver that held for this run: listed in the review and the manifest. */
export interface WaiverInForce {
  rule: string;
  address?: string;
  path?: string;
  env?: string;
  reason: string;
  expires: string;
  /** How many findings it covered in this run. */
  covered: number;
}

export interface WaiversFile {
  /** null when the tree has no waivers file. */
  file: string | null;
  waivers: Waiver[];
}

export const waiverValid: PolicyRule = {
  id: "waiver-valid",
  rationale: "A waiver without a reason, or past its expiry, hides a broken promise nobody answers for.",
  promise: PROMISES.audit,
  severity: "error",
};

export async function readWaivers(root: string): Promise<WaiversFile> {
  const file = path.join(root, WAIVERS_FILE);
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw new ConfigError(`cannot read ${file}: ${error.message}`, "make it a readable JSON file, or remove it");
  });
  return parseWaivers(file, text);
}

/** The waivers in `text` (the content of `file`, wherever it was read from: disk or a commit); null: no file. */
export async function parseWaivers(file: string, text: string | null): Promise<WaiversFile> {
  if (text === null) return { file: null, waivers: [] };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`, `write { "waivers": [ { "rule", "address" or "path", "reason", "expires": "YYYY-MM-DD" } ] }`);
  }
  // Loaded only for a tree that has a waivers file: a warm policy run without one never loads zod.
  const { waiversFileSchema } = await import("./waiver-schema.js");
  const parsed = waiversFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join(".") || "(top level)" : "(top level)";
    throw new ConfigError(
      `${file} is not a waivers file: ${where}: ${issue?.message ?? "invalid"}`,
      `each waiver is { "rule", "address" or "path", "env" (optional), "reason", "expires": "YYYY-MM-DD" }`,
    );
  }
  return { file, waivers: parsed.data.waivers };
}

export interface WaiverInput {
  env: string;
  root: string;
  now: Date;
}

export interface WaivedFindings {
  /** The findings, those covered by a waiver in force marked `waived`, plus one error per invalid waiver. */
  findings: Finding[];
  inForce: WaiverInForce[];
}

/** Marks the findings waivers cover; an expired or reason-less waiver covers nothing and is itself an error. */
export function applyWaivers(findings: readonly Finding[], waiversFile: WaiversFile, input: WaiverInput): WaivedFindings {
  const problems: Finding[] = [];
  const valid: Array<{ waiver: Waiver; reason: string; covered: number }> = [];
  for (const [index, waiver] of waiversFile.waivers.entries()) {
    if (waiver.env !== undefined && waiver.env !== input.env) continue;
    const problem = waiverProblem(waiver, input.now);
    if (problem) {
      problems.push({
        rule: waiverValid.id,
        severity: "error",
        message: `waiver ${index + 1} (${waiver.rule} on ${waiver.address ?? waiver.path ?? "nothing"}) ${problem}`,
        promise: waiverValid.promise,
        ...(waiversFile.file ? { file: path.relative(input.root, waiversFile.file) || waiversFile.file } : {}),
      });
    } else {
      valid.push({ waiver, reason: (waiver.reason ?? "").trim(), covered: 0 });
    }
  }
  const marked = findings.map((finding) => {
    const match = valid.find(({ waiver }) => covers(waiver, finding, input.root));
    if (!match) return finding;
    match.covered += 1;
    return { ...finding, waived: { reason: match.reason, expires: match.waiver.expires } };
  });
  const inForce = valid.map(({ waiver, reason, covered }) => ({
    rule: waiver.rule,
    ...(waiver.address ? { address: waiver.address } : {}),
    ...(waiver.path ? { path: waiver.path } : {}),
    ...(waiver.env ? { env: waiver.env } : {}),
    reason,
    expires: waiver.expires,
    covered,
  }));
  return { findings: [...marked, ...problems], inForce };
}

function waiverProblem(waiver: Waiver, now: Date): string | undefined {
  if (!waiver.reason || waiver.reason.trim() === "") return "has no reason; say why the promise may be broken here";
  if (!waiver.address && !waiver.path) return "names neither an address nor a path";
  if (!DATE.test(waiver.expires) || Number.isNaN(Date.parse(`${waiver.expires}T00:00:00Z`))) return `has expiry "${waiver.expires}", not a YYYY-MM-DD date`;
  const lastMoment = Date.parse(`${waiver.expires}T23:59:59.999Z`);
  if (now.getTime() > lastMoment) return `expired on ${waiver.expires}; fix the finding or renew the waiver with a reason`;
  return undefined;
}

function covers(waiver: Waiver, finding: Finding, root: string): boolean {
  if (waiver.rule !== finding.rule || finding.rule === waiverValid.id) return false;
  if (waiver.address !== undefined) {
    const address = finding.address ?? "";
    return address === waiver.address || address.startsWith(`${waiver.address}[`) || address.startsWith(`${waiver.address}.`);
  }
  if (waiver.path !== undefined && finding.file) {
    return path.relative(root, path.resolve(root, finding.file)) === path.normalize(waiver.path);
  }
  return false;
}
