import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Environment } from "../config/environment.js";
import { RefusedError } from "../errors.js";
import { digestDirectory } from "../bundle/digest.js";
import { BundleFile, UNDIGESTED_FILES } from "../bundle/layout.js";
import { MANIFEST_SCHEMA_VERSION, type Manifest } from "../bundle/manifest.js";
import { checkOut, commitStaging, createStaging } from "../bundle/out.js";
import { displayPath, fileSystemError } from "../fs-errors.js";
import { readRevision } from "../git.js";
import { blockingFindings, describeFinding, evaluateStaticRules, staticRules, type Finding } from "../policy/index.js";
import type { PlanJson } from "../review/plan-json.js";
import { createRedaction } from "../review/redact.js";
import { renderMarkdown, type PlanHeader } from "../review/render.js";
import { summarizePlan, type Summary } from "../review/summary.js";
import { INFRA_VERSION } from "../version.js";
import { initEnvironment, openEnvironment, terraformFor, type WorkflowContext } from "./context.js";
import { requireDeployer } from "./identity.js";
import { signManifest } from "../bundle/signature.js";
import { describeSettled, settleEnvironment } from "./unfinished-apply.js";

export interface PlanInput {
  env: string;
  /** Bundle directory; replaced whole only once the new bundle is complete. */
  out: string;
  /** Skip the identity check (local-backend stacks only); otherwise terraform runs as infra-deploy. */
  offline?: boolean;
  /** PEM ed25519 private key (INFRA_SIGNING_KEY): signs manifest.json into manifest.sig. */
  signingKey?: string;
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

  const out = await checkOut(input.out, { cwd: context.cwd, root: context.root });
  const terraform = terraformFor(asDeployer, environment.dir, `env/${environment.name}`);
  for (const settled of await settleEnvironment(terraform.dataDir, context.now())) logger.warn(describeSettled(settled));
  // Written beside the target and renamed into place, so a failed plan never leaves half a bundle.
  const staging = await createStaging(out);
  await mkdir(terraform.dataDir, { recursive: true, mode: 0o700 });
  const privateDir = await mkdtemp(path.join(terraform.dataDir, "plan-"));
  try {
    // terraform writes the plan where only we can read it; the bundle gets a 0600 copy.
    const planFile = path.join(privateDir, BundleFile.plan);
    await initEnvironment(context, terraform, terraformVersion);
    await logger.step(`terraform plan (${environment.name})`, () => terraform.plan(planFile));
    const [planJsonText, planText] = await logger.step("terraform show", () => Promise.all([terraform.showJson(planFile), terraform.showText(planFile)]));
    const redaction = createRedaction(JSON.parse(planJsonText) as PlanJson);
    const summary = summarizePlan(redaction.plan);
    const header: PlanHeader = {
      env: environment.name,
      region: environment.region,
      accountId: environment.accountId,
      commit: revision.commit,
      dirty: revision.dirty,
      createdAt: context.now().toISOString(),
    };
    const write = (name: string, content: string) => writeFile(path.join(staging, name), content, { mode: 0o600, flag: "wx" });
    await writeBundleFiles(out, async () => {
      await copyFile(planFile, path.join(staging, BundleFile.plan));
      await chmod(path.join(staging, BundleFile.plan), 0o600);
      await Promise.all([
        write(BundleFile.redactedJson, `${JSON.stringify(redaction.plan, null, 2)}\n`),
        write(BundleFile.text, redaction.sweepText(planText)),
        write(BundleFile.summaryMarkdown, redaction.sweepText(renderMarkdown(summary, header))),
        write(BundleFile.summaryJson, redaction.sweepText(`${JSON.stringify({ ...header, ...summary }, null, 2)}\n`)),
      ]);
    });
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
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    const signature = input.signingKey ? signManifest(manifestText, input.signingKey) : null;
    await writeBundleFiles(out, async () => {
      await write(BundleFile.manifest, manifestText);
      if (signature) await write(BundleFile.signature, `${JSON.stringify(signature, null, 2)}\n`);
      await commitStaging(staging, out);
    });
    return { bundle: out, manifest, summary };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(privateDir, { recursive: true, force: true });
  }
}

/** Runs the writes of a bundle; a full disk or a read-only one becomes one sentence naming --out. */
async function writeBundleFiles(out: string, work: () => Promise<void>): Promise<void> {
  await work().catch((error: unknown) => {
    throw fileSystemError(error, `cannot write the plan bundle ${displayPath(out)}`, "free space or choose a writable place with --out DIR, then plan again");
  });
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
