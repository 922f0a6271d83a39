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

/** The delete or replace of a protected resource type this change is, or null. */
export function protectedDestructionOf(resource: { address: string; type: string; mode: string; actions: readonly string[] }): ProtectedDestruction | null {
  const kind = PROTECTED_RESOURCE_TYPES.get(resource.type);
  if (!kind || resource.mode !== "managed" || !resource.actions.includes("delete")) return null;
  return { address: resource.address, type: resource.type, kind, action: resource.actions.length > 1 ? "replace" : "delete" };
}

/** Every delete or replace of a protected resource type the plan would make, in plan order. */
export function protectedDestructions(plan: PlanJson): ProtectedDestruction[] {
  const found: ProtectedDestruction[] = [];
  for (const resource of Array.isArray(plan.resource_changes) ? plan.resource_changes : []) {
    const actions = resource?.change?.actions;
    if (!resource || !Array.isArray(actions)) continue;
    const destruction = protectedDestructionOf({ address: resource.address, type: resource.type, mode: resource.mode, actions });
    if (destruction) found.push(destruction);
  }
  return found;
}

/** "replace module.platform.aws_eks_cluster.this (EKS cluster)", as plain text (escape for the context). */
export function describeDestruction(found: ProtectedDestruction): string {
  return `${found.action} ${found.address} (${found.kind})`;
}

/** The flag that acknowledges one destruction, quoted for a POSIX shell (for_each keys may hold quotes). */
export function allowDestroyFlag(found: ProtectedDestruction): string {
  return `--allow-destroy '${found.address.replaceAll("'", "'\\''")}'`;
}

/** The destructions not acknowledged by address (`--allow-destroy ADDRESS`). */
export function unacknowledgedDestructions(
  destructions: readonly ProtectedDestruction[],
  acknowledged: readonly string[],
): ProtectedDestruction[] {
  const allowed = new Set(acknowledged);
  return destructions.filter((destruction) => !allowed.has(destruction.address));
}
