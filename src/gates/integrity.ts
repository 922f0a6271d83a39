import type { FileDigests } from "../bundle/digest.js";
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
  ];
  return parts.filter(Boolean).join("; ");
}
