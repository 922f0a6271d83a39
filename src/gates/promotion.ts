import { RefusedError } from "../errors.js";
import { ledgerRef } from "../ledger.js";
import type { ApplyGate } from "./apply-gates.js";
import { allow, refuse } from "./decision.js";

/** A commit reaches an environment only after it was applied to the one it is promoted from. */
export const promotionGate: ApplyGate = {
  name: "promotion",
  decide({ environment, manifest, promotionEntry }) {
    const source = environment.promotedFrom;
    if (source === null) return allow(this.name, `${environment.name} is promoted from no other environment`);
    const commit = manifest.commit;
    if (commit === null) {
      return refuse(this.name, new RefusedError(`${environment.name} is promoted from ${source}, but the bundle names no commit to look up`, "plan from a git checkout"));
    }
    const short = commit.slice(0, 12);
    const fetchHint = `apply commit ${short} to ${source} first; elsewhere, fetch the ledger: git fetch origin 'refs/infra/*:refs/infra/*'`;
    if (promotionEntry === null) {
      return refuse(
        this.name,
        new RefusedError(`${environment.name} is promoted from ${source}, but commit ${short} was never applied to ${source} (no ${ledgerRef(source, commit)})`, fetchHint),
      );
    }
    if ("problem" in promotionEntry) return refuse(this.name, new RefusedError(promotionEntry.problem, fetchHint));
    const { receipt } = promotionEntry;
    if (receipt.env !== source || receipt.commit !== commit || receipt.outcome !== "applied") {
      return refuse(
        this.name,
        new RefusedError(
          `${promotionEntry.ref} holds a receipt of ${receipt.env} at ${String(receipt.commit).slice(0, 12)} (${receipt.outcome}), not of a successful apply of ${source} at ${short}`,
          fetchHint,
        ),
      );
    }
    return allow(this.name, `commit ${short} was applied to ${source} at ${receipt.finishedAt}`);
  },
};
