import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small STS that speaks the query protocol on 127.0.0.1, so the real AWS SDK (and the real
 * CLI) can be tested against it: GetCallerIdentity, AssumeRole, error answers and a hang.
 * Callers are told apart by the access key id in the SigV4 Authorization header.
 */
export interface FakePrincipal {
  account: string;
  arn: string;
}

export interface FakeStsOptions {
  /** Access key id -> who it belongs to, or the STS error code its calls get (e.g. ExpiredToken). */
  principals: Record<string, FakePrincipal | { error: string }>;
  /** Role ARNs each access key id may assume; the default lets a principal assume any role in its own account. */
  mayAssume?: (principal: FakePrincipal, roleArn: string) => boolean;
  /** Never answer (the socket stays open): a hanging endpoint. */
  hang?: boolean;
}

export interface StsRequest {
  action: string;
  accessKeyId: string | null;
  params: Record<string, string>;
}

export interface FakeSts {
  endpoint: string;
  requests: StsRequest[];
  /** Access key id of the temporary credentials the last AssumeRole issued. */
  issued: Array<{ accessKeyId: string; secretAccessKey: string; sessionToken: string; arn: string }>;
  close(): Promise<void>;
}

const NS = "https://sts.amazonaws.com/doc/2011-06-15/";

export async function startFakeSts(options: FakeStsOptions): Promise<FakeSts> {
  const principals = new Map(Object.entries(options.principals));
  const requests: StsRequest[] = [];
  const issued: FakeSts["issued"] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const accessKeyId = /Credential=([^/]+)\//.exec(request.headers.authorization ?? "")?.[1] ?? null;
      const action = params["Action"] ?? "";
      requests.push({ action, accessKeyId, params });
      if (options.hang) {
        hanging.push(response);
        return;
      }
      const principal = accessKeyId ? principals.get(accessKeyId) : undefined;
      if (!principal) return sendError(response, 403, "InvalidClientTokenId", "The security token included in the request is invalid.");
      if ("error" in principal) return sendError(response, principal.error === "ExpiredToken" ? 400 : 403, principal.error, `${principal.error} (fake STS)`);
      if (action === "GetCallerIdentity") {
        return send(
          response,
          200,
          `<GetCallerIdentityResponse xmlns="${NS}"><GetCallerIdentityResult><Arn>${principal.arn}</Arn><UserId>AIDAFAKE${accessKeyId}</UserId><Account>${principal.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>fake-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        );
      }
      if (action === "AssumeRole") {
        const roleArn = params["RoleArn"] ?? "";
        const sessionName = params["RoleSessionName"] ?? "";
        const allowed = options.mayAssume ? options.mayAssume(principal, roleArn) : roleArn.startsWith(`arn:aws:iam::${principal.account}:role/`);
        if (!allowed) return sendError(response, 403, "AccessDenied", `User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
        const [, account, roleName] = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(roleArn) ?? [];
        const arn = `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`;
        const credentials = {
          accessKeyId: `ASIAFAKE${issued.length + 1}`,
          secretAccessKey: `fake-secret-${issued.length + 1}`,
          sessionToken: `fake-session-token-${issued.length + 1}`,
          arn,
        };
        issued.push(credentials);
        principals.set(credentials.accessKeyId, { account: account ?? "", arn });
        return send(
          response,
          200,
          `<AssumeRoleResponse xmlns="${NS}"><AssumeRoleResult><AssumedRoleUser><Arn>${arn}</Arn><AssumedRoleId>AROAFAKE:${sessionName}</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>${credentials.accessKeyId}</AccessKeyId><SecretAccessKey>${credentials.secretAccessKey}</SecretAccessKey><SessionToken>${credentials.sessionToken}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>fake-2</RequestId></ResponseMetadata></AssumeRoleResponse>`,
        );
      }
      return sendError(response, 400, "InvalidAction", `Could not find operation ${action}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    issued,
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => resolve(body));
  });
}

function send(response: ServerResponse, status: number, xml: string): void {
  response.writeHead(status, { "content-type": "text/xml" });
  response.end(xml);
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  send(response, status, `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fake-err</RequestId></ErrorResponse>`);
}

/** A process environment whose AWS SDK (the CLI's, spawned) talks to `sts` as the principal of `accessKeyId`. */
export function fakeStsEnv(sts: Pick<FakeSts, "endpoint">, accessKeyId: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...base,
    AWS_ENDPOINT_URL_STS: sts.endpoint,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: "fake-secret",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}
