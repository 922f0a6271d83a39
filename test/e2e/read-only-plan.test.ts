import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../src/bundle/manifest.js";
import { fakeStsEnv, startFakeSts, type FakeSts } from "../fake-sts.js";
import { copyFixture, readJson, runInfra } from "../helpers.js";

/**
 * `infra plan --read-only`: a pull request's plan, as the account's infra-plan role, for review
 * only. The manifest says so, and apply refuses such a bundle by name.
 */
const env = { ...process.env, TF_VAR_db_password: "read-only-secret-4410" };
const ACCOUNT = "111122223333"; // the sensitive fixture's dev account

describe("infra plan --read-only", () => {
  let sts: FakeSts;
  let root: string;
  const awsEnv = (accessKeyId: string): NodeJS.ProcessEnv => fakeStsEnv(sts, accessKeyId, env);

  beforeAll(async () => {
    sts = await startFakeSts({
      principals: {
        AKIAPERSON: { account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/alice` },
        // What GitHub's OIDC token of a pull_request job becomes through configure-aws-credentials.
        AKIAPRPLAN: { account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/infra-plan/infra-dev-0123456789ab` },
      },
    });
    root = await copyFixture("sensitive");
  });
  afterAll(() => sts.close());

  it("runs terraform as infra-plan: as is for a pull request's OIDC session, assumed for a person", async () => {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root }).toString().trim();
    const asPr = await runInfra(["plan", "--read-only", "--env", "dev", "--root", root, "--out", path.join(root, "..", "pr")], { env: awsEnv("AKIAPRPLAN") });
    expect(asPr.code, asPr.stderr).toBe(0);
    expect(sts.requests.map((request) => [request.action, request.accessKeyId])).toEqual([["GetCallerIdentity", "AKIAPRPLAN"]]);
    sts.requests.length = 0;
    const asPerson = await runInfra(["plan", "--read-only", "--env", "dev", "--root", root, "--out", path.join(root, "..", "person")], { env: awsEnv("AKIAPERSON") });
    expect(asPerson.code, asPerson.stderr).toBe(0);
    expect(sts.requests.map((request) => request.action)).toEqual(["GetCallerIdentity", "AssumeRole"]);
    expect(sts.requests[1]?.params).toMatchObject({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/infra-plan`, RoleSessionName: `infra-dev-${commit.slice(0, 12)}` });
    // Without --read-only the same pull-request session is not the deployer: infra assumes infra-deploy, which its trust refuses in AWS.
    sts.requests.length = 0;
    await runInfra(["plan", "--env", "dev", "--root", root, "--out", path.join(root, "..", "deploy")], { env: awsEnv("AKIAPRPLAN") });
    expect(sts.requests[1]?.params).toMatchObject({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/infra-deploy` });
  });

  it("records readOnly in the manifest, and apply and gate refuse the bundle by name, applying nothing", async () => {
    const bundle = path.join(root, "..", "read-only");
    const plan = await runInfra(["plan", "--read-only", "--offline", "--env", "dev", "--root", root, "--out", bundle, "--quiet"], { env });
    expect(plan.code, plan.stderr).toBe(0);
    expect((await readJson<Manifest>(path.join(bundle, "manifest.json"))).readOnly).toBe(true);
    const apply = await runInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root, "--quiet"], { env });
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain(
      "error: read-only gate refused: this bundle was planned with --read-only (as the read-only infra-plan role, without the state lock), so it is for review and can never be applied",
    );
    expect(apply.stderr).toContain("plan dev again without --read-only");
    const gate = await runInfra(["gate", "--offline", "--env", "dev", "--plan", bundle, "--root", root, "--json", "--quiet"], { env });
    expect(gate.code).toBe(1);
    const verdicts = JSON.parse(gate.stdout) as { decisions: Array<{ gate: string; allowed: boolean }> };
    expect(verdicts.decisions.filter((decision) => !decision.allowed).map((decision) => decision.gate)).toEqual(["read-only"]);

    const applicable = path.join(root, "..", "applicable");
    expect((await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", applicable, "--quiet"], { env })).code).toBe(0);
    expect(await readJson<Manifest>(path.join(applicable, "manifest.json"))).not.toHaveProperty("readOnly");
    const applied = await runInfra(["apply", "--offline", "--env", "dev", "--plan", applicable, "--root", root, "--quiet"], { env });
    expect(applied.code, applied.stderr).toBe(0);
  });
});
