import { RefusedError } from "../errors.js";
import { blockingFindings, describeFinding } from "../policy/index.js";
import type { ApplyGate } from "./apply-gates.js";

/** A bundle whose policy failed was written for review only; one with no verdict predates policies. */
export const policyGate: ApplyGate = {
  name: "policy",
  decide({ manifest }) {
    const verdict = manifest.policy;
    if (verdict?.status === "passed") {
      const waived = verdict.waivers.length > 0 ? `, ${verdict.waivers.length} waiver(s) in force` : "";
      return { gate: this.name, allowed: true, reason: `policy passed with ${verdict.warnings} warning(s)${waived}` };
    }
    const refusal = verdict
      ? new RefusedError(
          `policy failed for this bundle (${verdict.errors} error(s)); it was written for review only:\n${blockingFindings(manifest.findings ?? [])
            .map((finding) => `  ${describeFinding(finding)}`)
            .join("\n")}`,
          "fix the findings (or waive them with a reason and an expiry in policy-waivers.json) and make a new plan",
        )
      : new RefusedError("this bundle carries no policy verdict (made before policies existed)", "make a new plan with `infra plan`");
    return { gate: this.name, allowed: false, reason: refusal.message, refusal };
  },
};
