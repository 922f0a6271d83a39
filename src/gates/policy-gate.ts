import { RefusedError } from "../errors.js";
import { blockingFindings, describeFinding } from "../policy/index.js";
import type { ApplyGate } from "./apply-gates.js";
import { allow, refuse } from "./decision.js";

/**
 * The rules over the plan being executed (`terraform show -json` of apply's private copy), with
 * the waivers the commit holds: the verdict the manifest records is for the reviewer only.
 */
export const policyGate: ApplyGate = {
  name: "policy",
  decide({ policy }) {
    if ("unavailable" in policy) return refuse(this.name, new RefusedError(`policy ${policy.unavailable}`, "run apply where terraform can read the plan as the deploy role"));
    if (policy.status === "passed") {
      const waived = policy.waivers.length > 0 ? `, ${policy.waivers.length} waiver(s) in force` : "";
      return allow(this.name, `the plan to apply passes policy with ${policy.warnings} warning(s)${waived}`);
    }
    return refuse(
      this.name,
      new RefusedError(
        `policy fails for the plan to apply (${policy.errors} error(s)):\n${blockingFindings(policy.findings)
          .map((finding) => `  ${describeFinding(finding)}`)
          .join("\n")}`,
        "fix the findings (or waive them with a reason and an expiry in a committed policy-waivers.json) and make a new plan",
      ),
    );
  },
};
