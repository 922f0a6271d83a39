import { readFile } from "node:fs/promises";
import path from "node:path";
import { BundleError } from "../errors.js";
import { displayPath } from "../fs-errors.js";
import { BundleFile, UNDIGESTED_FILES } from "../bundle/layout.js";
import { listBundle } from "../bundle/listing.js";
import { readBundleManifest, type Manifest } from "../bundle/manifest.js";
import { readReceipt, type Receipt } from "../bundle/receipt.js";
import { compareDigests, type IntegrityReport } from "../gates/integrity.js";
import { protectedDestructions, type ProtectedDestruction } from "../policy/destruction.js";
import { renderText } from "../review/render.js";
import { readPlanJson } from "./gate.js";
import type { Summary } from "../review/summary.js";
import { settleBundle, type ApplyMarker, type SettledApply } from "./unfinished-apply.js";

export interface ReviewResult {
  bundle: string;
  manifest: Manifest;
  summary: Summary;
  /** Whether the bundle is still exactly what `infra plan` wrote. */
  integrity: IntegrityReport;
  receipt: Receipt | null;
  /** Deletes and replaces of protected resource types: each needs `--allow-destroy` at apply. */
  protectedDestructions: ProtectedDestruction[];
  /** An apply of this bundle whose terraform is running right now. */
  running?: ApplyMarker;
  /** An apply infra did not see to its end, recorded by this review from terraform's log. */
  recovered?: SettledApply;
  text: string;
}

export async function review(bundleDir: string, now: Date = new Date()): Promise<ReviewResult> {
  const bundle = path.resolve(bundleDir);
  const manifest = await readBundleManifest(bundle);
  const summary = await readSummary(path.join(bundle, BundleFile.summaryJson));
  const unfinished = await settleBundle(bundle, now);
  const [listing, receipt, planJson] = await Promise.all([listBundle(bundle, UNDIGESTED_FILES), readReceipt(bundle), readPlanJson(bundle)]);
  const destructions = protectedDestructions(planJson);
  // Destruction of what cannot be recreated is what a reviewer must not miss: it comes first.
  const warning = destructions.map((found) => `!! ${found.action} ${found.address} (${found.kind}): apply needs --allow-destroy '${found.address}'\n`).join("");
  return {
    bundle,
    manifest,
    summary,
    integrity: compareDigests(manifest.files, listing.digests, listing.irregular),
    receipt,
    ...(unfinished && !("outcome" in unfinished) ? { running: unfinished.marker } : {}),
    ...(unfinished && "outcome" in unfinished ? { recovered: unfinished } : {}),
    protectedDestructions: destructions,
    text: `${warning}${warning ? "\n" : ""}${renderText(summary, manifest)}`,
  };
}

async function readSummary(file: string): Promise<Summary> {
  const text = await readFile(file, "utf8").catch(() => {
    throw new BundleError(`plan bundle ${displayPath(path.dirname(file))} has no ${BundleFile.summaryJson}`, "make a complete bundle with `infra plan`");
  });
  const corrupt = (why: string) => new BundleError(`${displayPath(file)} is corrupt: ${why}`, "make a new plan with `infra plan`; never edit a bundle by hand");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw corrupt(`not valid JSON (${(error as Error).message})`);
  }
  const record = typeof parsed === "object" && parsed !== null ? (parsed as Partial<Summary>) : {};
  if (typeof record.counts !== "object" || record.counts === null || !Array.isArray(record.resources)) throw corrupt("missing counts or resources");
  return record as Summary;
}
