import type { IdentityFacts } from "../aws/identity.js";
import type { Environment } from "../config/environment.js";
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
    return decideIdentity(this.name, identity, environment, environment.backend);
  },
};

export function decideIdentity(
  gate: string,
  identity: IdentityFacts,
  environment: Pick<Environment, "name" | "stack" | "accountStack">,
  backend: { type: string; file: string } | null,
): GateDecision {
  const env = environment.name;
  if (identity.status === "offline" && environment.accountStack) {
    return refuse(
      gate,
      new RefusedError(
        `--offline skips the identity check, but ${environment.stack} is an account stack: it changes the ${env} AWS account even while its state is local`,
        `run without --offline, with credentials for the ${env} account`,
      ),
    );
  }
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
  const how = identity.assumed ? `, assumed from ${identity.caller.arn}` : environment.accountStack ? `, the caller itself: account stack ${environment.stack} assumes no role` : "";
  return allow(gate, `terraform runs as ${identity.principalArn} (account ${identity.caller.account})${how}`);
}
