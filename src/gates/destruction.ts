import { RefusedError } from "../errors.js";
import { allowDestroyFlag, describeDestruction, unacknowledgedDestructions, type ProtectedDestruction } from "../policy/destruction.js";
import type { ApplyGate } from "./apply-gates.js";
import { allow, refuse } from "./decision.js";

/** Deleting or replacing a cluster, registry, key, bucket or account needs `--allow-destroy ADDRESS` for each. */
export const destructionGate: ApplyGate = {
  name: "destruction",
  decide({ destructions, allowDestroy }) {
    if ("unavailable" in destructions) {
      return refuse(this.name, new RefusedError(`destructions ${destructions.unavailable}`, "run apply where terraform can read the plan as the deploy role"));
    }
    const unacknowledged = unacknowledgedDestructions(destructions, allowDestroy);
    if (unacknowledged.length > 0) {
      return refuse(
        this.name,
        new RefusedError(
          `the plan would ${describe(unacknowledged)} without --allow-destroy`,
          `if that is intended, run again with ${unacknowledged.map(allowDestroyFlag).join(" ")}`,
        ),
      );
    }
    if (destructions.length === 0) return allow(this.name, "no protected resource is deleted or replaced");
    return allow(this.name, `acknowledged with --allow-destroy: ${describe(destructions)}`);
  },
};

function describe(destructions: readonly ProtectedDestruction[]): string {
  return destructions.map(describeDestruction).join(", ");
}
