import type { AttributeChange } from "./diff.js";
import { html, htmlText } from "./escape.js";
import {
  actionLabel,
  countsLabel,
  describeAttribute,
  describeAttributeCount,
  describeSource,
  describeUnchanged,
  groupByModule,
  headline,
  protectedDestructionsIn,
  resourceNotes,
  titleText,
  warnings,
  wholeValues,
  type PlanHeader,
} from "./render.js";
import { describeCounts, isDestructive, type Summary } from "./summary.js";

const STYLE = `
:root { font: 14px/1.45 system-ui, sans-serif; color: #1f2328; background: #fff; }
body { margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 4rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1rem; margin: 0; font-weight: 600; }
code { font: 12.5px ui-monospace, monospace; overflow-wrap: anywhere; }
.headline { font-size: 1.15rem; font-weight: 700; margin: .75rem 0 .25rem; }
.counts { border-collapse: collapse; margin: .5rem 0; }
.counts td, .counts th { border: 1px solid #d0d7de; padding: .2rem .7rem; text-align: center; }
.warning { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: .5rem .8rem; margin: .5rem 0; }
.warning.destructive, .warning.protected { background: #ffebe9; border-color: #cf222e; }
#filters { position: sticky; top: 0; background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem .8rem; margin: 1rem 0; }
#filters label { margin-right: 1.5rem; }
.resource { border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem .8rem; margin: .5rem 0; }
.resource.destroy, .resource.replace { border-left: 6px solid #cf222e; }
.resource.create { border-left: 6px solid #1a7f37; }
.resource.update { border-left: 6px solid #9a6700; }
.action { display: inline-block; min-width: 5.5rem; font-weight: 700; text-transform: uppercase; font-size: .8rem; }
.notes { color: #59636e; margin: .2rem 0; }
table.diff { border-collapse: collapse; width: 100%; margin-top: .4rem; table-layout: fixed; }
table.diff td, table.diff th { border-top: 1px solid #eaeef2; padding: .15rem .4rem; vertical-align: top; text-align: left; }
table.diff td.before { background: #fff5f5; } table.diff td.after { background: #f0fff4; }
table.diff tr.unchanged td, table.diff tr.moved td { color: #59636e; }
.counts caption { text-align: left; color: #59636e; }
pre.values { margin: .4rem 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
tr.forces td:first-child::after { content: " forces replacement"; color: #cf222e; font-size: .75rem; font-weight: 700; }
.module { color: #59636e; font-weight: 400; }
[hidden] { display: none !important; }
`;

const SCRIPT = `
"use strict";
const form = document.getElementById("filters");
const byAction = document.getElementById("filter-action");
const byModule = document.getElementById("filter-module");
const shown = document.getElementById("shown");
const resources = document.querySelectorAll("article.resource");
function applyFilter() {
  let count = 0;
  for (const resource of resources) {
    const visible = (!byAction.value || resource.dataset.action === byAction.value) && (byModule.value === "*" || resource.dataset.module === byModule.value);
    resource.hidden = !visible;
    if (visible) count += 1;
  }
  shown.textContent = count + " of " + resources.length + " shown";
}
byAction.addEventListener("change", applyFilter);
byModule.addEventListener("change", applyFilter);
form.hidden = false;
applyFilter();
`;

/**
 * node:crypto is loaded here, when a report is rendered, not with the module: loading it takes
 * ~2 MB, which every review of a plan file (text, markdown, JSON) would pay at its peak.
 */
function sha256(text: string): string {
  return process.getBuiltinModule("node:crypto").createHash("sha256").update(text).digest("base64");
}

/**
 * report.html: one file, nothing fetched (the CSP forbids it), nothing but its own inline style
 * and script run. Every resource and attribute is in the markup, so it reads fully with
 * scripts off; the script only adds the filter. Plan text reaches the page only through html().
 */
export function renderHtml(summary: Summary, header: PlanHeader | null): string {
  return `${Array.from(htmlLines(summary, header)).join("\n")}\n`;
}

/**
 * report.html line by line, each without its line feed, as renderHtml joins them: a plan of
 * thousands of resources makes MBs of it, written out as it is made rather than held whole.
 */
export function* htmlLines(summary: Summary, header: PlanHeader | null): Generator<string, void, undefined> {
  const csp = `default-src 'none'; style-src 'sha256-${sha256(STYLE)}'; script-src 'sha256-${sha256(SCRIPT)}'; img-src 'none'; base-uri 'none'; form-action 'none'`;
  const title = titleText(header);
  const source = header
    ? `Source: ${describeSource(header)} · made ${header.createdAt} with terraform ${summary.terraformVersion ?? "(version not recorded)"}`
    : `Made with terraform ${summary.terraformVersion ?? "(version not recorded)"}`;
  const destructive = summary.resources.filter((resource) => isDestructive(resource.action));
  const groups = groupByModule(summary.resources);
  const labels = [...new Set(summary.resources.map(actionLabel))];
  yield* [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${html(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head><body>",
    `<header><h1>${html(title)}</h1><p>${html(source)}</p>`,
    `<p class="headline" id="headline">${html(headline(summary))}</p>`,
    countsTable(summary),
  ];
  const protectedDestructions = protectedDestructionsIn(summary);
  if (protectedDestructions.length > 0) {
    yield `<div class="warning protected" role="alert"><strong>${protectedDestructions.length} protected resource(s) will be deleted or replaced; apply refuses each until <code>--allow-destroy ADDRESS</code> names it:</strong><ul>`;
    for (const found of protectedDestructions) yield `<li>${html(found.action)} <code>${html(found.address)}</code> (${html(found.kind)})</li>`;
    yield "</ul></div>";
  }
  if (destructive.length > 0) {
    yield `<div class="warning destructive" role="alert"><strong>${destructive.length} resource(s) will be destroyed or replaced:</strong><ul>`;
    for (const resource of destructive) yield `<li>${html(actionLabel(resource))} <code>${html(resource.address)}</code>${notesHtml(resourceNotes(resource))}</li>`;
    yield "</ul></div>";
  }
  for (const warning of warnings(summary)) yield `<div class="warning" role="alert">${html(warning)}</div>`;
  yield "</header>";
  if (summary.resources.length > 0) {
    yield* [
      '<form id="filters" hidden>',
      `<label>Action <select id="filter-action"><option value="">all</option>${labels.map((label) => `<option value="${html(label)}">${html(label)}</option>`).join("")}</select></label>`,
      `<label>Module <select id="filter-module"><option value="*">all</option>${groups.map((group) => `<option value="${html(group.module)}">${html(group.module || "(root module)")}</option>`).join("")}</select></label>`,
      '<output id="shown"></output>',
      "</form>",
      '<main><h2 id="resources">Resources</h2>',
    ];
    for (const group of groups) {
      for (const resource of group.resources) {
        const label = actionLabel(resource);
        yield* [
          `<article class="resource ${html(label)}" data-action="${html(label)}" data-module="${html(group.module)}">`,
          `<h3><span class="action">${html(label)}</span> <code>${html(resource.address)}</code>${group.module ? ` <span class="module">in ${html(group.module)}</span>` : ""}</h3>`,
          notesHtml(resourceNotes(resource), "p"),
          wholeValues(resource) ? valueBlock(resource.attributes) : diffTable(resource.attributes),
          "</article>",
        ];
      }
    }
    yield "</main>";
  } else {
    yield `<main><p>${html(headline(summary))}</p></main>`;
  }
  if (summary.drift.length > 0) {
    yield '<section><h2 id="drift">Changed outside terraform</h2>';
    for (const drift of summary.drift) yield `<div class="resource"><h3><code>${html(drift.address)}</code></h3>${diffTable(drift.attributes)}</div>`;
    yield "</section>";
  }
  if (summary.outputs.length > 0) {
    yield '<section><h2 id="outputs">Outputs</h2>';
    for (const output of summary.outputs) yield `<div class="resource"><h3><code>output.${html(output.name)}</code></h3>${diffTable(output.attributes)}</div>`;
    yield "</section>";
  }
  if (summary.deferred.length > 0) {
    yield '<section><h2 id="deferred">Deferred to a later plan</h2><ul>';
    for (const deferred of summary.deferred) yield `<li><code>${html(deferred.address)}</code> (${html(deferred.reason)})</li>`;
    yield "</ul></section>";
  }
  if (summary.checks.length > 0) {
    yield '<section><h2 id="checks">Checks</h2><ul>';
    for (const check of summary.checks) {
      yield `<li>${html(check.status)}: <code>${html(check.address)}</code>${check.problems.map((problem) => `<br>${html(problem)}`).join("")}</li>`;
    }
    yield "</ul></section>";
  }
  yield* [`<script>${SCRIPT}</script>`, "</body></html>"];
}

function countsTable(summary: Summary): string {
  const { counts } = summary;
  const columns: Array<[string, number]> = [
    ["import", counts.import],
    ["add", counts.add],
    ["change", counts.change],
    ["replace", counts.replace],
    ["destroy", counts.destroy],
    ["move", counts.move],
    ["read", counts.read],
    ["forget", counts.forget],
  ];
  return [
    `<table class="counts" id="counts" aria-label="${html(describeCounts(counts))}"><caption>${html(countsLabel(summary))}</caption><tr>`,
    ...columns.map(([label]) => `<th>${label}</th>`),
    "</tr><tr>",
    ...columns.map(([label, count]) => `<td data-count="${label}">${count}</td>`),
    "</tr></table>",
  ].join("");
}

function notesHtml(notes: string[], tag: "span" | "p" = "span"): string {
  if (notes.length === 0) return "";
  return tag === "p" ? `<p class="notes">${html(notes.join("; "))}</p>` : ` <span class="notes">(${html(notes.join("; "))})</span>`;
}

/**
 * A create's, read's or destroy's attributes, collapsed: one line each, as terraform prints them
 * (`+ path = value`). Lines, not table rows: a plan of thousands of creates stays a few MB.
 */
function valueBlock(attributes: readonly AttributeChange[]): string {
  if (attributes.length === 0) return "";
  return `<details><summary>${html(describeAttributeCount(attributes))}</summary><pre class="values"><code>${attributes.map((attribute) => htmlText(describeAttribute(attribute))).join("\n")}</code></pre></details>`;
}

function diffTable(attributes: readonly AttributeChange[]): string {
  if (attributes.length === 0) return "";
  const rows = attributes.map((attribute) => {
    if (attribute.unchanged !== undefined) return `<tr class="unchanged"><td><code>${html(attribute.path)}</code></td><td colspan="2">${html(describeUnchanged(attribute.unchanged))}</td></tr>`;
    if (attribute.movedTo !== undefined) {
      return `<tr class="moved"><td><code>${html(attribute.path)}</code></td><td><code>${html(attribute.before ?? "")}</code></td><td>same element, moved to <code>${html(attribute.movedTo)}</code></td></tr>`;
    }
    return `<tr${attribute.forcesReplacement ? ' class="forces"' : ""}><td><code>${html(attribute.path)}</code></td><td class="before"><code>${html(attribute.before ?? "")}</code></td><td class="after"><code>${html(attribute.after ?? "")}</code></td></tr>`;
  });
  return `<table class="diff"><tr><th>attribute</th><th>before</th><th>after</th></tr>${rows.join("")}</table>`;
}
