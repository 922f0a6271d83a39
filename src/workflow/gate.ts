import path from "node:path";
import type { IdentityFacts } from "../aws/identity.js";
import type { Environment } from "../config/environment.js";
import { BundleError } from "../errors.js";
import { sha256File } from "../bundle/digest.js";
import { BundleFile, UNDIGESTED_FILES } from "../bundle/layout.js";
import { listBundle } from "../bundle/listing.js";
import { readBundleText } from "../bundle/read.js";
import { openPlan, type PlanEncryptionFacts } from "../bundle/plan-encryption.js";
import { readSignatureFacts } from "../bundle/signature.js";
import { readBundleManifest, type Manifest } from "../bundle/manifest.js";
import { readReceipt } from "../bundle/receipt.js";
import { defaultApplyGates, evaluateGates, type ApplyGate, type ApplyGateInput, type GateDecision } from "../gates/apply-gates.js";
import type { CiDeployment } from "../gates/approval.js";
import { readRevision } from "../git.js";
import { readApplied } from "../ledger.js";
import { protectedDestructions } from "../policy/destruction.js";
import { parsePlanJson, type PlanJson } from "../review/plan-json.js";
import { openEnvironment, type WorkflowContext } from "./context.js";
import { arriveAsDeployer } from "./identity.js";

/** What a person or CI passes to the gates of one apply. */
export interface GateOptions {
  env: string;
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
  environment: Environment;
  terraformVersion: string;
}

export interface GateFacts extends OpenedBundle {
  input: ApplyGateInput;
  /** The environment terraform runs with: the deploy role's temporary credentials once assumed. */
  processEnv: NodeJS.ProcessEnv;
}

export interface GateResult {
  env: string;
  bundle: string;
  planDigest: string;
  allowed: boolean;
  identity: IdentityFacts;
  decisions: Array<Omit<GateDecision, "refusal"> & { hint?: string }>;
}

export async function openBundle(context: WorkflowContext, options: Pick<GateOptions, "env" | "bundle">): Promise<OpenedBundle> {
  const bundle = path.resolve(options.bundle);
  const manifest = await readBundleManifest(bundle);
  const { terraformVersion, environment } = await openEnvironment(context, options.env);
  return { bundle, manifest, environment, terraformVersion };
}

/**
 * Every fact the gates decide over, gathered once: the bundle's files, git, the ledger, STS.
 * `executable` is the tfplan that would be executed (apply's private copy): its sha256 and whether
 * it is encrypted and decrypts.
 */
export async function gatherGateFacts(
  context: WorkflowContext,
  opened: OpenedBundle,
  options: GateOptions,
  executable: { digest: string; encryption: PlanEncryptionFacts },
): Promise<GateFacts> {
  const { bundle, manifest, environment, terraformVersion } = opened;
  const [listing, previousReceipt, checkout, planJson, signature] = await Promise.all([
    listBundle(bundle, UNDIGESTED_FILES),
    readReceipt(bundle),
    readRevision(context.root),
    readPlanJson(bundle),
    readSignatureFacts(context.root, bundle),
  ]);
  const identity = await arriveAsDeployer(context, environment, { commit: manifest.commit, dirty: manifest.dirty }, options.offline ?? false);
  const promotionEntry =
    environment.promotedFrom !== null && manifest.commit !== null ? await readApplied(context.root, environment.promotedFrom, manifest.commit) : null;
  const input: ApplyGateInput = {
    environment,
    manifest,
    digestsOnDisk: listing.digests,
    irregularEntries: listing.irregular,
    privatePlanDigest: executable.digest,
    encryption: executable.encryption,
    previousReceipt,
    terraformVersion,
    checkout,
    now: context.now(),
    identity: identity.facts,
    promotionEntry,
    approval: { typed: options.approve ?? null, ci: options.ci ?? null },
    destructions: protectedDestructions(planJson),
    allowDestroy: [...(options.allowDestroy ?? [])],
    signature,
  };
  return { ...opened, input, processEnv: identity.processEnv };
}

/** `infra gate`: every gate's verdict, nothing applied. */
export async function gate(context: WorkflowContext, options: GateOptions): Promise<GateResult> {
  const opened = await openBundle(context, options);
  // Nothing is executed here, so the bundle's own tfplan stands for the copy apply would make.
  const planFile = path.join(opened.bundle, BundleFile.plan);
  const [digest, encryption] = await Promise.all([sha256File(planFile), openPlan(opened.manifest, planFile, options.planKey)]);
  const facts = await gatherGateFacts(context, opened, options, { digest, encryption });
  const decisions = await evaluateGates(options.gates ?? defaultApplyGates, facts.input, { every: true });
  return describeGates(facts, decisions);
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

/** The bundle's plan.redacted.json, which the destruction gate and the review read. */
export async function readPlanJson(bundle: string): Promise<PlanJson> {
  const text = await readBundleText(bundle, BundleFile.redactedJson);
  if (text === null) throw new BundleError(`plan bundle ${bundle} has no regular file ${BundleFile.redactedJson}`, "make a complete bundle with `infra plan`");
  return parsePlanJson(text, path.join(bundle, BundleFile.redactedJson));
}
