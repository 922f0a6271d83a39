import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { digestDirectory } from "../bundle/digest.js";
import { BundleFile, UNDIGESTED_FILES } from "../bundle/layout.js";
import { MANIFEST_SCHEMA_VERSION, type Manifest } from "../bundle/manifest.js";
import { readRevision } from "../git.js";
import { mergeFindings } from "../policy/index.js";
import { renderPolicyMarkdown, verdictOf, type PolicyReport } from "../policy/report.js";
import type { PlanJson } from "../review/plan-json.js";
import { redactPlan } from "../review/redact.js";
import { renderMarkdown, type PlanHeader } from "../review/render.js";
import { summarizePlan, type Summary } from "../review/summary.js";
import { INFRA_VERSION } from "../version.js";
import { initEnvironment, openEnvironment, terraformFor, type WorkflowContext } from "./context.js";
import { planFindings, reportFor, staticFindings } from "./policy.js";

export interface PlanInput {
  env: string;
  /** Bundle directory; replaced whole only once the new bundle is complete. */
  out: string;
  /** Addresses of protected resources the plan may delete or replace (`--allow-destroy`). */
  allowDestroy?: readonly string[];
}

export interface PlanResult {
  bundle: string;
  manifest: Manifest;
  summary: Summary;
  policy: PolicyReport;
}

export function defaultBundleDir(env: string): string {
  return path.join("artifacts", env);
}

export async function plan(context: WorkflowContext, input: PlanInput): Promise<PlanResult> {
  const { logger } = context;
  const { terraformVersion, environment } = await openEnvironment(context, input.env);
  // Policy does not stop the plan: the bundle is written, marked failed, so the reviewer sees why.
  const hclFindings = await logger.step(`static policy (${environment.name})`, () => staticFindings(context, environment));

  const out = path.resolve(input.out);
  await mkdir(path.dirname(out), { recursive: true });
  // Written beside the target and renamed into place, so a failed plan never leaves half a bundle.
  const staging = await mkdtemp(path.join(path.dirname(out), `.${path.basename(out)}.partial-`));
  try {
    const terraform = terraformFor(context, environment.dir, `env/${environment.name}`);
    const planFile = path.join(staging, BundleFile.plan);
    await initEnvironment(context, terraform, terraformVersion);
    await logger.step(`terraform plan (${environment.name})`, () => terraform.plan(planFile));
    const [planJsonText, planText, revision] = await logger.step("terraform show", () =>
      Promise.all([terraform.showJson(planFile), terraform.showText(planFile), readRevision(context.root)]),
    );
    const planJson = JSON.parse(planJsonText) as PlanJson;
    const summary = summarizePlan(planJson);
    const policy = await reportFor(context, environment, mergeFindings(hclFindings, planFindings({ environment, plan: planJson, allowDestroy: input.allowDestroy ?? [] })));
    const header: PlanHeader = {
      env: environment.name,
      region: environment.region,
      accountId: environment.accountId,
      commit: revision.commit,
      dirty: revision.dirty,
      createdAt: context.now().toISOString(),
    };
    await Promise.all([
      writeFile(path.join(staging, BundleFile.redactedJson), `${JSON.stringify(redactPlan(planJson), null, 2)}\n`),
      writeFile(path.join(staging, BundleFile.text), planText),
      writeFile(path.join(staging, BundleFile.summaryMarkdown), renderMarkdown(summary, header) + renderPolicyMarkdown(policy)),
      writeFile(path.join(staging, BundleFile.summaryJson), `${JSON.stringify({ ...header, ...summary }, null, 2)}\n`),
    ]);
    const files = await digestDirectory(staging, UNDIGESTED_FILES);
    const planDigest = files[BundleFile.plan];
    if (!planDigest) throw new Error(`terraform plan exited 0 but wrote no ${planFile}`);
    const manifest: Manifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      ...header,
      terraformVersion,
      toolchain: { infra: INFRA_VERSION, node: process.versions.node },
      planDigest,
      hasChanges: summary.hasChanges,
      counts: summary.counts,
      findings: policy.findings,
      policy: verdictOf(policy),
      files,
    };
    await writeFile(path.join(staging, BundleFile.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    await rm(out, { recursive: true, force: true });
    await rename(staging, out);
    return { bundle: out, manifest, summary, policy };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
