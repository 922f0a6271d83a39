import { resolveIdentity, type ResolvedIdentity } from "../aws/identity.js";
import type { Environment } from "../config/environment.js";
import { gateRefusal } from "../gates/apply-gates.js";
import { decideIdentity, identityGate } from "../gates/identity.js";
import type { SourceRevision } from "../git.js";
import type { WorkflowContext } from "./context.js";

/** Steps 1-2 of the credential chain for `environment` (README "The credential chain"); `--offline` asks nothing. */
export async function arriveAsDeployer(
  context: WorkflowContext,
  environment: Environment,
  revision: SourceRevision,
  offline: boolean,
  roleName?: string,
): Promise<ResolvedIdentity> {
  // An account stack makes the roles of the chain, so it runs as the caller, whose account STS verifies.
  const role = environment.accountStack ? { roleName: null } : roleName ? { roleName } : {};
  const target = { env: environment.name, accountId: environment.accountId, region: environment.region, factsFile: environment.factsFile, ...revision, ...role };
  if (offline) return resolveIdentity(target, context.processEnv, { offline });
  const resolved = await context.logger.step(`identity (STS, account ${environment.accountId})`, () => resolveIdentity(target, context.processEnv, { offline }));
  if (resolved.facts.status === "verified" && resolved.facts.breakGlass) {
    context.logger.warn(`${resolved.facts.caller.arn} is the break-glass role: this run is recorded as break-glass use in the receipt and the ledger entry`);
  }
  return resolved;
}

/** For plan (and drift, as `roleName` infra-plan): the identity gate's decision, raised at once; the context terraform then runs in. */
export async function requireDeployer(
  context: WorkflowContext,
  environment: Environment,
  revision: SourceRevision,
  offline: boolean,
  roleName?: string,
): Promise<WorkflowContext> {
  const resolved = await arriveAsDeployer(context, environment, revision, offline, roleName);
  const decision = decideIdentity(identityGate.name, resolved.facts, environment, environment.backend);
  if (!decision.allowed) throw gateRefusal(decision);
  return { ...context, processEnv: resolved.processEnv };
}
