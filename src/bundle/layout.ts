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
  /** Written by a successful apply: the signed promotion ledger entry that scripts/ledger.sh pushes. */
  ledgerEntry: "ledger-entry.json",
  /** Optional: an ed25519 signature over manifest.json (see signature.ts). */
  signature: "manifest.sig",
} as const;

/** Files written after the manifest, so not covered by its digests. */
export const UNDIGESTED_FILES: readonly string[] = [BundleFile.manifest, BundleFile.receipt, BundleFile.ledgerEntry, BundleFile.signature];

/** How every bundle file is created: readable by its owner only, never over an existing file or link. */
export const BUNDLE_FILE_MODE = { mode: 0o600, flag: "wx" } as const;
