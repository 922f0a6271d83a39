import { appendFile, cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initFingerprint, type InitInputs } from "../../../src/terraform/init-marker.js";
import { FIXTURES } from "../../helpers.js";

describe("initFingerprint", () => {
  let root: string;
  let envDir: string;
  const inputs: InitInputs = { terraformVersion: "1.11.4", readOptions: {}, processEnv: {} };

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "infra-init-marker-"));
    await cp(path.join(FIXTURES, "sensitive"), root, { recursive: true });
    envDir = path.join(root, "envs", "dev");
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("returns the same fingerprint for unchanged inputs", async () => {
    expect(await initFingerprint(envDir, inputs)).toBe(await initFingerprint(envDir, inputs));
  });

  it("changes when a local module's configuration changes", async () => {
    const before = await initFingerprint(envDir, inputs);
    await appendFile(path.join(root, "modules", "database", "main.tf"), "\n# changed\n");
    expect(await initFingerprint(envDir, inputs)).not.toBe(before);
  });

  it("changes when the lock file appears", async () => {
    const before = await initFingerprint(envDir, inputs);
    await writeFile(path.join(envDir, ".terraform.lock.hcl"), "# providers\n");
    expect(await initFingerprint(envDir, inputs)).not.toBe(before);
  });

  it("changes with terraform's version and with TF_CLI_ARGS_init", async () => {
    const before = await initFingerprint(envDir, inputs);
    expect(await initFingerprint(envDir, { ...inputs, terraformVersion: "1.11.5" })).not.toBe(before);
    expect(await initFingerprint(envDir, { ...inputs, processEnv: { TF_CLI_ARGS_init: "-upgrade" } })).not.toBe(before);
  });

  it("ignores files init does not read, such as variable values", async () => {
    const before = await initFingerprint(envDir, inputs);
    await writeFile(path.join(envDir, "terraform.tfvars"), 'db_password = "x"\n');
    expect(await initFingerprint(envDir, inputs)).toBe(before);
  });
});
