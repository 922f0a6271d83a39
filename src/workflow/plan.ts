import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { digestDirectory } from "../bundle/digest.js";
import { BUNDLE_FILE_MODE, BundleFile, UNDIGESTED_FILES } from "../bundle/layout.js";
import { MANIFEST_SCHEMA_VERSION, type Manifest } from "../bundle/manifest.js";
import { checkOut, commitStaging, createStaging } from "../bundle/out.js";
import { displayPath, fileSystemError } from "../fs-errors.js";
import { toolchainOf } from "../bundle/toolchain.js";
import { readRevision } from "../git.js";
import { mergeFindings } from "../policy/index.js";
import { renderPolicyMarkdown, verdictOf, type PolicyReport } from "../policy/report.js";
import { parsePlanJson } from "../review/plan-json.js";
import type { PlanHeader } from "../review/render.js";
import type { Summary } from "../review/summary.js";
import { INFRA_VERSION } from "../version.js";
import { initEnvironment, openEnvironment, terraformForStack, type WorkflowContext } from "./context.js";
import { planFindings, reportFor, staticFindings } from "./policy.js";
import { writeReviewArtifacts } from "./review.js";
import { requireDeployer } from "./identity.js";
import { encryptPlan, parsePlanKey, type PlanEncryption } from "../bundle/plan-encryption.js";
import { loadSigningKey, signManifest } from "../bundle/signature.js";
import { describeSettled, settleEnvironment } from "./unfinished-apply.js";
import { PLAN_ROLE_NAME } from "../aws/credential-chain.js";
import type { Environment, StackChoice } from "../config/environment.js";
import { gateRefusal } from "../gates/apply-gates.js";
import { decideIdentity, identityGate } from "../gates/identity.js";
import { checkPlanSource } from "../plan-source.js";
import { readPlanFileFacts } from "../terraform/plan-file.js";

export type PlanInput = StackChoice & PlanOptions;

export interface PlanOptions {
  /** Bundle directory; replaced whole only once the new bundle is complete. */
  out: string;
  /** Addresses of protected resources the plan may delete or replace (`--allow-destroy`). */
  allowDestroy?: readonly string[];
  /** Skip the identity check (local-backend stacks only); otherwise terraform runs as infra-deploy. */
  offline?: boolean;
  /** PEM ed25519 private key (INFRA_SIGNING_KEY): signs manifest.json into manifest.sig. */
  signingKey?: string;
  /** INFRA_PLAN_KEY: encrypts tfplan at rest in the bundle (AES-256-GCM). */
  planKey?: string;
  /** `--read-only`: as the read-only infra-plan, without the state lock; the manifest says so and apply refuses the bundle. */
  readOnly?: boolean;
}

export interface PlanResult {
  bundle: string;
  manifest: Manifest;
  summary: Summary;
  policy: PolicyReport;
}

/** infra-plan may read the state but not write its lock; a plan that can never be applied needs none. */
const READ_ONLY_PLAN_ARGS = ["-lock=false"] as const;

/** `artifacts/<env>` for an environment, `artifacts/<stack>` (artifacts/bootstrap/dev) for an account stack. */
export function defaultBundleDir(choice: StackChoice): string {
  return path.join("artifacts", ...(choice.stack !== undefined ? choice.stack.split("/").filter(Boolean) : [choice.env]));
}

export async function plan(context: WorkflowContext, input: PlanInput): Promise<PlanResult> {
  const { logger } = context;
  const { terraformVersion, environment } = await openEnvironment(context, input);
  const signingKey = input.signingKey === undefined ? null : await loadSigningKey(input.signingKey, context.root);
  if (signingKey?.warning) logger.warn(signingKey.warning);
  const planKey = input.planKey === undefined ? null : parsePlanKey(input.planKey);
  // Policy does not stop the plan: the bundle is written, marked failed, so the reviewer sees why.
  const hclFindings = await logger.step(`static policy (${environment.name})`, () => staticFindings(context, environment));
  // Names the deploy role's session only; whether the plan is of a commit is judged on the plan itself.
  const revision = await readRevision(context.root);
  if (input.offline) for (const declared of await declaredBackends(environment)) requireLocalBackend(environment, declared.type, `declared in ${declared.file}`);
  const readOnly = input.readOnly ?? false;
  const asDeployer = await requireDeployer(context, environment, revision, input.offline ?? false, readOnly ? PLAN_ROLE_NAME : undefined);

  const out = await checkOut(input.out, { cwd: context.cwd, root: context.root });
  const terraform = terraformForStack(asDeployer, environment);
  for (const settled of await settleEnvironment(terraform.dataDir, context.now())) logger.warn(describeSettled(settled));
  // Written beside the target and renamed into place, so a failed plan never leaves half a bundle.
  const staging = await createStaging(out);
  await mkdir(terraform.dataDir, { recursive: true, mode: 0o700 });
  const privateDir = await mkdtemp(path.join(terraform.dataDir, "plan-"));
  try {
    // terraform writes the plan where only we can read it; the bundle gets a 0600 copy.
    const planFile = path.join(privateDir, BundleFile.plan);
    // --offline is for local state only, as terraform itself recorded the backend at init (even
    // when init then failed to reach it): that reading covers every file terraform reads.
    try {
      await initEnvironment(context, terraform, terraformVersion);
    } finally {
      if (input.offline) requireLocalBackend(environment, await terraform.recordedBackendType(), "terraform init recorded");
    }
    await logger.step(`terraform plan (${environment.name})`, () => terraform.plan(planFile, readOnly ? READ_ONLY_PLAN_ARGS : []));
    // Judged on what terraform actually read, after it read it: an edit made while terraform
    // planned, an ignored override file or a module outside --root all show here.
    const planFacts = await readPlanFileFacts(planFile);
    if (input.offline) requireLocalBackend(environment, planFacts.backendType, "the plan records");
    const source = await checkPlanSource(planFacts.snapshot, environment.dir, context.root, { acceptFirstRunBackend: environment.accountStack });
    if (source.firstRunBackend) logger.warn(`first run of ${environment.stack}: the state stays in a local file until scripts/bootstrap.ts moves it into the state bucket`);
    for (const difference of source.differences) logger.warn(`not committed: ${difference}`);
    const [planJsonText, planText] = await logger.step("terraform show", () => Promise.all([terraform.showJson(planFile), terraform.showText(planFile)]));
    const planJson = parsePlanJson(planJsonText, "terraform show -json");
    const policy = await reportFor(context, environment, mergeFindings(hclFindings, planFindings({ environment, plan: planJson, allowDestroy: input.allowDestroy ?? [] })));
    const header: PlanHeader = {
      env: environment.name,
      ...(environment.accountStack ? { stack: environment.stack } : {}),
      region: environment.region,
      accountId: environment.accountId,
      commit: source.commit,
      dirty: source.commit === null ? null : source.differences.length > 0,
      createdAt: planFacts.createdAt ?? context.now().toISOString(),
    };
    let planEncryption: PlanEncryption | undefined;
    const summary = await logger.step("review artifacts", () =>
      writeBundleFiles(out, async () => {
        if (planKey) {
          const { ciphertext, record } = encryptPlan(await readFile(planFile), planKey, { env: environment.name, commit: source.commit });
          await writeFile(path.join(staging, BundleFile.plan), ciphertext, BUNDLE_FILE_MODE);
          planEncryption = record;
        } else {
          await copyFile(planFile, path.join(staging, BundleFile.plan));
          await chmod(path.join(staging, BundleFile.plan), 0o600);
        }
        return writeReviewArtifacts(staging, planJson, planText, header, renderPolicyMarkdown(policy));
      }),
    );
    const files = await digestDirectory(staging, UNDIGESTED_FILES);
    const planDigest = files[BundleFile.plan];
    if (!planDigest) throw new Error(`terraform plan exited 0 but wrote no ${planFile}`);
    const manifest: Manifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      ...header,
      terraformVersion,
      toolchain: toolchainOf(context.declaredToolchain ?? {}, INFRA_VERSION, process.versions.node),
      planDigest,
      source: { configDigest: source.configDigest, differences: source.differences, ...(source.firstRunBackend ? { firstRunBackend: true as const } : {}) },
      ...(planEncryption ? { planEncryption } : {}),
      ...(readOnly ? { readOnly: true as const } : {}),
      hasChanges: summary.hasChanges,
      counts: summary.counts,
      findings: policy.findings,
      policy: verdictOf(policy),
      files,
    };
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    const signature = signingKey ? signManifest(manifestText, signingKey) : null;
    await writeBundleFiles(out, async () => {
      await writeFile(path.join(staging, BundleFile.manifest), manifestText, BUNDLE_FILE_MODE);
      if (signature) await writeFile(path.join(staging, BundleFile.signature), `${JSON.stringify(signature, null, 2)}\n`, BUNDLE_FILE_MODE);
      await commitStaging(staging, out);
    });
    return { bundle: out, manifest, summary, policy };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(privateDir, { recursive: true, force: true });
  }
}

/**
 * Every backend or `cloud` block the root declares, in .tf files (override files included) and
 * .tf.json files: a first, cheap reading for --offline, before terraform init contacts anything.
 */
async function declaredBackends(environment: Environment): Promise<Array<{ type: string; file: string }>> {
  const found: Array<{ type: string; file: string }> = [];
  const collect = (file: string, terraformBlocks: unknown) => {
    for (const block of Array.isArray(terraformBlocks) ? terraformBlocks : [terraformBlocks]) {
      if (typeof block !== "object" || block === null) continue;
      const record = block as Record<string, unknown>;
      if (record["cloud"] !== undefined) found.push({ type: "cloud", file });
      for (const backends of Array.isArray(record["backend"]) ? record["backend"] : [record["backend"]]) {
        if (typeof backends === "object" && backends !== null) for (const type of Object.keys(backends)) found.push({ type, file });
      }
    }
  };
  for (const { file, body } of environment.files) collect(file, body["terraform"]);
  for (const name of (await readdir(environment.dir)).filter((entry) => entry.endsWith(".tf.json"))) {
    const file = path.join(environment.dir, name);
    try {
      collect(file, (JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>)["terraform"]);
    } catch {
      found.push({ type: "unreadable JSON", file });
    }
  }
  return found;
}

/** Refuses --offline for a stack whose state is not local, by the backend terraform itself reports. */
function requireLocalBackend(environment: Environment, backendType: string | null, whose: string): void {
  const decision = decideIdentity(identityGate.name, { status: "offline" }, environment, { type: backendType ?? "unknown", file: `as ${whose}` });
  if (!decision.allowed) throw gateRefusal(decision);
}

/** Runs the writes of a bundle; a full disk or a read-only one becomes one sentence naming --out. */
async function writeBundleFiles<T>(out: string, work: () => Promise<T>): Promise<T> {
  return work().catch((error: unknown) => {
    throw fileSystemError(error, `cannot write the plan bundle ${displayPath(out)}`, "free space or choose a writable place with --out DIR, then plan again");
  });
}
