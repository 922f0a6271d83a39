import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Manifest } from "../../src/bundle/manifest.js";
import { copyFixture, readJson, runInfra } from "../helpers.js";

// The Dagger module's container declares its toolchain in INFRA_TOOLCHAIN; the manifest records it.
describe("INFRA_TOOLCHAIN", () => {
  it("is recorded in the manifest's toolchain next to the CLI's own versions", async () => {
    const root = await copyFixture("changing");
    const bundle = path.join(root, "..", "artifacts", "dev");
    const declared = { image: "docker.io/library/node:20@sha256:" + "a".repeat(64), terraform: "1.11.4", tflint: "0.64.0" };
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle, "--quiet"], {
      env: { ...process.env, INFRA_TOOLCHAIN: JSON.stringify(declared) },
    });
    expect(run.code, run.stderr).toBe(0);
    const manifest = await readJson<Manifest>(path.join(bundle, "manifest.json"));
    expect(manifest.toolchain).toEqual({ ...declared, infra: expect.any(String), node: process.versions.node });
  });

  it("refuses a malformed declaration before anything runs, with exit code 2", async () => {
    const root = await copyFixture("changing");
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root], { env: { ...process.env, INFRA_TOOLCHAIN: "[1]" } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("INFRA_TOOLCHAIN is not a JSON object");
    expect(run.stderr).toContain("JSON object of strings");
  });
});
