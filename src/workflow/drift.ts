import { mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { PLAN_ROLE_NAME } from "../aws/credential-chain.js";
import { BundleFile } from "../bundle/layout.js";
import { readRevision } from "../git.js";
import { parsePlanJson } from "../review/plan-json.js";
import { createRedaction } from "../review/redact.js";
import { renderMarkdown, renderText, type PlanHeader } from "../review/render.js";
import { summaryDocument } from "../review/summary-file.js";
import { summarizePlan, type Summary } from "../review/summary.js";
import { initEnvironment, openEnvironment, planHeaderFor, terraformForStack, type WorkflowContext } from "./context.js";
import { requireDeployer } from "./identity.js";

export interface DriftInput {
  env: string;
  /** Skip the identity check (local-backend stacks only); otherwise terraform runs as the read-only infra-plan. */
  offline?: boolean;
}

export interface DriftResult {
  env: string;
  /** Something changed outside terraform: a resource (refreshed state differs) or an output. */
  drifted: boolean;
  header: PlanHeader;
  summary: Summary;
  /** The review's markdown of what changed outside terraform (for the drift issue; under 60,000 characters). */
  markdown: string;
  /** The review's text, every changed attribute listed. */
  text: string;
}

/**
 * `infra drift --env E`: a refresh-only plan (never a normal one, which would count changes still
 * waiting for promotion as drift), as the read-only role, without the state lock (that role may not
 * write it, and a refresh-only plan changes nothing), rendered by the review. Its plan is discarded.
 */
export async function drift(context: WorkflowContext, input: DriftInput): Promise<DriftResult> {
  const { terraformVersion, environment } = await openEnvironment(context, { env: input.env });
  const revision = await readRevision(context.root);
  const asReader = await requireDeployer(context, environment, revision, input.offline ?? false, PLAN_ROLE_NAME);
  const terraform = terraformForStack(asReader, environment);
  await mkdir(terraform.dataDir, { recursive: true, mode: 0o700 });
  const privateDir = await mkdtemp(path.join(terraform.dataDir, "drift-"));
  try {
    const planFile = path.join(privateDir, BundleFile.plan);
    await initEnvironment(context, terraform, terraformVersion);
    const { drifted } = await context.logger.step(`terraform plan -refresh-only (${environment.name})`, () => terraform.refreshOnlyPlan(planFile, ["-lock=false"]));
    const plan = parsePlanJson(await context.logger.step("terraform show", () => terraform.showJson(planFile)), "terraform show -json");
    // A refresh-only plan depends on nothing it drifted from, so terraform's relevant_attributes
    // would filter every resource out of the review's drift list: here all of it is the point.
    delete plan.relevant_attributes;
    const summary = summarizePlan(plan, createRedaction(plan));
    const header: PlanHeader = planHeaderFor(environment, revision, context.now());
    return { env: environment.name, drifted, header, summary, markdown: renderMarkdown(summary, header), text: renderText(summary, header, { detail: true }) };
  } finally {
    await rm(privateDir, { recursive: true, force: true });
  }
}

/** What `infra drift --json` prints, and scripts/drift-issue.ts reads. */
export function driftDocument(result: DriftResult): { env: string; drifted: boolean; markdown: string; summary: ReturnType<typeof summaryDocument> } {
  return { env: result.env, drifted: result.drifted, markdown: result.markdown, summary: summaryDocument(result.summary, result.header) };
}

/** One line: what drifted, counted. */
export function describeDrift(result: Pick<DriftResult, "env" | "drifted" | "summary">): string {
  if (!result.drifted) return `no drift in ${result.env}: the infrastructure matches the state terraform last wrote`;
  const { drift, outputs } = result.summary;
  const parts = [drift.length > 0 ? `${drift.length} resource(s)` : "", outputs.length > 0 ? `${outputs.length} output(s)` : ""].filter(Boolean);
  return `drift in ${result.env}: ${parts.join(" and ") || "the state"} changed outside terraform`;
}
