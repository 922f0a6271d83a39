import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, cp, mkdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { Manifest } from "../../src/bundle/manifest.js";
import { readPromotionChain } from "../../src/config/chain.js";
import { renderInfraWorkflow } from "../../scripts/workflows.js";
import { commitChanges, copyFixture, exists, readJson, REPO_ROOT, runInfra, tempDir, type RunResult } from "../helpers.js";
import { needsOf, type Job, type Step, type Workflow } from "../workflows/rules.js";

/**
 * The push-to-main chain of .github/workflows/infra.yml, run job by job as GitHub would: `run`
 * steps with bash (the runner's GITHUB_* variables, the job's token, a checkout without persisted
 * credentials), in fresh clones of a repository whose `origin` is a local bare repository, the
 * artifacts passed between jobs through a local store. `dagger call plan|apply` is played by the
 * built CLI in a copy of the checkout, .git included, whose .git is then thrown away - as the
 * engine's is. The fixture has the chain dev -> staging -> prod, like terraform/envs.
 */

// Long enough that its base64 would wrap at 76 columns, as GNU base64 does by default.
const TOKEN = "ghs_ledgerTestToken0123456789abcdefXYZ0123456789abcdefghijklmnop";
const TOKEN_BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");
const PLAN_KEY = randomBytes(32).toString("base64");
const tfEnv = { ...process.env, TF_VAR_db_password: "ledger-secret-7731" };
const ON_MAIN = "github.event_name == 'push' && github.ref == 'refs/heads/main'";

let workflow: Workflow;
const job = (name: string): Job => workflow.jobs[name]!;
const isLedgerPush = (step: Step) => /^scripts\/ledger\.sh push /.test(step.run ?? "");
const isLedgerFetch = (step: Step) => step.run === "scripts/ledger.sh fetch";
const isDaggerCall = (step: Step, fn: string) => (step.run ?? "").startsWith(`dagger call ${fn} `);

/** Everything every step printed, to prove the token never appears in any of it. */
const outputs: string[] = [];

let home: string;
/** The repository of the fixture, before the push: the chain's, and one whose workflow lost staging. */
let fixtureRepo: string;
/** The environments' private ledger keys, made with `infra ledger --write-key` where the repository was made. */
let ledgerKeys: string;

/** One pushed repository: its bare origin, the pushed commit, and the runners' and engine's places. */
interface Remote {
  place: string;
  origin: string;
  commit: string;
  store: string;
}
let main: Remote;

function git(remote: Remote, cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: runnerEnv(remote, cwd) }).toString().trim();
}

function runnerEnv(remote: Remote, workspace: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env["PATH"],
    // A runner's git has no global or system configuration of ours: nothing to lean on.
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_SHA: remote.commit,
    GITHUB_REF: "refs/heads/main",
    GITHUB_REPOSITORY: "example/infra",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_RUN_ID: "4242",
    GITHUB_WORKSPACE: workspace,
    ...extra,
  };
}

/** A step's `env:`, its expressions evaluated as GitHub would for this run. */
function stepEnv(step: Step): Record<string, string> {
  return Object.fromEntries(
    Object.entries(step.env ?? {}).map(([name, value]) => {
      if (value === "${{ github.token }}") return [name, TOKEN];
      if (value === "${{ secrets.INFRA_PLAN_KEY }}") return [name, PLAN_KEY];
      if (value.includes("${{")) throw new Error(`test does not know how to evaluate ${value}`);
      return [name, value];
    }),
  );
}

/** Runs one step's script as GitHub's `bash` shell does, with the step's env. */
async function runStep(remote: Remote, step: Step, workspace: string, extra: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const outputFile = path.join(workspace, "..", `github-output-${Date.now()}`);
  const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], {
    cwd: workspace,
    env: runnerEnv(remote, workspace, { GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: path.join(workspace, "..", "step-summary.md"), ...stepEnv(step), ...extra }),
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

/** Clones the fixture repository into a bare origin, as the push to main left it. */
async function pushed(name: string, edit?: (repo: string) => Promise<void>): Promise<Remote> {
  const place = await tempDir(`ledger-ci-${name}`);
  const origin = path.join(place, "origin.git");
  execFileSync("git", ["clone", "-q", "--bare", fixtureRepo, origin]);
  let commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: fixtureRepo }).toString().trim();
  if (edit) {
    const work = path.join(place, "push");
    execFileSync("git", ["clone", "-q", origin, work]);
    await edit(work);
    commit = commitChanges(work, `${name}: the edit under test`);
    execFileSync("git", ["push", "-q", "origin", "HEAD:main"], { cwd: work });
  }
  const store = path.join(place, "artifact-store");
  await mkdir(store);
  return { place, origin, commit, store };
}

/** What actions/checkout does with persist-credentials: false on a push to main: a shallow fetch of the commit, no credentials kept. */
async function checkout(remote: Remote, name: string): Promise<string> {
  const workspace = path.join(remote.place, name);
  await mkdir(workspace);
  git(remote, workspace, "init", "-q");
  git(remote, workspace, "remote", "add", "origin", `file://${remote.origin}`);
  git(remote, workspace, "fetch", "-q", "--no-tags", "--depth=1", "origin", `+${remote.commit}:refs/remotes/origin/main`);
  git(remote, workspace, "checkout", "-q", "--force", "-B", "main", "refs/remotes/origin/main");
  return workspace;
}

/**
 * The engine's copy of the module source: the checkout with its .git, without artifacts
 * (dagger/src/index.ts ignores them). The fixture's state is local, so its environments sign with
 * local key files; they stand in for the KMS key a real environment's job reaches through its
 * OIDC role, and reach the engine the same way: from outside the checkout.
 */
async function engineCopy(remote: Remote, workspace: string): Promise<string> {
  const engine = path.join(remote.place, "engine", "src");
  await rm(engine, { recursive: true, force: true });
  await cp(workspace, engine, { recursive: true });
  await rm(path.join(engine, "artifacts"), { recursive: true, force: true });
  await cp(ledgerKeys, path.join(engine, "terraform", ".infra", "ledger-keys"), { recursive: true });
  return engine;
}

/** The CLI's environment for a `dagger call`: the plan key only where the call passes it (the module sets INFRA_PLAN_KEY from --plan-key). */
function engineEnv(step: Step): NodeJS.ProcessEnv {
  const passed = / --plan-key env:\/\/INFRA_PLAN_KEY\b/.test(step.run!);
  return passed ? { ...tfEnv, INFRA_PLAN_KEY: stepEnv(step)["INFRA_PLAN_KEY"] } : tfEnv;
}

/** `dagger call plan --env E [--read-only] -o artifacts/E`, the module's `infra plan` in the engine. */
async function planInEngine(remote: Remote, workspace: string, env: string, step: Step): Promise<RunResult> {
  const engine = await engineCopy(remote, workspace);
  const bundle = path.join(engine, "artifacts", env);
  const readOnly = / --read-only\b/.test(step.run!) ? ["--read-only"] : [];
  const run = await runInfra(["plan", "--offline", "--env", env, ...readOnly, "--root", path.join(engine, "terraform"), "--out", bundle, "--quiet"], { cwd: engine, env: engineEnv(step) });
  if (run.code === 0) await cp(bundle, path.join(workspace, "artifacts", env), { recursive: true });
  return run;
}

/**
 * `dagger call apply --env E --plan artifacts/E ... -o artifacts/E`: applies in the engine's copy.
 * A protected environment's CI approval needs credentials STS verified, which an offline stack has
 * not, so its reviewers' approval is given as `--approve` of the planned digest.
 */
async function applyInEngine(remote: Remote, workspace: string, env: string, step: Step, extra: readonly string[] = []): Promise<RunResult & { engineRef: string | null }> {
  const engine = await engineCopy(remote, workspace);
  const bundle = path.join(engine, "artifacts", env);
  await cp(path.join(workspace, "artifacts", env), bundle, { recursive: true });
  const manifest = await readJson<Manifest>(path.join(bundle, "manifest.json"));
  const approve = env === "prod" ? ["--approve", manifest.planDigest.slice(0, 12)] : [];
  const run = await runInfra(["apply", "--offline", "--env", env, "--plan", bundle, "--root", path.join(engine, "terraform"), "--quiet", ...approve, ...extra], { cwd: engine, env: engineEnv(step) });
  if (run.code !== 0) return { ...run, engineRef: null };
  await cp(bundle, path.join(workspace, "artifacts", env), { recursive: true });
  return { ...run, engineRef: refOf(remote, engine, `refs/infra/applied/${env}/${remote.commit}`) };
}

function refOf(remote: Remote, repo: string, ref: string): string | null {
  try {
    return git(remote, repo, "rev-parse", "--verify", "--quiet", ref);
  } catch {
    return null;
  }
}

/** actions/upload-artifact: every path of `with.path`, less its `!` exclusions, into the store. */
async function upload(remote: Remote, step: Step, workspace: string): Promise<RunResult> {
  const paths = String(step.with!["path"]).split("\n").map((line) => line.trim()).filter(Boolean);
  const target = path.join(remote.store, String(step.with!["name"]));
  await rm(target, { recursive: true, force: true });
  for (const entry of paths.filter((each) => !each.startsWith("!"))) {
    if (!(await exists(path.join(workspace, entry)))) return { code: 1, stdout: "", stderr: `no files found at ${entry}` };
    await cp(path.join(workspace, entry), path.join(target, entry), { recursive: true });
  }
  for (const entry of paths.filter((each) => each.startsWith("!"))) await rm(path.join(target, entry.slice(1)), { recursive: true, force: true });
  return { code: 0, stdout: "", stderr: "" };
}

/** actions/download-artifact: the named artifact from the store into `with.path`. */
async function download(remote: Remote, step: Step, workspace: string): Promise<RunResult> {
  const name = String(step.with!["name"]);
  const source = path.join(remote.store, name);
  if (!(await exists(source))) return { code: 1, stdout: "", stderr: `Artifact not found for name: ${name}` };
  // upload-artifact stores paths relative to their common root, so the bundle's files come back under with.path.
  const files = path.join(source, String(step.with!["path"]));
  await cp(files, path.join(workspace, String(step.with!["path"])), { recursive: true });
  return { code: 0, stdout: "", stderr: "" };
}

interface JobRun {
  workspace: string;
  results: Array<{ step: string; result: RunResult }>;
  engineRef: string | null;
  failed: { step: string; result: RunResult } | null;
}

/**
 * Runs a job's steps in order in a fresh checkout: `run` steps with bash, `dagger call plan|apply`
 * in the engine, artifacts through the store; the AWS and Dagger setup actions are not needed
 * offline. Stops at the first failing step, as a job does.
 */
async function runJob(remote: Remote, name: string, options: { skip?: (step: Step) => boolean; applyFlags?: string[]; workflow?: Workflow } = {}): Promise<JobRun> {
  const definition = (options.workflow ?? workflow).jobs[name]!;
  const env = typeof definition.environment === "string" ? definition.environment : name.replace(/^[a-z]+-/, "");
  const workspace = await checkout(remote, `${name}-${randomBytes(3).toString("hex")}`);
  const results: JobRun["results"] = [];
  let engineRef: string | null = null;
  for (const step of definition.steps) {
    if (options.skip?.(step)) continue;
    let result: RunResult;
    const uses = step.uses ?? "";
    if (uses.startsWith("actions/checkout@") || uses.startsWith("aws-actions/configure-aws-credentials@") || uses.startsWith("dagger/dagger-for-github@")) continue;
    else if (uses.startsWith("actions/upload-artifact@")) result = await upload(remote, step, workspace);
    else if (uses.startsWith("actions/download-artifact@")) result = await download(remote, step, workspace);
    else if (uses !== "") throw new Error(`test does not know the action ${uses}`);
    else if (isDaggerCall(step, "plan")) result = await planInEngine(remote, workspace, env, step);
    else if (isDaggerCall(step, "apply")) {
      const applied = await applyInEngine(remote, workspace, env, step, options.applyFlags);
      engineRef = applied.engineRef;
      result = applied;
    } else if (step.run === "dagger check") continue;
    else result = await runStep(remote, step, workspace);
    results.push({ step: step.name ?? step.id ?? step.uses ?? step.run!, result });
    if (result.code !== 0) break;
  }
  return { workspace, results, engineRef, failed: results.find(({ result }) => result.code !== 0) ?? null };
}

/** The jobs a push to main runs, each after every job it needs, in the file's order where free. */
function pushJobs(of: Workflow): string[] {
  const runsOnPush = Object.entries(of.jobs).filter(([, each]) => each.if === undefined || each.if === ON_MAIN).map(([name]) => name);
  const ordered: string[] = [];
  while (ordered.length < runsOnPush.length) {
    const next = runsOnPush.find((name) => !ordered.includes(name) && needsOf(of.jobs[name]!).every((parent) => ordered.includes(parent)));
    if (next === undefined) throw new Error("the workflow's needs form a cycle");
    ordered.push(next);
  }
  return ordered;
}

/** Runs a push to main's jobs in order; a failed job skips every job that needs it, as GitHub does. */
async function runPush(remote: Remote, of: Workflow): Promise<Map<string, JobRun | "skipped">> {
  const runs = new Map<string, JobRun | "skipped">();
  for (const name of pushJobs(of)) {
    const blocked = needsOf(of.jobs[name]!).some((parent) => runs.get(parent) === "skipped" || (runs.get(parent) as JobRun).failed !== null);
    runs.set(name, blocked ? "skipped" : await runJob(remote, name, { workflow: of }));
  }
  return runs;
}

async function applyBundleCopy(from: string, to: string, env: string, edit?: (text: string) => string, name = "receipt.json"): Promise<void> {
  await rm(path.join(to, "artifacts", env), { recursive: true, force: true });
  await cp(path.join(from, "artifacts", env), path.join(to, "artifacts", env), { recursive: true });
  if (edit) {
    const file = path.join(to, "artifacts", env, name);
    await writeFile(file, edit(await readFile(file, "utf8")));
  }
}

const pushStep = (env: string): Step => job(`ledger-${env}`).steps.find(isLedgerPush)!;
const fetchStep = (env: string): Step => job(`apply-${env}`).steps.find(isLedgerFetch)!;
const devRef = () => `refs/infra/applied/dev/${main.commit}`;

beforeAll(async () => {
  workflow = parseYaml(await readFile(path.join(REPO_ROOT, ".github", "workflows", "infra.yml"), "utf8")) as Workflow;
  const root = await copyFixture("sensitive");
  fixtureRepo = path.dirname(root);
  // The chain of terraform/envs: dev -> staging -> prod.
  await cp(path.join(root, "envs", "dev"), path.join(root, "envs", "staging"), { recursive: true });
  const facts = (file: string) => readFile(file, "utf8");
  const stagingFacts = path.join(root, "envs", "staging", "environment.tf");
  await writeFile(stagingFacts, (await facts(stagingFacts)).replace('"dev"', '"staging"').replace(/account_id\s+= "\d+"/, 'account_id    = "777788889999"').replace("promoted_from = null", 'promoted_from = "dev"'));
  const prodFacts = path.join(root, "envs", "prod", "environment.tf");
  await writeFile(prodFacts, (await facts(prodFacts)).replace('promoted_from = "dev"', 'promoted_from = "staging"'));
  // The repository as it is: the terraform tree and the script the workflow runs.
  await mkdir(path.join(fixtureRepo, "scripts"));
  await cp(path.join(REPO_ROOT, "scripts", "ledger.sh"), path.join(fixtureRepo, "scripts", "ledger.sh"));
  await chmod(path.join(fixtureRepo, "scripts", "ledger.sh"), 0o755);
  // Every environment's ledger key: the public halves are committed, the private ones stay in .infra/ (ignored).
  for (const env of ["dev", "staging", "prod"]) {
    const key = await runInfra(["ledger", "--env", env, "--write-key", "--root", root]);
    expect(key.code, key.stderr).toBe(0);
  }
  ledgerKeys = path.join(root, ".infra", "ledger-keys");
  commitChanges(fixtureRepo, "the chain dev -> staging -> prod, the workflow's ledger script, and the environments' public ledger keys");
  for (const env of ["dev", "staging", "prod"]) {
    expect(execFileSync("git", ["ls-files", `terraform/envs/${env}/ledger-key.pem`], { cwd: fixtureRepo }).toString().trim()).toBe(`terraform/envs/${env}/ledger-key.pem`);
  }
  expect(execFileSync("git", ["ls-files", "terraform/.infra"], { cwd: fixtureRepo }).toString().trim()).toBe("");
  home = await tempDir("ledger-ci-home");
  main = await pushed("main");
});

describe("a push to main runs the chain dev -> staging -> prod", () => {
  let runs: Map<string, JobRun | "skipped">;
  const ran = (name: string): JobRun => {
    const run = runs.get(name);
    if (run === undefined || run === "skipped") throw new Error(`${name} did not run`);
    return run;
  };

  it("the fixture's chain is the repository's, so the committed workflow is the one it generates", async () => {
    const chain = await readPromotionChain(path.join(fixtureRepo, "terraform"));
    expect(chain.map((env) => env.name)).toEqual(["dev", "staging", "prod"]);
    const generated = parseYaml(renderInfraWorkflow(chain)) as Workflow;
    expect(Object.keys(generated.jobs)).toEqual(Object.keys(workflow.jobs));
    const commands = (of: Workflow) => Object.values(of.jobs).flatMap((each) => each.steps.map((step) => step.run ?? step.uses ?? ""));
    expect(commands(generated)).toEqual(commands(workflow));
  });

  it("plans, applies and records every environment in order, each apply of the same commit, every job green", async () => {
    runs = await runPush(main, workflow);
    expect(pushJobs(workflow)).toEqual(["check", "plan-dev", "apply-dev", "ledger-dev", "plan-staging", "apply-staging", "ledger-staging", "plan-prod", "apply-prod", "ledger-prod"]);
    for (const [name, run] of runs) expect({ name, failed: run === "skipped" ? "skipped" : run.failed }).toEqual({ name, failed: null });
    for (const env of ["dev", "staging", "prod"]) {
      const ref = `refs/infra/applied/${env}/${main.commit}`;
      const pushedRef = refOf(main, main.origin, ref);
      // Content-addressed: the ledger job wrote the very blob the engine's apply wrote and threw away.
      expect({ env, pushedRef }).toEqual({ env, pushedRef: ran(`apply-${env}`).engineRef });
      const blob = git(main, main.origin, "cat-file", "blob", ref);
      const entry = JSON.parse(blob) as { format: string; payload: string; keyId: string | null; signature: string | null };
      expect({ env, format: entry.format, signed: typeof entry.signature === "string" && typeof entry.keyId === "string" }).toEqual({ env, format: "infra.ledger-entry/1", signed: true });
      expect(JSON.parse(entry.payload)).toMatchObject({ env, commit: main.commit, outcome: "applied" });
      // The signed entry the apply returned in its bundle, byte for byte, is what the ledger job pushed.
      expect(await readFile(path.join(ran(`apply-${env}`).workspace, "artifacts", env, "ledger-entry.json"), "utf8")).toBe(blob + "\n");
      expect(await readFile(path.join(ran(`ledger-${env}`).workspace, "artifacts", env, "ledger-entry.json"), "utf8")).toBe(blob + "\n");
      expect(ran(`ledger-${env}`).results.map(({ step }) => step)).toEqual(["actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093", `Push the ledger entry of ${env}`]);
    }
    expect(git(main, main.origin, "for-each-ref", "--format=%(refname)", "refs/infra/").split("\n").sort()).toEqual(
      ["dev", "prod", "staging"].map((env) => `refs/infra/applied/${env}/${main.commit}`),
    );
  });

  it("passes tfplan between jobs only encrypted, and never uploads the spent one", async () => {
    for (const env of ["dev", "staging", "prod"]) {
      const planned = await readJson<Manifest>(path.join(main.store, `plan-${env}`, "artifacts", env, "manifest.json"));
      expect(planned.planEncryption, env).toBeDefined();
      expect(await exists(path.join(main.store, `plan-${env}`, "artifacts", env, "tfplan"))).toBe(true);
      expect(await exists(path.join(main.store, `applied-${env}`, "artifacts", env, "receipt.json"))).toBe(true);
      expect(await exists(path.join(main.store, `applied-${env}`, "artifacts", env, "tfplan"))).toBe(false);
    }
  });

  it("a workflow that skips staging cannot reach prod: its promotion gate refuses and nothing of prod is recorded", async () => {
    const remote = await pushed("no-staging");
    const chain = (await readPromotionChain(path.join(fixtureRepo, "terraform"))).filter((env) => env.name !== "staging").map((env) => (env.name === "prod" ? { ...env, promotedFrom: "dev" } : env));
    const skipping = parseYaml(renderInfraWorkflow(chain)) as Workflow;
    const result = await runPush(remote, skipping);
    const applyProd = result.get("apply-prod") as JobRun;
    expect(applyProd.failed?.step).toBe("dagger call apply --env prod");
    expect(applyProd.failed?.result.stderr).toContain(`error: promotion gate refused: prod is promoted from staging, but commit ${remote.commit.slice(0, 12)} was never applied to staging`);
    expect(result.get("ledger-prod")).toBe("skipped");
    expect(refOf(remote, remote.origin, `refs/infra/applied/prod/${remote.commit}`)).toBeNull();
    expect(refOf(remote, remote.origin, `refs/infra/applied/dev/${remote.commit}`)).not.toBeNull();
  });

  it("without the fetch, an apply's promotion gate refuses in the engine, and the job uploads nothing to record", async () => {
    const { failed, results } = await runJob(main, "apply-staging", { skip: isLedgerFetch });
    expect(failed?.step).toBe("dagger call apply --env staging");
    expect(failed?.result.stderr).toContain(`error: promotion gate refused: staging is promoted from dev, but commit ${main.commit.slice(0, 12)} was never applied to dev`);
    expect(results.some(({ step }) => step.startsWith("actions/upload-artifact"))).toBe(false);
  });

  it("a fresh clone running the fetch step sees the ledger: infra ledger lists every environment's verified entry, and prod's promotion gate passes", async () => {
    const runner = await checkout(main, "ledger-listing");
    const fetched = await runStep(main, fetchStep("prod"), runner);
    expect(fetched.code, fetched.stderr).toBe(0);
    for (const env of ["dev", "staging", "prod"]) {
      const ledger = await runInfra(["ledger", "--env", env, "--root", path.join(runner, "terraform"), "--json"], { cwd: runner });
      expect(ledger.code, ledger.stderr).toBe(0);
      expect(JSON.parse(ledger.stdout)).toMatchObject({ env, entries: [{ commit: main.commit, payload: { env, commit: main.commit, outcome: "applied" }, verdict: { verified: true } }] });
    }
    const planProd = job("plan-prod").steps.find((step) => isDaggerCall(step, "plan"))!;
    const planned = await planInEngine(main, runner, "prod", planProd);
    expect(planned.code, planned.stderr).toBe(0);
    const approve = (await readJson<Manifest>(path.join(runner, "artifacts", "prod", "manifest.json"))).planDigest.slice(0, 12);
    const gate = await runInfra(
      ["gate", "--offline", "--env", "prod", "--plan", path.join(runner, "artifacts", "prod"), "--root", path.join(runner, "terraform"), "--approve", approve, "--json", "--quiet"],
      { cwd: runner, env: engineEnv(planProd) },
    );
    expect(gate.code, gate.stderr).toBe(0);
    const verdicts = JSON.parse(gate.stdout) as { allowed: boolean; decisions: Array<{ gate: string; allowed: boolean; reason: string }> };
    expect(verdicts.decisions.find((decision) => decision.gate === "promotion")).toMatchObject({ allowed: true, reason: expect.stringContaining("was applied to staging at") });
    expect(verdicts.allowed).toBe(true);
  });

  it("fetch never overwrites a local entry: it adds the remote's new refs, keeps the local one where the remote holds another, and names it", async () => {
    const runner = await checkout(main, "fetch-conflict");
    const otherRefs = ["staging", "prod"].map((env) => `refs/infra/applied/${env}/${main.commit}`);
    for (const ref of otherRefs) expect(refOf(main, main.origin, ref)).not.toBeNull();
    const local = execFileSync("git", ["hash-object", "-w", "--stdin"], { cwd: runner, input: "a local entry\n" }).toString().trim();
    git(main, runner, "update-ref", devRef(), local);
    const fetched = await runStep(main, fetchStep("prod"), runner);
    expect(fetched.code).toBe(1);
    expect(fetched.stderr.trim().split("\n")).toHaveLength(1);
    expect(fetched.stderr.trim()).toBe(
      `ledger: error: origin holds other entries than this checkout at ${devRef()}; the local ones were kept: compare them with \`infra ledger\` (the promotion gate accepts only an entry signed by the environment's key) and remove a local one (git update-ref -d REF) only if it is forged`,
    );
    expect(refOf(main, runner, devRef())).toBe(local);
    for (const ref of otherRefs) expect({ ref, local: refOf(main, runner, ref) }).toEqual({ ref, local: refOf(main, main.origin, ref) });
    expect(git(main, runner, "for-each-ref", "--format=%(refname)", "refs/infra-incoming/")).toBe("");
    // Once the local entry is gone, the remote's is taken, and a second fetch has nothing new.
    git(main, runner, "update-ref", "-d", devRef());
    const again = await runStep(main, fetchStep("prod"), runner);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr.trim()).toBe("ledger: 1 new ref(s) from origin");
    expect(refOf(main, runner, devRef())).toBe(refOf(main, main.origin, devRef()));
    expect((await runStep(main, fetchStep("prod"), runner)).stderr.trim()).toBe("ledger: 0 new ref(s) from origin");
  });
});

describe("the ledger job records only what it must", () => {
  let devRunner: string;

  beforeAll(async () => {
    // The ledger job's workspace: a checkout with the applied bundle of dev downloaded.
    devRunner = await checkout(main, "ledger-dev-again");
    const downloaded = await download(main, job("ledger-dev").steps.find((step) => step.uses?.startsWith("actions/download-artifact@"))!, devRunner);
    expect(downloaded.code, downloaded.stderr).toBe(0);
  });

  it("a re-run that pushes the same receipt succeeds, from the same runner and from a fresh clone", async () => {
    const before = refOf(main, main.origin, devRef());
    expect(before).not.toBeNull();
    const again = await runStep(main, pushStep("dev"), devRunner);
    expect(again.code, again.stderr).toBe(0);
    const rerun = await checkout(main, "apply-dev-rerun");
    await applyBundleCopy(devRunner, rerun, "dev");
    for (const step of [fetchStep("dev"), pushStep("dev")]) {
      const result = await runStep(main, step, rerun);
      expect(result.code, result.stderr).toBe(0);
    }
    const unfetched = await checkout(main, "apply-dev-rerun-unfetched");
    await applyBundleCopy(devRunner, unfetched, "dev");
    const pushedAgain = await runStep(main, pushStep("dev"), unfetched);
    expect(pushedAgain.code, pushedAgain.stderr).toBe(0);
    expect(refOf(main, main.origin, devRef())).toBe(before);
  });

  it("a different entry for a commit already in the ledger fails loudly and overwrites nothing, whether fetched or found at the push", async () => {
    const before = refOf(main, main.origin, devRef());
    const otherEntry = (text: string) => text.replace(/"signature": "[^"]+"/, '"signature": null');
    expect(otherEntry(await readFile(path.join(devRunner, "artifacts", "dev", "ledger-entry.json"), "utf8"))).toContain('"signature": null');

    const fetched = await checkout(main, "apply-dev-conflict");
    await applyBundleCopy(devRunner, fetched, "dev", otherEntry, "ledger-entry.json");
    expect((await runStep(main, fetchStep("dev"), fetched)).code).toBe(0);
    const local = await runStep(main, pushStep("dev"), fetched);
    expect(local.code).toBe(1);
    expect(local.stderr.trim()).toMatch(new RegExp(`^ledger: error: ${devRef()} already holds another entry \\(${before}, this one is [0-9a-f]{40}\\): dev was recorded as applied at this commit before, and the ledger keeps that first entry; nothing was pushed$`));

    const racing = await checkout(main, "apply-dev-conflict-unfetched");
    await applyBundleCopy(devRunner, racing, "dev", otherEntry, "ledger-entry.json");
    const remote = await runStep(main, pushStep("dev"), racing);
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain(`ledger: error: origin already holds another entry at ${devRef()} (${before}, this one is `);
    expect(refOf(main, main.origin, devRef())).toBe(before);
  });

  it("refuses to record what is not the successful apply of this environment at this commit, in one sentence, recording nothing", async () => {
    const runner = await checkout(main, "apply-dev-bad-input");
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
        prepare: () => applyBundleCopy(devRunner, runner, "dev", (text) => text.replace(`"commit": "${main.commit}"`, `"commit": "${"0".repeat(40)}"`)),
        code: 1,
        message: new RegExp(`^ledger: error: artifacts/dev/receipt\\.json is a receipt of commit '${"0".repeat(40)}', not of HEAD ${main.commit}; check out the commit that was applied$`),
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
        prepare: () => applyBundleCopy(devRunner, runner, "dev", (text) => text.replace(`\\"commit\\":\\"${main.commit}\\"`, `\\"commit\\":\\"${"0".repeat(40)}\\"`), "ledger-entry.json"),
        code: 1,
        message: new RegExp(`^ledger: error: artifacts/dev/ledger-entry\\.json is not the entry of this apply \\(its payload lacks \\\\"commit\\\\":\\\\"${main.commit}\\\\"\\); never mix files of two bundles$`),
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
      const result = await runStep(main, { ...step, run: each.run ?? step.run! }, runner);
      expect({ what: each.what, code: result.code }).toEqual({ what: each.what, code: each.code });
      expect(result.stderr.trim().split("\n"), each.what).toHaveLength(1);
      expect(result.stderr.trim(), each.what).toMatch(each.message);
      expect(git(main, runner, "for-each-ref", "--format=%(refname)", "refs/infra/applied/prod/"), each.what).toBe("");
    }
    expect(git(main, main.origin, "for-each-ref", "--format=%(refname)", "refs/infra/applied/dev/")).toBe(devRef());
  });

  it("never leaves the token in .git/config or in any output", async () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const text of outputs) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(TOKEN_BASIC);
    }
    for (const runner of ["ledger-listing", "fetch-conflict", "ledger-dev-again", "apply-dev-rerun", "apply-dev-conflict", "apply-dev-conflict-unfetched"]) {
      const config = await readFile(path.join(main.place, runner, ".git", "config"), "utf8");
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
      const runner = await checkout(main, "apply-dev-http");
      git(main, runner, "remote", "set-url", "origin", `${remote.url}/example/infra.git`);
      const toServer = await runStep(main, fetchStep("dev"), runner, { GITHUB_SERVER_URL: remote.url });
      expect(toServer.code).toBe(1);
      expect(toServer.stderr.trim().split("\n").at(-1)).toBe(
        "ledger: error: could not fetch the promotion ledger (refs/infra/*) from origin; check that the job may read the repository",
      );
      expect(remote.headers.map((each) => each.authorization)).toEqual([`basic ${TOKEN_BASIC}`]);
      // Another host than the GitHub server never gets it.
      const elsewhere = await runStep(main, fetchStep("dev"), runner, { GITHUB_SERVER_URL: "https://github.com" });
      expect(elsewhere.code).toBe(1);
      expect(remote.headers.slice(1).map((each) => each.authorization)).toEqual([undefined]);
      for (const text of [toServer.stdout, toServer.stderr, elsewhere.stdout, elsewhere.stderr]) expect(text).not.toContain(TOKEN_BASIC);
      expect(await readFile(path.join(runner, ".git", "config"), "utf8")).not.toContain(TOKEN_BASIC);
    } finally {
      await remote.close();
    }
  });
});

describe("the workflow's ledger steps", () => {
  it("fetch before every dagger call that gates, push only in the ledger job of the applied environment, and hand the token only to those steps", () => {
    for (const [name, each] of Object.entries(workflow.jobs)) {
      const gating = each.steps.findIndex((step) => isDaggerCall(step, "apply") || isDaggerCall(step, "gate"));
      const fetching = each.steps.findIndex(isLedgerFetch);
      if (gating === -1) expect({ name, fetching }).toEqual({ name, fetching: -1 });
      else expect({ name, fetchesFirst: fetching !== -1 && fetching < gating }).toEqual({ name, fetchesFirst: true });
      const pushing = each.steps.filter(isLedgerPush);
      if (name.startsWith("ledger-")) {
        const env = name.slice("ledger-".length);
        expect(pushing.map((step) => step.run)).toEqual([`scripts/ledger.sh push ${env} artifacts/${env}`]);
        expect(each.steps.find((step) => step.uses?.startsWith("actions/download-artifact@"))!.with).toEqual({ name: `applied-${env}`, path: `artifacts/${env}/` });
      } else expect({ name, pushing }).toEqual({ name, pushing: [] });
    }
    const tokenSteps = Object.values(workflow.jobs)
      .flatMap((each) => each.steps)
      .filter((step) => JSON.stringify(step).includes("github.token"));
    expect(tokenSteps.length).toBeGreaterThan(0);
    // Besides the ledger, only the pull request's plan comment gets the token, as GITHUB_TOKEN.
    const isPlanComment = (step: Step) => /^npx tsx scripts\/pr-comment\.ts /.test(step.run ?? "");
    expect(tokenSteps.filter((step) => !isLedgerFetch(step) && !isLedgerPush(step) && !isPlanComment(step))).toEqual([]);
    for (const step of tokenSteps.filter((each) => isLedgerFetch(each) || isLedgerPush(each))) expect(step.env).toEqual({ INFRA_LEDGER_TOKEN: "${{ github.token }}" });
    for (const step of tokenSteps.filter(isPlanComment)) expect(step.env?.["GITHUB_TOKEN"]).toBe("${{ github.token }}");
  });
});
