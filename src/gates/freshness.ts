import { RefusedError } from "../errors.js";
import { formatAge } from "./age.js";
import type { ApplyGate } from "./apply-gates.js";
import { allow, refuse } from "./decision.js";

const short = (commit: string) => commit.slice(0, 12);

/**
 * The bundle comes from the commit being deployed, from a clean tree, and recently: a bundle of
 * an older commit would undo what a newer commit changed; a dirty plan can be reviewed, never applied.
 */
export const freshnessGate: ApplyGate = {
  name: "freshness",
  decide({ manifest, checkout, environment, now }) {
    const hintCommit = `check out the commit and plan it: \`infra plan --env ${environment.name}\` from a clean tree, then review and apply that bundle`;
    if (manifest.commit === null) {
      return refuse(this.name, new RefusedError("the bundle was planned outside a git checkout, so no commit vouches for it", hintCommit));
    }
    if (manifest.dirty !== false) {
      return refuse(
        this.name,
        new RefusedError(`the bundle was planned from uncommitted changes on ${short(manifest.commit)}: a dirty plan can be reviewed, never applied`, "commit the changes, plan again and apply that bundle"),
      );
    }
    if (checkout.commit === null) {
      return refuse(this.name, new RefusedError("apply runs outside a git checkout, so the bundle's commit cannot be compared", "run apply in the repository the plan was made from"));
    }
    if (checkout.commit !== manifest.commit) {
      return refuse(
        this.name,
        new RefusedError(`the bundle was planned at commit ${short(manifest.commit)}, but the checkout is at ${short(checkout.commit)}`, hintCommit),
      );
    }
    if (checkout.dirty !== false) {
      return refuse(
        this.name,
        new RefusedError(`the checkout has uncommitted changes on top of ${short(checkout.commit)}`, "commit or stash them; apply runs only from the clean commit that was planned"),
      );
    }
    const created = Date.parse(manifest.createdAt);
    const age = now.getTime() - created;
    if (Number.isNaN(created) || age < -5 * 60_000) {
      return refuse(this.name, new RefusedError(`the bundle's creation time "${manifest.createdAt}" is not a past time`, "make a new plan"));
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
    return allow(this.name, `planned at ${short(manifest.commit)} (the clean checkout) ${formatAge(Math.max(age, 0))} ago`);
  },
};
