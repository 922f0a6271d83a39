import { DEPLOY_ROLE_NAME, parseAssumedRoleArn } from "../aws/credential-chain.js";
import type { IdentityFacts } from "../aws/identity.js";
import type { Environment } from "../config/environment.js";
import { RefusedError } from "../errors.js";
import type { ApplyGate } from "./apply-gates.js";
import { allow, refuse } from "./decision.js";

/** The first 12 hex of the plan digest: what a person types after reading the review. */
export const APPROVAL_LENGTH = 12;

/**
 * A CI run inside a deployment environment (GitHub Actions: the job's `environment:`), as its
 * variables describe it. Anyone can set them, so they only describe the run in the receipt; what
 * approves is the identity AWS verified (see approvalGate).
 */
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
 * the deployment environment of the same name - whose required reviewers approved the run, and
 * whose job alone AWS lets become the environment's infra-deploy: in a protected environment that
 * role trusts only GitHub's OIDC subject of the deployment environment. So a CI approval needs
 * the caller, as AWS's own STS endpoint verified it, to be that role itself - never a session
 * infra assumed from another principal, never an answer from an endpoint the caller chose.
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
    if (environment.accountStack) {
      return refuse(
        this.name,
        new RefusedError(
          `${environment.stack} is an account stack: every apply of it needs a person's --approve <first ${APPROVAL_LENGTH} hex of the plan digest>, in CI too`,
          reviewHint,
        ),
      );
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
      const checked = checkCiIdentity(environment, identity);
      if ("problem" in checked) {
        return refuse(
          this.name,
          new RefusedError(checked.problem, `pass --approve <digest> where your credentials may apply ${environment.name} (break-glass), or let the GitHub job of the "${environment.name}" deployment environment apply it`),
        );
      }
      return allow(this.name, `approved in CI: run ${ci.runId} in deployment environment ${ci.environment}, started by ${ci.approver}, as ${checked.principalArn} (answered by ${checked.endpoint})`);
    }
    return refuse(
      this.name,
      new RefusedError(`${environment.name} is protected: applying needs --approve <first ${APPROVAL_LENGTH} hex of the plan digest>`, reviewHint),
    );
  },
};

/** The verified principal a CI approval of `environment` stands on, or why the identity cannot stand for one. */
function checkCiIdentity(environment: Pick<Environment, "name" | "accountId">, identity: IdentityFacts): { principalArn: string; endpoint: string } | { problem: string } {
  const name = environment.name;
  const problem = (text: string) => ({ problem: text });
  if (identity.status !== "verified") return problem(`a CI approval of ${name} needs verified ${name} credentials, and identity was not verified`);
  const caller = parseAssumedRoleArn(identity.caller.arn);
  if (identity.assumed || caller?.roleName !== DEPLOY_ROLE_NAME || caller.account !== environment.accountId) {
    const how = identity.assumed ? `, from which infra itself assumed ${DEPLOY_ROLE_NAME}` : "";
    return problem(`a CI approval of ${name} needs the caller to be ${name}'s ${DEPLOY_ROLE_NAME} reached through GitHub's OIDC, but the credentials are ${identity.caller.arn}${how}`);
  }
  if (identity.stsEndpoint.chosenBy !== "aws") {
    return problem(`a CI approval of ${name} needs the identity answered by AWS's own STS endpoint, but ${identity.stsEndpoint.url} answered (chosen by ${identity.stsEndpoint.via})`);
  }
  return { principalArn: identity.principalArn, endpoint: identity.stsEndpoint.url };
}

/** The receipt's account of who approved, from the facts the approval gate allowed on. */
export function approvalRecord(facts: ApprovalFacts, protectedEnvironment: boolean, planDigest: string): ApprovalRecord {
  if (facts.typed !== null) return { by: "person", digest: approvalDigest(planDigest) };
  if (protectedEnvironment && facts.ci !== null) return { by: "ci", ...facts.ci };
  return { by: "not-required" };
}
