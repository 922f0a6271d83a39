import { blockingFindings, describeFinding, type Finding } from "./index.js";
import type { WaiverInForce } from "./waivers.js";
import { markdownCode } from "../review/escape.js";

/** What the manifest records: whether the bundle may be applied, and every waiver that held. */
export interface PolicyVerdict {
  status: "passed" | "failed";
  errors: number;
  warnings: number;
  waivers: WaiverInForce[];
}

export interface PolicyReport extends PolicyVerdict {
  findings: Finding[];
}

export function policyReport(findings: readonly Finding[], waivers: readonly WaiverInForce[]): PolicyReport {
  const errors = blockingFindings(findings).length;
  return {
    status: errors === 0 ? "passed" : "failed",
    errors,
    warnings: findings.filter((finding) => finding.severity === "warning").length,
    waivers: [...waivers],
    findings: [...findings],
  };
}

export function verdictOf({ status, errors, warnings, waivers }: PolicyReport): PolicyVerdict {
  return { status, errors, warnings, waivers };
}

/** The policy section of summary.md: every error, warning and waived finding, and the waivers in force. */
export function renderPolicyMarkdown(report: PolicyReport): string {
  const lines = [
    "",
    `#### Policy: ${report.status === "passed" ? "passed" : "**FAILED** - apply will refuse this bundle"}`,
    "",
  ];
  if (report.findings.length === 0) lines.push("Every rule holds.");
  for (const finding of report.findings) {
    const label = finding.waived ? "waived" : finding.unconfirmed ? "HCL only" : finding.severity;
    lines.push(`- **${label}** ${escapeMarkdown(describeFinding(finding))}`);
  }
  if (report.waivers.length > 0) {
    lines.push("", "Waivers in force:", "");
    for (const waiver of report.waivers) {
      // The rule and address come from the waivers file a pull request may edit: a code span whose fence no backtick inside can close.
      lines.push(`- ${markdownCode(waiver.rule)} on ${markdownCode(waiver.address ?? waiver.path ?? "")} until ${escapeMarkdown(waiver.expires)}: ${escapeMarkdown(waiver.reason)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** The same, as plain text for a terminal. */
export function renderPolicyText(report: PolicyReport): string {
  const lines = report.findings.map((finding) => `  ${(finding.waived ? "waived" : finding.unconfirmed ? "hcl-only" : finding.severity).padEnd(7)} ${describeFinding(finding)}`);
  for (const waiver of report.waivers) lines.push(`  waiver  ${waiver.rule} on ${waiver.address ?? waiver.path} until ${waiver.expires}: ${waiver.reason}`);
  lines.push(`policy ${report.status === "passed" ? "passed" : "FAILED"}: ${report.errors} error(s), ${report.warnings} warning(s), ${report.waivers.length} waiver(s) in force`);
  return `${lines.join("\n")}\n`;
}

/** Findings quote HCL and addresses; keep them from turning into markup or links in a PR comment. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (char) => `\\${char}`).replace(/[\u0000-\u001f]/g, " ");
}
