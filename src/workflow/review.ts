import { readFile } from "node:fs/promises";
import path from "node:path";
import { BundleError } from "../errors.js";
import { digestDirectory } from "../bundle/digest.js";
import { BundleFile, UNDIGESTED_FILES } from "../bundle/layout.js";
import { readBundleManifest, type Manifest } from "../bundle/manifest.js";
import { readReceipt, type Receipt } from "../bundle/receipt.js";
import { compareDigests, type IntegrityReport } from "../gates/integrity.js";
import { protectedDestructions, type ProtectedDestruction } from "../policy/destruction.js";
import { renderText } from "../review/render.js";
import { readPlanJson } from "./gate.js";
import type { Summary } from "../review/summary.js";

export interface ReviewResult {
  bundle: string;
  manifest: Manifest;
  summary: Summary;
  /** Whether the bundle is still exactly what `infra plan` wrote. */
  integrity: IntegrityReport;
  receipt: Receipt | null;
  /** Deletes and replaces of protected resource types: each needs `--allow-destroy` at apply. */
  protectedDestructions: ProtectedDestruction[];
  text: string;
}

export async function review(bundleDir: string): Promise<ReviewResult> {
  const bundle = path.resolve(bundleDir);
  const manifest = await readBundleManifest(bundle);
  const summaryFile = path.join(bundle, BundleFile.summaryJson);
  const summaryText = await readFile(summaryFile, "utf8").catch(() => {
    throw new BundleError(`plan bundle ${bundle} has no ${BundleFile.summaryJson}`, "make a complete bundle with `infra plan`");
  });
  const summary = JSON.parse(summaryText) as Summary;
  const [integrity, receipt, planJson] = await Promise.all([
    digestDirectory(bundle, UNDIGESTED_FILES).then((onDisk) => compareDigests(manifest.files, onDisk)),
    readReceipt(bundle),
    readPlanJson(bundle),
  ]);
  const destructions = protectedDestructions(planJson);
  // Destruction of what cannot be recreated is what a reviewer must not miss: it comes first.
  const warning = destructions.map((found) => `!! ${found.action} ${found.address} (${found.kind}): apply needs --allow-destroy '${found.address}'\n`).join("");
  return { bundle, manifest, summary, integrity, receipt, protectedDestructions: destructions, text: `${warning}${warning ? "\n" : ""}${renderText(summary, manifest)}` };
}
