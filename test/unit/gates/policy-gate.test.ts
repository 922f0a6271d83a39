import { describe, expect, it } from "vitest";
import { RefusedError } from "../../../src/errors.js";
import { defaultApplyGates, type ApplyGateInput } from "../../../src/gates/apply-gates.js";
import { policyGate } from "../../../src/gates/policy-gate.js";
import type { Manifest } from "../../../src/bundle/manifest.js";

function input(manifest: Partial<Manifest>): ApplyGateInput {
  return { manifest: { findings: [], ...manifest } as Manifest } as ApplyGateInput;
}

describe("policyGate", () => {
  it("is in the default gate list", () => {
    expect(defaultApplyGates).toContain(policyGate);
  });

  it("allows a bundle whose policy passed, naming its waivers", async () => {
    const decision = await policyGate.decide(
      input({ policy: { status: "passed", errors: 0, warnings: 1, waivers: [{ rule: "r", address: "a", reason: "why", expires: "2026-12-31", covered: 1 }] } }),
    );
    expect(decision).toMatchObject({ gate: "policy", allowed: true, reason: "policy passed with 1 warning(s), 1 waiver(s) in force" });
  });

  it("refuses a bundle marked failed, listing the blocking findings", async () => {
    const decision = await policyGate.decide(
      input({
        policy: { status: "failed", errors: 1, warnings: 0, waivers: [] },
        findings: [
          { rule: "eks-public-endpoint", severity: "error", message: "public endpoint on", file: "modules/eks/main.tf", line: 85 },
          { rule: "ecr-force-delete", severity: "error", message: "waived one", waived: { reason: "r", expires: "2026-12-31" } },
        ],
      }),
    );
    expect(decision.allowed).toBe(false);
    expect(decision.refusal).toBeInstanceOf(RefusedError);
    expect(decision.reason).toContain("[eks-public-endpoint] public endpoint on (modules/eks/main.tf line 85)");
    expect(decision.reason).not.toContain("waived one");
  });

  it("refuses a bundle with no policy verdict", async () => {
    const decision = await policyGate.decide(input({}));
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toContain("no policy verdict");
  });
});
