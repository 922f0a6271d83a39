import { describe, expect, it } from "vitest";
import type { Environment } from "../../../src/config/environment.js";
import {
  blockingFindings,
  describeFinding,
  evaluateStaticRules,
  regionPromise,
  staticRules,
  type Finding,
} from "../../../src/policy/index.js";

function environment(name: string, region: string): Environment {
  return {
    name,
    root: "/repo/terraform",
    dir: `/repo/terraform/envs/${name}`,
    factsFile: `/repo/terraform/envs/${name}/environment.tf`,
    region,
    accountId: "123456789012",
    promotedFrom: null,
    protected: false,
    maxPlanAgeMs: 86_400_000,
    backend: null,
    files: [],
  };
}

describe("regionPromise", () => {
  it("returns no findings for prod in us-east-2", () => {
    expect(regionPromise.check(environment("prod", "us-east-2"))).toEqual([]);
  });

  it("returns no findings for dev in eu-central-1", () => {
    expect(regionPromise.check(environment("dev", "eu-central-1"))).toEqual([]);
  });

  it("returns an error for prod outside us-east-2", () => {
    expect(regionPromise.check(environment("prod", "eu-central-1"))).toEqual([
      {
        rule: "region-promise",
        severity: "error",
        message: 'environment "prod" is in eu-central-1, but the compliance page promises us-east-2 for it',
        file: "/repo/terraform/envs/prod/environment.tf",
      },
    ]);
  });

  it("returns an error for dev outside eu-central-1", () => {
    const findings = regionPromise.check(environment("dev", "us-east-2"));
    expect(findings).toHaveLength(1);
    expect(findings[0]?.message).toBe('environment "dev" is in us-east-2, but the compliance page promises eu-central-1 for it');
  });

  it("treats 'production' as production and any other name as non-production", () => {
    expect(regionPromise.check(environment("production", "us-east-2"))).toEqual([]);
    expect(regionPromise.check(environment("staging", "us-east-2"))[0]?.severity).toBe("error");
  });
});

describe("evaluateStaticRules", () => {
  it("returns the findings of every rule", () => {
    expect(evaluateStaticRules(staticRules, environment("dev", "us-west-2")).map((finding) => finding.rule)).toEqual(["region-promise"]);
  });
});

describe("blockingFindings and describeFinding", () => {
  const findings: Finding[] = [
    { rule: "a", severity: "warning", message: "soft" },
    { rule: "b", severity: "error", message: "hard", file: "main.tf" },
  ];

  it("keeps only errors", () => {
    expect(blockingFindings(findings).map((finding) => finding.rule)).toEqual(["b"]);
  });

  it("formats rule, message and file", () => {
    expect(describeFinding(findings[1] as Finding)).toBe("[b] hard (main.tf)");
    expect(describeFinding(findings[0] as Finding)).toBe("[a] soft");
  });
});
