import { cp, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { copyFixture, runInfra, stateAddresses, tempDir, type RunResult } from "../helpers.js";

const env = { ...process.env, TF_VAR_db_password: "sentence-secret-8812" };

/** Every bad input gets one sentence and an exit code, never a stack trace. */
function expectSentence(run: RunResult, code: number, text: string): void {
  expect(run.stderr).not.toContain("internal error");
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).toContain(text);
  expect(run.code).toBe(code);
}

describe("stack traces become sentences (item 6)", () => {
  let root: string;
  let bundle: string;
  beforeAll(async () => {
    root = await copyFixture("sensitive");
    bundle = path.join(root, "..", "bundle");
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle, "--quiet"], { env });
    expect(run.code, run.stderr).toBe(0);
  });

  it("names a corrupt receipt.json, and applies nothing", async () => {
    const copy = path.join(root, "..", "corrupt-receipt");
    await cp(bundle, copy, { recursive: true });
    await writeFile(path.join(copy, "receipt.json"), "{ half a recei");
    const apply = await runInfra(["apply", "--offline", "--env", "dev", "--plan", copy, "--root", root], { env });
    expect(await stateAddresses(path.join(root, "envs", "dev"))).toEqual([]);
    expectSentence(apply, 1, `${path.join(copy, "receipt.json")} is corrupt: not valid JSON`);
    expectSentence(await runInfra(["review", copy]), 1, `${path.join(copy, "receipt.json")} is corrupt`);
  });

  it("names a corrupt summary.json", async () => {
    const other = path.join(root, "..", "corrupt-summary");
    await cp(bundle, other, { recursive: true });
    await writeFile(path.join(other, "summary.json"), "not json");
    expectSentence(await runInfra(["review", other]), 1, `${path.join(other, "summary.json")} is not valid JSON`);
  });

  it("says --root names a file", async () => {
    const file = path.join(root, "envs", "dev", "main.tf");
    expectSentence(await runInfra(["plan", "--offline", "--env", "dev", "--root", file]), 1, `terraform root ${file} is a file, not a directory`);
  });

  it("says the tree is missing, not terraform, when there is no ./terraform", async () => {
    const empty = await tempDir("no-tree");
    const run = await runInfra(["plan", "--offline", "--env", "dev"], { cwd: empty, env });
    expectSentence(run, 1, `terraform root ${path.join(empty, "terraform")} not found`);
    expect(run.stderr).not.toContain("not on PATH");
  });

  it.each([
    [["plan", "--offline", "--env", "dev", "--env", "prod"], "--env was given 2 times; give it once"],
    [["apply", "--env=dev", "--plan", "a", "--plan", "b"], "--plan was given 2 times; give it once"],
    [["check", "--json", "--json"], "--json was given 2 times; give it once"],
  ])("refuses a flag given twice: %j", async (args, message) => {
    expectSentence(await runInfra(args), 2, message);
  });

  it.each(["--root", "--out"])("says a 5,000-character %s is too long", async (flag) => {
    const long = "x".repeat(5000);
    const args = flag === "--root" ? ["plan", "--offline", "--env", "dev", "--root", long] : ["plan", "--offline", "--env", "dev", "--root", root, "--out", long];
    const run = await runInfra(args, { env });
    expectSentence(run, 1, "the path is too long");
    expect(run.stderr.length).toBeLessThan(1000);
  });

  it("refuses check --env '' instead of checking everything", async () => {
    expectSentence(await runInfra(["check", "--env", "", "--root", root]), 2, "--env is empty");
  });

  it("accepts review --quiet, as every command does", async () => {
    const run = await runInfra(["review", bundle, "--quiet"]);
    expect(run.stderr).not.toContain("Unknown argument");
    expect(run.stdout).toContain("Plan for dev");
  });
});
