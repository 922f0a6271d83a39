import { mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decryptPlan, encryptPlan, isPlanEncryption, openPlan, parsePlanKey } from "../../../src/bundle/plan-encryption.js";
import { ConfigError } from "../../../src/errors.js";
import { encryptionGate } from "../../../src/gates/encryption.js";
import { input } from "../gates/gate-input.js";

const KEY_BYTES = Buffer.alloc(32, 7);
const KEY = parsePlanKey(KEY_BYTES.toString("base64"));
const OTHER = parsePlanKey(Buffer.alloc(32, 8).toString("hex"));
const DEV = { env: "dev", commit: "0123456789abcdef0123456789abcdef01234567" };
const PLAN = Buffer.from("PK\u0003\u0004 a zip terraform wrote, with db_password = hunter2-secret-value");

describe("parsePlanKey", () => {
  it("takes 32 bytes as base64 or 64 hex digits, and both name the same key", () => {
    expect(parsePlanKey(KEY_BYTES.toString("hex")).keyId).toBe(KEY.keyId);
    expect(KEY.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(OTHER.keyId).not.toBe(KEY.keyId);
  });

  it("refuses anything else in one sentence that never quotes the value", () => {
    for (const bad of ["", "secret-pass-0x5eC", Buffer.alloc(16, 1).toString("base64"), Buffer.alloc(33, 1).toString("base64"), "z".repeat(64), `${KEY_BYTES.toString("hex")}00`]) {
      let caught: unknown;
      try {
        parsePlanKey(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as Error).message).toBe("INFRA_PLAN_KEY is not a 256-bit key (32 bytes as base64 or as 64 hex digits)");
    }
  });
});

describe("encryptPlan and decryptPlan", () => {
  it("round-trips, and the ciphertext holds nothing of the plan", () => {
    const { ciphertext, record } = encryptPlan(PLAN, KEY, DEV);
    expect(record).toEqual({ algorithm: "aes-256-gcm", keyId: KEY.keyId });
    expect(isPlanEncryption(record)).toBe(true);
    expect(ciphertext.includes(Buffer.from("hunter2"))).toBe(false);
    expect(decryptPlan(ciphertext, KEY, DEV, "tfplan")).toEqual(PLAN);
    // A fresh IV each time: two encryptions of one plan differ.
    expect(encryptPlan(PLAN, KEY, DEV).ciphertext.equals(ciphertext)).toBe(false);
  });

  it("refuses another key, another environment, another commit, and a file that is no encrypted plan", () => {
    const { ciphertext } = encryptPlan(PLAN, KEY, DEV);
    expect(decryptPlan(ciphertext, OTHER, DEV, "tfplan")).toMatch(/^tfplan does not decrypt with INFRA_PLAN_KEY \(key [0-9a-f]{16}\) for dev at 0123456789ab: it was corrupted, or encrypted for another bundle$/);
    expect(typeof decryptPlan(ciphertext, KEY, { ...DEV, env: "prod" }, "tfplan")).toBe("string");
    expect(typeof decryptPlan(ciphertext, KEY, { ...DEV, commit: null }, "tfplan")).toBe("string");
    expect(decryptPlan(PLAN, KEY, DEV, "tfplan")).toBe("tfplan is not a tfplan infra encrypted, although manifest.json says it is");
    expect(decryptPlan(Buffer.alloc(0), KEY, DEV, "tfplan")).toBe("tfplan is not a tfplan infra encrypted, although manifest.json says it is");
  });

  it("refuses every single-byte change and every truncation (property)", () => {
    const { ciphertext } = encryptPlan(PLAN, KEY, DEV);
    fc.assert(
      fc.property(fc.nat({ max: ciphertext.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.boolean(), (index, flip, truncate) => {
        const altered = truncate ? ciphertext.subarray(0, index) : Buffer.from(ciphertext);
        if (!truncate) altered[index] = (altered[index] as number) ^ flip;
        expect(typeof decryptPlan(altered, KEY, DEV, "tfplan")).toBe("string");
      }),
    );
  });
});

describe("openPlan and the encryption gate", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "infra-planenc-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const manifestOf = (record?: ReturnType<typeof encryptPlan>["record"]) => ({ ...DEV, ...(record ? { planEncryption: record } : {}) });
  const decide = (encryption: Awaited<ReturnType<typeof openPlan>>) => encryptionGate.decide(input({ encryption }));

  it("is off for a plan made without a key, and says when a key is given anyway", async () => {
    await writeFile(path.join(dir, "tfplan"), PLAN);
    expect(await decide(await openPlan(manifestOf(), path.join(dir, "tfplan"), undefined))).toMatchObject({ allowed: true, reason: "off: tfplan is not encrypted" });
    expect((await decide(await openPlan(manifestOf(), path.join(dir, "tfplan"), KEY_BYTES.toString("base64")))).reason).toBe(
      "off: tfplan is not encrypted (INFRA_PLAN_KEY is set, but the plan was made without it)",
    );
  });

  it("decrypts into a new 0600 file with the right key, and never over an existing file or link", async () => {
    const { ciphertext, record } = encryptPlan(PLAN, KEY, DEV);
    await writeFile(path.join(dir, "tfplan"), ciphertext);
    const target = path.join(dir, "tfplan.decrypted");
    const facts = await openPlan(manifestOf(record), path.join(dir, "tfplan"), KEY_BYTES.toString("hex"), target);
    expect(await decide(facts)).toMatchObject({ allowed: true, reason: `tfplan decrypts with INFRA_PLAN_KEY (key ${KEY.keyId}) and is the plan that was encrypted` });
    expect(await readFile(target)).toEqual(PLAN);
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    const link = path.join(dir, "link");
    await symlink(path.join(dir, "elsewhere"), link);
    await expect(openPlan(manifestOf(record), path.join(dir, "tfplan"), KEY_BYTES.toString("hex"), link)).rejects.toThrow(/EEXIST/);
  });

  it("refuses without the key, with another key, and when the ciphertext was altered", async () => {
    const { ciphertext, record } = encryptPlan(PLAN, KEY, DEV);
    const file = path.join(dir, "tfplan");
    await writeFile(file, ciphertext);
    const missing = await decide(await openPlan(manifestOf(record), file, undefined));
    expect(missing).toMatchObject({ allowed: false, reason: `tfplan is encrypted (key ${KEY.keyId}), and INFRA_PLAN_KEY is not set` });
    expect(missing.refusal?.hint).toContain("INFRA_PLAN_KEY");
    const other = await decide(await openPlan(manifestOf(record), file, Buffer.alloc(32, 8).toString("hex")));
    expect(other).toMatchObject({ allowed: false, reason: `tfplan is encrypted with key ${KEY.keyId}, but INFRA_PLAN_KEY is key ${OTHER.keyId}` });
    const altered = Buffer.from(ciphertext);
    altered[altered.length - 1] = (altered[altered.length - 1] as number) ^ 1;
    await writeFile(file, altered);
    const target = path.join(dir, "out");
    expect((await decide(await openPlan(manifestOf(record), file, KEY_BYTES.toString("hex"), target))).reason).toContain("does not decrypt with INFRA_PLAN_KEY");
    await expect(stat(target)).rejects.toThrow(/ENOENT/);
  });

  it("accepts only the exact record in a manifest", () => {
    expect(isPlanEncryption({ algorithm: "aes-256-gcm", keyId: KEY.keyId })).toBe(true);
    for (const bad of [null, "aes", { algorithm: "aes-128-gcm", keyId: KEY.keyId }, { algorithm: "aes-256-gcm", keyId: "XYZ" }, { algorithm: "aes-256-gcm", keyId: KEY.keyId, iv: "00" }]) {
      expect(isPlanEncryption(bad)).toBe(false);
    }
  });
});
