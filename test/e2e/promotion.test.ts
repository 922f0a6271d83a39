import { execFileSync } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { appendFile, cp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../src/bundle/manifest.js";
import type { Receipt } from "../../src/bundle/receipt.js";
import { fakeStsEnv, startFakeSts, type FakeSts } from "../fake-sts.js";
import { commitChanges, copyFixture, fixtureWithLedgerKeys, readJson, runInfra, stateAddresses, stateSerial, type RunResult } from "../helpers.js";

const env = { ...process.env, TF_VAR_db_password: "promotion-secret-5521" };

/** A blob in the repository of `root`, and the ref pointed at it, as anyone with push access could write them. */
function writeRef(root: string, ref: string, text: string): string {
  const blob = execFileSync("git", ["hash-object", "-w", "--stdin"], { cwd: root, input: text }).toString().trim();
  execFileSync("git", ["update-ref", ref, blob], { cwd: root });
  return blob;
}

/**
 * The whole promotion path on the sensitive fixture (dev, and prod: promoted from dev,
 * protected), in a git repository of its own, with the real terraform. Each step depends on
 * the one before, as a release does.
 */
describe("promotion from dev to a protected prod", () => {
  let root: string;
  let prodBundle: string;
  let devBundle: string;
  let approve: string;
  let commit: string;
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root }).toString().trim();
  const applyProd = (...extra: string[]) => runInfra(["apply", "--offline", "--env", "prod", "--plan", prodBundle, "--root", root, ...extra], { env });

  /** Exit 1, the gate's name and reason in one line, and nothing applied: prod's state serial and resources as before. */
  async function expectRefused(run: RunResult, gate: string, reason: string): Promise<void> {
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`error: ${gate} gate refused: ${reason}`);
    expect(await stateSerial(path.join(root, "envs", "prod"))).toBe(prodSerialBefore);
    expect(await stateAddresses(path.join(root, "envs", "prod"))).toEqual([]);
  }
  let prodSerialBefore: number | null;

  beforeAll(async () => {
    root = await fixtureWithLedgerKeys();
    commit = git("rev-parse", "HEAD");
    prodSerialBefore = await stateSerial(path.join(root, "envs", "prod"));
    prodBundle = path.join(root, "..", "artifacts", "prod");
    devBundle = path.join(root, "..", "artifacts", "dev");
    const planned = await runInfra(["plan", "--offline", "--env", "prod", "--root", root, "--out", prodBundle, "--quiet"], { env });
    expect(planned.code, planned.stderr).toBe(0);
    approve = (await readJson<Manifest>(path.join(prodBundle, "manifest.json"))).planDigest.slice(0, 12);
  });

  it("refuses prod before the same commit was applied to dev, naming dev and the commit", async () => {
    await expectRefused(await applyProd("--approve", approve), "promotion", `prod is promoted from dev, but commit ${commit.slice(0, 12)} was never applied to dev`);
  });

  it("refuses a hand-written ledger entry of dev, in one sentence, applying nothing", async () => {
    const ref = `refs/infra/applied/dev/${commit}`;
    const receiptLike = JSON.stringify({ env: "dev", commit, outcome: "applied", planDigest: "a".repeat(64), finishedAt: "2025-01-02T04:01:00.000Z", gates: [] });
    writeRef(root, ref, receiptLike);
    await expectRefused(await applyProd("--approve", approve), "promotion", `${ref} does not hold a ledger entry (no format "infra.ledger-entry/1")`);
    const unsigned = JSON.stringify({ format: "infra.ledger-entry/1", payload: JSON.stringify({ format: "infra.ledger-entry/1", env: "dev", region: "eu-central-1", accountId: "111122223333", commit, planDigest: "a".repeat(64), configDigest: null, outcome: "applied", startedAt: "2025-01-02T04:00:00.000Z", finishedAt: "2025-01-02T04:01:00.000Z", terraformVersion: "1.11.4", principal: null, approval: "not-required", breakGlass: false }), algorithm: "ECDSA_SHA_256", keyId: null, signer: null, signature: null });
    writeRef(root, ref, unsigned);
    await expectRefused(await applyProd("--approve", approve), "promotion", `${ref} is unsigned, so nothing proves that dev applied it`);
    const ledger = await runInfra(["ledger", "--env", "dev", "--root", root]);
    expect(ledger.stdout).toContain(`NOT VERIFIED: ${ref} is unsigned`);
    git("update-ref", "-d", ref);
  });

  it("applies dev, signs its entry with dev's key and records it in the ledger", async () => {
    const planned = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", devBundle, "--quiet"], { env });
    expect(planned.code, planned.stderr).toBe(0);
    const applied = await runInfra(["apply", "--offline", "--env", "dev", "--plan", devBundle, "--root", root, "--json", "--quiet"], { env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ ledgerRef: `refs/infra/applied/dev/${commit}` });
    expect(git("cat-file", "blob", `refs/infra/applied/dev/${commit}`) + "\n").toBe(await readFile(path.join(devBundle, "ledger-entry.json"), "utf8"));
    const ledger = await runInfra(["ledger", "--env", "dev", "--root", root]);
    expect(ledger.code, ledger.stderr).toBe(0);
    expect(ledger.stdout).toMatch(new RegExp(`${commit.slice(0, 12)}  \\S+  plan [0-9a-f]{12}  applied  verified: key 1 of envs/dev/ledger-key.pem \\([0-9a-f]{16}\\)`));
  });

  it("refuses dev's entry signed by another key: prod's, and a key made by hand", async () => {
    const ref = `refs/infra/applied/dev/${commit}`;
    const real = git("rev-parse", ref);
    const entry = JSON.parse(git("cat-file", "blob", ref)) as { payload: string; keyId: string };
    try {
      for (const [keyId, privateKey] of [
        ["prodkey", createPrivateKey(await readFile(path.join(root, ".infra", "ledger-keys", "prod.pem"), "utf8"))],
        ["byhand", generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey],
      ] as const) {
        const signature = sign("sha256", Buffer.from(entry.payload), privateKey).toString("base64");
        // Naming dev's key, or its own.
        writeRef(root, ref, JSON.stringify({ ...entry, signature }));
        await expectRefused(
          await applyProd("--approve", approve),
          "promotion",
          `${ref}'s signature does not verify with key ${entry.keyId} of envs/dev/ledger-key.pem, which it names: the entry was altered after signing, or signed by another key`,
        );
        writeRef(root, ref, JSON.stringify({ ...entry, keyId, signer: "a forger", signature }));
        await expectRefused(await applyProd("--approve", approve), "promotion", `${ref} is signed by key ${keyId} (a forger) that envs/dev/ledger-key.pem at HEAD does not hold`);
      }
    } finally {
      git("update-ref", ref, real);
    }
  });

  it("prints every verdict with infra gate, and exits 1 while one refuses", async () => {
    const run = await runInfra(["gate", "--offline", "--env", "prod", "--plan", prodBundle, "--root", root, "--json", "--quiet"], { env });
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as { allowed: boolean; decisions: Array<{ gate: string; allowed: boolean; hint?: string }> };
    expect(result.allowed).toBe(false);
    expect(result.decisions.map(({ gate, allowed }) => `${gate}:${allowed}`)).toEqual([
      "environment:true",
      "read-only:true",
      "integrity:true",
      "encryption:true",
      "terraform-version:true",
      "not-yet-applied:true",
      "identity:true",
      "policy:true",
      "freshness:true",
      "promotion:true",
      "approval:false",
      "destruction:true",
      "signature:true",
    ]);
    const text = await runInfra(["gate", "--offline", "--env", "prod", "--plan", prodBundle, "--root", root, "--quiet"], { env });
    expect(text.stdout).toMatch(/REFUSED {2}approval +prod is protected/);
    expect(text.stdout).toContain("refused: nothing may be applied");
  });

  it("prints the digest to approve in the review", async () => {
    const review = await runInfra(["review", prodBundle]);
    expect(review.stdout).toContain(`plan digest: ${approve} (a protected environment applies it with --approve ${approve})`);
  });

  it("lists a protected destruction in the review, while the gates judge only the plan terraform would execute", async () => {
    // terraform_data stands in for AWS here, so the deletion of a cluster is written into a copy of
    // the plan JSON: the review (of summary.json) shows it; the destruction gate reads the plan to
    // execute, which deletes nothing, and the integrity gate refuses the altered copy.
    const copy = path.join(root, "..", "artifacts", "prod-destroying");
    await cp(prodBundle, copy, { recursive: true });
    const planFile = path.join(copy, "plan.redacted.json");
    const plan = await readJson<{ resource_changes: unknown[] }>(planFile);
    const address = "module.platform.aws_eks_cluster.this";
    plan.resource_changes.push({ address, mode: "managed", type: "aws_eks_cluster", name: "this", change: { actions: ["delete", "create"], before: {}, after: {} } });
    await writeFile(planFile, JSON.stringify(plan));
    const summaryFile = path.join(copy, "summary.json");
    const summary = await readJson<{ resources: unknown[] }>(summaryFile);
    summary.resources.push({ address, module: "module.platform", type: "aws_eks_cluster", mode: "managed", action: "replace", actions: ["delete", "create"], attributes: [] });
    await writeFile(summaryFile, JSON.stringify(summary));
    const review = await runInfra(["review", copy]);
    expect(review.stdout.startsWith(`!! replace ${address} (EKS cluster): apply needs --allow-destroy '${address}'`)).toBe(true);
    expect(review.stdout).toContain("bundle: ALTERED: changed since the plan was made: plan.redacted.json, summary.json");
    const gate = await runInfra(["gate", "--offline", "--env", "prod", "--plan", copy, "--root", root, "--json", "--quiet"], { env });
    type Verdicts = { decisions: Array<{ gate: string; allowed: boolean; reason: string; hint?: string }> };
    expect((JSON.parse(gate.stdout) as Verdicts).decisions.find((decision) => decision.gate === "destruction")).toMatchObject({
      allowed: true,
      reason: "no protected resource is deleted or replaced",
    });
    const applied = await runInfra(["apply", "--offline", "--env", "prod", "--plan", copy, "--root", root, "--approve", approve], { env });
    await expectRefused(applied, "integrity", "the plan bundle was altered: changed since the plan was made: plan.redacted.json, summary.json");
  });

  it("refuses prod without approval", async () => {
    await expectRefused(await applyProd(), "approval", "prod is protected: applying needs --approve <first 12 hex of the plan digest>");
  });

  it("refuses an approval for another digest", async () => {
    const other = approve.startsWith("0") ? "1".repeat(12) : "0".repeat(12);
    await expectRefused(await applyProd("--approve", other), "approval", `--approve ${other} approves another plan: this bundle's plan digest starts ${approve}`);
  });

  it("calls an approval that is no digest a usage error", async () => {
    const run = await applyProd("--approve", "`rm -rf`<b>");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is not the first 12 hex digits of a plan digest");
  });

  it("refuses a plan of uncommitted changes, by the file terraform read, whatever the checkout looks like at apply", async () => {
    const extra = path.join(root, "envs", "prod", "extra.tf");
    await writeFile(extra, "# not committed\n");
    const dirtyBundle = path.join(root, "..", "artifacts", "prod-dirty");
    const planned = await runInfra(["plan", "--offline", "--env", "prod", "--root", root, "--out", dirtyBundle, "--quiet"], { env });
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stderr).toContain("not committed: envs/prod/extra.tf is in the plan but not committed");
    expect(await readJson<Manifest>(path.join(dirtyBundle, "manifest.json"))).toMatchObject({ commit, dirty: true });
    // The reviewed, clean plan is still the commit's, file by file: an uncommitted file beside it changes nothing it executes.
    const gate = await runInfra(["gate", "--offline", "--env", "prod", "--plan", prodBundle, "--root", root, "--approve", approve, "--json", "--quiet"], { env });
    expect((JSON.parse(gate.stdout) as { decisions: Array<{ gate: string; allowed: boolean }> }).decisions).toContainEqual(expect.objectContaining({ gate: "freshness", allowed: true }));
    await rm(extra);
    const dirtyApprove = (await readJson<Manifest>(path.join(dirtyBundle, "manifest.json"))).planDigest.slice(0, 12);
    const run = await runInfra(["apply", "--offline", "--env", "prod", "--plan", dirtyBundle, "--root", root, "--approve", dirtyApprove], { env });
    await expectRefused(run, "freshness", `the plan's configuration is not what commit ${commit.slice(0, 12)} (HEAD) holds: envs/prod/extra.tf is in the plan but not committed`);
  });

  it("refuses a bundle of an older commit, naming the file that changed since", async () => {
    await appendFile(path.join(root, "modules", "database", "main.tf"), "\n# a later change\n");
    const later = commitChanges(root, "a later change");
    await expectRefused(
      await applyProd("--approve", approve),
      "freshness",
      `the plan's configuration is not what commit ${later.slice(0, 12)} (HEAD) holds: modules/database/main.tf in the plan differs from the committed file`,
    );
    git("checkout", "-q", commit);
  });

  it("applies prod when every gate passes, records who approved, and the ledger shows it", async () => {
    const run = await applyProd("--approve", approve, "--json", "--quiet");
    expect(run.code, run.stderr).toBe(0);
    expect(await stateAddresses(path.join(root, "envs", "prod"))).toEqual(["module.database.terraform_data.this"]);
    const receipt = await readJson<Receipt>(path.join(prodBundle, "receipt.json"));
    expect(receipt).toMatchObject({ env: "prod", outcome: "applied", commit, identity: { status: "offline" }, approval: { by: "person", digest: approve }, allowedDestroy: [] });
    expect(receipt.gates.every((gate) => gate.allowed)).toBe(true);
    const ledger = await runInfra(["ledger", "--env", "prod", "--root", root, "--json"]);
    expect(JSON.parse(ledger.stdout)).toMatchObject({
      env: "prod",
      entries: [{ commit, payload: { env: "prod", commit, outcome: "applied", approval: "person" }, verdict: { verified: true, keyFile: "envs/prod/ledger-key.pem" } }],
    });
  });
});

describe("identity against a local STS", () => {
  const ACCOUNT = "111122223333"; // the sensitive fixture's dev account
  const PROD_ACCOUNT = "444455556666";
  let sts: FakeSts;
  let root: string;
  const awsEnv = (accessKeyId: string): NodeJS.ProcessEnv => fakeStsEnv(sts, accessKeyId, env);

  beforeAll(async () => {
    sts = await startFakeSts({
      principals: {
        AKIAPERSON: { account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/alice` },
        AKIAOTHER: { account: PROD_ACCOUNT, arn: `arn:aws:iam::${PROD_ACCOUNT}:user/bob` },
        // What GitHub's OIDC token becomes in a job of the prod deployment environment.
        AKIACIPROD: { account: PROD_ACCOUNT, arn: `arn:aws:sts::${PROD_ACCOUNT}:assumed-role/infra-deploy/gha-4242` },
        AKIABREAKGLASS: { account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/infra-break-glass/alice` },
        // A person on a laptop with a deployer role in the prod account.
        AKIAPRODPERSON: { account: PROD_ACCOUNT, arn: `arn:aws:sts::${PROD_ACCOUNT}:assumed-role/AWSReservedSSO_Deployer_0a1b/mallory` },
      },
    });
    root = await fixtureWithLedgerKeys();
  });
  afterAll(() => sts.close());

  it("plans as infra-deploy, assumed with a session name carrying env and commit", async () => {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root }).toString().trim();
    const out = path.join(root, "..", "artifacts", "dev");
    const run = await runInfra(["plan", "--env", "dev", "--root", root, "--out", out], { env: awsEnv("AKIAPERSON") });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/✔ identity \(STS, account 111122223333\)/);
    expect(sts.requests.map((request) => [request.action, request.accessKeyId])).toEqual([
      ["GetCallerIdentity", "AKIAPERSON"],
      ["AssumeRole", "AKIAPERSON"],
    ]);
    expect(sts.requests[1]?.params).toMatchObject({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/infra-deploy`, RoleSessionName: `infra-dev-${commit.slice(0, 12)}` });
    expect(run.stdout + run.stderr).not.toContain("fake-secret");
  });

  it("refuses to plan or apply with another account's credentials, naming both accounts", async () => {
    const out = path.join(root, "..", "artifacts", "dev");
    const plan = await runInfra(["plan", "--env", "dev", "--root", root, "--out", path.join(root, "..", "other")], { env: awsEnv("AKIAOTHER") });
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain("error: identity gate refused: the AWS credentials belong to account 444455556666 (arn:aws:iam::444455556666:user/bob), but dev is account 111122223333");
    const apply = await runInfra(["apply", "--env", "dev", "--plan", out, "--root", root], { env: awsEnv("AKIAOTHER") });
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain("error: identity gate refused: the AWS credentials belong to account 444455556666");
    expect(await stateAddresses(path.join(root, "envs", "dev"))).toEqual([]);
  });

  it("applies with the assumed credentials and records who terraform ran as", async () => {
    const out = path.join(root, "..", "artifacts", "dev");
    const run = await runInfra(["apply", "--env", "dev", "--plan", out, "--root", root, "--quiet"], { env: awsEnv("AKIAPERSON") });
    expect(run.code, run.stderr).toBe(0);
    const receipt = await readJson<Receipt>(path.join(out, "receipt.json"));
    expect(receipt.identity).toMatchObject({ status: "verified", assumed: true, caller: { account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/alice` } });
    expect(JSON.stringify(receipt)).not.toMatch(/fake-secret|fake-session-token/);
  });

  it("never takes CI variables for an approval: a laptop's non-CI role, or a caller-chosen STS endpoint, is refused in one sentence, applying nothing", async () => {
    const out = path.join(root, "..", "artifacts", "prod");
    const ciVariables = { GITHUB_ACTIONS: "true", GITHUB_RUN_ID: "4242", GITHUB_REPOSITORY: "example/infra", GITHUB_TRIGGERING_ACTOR: "octocat", INFRA_DEPLOYMENT_ENVIRONMENT: "prod" };
    const planned = await runInfra(["plan", "--env", "prod", "--root", root, "--out", out, "--quiet"], { env: awsEnv("AKIAPRODPERSON") });
    expect(planned.code, planned.stderr).toBe(0);
    const outsideEnvironment = await runInfra(["apply", "--env", "prod", "--plan", out, "--root", root], { env: { ...awsEnv("AKIACIPROD"), ...ciVariables, INFRA_DEPLOYMENT_ENVIRONMENT: "dev" } });
    expect(outsideEnvironment.code).toBe(1);
    expect(outsideEnvironment.stderr).toContain('error: approval gate refused: CI run 4242 runs in deployment environment "dev", which cannot approve prod');

    const laptop = await runInfra(["apply", "--env", "prod", "--plan", out, "--root", root], { env: { ...awsEnv("AKIAPRODPERSON"), ...ciVariables } });
    expect(laptop.code).toBe(1);
    expect(laptop.stderr).toContain(
      `error: approval gate refused: a CI approval of prod needs the caller to be prod's infra-deploy reached through GitHub's OIDC, but the credentials are arn:aws:sts::${PROD_ACCOUNT}:assumed-role/AWSReservedSSO_Deployer_0a1b/mallory, from which infra itself assumed infra-deploy\n`,
    );
    const chosenEndpoint = await runInfra(["apply", "--env", "prod", "--plan", out, "--root", root], { env: { ...awsEnv("AKIACIPROD"), ...ciVariables } });
    expect(chosenEndpoint.code).toBe(1);
    expect(chosenEndpoint.stderr).toContain(
      `error: approval gate refused: a CI approval of prod needs the identity answered by AWS's own STS endpoint, but ${sts.endpoint} answered (chosen by AWS_ENDPOINT_URL_STS)\n`,
    );
    expect(await stateAddresses(path.join(root, "envs", "prod"))).toEqual([]);
    expect(await readJson<Receipt | null>(path.join(out, "receipt.json")).catch(() => null)).toBeNull();
  });

  it("still applies a protected environment with a person's --approve, recording who and through which endpoint", async () => {
    const out = path.join(root, "..", "artifacts", "prod");
    const approve = (await readJson<Manifest>(path.join(out, "manifest.json"))).planDigest.slice(0, 12);
    const run = await runInfra(["apply", "--env", "prod", "--plan", out, "--root", root, "--quiet", "--approve", approve], { env: awsEnv("AKIAPRODPERSON") });
    expect(run.code, run.stderr).toBe(0);
    const receipt = await readJson<Receipt>(path.join(out, "receipt.json"));
    expect(receipt.approval).toEqual({ by: "person", digest: approve });
    expect(receipt.identity).toMatchObject({ status: "verified", assumed: true, breakGlass: false, stsEndpoint: { url: sts.endpoint, chosenBy: "caller", via: "AWS_ENDPOINT_URL_STS" } });
  });

  it("says so, and records it in the receipt and the signed ledger entry, when the caller is infra-break-glass", async () => {
    const out = path.join(root, "..", "artifacts", "dev-break-glass");
    const planned = await runInfra(["plan", "--env", "dev", "--root", root, "--out", out, "--quiet"], { env: awsEnv("AKIABREAKGLASS") });
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stderr).toContain(`warning: arn:aws:sts::${ACCOUNT}:assumed-role/infra-break-glass/alice is the break-glass role: this run is recorded as break-glass use`);
    const applied = await runInfra(["apply", "--env", "dev", "--plan", out, "--root", root, "--quiet"], { env: awsEnv("AKIABREAKGLASS") });
    expect(applied.code, applied.stderr).toBe(0);
    expect(await readJson<Receipt>(path.join(out, "receipt.json"))).toMatchObject({ identity: { status: "verified", breakGlass: true } });
    const ledger = await runInfra(["ledger", "--env", "dev", "--root", root, "--json"]);
    expect(JSON.parse(ledger.stdout)).toMatchObject({ entries: [{ payload: { breakGlass: true }, verdict: { verified: true } }] });
  });
});
