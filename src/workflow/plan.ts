import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Environment } from "../config/environment.js";
import { RefusedError } from "../errors.js";
import { digestDirectory } from "../bundle/digest.js";
import { BundleFile, UNDIGESTED_FILES } from "../bundle/layout.js";
import { MANIFEST_SCHEMA_VERSION, type Manifest } from "../bundle/manifest.js";
import { readRevision } from "../git.js";
import { blockingFindings, describeFinding, evaluateStaticRules, staticRules, type Finding } from "../policy/index.js";
import type { PlanJson } from "../review/plan-json.js";
import { redactPlan } from "../review/redact.js";
import { renderMarkdown, type PlanHeader } from "../review/render.js";
import { summarizePlan, type Summary } from "../review/summary.js";
import { INFRA_VERSION } from "../version.js";
import { initEnvironment, openEnvironment, terraformFor, type WorkflowContext } from "./context.js";
import { requireDeployer } from "./identity.js";

export interface PlanInput {
  env: string;
  /** Bundle directory; replaced whole only once the new bundle is complete. */
  out: string;
  /** Skip the identity check (local-backend stacks only); otherwise terraform runs as infra-deploy. */
  offline?: boolean;
}

export interface PlanResult {
  bundle: string;
  manifest: Manifest;
  summary: Summary;
}

export function defaultBundleDir(env: string): string {
  return path.join("artifacts", env);
}

export async function plan(context: WorkflowContext, input: PlanInput): Promise<PlanResult> {
  const { logger } = context;
  const { terraformVersion, environment } = await openEnvironment(context, input.env);
  const findings = refuseOnPolicy(environment);
  // Read once: the session name terraform runs under and the manifest name the same commit.
  const revision = await readRevision(context.root);
  const asDeployer = await requireDeployer(context, environment, revision, input.offline ?? false);

  const out = path.resolve(input.out);
  await mkdir(path.dirname(out), { recursive: true });
  // Written beside the target and renamed into place, so a failed plan never leaves half a bundle.
  const staging = await mkdtemp(path.join(path.dirname(out), `.${path.basename(out)}.partial-`));
  try {
    const terraform = terraformFor(asDeployer, environment.dir, `env/${environment.name}`);
    const planFile = path.join(staging, BundleFile.plan);
    await initEnvironment(context, terraform, terraformVersion);
    await logger.step(`terraform plan (${environment.name})`, () => terraform.plan(planFile));
    const [planJsonText, planText] = await logger.step("terraform show", () => Promise.all([terraform.showJson(planFile), terraform.showText(planFile)]));
    const planJson = JSON.parse(planJsonText) as PlanJson;
    const summary = summarizePlan(planJson);
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
      writeFile(path.join(staging, BundleFile.summaryMarkdown), renderMarkdown(summary, header)),
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
      findings,
      files,
    };
    await writeFile(path.join(staging, BundleFile.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    await rm(out, { recursive: true, force: true });
    await rename(staging, out);
    return { bundle: out, manifest, summary };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

function refuseOnPolicy(environment: Environment): Finding[] {
  const findings = evaluateStaticRules(staticRules, environment);
  const blocking = blockingFindings(findings);
  if (blocking.length > 0) {
    throw new RefusedError(
      `policy refused to plan ${environment.name}:\n${blocking.map((finding) => `  ${describeFinding(finding)}`).join("\n")}`,
      "change the configuration so it keeps the promise; `infra check` lists every finding",
    );
  }
  return findings;
}
