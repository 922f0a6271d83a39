import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { IdentityFacts } from "../aws/identity.js";
import { readStack, type Environment, type StackChoice } from "../config/environment.js";
import { InfraError } from "../errors.js";
import { BundleFile, UNDIGESTED_FILES } from "../bundle/layout.js";
import { listBundle } from "../bundle/listing.js";
import { openPlan, type PlanEncryptionFacts } from "../bundle/plan-encryption.js";
import { copyPlanPrivately } from "../bundle/private-plan.js";
import { signatureFactsOf } from "../bundle/signature.js";
import { readBundleManifest, type Manifest } from "../bundle/manifest.js";
import { readReceipt } from "../bundle/receipt.js";
import {
  applyGatesFor,
  evaluateGates,
  type ApplyGate,
  type ApplyGateInput,
  type ExecutedPlanFacts,
  type GateDecision,
  type Unavailable,
} from "../gates/apply-gates.js";
import type { CiDeployment } from "../gates/approval.js";
import { decideIdentity, identityGate } from "../gates/identity.js";
import { exportCommitted, openRepository, readCommittedFile } from "../git.js";
import { readApplied } from "../ledger.js";
import { checkPlanSource, type SourceCheck } from "../plan-source.js";
import { protectedDestructions } from "../policy/destruction.js";
import { mergeFindings } from "../policy/index.js";
import type { PolicyReport } from "../policy/report.js";
import { parseWaivers, WAIVERS_FILE, type WaiversFile } from "../policy/waivers.js";
import { parsePlanJson, type PlanJson } from "../review/plan-json.js";
import { readPlanFileFacts } from "../terraform/plan-file.js";
import { initEnvironment, openEnvironment, terraformForStack, type WorkflowContext } from "./context.js";
import { arriveAsDeployer } from "./identity.js";
import { planFindings, reportFor, staticFindings } from "./policy.js";
import { readOptions } from "./work-dir.js";

/** What a person or CI passes to the gates of one apply: the stack (`--env` or `--stack`), the bundle, approvals. */
export type GateOptions = StackChoice & BundleGateOptions;

export interface BundleGateOptions {
  bundle: string;
  /** Skip the identity check (local-backend stacks only; the identity gate refuses it elsewhere). */
  offline?: boolean;
  /** `--approve`: the first 12 hex of the plan digest. */
  approve?: string | null;
  /** `--allow-destroy`: addresses of protected resources the plan may delete or replace. */
  allowDestroy?: readonly string[];
  /** The CI run and its deployment environment, when running in one. */
  ci?: CiDeployment | null;
  /** INFRA_PLAN_KEY: decrypts a tfplan encrypted at rest. */
  planKey?: string;
  /** Defaults to defaultApplyGates. */
  gates?: readonly ApplyGate[];
}

/** A bundle and the environment it is to be applied to, both read. */
export interface OpenedBundle {
  bundle: string;
  manifest: Manifest;
  /** manifest.json as read, once: the signature is checked over these bytes, and every gate parses them. */
  manifestText: string;
  environment: Environment;
  terraformVersion: string;
}

/** The private copy of the bundle's tfplan: what terraform executes, and what the gates examine. */
export interface ExecutablePlan {
  /** The file terraform would run: the copy, decrypted when the plan is encrypted at rest. */
  file: string;
  /** sha256 of the copy as stored in the bundle (the ciphertext when encrypted). */
  digest: string;
  encryption: PlanEncryptionFacts;
  remove(): Promise<void>;
}

export interface GateFacts extends OpenedBundle {
  input: ApplyGateInput;
  /** The environment terraform runs with: the deploy role's temporary credentials once assumed. */
  processEnv: NodeJS.ProcessEnv;
  /** `terraform show -json` of the executable plan, when terraform could read it. */
  executedPlanJson: PlanJson | null;
}

export interface GateResult {
  env: string;
  bundle: string;
  planDigest: string;
  allowed: boolean;
  identity: IdentityFacts;
  decisions: Array<Omit<GateDecision, "refusal"> & { hint?: string }>;
}

export async function openBundle(context: WorkflowContext, options: StackChoice & { bundle: string }): Promise<OpenedBundle> {
  const bundle = path.resolve(options.bundle);
  const { manifest, text } = await readBundleManifest(bundle);
  const { terraformVersion, environment } = await openEnvironment(context, options);
  return { bundle, manifest, manifestText: text, environment, terraformVersion };
}

/**
 * Copies the bundle's tfplan where only this process can change it (`dataDir`), hashes the
 * copy, and decrypts it beside itself when it is encrypted at rest. Everything after this
 * examines and executes the copy, so a tfplan swapped in the bundle meanwhile changes nothing.
 */
export async function openExecutablePlan(opened: OpenedBundle, dataDir: string, planKey: string | undefined): Promise<ExecutablePlan> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const privatePlan = await copyPlanPrivately(opened.bundle, dataDir);
  try {
    const decrypted = path.join(path.dirname(privatePlan.file), `${BundleFile.plan}.decrypted`);
    const encryption = await openPlan(opened.manifest, privatePlan.file, planKey, decrypted);
    return { file: encryption.encrypted ? decrypted : privatePlan.file, digest: privatePlan.digest, encryption, remove: privatePlan.remove };
  } catch (error) {
    await privatePlan.remove();
    throw error;
  }
}

/**
 * Every fact the gates decide over, gathered once: the bundle's files, what the executable plan
 * proves about itself (its configuration against HEAD, its backend, its age), STS, terraform's
 * own reading of the plan (policy, destructions), the ledger.
 */
export async function gatherGateFacts(context: WorkflowContext, opened: OpenedBundle, options: GateOptions, executable: ExecutablePlan): Promise<GateFacts> {
  const { bundle, manifest, manifestText, environment, terraformVersion } = opened;
  const [listing, previousReceipt, executed, signature] = await Promise.all([
    listBundle(bundle, UNDIGESTED_FILES),
    readReceipt(bundle),
    executedPlanFacts(executable, environment),
    signatureFactsOf(context.root, manifestText, bundle),
  ]);
  const source = "unavailable" in executed ? null : executed.source;
  const revision = { commit: source?.commit ?? null, dirty: source === null ? null : source.differences.length > 0 };
  const offline = options.offline ?? false;
  const identity = await arriveAsDeployer(context, environment, revision, offline);
  const identityDecision = decideIdentity(identityGate.name, identity.facts, environment, backendOf(executed, environment));
  const processEnv = identity.processEnv;

  let executedPlanJson: PlanJson | null = null;
  let policy: PolicyReport | Unavailable;
  let destructions: ApplyGateInput["destructions"];
  if (!identityDecision.allowed) {
    const why = { unavailable: "not evaluated: terraform does not run as an identity the identity gate refused" };
    [policy, destructions] = [why, why];
  } else {
    const terraform = terraformForStack({ ...context, processEnv }, environment);
    try {
      await initEnvironment({ ...context, processEnv }, terraform, terraformVersion);
      executedPlanJson = parsePlanJson(await terraform.showJson(executable.file), "terraform show -json of the plan to apply");
      destructions = protectedDestructions(executedPlanJson);
      policy = await policyAtCommit(context, environment.stack, source, executedPlanJson, options.allowDestroy ?? []);
    } catch (error) {
      if (!(error instanceof InfraError)) throw error;
      const why = { unavailable: `terraform could not read the plan to apply: ${error.message}` };
      [policy, destructions] = [why, why];
    }
  }
  // Account stacks are not promoted (see applyGatesFor): no ledger is read for them.
  const promotionEntry =
    !environment.accountStack && environment.promotedFrom !== null && source?.commit && source.differences.length === 0 ? await readApplied(context.root, environment.promotedFrom, source.commit) : null;
  const input: ApplyGateInput = {
    environment,
    manifest,
    digestsOnDisk: listing.digests,
    irregularEntries: listing.irregular,
    privatePlanDigest: executable.digest,
    encryption: executable.encryption,
    previousReceipt,
    terraformVersion,
    executed,
    now: context.now(),
    identity: identity.facts,
    promotionEntry,
    approval: { typed: options.approve ?? null, ci: options.ci ?? null },
    policy,
    destructions,
    allowDestroy: [...(options.allowDestroy ?? [])],
    signature,
  };
  return { ...opened, input, processEnv, executedPlanJson };
}

/** What the executable plan says of itself, or why it cannot be read (an encrypted plan that did not decrypt). */
async function executedPlanFacts(executable: ExecutablePlan, environment: Environment): Promise<ExecutedPlanFacts | Unavailable> {
  if (executable.encryption.encrypted && executable.encryption.problem !== null) {
    return { unavailable: `the plan could not be examined: ${executable.encryption.problem}` };
  }
  try {
    const facts = await readPlanFileFacts(executable.file);
    const source = await checkPlanSource(facts.snapshot, environment.dir, environment.root, { acceptFirstRunBackend: environment.accountStack });
    return { source, backendType: facts.backendType, createdAt: facts.createdAt, terraformVersion: facts.terraformVersion };
  } catch (error) {
    if (error instanceof InfraError) return { unavailable: error.message };
    throw error;
  }
}

/** The backend the plan will use, as terraform recorded it in the plan; the HCL's reading only when that is unknown. */
function backendOf(executed: ExecutedPlanFacts | Unavailable, environment: Environment): { type: string; file: string } | null {
  if ("unavailable" in executed || executed.backendType === null) return environment.backend ?? { type: "unknown (the plan could not be read)", file: "the plan file" };
  return { type: executed.backendType, file: "recorded by terraform in the plan" };
}

/** The waivers the commit holds: a waivers file edited in the working tree waives nothing at apply. */
/**
 * The verdict plan gives, recomputed over what apply can vouch for: the rules over the HCL as
 * committed at the commit the plan proves it came from (written out privately, so the working
 * tree's edits count for nothing) and over terraform's reading of the plan to apply, with the
 * waivers that commit holds.
 */
async function policyAtCommit(
  context: WorkflowContext,
  stack: string,
  source: SourceCheck | null,
  plan: PlanJson,
  allowDestroy: readonly string[],
): Promise<PolicyReport | Unavailable> {
  if (source?.commit == null || source.repository === null) return { unavailable: "not evaluated: no commit holds the plan's configuration" };
  const rootInRepository = path.relative(source.repository.top, context.root).split(path.sep).join("/");
  if (rootInRepository.startsWith("..") || path.isAbsolute(rootInRepository)) {
    return { unavailable: `not evaluated: ${context.root} is outside the repository at ${source.repository.top}` };
  }
  const exported = await mkdtemp(path.join(tmpdir(), "infra-committed-"));
  try {
    await exportCommitted(source.repository.top, source.commit, [rootInRepository, ...source.repository.moduleDirs], exported);
    const committed = { ...context, root: path.join(exported, rootInRepository) };
    const environment = await readStack(committed.root, stack, readOptions(committed));
    const findings = mergeFindings(await staticFindings(committed, environment), planFindings({ environment, plan, allowDestroy }));
    return await reportFor(committed, environment, findings, await committedWaivers(context.root, source.commit));
  } finally {
    await rm(exported, { recursive: true, force: true });
  }
}

async function committedWaivers(root: string, commit: string | null): Promise<WaiversFile> {
  const file = path.join(root, WAIVERS_FILE);
  const repository = commit === null ? null : await openRepository(root);
  if (repository === null || repository.commit !== commit) return { file: null, waivers: [] };
  const repoFile = path.relative(repository.top, file).split(path.sep).join("/");
  return parseWaivers(`${file} (as committed at ${commit.slice(0, 12)})`, await readCommittedFile(repository, repoFile));
}

/** `infra gate`: every gate's verdict, nothing applied. */
export async function gate(context: WorkflowContext, options: GateOptions): Promise<GateResult> {
  const opened = await openBundle(context, options);
  const dataDir = terraformForStack(context, opened.environment).dataDir;
  const executable = await openExecutablePlan(opened, dataDir, options.planKey);
  try {
    const facts = await gatherGateFacts(context, opened, options, executable);
    const decisions = await evaluateGates(options.gates ?? applyGatesFor(opened.environment), facts.input, { every: true });
    return describeGates(facts, decisions);
  } finally {
    await executable.remove();
  }
}

export function describeGates(facts: GateFacts, decisions: readonly GateDecision[]): GateResult {
  return {
    env: facts.environment.name,
    bundle: facts.bundle,
    planDigest: facts.manifest.planDigest,
    allowed: decisions.every((decision) => decision.allowed),
    identity: facts.input.identity,
    decisions: decisions.map(({ gate: name, allowed, reason, refusal }) => ({ gate: name, allowed, reason, ...(refusal?.hint ? { hint: refusal.hint } : {}) })),
  };
}

/** One line per verdict, for people. */
export function renderVerdicts(decisions: GateResult["decisions"]): string {
  const width = Math.max(...decisions.map((decision) => decision.gate.length));
  return decisions
    .map(({ gate: name, allowed, reason, hint }) => `${allowed ? "passed " : "REFUSED"}  ${name.padEnd(width)}  ${reason}${!allowed && hint ? `\n         ${" ".repeat(width)}  hint: ${hint}` : ""}`)
    .join("\n");
}
