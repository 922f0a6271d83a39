import { describe, expect, it } from "vitest";
import { runInfra } from "../helpers.js";

describe("infra --help", () => {
  it("lists every command", async () => {
    const run = await runInfra(["--help"]);
    expect(run.code).toBe(0);
    for (const command of ["check", "plan", "gate", "apply", "ledger", "review <target>", "demo", "policy", "lock"]) expect(run.stdout).toContain(`infra ${command}`);
  });

  it.each([
    ["check", ["--env", "--strict", "--root", "--json", "--quiet"]],
    ["plan", ["--env", "--out", "--offline", "--root", "--json", "--quiet"]],
    ["apply", ["--env", "--plan", "--offline", "--approve", "--allow-destroy", "--root", "--json", "--quiet"]],
    ["gate", ["--env", "--plan", "--offline", "--approve", "--allow-destroy", "--root", "--json", "--quiet"]],
    ["ledger", ["--env", "--write-key", "--root", "--json"]],
    ["review", ["--json"]],
    ["demo", ["--json", "--quiet"]],
    ["lock", ["--platform", "--fs-mirror", "--root", "--json", "--quiet"]],
  ])("documents the options of %s", async (command, options) => {
    const run = await runInfra([command, "--help"]);
    expect(run.code).toBe(0);
    for (const option of options) expect(run.stdout).toContain(option);
  });
});

describe("infra demo", () => {
  it("runs check, plan and apply for dev then prod offline", async () => {
    const run = await runInfra(["demo", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      check: { ok: boolean };
      stages: Array<{ env: string; plan: { bundle: string; manifest: { region: string } }; apply: { receipt: { outcome: string; approval: unknown } } }>;
      refused: { env: string; error: string; gates: { allowed: boolean; decisions: Array<{ gate: string; allowed: boolean }> } };
      forged: { ref: string; error: string };
      ledger: Array<{ env: string; payload: { outcome: string }; verdict: { verified: boolean } }>;
    };
    expect(result.check.ok).toBe(true);
    expect(result.stages.map((stage) => [stage.env, stage.plan.manifest.region, stage.apply.receipt.outcome])).toEqual([
      ["dev", "eu-central-1", "applied"],
      ["prod", "us-east-2", "applied"],
    ]);
    expect(result.refused.env).toBe("prod");
    expect(result.refused.error).toMatch(/^approval gate refused: prod is protected/);
    expect(result.refused.gates.allowed).toBe(false);
    expect(result.refused.gates.decisions.filter((decision) => !decision.allowed).map((decision) => decision.gate)).toEqual(["approval"]);
    expect(result.stages[1]?.apply.receipt.approval).toMatchObject({ by: "person" });
    expect(result.forged.error).toMatch(/^promotion gate refused: refs\/infra\/applied\/dev\/[0-9a-f]{40} is signed by key [0-9a-f]{16} \(a key made by hand\) that envs\/dev\/ledger-key\.pem at HEAD does not hold$/);
    expect(result.ledger).toMatchObject([
      { env: "dev", payload: { outcome: "applied" }, verdict: { verified: true } },
      { env: "prod", payload: { outcome: "applied" }, verdict: { verified: true } },
    ]);
    expect(run.stderr).toContain("▶ infra plan --env dev");
    expect(run.stderr).toContain("✔ infra apply --env prod");
  });
});
