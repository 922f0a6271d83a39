import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseStatus, readRevision } from "../../src/git.js";

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
