import { endpointVariables } from "./call.js";

/**
 * The one credential chain (README "The credential chain"): every environment account has one
 * role that changes infrastructure, infra-deploy. `infra` - not terraform - arrives in it, with
 * a session name carrying the environment and the commit, and hands terraform the temporary
 * credentials. Everything here is a pure decision over what STS answered.
 */
export const DEPLOY_ROLE_NAME = "infra-deploy";
/** The MFA-only role of last resort; using it is recorded as break-glass use. */
export const BREAK_GLASS_ROLE_NAME = "infra-break-glass";
/** The read-only role a pull request's plan and the drift check run as: it can read, never change (README "GitHub Actions"). */
export const PLAN_ROLE_NAME = "infra-plan";

/** What GetCallerIdentity says about the credentials in use. */
export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

/** What AssumeRole returns. Never logged, never written to a receipt. */
export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: string | null;
}

export function deployRoleArn(accountId: string, roleName: string = DEPLOY_ROLE_NAME): string {
  return `arn:aws:iam::${accountId}:role/${roleName}`;
}

/**
 * `infra-<env>-<first 12 hex of the commit>`, or `-dirty` for uncommitted (or unknown) source,
 * so every CloudTrail entry names the commit that made it. STS allows 2-64 characters of
 * [\w+=,.@-]; environment names are folder names, so anything else is replaced.
 */
export function sessionName(env: string, commit: string | null, dirty: boolean | null): string {
  const source = commit !== null && dirty === false ? commit.slice(0, 12) : "dirty";
  const safeEnv = env.replace(/[^\w+=,.@-]/g, "_").slice(0, 64 - "infra--".length - source.length);
  return `infra-${safeEnv}-${source}`;
}

/** `arn:aws:sts::<account>:assumed-role/<role>/<session>` -> its parts, or null for any other principal. */
export function parseAssumedRoleArn(arn: string): { account: string; roleName: string; sessionName: string } | null {
  const match = /^arn:aws[\w-]*:sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (!match) return null;
  return { account: match[1] as string, roleName: match[2] as string, sessionName: match[3] as string };
}

export type IdentityStep =
  /** The caller already is infra-deploy in the environment's account (CI through OIDC). */
  | { kind: "use-as-is"; caller: CallerIdentity }
  /** A person (or another role) in the environment's account: assume infra-deploy. */
  | { kind: "assume"; caller: CallerIdentity; roleArn: string; sessionName: string }
  | { kind: "wrong-account"; caller: CallerIdentity; problem: string; hint: string };

export interface IdentityTarget {
  env: string;
  accountId: string;
  factsFile: string;
  commit: string | null;
  dirty: boolean | null;
  /**
   * The role terraform runs as: infra-deploy unless said otherwise (infra-plan for a read-only
   * plan or a drift check); null for the caller as it is (an account stack, which runs before
   * any role of the chain exists).
   */
  roleName?: string | null;
}

/** Step 2 of the chain: what to do with the caller GetCallerIdentity returned. */
export function nextIdentityStep(caller: CallerIdentity, target: IdentityTarget): IdentityStep {
  if (caller.account !== target.accountId) {
    return {
      kind: "wrong-account",
      caller,
      problem: `the AWS credentials belong to account ${caller.account} (${caller.arn}), but ${target.env} is account ${target.accountId} (${target.factsFile})`,
      hint: `use credentials for the ${target.env} account: sign in to it (for example \`aws sso login\` and AWS_PROFILE) or run in the ${target.env} GitHub environment`,
    };
  }
  if (target.roleName === null) return { kind: "use-as-is", caller };
  const roleName = target.roleName ?? DEPLOY_ROLE_NAME;
  const assumed = parseAssumedRoleArn(caller.arn);
  if (assumed?.roleName === roleName) return { kind: "use-as-is", caller };
  return { kind: "assume", caller, roleArn: deployRoleArn(target.accountId, roleName), sessionName: sessionName(target.env, target.commit, target.dirty) };
}

/** Whether the caller is the break-glass role, whose every use the receipt records. */
export function isBreakGlass(caller: CallerIdentity): boolean {
  return parseAssumedRoleArn(caller.arn)?.roleName === BREAK_GLASS_ROLE_NAME;
}

/** Checks that the role AssumeRole returned is the role asked for (infra-deploy by default) in the expected account; a problem sentence or null. */
export function checkAssumedRole(assumedArn: string, accountId: string, roleName: string = DEPLOY_ROLE_NAME): string | null {
  const assumed = parseAssumedRoleArn(assumedArn);
  if (assumed?.account === accountId && assumed.roleName === roleName) return null;
  return `AssumeRole into ${deployRoleArn(accountId, roleName)} returned ${assumedArn}, which is not that role in account ${accountId}`;
}

/**
 * Which STS endpoint answered GetCallerIdentity: AWS's own for the region (what the SDK resolves
 * when nobody chose one), or one the caller chose - whose answer says only what that caller wants.
 */
export type StsEndpointFact = { url: string; chosenBy: "aws" } | { url: string; chosenBy: "caller"; via: string };

/** The hosts AWS's own endpoint resolution gives STS in `region` (regional, legacy global, FIPS, dual-stack, China). */
function awsStsHosts(region: string): string[] {
  return [`sts.${region}.amazonaws.com`, "sts.amazonaws.com", `sts-fips.${region}.amazonaws.com`, `sts.${region}.api.aws`, `sts-fips.${region}.api.aws`, `sts.${region}.amazonaws.com.cn`];
}

/** Classifies the URL the SDK really sent GetCallerIdentity to; `processEnv` only names why it went elsewhere. */
export function classifyStsEndpoint(url: string | null, region: string, processEnv: NodeJS.ProcessEnv): StsEndpointFact {
  const parsed = url === null ? null : URL.canParse(url) ? new URL(url) : null;
  const tlsUnchecked = processEnv["NODE_TLS_REJECT_UNAUTHORIZED"] === "0";
  if (parsed?.protocol === "https:" && parsed.port === "" && awsStsHosts(region).includes(parsed.hostname) && !tlsUnchecked) {
    return { url: parsed.origin, chosenBy: "aws" };
  }
  const variable = endpointVariables("STS").find((name) => processEnv[name]);
  const via = variable
    ? variable
    : tlsUnchecked
      ? "NODE_TLS_REJECT_UNAUTHORIZED=0 (TLS certificates unchecked)"
      : "the AWS configuration (a profile's endpoint_url or services section)";
  return { url: url ?? "an unknown endpoint", chosenBy: "caller", via };
}

/** Keys that could make terraform's provider pick an identity other than the one handed to it. */
const COMPETING_IDENTITY_KEYS = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME"] as const;

/** The environment terraform runs with: the temporary credentials, and nothing that competes with them. */
export function environmentWithCredentials(processEnv: NodeJS.ProcessEnv, credentials: TemporaryCredentials): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...processEnv };
  for (const key of COMPETING_IDENTITY_KEYS) delete env[key];
  env["AWS_ACCESS_KEY_ID"] = credentials.accessKeyId;
  env["AWS_SECRET_ACCESS_KEY"] = credentials.secretAccessKey;
  env["AWS_SESSION_TOKEN"] = credentials.sessionToken;
  return env;
}
