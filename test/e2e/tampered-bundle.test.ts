import { execFileSync, spawnSync } from "node:child_process";
import { chmod, cp, mkdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Manifest } from "../../src/bundle/manifest.js";
import { copyFixture, exists, INFRA_BIN, readJson, runInfra, skipBecause, stateAddresses, tempDir } from "../helpers.js";

const SECRET = "tamper-secret-5521";
const env = { ...process.env, TF_VAR_db_password: SECRET };

async function plannedDev(): Promise<{ root: string; bundle: string; envDir: string }> {
  const root = await copyFixture("sensitive");
  const bundle = path.join(root, "..", "bundle-dev");
  const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle, "--quiet"], { env });
  expect(run.code, run.stderr).toBe(0);
  return { root, bundle, envDir: path.join(root, "envs", "dev") };
}

function applyArgs(bundle: string, root: string): string[] {
  return ["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root];
}

/** The `input` terraform_data.slow holds in state: which of two plans was applied. */
async function appliedDelay(envDir: string): Promise<unknown> {
  const state = await readJson<{ resources: Array<{ instances: Array<{ attributes: { input: { value: unknown } } }> }> }>(path.join(envDir, "terraform.tfstate"));
  return state.resources[0]?.instances[0]?.attributes.input.value;
}

describe("check-then-use on tfplan (item 3)", () => {
  it("applies the reviewed plan even when tfplan is swapped after the gates checked it", async () => {
    const root = await copyFixture("slow");
    const reviewed = path.join(root, "..", "reviewed");
    const other = path.join(root, "..", "other");
    for (const [out, delay] of [[reviewed, "1"], [other, "2"]] as const) {
      const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", out, "--quiet"], { env: { ...process.env, TF_VAR_delay_seconds: delay } });
      expect(run.code, run.stderr).toBe(0);
    }
    // Real terraform, behind a wrapper that swaps the bundle's tfplan at the last moment:
    // after every check, just before terraform reads its plan file.
    const real = execFileSync("sh", ["-c", "command -v terraform"], { encoding: "utf8" }).trim();
    const bin = await tempDir("swapping-terraform");
    const wrapper = path.join(bin, "terraform");
    await writeFile(wrapper, `#!/bin/sh\nif [ "$1" = apply ]; then cp '${path.join(other, "tfplan")}' '${path.join(reviewed, "tfplan")}'; fi\nexec '${real}' "$@"\n`);
    await chmod(wrapper, 0o755);
    const run = await runInfra([...applyArgs(reviewed, root), "--quiet"], { env: { ...process.env, INFRA_TERRAFORM: wrapper } });
    expect(run.code, run.stderr).toBe(0);
    expect(await appliedDelay(path.join(root, "envs", "dev"))).toBe(1);
  });

  it("refuses a manifest whose planDigest is not the digest of tfplan", async () => {
    const { root, bundle, envDir } = await plannedDev();
    const manifestFile = path.join(bundle, "manifest.json");
    const manifest = await readJson<Manifest>(manifestFile);
    await writeFile(manifestFile, JSON.stringify({ ...manifest, planDigest: "0".repeat(64) }));
    const run = await runInfra(applyArgs(bundle, root), { env });
    expect(await stateAddresses(envDir)).toEqual([]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the manifest's planDigest 000000000000 is not the digest it records for tfplan");
    const review = await runInfra(["review", bundle]);
    expect(review.code).toBe(1);
    expect(review.stdout).toContain("ALTERED: the manifest's planDigest 000000000000 is not the digest it records for tfplan");
  });

  it("refuses a tfplan replaced by a symbolic link in one sentence, in apply and in review", async () => {
    const { root, bundle, envDir } = await plannedDev();
    const elsewhere = path.join(root, "..", "tfplan-elsewhere");
    await cp(path.join(bundle, "tfplan"), elsewhere);
    await rm(path.join(bundle, "tfplan"));
    await symlink(elsewhere, path.join(bundle, "tfplan"));
    const run = await runInfra(applyArgs(bundle, root), { env });
    expect(await stateAddresses(envDir)).toEqual([]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: plan bundle [^\n]* holds a symbolic link where tfplan should be a regular file[^\n]*\n/);
    expect(run.stderr).not.toContain("    at ");
    const review = await runInfra(["review", bundle]);
    expect(review.code).toBe(1);
    expect(`${review.stdout}${review.stderr}`).toContain("holds a symbolic link where tfplan should be a regular file");
    expect(review.stderr).not.toContain("    at ");
  });
});

describe("infra's own directory (.infra) unusable", () => {
  it("says so in one sentence when <root>/.infra is a file, and plans nothing", async () => {
    const root = await copyFixture("sensitive");
    await writeFile(path.join(root, ".infra"), "a file where infra keeps its directory\n");
    const bundle = path.join(root, "..", "bundle-dev");
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle, "--quiet"], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^error: [^\\n]*${path.join(root, ".infra").replaceAll("/", "\\/")}[^\\n]*\\n`));
    expect(run.stderr).not.toContain("    at ");
    expect(await exists(bundle)).toBe(false);
  });
});

describe("a disk that fills while terraform applies", () => {
  it("exits 3 saying the environment was applied and the receipt not written, and the state holds the change", async (context) => {
    try {
      execFileSync("unshare", ["-rm", "true"], { stdio: "ignore" });
    } catch {
      skipBecause(context, "unshare -rm (a private mount namespace) is not available to mount a small tmpfs");
    }
    const { root, bundle, envDir } = await plannedDev();
    const mount = path.join(root, "..", "mnt");
    await mkdir(mount);
    const real = execFileSync("sh", ["-c", "command -v terraform"], { encoding: "utf8" }).trim();
    const wrapper = path.join(await tempDir("filling-terraform"), "terraform");
    // terraform applies, then the disk holding the bundle fills before infra writes the receipt.
    await writeFile(wrapper, `#!/bin/sh\nif [ "$1" = apply ]; then '${real}' "$@"; code=$?; dd if=/dev/zero of='${mount}/filler' bs=4k 2>/dev/null; exit $code; fi\nexec '${real}' "$@"\n`);
    await chmod(wrapper, 0o755);
    const mounted = path.join(mount, "bundle");
    const run = spawnSync(
      "unshare",
      ["-rm", "sh", "-c", `mount -t tmpfs -o size=4m tmpfs "$0" && cp -r "$1" "$2" && shift 2 && exec "$@"`, mount, bundle, mounted, process.execPath, INFRA_BIN, ...applyArgs(mounted, root), "--quiet"],
      { env: { ...env, INFRA_TERRAFORM: wrapper }, encoding: "utf8" },
    );
    expect(run.status, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/^error: dev was applied \(terraform finished\), but its receipt was not written: [^\n]*the disk is full \(ENOSPC\)\n/m);
    expect(run.stderr).not.toContain("    at ");
    expect(await stateAddresses(envDir)).not.toEqual([]);
  });
});

describe("integrity by name (item 4)", () => {
  it.each(["constructor", "toString", "__proto__"])("refuses a bundle with an extra file named %s", async (name) => {
    const { root, bundle, envDir } = await plannedDev();
    await writeFile(path.join(bundle, name), "planted\n");
    const run = await runInfra(applyArgs(bundle, root), { env });
    expect(await stateAddresses(envDir)).toEqual([]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the plan bundle was altered: not part of the plan: ${name}`);
    const review = await runInfra(["review", bundle]);
    expect(review.code).toBe(1);
    expect(review.stdout).toContain(`ALTERED: not part of the plan: ${name}`);
  });

  it.each([
    ["a symlink", "notes", async (file: string) => symlink("/etc/hostname", file), "notes is a symbolic link"],
    ["a subdirectory", "extra", async (file: string) => mkdir(file), "extra is a directory"],
  ])("refuses a bundle holding %s", async (_kind, name, plant, words) => {
    const { root, bundle, envDir } = await plannedDev();
    await plant(path.join(bundle, name));
    const run = await runInfra(applyArgs(bundle, root), { env });
    expect(await stateAddresses(envDir)).toEqual([]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`not a regular file: ${words}`);
    const review = await runInfra(["review", bundle]);
    expect(review.code).toBe(1);
    expect(review.stdout).toContain(words);
  });
});

describe("the receipt (item 5)", () => {
  const immutable: string[] = [];
  afterEach(() => {
    for (const dir of immutable.splice(0)) execFileSync("chattr", ["-i", dir]);
  });

  it("is never written through a symlink planted in the bundle, and nothing is applied", async () => {
    const { root, bundle, envDir } = await plannedDev();
    const outside = path.join(root, "..", "outside.json");
    await writeFile(outside, "precious\n");
    await symlink(outside, path.join(bundle, "receipt.json"));
    const run = await runInfra(applyArgs(bundle, root), { env });
    expect(await readFile(outside, "utf8")).toBe("precious\n");
    expect(await stateAddresses(envDir)).toEqual([]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("receipt.json is not a regular file");
  });

  it("refuses before terraform runs when the bundle cannot be written", async (context) => {
    const { root, bundle, envDir } = await plannedDev();
    // Root ignores file modes; the immutable flag stops even root, like a read-only disk.
    try {
      execFileSync("chattr", ["+i", bundle], { stdio: "ignore" });
    } catch {
      skipBecause(context, "chattr +i is not available here to make the bundle unwritable");
    }
    immutable.push(bundle);
    const run = await runInfra(applyArgs(bundle, root), { env });
    expect(await stateAddresses(envDir)).toEqual([]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot write the receipt into the plan bundle ${bundle}, so nothing was applied`);
    expect(run.stderr).not.toContain("    at ");
  });

  it("is written atomically as a 0600 file, replacing the old one", async () => {
    const { root, bundle } = await plannedDev();
    const copy = path.join(root, "..", "copy");
    await cp(bundle, copy, { recursive: true });
    const run = await runInfra(applyArgs(copy, root), { env });
    expect(run.code, run.stderr).toBe(0);
    expect((await stat(path.join(copy, "receipt.json"))).mode & 0o777).toBe(0o600);
  });
});
