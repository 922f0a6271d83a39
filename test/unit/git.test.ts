import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exportCommitted, parseStatus, readRevision } from "../../src/git.js";

describe("readRevision", () => {
  let dir: string;
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=infra-test", "-c", "user.email=infra-test@example.invalid", ...args], { cwd: dir }).toString().trim();

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "infra-git-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("returns nulls outside a repository", async () => {
    expect(await readRevision(dir)).toEqual({ commit: null, dirty: null });
  });

  it("returns HEAD and clean for a committed tree, dirty once a file changes", async () => {
    git("init", "-q");
    await writeFile(path.join(dir, "main.tf"), "# one\n");
    git("add", ".");
    git("commit", "-q", "-m", "first");
    expect(await readRevision(dir)).toEqual({ commit: git("rev-parse", "HEAD"), dirty: false });
    await writeFile(path.join(dir, "main.tf"), "# two\n");
    expect(await readRevision(dir)).toEqual({ commit: git("rev-parse", "HEAD"), dirty: true });
  });

  it("counts an untracked file as dirty", async () => {
    git("init", "-q");
    git("commit", "-q", "--allow-empty", "-m", "empty");
    await writeFile(path.join(dir, "new.tf"), "# new\n");
    expect((await readRevision(dir)).dirty).toBe(true);
  });
});

describe("parseStatus", () => {
  it("returns no commit for a repository without one", () => {
    expect(parseStatus("# branch.oid (initial)\n# branch.head main\n")).toEqual({ commit: null, dirty: false });
  });
});

describe("exportCommitted", () => {
  let dir: string;
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=infra-test", "-c", "user.email=infra-test@example.invalid", ...args], { cwd: dir }).toString().trim();

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "infra-export-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("writes the committed files of the named directories, export-ignore or not, and never the working tree's edits", async () => {
    git("init", "-q");
    await mkdir(path.join(dir, "envs", "dev"), { recursive: true });
    await mkdir(path.join(dir, "modules", "app"), { recursive: true });
    await mkdir(path.join(dir, "other"));
    await writeFile(path.join(dir, ".gitattributes"), "*.tf export-ignore\n");
    await writeFile(path.join(dir, "envs", "dev", "main.tf"), "# committed\n");
    await writeFile(path.join(dir, "modules", "app", "main.tf"), "# module\n");
    await writeFile(path.join(dir, "other", "notes.txt"), "not asked for\n");
    git("add", ".");
    git("commit", "-q", "-m", "first");
    await writeFile(path.join(dir, "envs", "dev", "main.tf"), "# edited, not committed\n");
    const dest = path.join(dir, "..", `${path.basename(dir)}-out`);
    await mkdir(dest);
    try {
      await exportCommitted(dir, git("rev-parse", "HEAD"), ["envs", "envs/dev", "modules/app"], dest);
      expect(await readFile(path.join(dest, "envs", "dev", "main.tf"), "utf8")).toBe("# committed\n");
      expect(await readFile(path.join(dest, "modules", "app", "main.tf"), "utf8")).toBe("# module\n");
      expect((await readdir(dest)).sort()).toEqual(["envs", "modules"]);
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });
});
