import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../src/bundle/manifest.js";
import { commitChanges, copyFixture, readJson, runInfra, stateAddresses, stateSerial, tempDir } from "../helpers.js";

const env = { ...process.env, TF_VAR_db_password: "signature-secret-3310" };

describe("signed plans (optional: on once the repository trusts a key)", () => {
  let root: string;
  let signingKey: string;
  const devDir = () => path.join(root, "envs", "dev");
  const plan = (out: string, extra: NodeJS.ProcessEnv = {}) =>
    runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", out, "--quiet"], { env: { ...env, ...extra } });
  const apply = (bundle: string) => runInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root], { env });

  beforeAll(async () => {
    root = await copyFixture("sensitive");
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    signingKey = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await mkdir(path.join(root, "signing-keys"));
    await writeFile(path.join(root, "signing-keys", "ci.pem"), publicKey.export({ type: "spki", format: "pem" }).toString());
    commitChanges(root, "trust the CI signing key");
  });

  it("refuses an unsigned bundle", async () => {
    const out = path.join(root, "..", "unsigned");
    expect((await plan(out)).code).toBe(0);
    const run = await apply(out);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: signature gate refused: the bundle carries no manifest.sig, but the repository trusts 1 signing key(s)");
    expect(await stateSerial(devDir())).toBeNull();
  });

  it("refuses a bundle edited after signing, and applies one that was not", async () => {
    const out = path.join(root, "..", "signed");
    const planned = await plan(out, { INFRA_SIGNING_KEY: signingKey });
    expect(planned.code, planned.stderr).toBe(0);
    const manifestFile = path.join(out, "manifest.json");
    const original = await readFile(manifestFile, "utf8");
    const manifest = JSON.parse(original) as Manifest;
    await writeFile(manifestFile, JSON.stringify({ ...manifest, createdAt: new Date(Date.parse(manifest.createdAt) + 1000).toISOString() }, null, 2));
    const edited = await apply(out);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain("error: signature gate refused: the signature by ci.pem does not match manifest.json: the bundle was edited after signing");
    expect(await stateAddresses(devDir())).toEqual([]);
    await writeFile(manifestFile, original);
    const run = await apply(out);
    expect(run.code, run.stderr).toBe(0);
    const receipt = await readJson<{ gates: Array<{ gate: string; reason: string }> }>(path.join(out, "receipt.json"));
    expect(receipt.gates.find((gate) => gate.gate === "signature")?.reason).toBe("manifest.json is signed by ci.pem");
  });

  it("decides on the one manifest.json it read: a swap while terraform runs for the gates changes neither the signature verdict nor the gates'", async () => {
    const out = path.join(root, "..", "swapped");
    const planned = await plan(out, { INFRA_SIGNING_KEY: signingKey });
    expect(planned.code, planned.stderr).toBe(0);
    const manifestFile = path.join(out, "manifest.json");
    const original = await readJson<Manifest>(manifestFile);
    const forged = path.join(root, "..", "forged-manifest.json");
    await writeFile(forged, JSON.stringify({ ...original, region: "us-east-2", planDigest: "0".repeat(64) }, null, 2));
    // terraform init and show run after apply read the manifest, before it decides: the window a second read would open.
    const real = execFileSync("sh", ["-c", "command -v terraform"], { encoding: "utf8" }).trim();
    const wrapper = path.join(await tempDir("swapping-manifest"), "terraform");
    await writeFile(wrapper, `#!/bin/sh\ncp '${forged}' '${manifestFile}'\nexec '${real}' "$@"\n`);
    await chmod(wrapper, 0o755);
    const run = await runInfra(["apply", "--offline", "--env", "dev", "--plan", out, "--root", root], { env: { ...env, INFRA_TERRAFORM: wrapper } });
    expect(await readFile(manifestFile, "utf8")).toBe(await readFile(forged, "utf8"));
    expect(run.code, run.stderr).toBe(0);
    const receipt = await readJson<{ planDigest: string; gates: Array<{ gate: string; reason: string }> }>(path.join(out, "receipt.json"));
    expect(receipt.planDigest).toBe(original.planDigest);
    expect(receipt.gates.find((gate) => gate.gate === "signature")?.reason).toBe("manifest.json is signed by ci.pem");
    // Read again, the forged manifest is what it is: refused.
    const again = await runInfra(["gate", "--offline", "--env", "dev", "--plan", out, "--root", root, "--json", "--quiet"], { env });
    expect(again.code).toBe(1);
  });

  const planWithProgress = (out: string, signingKeyPem: string) =>
    runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", out], { env: { ...env, INFRA_SIGNING_KEY: signingKeyPem } });

  it("says INFRA_SIGNING_KEY is no key, without printing it, before terraform plans", async () => {
    const run = await planWithProgress(path.join(root, "..", "badkey"), "not-a-key-0x5eC");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: INFRA_SIGNING_KEY is not a private key in PEM");
    expect(run.stderr).not.toContain("not-a-key-0x5eC");
    expect(run.stderr).not.toContain("terraform plan (dev)");
    await expect(readFile(path.join(root, "..", "badkey", "manifest.json"))).rejects.toThrow();
  });

  it("refuses a key the repository does not trust before terraform plans, since apply would refuse its bundle", async () => {
    const stranger = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const run = await planWithProgress(path.join(root, "..", "untrusted"), stranger);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: INFRA_SIGNING_KEY is key [0-9a-f]{16}, which none of the 1 key\(s\) in .*signing-keys is, so apply would refuse the bundle/);
    expect(run.stderr).not.toContain("terraform plan (dev)");
    expect(run.stderr).not.toContain("PRIVATE KEY");
  });
});
