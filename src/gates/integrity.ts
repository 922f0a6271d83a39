import type { FileDigests } from "../bundle/digest.js";

export interface IntegrityReport {
  ok: boolean;
  /** Files the manifest lists whose content changed. */
  changed: string[];
  /** Files the manifest lists that are gone. */
  missing: string[];
  /** Files present that the manifest does not list. */
  unexpected: string[];
}

/** Pure comparison of the digests a manifest recorded with the ones on disk now. */
export function compareDigests(recorded: FileDigests, actual: FileDigests): IntegrityReport {
  const changed: string[] = [];
  const missing: string[] = [];
  for (const [name, digest] of Object.entries(recorded)) {
    if (!(name in actual)) missing.push(name);
    else if (actual[name] !== digest) changed.push(name);
  }
  const unexpected = Object.keys(actual).filter((name) => !(name in recorded));
  return { ok: changed.length + missing.length + unexpected.length === 0, changed, missing, unexpected };
}

export function describeIntegrity(report: IntegrityReport): string {
  const parts = [
    report.changed.length > 0 ? `changed since the plan was made: ${report.changed.join(", ")}` : "",
    report.missing.length > 0 ? `missing: ${report.missing.join(", ")}` : "",
    report.unexpected.length > 0 ? `not part of the plan: ${report.unexpected.join(", ")}` : "",
  ];
  return parts.filter(Boolean).join("; ");
}
