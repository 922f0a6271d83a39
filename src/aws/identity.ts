import { AwsFailure, type AwsConnection } from "./call.js";
import {
  checkAssumedRole,
  classifyStsEndpoint,
  environmentWithCredentials,
  isBreakGlass,
  nextIdentityStep,
  type CallerIdentity,
  type IdentityTarget,
  type StsEndpointFact,
} from "./credential-chain.js";
import { assumeRole, getCallerIdentity, stsConnectionFrom } from "./sts.js";

/** What the identity gate decides over; written to the receipt as it is (it holds no secret). */
export type IdentityFacts =
  | { status: "offline" }
  | {
      status: "verified";
      /** Who the credentials belonged to before `infra` did anything. */
      caller: CallerIdentity;
      /** The principal terraform runs as: the assumed infra-deploy session, or the caller as is. */
      principalArn: string;
      /** true: infra assumed infra-deploy from the caller; false: the caller already was infra-deploy (CI through OIDC). */
      assumed: boolean;
      /** The STS endpoint that answered: AWS's own, or one the caller chose (which never approves a protected environment). */
      stsEndpoint: StsEndpointFact;
      /** The caller is infra-break-glass: recorded in the receipt and the ledger as break-glass use. */
      breakGlass: boolean;
    }
  | { status: "failed"; problem: string; hint: string; caller?: CallerIdentity };

export interface ResolvedIdentity {
  facts: IdentityFacts;
  /** The environment terraform gets: the temporary credentials when a role was assumed. */
  processEnv: NodeJS.ProcessEnv;
}

export interface IdentityOptions {
  offline: boolean;
  timeoutMs?: number;
}

/**
 * Steps 1-2 of the credential chain. Never throws for an STS problem: the failure becomes a
 * fact (one sentence and a hint) that the identity gate refuses on, or plan reports.
 */
export async function resolveIdentity(
  target: IdentityTarget & { region: string },
  processEnv: NodeJS.ProcessEnv,
  options: IdentityOptions,
): Promise<ResolvedIdentity> {
  if (options.offline) return { facts: { status: "offline" }, processEnv };
  const connection = stsConnectionFrom(processEnv, target.region, options.timeoutMs);
  let caller: CallerIdentity;
  let stsEndpoint: StsEndpointFact;
  try {
    const answer = await getCallerIdentity(connection);
    caller = answer.caller;
    stsEndpoint = classifyStsEndpoint(answer.answeredBy, target.region, processEnv);
  } catch (error) {
    return { facts: failed(describeFailure(error, target, connection)), processEnv };
  }
  const step = nextIdentityStep(caller, target);
  if (step.kind === "wrong-account") return { facts: { status: "failed", problem: step.problem, hint: step.hint, caller }, processEnv };
  const verified = { status: "verified" as const, caller, stsEndpoint, breakGlass: isBreakGlass(caller) };
  if (step.kind === "use-as-is") return { facts: { ...verified, principalArn: caller.arn, assumed: false }, processEnv };
  try {
    const { credentials, assumedRoleArn } = await assumeRole(connection, step.roleArn, step.sessionName);
    const problem = checkAssumedRole(assumedRoleArn, target.accountId, target.roleName ?? undefined);
    if (problem) return { facts: { status: "failed", problem, hint: "check the STS endpoint (AWS_ENDPOINT_URL_STS) and the role's trust policy", caller }, processEnv };
    return {
      facts: { ...verified, principalArn: assumedRoleArn, assumed: true },
      processEnv: environmentWithCredentials(processEnv, credentials),
    };
  } catch (error) {
    return { facts: { ...failed(describeFailure(error, target, connection, { caller, roleArn: step.roleArn })), caller }, processEnv };
  }
}

function failed({ problem, hint }: { problem: string; hint: string }): IdentityFacts & { status: "failed" } {
  return { status: "failed", problem, hint };
}

/** One sentence per kind of failure, naming the account expected and, where known, the one found. */
export function describeFailure(
  error: unknown,
  target: IdentityTarget,
  connection: AwsConnection,
  assuming?: { caller: CallerIdentity; roleArn: string },
): { problem: string; hint: string } {
  if (!(error instanceof AwsFailure)) throw error;
  const expected = `${target.env} needs credentials for account ${target.accountId}`;
  const signIn = `sign in to the ${target.env} account (for example \`aws sso login\` and AWS_PROFILE), or pass --offline for a stack on the local backend`;
  switch (error.code) {
    case "CredentialsProviderError":
      return { problem: `no AWS credentials were found: ${expected}`, hint: signIn };
    case "ExpiredToken":
    case "ExpiredTokenException":
    case "RequestExpired":
      return { problem: `the AWS credentials have expired: ${expected}`, hint: signIn };
    case "InvalidClientTokenId":
    case "SignatureDoesNotMatch":
    case "UnrecognizedClientException":
      return { problem: `AWS rejected the credentials (${error.code}): ${expected}`, hint: signIn };
    case "AccessDenied":
      if (assuming) {
        return {
          problem: `${assuming.caller.arn} may not assume ${assuming.roleArn} (AccessDenied)`,
          hint: `add this principal to the ${target.env} deployer principals of the bootstrap stack, or sign in as one of them`,
        };
      }
      return { problem: `STS refused ${error.operation} (AccessDenied): ${expected}`, hint: signIn };
    case "Timeout":
      return {
        problem: `${error.message} at ${connection.endpoint ?? `the ${connection.region} endpoint`}: ${target.env}'s account ${target.accountId} could not be confirmed`,
        hint: "check the network and AWS_ENDPOINT_URL_STS, then run again",
      };
    default:
      return {
        problem: `STS ${error.operation} failed (${error.code}: ${firstLine(error.message)}): ${target.env}'s account ${target.accountId} could not be confirmed`,
        hint: "check the network, AWS_ENDPOINT_URL_STS and the credentials, then run again",
      };
  }
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").slice(0, 200);
}
