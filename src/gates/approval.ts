import { RefusedError } from "../errors.js";
import type { ApplyGate } from "./apply-gates.js";
import { allow, refuse } from "./decision.js";

/** The first 12 hex of the plan digest: what a person types after reading the review. */
export const APPROVAL_LENGTH = 12;

/** A CI run inside a deployment environment (GitHub Actions: the job's `environment:`). */
export interface CiDeployment {
  runId: string;
  /** The deployment environment the job runs in. */
  environment: string;
  /** Who started the run (the reviewers of a protected environment approve before it starts). */
  approver: string;
  repository: string | null;
}

export interface ApprovalFacts {
  /** `--approve <hex>`, as typed. */
  typed: string | null;
  ci: CiDeployment | null;
}

/** What the receipt says about who approved. */
export type ApprovalRecord =
  | { by: "person"; digest: string }
  | { by: "ci"; runId: string; environment: string; approver: string; repository: string | null }
  | { by: "not-required" };

export function approvalDigest(planDigest: string): string {
  return planDigest.slice(0, APPROVAL_LENGTH);
}

/**
 * A protected environment applies only a plan a person approved by its digest, or a CI run in
 * the deployment environment of the same name - whose required reviewers approved the run and
 * whose OIDC trust is what let it become infra-deploy (so the identity must be verified).
 */
export const approvalGate: ApplyGate = {
  name: "approval",
  decide({ environment, manifest, approval, identity }) {
    const expected = approvalDigest(manifest.planDigest);
    const reviewHint = "read the review of this bundle (`infra review DIR` prints the digest to approve) and pass that digest";
    if (approval.typed !== null) {
      if (approval.typed.toLowerCase() !== expected) {
        return refuse(this.name, new RefusedError(`--approve ${approval.typed} approves another plan: this bundle's plan digest starts ${expected}`, reviewHint));
      }
      return allow(this.name, `approved by a person for plan ${expected}`);
    }
    if (!environment.protected) return allow(this.name, `${environment.name} is not protected: no approval needed`);
    const { ci } = approval;
    if (ci !== null) {
      if (ci.environment !== environment.name) {
        return refuse(
          this.name,
          new RefusedError(`CI run ${ci.runId} runs in deployment environment "${ci.environment}", which cannot approve ${environment.name}`, `run the job in the "${environment.name}" environment, or pass --approve`),
        );
      }
      if (identity.status !== "verified") {
        return refuse(
          this.name,
          new RefusedError(`a CI approval of ${environment.name} needs verified ${environment.name} credentials, and identity was not verified`, "run without --offline, through the environment's OIDC role"),
        );
      }
      return allow(this.name, `approved in CI: run ${ci.runId} in deployment environment ${ci.environment}, started by ${ci.approver}`);
    }
    return refuse(
      this.name,
      new RefusedError(`${environment.name} is protected: applying needs --approve <first ${APPROVAL_LENGTH} hex of the plan digest>`, reviewHint),
    );
  },
};

/** The receipt's account of who approved, from the facts the approval gate allowed on. */
export function approvalRecord(facts: ApprovalFacts, protectedEnvironment: boolean, planDigest: string): ApprovalRecord {
  if (facts.typed !== null) return { by: "person", digest: approvalDigest(planDigest) };
  if (protectedEnvironment && facts.ci !== null) return { by: "ci", ...facts.ci };
  return { by: "not-required" };
}
