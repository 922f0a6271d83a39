import type { PlanJson } from "../review/plan-json.js";

/**
 * Resource types whose loss breaks a promise of the compliance page or loses what cannot be
 * recreated: a cluster, a registry and its images, an account, a key (and all it encrypted),
 * the state bucket. Deleting or replacing one needs an acknowledgement for its address.
 */
export const PROTECTED_RESOURCE_TYPES: ReadonlyMap<string, string> = new Map([
  ["aws_eks_cluster", "EKS cluster"],
  ["aws_ecr_repository", "ECR repository"],
  ["aws_organizations_account", "AWS account"],
  ["aws_kms_key", "KMS key"],
  ["aws_s3_bucket", "S3 bucket (the state bucket among them)"],
]);

export interface ProtectedDestruction {
  address: string;
  type: string;
  /** What kind of thing it is, in words. */
  kind: string;
  action: "delete" | "replace";
}

/** Every delete or replace of a protected resource type the plan would make, in plan order. */
export function protectedDestructions(plan: PlanJson): ProtectedDestruction[] {
  const found: ProtectedDestruction[] = [];
  for (const resource of Array.isArray(plan.resource_changes) ? plan.resource_changes : []) {
    const kind = PROTECTED_RESOURCE_TYPES.get(resource?.type);
    const actions = resource?.change?.actions;
    if (!kind || resource.mode !== "managed" || !Array.isArray(actions) || !actions.includes("delete")) continue;
    found.push({ address: resource.address, type: resource.type, kind, action: actions.length > 1 ? "replace" : "delete" });
  }
  return found;
}

/** The destructions not acknowledged by address (`--allow-destroy ADDRESS`). */
export function unacknowledgedDestructions(
  destructions: readonly ProtectedDestruction[],
  acknowledged: readonly string[],
): ProtectedDestruction[] {
  const allowed = new Set(acknowledged);
  return destructions.filter((destruction) => !allowed.has(destruction.address));
}
