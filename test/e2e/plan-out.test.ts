import { execFileSync, spawnSync } from "node:child_process";
import { cp, mkdir, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { exists, FIXTURES, INFRA_BIN, runInfra, skipBecause, startInfra, tempDir, waitForStderr } from "../helpers.js";

const env = { ...process.env, TF_VAR_db_password: "plan-out-secret-3390" };

/**
 * A user's checkout: a git repository holding the terraform tree, a file of their own and a
 * directory of notes, two levels down in a temp dir, so even `--out ..` on a broken infra can
 * only ever reach the test's own directories. infra runs from its top, as a user would.
 */
async function checkout(): Promise<{ cwd: string; mustSurvive: string[] }> {
  const workspace = await tempDir("checkout");
  const cwd = path.join(workspace, "parent", "checkout");
  await mkdir(cwd, { recursive: true });
  await cp(path.join(FIXTURES, "sensitive"), path.join(cwd, "terraform"), { recursive: true });
  await writeFile(path.join(workspace, "parent", "sibling.txt"), "beside the checkout\n");
  execFileSync("git", ["init", "-q", cwd]);
  await writeFile(path.join(cwd, "keep.txt"), "mine\n");
  await mkdir(path.join(cwd, "notes"));
  await writeFile(path.join(cwd, "notes", "todo.txt"), "mine too\n");
  await mkdir(path.join(cwd, "not-ours"));
  await writeFile(path.join(cwd, "not-ours", "manifest.json"), "{}\n");
  await symlink(path.join(cwd, "notes"), path.join(cwd, "linked"));
  await symlink(path.join(workspace, "nowhere"), path.join(cwd, "dangling"));
  const mustSurvive = [
    "../sibling.txt",
    ".git/HEAD",
    "keep.txt",
    "notes/todo.txt",
    "not-ours/manifest.json",
    "terraform/envs/dev/main.tf",
    "terraform/envs/prod/main.tf",
  ];
  return { cwd, mustSurvive: mustSurvive.map((file) => path.join(cwd, file)) };
}

describe("infra plan --out (item 1)", () => {
  it.each([
    [["--out", "."], 1, "refusing --out .: it is the current directory"],
    [["--out", ".."], 1, "refusing --out ..: it is a parent of the current directory"],
    [["--out", ""], 2, "--out is empty"],
    [["--out"], 2, "--out is empty"],
    [["--out", "terraform"], 1, "refusing --out terraform: it is the terraform tree (--root)"],
    [["--out", "terraform/envs/dev"], 1, "refusing --out terraform/envs/dev: it is inside the terraform tree"],
    [["--out", "keep.txt"], 1, "refusing --out keep.txt: it is a file, not a directory"],
    [["--out", "notes"], 1, "refusing --out notes: it is not a plan bundle: it holds todo.txt"],
    [["--out", "not-ours"], 1, "refusing --out not-ours: it is not a plan bundle of infra"],
    [["--out", "linked"], 1, "refusing --out linked: it is a symbolic link"],
    [["--out", "dangling/dev"], 1, "for the plan bundle: it does not exist (ENOENT)"],
    [["--out", "keep.txt/dev"], 1, "cannot use --out keep.txt/dev: a part of the path is a file, not a directory (ENOTDIR)"],
  ])("refuses %j, naming it, and every file survives", async (outArgs, code, message) => {
    const { cwd, mustSurvive } = await checkout();
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--quiet", ...outArgs], { cwd, env });
    for (const file of mustSurvive) expect(await exists(file), file).toBe(true);
    expect(run.code).toBe(code);
    expect(run.stderr).toContain(message);
  });

  it("replaces an earlier bundle of its own, and creates a new one", async () => {
    const { cwd } = await checkout();
    for (let round = 0; round < 2; round += 1) {
      const run = await runInfra(["plan", "--offline", "--env", "dev", "--quiet", "--out", "artifacts/dev"], { cwd, env });
      expect(run.code, run.stderr).toBe(0);
    }
    expect((await readdir(path.join(cwd, "artifacts"))).sort()).toEqual(["dev"]);
  });

  it("writes the bundle directory 0700 and every file in it 0600", async () => {
    const { cwd } = await checkout();
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--quiet", "--out", "artifacts/dev"], { cwd, env });
    expect(run.code, run.stderr).toBe(0);
    const bundle = path.join(cwd, "artifacts", "dev");
    expect((await stat(bundle)).mode & 0o777).toBe(0o700);
    for (const name of await readdir(bundle)) expect((await stat(path.join(bundle, name))).mode & 0o777, name).toBe(0o600);
  });

  it.for([
    ["a full disk", "size=16k", "dd if=/dev/zero of=$0/filler bs=1k count=64 2>/dev/null;", "the disk is full (ENOSPC)"],
    ["a read-only disk", "ro,size=64k", "", "the file system is read-only (EROFS)"],
  ] as const)("says so in one sentence on %s", async ([, options, fill, reason], context) => {
    try {
      execFileSync("unshare", ["-rm", "true"], { stdio: "ignore" });
    } catch {
      skipBecause(context, "unshare -rm (a private mount namespace) is not available to mount a small tmpfs");
    }
    const { cwd } = await checkout();
    const mount = path.join(cwd, "mnt");
    await mkdir(mount);
    // A private mount namespace: a small tmpfs, full or read-only, where --out points.
    const run = spawnSync(
      "unshare",
      ["-rm", "sh", "-c", `mount -t tmpfs -o ${options} tmpfs "$0" && ${fill} exec "$@"`, mount, process.execPath, INFRA_BIN, "plan", "--offline", "--env", "dev", "--quiet", "--out", path.join(mount, "bundle")],
      { cwd, env, encoding: "utf8" },
    );
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^error: cannot (write|create) [^\\n]*${mount.replaceAll("/", "\\/")}[^\\n]*: ${reason.replace(/[()]/g, "\\$&")}\\n`, "m"));
    expect(run.stderr).not.toContain("    at ");
  });
});

describe("leftovers of a killed plan (item 8)", () => {
  it("are removed by the next plan of the same --out; a running plan's are kept", async () => {
    const { cwd } = await checkout();
    const killed = startInfra(["plan", "--offline", "--env", "dev", "--out", "artifacts/dev"], { cwd, env });
    await waitForStderr(killed.child, "▶ terraform plan (dev)");
    killed.child.kill("SIGKILL");
    await killed.done;
    const artifacts = path.join(cwd, "artifacts");
    const leftovers = (await readdir(artifacts)).filter((name) => name.startsWith(".dev.partial-"));
    expect(leftovers.length).toBe(1);
    // One of a plan that is still running (this test process stands in for it) must stay.
    const running = path.join(artifacts, `.dev.partial-${process.pid}-aaaaaa`);
    await mkdir(running);

    const next = await runInfra(["plan", "--offline", "--env", "dev", "--quiet", "--out", "artifacts/dev"], { cwd, env });
    expect(next.code, next.stderr).toBe(0);
    expect((await readdir(artifacts)).sort()).toEqual([`.dev.partial-${process.pid}-aaaaaa`, "dev"]);
    expect(await readFile(path.join(artifacts, "dev", "manifest.json"), "utf8")).toContain('"env": "dev"');
  });
});
