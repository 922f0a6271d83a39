import { describe, expect, it } from "vitest";
import { BundleError, RefusedError } from "../../../src/errors.js";
import {
  defaultApplyGates,
  environmentGate,
  evaluateGates,
  gateRefusal,
  integrityGate,
  notYetAppliedGate,
  terraformVersionGate,
  type ApplyGate,
  type ApplyGateInput,
  type GateDecision,
} from "../../../src/gates/apply-gates.js";
import { input, RECEIPT } from "./gate-input.js";

async function decide(gate: ApplyGate, gateInput: ApplyGateInput): Promise<GateDecision> {
  return gate.decide(gateInput);
}

describe("environmentGate", () => {
  it("allows a bundle made for the same environment, region and account", async () => {
    expect(await decide(environmentGate, input())).toEqual({
      gate: "environment",
      allowed: true,
      reason: "bundle was made for dev (eu-central-1, 123456789012)",
    });
  });

  it("refuses a bundle made for another environment", async () => {
    const decision = await decide(environmentGate, input({ manifest: { env: "prod" } }));
    expect(decision.allowed).toBe(false);
    expect(decision.refusal).toBeInstanceOf(RefusedError);
    expect(decision.reason).toBe("this bundle was made for environment prod, not for dev (eu-central-1, account 123456789012)");
    expect(decision.refusal?.hint).toBe("apply it with --env prod, or make a plan for dev with `infra plan --env dev`");
  });

  it("refuses a bundle made for another region", async () => {
    const decision = await decide(environmentGate, input({ manifest: { region: "us-east-2" } }));
    expect(decision.allowed).toBe(false);
    expect(decision.refusal).toBeInstanceOf(RefusedError);
    expect(decision.reason).toBe("this bundle was made for region us-east-2, not for dev (eu-central-1, account 123456789012)");
  });

  it("refuses a bundle made for another account", async () => {
    const decision = await decide(environmentGate, input({ environment: { accountId: "999999999999" } }));
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toBe("this bundle was made for account 123456789012, not for dev (eu-central-1, account 999999999999)");
  });

  it("names every mismatch at once", async () => {
    const decision = await decide(environmentGate, input({ manifest: { env: "prod", region: "us-east-2", accountId: "210987654321" } }));
    expect(decision.reason).toContain("environment prod, region us-east-2, account 210987654321");
  });
});

describe("integrityGate", () => {
  it("allows a bundle whose files match the manifest", async () => {
    expect(await decide(integrityGate, input())).toEqual({ gate: "integrity", allowed: true, reason: "all 2 files match their sha256; the copy of tfplan to apply is plan 1111" });
  });

  it("refuses a bundle holding a symlink or a directory, by name", async () => {
    const decision = await decide(integrityGate, input({ irregularEntries: [{ name: "receipt.json", kind: "symlink" }] }));
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toBe("the plan bundle was altered: not a regular file: receipt.json is a symbolic link");
  });

  it("refuses a manifest whose planDigest is not the digest it records for tfplan", async () => {
    const decision = await decide(integrityGate, input({ manifest: { planDigest: "2222" }, privatePlanDigest: "2222" }));
    expect(decision.allowed).toBe(false);
    expect(decision.refusal).toBeInstanceOf(BundleError);
    expect(decision.reason).toBe("the plan bundle was altered: the manifest's planDigest 2222 is not the digest it records for tfplan (1111)");
  });

  it("refuses when the private copy of tfplan differs from what the manifest records", async () => {
    const decision = await decide(integrityGate, input({ privatePlanDigest: "9999" }));
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toBe("the plan bundle was altered: tfplan changed while it was being checked");
  });

  it("refuses an altered bundle with a BundleError", async () => {
    const decision = await decide(integrityGate, input({ digestsOnDisk: { tfplan: "9999", "evil.sh": "3333" } }));
    expect(decision.allowed).toBe(false);
    expect(decision.refusal).toBeInstanceOf(BundleError);
    expect(decision.refusal).not.toBeInstanceOf(RefusedError);
    expect(decision.reason).toBe(
      "the plan bundle was altered: changed since the plan was made: tfplan; missing: plan.txt; not part of the plan: evil.sh",
    );
  });
});

describe("terraformVersionGate", () => {
  it("allows the terraform version the plan was made with", async () => {
    const decision = await decide(terraformVersionGate, input());
    expect(decision).toEqual({ gate: "terraform-version", allowed: true, reason: "planned and applied with terraform 1.11.4" });
  });

  it("refuses another terraform version", async () => {
    const decision = await decide(terraformVersionGate, input({ terraformVersion: "1.12.0" }));
    expect(decision.allowed).toBe(false);
    expect(decision.refusal).toBeInstanceOf(RefusedError);
    expect(decision.reason).toBe("the plan was made with terraform 1.11.4, but this is terraform 1.12.0");
  });
});

describe("notYetAppliedGate", () => {
  it("allows a bundle with no receipt", async () => {
    expect((await decide(notYetAppliedGate, input())).allowed).toBe(true);
  });

  it("allows a bundle whose earlier apply failed", async () => {
    expect((await decide(notYetAppliedGate, input({ previousReceipt: { ...RECEIPT, outcome: "failed" } }))).allowed).toBe(true);
  });

  it("refuses a bundle that was already applied", async () => {
    const decision = await decide(notYetAppliedGate, input({ previousReceipt: RECEIPT }));
    expect(decision.allowed).toBe(false);
    expect(decision.refusal).toBeInstanceOf(RefusedError);
    expect(decision.reason).toBe("this bundle was already applied at 2025-01-02T04:01:00.000Z");
  });

  it("refuses a bundle whose apply was started and never recorded", async () => {
    const decision = await decide(notYetAppliedGate, input({ previousReceipt: { ...RECEIPT, outcome: "started" } }));
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toBe("an apply of this bundle started at 2025-01-02T04:00:00.000Z and its outcome was never recorded");
  });
});

describe("gateRefusal", () => {
  it("names the gate and its reason in one line and keeps the gate's hint", async () => {
    const error = gateRefusal(await decide(terraformVersionGate, input({ terraformVersion: "1.12.0" })));
    expect(error).toBeInstanceOf(RefusedError);
    expect(error.message).toBe("terraform-version gate refused: the plan was made with terraform 1.11.4, but this is terraform 1.12.0");
    expect(error.hint).toBe("plan again with the terraform that will apply it");
  });
});

describe("evaluateGates", () => {
  it("returns every default gate's decision, in order, when all allow", async () => {
    const decisions = await evaluateGates(defaultApplyGates, input());
    expect(decisions.map(({ gate, allowed }) => [gate, allowed])).toEqual([
      ["environment", true],
      ["read-only", true],
      ["integrity", true],
      ["encryption", true],
      ["terraform-version", true],
      ["not-yet-applied", true],
      ["identity", true],
      ["policy", true],
      ["freshness", true],
      ["promotion", true],
      ["approval", true],
      ["destruction", true],
      ["signature", true],
    ]);
  });

  it("asks every gate when every verdict is wanted", async () => {
    const decisions = await evaluateGates(defaultApplyGates, input({ digestsOnDisk: {}, terraformVersion: "1.0.0" }), { every: true });
    expect(decisions.filter(({ allowed }) => !allowed).map(({ gate }) => gate)).toEqual(["integrity", "terraform-version"]);
    expect(decisions).toHaveLength(defaultApplyGates.length);
  });

  it("stops at the first refusal", async () => {
    const decisions = await evaluateGates(defaultApplyGates, input({ digestsOnDisk: {}, terraformVersion: "1.0.0" }));
    expect(decisions.map(({ gate, allowed }) => [gate, allowed])).toEqual([
      ["environment", true],
      ["read-only", true],
      ["integrity", false],
    ]);
    expect(decisions[2]?.refusal).toBeInstanceOf(BundleError);
  });

  it("awaits async gates and never asks the gates after a refusal", async () => {
    const asked: string[] = [];
    const gate = (name: string, allowed: boolean): ApplyGate => ({
      name,
      async decide() {
        asked.push(name);
        await new Promise((resolve) => setTimeout(resolve, 1));
        return { gate: name, allowed, reason: name };
      },
    });
    const decisions = await evaluateGates([gate("a", true), gate("b", false), gate("c", true)], input());
    expect(asked).toEqual(["a", "b"]);
    expect(decisions.map((decision) => decision.gate)).toEqual(["a", "b"]);
  });
});

describe("readOnlyGate", () => {
  it("allows a bundle planned to be applied, and refuses a --read-only one by name", async () => {
    const { readOnlyGate } = await import("../../../src/gates/read-only.js");
    expect(await decide(readOnlyGate, input())).toEqual({ gate: "read-only", allowed: true, reason: "planned to be applied (not --read-only)" });
    const refused = gateRefusal(await decide(readOnlyGate, input({ manifest: { readOnly: true } })));
    expect(refused.message).toBe(
      "read-only gate refused: this bundle was planned with --read-only (as the read-only infra-plan role, without the state lock), so it is for review and can never be applied",
    );
  });
});
