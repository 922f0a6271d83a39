import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InfraError } from "../../src/errors.js";
import { commitAll, readRevision } from "../../src/git.js";
import { describeEntry, ledgerRef, listApplied, readApplied, recordApplied } from "../../src/ledger.js";
import { RECEIPT } from "./gates/gate-input.js";

describe("the promotion ledger in a real git repository", () => {
  let dir: string;
  let commit: string;
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir }).toString().trim();

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "infra-ledger-"));
    await writeFile(path.join(dir, "main.tf"), "# one\n");
    commit = await commitAll(dir, "first");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function record(env: string, at: string, finishedAt: string): Promise<string> {
    const file = path.join(dir, "..", `${path.basename(dir)}-receipt-${env}-${finishedAt}.json`);
    await writeFile(file, JSON.stringify({ ...RECEIPT, env, commit: at, finishedAt }));
    try {
      return await recordApplied(dir, env, at, file);
    } finally {
      await rm(file, { force: true });
    }
  }

  it("writes refs/infra/applied/<env>/<commit> to a blob holding the receipt, and reads it back", async () => {
    expect(await readApplied(dir, "dev", commit)).toBeNull();
    const ref = await record("dev", commit, "2025-01-02T04:01:00.000Z");
    expect(ref).toBe(`refs/infra/applied/dev/${commit}`);
    expect(git("cat-file", "-t", ref)).toBe("blob");
    expect(await readApplied(dir, "dev", commit)).toEqual({ ref, env: "dev", commit, receipt: { ...RECEIPT, env: "dev", commit, finishedAt: "2025-01-02T04:01:00.000Z" } });
    expect(await readApplied(dir, "prod", commit)).toBeNull();
  });

  it("leaves the working tree clean and HEAD where it was", async () => {
    await record("dev", commit, "2025-01-02T04:01:00.000Z");
    expect(await readRevision(dir)).toEqual({ commit, dirty: false });
  });

  it("lists one environment's entries, oldest first", async () => {
    const other = "fedcba9876543210fedcba9876543210fedcba98";
    await record("dev", other, "2025-01-03T00:00:00.000Z");
    await record("dev", commit, "2025-01-02T00:00:00.000Z");
    await record("prod", commit, "2025-01-04T00:00:00.000Z");
    const entries = await listApplied(dir, "dev");
    expect(entries.map((entry) => entry.commit)).toEqual([commit, other]);
    expect(describeEntry(entries[0] as (typeof entries)[0])).toBe(`${commit.slice(0, 12)}  2025-01-02T00:00:00.000Z  plan 1111  applied`);
    expect(await listApplied(dir, "staging")).toEqual([]);
  });

  it("reports a ref that holds no receipt instead of trusting it", async () => {
    const blob = execFileSync("git", ["hash-object", "-w", "--stdin"], { cwd: dir, input: "<html>not a receipt</html>" }).toString().trim();
    git("update-ref", ledgerRef("dev", commit), blob);
    expect(await readApplied(dir, "dev", commit)).toEqual({ ref: ledgerRef("dev", commit), env: "dev", commit, problem: `${ledgerRef("dev", commit)} does not hold a receipt (not JSON)` });
    const partial = execFileSync("git", ["hash-object", "-w", "--stdin"], { cwd: dir, input: '{"env":"dev"}' }).toString().trim();
    git("update-ref", ledgerRef("dev", commit), partial);
    expect(await readApplied(dir, "dev", commit)).toMatchObject({ problem: expect.stringContaining("missing commit, outcome, planDigest, finishedAt") });
  });

  it("fails with one sentence outside a repository", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "infra-noledger-"));
    try {
      await writeFile(path.join(outside, "r.json"), "{}");
      const error = await recordApplied(outside, "dev", commit, path.join(outside, "r.json")).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InfraError);
      expect((error as InfraError).message).toMatch(/^could not record refs\/infra\/applied\/dev\/[0-9a-f]{40} \(git hash-object in .*\): fatal: not a git repository/);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
