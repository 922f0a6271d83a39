import { planKeyProblemHint, PLAN_KEY_VARIABLE } from "../bundle/plan-encryption.js";
import { BundleError } from "../errors.js";
import type { ApplyGate } from "./apply-gates.js";
import { allow, refuse } from "./decision.js";

/**
 * Off unless the plan was encrypted at rest (INFRA_PLAN_KEY at plan time); then terraform gets
 * the plan only once it decrypted with the same key and GCM's tag proved it unaltered.
 */
export const encryptionGate: ApplyGate = {
  name: "encryption",
  decide({ encryption }) {
    if (!encryption.encrypted) {
      return allow(this.name, `off: tfplan is not encrypted${encryption.keyGiven ? ` (${PLAN_KEY_VARIABLE} is set, but the plan was made without it)` : ""}`);
    }
    if (encryption.problem !== null) return refuse(this.name, new BundleError(encryption.problem, planKeyProblemHint()));
    return allow(this.name, `tfplan decrypts with ${PLAN_KEY_VARIABLE} (key ${encryption.keyId}) and is the plan that was encrypted`);
  },
};
