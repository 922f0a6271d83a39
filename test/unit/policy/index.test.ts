import { describe, expect, it } from "vitest";
import { blockingFindings, describeFinding, mergeFindings, policyRules, promisedRegion, type Finding } from "../../../src/policy/index.js";
import { ruleKinds } from "../../../src/policy/rules.js";

describe("promisedRegion", () => {
  it("promises us-east-2 to production and eu-central-1 to every other environment", () => {
    expect(promisedRegion("prod")).toBe("us-east-2");
    expect(promisedRegion("production")).toBe("us-east-2");
    expect(promisedRegion("dev")).toBe("eu-central-1");
    expect(promisedRegion("staging")).toBe("eu-central-1");
  });
});

describe("policyRules", () => {
  it("gives every rule a unique id, a rationale, a promise and at least one kind", () => {
    const ids = policyRules.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of policyRules) {
      expect(rule.rationale.length, rule.id).toBeGreaterThan(10);
      expect(rule.promise.length, rule.id).toBeGreaterThan(10);
      expect(ruleKinds(rule).length, rule.id).toBeGreaterThan(0);
    }
  });
});

describe("blockingFindings and describeFinding", () => {
  const findings: Finding[] = [
    { rule: "a", severity: "warning", message: "soft" },
    { rule: "b", severity: "error", message: "hard", file: "main.tf", line: 7 },
    { rule: "c", severity: "error", message: "excused", waived: { reason: "migration", expires: "2026-12-31" } },
  ];

  it("keeps only errors no waiver covers", () => {
    expect(blockingFindings(findings).map((finding) => finding.rule)).toEqual(["b"]);
  });

  it("formats rule, message, file and line, and a waiver", () => {
    expect(describeFinding(findings[1] as Finding)).toBe("[b] hard (main.tf line 7)");
    expect(describeFinding(findings[0] as Finding)).toBe("[a] soft");
    expect(describeFinding(findings[2] as Finding)).toBe("[c] excused [waived until 2026-12-31: migration]");
  });
});

describe("mergeFindings", () => {
  it("drops a plan finding the HCL already reported for the same rule and resource, keeping other plan findings", () => {
    const hcl: Finding[] = [{ rule: "ecr-force-delete", severity: "error", message: "hcl", address: "module.ecr.aws_ecr_repository.this", line: 3 }];
    const plan: Finding[] = [
      { rule: "ecr-force-delete", severity: "error", message: "plan", address: 'module.ecr.aws_ecr_repository.this["api"]' },
      { rule: "ecr-immutable-tags", severity: "error", message: "plan only", address: 'module.ecr.aws_ecr_repository.this["api"]' },
    ];
    expect(mergeFindings(hcl, plan).map((finding) => finding.message)).toEqual(["hcl", "plan only"]);
  });
});
