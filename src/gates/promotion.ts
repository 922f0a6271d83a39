import { RefusedError } from "../errors.js";
import { ledgerRef } from "../ledger.js";
import type { ApplyGate } from "./apply-gates.js";
import { allow, refuse } from "./decision.js";

/**
 * A commit reaches an environment only after it was applied to the one it is promoted from, as
 * an entry signed by that environment's ledger key proves (verified with the public key committed
 * at HEAD when the entry was read; see src/ledger.ts).
 */
export const promotionGate: ApplyGate = {
  name: "promotion",
  decide({ environment, executed, promotionEntry }) {
    const source = environment.promotedFrom;
    if (source === null) return allow(this.name, `${environment.name} is promoted from no other environment`);
    // The commit the plan's own configuration proved to be (never the manifest's field).
    const commit = "unavailable" in executed || executed.source.differences.length > 0 ? null : executed.source.commit;
    if (commit === null) {
      return refuse(
        this.name,
        new RefusedError(`${environment.name} is promoted from ${source}, but no commit vouches for the plan to look up in the ledger`, "plan from a clean checkout of a commit (see the freshness gate)"),
      );
    }
    const short = commit.slice(0, 12);
    const fetchHint = `apply commit ${short} to ${source} first; elsewhere, fetch the ledger: scripts/ledger.sh fetch`;
    if (promotionEntry === null) {
      return refuse(
        this.name,
        new RefusedError(`${environment.name} is promoted from ${source}, but commit ${short} was never applied to ${source} (no ${ledgerRef(source, commit)})`, fetchHint),
      );
    }
    const { payload, verdict, ref } = promotionEntry;
    const forgedHint = `remove the ref (git update-ref -d ${ref}) and apply commit ${short} to ${source}; only ${source}'s own apply signs with its ledger key`;
    if (!verdict.verified) return refuse(this.name, new RefusedError(verdict.problem, forgedHint));
    if (payload === null) return refuse(this.name, new RefusedError(`${ref} verified but holds no payload`, forgedHint));
    const mismatch = [
      payload.env !== source ? `environment ${payload.env}` : "",
      payload.commit !== commit ? `commit ${payload.commit.slice(0, 12)}` : "",
      payload.outcome !== "applied" ? `outcome ${String(payload.outcome)}` : "",
    ].filter(Boolean);
    if (mismatch.length > 0) {
      return refuse(
        this.name,
        new RefusedError(`${ref} is signed by ${source}'s key but records ${mismatch.join(", ")}, not a successful apply of ${source} at ${short}`, forgedHint),
      );
    }
    return allow(
      this.name,
      `commit ${short} was applied to ${source} at ${payload.finishedAt} (plan ${payload.planDigest.slice(0, 12)}; entry signed by key ${verdict.position} of ${verdict.keyFile}, ${verdict.keyId})`,
    );
  },
};
