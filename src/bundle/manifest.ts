import { lstat, stat } from "node:fs/promises";
import path from "node:path";
import { BundleError } from "../errors.js";
import type { Finding } from "../policy/index.js";
import type { PolicyVerdict } from "../policy/report.js";
import type { PlanHeader } from "../review/render.js";
import type { ChangeCounts } from "../review/summary.js";
import type { FileDigests } from "./digest.js";
import { BundleFile } from "./layout.js";
import { readBundleText } from "./read.js";
import { isPlanEncryption, type PlanEncryption } from "./plan-encryption.js";
import type { Toolchain } from "./toolchain.js";

export const MANIFEST_SCHEMA_VERSION = 1;

/** The header a reviewer reads (where and from what the plan was made), plus what gates check. */
export interface Manifest extends PlanHeader {
  schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  terraformVersion: string;
  toolchain: Toolchain;
  /** sha256 of tfplan: the identity of what apply will execute. */
  planDigest: string;
  /**
   * For the reviewer: the plan's configuration snapshot digest and how it differed from the
   * commit when planned. Apply re-derives both from the plan file itself and never reads these.
   */
  source?: { configDigest: string; differences: string[]; firstRunBackend?: true };
  /** Present when tfplan is encrypted at rest (INFRA_PLAN_KEY at plan time); planDigest is then over the ciphertext. */
  planEncryption?: PlanEncryption;
  /** Planned with `--read-only` (a pull request's plan, as infra-plan, without the state lock): for review only, apply refuses it. */
  readOnly?: true;
  hasChanges: boolean;
  counts: ChangeCounts;
  findings: Finding[];
  /** The policy verdict: a failed bundle is kept for review, and apply refuses it. Absent in bundles older than policies. */
  policy?: PolicyVerdict;
  files: FileDigests;
}

/**
 * Reads `<dir>/manifest.json` once, as bytes, and checks its shape; the bundle must also hold
 * tfplan. `text` is exactly what was parsed: a signature is checked over it, never over a second read.
 */
export async function readBundleManifest(dir: string): Promise<{ manifest: Manifest; text: string }> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new BundleError(`plan bundle ${dir} does not exist`, "pass the directory `infra plan` wrote (default artifacts/<env>/)");
  }
  for (const name of [BundleFile.plan, BundleFile.manifest]) {
    const file = await lstat(path.join(dir, name)).catch(() => undefined);
    if (!file?.isFile()) {
      throw new BundleError(
        file ? `plan bundle ${dir} holds a ${file.isSymbolicLink() ? "symbolic link" : "directory or special file"} where ${name} should be a regular file` : `plan bundle ${dir} has no ${name}`,
        file ? "never edit a bundle by hand; make a new plan with `infra plan`" : "make a complete bundle with `infra plan --env <env> --out DIR`",
      );
    }
  }
  const manifestFile = path.join(dir, BundleFile.manifest);
  const text = await readBundleText(dir, BundleFile.manifest);
  if (text === null) throw new BundleError(`${manifestFile} is not a regular file`, "make a new plan; never edit a bundle by hand");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BundleError(`${manifestFile} is not valid JSON: ${(error as Error).message}`, "make a new plan; never edit a bundle by hand");
  }
  return { manifest: checkManifestShape(parsed, manifestFile), text };
}

function checkManifestShape(value: unknown, file: string): Manifest {
  const record = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const required: Record<string, string> = {
    env: "string",
    region: "string",
    accountId: "string",
    planDigest: "string",
    terraformVersion: "string",
    files: "object",
    counts: "object",
  };
  const wrong = Object.entries(required).filter(([key, type]) => typeof record[key] !== type || record[key] === null);
  if (record["schemaVersion"] !== MANIFEST_SCHEMA_VERSION || wrong.length > 0) {
    const fields = wrong.map(([key]) => key);
    throw new BundleError(
      `${file} is not a plan manifest${fields.length > 0 ? ` (missing or wrong: ${fields.join(", ")})` : ` (schemaVersion must be ${MANIFEST_SCHEMA_VERSION})`}`,
      "make a new plan with this version of infra",
    );
  }
  const files = record["files"] as Record<string, unknown>;
  const badFiles = Object.entries(files).filter(([name, digest]) => !isPlainFileName(name) || typeof digest !== "string" || !SHA256.test(digest));
  if (badFiles.length > 0 || !Object.hasOwn(files, BundleFile.plan) || !SHA256.test(record["planDigest"] as string)) {
    throw new BundleError(
      `${file} is not a plan manifest (${badFiles.length > 0 ? `bad file entries: ${badFiles.map(([name]) => JSON.stringify(name)).join(", ")}` : `planDigest or the digest of ${BundleFile.plan} is missing or not a sha256`})`,
      "make a new plan; never edit a bundle by hand",
    );
  }
  if (record["stack"] !== undefined && typeof record["stack"] !== "string") {
    throw new BundleError(`${file} is not a plan manifest (stack is not a string)`, "make a new plan; never edit a bundle by hand");
  }
  if (record["planEncryption"] !== undefined && !isPlanEncryption(record["planEncryption"])) {
    throw new BundleError(`${file} is not a plan manifest (planEncryption is not {algorithm: "aes-256-gcm", keyId})`, "make a new plan; never edit a bundle by hand");
  }
  return record as unknown as Manifest;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** A name directly inside the bundle: no separators, not `.` or `..`, no control characters. */
function isPlainFileName(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return name !== "" && name !== "." && name !== ".." && !/[/\\\u0000-\u001f]/.test(name);
}
