import { describe, expect, it } from "vitest";
import type { Environment } from "../../../src/config/environment.js";
import { BundleError, RefusedError } from "../../../src/errors.js";
import {
  defaultApplyGates,
  environmentGate,
  evaluateGates,
  integrityGate,
  notYetAppliedGate,
  terraformVersionGate,
  type ApplyGate,
  type ApplyGateInput,
  type GateDecision,
} from "../../../src/gates/apply-gates.js";
import { MANIFEST_SCHEMA_VERSION, type Manifest } from "../../../src/bundle/manifest.js";
import type { Receipt } from "../../../src/bundle/receipt.js";

const FILES = { tfplan: "1111", "plan.txt": "2222" };

const ENVIRONMENT: Environment = {
  name: "dev",
  root: "/repo/terraform",
  dir: "/repo/terraform/envs/dev",
  factsFile: "/repo/terraform/envs/dev/environment.tf",
  region: "eu-central-1",
  accountId: "123456789012",
  promotedFrom: null,
  protected: false,
  maxPlanAgeMs: 86_400_000,
  backend: null,
  files: [],
};

const MANIFEST: Manifest = {
  schemaVersion: MANIFEST_SCHEMA_VERSION,
  env: "dev",
  region: "eu-central-1",
  accountId: "123456789012",
  commit: "0123456789abcdef0123456789abcdef01234567",
  dirty: false,
  createdAt: "2025-01-02T03:04:05.000Z",
  terraformVersion: "1.11.4",
  toolchain: { infra: "0.1.0", node: "20.19.0" },
  planDigest: "1111",
  hasChanges: true,
  counts: { add: 1, change: 0, destroy: 0, replace: 0 },
  findings: [],
  files: FILES,
};

const RECEIPT: Receipt = {
  env: "dev",
  region: "eu-central-1",
  accountId: "123456789012",
  commit: MANIFEST.commit,
  planDigest: "1111",
  startedAt: "2025-01-02T04:00:00.000Z",
  finishedAt: "2025-01-02T04:01:00.000Z",
  outcome: "applied",
  gates: [],
  terraformVersion: "1.11.4",
};

function input(overrides: { manifest?: Partial<Manifest>; environment?: Partial<Environment> } & Partial<Omit<ApplyGateInput, "manifest" | "environment">> = {}): ApplyGateInput {
  const { manifest, environment, ...rest } = overrides;
  return {
    environment: { ...ENVIRONMENT, ...environment },
    manifest: { ...MANIFEST, ...manifest },
    digestsOnDisk: { ...FILES },
    previousReceipt: null,
    terraformVersion: "1.11.4",
    ...rest,
  };
}

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
    expect(await decide(integrityGate, input())).toEqual({ gate: "integrity", allowed: true, reason: "all 2 files match their sha256" });
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
});

describe("evaluateGates", () => {
  it("returns every default gate's decision, in order, when all allow", async () => {
    const decisions = await evaluateGates(defaultApplyGates, input());
    expect(decisions.map(({ gate, allowed }) => [gate, allowed])).toEqual([
      ["environment", true],
      ["integrity", true],
      ["terraform-version", true],
      ["not-yet-applied", true],
    ]);
  });

  it("stops at the first refusal", async () => {
    const decisions = await evaluateGates(defaultApplyGates, input({ digestsOnDisk: {}, terraformVersion: "1.0.0" }));
    expect(decisions.map(({ gate, allowed }) => [gate, allowed])).toEqual([
      ["environment", true],
      ["integrity", false],
    ]);
    expect(decisions[1]?.refusal).toBeInstanceOf(BundleError);
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
