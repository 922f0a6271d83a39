import { execFileSync, spawn } from "node:child_process";
import { chmod, cp, mkdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { Manifest } from "../../src/bundle/manifest.js";
import type { Receipt } from "../../src/bundle/receipt.js";
import { commitChanges, copyFixture, readJson, REPO_ROOT, runInfra, tempDir, type RunResult } from "../helpers.js";

/**
 * The promotion ledger's trip through CI: the run scripts of .github/workflows/infra.yml's apply
 * jobs, executed with bash as a runner would (its GITHUB_* variables, the job's token, a checkout
 * without persisted credentials), in clones of a repository whose `origin` is a local bare
 * repository. `dagger call apply` is played by the built CLI in a copy of the checkout, .git
 * included, whose .git is then thrown away - as the engine's is.
 */

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
}
interface Job {
  environment?: string;
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

// Long enough that its base64 would wrap at 76 columns, as GNU base64 does by default.
const TOKEN = "ghs_ledgerTestToken0123456789abcdefXYZ0123456789abcdefghijklmnop";
const TOKEN_BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");
const tfEnv = { ...process.env, TF_VAR_db_password: "ledger-secret-7731" };

let workflow: Workflow;
const job = (name: string): Job => workflow.jobs[name]!;
const isLedgerPush = (step: Step) => /^scripts\/ledger\.sh push /.test(step.run ?? "");
const isLedgerFetch = (step: Step) => step.run === "scripts/ledger.sh fetch";
const isDaggerCall = (step: Step, fn: string) => (step.run ?? "").startsWith(`dagger call ${fn} `);

/** Everything every step printed, to prove the token never appears in any of it. */
const outputs: string[] = [];

let home: string;
let origin: string;
let commit: string;
let engineRoot: string;
/** The environments' private ledger keys, made with `infra ledger --write-key` where the repository was made. */
let ledgerKeys: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: runnerEnv(cwd) }).toString().trim();
}

function runnerEnv(workspace: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env["PATH"],
    // A runner's git has no global or system configuration of ours: nothing to lean on.
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_SHA: commit,
    GITHUB_REF: "refs/heads/main",
    GITHUB_REPOSITORY: "example/infra",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_RUN_ID: "4242",
    GITHUB_WORKSPACE: workspace,
    ...extra,
  };
}

/** Runs one step's script as GitHub's `bash` shell does, with the step's env (expressions evaluated). */
async function runStep(step: Step, workspace: string, extra: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const stepEnv = Object.fromEntries(
    Object.entries(step.env ?? {}).map(([name, value]) => {
      if (value === "${{ github.token }}") return [name, TOKEN];
      if (value.includes("${{")) throw new Error(`test does not know how to evaluate ${value}`);
      return [name, value];
    }),
  );
  const outputFile = path.join(workspace, "..", `github-output-${Date.now()}`);
  const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], {
    cwd: workspace,
    env: runnerEnv(workspace, { GITHUB_OUTPUT: outputFile, ...stepEnv, ...extra }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  outputs.push(stdout, stderr);
  return { code, stdout, stderr };
}

/** What actions/checkout does with persist-credentials: false on a push to main: a shallow fetch of the commit, no credentials kept. */
async function checkout(name: string): Promise<string> {
  const workspace = path.join(path.dirname(origin), name);
  await mkdir(workspace);
  git(workspace, "init", "-q");
  git(workspace, "remote", "add", "origin", `file://${origin}`);
  git(workspace, "fetch", "-q", "--no-tags", "--depth=1", "origin", `+${commit}:refs/remotes/origin/main`);
  git(workspace, "checkout", "-q", "--force", "-B", "main", "refs/remotes/origin/main");
  return workspace;
}

/**
 * The engine's copy of the module source: the checkout with its .git, without artifacts
 * (dagger/src/index.ts ignores them). The fixture's state is local, so its environments sign with
 * local key files; they stand in for the KMS key a real environment's job reaches through its
 * OIDC role, and reach the engine the same way: from outside the checkout.
 */
async function engineCopy(workspace: string): Promise<string> {
  await rm(engineRoot, { recursive: true, force: true });
  await cp(workspace, engineRoot, { recursive: true });
  await rm(path.join(engineRoot, "artifacts"), { recursive: true, force: true });
  await cp(ledgerKeys, path.join(engineRoot, "terraform", ".infra", "ledger-keys"), { recursive: true });
  return engineRoot;
}

/** `dagger call plan --env E -o artifacts/E` followed by the artifact's upload and download. */
async function planInEngine(workspace: string, env: string): Promise<void> {
  const engine = await engineCopy(workspace);
  const bundle = path.join(engine, "artifacts", env);
  const run = await runInfra(["plan", "--offline", "--env", env, "--root", path.join(engine, "terraform"), "--out", bundle, "--quiet"], { cwd: engine, env: tfEnv });
  expect(run.code, run.stderr).toBe(0);
  await cp(bundle, path.join(workspace, "artifacts", env), { recursive: true });
}

/** `dagger call apply --env E --plan artifacts/E ... -o artifacts/E`: applies in the engine's copy, returns the bundle. */
async function applyInEngine(workspace: string, env: string, extra: string[]): Promise<RunResult & { engineRef: string | null }> {
  const engine = await engineCopy(workspace);
  const bundle = path.join(engine, "artifacts", env);
  await cp(path.join(workspace, "artifacts", env), bundle, { recursive: true });
  const run = await runInfra(["apply", "--offline", "--env", env, "--plan", bundle, "--root", path.join(engine, "terraform"), "--quiet", ...extra], { cwd: engine, env: tfEnv });
  if (run.code !== 0) return { ...run, engineRef: null };
  await cp(bundle, path.join(workspace, "artifacts", env), { recursive: true });
  return { ...run, engineRef: refOf(engine, `refs/infra/applied/${env}/${commit}`) };
}

function refOf(repo: string, ref: string): string | null {
  try {
    return git(repo, "rev-parse", "--verify", "--quiet", ref);
  } catch {
    return null;
  }
}

/**
 * Runs an apply job's steps in order: `run` steps with bash, `dagger call apply` in the engine,
 * `uses` steps as already done (checkout, artifact download) or not needed here (AWS, Dagger).
 * Stops at the first failing step, as a job does.
 */
async function runApplyJob(name: string, workspace: string, options: { skip?: (step: Step) => boolean; applyFlags?: string[] } = {}) {
  const env = job(name).environment!;
  const results: Array<{ step: string; result: RunResult }> = [];
  let engineRef: string | null = null;
  for (const step of job(name).steps) {
    if (step.run === undefined || options.skip?.(step)) continue;
    let result: RunResult;
    if (isDaggerCall(step, "apply")) {
      const applied = await applyInEngine(workspace, env, options.applyFlags ?? []);
      engineRef = applied.engineRef;
      result = applied;
    } else {
      result = await runStep(step, workspace);
    }
    results.push({ step: step.name ?? step.id ?? step.run, result });
    if (result.code !== 0) break;
  }
  return { results, engineRef, failed: results.find(({ result }) => result.code !== 0) ?? null };
}

async function applyBundleCopy(from: string, to: string, env: string, edit?: (text: string) => string, name = "receipt.json"): Promise<void> {
  await rm(path.join(to, "artifacts", env), { recursive: true, force: true });
  await cp(path.join(from, "artifacts", env), path.join(to, "artifacts", env), { recursive: true });
  if (edit) {
    const file = path.join(to, "artifacts", env, name);
    await writeFile(file, edit(await readFile(file, "utf8")));
  }
}

const pushStep = (env: string): Step => job(`apply-${env}`).steps.find(isLedgerPush)!;
const fetchStep = (env: string): Step => job(`apply-${env}`).steps.find(isLedgerFetch)!;
const devRef = () => `refs/infra/applied/dev/${commit}`;

beforeAll(async () => {
  workflow = parseYaml(await readFile(path.join(REPO_ROOT, ".github", "workflows", "infra.yml"), "utf8")) as Workflow;
  const root = await copyFixture("sensitive");
  const repo = path.dirname(root);
  // The repository as it is: the terraform tree and the script the workflow runs.
  await mkdir(path.join(repo, "scripts"));
  await cp(path.join(REPO_ROOT, "scripts", "ledger.sh"), path.join(repo, "scripts", "ledger.sh"));
  await chmod(path.join(repo, "scripts", "ledger.sh"), 0o755);
  for (const env of ["dev", "prod"]) {
    const key = await runInfra(["ledger", "--env", env, "--write-key", "--root", root]);
    expect(key.code, key.stderr).toBe(0);
  }
  ledgerKeys = path.join(root, ".infra", "ledger-keys");
  commit = commitChanges(repo, "the workflow's ledger script, and the environments' public ledger keys");
  const place = await tempDir("ledger-ci");
  home = path.join(place, "home");
  await mkdir(home);
  origin = path.join(place, "origin.git");
  execFileSync("git", ["clone", "-q", "--bare", repo, origin]);
  engineRoot = path.join(place, "engine", "src");
});

describe("the workflow's apply jobs carry the promotion ledger", () => {
  let devRunner: string;

  it("apply-dev fetches the ledger, applies in the engine, and pushes refs/infra/applied/dev/<commit> holding the returned signed entry", async () => {
    devRunner = await checkout("apply-dev");
    await planInEngine(devRunner, "dev");
    const { failed, engineRef, results } = await runApplyJob("apply-dev", devRunner);
    expect(failed, JSON.stringify(failed)).toBeNull();
    expect(results.map(({ step }) => step)).toEqual(["Fetch the promotion ledger", "session", "dagger call apply --env dev", "Push the ledger entry of dev"]);
    const pushed = refOf(origin, devRef());
    // Content-addressed: the runner wrote the very blob the engine's apply wrote and threw away.
    expect(pushed).not.toBeNull();
    expect(pushed).toBe(engineRef);
    expect(await readFile(path.join(devRunner, "artifacts", "dev", "ledger-entry.json"), "utf8")).toBe(git(origin, "cat-file", "blob", devRef()) + "\n");
    expect(git(origin, "for-each-ref", "--format=%(refname)", "refs/infra/")).toBe(devRef());
  });

  it("without the fetch, apply-prod's promotion gate refuses in the engine and the job pushes nothing", async () => {
    const runner = await checkout("apply-prod-unfetched");
    await planInEngine(runner, "prod");
    const approve = (await readJson<Manifest>(path.join(runner, "artifacts", "prod", "manifest.json"))).planDigest.slice(0, 12);
    const { failed, results } = await runApplyJob("apply-prod", runner, { skip: isLedgerFetch, applyFlags: ["--approve", approve] });
    expect(failed?.step).toBe("dagger call apply --env prod");
    expect(failed?.result.stderr).toContain(`error: promotion gate refused: prod is promoted from dev, but commit ${commit.slice(0, 12)} was never applied to dev`);
    expect(results.some(({ step }) => step.startsWith("Push"))).toBe(false);
    expect(refOf(origin, `refs/infra/applied/prod/${commit}`)).toBeNull();
  });

  it("a fresh clone running apply-prod's fetch step sees dev's entry: infra ledger lists it and the promotion gate passes", async () => {
    const runner = await checkout("apply-prod");
    await planInEngine(runner, "prod");
    const fetched = await runStep(fetchStep("prod"), runner);
    expect(fetched.code, fetched.stderr).toBe(0);
    const ledger = await runInfra(["ledger", "--env", "dev", "--root", path.join(runner, "terraform"), "--json"], { cwd: runner });
    expect(ledger.code, ledger.stderr).toBe(0);
    expect(JSON.parse(ledger.stdout)).toMatchObject({ env: "dev", entries: [{ commit, payload: { env: "dev", commit, outcome: "applied" }, verdict: { verified: true } }] });
    const approve = (await readJson<Manifest>(path.join(runner, "artifacts", "prod", "manifest.json"))).planDigest.slice(0, 12);
    const gate = await runInfra(
      ["gate", "--offline", "--env", "prod", "--plan", path.join(runner, "artifacts", "prod"), "--root", path.join(runner, "terraform"), "--approve", approve, "--json", "--quiet"],
      { cwd: runner, env: tfEnv },
    );
    expect(gate.code, gate.stderr).toBe(0);
    const verdicts = JSON.parse(gate.stdout) as { allowed: boolean; decisions: Array<{ gate: string; allowed: boolean; reason: string }> };
    expect(verdicts.decisions.find((decision) => decision.gate === "promotion")).toMatchObject({ allowed: true, reason: expect.stringContaining(`was applied to dev at`) });
    expect(verdicts.allowed).toBe(true);
  });

  it("the whole apply-prod job then applies prod and pushes its own entry", async () => {
    const runner = await checkout("apply-prod-job");
    await planInEngine(runner, "prod");
    const approve = (await readJson<Manifest>(path.join(runner, "artifacts", "prod", "manifest.json"))).planDigest.slice(0, 12);
    const { failed, engineRef } = await runApplyJob("apply-prod", runner, { applyFlags: ["--approve", approve] });
    expect(failed, JSON.stringify(failed)).toBeNull();
    expect(refOf(origin, `refs/infra/applied/prod/${commit}`)).toBe(engineRef);
  });

  it("a re-run that pushes the same receipt succeeds, from the same runner and from a fresh clone", async () => {
    const before = refOf(origin, devRef());
    const again = await runStep(pushStep("dev"), devRunner);
    expect(again.code, again.stderr).toBe(0);
    const rerun = await checkout("apply-dev-rerun");
    await applyBundleCopy(devRunner, rerun, "dev");
    for (const step of [fetchStep("dev"), pushStep("dev")]) {
      const result = await runStep(step, rerun);
      expect(result.code, result.stderr).toBe(0);
    }
    const unfetched = await checkout("apply-dev-rerun-unfetched");
    await applyBundleCopy(devRunner, unfetched, "dev");
    const pushed = await runStep(pushStep("dev"), unfetched);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(refOf(origin, devRef())).toBe(before);
  });

  it("a different entry for a commit already in the ledger fails loudly and overwrites nothing, whether fetched or found at the push", async () => {
    const before = refOf(origin, devRef());
    const otherEntry = (text: string) => text.replace(/"signature": "[^"]+"/, '"signature": null');

    const fetched = await checkout("apply-dev-conflict");
    await applyBundleCopy(devRunner, fetched, "dev", otherEntry, "ledger-entry.json");
    expect((await runStep(fetchStep("dev"), fetched)).code).toBe(0);
    const local = await runStep(pushStep("dev"), fetched);
    expect(local.code).toBe(1);
    expect(local.stderr.trim()).toMatch(new RegExp(`^ledger: error: ${devRef()} already holds another entry \\(${before}, this one is [0-9a-f]{40}\\): dev was recorded as applied at this commit before, and the ledger keeps that first entry; nothing was pushed$`));

    const racing = await checkout("apply-dev-conflict-unfetched");
    await applyBundleCopy(devRunner, racing, "dev", otherEntry, "ledger-entry.json");
    const remote = await runStep(pushStep("dev"), racing);
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain(`ledger: error: origin already holds another entry at ${devRef()} (${before}, this one is `);
    expect(refOf(origin, devRef())).toBe(before);
  });

  it("fetch never overwrites a local entry: it adds the remote's new refs, keeps the local one where the remote holds another, and names it", async () => {
    const runner = await checkout("fetch-conflict");
    const prodRef = `refs/infra/applied/prod/${commit}`;
    expect(refOf(origin, prodRef)).not.toBeNull();
    const local = execFileSync("git", ["hash-object", "-w", "--stdin"], { cwd: runner, input: "a local entry\n" }).toString().trim();
    git(runner, "update-ref", devRef(), local);
    const fetched = await runStep(fetchStep("prod"), runner);
    expect(fetched.code).toBe(1);
    expect(fetched.stderr.trim().split("\n")).toHaveLength(1);
    expect(fetched.stderr.trim()).toBe(
      `ledger: error: origin holds other entries than this checkout at ${devRef()}; the local ones were kept: compare them with \`infra ledger\` (the promotion gate accepts only an entry signed by the environment's key) and remove a local one (git update-ref -d REF) only if it is forged`,
    );
    expect(refOf(runner, devRef())).toBe(local);
    expect(refOf(runner, prodRef)).toBe(refOf(origin, prodRef));
    expect(git(runner, "for-each-ref", "--format=%(refname)", "refs/infra-incoming/")).toBe("");
    // Once the local entry is gone, the remote's is taken, and a second fetch has nothing new.
    git(runner, "update-ref", "-d", devRef());
    const again = await runStep(fetchStep("prod"), runner);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr.trim()).toBe("ledger: 1 new ref(s) from origin");
    expect(refOf(runner, devRef())).toBe(refOf(origin, devRef()));
    expect((await runStep(fetchStep("prod"), runner)).stderr.trim()).toBe("ledger: 0 new ref(s) from origin");
  });

  it("refuses to record what is not the successful apply of this environment at this commit, in one sentence, recording nothing", async () => {
    const runner = await checkout("apply-dev-bad-input");
    const step = pushStep("dev");
    const cases: Array<{ what: string; prepare: () => Promise<void>; run?: string; code: number; message: RegExp }> = [
      {
        what: "a bundle never applied",
        prepare: async () => {
          await applyBundleCopy(devRunner, runner, "dev");
          await rm(path.join(runner, "artifacts", "dev", "receipt.json"));
        },
        code: 1,
        message: /^ledger: error: artifacts\/dev has no receipt\.json, so it was never applied; record only the bundle of a successful apply$/,
      },
      {
        what: "a failed apply",
        prepare: () => applyBundleCopy(devRunner, runner, "dev", (text) => text.replace('"outcome": "applied"', '"outcome": "failed"')),
        code: 1,
        message: /^ledger: error: artifacts\/dev\/receipt\.json records outcome 'failed', not a successful apply; only an applied receipt enters the ledger$/,
      },
      {
        what: "another environment's receipt",
        prepare: () => applyBundleCopy(devRunner, runner, "dev"),
        run: "scripts/ledger.sh push prod artifacts/dev",
        code: 1,
        message: /^ledger: error: artifacts\/dev\/receipt\.json is a receipt of environment 'dev', not prod; pass the bundle of the prod apply$/,
      },
      {
        what: "another commit's receipt",
        prepare: () => applyBundleCopy(devRunner, runner, "dev", (text) => text.replace(`"commit": "${commit}"`, `"commit": "${"0".repeat(40)}"`)),
        code: 1,
        message: new RegExp(`^ledger: error: artifacts/dev/receipt\\.json is a receipt of commit '${"0".repeat(40)}', not of HEAD ${commit}; check out the commit that was applied$`),
      },
      {
        what: "another plan's receipt",
        prepare: () => applyBundleCopy(devRunner, runner, "dev", (text) => text.replace(/"planDigest": "[0-9a-f]+"/, `"planDigest": "${"a".repeat(64)}"`)),
        code: 1,
        message: /^ledger: error: artifacts\/dev\/receipt\.json is not a receipt of the plan in artifacts\/dev\/manifest\.json \(plan digests differ\); never mix files of two bundles$/,
      },
      {
        what: "a bundle without its signed entry",
        prepare: async () => {
          await applyBundleCopy(devRunner, runner, "dev");
          await rm(path.join(runner, "artifacts", "dev", "ledger-entry.json"));
        },
        code: 1,
        message: /^ledger: error: artifacts\/dev has no ledger-entry\.json, the signed entry apply writes; apply with an infra that signs ledger entries$/,
      },
      {
        what: "another commit's entry beside this apply's receipt",
        prepare: () => applyBundleCopy(devRunner, runner, "dev", (text) => text.replace(`\\"commit\\":\\"${commit}\\"`, `\\"commit\\":\\"${"0".repeat(40)}\\"`), "ledger-entry.json"),
        code: 1,
        message: new RegExp(`^ledger: error: artifacts/dev/ledger-entry\\.json is not the entry of this apply \\(its payload lacks \\\\"commit\\\\":\\\\"${commit}\\\\"\\); never mix files of two bundles$`),
      },
      {
        what: "not a bundle",
        prepare: async () => {
          await rm(path.join(runner, "artifacts", "dev"), { recursive: true, force: true });
          await mkdir(path.join(runner, "artifacts", "dev"), { recursive: true });
        },
        code: 1,
        message: /^ledger: error: artifacts\/dev is not a plan bundle \(no manifest\.json\); pass the directory `dagger call apply \.\.\. -o` or `infra apply` wrote$/,
      },
      {
        what: "a receipt that is no JSON infra wrote",
        prepare: () => applyBundleCopy(devRunner, runner, "dev", (text) => JSON.stringify(JSON.parse(text))),
        code: 1,
        message: /^ledger: error: artifacts\/dev\/receipt\.json records outcome 'none', not a successful apply/,
      },
      {
        what: "a receipt that is a symbolic link",
        prepare: async () => {
          await applyBundleCopy(devRunner, runner, "dev");
          const receipt = path.join(runner, "artifacts", "dev", "receipt.json");
          await rename(receipt, path.join(runner, "artifacts", "elsewhere.json"));
          await symlink(path.join(runner, "artifacts", "elsewhere.json"), receipt);
        },
        code: 1,
        message: /^ledger: error: artifacts\/dev\/receipt\.json is a symbolic link, not a receipt infra wrote; pass the bundle `dagger call apply \.\.\. -o` or `infra apply` wrote$/,
      },
      {
        what: "a bundle that is a file",
        prepare: async () => undefined,
        run: "scripts/ledger.sh push dev scripts/ledger.sh",
        code: 1,
        message: /^ledger: error: scripts\/ledger\.sh is not a plan bundle \(no manifest\.json\)/,
      },
      { what: "a missing bundle argument", prepare: async () => undefined, run: "scripts/ledger.sh push dev", code: 2, message: /^ledger: error: push takes an environment and the bundle directory of its apply; usage: / },
      { what: "an environment name that is a path", prepare: async () => undefined, run: "scripts/ledger.sh push ../dev artifacts/dev", code: 2, message: /^ledger: error: '\.\.\/dev' is not an environment name; usage: / },
      ...[".", "..", "", "dev prod", "dev.lock"].map((name) => ({
        what: `the environment name '${name}'`,
        prepare: async () => applyBundleCopy(devRunner, runner, "dev"),
        run: `scripts/ledger.sh push '${name}' artifacts/dev`,
        code: 2,
        message: new RegExp(`^ledger: error: '${name.replace(/\./g, "\\.")}' is not an environment name; usage: `),
      })),
      { what: "no command", prepare: async () => undefined, run: "scripts/ledger.sh", code: 2, message: /^ledger: error: name a command; usage: / },
    ];
    for (const each of cases) {
      await each.prepare();
      const result = await runStep({ ...step, run: each.run ?? step.run! }, runner);
      expect({ what: each.what, code: result.code }).toEqual({ what: each.what, code: each.code });
      expect(result.stderr.trim().split("\n"), each.what).toHaveLength(1);
      expect(result.stderr.trim(), each.what).toMatch(each.message);
      expect(git(runner, "for-each-ref", "--format=%(refname)", "refs/infra/applied/prod/"), each.what).toBe("");
    }
    expect(git(origin, "for-each-ref", "--format=%(refname)", "refs/infra/applied/dev/")).toBe(devRef());
  });

  it("never leaves the token in .git/config or in any output", async () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const text of outputs) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(TOKEN_BASIC);
    }
    for (const runner of ["apply-dev", "apply-prod", "apply-prod-job", "apply-dev-rerun", "apply-dev-conflict"]) {
      const config = await readFile(path.join(path.dirname(origin), runner, ".git", "config"), "utf8");
      expect(config).not.toContain(TOKEN);
      expect(config).not.toContain(TOKEN_BASIC);
      expect(config).not.toContain("extraheader");
    }
  });
});

describe("the ledger steps' authentication", () => {
  /** An HTTP git remote that records each request's headers and answers 404. */
  async function recordingRemote(): Promise<{ url: string; headers: IncomingHttpHeaders[]; close: () => Promise<void> }> {
    const headers: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      headers.push(request.headers);
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, headers, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it("sends the job's token as actions/checkout does, to the GitHub server only, and fails the step in one sentence", async () => {
    const remote = await recordingRemote();
    try {
      const runner = await checkout("apply-dev-http");
      git(runner, "remote", "set-url", "origin", `${remote.url}/example/infra.git`);
      const toServer = await runStep(fetchStep("dev"), runner, { GITHUB_SERVER_URL: remote.url });
      expect(toServer.code).toBe(1);
      expect(toServer.stderr.trim().split("\n").at(-1)).toBe(
        "ledger: error: could not fetch the promotion ledger (refs/infra/*) from origin; check that the job may read the repository",
      );
      expect(remote.headers.map((each) => each.authorization)).toEqual([`basic ${TOKEN_BASIC}`]);
      // Another host than the GitHub server never gets it.
      const elsewhere = await runStep(fetchStep("dev"), runner, { GITHUB_SERVER_URL: "https://github.com" });
      expect(elsewhere.code).toBe(1);
      expect(remote.headers.slice(1).map((each) => each.authorization)).toEqual([undefined]);
      for (const text of [toServer.stdout, toServer.stderr, elsewhere.stdout, elsewhere.stderr]) expect(text).not.toContain(TOKEN_BASIC);
      expect(await readFile(path.join(runner, ".git", "config"), "utf8")).not.toContain(TOKEN_BASIC);
    } finally {
      await remote.close();
    }
  });
});

describe("the workflow's ledger steps and permissions", () => {
  beforeAll(async () => {
    workflow ??= parseYaml(await readFile(path.join(REPO_ROOT, ".github", "workflows", "infra.yml"), "utf8")) as Workflow;
  });

  it("gives contents: write to exactly the jobs that push a ledger ref, and nothing else more than read", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    const pushing = Object.entries(workflow.jobs).filter(([, each]) => each.steps.some(isLedgerPush));
    expect(pushing.map(([name]) => name)).toEqual(["apply-dev", "apply-prod"]);
    for (const [name, each] of Object.entries(workflow.jobs)) {
      const writes = Object.entries(each.permissions ?? {}).filter(([, access]) => access === "write").map(([scope]) => scope);
      const expected = [...(each.steps.some(isLedgerPush) ? ["contents"] : []), ...(name === "check" ? [] : ["id-token"])];
      expect({ name, writes: writes.sort() }).toEqual({ name, writes: expected.sort() });
    }
  });

  it("fetches before every dagger call that gates, pushes only after a successful apply of the job's environment, and hands the token only to those steps", () => {
    for (const [name, each] of Object.entries(workflow.jobs)) {
      const gating = each.steps.findIndex((step) => isDaggerCall(step, "apply") || isDaggerCall(step, "gate"));
      const fetching = each.steps.findIndex(isLedgerFetch);
      const pushing = each.steps.findIndex(isLedgerPush);
      if (gating === -1) {
        expect({ name, fetching, pushing }).toEqual({ name, fetching: -1, pushing: -1 });
        continue;
      }
      expect({ name, fetchesFirst: fetching !== -1 && fetching < gating }).toEqual({ name, fetchesFirst: true });
      if (isDaggerCall(each.steps[gating]!, "apply")) {
        expect(pushing).toBeGreaterThan(gating);
        expect(each.steps[pushing]!.if).toBeUndefined();
        expect(each.steps[pushing]!.run).toBe(`scripts/ledger.sh push ${each.environment} artifacts/${each.environment}`);
        expect(each.steps[gating]!.run).toContain(`-o artifacts/${each.environment}`);
      }
    }
    const tokenSteps = Object.values(workflow.jobs)
      .flatMap((each) => each.steps)
      .filter((step) => JSON.stringify(step).includes("github.token") || JSON.stringify(step).includes("secrets."));
    expect(tokenSteps.every((step) => isLedgerFetch(step) || isLedgerPush(step))).toBe(true);
    for (const step of tokenSteps) expect(step.env).toEqual({ INFRA_LEDGER_TOKEN: "${{ github.token }}" });
  });
});
