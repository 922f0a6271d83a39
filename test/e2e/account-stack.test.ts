import { execFileSync } from "node:child_process";
import { readFile, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../src/bundle/manifest.js";
import type { Receipt } from "../../src/bundle/receipt.js";
import { FIRST_RUN_BACKEND, FIRST_RUN_BACKEND_FILE } from "../../src/first-run-backend.js";
import { fakeStsEnv, startFakeSts, type FakeSts } from "../fake-sts.js";
import { commitChanges, copyFixture, exists, readJson, runInfra, stateAddresses } from "../helpers.js";

/**
 * Account stacks (terraform/bootstrap/<env>, org, log-archive) go through plan, review and the
 * gates like an environment: as the caller, whose account STS verifies (no role of the chain
 * exists yet), with a person's approval of every apply, and on their first run with infra's
 * local backend override - those bytes exactly, and in an account stack only.
 */
const ACCOUNT = "111122223333";
const STACK = "bootstrap/dev";

describe("account stacks through infra's gates", () => {
  let sts: FakeSts;
  let root: string;
  let stackDir: string;
  const asAdministrator = (): NodeJS.ProcessEnv => fakeStsEnv(sts, "AKIAADMIN", process.env);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root }).toString().trim();

  beforeAll(async () => {
    sts = await startFakeSts({
      principals: {
        AKIAADMIN: { account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/OrganizationAccountAccessRole/admin` },
        AKIAOTHER: { account: "444455556666", arn: "arn:aws:sts::444455556666:assumed-role/OrganizationAccountAccessRole/admin" },
        AKIAMANAGEMENT: { account: "999988887777", arn: "arn:aws:sts::999988887777:assumed-role/AWSReservedSSO_AdministratorAccess_5f0c2a9e7d1b3c48/admin" },
      },
    });
    root = await copyFixture("account-stack");
    stackDir = path.join(root, STACK);
    // Linked as the real tree links it; made here because copying a fixture resolves links.
    await symlink("../../envs/dev/environment.tf", path.join(stackDir, "environment.tf"));
    commitChanges(root, "link the dev facts into its bootstrap stack");
  });
  afterAll(() => sts.close());

  const plan = (out: string, env = asAdministrator(), extra: string[] = []) =>
    runInfra(["plan", "--stack", STACK, "--root", root, "--out", path.join(root, "..", out), ...extra], { env });
  const apply = (out: string, extra: string[], env = asAdministrator()) =>
    runInfra(["apply", "--stack", STACK, "--plan", path.join(root, "..", out), "--root", root, ...extra], { env });

  it("plans the first run on the override as the caller, and applies it only with a person's approval, recording no ledger entry", async () => {
    await writeFile(path.join(stackDir, FIRST_RUN_BACKEND_FILE), FIRST_RUN_BACKEND);
    sts.requests.length = 0;
    const planned = await plan("first-run");
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stderr).toContain(`first run of ${STACK}: the state stays in a local file`);
    // Nothing is assumed: the caller's account is what STS answered, and that is the facts' account.
    expect(sts.requests.map((request) => request.action)).toEqual(["GetCallerIdentity"]);
    const manifest = await readJson<Manifest>(path.join(root, "..", "first-run", "manifest.json"));
    expect(manifest).toMatchObject({ env: "dev", stack: STACK, accountId: ACCOUNT, source: { differences: [], firstRunBackend: true } });

    const unapproved = await apply("first-run", []);
    expect(unapproved.code).toBe(1);
    expect(unapproved.stderr).toContain(`approval gate refused: ${STACK} is an account stack: every apply of it needs a person's --approve`);
    expect(await stateAddresses(stackDir)).toEqual([]);

    const applied = await apply("first-run", ["--approve", manifest.planDigest.slice(0, 12)]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`applied ${STACK}`);
    expect(await stateAddresses(stackDir)).toEqual(["terraform_data.deploy_role", "terraform_data.state_bucket"]);
    const receipt = await readJson<Receipt>(path.join(root, "..", "first-run", "receipt.json"));
    expect(receipt).toMatchObject({ env: "dev", stack: STACK, outcome: "applied", approval: { by: "person" } });
    expect(receipt.gates.map((gate) => gate.gate)).not.toContain("promotion");
    expect(receipt.gates.find((gate) => gate.gate === "identity")?.reason).toContain("the caller itself: account stack bootstrap/dev assumes no role");
    expect(git("for-each-ref", "refs/infra")).toBe("");
    // The dev environment's own work dir is untouched: bootstrap/dev has a data dir of its own.
    expect(await exists(path.join(root, ".infra", "env", "dev"))).toBe(false);
  });

  it("accepts the override only byte for byte: one more line in it is an uncommitted change the freshness gate refuses", async () => {
    // An override file may rewrite any resource of the stack: here the role the pipeline will run as.
    await writeFile(path.join(stackDir, FIRST_RUN_BACKEND_FILE), `${FIRST_RUN_BACKEND}resource "terraform_data" "deploy_role" {\n  input = "smuggled"\n}\n`);
    const planned = await plan("altered-override");
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stderr).toContain(`not committed: ${STACK}/${FIRST_RUN_BACKEND_FILE} is in the plan but not committed`);
    const manifest = await readJson<Manifest>(path.join(root, "..", "altered-override", "manifest.json"));
    const refused = await apply("altered-override", ["--approve", manifest.planDigest.slice(0, 12)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`freshness gate refused: the plan's configuration is not what commit`);
    expect(await readFile(path.join(stackDir, "terraform.tfstate"), "utf8")).not.toContain("smuggled");
    await rm(path.join(stackDir, FIRST_RUN_BACKEND_FILE));
  });

  it("never accepts the override in an environment's root: there it is an uncommitted file like any other", async () => {
    const envDir = path.join(root, "envs", "dev");
    await writeFile(path.join(envDir, FIRST_RUN_BACKEND_FILE), FIRST_RUN_BACKEND);
    try {
      const planned = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", path.join(root, "..", "env-override")]);
      expect(planned.code, planned.stderr).toBe(0);
      expect(planned.stderr).toContain(`not committed: envs/dev/${FIRST_RUN_BACKEND_FILE} is in the plan but not committed`);
      const gate = await runInfra(["gate", "--offline", "--env", "dev", "--plan", path.join(root, "..", "env-override"), "--root", root, "--json"]);
      const verdicts = JSON.parse(gate.stdout) as { decisions: Array<{ gate: string; allowed: boolean }> };
      expect(verdicts.decisions.filter((decision) => !decision.allowed).map((decision) => decision.gate)).toEqual(["freshness"]);
    } finally {
      await rm(path.join(envDir, FIRST_RUN_BACKEND_FILE));
    }
  });

  it("refuses --offline, credentials of another account, and a bundle of one root applied as another", async () => {
    await writeFile(path.join(stackDir, FIRST_RUN_BACKEND_FILE), FIRST_RUN_BACKEND);
    try {
      const offline = await plan("offline", process.env, ["--offline"]);
      expect(offline.code).toBe(1);
      expect(offline.stderr).toContain(`but ${STACK} is an account stack: it changes the dev AWS account even while its state is local`);

      const otherAccount = await plan("other-account", fakeStsEnv(sts, "AKIAOTHER", process.env));
      expect(otherAccount.code).toBe(1);
      expect(otherAccount.stderr).toContain(`the AWS credentials belong to account 444455556666`);

      const planned = await plan("swapped");
      expect(planned.code, planned.stderr).toBe(0);
      const bundle = path.join(root, "..", "swapped");
      const asEnvironment = await runInfra(["gate", "--offline", "--env", "dev", "--plan", bundle, "--root", root, "--json"]);
      const refusedAs = (run: { stdout: string }) =>
        (JSON.parse(run.stdout) as { decisions: Array<{ gate: string; allowed: boolean }> }).decisions.filter((decision) => !decision.allowed).map((decision) => decision.gate);
      expect(refusedAs(asEnvironment)).toEqual(expect.arrayContaining(["environment", "freshness"]));

      // Rewriting the manifest's stack moves the environment gate, never the plan: its configuration is still bootstrap/dev's.
      const manifestFile = path.join(bundle, "manifest.json");
      const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as Manifest;
      delete manifest.stack;
      await writeFile(manifestFile, JSON.stringify(manifest, null, 2));
      const forged = await runInfra(["gate", "--offline", "--env", "dev", "--plan", bundle, "--root", root, "--json"]);
      expect(refusedAs(forged)).toContain("freshness");
      expect(refusedAs(forged)).not.toContain("environment");
    } finally {
      await rm(path.join(stackDir, FIRST_RUN_BACKEND_FILE));
    }
  });

  it("plans and applies a stack of the management account as its caller, judged by the organization's rules rather than an environment's region promise", async () => {
    const management = fakeStsEnv(sts, "AKIAMANAGEMENT", process.env);
    const out = path.join(root, "..", "audit");
    const planned = await runInfra(["plan", "--stack", "audit", "--root", root, "--out", out], { env: management });
    expect(planned.code, planned.stderr).toBe(0);
    const manifest = await readJson<Manifest>(path.join(out, "manifest.json"));
    expect(manifest).toMatchObject({ env: "org", stack: "audit", region: "us-east-1", accountId: "999988887777", policy: { status: "passed" } });
    const applied = await runInfra(["apply", "--stack", "audit", "--plan", out, "--root", root, "--approve", manifest.planDigest.slice(0, 12)], { env: management });
    expect(applied.code, applied.stderr).toBe(0);
    expect(await stateAddresses(path.join(root, "audit"))).toEqual(["terraform_data.organization_trail"]);
    // A workload account's credentials are refused for it.
    const asWorkload = await runInfra(["plan", "--stack", "audit", "--root", root, "--out", path.join(root, "..", "audit-2")], { env: asAdministrator() });
    expect(asWorkload.code).toBe(1);
    expect(asWorkload.stderr).toContain(`the AWS credentials belong to account ${ACCOUNT}`);
  });

  it("names the stacks of the tree when --stack names none of them", async () => {
    for (const stack of [".", "..", "", "envs/../bootstrap/dev", "/etc", "modules", "bootstrap"]) {
      const run = await runInfra(["plan", "--stack", stack, "--root", root], { env: asAdministrator() });
      expect(run.code, stack).toBe(stack === "" ? 2 : 1);
      if (stack !== "") expect(run.stderr).toContain(`unknown stack "${stack}"`);
      if (stack !== "") expect(run.stderr).toContain("use one of: audit, bootstrap/dev, envs/dev");
    }
  });
});
