import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runInfra, tempDir } from "../helpers.js";

// The AWS provider exists on this machine only as a filesystem mirror for linux_amd64, so the
// test locks that one platform from the mirror; the default four need the registry.
const MIRROR = "/opt/tf-plugins";
const mirrorMissing = await access(path.join(MIRROR, "registry.terraform.io", "hashicorp", "aws")).then(() => false, () => true);
if (mirrorMissing) console.log(`skipping the infra lock tests that need providers: no provider mirror at ${MIRROR}`);

/** envs/dev calls a local module; both need hashicorp/aws. */
async function treeWithProvider(): Promise<string> {
  const root = path.join(await tempDir("lock"), "terraform");
  const requires = (constraint: string) =>
    `terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = "${constraint}"\n    }\n  }\n}\n`;
  await mkdir(path.join(root, "modules", "bucket"), { recursive: true });
  await mkdir(path.join(root, "envs", "dev"), { recursive: true });
  await writeFile(path.join(root, "modules", "bucket", "versions.tf"), requires(">= 5.0"));
  await writeFile(path.join(root, "envs", "dev", "versions.tf"), requires("5.100.0"));
  await writeFile(path.join(root, "envs", "dev", "main.tf"), 'module "bucket" {\n  source = "../../modules/bucket"\n}\n');
  return root;
}

describe("infra lock", () => {
  it.skipIf(mirrorMissing)("writes each root's lock file with the provider's hashes, and none for modules", async () => {
    const root = await treeWithProvider();
    const run = await runInfra(["lock", "--root", root, "--platform", "linux_amd64", "--fs-mirror", MIRROR, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ platforms: ["linux_amd64"], lockFiles: ["envs/dev/.terraform.lock.hcl"] });
    const lockFile = await readFile(path.join(root, "envs", "dev", ".terraform.lock.hcl"), "utf8");
    expect(lockFile).toContain('provider "registry.terraform.io/hashicorp/aws"');
    expect(lockFile).toMatch(/version\s+= "5\.100\.0"/);
    expect(lockFile).toMatch(/"h1:[A-Za-z0-9+/=]{44}"/);
    await expect(access(path.join(root, "modules", "bucket", ".terraform.lock.hcl"))).rejects.toThrow();
    expect(run.stderr).toMatch(/✔ terraform providers lock \(envs\/dev\)/);
  });

  it("refuses a platform that is not an os_arch pair, before terraform runs", async () => {
    const run = await runInfra(["lock", "--root", await tempDir("lock-bad"), "--platform", "linux_amd64", "--platform", "macOS arm"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--platform "macOS arm" is not an os_arch pair');
  });

  it("refuses a provider mirror that is not a directory", async () => {
    const dir = await tempDir("lock-mirror");
    await writeFile(path.join(dir, "mirror"), "a file");
    const run = await runInfra(["lock", "--root", dir, "--fs-mirror", path.join(dir, "mirror")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--fs-mirror ${path.join(dir, "mirror")} is not a directory`);
  });
});
