import { attributeChanges, PathTable, type AttributeChange, type ValueSweep } from "./diff.js";
import type { Change, ChangeAction, DriftChange, PlanJson, ResourceChange } from "./plan-json.js";

/** One word per resource: a replace is one action here, not an add plus a destroy. */
export type ResourceAction = "add" | "change" | "destroy" | "replace" | "read" | "forget" | "no-op";

export const RESOURCE_ACTIONS: readonly ResourceAction[] = ["add", "change", "destroy", "replace", "read", "forget", "no-op"];

/**
 * Per resource. `add`/`destroy` leave replaces out (a replace counts once, as a replace);
 * terraform's own "Plan:" line counts a replace as one add and one destroy (see terraformPlanLine).
 */
export interface ChangeCounts {
  add: number;
  change: number;
  destroy: number;
  replace: number;
}

/** The manifest's counts, and what else a plan does to resources. */
export interface PlanCounts extends ChangeCounts {
  import: number;
  /** Moves with no other change; terraform does not count them in its "Plan:" line. */
  move: number;
  read: number;
  forget: number;
}

export interface ResourceSummary {
  address: string;
  /** The module the resource is in, "" for the root module. */
  module: string;
  type: string;
  mode: string;
  action: ResourceAction;
  /** terraform's action list, e.g. ["create","delete"] for create-before-destroy (shared between resources, frozen). */
  actions: readonly ChangeAction[];
  /** Why terraform chose this action (e.g. "replace_because_tainted"), when it says. */
  reason?: string;
  /** The address before a `moved` block renamed it. */
  previousAddress?: string;
  /** The plan imports this resource (with this id, when the import block gives one). */
  importing?: { id?: string };
  /** A deposed object (left from a failed create-before-destroy) this change removes. */
  deposed?: string;
  /**
   * What changes inside: for an update or a replace the leaves that differ (lists element by
   * element); for a create or a read every attribute it will have (`after` only), for a destroy
   * every attribute it had (`before` only). Empty for moves, imports and forgets.
   */
  attributes: AttributeChange[];
}

/** A change made outside terraform that this plan depends on (filtered by relevant_attributes). */
export interface DriftSummary {
  address: string;
  action: ResourceAction;
  attributes: AttributeChange[];
}

export interface OutputSummary {
  name: string;
  action: ResourceAction;
  sensitive: boolean;
  /** What changes: "(whole value)" for a string or number, one line per changed leaf of a map or list. */
  attributes: AttributeChange[];
}

export interface DeferredSummary {
  address: string;
  action: ResourceAction;
  reason: string;
}

export interface CheckSummary {
  address: string;
  kind: string;
  status: string;
  problems: string[];
}

export interface Summary {
  /** null when the document does not say (terraform's own test data strips it). */
  terraformVersion: string | null;
  formatVersion: string;
  hasChanges: boolean;
  /** The plan failed part-way: what it lists is not everything that would change. */
  errored: boolean;
  /** false when some changes were deferred to a later plan; null when the document does not say. */
  complete: boolean | null;
  counts: PlanCounts;
  /** Everything terraform shows under "will be", in plan order: changes, imports, moves, reads. */
  resources: ResourceSummary[];
  drift: DriftSummary[];
  outputs: OutputSummary[];
  deferred: DeferredSummary[];
  checks: CheckSummary[];
}

export function emptyCounts(): PlanCounts {
  return { add: 0, change: 0, destroy: 0, replace: 0, import: 0, move: 0, read: 0, forget: 0 };
}

export function classifyActions(actions: readonly ChangeAction[]): ResourceAction {
  if (actions.includes("delete") && actions.includes("create")) return "replace";
  if (actions.includes("forget")) return "forget";
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

/** Actions that delete something: listed first, under a warning. */
export function isDestructive(action: ResourceAction): boolean {
  return action === "destroy" || action === "replace";
}

/**
 * The parts of a plan document its summary reads. The rest (planned values, prior state,
 * configuration, variables) is often half of a large document and matters to the review only
 * through the sweep, which has read it before the summary is made.
 */
const SUMMARIZED_FIELDS = [
  "format_version",
  "terraform_version",
  "resource_changes",
  "resource_drift",
  "relevant_attributes",
  "output_changes",
  "deferred_changes",
  "checks",
  "errored",
  "complete",
  "applyable",
] as const;

export type PlanChanges = Pick<PlanJson, (typeof SUMMARIZED_FIELDS)[number]>;

/** A new object holding only the parts summarizePlan reads, so the rest of `plan` can be collected before the summary is made. */
export function changesOf(plan: PlanJson): PlanChanges {
  const changes: Partial<Record<(typeof SUMMARIZED_FIELDS)[number], unknown>> = {};
  for (const field of SUMMARIZED_FIELDS) if (Object.hasOwn(plan, field)) changes[field] = plan[field];
  return changes as PlanChanges;
}

/**
 * The review of a plan. `sweep` is the redaction's: every value shown is masked where terraform
 * marks it and swept of copies of what it marks elsewhere.
 */
export function summarizePlan(plan: PlanChanges, sweep: ValueSweep): Summary {
  const counts = emptyCounts();
  const resources: ResourceSummary[] = [];
  const paths = new PathTable();
  for (const resource of plan.resource_changes ?? []) {
    const summary = toResourceSummary(resource, sweep, paths);
    if (!summary) continue;
    resources.push(summary);
    if (summary.importing) counts.import += 1;
    if (summary.previousAddress && summary.action === "no-op") counts.move += 1;
    if (summary.action !== "no-op") counts[summary.action] += 1;
  }
  const outputs = Object.entries(plan.output_changes ?? {})
    .map(([name, change]) => toOutputSummary(name, change, sweep))
    .filter((output) => output.action !== "no-op");
  const drift = relevantDrift(plan).map((resource) => ({
    address: driftAddress(resource),
    action: classifyActions(resource.change.actions),
    attributes: attributeChanges(resource.change, sweep, paths),
  }));
  const deferred = (plan.deferred_changes ?? []).map((entry) => ({
    address: entry.resource_change.address,
    action: classifyActions(entry.resource_change.change.actions),
    reason: entry.reason,
  }));
  const checks = (plan.checks ?? []).map((check) => ({
    address: check.address.to_display,
    kind: check.address.kind ?? "check",
    status: check.status,
    problems: (check.instances ?? []).flatMap((instance) => (instance.problems ?? []).map((problem) => `${instance.address.to_display}: ${sweep.sweepValue(problem.message)}`)),
  }));
  const errored = plan.errored === true;
  return {
    terraformVersion: plan.terraform_version ?? null,
    formatVersion: plan.format_version,
    hasChanges: resources.length > 0 || outputs.length > 0 || (plan.applyable === true && drift.length > 0),
    errored,
    complete: typeof plan.complete === "boolean" ? plan.complete : null,
    counts,
    resources,
    drift,
    outputs,
    deferred,
    checks,
  };
}

/**
 * What terraform's human plan lists (internal/command/jsonformat/plan.go): every change but a
 * no-op, and a no-op too when it moves or imports; never a data source's delete.
 */
function toResourceSummary(resource: ResourceChange, sweep: ValueSweep, paths: PathTable): ResourceSummary | undefined {
  const { change } = resource;
  const action = classifyActions(change.actions);
  const moved = resource.previous_address !== undefined && resource.previous_address !== resource.address;
  const importing = change.importing ?? undefined;
  if (action === "no-op" && !moved && !importing) return undefined;
  if (resource.mode !== "managed" && change.actions.includes("delete")) return undefined;
  const summary: ResourceSummary = {
    address: resource.address,
    module: resource.module_address ?? "",
    type: resource.type,
    mode: resource.mode,
    action,
    actions: sharedActionList(change.actions),
    attributes: action === "no-op" || action === "forget" ? [] : attributeChanges(change, sweep, paths),
  };
  if (resource.action_reason) summary.reason = resource.action_reason;
  if (moved) summary.previousAddress = resource.previous_address as string;
  if (importing) summary.importing = typeof importing.id === "string" ? { id: sweep.sweepValue(importing.id) } : {};
  if (resource.deposed) summary.deposed = resource.deposed;
  return summary;
}

/** One frozen copy of each action list (terraform writes nine): a plan's thousands of resources share them. */
const ACTION_LISTS = new Map<string, readonly ChangeAction[]>();

function sharedActionList(actions: readonly ChangeAction[]): readonly ChangeAction[] {
  const key = actions.join(",");
  let shared = ACTION_LISTS.get(key);
  if (!shared) ACTION_LISTS.set(key, (shared = Object.freeze([...actions])));
  return shared;
}

function toOutputSummary(name: string, change: Change, sweep: ValueSweep): OutputSummary {
  return {
    name,
    action: classifyActions(change.actions),
    sensitive: change.before_sensitive === true || change.after_sensitive === true,
    attributes: attributeChanges(change, sweep),
  };
}

/**
 * Drift terraform shows: with `relevant_attributes` (terraform 1.2+), only resources whose
 * outside change this plan depends on; without it, every drifted resource.
 */
function relevantDrift(plan: PlanChanges): DriftChange[] {
  const drift = (plan.resource_drift ?? []).filter((resource) => classifyActions(resource.change.actions) !== "no-op");
  if (!plan.relevant_attributes) return drift;
  const relevant = new Set(plan.relevant_attributes.map((entry) => entry.resource));
  return drift.filter((resource) => relevant.has(driftAddress(resource)));
}

/** terraform 1.0.0 left `address` out of drift entries; it is rebuilt as terraform writes it. */
function driftAddress(resource: DriftChange): string {
  if (resource.address) return resource.address;
  const base = `${resource.module_address ? `${resource.module_address}.` : ""}${resource.mode === "data" ? "data." : ""}${resource.type}.${resource.name}`;
  if (resource.index === undefined || resource.index === null) return base;
  return `${base}[${typeof resource.index === "number" ? resource.index : JSON.stringify(String(resource.index))}]`;
}

/** Exactly terraform's "Plan: ..." line: a replace is one to add and one to destroy there. */
export function terraformPlanLine(counts: PlanCounts): string {
  const add = counts.add + counts.replace;
  const destroy = counts.destroy + counts.replace;
  const parts = [`${add} to add`, `${counts.change} to change`, `${destroy} to destroy`];
  if (counts.import > 0) parts.unshift(`${counts.import} to import`);
  if (counts.forget > 0) parts.push(`${counts.forget} to forget`);
  return `Plan: ${parts.join(", ")}.`;
}

/** Per resource, as reviewers count: a replace once. */
export function describeCounts(counts: ChangeCounts & Partial<PlanCounts>): string {
  const parts = [`${counts.add} to add`, `${counts.change} to change`, `${counts.destroy} to destroy`, `${counts.replace} to replace`];
  for (const [key, label] of [
    ["import", "to import"],
    ["move", "moved"],
    ["forget", "to forget"],
    ["read", "to read"],
  ] as const) {
    const count = counts[key] ?? 0;
    if (count > 0) parts.push(`${count} ${label}`);
  }
  return parts.join(", ");
}
