import { environmentStack, type Environment } from "../config/environment.js";
import { BundleError, RefusedError, type InfraError } from "../errors.js";
import type { FileDigests } from "../bundle/digest.js";
import { BundleFile } from "../bundle/layout.js";
import type { IrregularEntry } from "../bundle/listing.js";
import type { Manifest } from "../bundle/manifest.js";
import type { Receipt } from "../bundle/receipt.js";
import { bundleIntegrity, describeIntegrity } from "./integrity.js";
import { policyGate } from "./policy-gate.js";
import { allow, refuse } from "./decision.js";
import type { IdentityFacts } from "../aws/identity.js";
import type { SourceCheck } from "../plan-source.js";
import type { PolicyReport } from "../policy/report.js";
import type { LedgerEntry } from "../ledger.js";
import type { ProtectedDestruction } from "../policy/destruction.js";
import { approvalGate, type ApprovalFacts } from "./approval.js";
import { destructionGate } from "./destruction.js";
import { freshnessGate } from "./freshness.js";
import { identityGate } from "./identity.js";
import { promotionGate } from "./promotion.js";
import type { PlanEncryptionFacts } from "../bundle/plan-encryption.js";
import type { SignatureFacts } from "../bundle/signature.js";
import { encryptionGate } from "./encryption.js";
import { readOnlyGate } from "./read-only.js";
import { signatureGate } from "./signature.js";

/** Everything a gate may look at. Gates are pure decisions over it; the IO happened before. */
export interface ApplyGateInput {
  environment: Environment;
  manifest: Manifest;
  /** sha256 of the bundle's regular files as they are on disk now. */
  digestsOnDisk: FileDigests;
  /** Bundle entries that are not regular files (symlinks, directories, devices). */
  irregularEntries: readonly IrregularEntry[];
  /** sha256 of the private copy of tfplan that apply will execute (not the bundle's file). */
  privatePlanDigest: string;
  /** Whether tfplan is encrypted at rest, and whether it decrypted with INFRA_PLAN_KEY. */
  encryption: PlanEncryptionFacts;
  previousReceipt: Receipt | null;
  terraformVersion: string;
  /** What the plan to be executed proves about itself: its configuration against HEAD, backend, age. */
  executed: ExecutedPlanFacts | Unavailable;
  now: Date;
  identity: IdentityFacts;
  /** The promotion source's ledger entry for the bundle's commit; null when none (or no source). */
  promotionEntry: LedgerEntry | null;
  approval: ApprovalFacts;
  /** The plan-stage policy verdict over `terraform show -json` of the plan to be executed, with the committed waivers. */
  policy: PolicyReport | Unavailable;
  /** Deletes and replaces of protected resource types in the plan to be executed. */
  destructions: ProtectedDestruction[] | Unavailable;
  /** Addresses acknowledged with `--allow-destroy`. */
  allowDestroy: string[];
  /** The trusted public keys, manifest.json as bytes and its signature, if any (optional signing). */
  signature: SignatureFacts;
}

/** A fact that could not be established, and why: a gate that needs it refuses with that reason. */
export interface Unavailable {
  unavailable: string;
}

/** Read from the executable plan itself (src/terraform/plan-file.ts) and checked against git (src/plan-source.ts). */
export interface ExecutedPlanFacts {
  source: SourceCheck;
  /** The backend terraform recorded in the plan, which apply will use. */
  backendType: string | null;
  /** When terraform made the plan, as the plan records it. */
  createdAt: string | null;
  terraformVersion: string | null;
}

export interface GateDecision {
  gate: string;
  allowed: boolean;
  reason: string;
  /** The error to raise when refused: its class decides the wording and the exit code. */
  refusal?: InfraError;
}

export interface ApplyGate {
  name: string;
  /** Identity and approval gates ask the outside world, so a decision may be async. */
  decide(input: ApplyGateInput): GateDecision | Promise<GateDecision>;
}

export const environmentGate: ApplyGate = {
  name: "environment",
  decide({ environment, manifest }) {
    const bundleStack = manifest.stack ?? environmentStack(manifest.env);
    // Two environments' roots differ by name already; an account stack is named as such.
    const namesStacks = manifest.stack !== undefined || environment.accountStack;
    const mismatch = [
      bundleStack !== environment.stack && namesStacks ? `stack ${bundleStack}` : "",
      manifest.env !== environment.name ? `environment ${manifest.env}` : "",
      manifest.region !== environment.region ? `region ${manifest.region}` : "",
      manifest.accountId !== environment.accountId ? `account ${manifest.accountId}` : "",
    ].filter(Boolean);
    if (mismatch.length === 0) {
      const stack = environment.accountStack ? `${environment.stack}, account stack of ` : "";
      return allow(this.name, `bundle was made for ${stack}${environment.name} (${environment.region}, ${environment.accountId})`);
    }
    return refuse(
      this.name,
      new RefusedError(
        `this bundle was made for ${mismatch.join(", ")}, not for ${namesStacks ? `${environment.stack} of ` : ""}${environment.name} (${environment.region}, account ${environment.accountId})`,
        `apply it with ${manifest.stack !== undefined ? `--stack ${manifest.stack}` : `--env ${manifest.env}`}, or make a plan for ${namesStacks ? environment.stack : environment.name} with \`infra plan ${stackOption(environment)}\``,
      ),
    );
  },
};

/** The option that names `environment` on the command line. */
export function stackOption(environment: Pick<Environment, "name" | "stack" | "accountStack">): string {
  return environment.accountStack ? `--stack ${environment.stack}` : `--env ${environment.name}`;
}

export const integrityGate: ApplyGate = {
  name: "integrity",
  decide({ manifest, digestsOnDisk, irregularEntries, privatePlanDigest }) {
    const report = bundleIntegrity(manifest, { digests: digestsOnDisk, irregular: irregularEntries });
    const hint = "never edit a bundle; make a new plan with `infra plan` and review that one";
    if (!report.ok) return refuse(this.name, new BundleError(`the plan bundle was altered: ${describeIntegrity(report)}`, hint));
    if (privatePlanDigest !== manifest.planDigest) {
      return refuse(this.name, new BundleError(`the plan bundle was altered: ${BundleFile.plan} changed while it was being checked`, hint));
    }
    return allow(this.name, `all ${Object.keys(manifest.files).length} files match their sha256; the copy of tfplan to apply is plan ${manifest.planDigest.slice(0, 12)}`);
  },
};

export const terraformVersionGate: ApplyGate = {
  name: "terraform-version",
  decide({ executed, terraformVersion }) {
    if ("unavailable" in executed) return refuse(this.name, new BundleError(executed.unavailable, "make a new plan with `infra plan`"));
    if (executed.terraformVersion === terraformVersion) return allow(this.name, `planned and applied with terraform ${terraformVersion}`);
    return refuse(
      this.name,
      new RefusedError(
        `the plan was made with terraform ${executed.terraformVersion ?? "(a version it does not record)"}, but this is terraform ${terraformVersion}`,
        "plan again with the terraform that will apply it",
      ),
    );
  },
};

export const notYetAppliedGate: ApplyGate = {
  name: "not-yet-applied",
  decide({ previousReceipt }) {
    if (previousReceipt?.outcome === "started") {
      return refuse(
        this.name,
        new RefusedError(
          `an apply of this bundle started at ${previousReceipt.startedAt} and its outcome was never recorded`,
          "wait for that apply to finish; the next `infra review` of the bundle records what terraform's log says",
        ),
      );
    }
    if (previousReceipt?.outcome !== "applied") return allow(this.name, "no earlier successful apply of this bundle");
    return refuse(
      this.name,
      new RefusedError(
        `this bundle was already applied at ${previousReceipt.finishedAt}`,
        "make a new plan for further changes",
      ),
    );
  },
};

/**
 * The gates every apply passes, in order. Identity (STS), promotion and approval gates
 * join this list; apply itself does not change.
 */
export const defaultApplyGates: readonly ApplyGate[] = [
  environmentGate,
  readOnlyGate,
  integrityGate,
  encryptionGate,
  terraformVersionGate,
  notYetAppliedGate,
  // Before policy: terraform reads the plan for policy and destructions as the identity this checks.
  identityGate,
  policyGate,
  freshnessGate,
  promotionGate,
  approvalGate,
  destructionGate,
  signatureGate,
];

/**
 * The gates of `environment`'s applies. An account stack is applied once per account in the
 * first-time order, by an administrator whose typed approval every apply needs, before the
 * ledger key that would sign its entries exists: it is not promoted through the ledger.
 */
export function applyGatesFor(environment: Pick<Environment, "accountStack">): readonly ApplyGate[] {
  return environment.accountStack ? defaultApplyGates.filter((gate) => gate !== promotionGate) : defaultApplyGates;
}

/**
 * Runs the gates in order; stops at the first refusal so its error is the one the user sees,
 * unless `every` asks for all verdicts (`infra gate`, and the receipt).
 */
export async function evaluateGates(gates: readonly ApplyGate[], input: ApplyGateInput, options: { every?: boolean } = {}): Promise<GateDecision[]> {
  const decisions: GateDecision[] = [];
  for (const gate of gates) {
    const decision = await gate.decide(input);
    decisions.push(decision);
    if (!decision.allowed && !options.every) break;
  }
  return decisions;
}

/** The error a refused gate raises: the gate's name and its reason in one line, the gate's hint. */
export function gateRefusal(decision: GateDecision): RefusedError {
  return new RefusedError(`${decision.gate} gate refused: ${decision.reason}`, decision.refusal?.hint);
}
