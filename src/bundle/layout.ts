/** The files of a plan bundle (see README "The plan bundle"). */
export const BundleFile = {
  manifest: "manifest.json",
  plan: "tfplan",
  redactedJson: "plan.redacted.json",
  text: "plan.txt",
  summaryMarkdown: "summary.md",
  summaryJson: "summary.json",
  report: "report.html",
  receipt: "receipt.json",
} as const;

/** Files written after the manifest, so not covered by its digests. */
export const UNDIGESTED_FILES: readonly string[] = [BundleFile.manifest, BundleFile.receipt];

/** How every bundle file is created: readable by its owner only, never over an existing file or link. */
export const BUNDLE_FILE_MODE = { mode: 0o600, flag: "wx" } as const;
