import { BundleError, RefusedError } from "../errors.js";
import { formatAge } from "./age.js";
import type { ApplyGate } from "./apply-gates.js";
import { allow, refuse } from "./decision.js";

const short = (commit: string) => commit.slice(0, 12);
/** How many of the differences a refusal names before it counts the rest. */
const NAMED_DIFFERENCES = 3;

/**
 * The plan is of the commit being deployed, and recent: its own configuration snapshot equals
 * what HEAD commits, file by file (a plan of an older commit would undo a newer one; a plan of
 * uncommitted changes can be reviewed, never applied), and terraform made it within max_plan_age.
 * Both come from the plan file that will be executed, never from the manifest.
 */
export const freshnessGate: ApplyGate = {
  name: "freshness",
  decide({ executed, environment, now }) {
    const hint = `commit what you mean to apply, then \`infra plan --env ${environment.name}\` from that commit, review and apply that bundle`;
    if ("unavailable" in executed) return refuse(this.name, new BundleError(executed.unavailable, "make a new plan with `infra plan`"));
    const { source, createdAt } = executed;
    if (source.commit === null) return refuse(this.name, new RefusedError(source.differences[0] ?? "no commit vouches for the plan", hint));
    if (source.differences.length > 0) {
      const named = source.differences.slice(0, NAMED_DIFFERENCES).join("; ");
      const more = source.differences.length > NAMED_DIFFERENCES ? `; and ${source.differences.length - NAMED_DIFFERENCES} more` : "";
      return refuse(this.name, new RefusedError(`the plan's configuration is not what commit ${short(source.commit)} (HEAD) holds: ${named}${more}`, hint));
    }
    const created = createdAt === null ? Number.NaN : Date.parse(createdAt);
    const age = now.getTime() - created;
    if (Number.isNaN(created) || age < -5 * 60_000) {
      return refuse(this.name, new RefusedError(`the plan's creation time ${JSON.stringify(createdAt)} is not a past time`, "make a new plan"));
    }
    if (age > environment.maxPlanAgeMs) {
      return refuse(
        this.name,
        new RefusedError(
          `the plan is ${formatAge(age)} old, but ${environment.name} accepts plans up to ${formatAge(environment.maxPlanAgeMs)} old (max_plan_age in ${environment.factsFile})`,
          `plan again: \`infra plan --env ${environment.name}\``,
        ),
      );
    }
    return allow(
      this.name,
      `the plan's configuration is commit ${short(source.commit)} (HEAD), file by file; terraform made it ${formatAge(Math.max(age, 0))} ago`,
    );
  },
};
