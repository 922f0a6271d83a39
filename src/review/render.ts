import { allowDestroyFlag, describeDestruction, protectedDestructionOf, type ProtectedDestruction } from "../policy/destruction.js";
import type { AttributeChange } from "./diff.js";
import { markdownCode, markdownFence, markdownHtml, markdownText, visible } from "./escape.js";
import {
  describeCounts,
  isDestructive,
  terraformPlanLine,
  type ResourceAction,
  type ResourceSummary,
  type Summary,
} from "./summary.js";

/** What the rendered summary says about where the plan came from. */
export interface PlanHeader {
  env: string;
  /** The account stack planned (bootstrap/dev, org); absent for an environment's own root, envs/<env>. */
  stack?: string;
  region: string;
  accountId: string;
  commit: string | null;
  dirty: boolean | null;
  createdAt: string;
}

/** A PR comment and a job summary both cap near 65,536 characters; stay well under. */
export const MARKDOWN_LIMIT = 60_000;

export const SYMBOL: Record<ResourceAction, string> = {
  add: "+",
  change: "~",
  destroy: "-",
  replace: "-/+",
  read: "<=",
  forget: ".",
  "no-op": " ",
};

const WORD: Record<ResourceAction, string> = {
  add: "create",
  change: "update",
  destroy: "destroy",
  replace: "replace",
  read: "read",
  forget: "forget",
  "no-op": "no change",
};

export interface RenderOptions {
  /** Where to point readers for the full review (report.html in a bundle); omitted when there is none. */
  fullReport?: string;
  /** Terminal: show each resource's attribute changes. */
  detail?: boolean;
}

export function describeSource({ commit, dirty }: Pick<PlanHeader, "commit" | "dirty">): string {
  if (!commit) return "not a git checkout";
  return `${commit.slice(0, 12)}${dirty ? " (with uncommitted changes)" : ""}`;
}

/** The order a reviewer reads: root module first, then modules by name; destructive first within each. */
export function groupByModule(resources: readonly ResourceSummary[]): Array<{ module: string; resources: ResourceSummary[] }> {
  const groups = new Map<string, ResourceSummary[]>();
  for (const resource of resources) {
    const list = groups.get(resource.module);
    if (list) list.push(resource);
    else groups.set(resource.module, [resource]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0))
    .map(([module, list]) => ({
      module,
      resources: [...list.filter((resource) => isDestructive(resource.action)), ...list.filter((resource) => !isDestructive(resource.action))],
    }));
}

/** Notes after an address: why, moved from where, imported, deposed. Plain text; escape for the context. */
export function resourceNotes(resource: ResourceSummary): string[] {
  const notes: string[] = [];
  if (resource.actions.length === 2 && resource.action === "replace") {
    notes.push(resource.actions[0] === "create" ? "create before destroy" : "destroy before create");
  }
  if (resource.reason) notes.push(describeReason(resource));
  if (resource.previousAddress) notes.push(`moved from ${resource.previousAddress}`);
  if (resource.importing) notes.push(resource.importing.id !== undefined ? `import id ${JSON.stringify(resource.importing.id)}` : "imported");
  if (resource.deposed) notes.push(`deposed object ${resource.deposed}`);
  const forcing = resource.attributes.filter((attribute) => attribute.forcesReplacement).map((attribute) => attribute.path);
  if (forcing.length > 0) notes.push(`forces replacement: ${forcing.join(", ")}`);
  return notes;
}

/**
 * Why terraform chose the action, in the words `terraform show` prints under the address
 * (internal/command/jsonformat/plan.go, resourceChangeComment); a code it does not know as is.
 */
export function describeReason(resource: Pick<ResourceSummary, "reason" | "address" | "module" | "previousAddress">): string {
  const { reason = "", address, module } = resource;
  const local = module && address.startsWith(`${module}.`) ? address.slice(module.length + 1) : address;
  const index = /(\[[^\]]*\]|\["(?:[^"\\]|\\.)*"\])$/.exec(local)?.[0];
  const withoutIndex = index ? local.slice(0, -index.length) : local;
  switch (reason) {
    case "replace_because_tainted":
      return "is tainted, so must be replaced";
    case "replace_because_cannot_update":
      return "must be replaced";
    case "replace_by_request":
      return "will be replaced, as requested";
    case "replace_by_triggers":
      return "will be replaced due to changes in replace_triggered_by";
    case "delete_because_no_resource_config":
      return `because ${withoutIndex.replace(/^data\./, "")} is not in configuration`;
    case "delete_because_no_move_target":
      return `because ${resource.previousAddress ?? "it"} was moved to ${address}, which is not in configuration`;
    case "delete_because_no_module":
      return `because ${module || "its module"} is not in configuration`;
    case "delete_because_wrong_repetition":
      if (!index) return "because resource uses count or for_each";
      return index.startsWith('["') ? "because resource does not use for_each" : "because resource does not use count";
    case "delete_because_count_index":
      return `because index ${index ?? "[?]"} is out of range for count`;
    case "delete_because_each_key":
      return `because key ${index ?? "[?]"} is not in for_each map`;
    case "read_because_config_unknown":
      return "config refers to values not yet known";
    case "read_because_dependency_pending":
      return "depends on a resource or a module with changes pending";
    case "read_because_check_nested":
      return "config will be reloaded to verify a check block";
    default:
      return reason;
  }
}

/** A resource's action as a label: "import" for an import-only no-op, "move" for a move-only one. */
export function actionLabel(resource: ResourceSummary): string {
  if (resource.action !== "no-op") return WORD[resource.action];
  return resource.importing ? "import" : "move";
}

export function describeAttribute(attribute: AttributeChange): string {
  if (attribute.unchanged !== undefined) return `  ${attribute.path}: # (${describeUnchanged(attribute.unchanged)})`;
  if (attribute.movedTo !== undefined) return `~ ${attribute.path} = ${attribute.before ?? "null"}  # same element, moved to ${attribute.movedTo}`;
  const mark = attribute.forcesReplacement ? "  # forces replacement" : "";
  if (attribute.before === undefined) return `+ ${attribute.path} = ${attribute.after ?? "null"}${mark}`;
  if (attribute.after === undefined) return `- ${attribute.path} = ${attribute.before}${mark}`;
  return `~ ${attribute.path}: ${attribute.before} -> ${attribute.after}${mark}`;
}

/** terraform's words for the elements of a list it does not show. */
export function describeUnchanged(count: number): string {
  return `${count} unchanged element${count === 1 ? "" : "s"} hidden`;
}

/**
 * How the per-resource counts relate to terraform's "Plan:" line, said where they differ: a
 * replace is one resource here and one add plus one destroy there.
 */
export function countsLabel(summary: Summary): string {
  const { replace } = summary.counts;
  if (replace === 0) return "Per resource";
  return `Per resource (terraform's Plan: line counts ${replace === 1 ? "the replace" : `each of the ${replace} replaces`} as one add and one destroy)`;
}

export function headline(summary: Summary): string {
  if (summary.errored) return "Planning FAILED: terraform stopped part-way; this is not everything that would change.";
  if (!summary.hasChanges) return "No changes. The infrastructure matches the configuration.";
  return terraformPlanLine(summary.counts);
}

export function titleText(header: PlanHeader | null): string {
  return header ? `Plan for ${header.stack !== undefined ? `account stack ${header.stack} of ` : ""}${header.env} (${header.region}, account ${header.accountId})` : "Plan review";
}

function sourceText(summary: Summary, header: PlanHeader | null): string {
  const terraform = `terraform ${summary.terraformVersion ?? "(version not recorded)"}`;
  return header ? `Source: ${describeSource(header)}    made ${header.createdAt} with ${terraform}` : `Made with ${terraform}`;
}

/**
 * Deletes and replaces of what cannot be recreated (policy/destruction.ts): apply refuses each
 * until `--allow-destroy ADDRESS` names it, so every format lists them before anything else.
 */
export function protectedDestructionsIn(summary: Summary): ProtectedDestruction[] {
  return summary.resources.flatMap((resource) => protectedDestructionOf(resource) ?? []);
}

/** Warnings a reviewer must not miss, as plain text (escape for the context). */
export function warnings(summary: Summary): string[] {
  const list: string[] = [];
  if (summary.errored) list.push("terraform reported errors while planning: the plan is incomplete and cannot be applied");
  if (summary.complete === false || summary.deferred.length > 0) list.push(`${summary.deferred.length} change(s) deferred to a later plan: applying this one is not the end`);
  const failing = summary.checks.filter((check) => check.status !== "pass");
  if (failing.length > 0) list.push(`${failing.length} check(s) not passing`);
  if (summary.drift.length > 0) list.push(`${summary.drift.length} resource(s) changed outside terraform`);
  return list;
}

export function renderText(summary: Summary, header: PlanHeader | null, options: RenderOptions = {}): string {
  const protectedLines = protectedDestructionsIn(summary).map((found) => visible(`!! ${describeDestruction(found)}: apply needs ${allowDestroyFlag(found)}`));
  const lines = [...protectedLines, ...(protectedLines.length > 0 ? [""] : []), visible(titleText(header)), visible(sourceText(summary, header)), "", headline(summary)];
  if (summary.hasChanges) lines.push(`${countsLabel(summary)}: ${describeCounts(summary.counts)}`);
  for (const warning of warnings(summary)) lines.push(`WARNING: ${warning}`);
  const destructive = summary.resources.filter((resource) => isDestructive(resource.action));
  if (destructive.length > 0) {
    lines.push("", `DESTRUCTIVE: ${destructive.length} resource(s) will be destroyed or replaced:`);
    for (const resource of destructive) lines.push(`  ${resourceLine(resource)}`);
  }
  for (const group of groupByModule(summary.resources)) {
    lines.push("", group.module === "" ? "Root module:" : `${visible(group.module)}:`);
    for (const resource of group.resources) {
      lines.push(`  ${resourceLine(resource)}`);
      if (options.detail) for (const attribute of resource.attributes) lines.push(`        ${visible(describeAttribute(attribute))}`);
    }
  }
  if (summary.drift.length > 0) {
    lines.push("", "Changed outside terraform:");
    for (const drift of summary.drift) {
      lines.push(`  ${SYMBOL[drift.action].padEnd(3)} ${visible(drift.address)}`);
      if (options.detail) for (const attribute of drift.attributes) lines.push(`        ${visible(describeAttribute(attribute))}`);
    }
  }
  if (summary.outputs.length > 0) {
    lines.push("", "Outputs:");
    for (const output of summary.outputs) {
      lines.push(`  ${SYMBOL[output.action].padEnd(3)} output.${visible(output.name)}`);
      if (options.detail) for (const attribute of output.attributes) lines.push(`        ${visible(describeAttribute(attribute))}`);
    }
  }
  if (summary.deferred.length > 0) {
    lines.push("", "Deferred:");
    for (const deferred of summary.deferred) lines.push(`  ${SYMBOL[deferred.action].padEnd(3)} ${visible(deferred.address)}  (${visible(deferred.reason)})`);
  }
  const failing = summary.checks.filter((check) => check.status !== "pass");
  if (failing.length > 0) {
    lines.push("", "Checks not passing:");
    for (const check of failing) {
      lines.push(`  ${visible(check.status)}: ${visible(check.address)}`);
      for (const problem of check.problems) lines.push(`      ${visible(problem)}`);
    }
  }
  if (!options.detail && summary.resources.some((resource) => resource.attributes.length > 0)) {
    lines.push("", "Attribute changes: infra review --detail");
  }
  return `${lines.join("\n")}\n`;
}

function resourceLine(resource: ResourceSummary): string {
  const symbol = resource.action === "no-op" ? (resource.importing ? "<-" : "->") : SYMBOL[resource.action];
  const notes = resourceNotes(resource);
  return `${symbol.padEnd(3)} ${visible(resource.address)}${notes.length > 0 ? `  (${visible(notes.join("; "))})` : ""}`;
}

/**
 * summary.md: headline, warnings and every destructive change first (always in full unless they
 * alone pass the limit), then the rest grouped by module, then per-resource attribute blocks, as
 * many as fit under MARKDOWN_LIMIT.
 */
export function renderMarkdown(summary: Summary, header: PlanHeader | null, options: RenderOptions = {}): string {
  const budget = new Budget(MARKDOWN_LIMIT - 2_000);
  const version = shorten(summary.terraformVersion ?? "unknown", 64);
  const title = header
    ? `### Plan for ${header.stack !== undefined ? `account stack ${markdownCode(header.stack)} of ` : ""}${markdownCode(header.env)} (${markdownText(header.region)}, account ${markdownText(header.accountId)})`
    : "### Plan review";
  const source = header
    ? `Source: ${markdownText(describeSource(header))} · terraform ${markdownCode(version)} · ${markdownText(header.createdAt)}`
    : `terraform ${markdownCode(version)}`;
  budget.force([title, "", source, "", `**${markdownText(headline(summary))}**`]);
  if (summary.hasChanges) budget.add([`${markdownText(countsLabel(summary))}: ${markdownText(describeCounts(summary.counts))}`]);
  // In a quote, lines with no blank `>` line between them are one paragraph: each warning is its own.
  const alerts = warnings(summary).flatMap((warning, index) => [...(index > 0 ? [">"] : []), `> ${markdownText(warning)}`]);
  const destructive = summary.resources.filter((resource) => isDestructive(resource.action));
  if (destructive.length > 0) alerts.push(...(alerts.length > 0 ? [">"] : []), `> **${destructive.length} resource(s) will be destroyed or replaced:**`);
  const protectedDestructions = protectedDestructionsIn(summary);
  if (protectedDestructions.length > 0) {
    // Like the counts, these are never cut: each one blocks the apply until it is acknowledged.
    budget.force([
      "",
      "> [!CAUTION]",
      `> **${protectedDestructions.length} protected resource(s) will be deleted or replaced; apply refuses each until \`--allow-destroy ADDRESS\` names it:**`,
      ...protectedDestructions.map((found) => `> - ${markdownText(found.action)} ${markdownCode(found.address)} (${markdownText(found.kind)})`),
    ]);
  }
  if (alerts.length > 0) {
    budget.add(["", "> [!WARNING]", ...alerts]);
    const shown = budget.addEach(destructive, (resource) => `> - ${markdownText(actionLabel(resource))} ${markdownCode(resource.address)}${notesMarkdown(resource)}`);
    if (shown < destructive.length) budget.force([`> - …and ${destructive.length - shown} more destructive changes${moreWhere(options)}`]);
  }
  const rows = groupByModule(summary.resources).flatMap((group) => group.resources);
  if (rows.length > 0) {
    budget.add(["", "| action | address | module | notes |", "| --- | --- | --- | --- |"]);
    const shown = budget.addEach(
      rows,
      (resource) =>
        `| ${markdownText(actionLabel(resource))} | ${markdownCode(resource.address, { inTable: true })} | ${resource.module === "" ? "(root)" : markdownCode(resource.module, { inTable: true })} | ${markdownText(resourceNotes(resource).join("; ")).replaceAll("|", "\\|")} |`,
    );
    if (shown < rows.length) budget.force(["", `…and ${rows.length - shown} more${moreWhere(options)}`]);
  }
  // What changes in place first, in plan order; then what is created, read or destroyed whole,
  // smallest first, so a few huge resources do not crowd out the many small ones.
  const changing = summary.resources.filter((resource) => resource.attributes.length > 0 && !wholeValues(resource));
  const whole = summary.resources.filter((resource) => resource.attributes.length > 0 && wholeValues(resource));
  const blocks = [...changing, ...whole.sort((a, b) => a.attributes.length - b.attributes.length)];
  if (blocks.length > 0) {
    budget.add(["", "#### What changes inside each resource", ""]);
    const shown = budget.addEach(blocks, (resource) => attributeBlock(`${actionLabel(resource)} ${resource.address}`, resource.attributes));
    if (shown < blocks.length) budget.force([`…attribute changes of ${blocks.length - shown} more resource(s)${moreWhere(options)}`]);
  }
  const sections: Array<[string, string[]]> = [
    ["Changed outside terraform", summary.drift.map((drift) => attributeBlock(`${WORD[drift.action]} ${drift.address}`, drift.attributes))],
    ["Outputs", summary.outputs.map((output) => attributeBlock(`${WORD[output.action]} output ${output.name}`, output.attributes))],
    ["Deferred to a later plan", summary.deferred.map((deferred) => `- ${markdownText(WORD[deferred.action])} ${markdownCode(deferred.address)} (${markdownText(deferred.reason)})`)],
    [
      "Checks not passing",
      summary.checks
        .filter((check) => check.status !== "pass")
        .map((check) => `- ${markdownText(check.status)}: ${markdownCode(check.address)}${check.problems.map((problem) => ` — ${markdownText(problem)}`).join("")}`),
    ],
  ];
  for (const [heading, items] of sections) {
    if (items.length === 0) continue;
    budget.add(["", `#### ${heading}`, ""]);
    const shown = budget.addEach(items, (item) => item);
    if (shown < items.length) budget.force([`…and ${items.length - shown} more${moreWhere(options)}`]);
  }
  if (options.fullReport) budget.force(["", `Full review with every attribute: ${markdownText(options.fullReport)}`]);
  return `${budget.text()}\n`;
}

function shorten(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

function notesMarkdown(resource: ResourceSummary): string {
  const notes = resourceNotes(resource);
  return notes.length > 0 ? ` (${markdownText(notes.join("; "))})` : "";
}

function moreWhere(options: RenderOptions): string {
  return options.fullReport ? `; see ${markdownText(options.fullReport)}` : "; see summary.json";
}

/** A create, read or destroy: its attributes are the whole object, not a difference. */
export function wholeValues(resource: ResourceSummary): boolean {
  return resource.action === "add" || resource.action === "destroy" || resource.action === "read";
}

/** "3 attributes", "1 attribute, 4 unchanged elements hidden". */
export function describeAttributeCount(attributes: readonly AttributeChange[]): string {
  let lines = 0;
  let unchanged = 0;
  for (const attribute of attributes) {
    if (attribute.unchanged !== undefined) unchanged += attribute.unchanged;
    else lines += 1;
  }
  return `${lines} attribute${lines === 1 ? "" : "s"}${unchanged > 0 ? `, ${describeUnchanged(unchanged)}` : ""}`;
}

/** One collapsible block: HTML-escaped summary line, the attribute lines in a fence no line can close. */
function attributeBlock(title: string, attributes: readonly AttributeChange[]): string {
  if (attributes.length === 0) return `- ${markdownCode(title)}`;
  return [
    `<details><summary><code>${markdownHtml(title)}</code> (${describeAttributeCount(attributes)})</summary>`,
    "",
    markdownFence(attributes.map(describeAttribute), "diff"),
    "",
    "</details>",
  ].join("\n");
}

/** Text under a hard limit: parts are added while they fit; `force` is for the few lines that must be there. */
class Budget {
  private readonly parts: string[] = [];
  private used = 0;
  constructor(private readonly limit: number) {}

  add(lines: readonly string[]): boolean {
    const text = lines.join("\n");
    if (this.used + text.length + 1 > this.limit) return false;
    this.push(text);
    return true;
  }

  /**
   * Adds items one per line while they fit; returns how many did. Items are rendered only as
   * they are added: a plan of 10,000 resources shows a few hundred, and renders no more.
   */
  addEach<T>(items: readonly T[], render: (item: T) => string): number {
    let shown = 0;
    for (const item of items) {
      if (!this.add([render(item)])) break;
      shown += 1;
    }
    return shown;
  }

  force(lines: readonly string[]): void {
    this.push(lines.join("\n"));
  }

  private push(text: string): void {
    this.parts.push(text);
    this.used += text.length + 1;
  }

  text(): string {
    return this.parts.join("\n");
  }
}
