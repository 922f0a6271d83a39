import type { ChangeAction, PlanJson, ResourceChange } from "./plan-json.js";

/** One word per resource: a replace is one action here, not an add plus a destroy. */
export type ResourceAction = "add" | "change" | "destroy" | "replace" | "read" | "forget" | "no-op";

export interface ChangeCounts {
  add: number;
  change: number;
  destroy: number;
  replace: number;
}

export interface ResourceSummary {
  address: string;
  type: string;
  action: ResourceAction;
  /** Why terraform chose a replace or a delete (e.g. "replace_because_tainted"), when it says. */
  reason?: string;
}

export interface Summary {
  terraformVersion: string;
  hasChanges: boolean;
  counts: ChangeCounts;
  /** Resources with an action other than no-op, in plan order. */
  resources: ResourceSummary[];
  outputs: Array<{ name: string; action: ResourceAction }>;
}

export function classifyActions(actions: readonly ChangeAction[]): ResourceAction {
  if (actions.includes("delete") && actions.includes("create")) return "replace";
  const [first = "no-op"] = actions;
  switch (first) {
    case "create":
      return "add";
    case "update":
      return "change";
    case "delete":
      return "destroy";
    default:
      return first;
  }
}

export function summarizePlan(plan: PlanJson): Summary {
  const counts: ChangeCounts = { add: 0, change: 0, destroy: 0, replace: 0 };
  const resources = (plan.resource_changes ?? [])
    .filter((resource) => resource.mode === "managed")
    .map(toResourceSummary)
    .filter((resource) => resource.action !== "no-op");
  for (const { action } of resources) {
    if (action in counts) counts[action as keyof ChangeCounts] += 1;
  }
  const outputs = Object.entries(plan.output_changes ?? {})
    .map(([name, change]) => ({ name, action: classifyActions(change.actions) }))
    .filter((output) => output.action !== "no-op");
  return {
    terraformVersion: plan.terraform_version,
    hasChanges: resources.length > 0 || outputs.length > 0,
    counts,
    resources,
    outputs,
  };
}

function toResourceSummary(resource: ResourceChange): ResourceSummary {
  const summary: ResourceSummary = {
    address: resource.address,
    type: resource.type,
    action: classifyActions(resource.change.actions),
  };
  if (resource.action_reason) summary.reason = resource.action_reason;
  return summary;
}

export function describeCounts({ add, change, destroy, replace }: ChangeCounts): string {
  return `${add} to add, ${change} to change, ${destroy} to destroy, ${replace} to replace`;
}
