import type { IdentityFacts } from "../aws/identity.js";
import { RefusedError } from "../errors.js";
import type { ApplyGate, GateDecision } from "./apply-gates.js";
import { allow, refuse } from "./decision.js";

/**
 * terraform gets credentials of the environment's own account (infra-deploy). `--offline`
 * skips the check, which only a stack whose state is local may do: nothing of AWS is touched.
 */
export const identityGate: ApplyGate = {
  name: "identity",
  decide({ identity, environment }) {
    return decideIdentity(this.name, identity, environment.name, environment.backend);
  },
};

export function decideIdentity(
  gate: string,
  identity: IdentityFacts,
  env: string,
  backend: { type: string; file: string } | null,
): GateDecision {
  if (identity.status === "offline") {
    if (backend === null || backend.type === "local") return allow(gate, "skipped: --offline, and the state is local (no AWS credentials were checked)");
    return refuse(
      gate,
      new RefusedError(
        `--offline skips the identity check, which only a stack on the local backend may do; ${env} keeps its state in the ${backend.type} backend (${backend.file})`,
        `run without --offline, with credentials for the ${env} account`,
      ),
    );
  }
  if (identity.status === "failed") return refuse(gate, new RefusedError(identity.problem, identity.hint));
  return allow(gate, `terraform runs as ${identity.principalArn} (account ${identity.caller.account})${identity.assumed ? `, assumed from ${identity.caller.arn}` : ""}`);
}
