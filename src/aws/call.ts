/**
 * What every AWS call of infra shares (STS for identity, KMS for the ledger's signatures): where
 * it goes, with which credentials, how long it may take, which endpoint really answered, and one
 * error type whose `code` is AWS's error code or the SDK's error name.
 */
export type AwsService = "STS" | "KMS";

/** How to reach one service. Read from the environment by `awsConnectionFrom`, so tests point it at 127.0.0.1. */
export interface AwsConnection {
  region: string;
  /** AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL; the SDK's own resolution otherwise. */
  endpoint?: string;
  /** Total time for one call, retries included. */
  timeoutMs: number;
  /** Static credentials from the environment; without them the SDK's default chain (profile, SSO, web identity) looks. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export const DEFAULT_AWS_TIMEOUT_MS = 15_000;

/** A call that did not return an answer we can use. */
export class AwsFailure extends Error {
  constructor(
    readonly service: AwsService,
    readonly operation: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AwsFailure";
  }
}

/** The variables that make the SDK send one service's calls somewhere of the caller's choosing. */
export function endpointVariables(service: AwsService): readonly string[] {
  return [`AWS_ENDPOINT_URL_${service}`, "AWS_ENDPOINT_URL"];
}

export function awsConnectionFrom(processEnv: NodeJS.ProcessEnv, region: string, service: AwsService, timeoutMs = DEFAULT_AWS_TIMEOUT_MS): AwsConnection {
  const endpoint = endpointVariables(service)
    .map((name) => processEnv[name])
    .find(Boolean);
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

/** The configuration every client of ours is made with. */
export function clientConfig(connection: AwsConnection) {
  return {
    region: connection.region,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: connection.timeoutMs, requestTimeout: connection.timeoutMs },
    ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
    ...(connection.credentials ? { credentials: connection.credentials } : {}),
  };
}

interface WireRequest {
  protocol?: string;
  hostname?: string;
  port?: number;
}

interface MiddlewareHost {
  middlewareStack: {
    add(middleware: (next: (args: { request: unknown }) => Promise<unknown>) => (args: { request: unknown }) => Promise<unknown>, options: { step: "finalizeRequest"; name: string }): void;
  };
}

/**
 * Records the URL each request of `client` is sent to, as the SDK finally resolved it (explicit
 * endpoint, AWS_ENDPOINT_URL_*, a profile's endpoint_url, or its own rules for the region): what
 * answered is then a fact, not a guess from the variables.
 */
export function recordEndpoint(client: object): { url: () => string | null } {
  let url: string | null = null;
  (client as MiddlewareHost).middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as WireRequest;
      if (request.hostname) url = `${request.protocol ?? "https:"}//${request.hostname}${request.port ? `:${request.port}` : ""}`;
      return next(args);
    },
    { step: "finalizeRequest", name: "infraRecordEndpoint" },
  );
  return { url: () => url };
}

export function asAwsFailure(service: AwsService, operation: string, error: unknown, timeoutMs: number): AwsFailure {
  const record = (typeof error === "object" && error !== null ? error : {}) as { name?: unknown; code?: unknown; message?: unknown };
  const name = typeof record.name === "string" ? record.name : "Error";
  const message = typeof record.message === "string" ? record.message : String(error);
  if (name === "TimeoutError" || name === "AbortError" || /timed? ?out|ETIMEDOUT/i.test(message)) {
    return new AwsFailure(service, operation, "Timeout", `${service} did not answer ${operation} within ${Math.round(timeoutMs / 100) / 10} s`);
  }
  const code = typeof record.code === "string" && /^E[A-Z]+$/.test(record.code) ? record.code : name;
  return new AwsFailure(service, operation, code, message);
}

/** Runs one request on a fresh client, within the connection's time, mapping every failure to an AwsFailure. */
export async function callWith<Client extends { destroy(): void }, Output>(
  service: AwsService,
  operation: string,
  connection: AwsConnection,
  client: Client,
  request: (client: Client, options: { abortSignal: AbortSignal }) => Promise<Output>,
): Promise<Output> {
  try {
    return await request(client, { abortSignal: AbortSignal.timeout(connection.timeoutMs) });
  } catch (error) {
    throw asAwsFailure(service, operation, error, connection.timeoutMs);
  } finally {
    client.destroy();
  }
}
