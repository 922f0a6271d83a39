import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { BUNDLE_FILE_MODE, BundleFile } from "../bundle/layout.js";
import type { Manifest } from "../bundle/manifest.js";
import type { Receipt } from "../bundle/receipt.js";
import { UsageError } from "../errors.js";
import { collectGarbage } from "../heap.js";
import type { IntegrityReport } from "../gates/integrity.js";
import type { ProtectedDestruction } from "../policy/destruction.js";
import type { PolicyReport } from "../policy/report.js";
import { htmlLines, renderHtml } from "../review/html.js";
import { checkPlanBytes, parsePlanJson, type PlanJson } from "../review/plan-json.js";
import type { ValueSweep } from "../review/diff.js";
import { createRedaction, createSweep } from "../review/redact.js";
import { renderMarkdown, renderText, type PlanHeader } from "../review/render.js";
import { summaryDocument, summaryJsonLines, summaryJsonText } from "../review/summary-file.js";
import { changesOf, summarizePlan, type PlanChanges, type Summary } from "../review/summary.js";
import { decodeUtf8, writeTextFile } from "../text-bytes.js";
import type { ApplyMarker, SettledApply } from "./unfinished-apply.js";

export const REVIEW_FORMATS = ["text", "md", "html", "json"] as const;
export type ReviewFormat = (typeof REVIEW_FORMATS)[number];

/** A plan bundle (with its integrity and receipt) or a bare `terraform show -json` document. */
export type ReviewResult =
  | {
      kind: "bundle";
      bundle: string;
      manifest: Manifest;
      summary: Summary;
      /** Whether the bundle is still exactly what `infra plan` wrote. */
      integrity: IntegrityReport;
      receipt: Receipt | null;
      /** An apply of this bundle whose terraform is running right now. */
      running?: ApplyMarker;
      /** An apply infra did not see to its end, recorded by this review from terraform's log. */
      recovered?: SettledApply;
      /** Deletes and replaces of protected resource types: each needs `--allow-destroy` at apply. */
      protectedDestructions: ProtectedDestruction[];
      /** The policy verdict the plan recorded, with its findings and waivers (absent in bundles made before policies). */
      policy?: PolicyReport;
    }
  | { kind: "plan"; planFile: string; summary: Summary };

export async function review(target: string, now: Date = new Date()): Promise<ReviewResult> {
  const resolved = path.resolve(target);
  const info = await stat(resolved).catch(() => undefined);
  if (!info) {
    throw new UsageError(`${target} does not exist`, "pass a plan bundle directory (default artifacts/<env>/) or a `terraform show -json` file");
  }
  // A bundle's review reads manifests, receipts and policies: loaded only for a bundle, so a
  // plan file's review starts faster and smaller.
  if (info.isDirectory()) return (await import("./review-bundle.js")).reviewBundle(resolved, now);
  if (!info.isFile()) throw new UsageError(`${target} is neither a directory nor a file`, "pass a plan bundle directory or a `terraform show -json` file");
  return { kind: "plan", planFile: resolved, summary: await summarizePlanFile(resolved, target) };
}

/**
 * Once review() has returned, what the summary was made from is garbage, but V8 would keep it
 * until the old generation fills, and rendering allocates on top of it: collecting it first
 * takes it off the peak of a large review, for a few ms.
 */
export function collectReviewedPlan(): void {
  collectGarbage("major");
}

/**
 * A plan file's summary, made so that the file's bytes, its text, the whole parsed document and
 * the summary are never all held at once (a review's peak memory is what it holds at once): the
 * bytes are freed before the parse, the text before the sweep reads the document, and every part
 * of the document only the sweep reads (planned values, prior state, configuration) before the
 * summary is made. Each full collection takes ~15 ms of a 10,000-resource review.
 */
async function summarizePlanFile(file: string, source: string): Promise<Summary> {
  const { changes, sweep } = await readPlanChanges(file, source);
  collectGarbage("major");
  return summarizePlan(changes, sweep);
}

/** The parts of a plan file its summary reads, and the sweep; the rest of the document is garbage when this returns. */
export async function readPlanChanges(file: string, source: string): Promise<{ changes: PlanChanges; sweep: ValueSweep }> {
  const plan = await parsePlanFile(file, source);
  collectGarbage("major");
  return { changes: changesOf(plan), sweep: createSweep(plan) };
}

/** The parsed document; its text lives only in this frame, so it is garbage once this returns. */
async function parsePlanFile(file: string, source: string): Promise<PlanJson> {
  const text = await readText(file, source);
  // JSON.parse of a large text allocates straight into the old generation, so no collection
  // would run during the parse to free the bytes: they would stay beside the text and the document.
  collectGarbage("minor");
  return parsePlanJson(text, source);
}

/** The file's text; its bytes live only in this frame, so they are garbage once it returns. */
async function readText(file: string, source: string): Promise<string> {
  const bytes = await readFile(file);
  return decodeUtf8(bytes.subarray(checkPlanBytes(bytes, source)));
}

/** Checks, masks and summarises a `terraform show -json` document, as review() does a plan file. */
export function summarizePlanText(planJsonText: string, source: string): Summary {
  const plan = parsePlanJson(planJsonText, source);
  return summarizePlan(changesOf(plan), createSweep(plan));
}

export function headerOf(result: ReviewResult): PlanHeader | null {
  if (result.kind === "plan") return null;
  const { env, region, accountId, commit, dirty, createdAt } = result.manifest;
  return { env, region, accountId, commit, dirty, createdAt };
}

export function renderReview(summary: Summary, header: PlanHeader | null, format: ReviewFormat, options: { detail?: boolean; fullReport?: string } = {}): string {
  switch (format) {
    case "text":
      return renderText(summary, header, options);
    case "md":
      return renderMarkdown(summary, header, options);
    case "html":
      return renderHtml(summary, header);
    case "json":
      return summaryJsonText(summaryDocument(summary, header));
  }
}

/**
 * The review as pieces that concatenate to renderReview's text: report.html and summary.json
 * (MBs for a plan of thousands of resources) line by line, to be written as they are made and
 * never held whole; text and markdown, which stay small, in one piece.
 */
export function reviewPieces(summary: Summary, header: PlanHeader | null, format: ReviewFormat, options: { detail?: boolean; fullReport?: string } = {}): Iterable<string> {
  switch (format) {
    case "html":
      return terminated(htmlLines(summary, header));
    case "json":
      return terminated(summaryJsonLines(summaryDocument(summary, header)));
    default:
      return [renderReview(summary, header, format, options)];
  }
}

function* terminated(lines: Iterable<string>): Generator<string, void, undefined> {
  for (const line of lines) yield `${line}\n`;
}

/** `--out FILE`: never over the reviewed document itself, never into a directory; one sentence when it cannot be written. */
export async function writeReview(out: string, text: string | Iterable<string>, target: string): Promise<void> {
  const file = path.resolve(out);
  if (file === path.resolve(target)) throw new UsageError(`--out ${out} is the document under review`, "write the review to another file");
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) throw new UsageError(`--out ${out} is a directory`, "name a file, e.g. --out report.html");
  await writeTextFile(file, text).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot write the review to ${out} (${error.code ?? error.message})`, "name a file in a directory that exists and is writable");
  });
}

/**
 * Everything a bundle holds for reviewers, from terraform's two show outputs: plan.redacted.json
 * (masked, swept, compact), plan.txt (swept), summary.md (with `markdownAppendix`, e.g. the policy
 * section, at its end), summary.json and report.html.
 */
export async function writeReviewArtifacts(dir: string, plan: PlanJson, planText: string, header: PlanHeader, markdownAppendix = ""): Promise<Summary> {
  const redaction = createRedaction(plan);
  const summary = summarizePlan(plan, redaction);
  const write = (name: string, text: string | Iterable<string>) => writeTextFile(path.join(dir, name), text, BUNDLE_FILE_MODE);
  await Promise.all([
    write(BundleFile.redactedJson, `${redaction.json()}\n`),
    write(BundleFile.text, redaction.sweepText(planText)),
    write(BundleFile.summaryMarkdown, renderReview(summary, header, "md", { fullReport: `${BundleFile.report} in the plan bundle` }) + markdownAppendix),
    write(BundleFile.summaryJson, reviewPieces(summary, header, "json")),
    write(BundleFile.report, reviewPieces(summary, header, "html")),
  ]);
  return summary;
}
