import type { CallerIdentity, TemporaryCredentials } from "./credential-chain.js";

/** How to reach STS. Read from the environment by `stsConnectionFrom`, so tests point it at 127.0.0.1. */
export interface StsConnection {
  region: string;
  /** AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL; the SDK's regional endpoint otherwise. */
  endpoint?: string;
  /** Total time for one call, retries included. */
  timeoutMs: number;
  /** Static credentials from the environment; without them the SDK's default chain (profile, SSO, web identity) looks. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export const DEFAULT_STS_TIMEOUT_MS = 15_000;

/** An STS call that did not return an answer we can use. `code` is STS's error code or the SDK's error name. */
export class StsFailure extends Error {
  constructor(
    readonly operation: "GetCallerIdentity" | "AssumeRole",
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "StsFailure";
  }
}

export function stsConnectionFrom(processEnv: NodeJS.ProcessEnv, region: string, timeoutMs = DEFAULT_STS_TIMEOUT_MS): StsConnection {
  const endpoint = processEnv["AWS_ENDPOINT_URL_STS"] || processEnv["AWS_ENDPOINT_URL"] || undefined;
  const accessKeyId = processEnv["AWS_ACCESS_KEY_ID"];
  const secretAccessKey = processEnv["AWS_SECRET_ACCESS_KEY"];
  const sessionToken = processEnv["AWS_SESSION_TOKEN"] || undefined;
  return {
    region,
    timeoutMs,
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
  };
}

export async function getCallerIdentity(connection: StsConnection): Promise<CallerIdentity> {
  const { GetCallerIdentityCommand } = await loadSdk();
  const answer = await call(connection, "GetCallerIdentity", (client, options) => client.send(new GetCallerIdentityCommand({}), options));
  if (!answer.Account || !answer.Arn) throw new StsFailure("GetCallerIdentity", "IncompleteAnswer", "STS answered GetCallerIdentity without an account or ARN");
  return { account: answer.Account, arn: answer.Arn, userId: answer.UserId ?? "" };
}

export async function assumeRole(
  connection: StsConnection,
  roleArn: string,
  roleSessionName: string,
): Promise<{ credentials: TemporaryCredentials; assumedRoleArn: string }> {
  const { AssumeRoleCommand } = await loadSdk();
  const answer = await call(connection, "AssumeRole", (client, options) =>
    client.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: roleSessionName }), options),
  );
  const credentials = answer.Credentials;
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken || !answer.AssumedRoleUser?.Arn) {
    throw new StsFailure("AssumeRole", "IncompleteAnswer", `STS answered AssumeRole for ${roleArn} without credentials`);
  }
  return {
    credentials: {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration ? credentials.Expiration.toISOString() : null,
    },
    assumedRoleArn: answer.AssumedRoleUser.Arn,
  };
}

type Sdk = typeof import("@aws-sdk/client-sts");
let sdk: Promise<Sdk> | undefined;
// The SDK takes longer to load than `infra --help` takes to run: only commands that ask STS load it.
function loadSdk(): Promise<Sdk> {
  sdk ??= import("@aws-sdk/client-sts");
  return sdk;
}

async function call<Output>(
  connection: StsConnection,
  operation: StsFailure["operation"],
  request: (client: InstanceType<Sdk["STSClient"]>, options: { abortSignal: AbortSignal }) => Promise<Output>,
): Promise<Output> {
  const { STSClient } = await loadSdk();
  const client = new STSClient({
    region: connection.region,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: connection.timeoutMs, requestTimeout: connection.timeoutMs },
    ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
    ...(connection.credentials ? { credentials: connection.credentials } : {}),
  });
  try {
    return await request(client, { abortSignal: AbortSignal.timeout(connection.timeoutMs) });
  } catch (error) {
    throw asStsFailure(operation, error, connection.timeoutMs);
  } finally {
    client.destroy();
  }
}

function asStsFailure(operation: StsFailure["operation"], error: unknown, timeoutMs: number): StsFailure {
  const record = (typeof error === "object" && error !== null ? error : {}) as { name?: unknown; code?: unknown; message?: unknown };
  const name = typeof record.name === "string" ? record.name : "Error";
  const message = typeof record.message === "string" ? record.message : String(error);
  if (name === "TimeoutError" || name === "AbortError" || /timed? ?out|ETIMEDOUT/i.test(message)) {
    return new StsFailure(operation, "Timeout", `STS did not answer ${operation} within ${Math.round(timeoutMs / 100) / 10} s`);
  }
  const code = typeof record.code === "string" && /^E[A-Z]+$/.test(record.code) ? record.code : name;
  return new StsFailure(operation, code, message);
}
