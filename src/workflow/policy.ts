import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { listEnvironments, readEnvironment, type Environment } from "../config/environment.js";
import { BundleError, ConfigError } from "../errors.js";
import { BundleFile } from "../bundle/layout.js";
import { evaluateOrgTree, evaluatePlan, evaluateTree, loadOrgPolicyTree, loadPolicyTree, mergeFindings, ORG_DIR, type Finding } from "../policy/index.js";
import { policyReport, type PolicyReport } from "../policy/report.js";
import { applyWaivers, readWaivers, type WaiversFile } from "../policy/waivers.js";
import type { PlanJson } from "../review/plan-json.js";
import type { WorkflowContext } from "./context.js";
import { readOptions } from "./work-dir.js";

/** The static rules over an environment's roots and the modules they call. */
export async function staticFindings(context: WorkflowContext, environment: Environment): Promise<Finding[]> {
  // The management account's stacks are judged by the organization's guard rails, as `infra policy --org` judges them.
  if (environment.management) return (await orgFindings(context)) ?? [];
  const tree = await loadPolicyTree(environment, readOptions(context));
  return evaluateTree(tree);
}

/**
 * The rules over the organization's stack (`<root>/org`), judged for every environment under
 * envs/; null where the tree has no org stack. Not part of an environment's findings: infra
 * never plans the org stack, and one org edit would fail every environment's plan and apply.
 */
export async function orgFindings(context: WorkflowContext): Promise<Finding[] | null> {
  const tree = await loadOrgPolicyTree(context.root, readOptions(context));
  return tree ? evaluateOrgTree(tree, await listEnvironments(context.root)) : null;
}

/** Waivers of the org stack's findings name `env: "org"`, or no env. */
export const ORG_SCOPE = { name: ORG_DIR } as const;

export interface PlanFindingsInput {
  environment: Environment;
  plan: PlanJson;
  allowDestroy: readonly string[];
}

export function planFindings({ environment, plan, allowDestroy }: PlanFindingsInput): Finding[] {
  return evaluatePlan({ plan, environment, acknowledgedDestructions: allowDestroy });
}

/**
 * HCL and plan findings, with the tree's waivers applied: the verdict check, plan and policy share.
 * Files are named relative to the tree, as a reviewer and a waiver's `path` know them (a bundle
 * never carries the planning machine's directories).
 */
export async function reportFor(
  context: WorkflowContext,
  environment: Pick<Environment, "name">,
  findings: readonly Finding[],
  waivers?: WaiversFile,
): Promise<PolicyReport> {
  waivers ??= await readWaivers(context.root);
  const relative = findings.map((finding) => (finding.file ? { ...finding, file: relativeToTree(context.root, finding.file) } : finding));
  const waived = applyWaivers(relative, waivers, { env: environment.name, root: context.root, now: context.now() });
  return policyReport(waived.findings, waived.inForce);
}

export interface PolicyInput {
  env: string;
  /** A plan bundle directory (its plan.redacted.json) or a `terraform show -json` file. */
  plan?: string;
  allowDestroy: readonly string[];
}

export interface PolicyResult extends PolicyReport {
  env: string;
  plan: string | null;
}

/** `infra policy`: the rules alone, on the HCL and, given a plan, on the plan. */
export async function policy(context: WorkflowContext, input: PolicyInput): Promise<PolicyResult> {
  const environment = await readEnvironment(context.root, input.env, readOptions(context));
  const hcl = await context.logger.step(`static policy (${environment.name})`, () => staticFindings(context, environment));
  const planFile = input.plan === undefined ? null : await planJsonFile(input.plan);
  const fromPlan = planFile ? planFindings({ environment, plan: await readPlanJson(planFile), allowDestroy: input.allowDestroy }) : [];
  const report = await reportFor(context, environment, planFile ? mergeFindings(hcl, fromPlan) : hcl);
  return { env: environment.name, plan: planFile, ...report };
}

/** `infra policy --org`: the rules over the organization's stack alone. */
export async function orgPolicy(context: WorkflowContext): Promise<PolicyResult> {
  const findings = await context.logger.step("static policy (org)", () => orgFindings(context));
  if (findings === null) {
    throw new ConfigError(`the tree ${context.root} has no organization stack (${ORG_DIR}/)`, `create ${path.join(context.root, ORG_DIR)} with its service control policies, or run \`infra policy --env E\``);
  }
  return { env: ORG_SCOPE.name, plan: null, ...(await reportFor(context, ORG_SCOPE, findings)) };
}

function relativeToTree(root: string, file: string): string {
  const relative = path.relative(root, file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

async function planJsonFile(target: string): Promise<string> {
  const resolved = path.resolve(target);
  const info = await stat(resolved).catch(() => undefined);
  if (!info) throw new BundleError(`plan ${resolved} does not exist`, "pass a plan bundle directory (artifacts/<env>) or a `terraform show -json` file");
  return info.isDirectory() ? path.join(resolved, BundleFile.redactedJson) : resolved;
}

async function readPlanJson(file: string): Promise<PlanJson> {
  const text = await readFile(file, "utf8").catch(() => {
    throw new BundleError(`${file} cannot be read`, "pass a complete plan bundle directory or a `terraform show -json` file");
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BundleError(`${file} is not valid JSON: ${(error as Error).message}`, "pass the output of `terraform show -json PLANFILE`");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !("format_version" in parsed)) {
    throw new BundleError(`${file} is not a terraform plan JSON (no format_version)`, "pass the output of `terraform show -json PLANFILE`");
  }
  return parsed as PlanJson;
}
