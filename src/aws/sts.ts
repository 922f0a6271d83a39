import { awsConnectionFrom, AwsFailure, callWith, clientConfig, recordEndpoint, type AwsConnection } from "./call.js";
import type { CallerIdentity, TemporaryCredentials } from "./credential-chain.js";

export function stsConnectionFrom(processEnv: NodeJS.ProcessEnv, region: string, timeoutMs?: number): AwsConnection {
  return awsConnectionFrom(processEnv, region, "STS", timeoutMs);
}

/** Who the credentials belong to, and the URL of the endpoint that said so. */
export async function getCallerIdentity(connection: AwsConnection): Promise<{ caller: CallerIdentity; answeredBy: string | null }> {
  const { GetCallerIdentityCommand } = await loadSdk();
  const client = await newClient(connection);
  const endpoint = recordEndpoint(client);
  const answer = await callWith("STS", "GetCallerIdentity", connection, client, (sts, options) => sts.send(new GetCallerIdentityCommand({}), options));
  if (!answer.Account || !answer.Arn) throw new AwsFailure("STS", "GetCallerIdentity", "IncompleteAnswer", "STS answered GetCallerIdentity without an account or ARN");
  return { caller: { account: answer.Account, arn: answer.Arn, userId: answer.UserId ?? "" }, answeredBy: endpoint.url() };
}

export async function assumeRole(
  connection: AwsConnection,
  roleArn: string,
  roleSessionName: string,
): Promise<{ credentials: TemporaryCredentials; assumedRoleArn: string }> {
  const { AssumeRoleCommand } = await loadSdk();
  const answer = await callWith("STS", "AssumeRole", connection, await newClient(connection), (sts, options) =>
    sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: roleSessionName }), options),
  );
  const credentials = answer.Credentials;
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken || !answer.AssumedRoleUser?.Arn) {
    throw new AwsFailure("STS", "AssumeRole", "IncompleteAnswer", `STS answered AssumeRole for ${roleArn} without credentials`);
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

async function newClient(connection: AwsConnection): Promise<InstanceType<Sdk["STSClient"]>> {
  const { STSClient } = await loadSdk();
  return new STSClient(clientConfig(connection));
}
