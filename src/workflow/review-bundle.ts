import path from "node:path";
import { readFile } from "node:fs/promises";
import { BundleFile, UNDIGESTED_FILES } from "../bundle/layout.js";
import { listBundle } from "../bundle/listing.js";
import { readBundleManifest } from "../bundle/manifest.js";
import { readReceipt } from "../bundle/receipt.js";
import { BundleError } from "../errors.js";
import { displayPath } from "../fs-errors.js";
import { bundleIntegrity } from "../gates/integrity.js";
import { policyReport } from "../policy/report.js";
import { protectedDestructionsIn } from "../review/render.js";
import { parseSummaryJson } from "../review/summary-file.js";
import type { ReviewResult } from "./review.js";
import { settleBundle } from "./unfinished-apply.js";

/** `infra review BUNDLE`: the summary the plan wrote, the bundle's integrity, its receipt and apply state. */
export async function reviewBundle(bundle: string, now: Date): Promise<ReviewResult> {
  const { manifest } = await readBundleManifest(bundle);
  const summaryFile = path.join(bundle, BundleFile.summaryJson);
  const summaryText = await readFile(summaryFile, "utf8").catch(() => {
    throw new BundleError(`plan bundle ${displayPath(bundle)} has no ${BundleFile.summaryJson}`, "make a complete bundle with `infra plan`");
  });
  const summary = parseSummaryJson(summaryText, displayPath(summaryFile));
  const unfinished = await settleBundle(bundle, now);
  const [listing, receipt] = await Promise.all([listBundle(bundle, UNDIGESTED_FILES), readReceipt(bundle)]);
  return {
    kind: "bundle",
    bundle,
    manifest,
    summary,
    integrity: bundleIntegrity(manifest, listing),
    receipt,
    ...(unfinished && !("outcome" in unfinished) ? { running: unfinished.marker } : {}),
    ...(unfinished && "outcome" in unfinished ? { recovered: unfinished } : {}),
    ...(manifest.policy ? { policy: policyReport(manifest.findings ?? [], manifest.policy.waivers) } : {}),
    protectedDestructions: protectedDestructionsIn(summary),
  };
}

