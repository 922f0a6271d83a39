import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { copyFixture, runInfra } from "../helpers.js";

// Made up for this test; terraform needs it in tfplan, and it must be nowhere else.
const SECRET = "leaky-token-99173";
const env = { ...process.env, TF_VAR_api_token: SECRET };

describe("secrets beside the point of redaction (item 7)", () => {
  it("keeps a nonsensitive() value and a provisioner's echo out of every artifact and all output", async () => {
    const root = await copyFixture("leaky");
    const bundle = path.join(root, "..", "bundle");
    const plan = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle], { env });
    expect(plan.code, plan.stderr).toBe(0);
    for (const name of await readdir(bundle)) {
      if (name === "tfplan") continue;
      expect(await readFile(path.join(bundle, name), "utf8"), name).not.toContain(SECRET);
    }
    expect(await readFile(path.join(bundle, "plan.txt"), "utf8")).toContain("(sensitive value)");
    expect((await stat(path.join(bundle, "tfplan"))).mode & 0o777).toBe(0o600);
    expect(plan.stdout + plan.stderr).not.toContain(SECRET);

    // The provisioner echoes the token and fails: terraform prints it twice, in its progress and its error.
    const apply = await runInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root], { env });
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain("local-exec provisioner error");
    expect(apply.stderr).toContain("token is (sensitive value)");
    expect(apply.stdout + apply.stderr).not.toContain(SECRET);
    expect(await readFile(path.join(bundle, "receipt.json"), "utf8")).not.toContain(SECRET);
    // terraform's own log of the apply, kept in the environment's data dir, is swept once infra saw it end.
    const logs = path.join(root, ".infra", "env", "dev", "logs");
    for (const name of await readdir(logs)) expect(await readFile(path.join(logs, name), "utf8"), name).not.toContain(SECRET);
  });
});
