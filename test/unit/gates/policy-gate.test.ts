import { describe, expect, it } from "vitest";
import { RefusedError } from "../../../src/errors.js";
import { defaultApplyGates } from "../../../src/gates/apply-gates.js";
import { policyGate } from "../../../src/gates/policy-gate.js";
import { input } from "./gate-input.js";

describe("policyGate", () => {
  it("is in the default gate list", () => {
    expect(defaultApplyGates).toContain(policyGate);
  });

  it("allows a plan whose policy passes, naming its waivers", async () => {
    const waivers = [{ rule: "r", address: "a", reason: "why", expires: "2026-12-31", covered: 1 }];
    const decision = await policyGate.decide(input({ policy: { status: "passed", errors: 0, warnings: 1, waivers, findings: [] } }));
    expect(decision).toMatchObject({ gate: "policy", allowed: true, reason: "the plan to apply passes policy with 1 warning(s), 1 waiver(s) in force" });
  });

  it("refuses a plan whose policy fails, listing the blocking findings, whatever the manifest says", async () => {
    const findings = [
      { rule: "eks-public-endpoint", severity: "error" as const, message: "public endpoint on", address: "aws_eks_cluster.this" },
      { rule: "ecr-force-delete", severity: "error" as const, message: "waived one", waived: { reason: "r", expires: "2026-12-31" } },
    ];
    const decision = await policyGate.decide(
      input({ manifest: { policy: { status: "passed", errors: 0, warnings: 0, waivers: [] }, findings: [] }, policy: { status: "failed", errors: 1, warnings: 0, waivers: [], findings } }),
    );
    expect(decision.allowed).toBe(false);
    expect(decision.refusal).toBeInstanceOf(RefusedError);
    expect(decision.reason).toContain("[eks-public-endpoint] public endpoint on");
    expect(decision.reason).not.toContain("waived one");
  });

  it("refuses when the plan could not be evaluated, saying why", async () => {
    const decision = await policyGate.decide(input({ policy: { unavailable: "not evaluated: terraform does not run as an identity the identity gate refused" } }));
    expect(decision).toMatchObject({ allowed: false, reason: "policy not evaluated: terraform does not run as an identity the identity gate refused" });
  });
});
