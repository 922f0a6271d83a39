import type { PlanJson } from "../review/plan-json.js";
import { hclResources, type PolicyTree } from "./hcl-tree.js";
import { planResources } from "./plan-resources.js";
import { policyRules, type PolicyRule, type RuleEnvironment, type Severity, type Violation } from "./rules.js";

export { loadOrgPolicyTree, loadPolicyTree, ORG_DIR, type PolicyTree } from "./hcl-tree.js";
export { policyRules, promisedRegion, type PolicyRule, type Severity } from "./rules.js";

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  /** The compliance-page sentence the rule keeps. */
  promise?: string;
  /** The resource or module address, when the finding is about one. */
  address?: string;
  /** The file to edit, when the rule can name one, and the line in it. */
  file?: string;
  line?: number;
  /** Found on the HCL before a plan, or on the plan. */
  source?: "hcl" | "plan";
  /** Set when a waiver in force covers the finding: it is shown, but blocks nothing. */
  waived?: { reason: string; expires: string };
  /**
   * An HCL finding the plan did not confirm, for a rule the plan judges: terraform resolved what
   * the HCL could only guess, and the plan's verdict is the one that holds. Shown; blocks nothing.
   */
  unconfirmed?: true;
}

/** Every finding of the rules over one environment's parsed HCL (roots and the modules they call). */
export function evaluateTree(tree: PolicyTree, rules: readonly PolicyRule[] = policyRules): Finding[] {
  const resources = hclResources(tree);
  const context = { tree, environment: tree.environment, resources, source: "hcl" as const };
  // A resource that may not exist (count/for_each unresolved) is judged on the plan, where it is known.
  const uncertain = new Set(resources.filter((resource) => resource.uncertain).map((resource) => resource.address));
  return rules.flatMap((rule) =>
    [...(rule.resources?.(context) ?? []), ...(rule.tree?.(context) ?? [])]
      .filter((violation) => violation.address === undefined || !uncertain.has(violation.address))
      .map((violation) => toFinding(rule, violation, "hcl")),
  );
}

/**
 * Every finding of the rules over the organization's stack (their `org` part): its service
 * control policies judged for every environment under envs/.
 */
export function evaluateOrgTree(tree: PolicyTree, environments: readonly string[], rules: readonly PolicyRule[] = policyRules): Finding[] {
  const resources = hclResources(tree);
  return rules.flatMap((rule) => (rule.org?.({ tree, resources, environments }) ?? []).map((violation) => toFinding(rule, violation, "hcl")));
}

export interface PlanPolicyInput {
  plan: PlanJson;
  environment: RuleEnvironment;
  /** Addresses whose deletion or replacement is acknowledged. */
  acknowledgedDestructions?: readonly string[];
}

/** Every finding of the rules over a plan JSON (values after the change, modules expanded). */
export function evaluatePlan(input: PlanPolicyInput, rules: readonly PolicyRule[] = policyRules): Finding[] {
  const context = {
    plan: input.plan,
    environment: input.environment,
    resources: planResources(input.plan),
    source: "plan" as const,
    acknowledgedDestructions: input.acknowledgedDestructions ?? [],
  };
  return rules.flatMap((rule) => [...(rule.resources?.(context) ?? []), ...(rule.plan?.(context) ?? [])].map((violation) => toFinding(rule, violation, "plan")));
}

/**
 * HCL and plan findings of one plan together: a plan finding the HCL already reported for the same
 * rule and resource (the plan adds only the instance key) is dropped, keeping the one with a line;
 * an HCL finding of a rule the plan judges that the plan did not repeat is `unconfirmed` (the plan,
 * where terraform has resolved count, for_each and every variable, decides). Call it only with a
 * plan's findings: without a plan the HCL findings stand alone.
 */
export function mergeFindings(hcl: readonly Finding[], plan: readonly Finding[], rules: readonly PolicyRule[] = policyRules): Finding[] {
  const judgedOnPlan = new Set(rules.filter(planDecides).map((rule) => rule.id));
  const onPlan = new Set(plan.map((finding) => `${finding.rule}|${withoutInstanceKeys(finding.address ?? "")}`));
  const seen = new Set(hcl.map((finding) => `${finding.rule}|${finding.address ?? ""}`));
  return [
    ...hcl.map((finding) => (judgedOnPlan.has(finding.rule) && !onPlan.has(`${finding.rule}|${finding.address ?? ""}`) ? { ...finding, unconfirmed: true as const } : finding)),
    ...plan.filter((finding) => !seen.has(`${finding.rule}|${withoutInstanceKeys(finding.address ?? "")}`)),
  ];
}

/** Whether a rule's plan-stage verdict replaces its HCL one (it runs on plans, and values it needs are known there). */
function planDecides(rule: PolicyRule): boolean {
  return rule.hclDecides !== true && (rule.resources !== undefined || rule.plan !== undefined);
}

function withoutInstanceKeys(address: string): string {
  return address.replace(/\[(?:"(?:[^"\\]|\\.)*"|\d+)\]/g, "");
}

function toFinding(rule: PolicyRule, violation: Violation, source: "hcl" | "plan"): Finding {
  return { rule: rule.id, severity: rule.severity, message: violation.message, promise: rule.promise, ...pick(violation), source };
}

function pick({ address, file, line }: Violation): Pick<Finding, "address" | "file" | "line"> {
  return { ...(address ? { address } : {}), ...(file ? { file } : {}), ...(line !== undefined ? { line } : {}) };
}

/** Errors not covered by a waiver: what fails `infra check` and marks a bundle failed. */
export function blockingFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((finding) => finding.severity === "error" && !finding.waived && !finding.unconfirmed);
}

export function describeFinding(finding: Finding): string {
  const where = finding.file ? ` (${finding.file}${finding.line !== undefined ? ` line ${finding.line}` : ""})` : "";
  const waived = finding.waived ? ` [waived until ${finding.waived.expires}: ${finding.waived.reason}]` : "";
  const unconfirmed = finding.unconfirmed ? " [HCL only: the plan, which decides, did not confirm it]" : "";
  return `[${finding.rule}] ${finding.message}${where}${waived}${unconfirmed}`;
}
