import { spawnSync } from "node:child_process";
import { cp, readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Manifest } from "../../src/bundle/manifest.js";
import { commitAll } from "../../src/git.js";
import { findExecutable } from "../../src/process.js";
import { GIT_PACKAGE, NODE_IMAGE, TERRAFORM } from "../../dagger/src/toolchain.js";
import { FIXTURES, readJson, REPO_ROOT, tempDir } from "../helpers.js";

// The real thing: `dagger check` and `dagger call plan --env dev` through a real engine, on a copy
// of this repository whose terraform tree is a fixture (terraform_data, local backend: no cloud).
// Needs a dagger CLI and an engine it can start or reach; skipped with the reason otherwise.

async function whyDaggerCannotRun(): Promise<string | undefined> {
  const dagger = await findExecutable("dagger", process.env["PATH"] ?? "");
  if (!dagger) return "no `dagger` CLI on PATH";
  const engine = spawnSync(dagger, ["core", "version"], { encoding: "utf8", timeout: 300_000, env: { ...process.env, DO_NOT_TRACK: "1" } });
  if (engine.status !== 0) return `\`dagger core version\` could not reach an engine: ${(engine.stderr || engine.error?.message || "").trim().split("\n").at(-1)}`;
  return undefined;
}

const reason = await whyDaggerCannotRun();
if (reason) console.log(`skipping the dagger CLI tests: ${reason}`);

/** This repository with the fixture as its terraform tree, as the module's context directory. */
async function repositoryWithFixture(fixture: string): Promise<string> {
  const dir = await tempDir("dagger-repo");
  const leftOut = /^(node_modules|dist|artifacts|\.git|terraform|dagger\/sdk)(\/|$)|(^|\/)(node_modules|\.terraform|\.infra)(\/|$)/;
  await cp(REPO_ROOT, dir, { recursive: true, filter: (source) => !leftOut.test(path.relative(REPO_ROOT, source).split(path.sep).join("/")) });
  await cp(path.join(FIXTURES, fixture), path.join(dir, "terraform"), { recursive: true });
  return dir;
}

function dagger(cwd: string, args: string[]) {
  return spawnSync("dagger", args, { cwd, encoding: "utf8", timeout: 1_800_000, env: { ...process.env, DO_NOT_TRACK: "1" } });
}

describe.skipIf(reason !== undefined)("the module under a real dagger engine", () => {
  it("`dagger call plan --env dev` exports a bundle whose manifest names the pinned toolchain and the checkout's clean commit", { timeout: 1_800_000 }, async () => {
    const repo = await repositoryWithFixture("changing");
    // A repository of its own, so the context directory has a .git that the module must carry along.
    const commit = await commitAll(repo, "fixture");
    const out = path.join(repo, "artifacts", "dev");
    const run = dagger(repo, ["call", "plan", "--env", "dev", "-o", out]);
    expect(run.status, run.stderr).toBe(0);
    const manifest = await readJson<Manifest>(path.join(out, "manifest.json"));
    expect(manifest).toMatchObject({ env: "dev", terraformVersion: TERRAFORM.version, commit, dirty: false });
    expect(manifest.toolchain).toMatchObject({ image: NODE_IMAGE, terraform: TERRAFORM.version, git: GIT_PACKAGE.version });
    expect((await readdir(out)).sort()).toEqual(expect.arrayContaining(["manifest.json", "tfplan", "summary.md"]));
  });

  it("`dagger call plan` of an unknown environment fails with the CLI's sentence listing the known ones", { timeout: 1_800_000 }, async () => {
    const repo = await repositoryWithFixture("changing");
    const run = dagger(repo, ["call", "plan", "--env", "staging"]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/staging/);
    expect(run.stderr).toMatch(/dev/);
  });

  it("`dagger check` runs `infra check --strict` and passes on a clean tree", { timeout: 1_800_000 }, async () => {
    const repo = await repositoryWithFixture("changing");
    const run = dagger(repo, ["check"]);
    expect(run.status, run.stderr).toBe(0);
  });
});
