import type { Environment } from "../config/environment.js";

export interface Finding {
  rule: string;
  severity: "error" | "warning";
  message: string;
  /** The file to edit, when the rule can name one. */
  file?: string;
}

/** A rule over parsed HCL, run before terraform plans anything. Pure: data in, findings out. */
export interface StaticRule {
  id: string;
  /** The compliance-page sentence the rule enforces. */
  promise: string;
  check(environment: Environment): Finding[];
}

/** Production runs only in us-east-2; development and testing only in eu-central-1. */
const PRODUCTION_NAMES = new Set(["prod", "production"]);
export const PRODUCTION_REGION = "us-east-2";
export const NON_PRODUCTION_REGION = "eu-central-1";

export const regionPromise: StaticRule = {
  id: "region-promise",
  promise: "production only in us-east-2, development and testing only in eu-central-1",
  check(environment) {
    const expected = PRODUCTION_NAMES.has(environment.name) ? PRODUCTION_REGION : NON_PRODUCTION_REGION;
    if (environment.region === expected) return [];
    return [
      {
        rule: this.id,
        severity: "error",
        message: `environment "${environment.name}" is in ${environment.region}, but the compliance page promises ${expected} for it`,
        file: environment.factsFile,
      },
    ];
  },
};

/** The rules `infra check` and `infra plan` run. The policies issue adds to this list. */
export const staticRules: readonly StaticRule[] = [regionPromise];

export function evaluateStaticRules(rules: readonly StaticRule[], environment: Environment): Finding[] {
  return rules.flatMap((rule) => rule.check(environment));
}

export function blockingFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((finding) => finding.severity === "error");
}

export function describeFinding(finding: Finding): string {
  return `[${finding.rule}] ${finding.message}${finding.file ? ` (${finding.file})` : ""}`;
}
