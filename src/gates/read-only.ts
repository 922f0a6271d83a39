import { RefusedError } from "../errors.js";
import type { ApplyGate } from "./apply-gates.js";
import { allow, refuse } from "./decision.js";

/**
 * A `--read-only` plan (a pull request's, as infra-plan, without the state lock) is for reading:
 * never applied, whoever holds the bundle. The role that made it cannot write anyway; this refuses
 * the bundle by name before any other gate looks at it.
 */
export const readOnlyGate: ApplyGate = {
  name: "read-only",
  decide({ manifest }) {
    if (manifest.readOnly !== true) return allow(this.name, "planned to be applied (not --read-only)");
    return refuse(
      this.name,
      new RefusedError(
        `this bundle was planned with --read-only (as the read-only infra-plan role, without the state lock), so it is for review and can never be applied`,
        `plan ${manifest.env} again without --read-only (as infra-deploy: the push-to-main plan job, or \`infra plan --env ${manifest.env}\`) and apply that bundle`,
      ),
    );
  },
};
