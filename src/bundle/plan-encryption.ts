import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { ConfigError } from "../errors.js";
import { BundleFile } from "./layout.js";

/**
 * Optional, off by default: tfplan encrypted at rest in the bundle (AES-256-GCM), so a bundle CI
 * stores and hands between jobs leaks nothing of what terraform saved in it (tfplan holds every
 * sensitive value in plain text). The key comes from INFRA_PLAN_KEY at plan and at apply; the
 * manifest records only the algorithm and which key. Integrity is unchanged: planDigest is the
 * sha256 of the encrypted file, and GCM's tag proves the decrypted plan is the one encrypted.
 */
export const PLAN_KEY_VARIABLE = "INFRA_PLAN_KEY";

/** What manifest.json records of an encrypted tfplan. */
export interface PlanEncryption {
  algorithm: "aes-256-gcm";
  /** First 16 hex of sha256 over a fixed label and the key: names the key, reveals nothing of it. */
  keyId: string;
}

export interface PlanKey {
  key: Buffer;
  keyId: string;
}

/** Whose plan a ciphertext is: bound into GCM's tag, so an encrypted tfplan cannot move to another environment's bundle. */
export interface PlanBinding {
  env: string;
  commit: string | null;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** "INFRAGCM" and a format version: an encrypted tfplan says what it is before anything is decrypted. */
const MAGIC = Buffer.from("INFRAGCM\u0001", "latin1");
const HEADER_BYTES = MAGIC.length + IV_BYTES + TAG_BYTES;
const KEY_HINT = "set INFRA_PLAN_KEY to 32 random bytes in base64 (openssl rand -base64 32), or unset it to keep tfplan unencrypted";

/** Reads INFRA_PLAN_KEY: 32 bytes as base64 or as 64 hex digits. The value itself is never quoted. */
export function parsePlanKey(text: string): PlanKey {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : /^[A-Za-z0-9+/]{43}=$/.test(trimmed)
      ? Buffer.from(trimmed, "base64")
      : null;
  if (key?.length !== KEY_BYTES) throw new ConfigError(`${PLAN_KEY_VARIABLE} is not a 256-bit key (32 bytes as base64 or as 64 hex digits)`, KEY_HINT);
  return { key, keyId: createHash("sha256").update("infra tfplan key\0").update(key).digest("hex").slice(0, 16) };
}

function associatedData(binding: PlanBinding): Buffer {
  return Buffer.from(`infra tfplan\0${binding.env}\0${binding.commit ?? ""}`, "utf8");
}

export function encryptPlan(plaintext: Buffer, planKey: PlanKey, binding: PlanBinding): { ciphertext: Buffer; record: PlanEncryption } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", planKey.key, iv);
  cipher.setAAD(associatedData(binding));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext: Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]), record: { algorithm: "aes-256-gcm", keyId: planKey.keyId } };
}

/** The plaintext, or why there is none, in one sentence naming `source`. */
export function decryptPlan(data: Buffer, planKey: PlanKey, binding: PlanBinding, source: string): Buffer | string {
  if (data.length < HEADER_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    return `${source} is not a tfplan infra encrypted, although manifest.json says it is`;
  }
  const iv = data.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
  const tag = data.subarray(MAGIC.length + IV_BYTES, HEADER_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", planKey.key, iv);
  decipher.setAAD(associatedData(binding));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(data.subarray(HEADER_BYTES)), decipher.final()]);
  } catch {
    return `${source} does not decrypt with ${PLAN_KEY_VARIABLE} (key ${planKey.keyId}) for ${binding.env} at ${binding.commit?.slice(0, 12) ?? "no commit"}: it was corrupted, or encrypted for another bundle`;
  }
}

/** What the encryption gate decides over. */
export type PlanEncryptionFacts =
  | { encrypted: false; keyGiven: boolean }
  | { encrypted: true; keyId: string; problem: string | null };

/**
 * Decides whether the tfplan at `planFile` can be executed and, when it is encrypted and the key
 * fits, writes the plaintext to `plaintextFile` (0600, never over an existing file or link).
 * Apply passes its private copy and a file beside it; `infra gate` passes no target and only checks.
 */
export async function openPlan(
  manifest: { env: string; commit: string | null; planEncryption?: PlanEncryption },
  planFile: string,
  keyText: string | undefined,
  plaintextFile?: string,
): Promise<PlanEncryptionFacts> {
  const recorded = manifest.planEncryption;
  if (!recorded) return { encrypted: false, keyGiven: keyText !== undefined };
  if (keyText === undefined) {
    return { encrypted: true, keyId: recorded.keyId, problem: `${BundleFile.plan} is encrypted (key ${recorded.keyId}), and ${PLAN_KEY_VARIABLE} is not set` };
  }
  const planKey = parsePlanKey(keyText);
  if (planKey.keyId !== recorded.keyId) {
    return { encrypted: true, keyId: recorded.keyId, problem: `${BundleFile.plan} is encrypted with key ${recorded.keyId}, but ${PLAN_KEY_VARIABLE} is key ${planKey.keyId}` };
  }
  const plaintext = decryptPlan(await readFile(planFile), planKey, manifest, BundleFile.plan);
  if (typeof plaintext === "string") return { encrypted: true, keyId: recorded.keyId, problem: plaintext };
  if (plaintextFile !== undefined) {
    const target = await open(plaintextFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await target.writeFile(plaintext);
      await target.sync();
    } finally {
      await target.close();
    }
  }
  return { encrypted: true, keyId: recorded.keyId, problem: null };
}

/** A manifest's planEncryption, when present, must be exactly what encryptPlan records. */
export function isPlanEncryption(value: unknown): value is PlanEncryption {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return record["algorithm"] === "aes-256-gcm" && typeof record["keyId"] === "string" && /^[0-9a-f]{16}$/.test(record["keyId"]) && Object.keys(record).length === 2;
}

export function planKeyProblemHint(): string {
  return `apply with ${PLAN_KEY_VARIABLE} set to the key the plan was encrypted with; a bundle that does not decrypt is made again with \`infra plan\``;
}
