import { describeCounts, type ResourceAction, type Summary } from "./summary.js";

/** What the rendered summary says about where the plan came from. */
export interface PlanHeader {
  env: string;
  region: string;
  accountId: string;
  commit: string | null;
  dirty: boolean | null;
  createdAt: string;
}

/** A PR comment and a job summary both cap near 65,536 characters; stay well under. */
export const MARKDOWN_LIMIT = 60_000;

const SYMBOL: Record<ResourceAction, string> = {
  add: "+",
  change: "~",
  destroy: "-",
  replace: "-/+",
  read: "<=",
  forget: "forget",
  "no-op": " ",
};

export function describeSource({ commit, dirty }: Pick<PlanHeader, "commit" | "dirty">): string {
  if (!commit) return "not a git checkout";
  return `${commit.slice(0, 12)}${dirty ? " (with uncommitted changes)" : ""}`;
}

export function renderText(summary: Summary, header: PlanHeader): string {
  const lines = [
    `Plan for ${header.env} (${header.region}, account ${header.accountId})`,
    `Source: ${describeSource(header)}    made ${header.createdAt} with terraform ${summary.terraformVersion}`,
    "",
    summary.hasChanges ? `Changes: ${describeCounts(summary.counts)}` : "No changes. The infrastructure matches the configuration.",
  ];
  if (summary.resources.length > 0) lines.push("");
  for (const resource of summary.resources) {
    lines.push(`  ${SYMBOL[resource.action].padEnd(3)} ${resource.address}${resource.reason ? `  (${resource.reason})` : ""}`);
  }
  for (const output of summary.outputs) lines.push(`  ${SYMBOL[output.action].padEnd(3)} output.${output.name}`);
  return `${lines.join("\n")}\n`;
}

export function renderMarkdown(summary: Summary, header: PlanHeader): string {
  const head = [
    `### Plan for \`${header.env}\` (${header.region}, account ${header.accountId})`,
    "",
    `Source: ${describeSource(header)} · terraform ${summary.terraformVersion} · ${header.createdAt}`,
    "",
    summary.hasChanges ? `**${describeCounts(summary.counts)}**` : "**No changes.**",
    "",
  ];
  const rows = [
    ...summary.resources.map((resource) => `| ${resource.action} | \`${cell(resource.address)}\` | ${cell(resource.reason ?? "")} |`),
    ...summary.outputs.map((output) => `| ${output.action} | output \`${cell(output.name)}\` | |`),
  ];
  if (rows.length === 0) return `${head.join("\n")}`;
  const table = ["| action | address | reason |", "| --- | --- | --- |"];
  let text = [...head, ...table].join("\n");
  for (const [index, row] of rows.entries()) {
    const omitted = `\n\n…and ${rows.length - index} more; see summary.json or report.html in the plan bundle.\n`;
    if (text.length + row.length + 1 + omitted.length > MARKDOWN_LIMIT) return text + omitted;
    text += `\n${row}`;
  }
  return `${text}\n`;
}

/** GitHub ends a table cell at any `|`, even inside backticks (a for_each key may hold one). */
function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}
