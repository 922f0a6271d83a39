import { createHash, randomBytes } from "node:crypto";
import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../src/bundle/manifest.js";
import { copyFixture, readJson, runInfra, stateAddresses, stateSerial } from "../helpers.js";

const KEY = randomBytes(32).toString("base64");
const env = { ...process.env, TF_VAR_db_password: "encryption-secret-4471" };

describe("tfplan encrypted at rest (optional: INFRA_PLAN_KEY)", () => {
  let root: string;
  let bundle: string;
  const devDir = () => path.join(root, "envs", "dev");
  const withKey = (key: string | undefined) => (key === undefined ? env : { ...env, INFRA_PLAN_KEY: key });
  const apply = (dir: string, key: string | undefined) => runInfra(["apply", "--offline", "--env", "dev", "--plan", dir, "--root", root], { env: withKey(key) });
  const copyOf = async (name: string) => {
    const copy = path.join(root, "..", name);
    await cp(bundle, copy, { recursive: true });
    return copy;
  };

  beforeAll(async () => {
    root = await copyFixture("sensitive");
    bundle = path.join(root, "..", "encrypted");
    const planned = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle, "--quiet"], { env: withKey(KEY) });
    expect(planned.code, planned.stderr).toBe(0);
  });

  it("writes an encrypted tfplan and records which key in the manifest, with planDigest over what is stored", async () => {
    const manifest = await readJson<Manifest>(path.join(bundle, "manifest.json"));
    expect(manifest.planEncryption).toEqual({ algorithm: "aes-256-gcm", keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const stored = await readFile(path.join(bundle, "tfplan"));
    expect(stored.subarray(0, 8).toString("latin1")).toBe("INFRAGCM");
    expect(createHash("sha256").update(stored).digest("hex")).toBe(manifest.planDigest);
    // terraform's own plan file is a zip; what is stored is not.
    expect(stored.subarray(0, 2).toString("latin1")).not.toBe("PK");
  });

  it("refuses without the key and with another key, applying nothing", async () => {
    const missing = await apply(bundle, undefined);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error: encryption gate refused: tfplan is encrypted \(key [0-9a-f]{16}\), and INFRA_PLAN_KEY is not set/);
    const other = await apply(bundle, randomBytes(32).toString("hex"));
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/error: encryption gate refused: tfplan is encrypted with key [0-9a-f]{16}, but INFRA_PLAN_KEY is key [0-9a-f]{16}/);
    expect(await stateSerial(devDir())).toBeNull();
  });

  it("refuses a corrupted encrypted plan even when the manifest was rewritten to match it", async () => {
    const copy = await copyOf("corrupted");
    const planFile = path.join(copy, "tfplan");
    const stored = await readFile(planFile);
    stored[stored.length - 10] = (stored[stored.length - 10] as number) ^ 0x40;
    await writeFile(planFile, stored);
    const manifest = await readJson<Manifest>(path.join(copy, "manifest.json"));
    const digest = createHash("sha256").update(stored).digest("hex");
    await writeFile(path.join(copy, "manifest.json"), JSON.stringify({ ...manifest, planDigest: digest, files: { ...manifest.files, tfplan: digest } }, null, 2));
    const run = await apply(copy, KEY);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: encryption gate refused: tfplan does not decrypt with INFRA_PLAN_KEY");
    expect(run.stderr).toContain("it was corrupted, or encrypted for another bundle");
    expect(await stateSerial(devDir())).toBeNull();
  });

  it("says INFRA_PLAN_KEY is no key before terraform plans, without printing it", async () => {
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", path.join(root, "..", "badkey")], { env: withKey("hunter2-0x5eC") });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: INFRA_PLAN_KEY is not a 256-bit key (32 bytes as base64 or as 64 hex digits)");
    expect(run.stderr).not.toContain("hunter2");
    expect(run.stderr).not.toContain("terraform plan (dev)");
  });

  it("passes the gate with the key, then applies the decrypted plan and records the verdict", async () => {
    const gate = await runInfra(["gate", "--offline", "--env", "dev", "--plan", bundle, "--root", root, "--json", "--quiet"], { env: withKey(KEY) });
    const verdicts = JSON.parse(gate.stdout) as { decisions: Array<{ gate: string; allowed: boolean; reason: string }> };
    expect(verdicts.decisions.find((decision) => decision.gate === "encryption")).toMatchObject({ allowed: true });
    const run = await apply(bundle, KEY);
    expect(run.code, run.stderr).toBe(0);
    expect(await stateAddresses(devDir())).not.toEqual([]);
    const receipt = await readJson<{ gates: Array<{ gate: string; reason: string }> }>(path.join(bundle, "receipt.json"));
    expect(receipt.gates.find((decision) => decision.gate === "encryption")?.reason).toMatch(/^tfplan decrypts with INFRA_PLAN_KEY \(key [0-9a-f]{16}\) and is the plan that was encrypted$/);
    expect(run.stderr + run.stdout).not.toContain(KEY);
  });
});
