import type { FileDigests } from "../bundle/digest.js";
import { BundleFile } from "../bundle/layout.js";
import { describeIrregular, type IrregularEntry } from "../bundle/listing.js";

export interface IntegrityReport {
  ok: boolean;
  /** Files the manifest lists whose content changed. */
  changed: string[];
  /** Files the manifest lists that are gone. */
  missing: string[];
  /** Files present that the manifest does not list. */
  unexpected: string[];
  /** Entries that are no regular file at all (symlinks, directories, devices). */
  irregular: IrregularEntry[];
  /** The manifest's planDigest is not the digest it records for tfplan (what is approved is not what is listed). */
  planDigestDiffers?: { planDigest: string; recorded: string | null };
}

/**
 * Whether a bundle holds exactly what its manifest lists, and the plan digest people approve is
 * the digest of that tfplan: the one check `infra review` and the integrity gate both make.
 */
export function bundleIntegrity(manifest: { files: FileDigests; planDigest: string }, listing: { digests: FileDigests; irregular: readonly IrregularEntry[] }): IntegrityReport {
  const report = compareDigests(manifest.files, listing.digests, listing.irregular);
  const recorded = Object.hasOwn(manifest.files, BundleFile.plan) ? (manifest.files[BundleFile.plan] ?? null) : null;
  if (manifest.planDigest === recorded) return report;
  return { ...report, ok: false, planDigestDiffers: { planDigest: manifest.planDigest, recorded } };
}

/**
 * Pure comparison of the digests a manifest recorded with the ones on disk now, plus the
 * entries on disk that are not regular files (any of them makes the bundle altered).
 */
export function compareDigests(recorded: FileDigests, actual: FileDigests, irregular: readonly IrregularEntry[] = []): IntegrityReport {
  const changed: string[] = [];
  const missing: string[] = [];
  // Own keys only: `name in` would find `constructor` or `__proto__` on every object.
  for (const [name, digest] of Object.entries(recorded)) {
    if (!Object.hasOwn(actual, name)) missing.push(name);
    else if (actual[name] !== digest) changed.push(name);
  }
  const unexpected = Object.keys(actual).filter((name) => !Object.hasOwn(recorded, name));
  const ok = changed.length + missing.length + unexpected.length + irregular.length === 0;
  return { ok, changed, missing, unexpected, irregular: [...irregular] };
}

export function describeIntegrity(report: IntegrityReport): string {
  const parts = [
    report.changed.length > 0 ? `changed since the plan was made: ${report.changed.join(", ")}` : "",
    report.missing.length > 0 ? `missing: ${report.missing.join(", ")}` : "",
    report.unexpected.length > 0 ? `not part of the plan: ${report.unexpected.join(", ")}` : "",
    report.irregular.length > 0 ? `not a regular file: ${describeIrregular(report.irregular)}` : "",
    report.planDigestDiffers
      ? `the manifest's planDigest ${report.planDigestDiffers.planDigest.slice(0, 12)} is not the digest it records for ${BundleFile.plan} (${report.planDigestDiffers.recorded?.slice(0, 12) ?? "none"})`
      : "",
  ];
  return parts.filter(Boolean).join("; ");
}
