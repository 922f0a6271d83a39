import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GIT_PACKAGE, PINNED_TOOLS, supportedPlatform, TERRAFORM, toolchainFacts, UNZIP_SCRIPT } from "../../dagger/src/toolchain.js";
import { REQUIRED_TERRAFORM_VERSION } from "../../src/terraform/runner.js";

describe("the pinned toolchain", () => {
  it("pins the terraform version the CLI requires", () => {
    expect(TERRAFORM.version).toBe(REQUIRED_TERRAFORM_VERSION);
  });

  it("has a sha256 for every tool on every supported platform, and the URL names that platform", () => {
    for (const tool of PINNED_TOOLS) {
      for (const platform of ["linux/amd64", "linux/arm64"] as const) {
        expect(tool.sha256[platform]).toMatch(/^[0-9a-f]{64}$/);
        expect(tool.url(platform)).toMatch(new RegExp(`^https://[^ ]+_${platform.replace("/", "_")}\\.zip$`));
        expect(tool.url(platform)).toContain(tool.version);
      }
      expect(tool.sha256["linux/amd64"]).not.toBe(tool.sha256["linux/arm64"]);
    }
  });

  it("maps the engine's platform to a supported one, ignoring the CPU variant", () => {
    expect(supportedPlatform("linux/amd64")).toBe("linux/amd64");
    expect(supportedPlatform("linux/arm64/v8")).toBe("linux/arm64");
    for (const reported of ["linux/s390x", "darwin/arm64", "", "linux", "linux/arm/v7"]) {
      expect(() => supportedPlatform(reported)).toThrow(/pinned only for linux\/amd64 and linux\/arm64/);
    }
  });

  it("records image, platform, versions and sums for the manifest", () => {
    expect(toolchainFacts("linux/arm64")).toMatchObject({ platform: "linux/arm64", terraform: "1.11.4", terraformSha256: TERRAFORM.sha256["linux/arm64"], git: GIT_PACKAGE.version });
  });
});

const zipMissing = spawnSync("zip", ["-v"]).status !== 0;
if (zipMissing) console.log("skipping the unzip script tests: the `zip` program that builds their archives is not installed");

describe.skipIf(zipMissing)("the unzip script the toolchain extracts release archives with", () => {
  let dir: string;
  let script: string;
  const binary = randomBytes(200_000);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "infra-unzip-"));
    script = path.join(dir, "unzip.mjs");
    await writeFile(script, UNZIP_SCRIPT);
    await writeFile(path.join(dir, "LICENSE.txt"), "license text ".repeat(1000));
    // Half compressible text, half random: deflate has something to do and something it cannot shrink.
    await writeFile(path.join(dir, "terraform"), Buffer.concat([Buffer.from("#!/bin/sh\n".repeat(5000)), binary]));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const unzip = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { cwd: dir, encoding: "utf8" });
  const makeZip = (name: string, flags: string[]) => {
    const made = spawnSync("zip", ["-q", ...flags, name, "LICENSE.txt", "terraform"], { cwd: dir });
    expect(made.status).toBe(0);
  };

  it.each([
    ["deflated", "deflated.zip", []],
    ["stored", "stored.zip", ["-0"]],
    ["streamed (sizes only in data descriptors)", "streamed.zip", ["-fd"]],
  ])("extracts one executable entry of a %s archive byte for byte", async (_kind, name, flags) => {
    makeZip(name, flags);
    const target = path.join(dir, `${name}.out`);
    const result = unzip(name, "terraform", target);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(await readFile(target)).toEqual(await readFile(path.join(dir, "terraform")));
    expect((await stat(target)).mode & 0o111).toBe(0o111);
  });

  it("fails with one sentence for a missing entry, a file that is not a zip, and missing arguments", async () => {
    makeZip("any.zip", []);
    expect(unzip("any.zip", "tflint", "out")).toMatchObject({ status: 1, stderr: "any.zip has no entry tflint\n" });
    await writeFile(path.join(dir, "page.html"), "<html>rate limited</html>");
    expect(unzip("page.html", "terraform", "out")).toMatchObject({ status: 1, stderr: "page.html is not a zip archive\n" });
    expect(unzip("any.zip")).toMatchObject({ status: 1, stderr: "usage: node unzip.mjs ARCHIVE ENTRY TARGET\n" });
  });
});
