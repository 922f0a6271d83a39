import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { resolveIdentity } from "../../../src/aws/identity.js";
import { startFakeSts, type FakeSts, type FakeStsOptions } from "../../fake-sts.js";

// The real @aws-sdk/client-sts talks to a query-protocol STS on 127.0.0.1; no SDK method is stubbed.
const DEV_ACCOUNT = "123456789012";
const OTHER_ACCOUNT = "210987654321";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const TARGET = { env: "dev", accountId: DEV_ACCOUNT, region: "eu-central-1", factsFile: "/repo/terraform/envs/dev/environment.tf", commit: COMMIT, dirty: false };

const PRINCIPALS: FakeStsOptions["principals"] = {
  AKIAPERSON: { account: DEV_ACCOUNT, arn: `arn:aws:sts::${DEV_ACCOUNT}:assumed-role/AWSReservedSSO_Deployer_0a1b/alice` },
  AKIACIDEPLOY: { account: DEV_ACCOUNT, arn: `arn:aws:sts::${DEV_ACCOUNT}:assumed-role/infra-deploy/infra-dev-0123456789ab` },
  AKIAOTHER: { account: OTHER_ACCOUNT, arn: `arn:aws:iam::${OTHER_ACCOUNT}:user/bob` },
  AKIAEXPIRED: { error: "ExpiredToken" },
};

let sts: FakeSts | undefined;
afterEach(async () => {
  await sts?.close();
  sts = undefined;
  vi.unstubAllEnvs();
});

async function withSts(options: Partial<FakeStsOptions> = {}): Promise<FakeSts> {
  sts = await startFakeSts({ principals: PRINCIPALS, ...options });
  return sts;
}

function envFor(server: FakeSts, accessKeyId: string): NodeJS.ProcessEnv {
  return { AWS_ENDPOINT_URL_STS: server.endpoint, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: "fake-secret", AWS_PROFILE: "someone-else", PATH: "/usr/bin" };
}

describe("resolveIdentity", () => {
  it("assumes infra-deploy in the environment's account with a session name carrying env and commit, and hands terraform those credentials", async () => {
    const server = await withSts();
    const resolved = await resolveIdentity(TARGET, envFor(server, "AKIAPERSON"), { offline: false });
    expect(server.requests.map((request) => request.action)).toEqual(["GetCallerIdentity", "AssumeRole"]);
    expect(server.requests[1]?.params).toMatchObject({ RoleArn: `arn:aws:iam::${DEV_ACCOUNT}:role/infra-deploy`, RoleSessionName: "infra-dev-0123456789ab" });
    expect(resolved.facts).toEqual({
      status: "verified",
      caller: { account: DEV_ACCOUNT, arn: PRINCIPALS["AKIAPERSON"] && "arn" in PRINCIPALS["AKIAPERSON"] ? PRINCIPALS["AKIAPERSON"].arn : "", userId: "AIDAFAKEAKIAPERSON" },
      principalArn: `arn:aws:sts::${DEV_ACCOUNT}:assumed-role/infra-deploy/infra-dev-0123456789ab`,
      assumed: true,
      stsEndpoint: { url: server.endpoint, chosenBy: "caller", via: "AWS_ENDPOINT_URL_STS" },
      breakGlass: false,
    });
    expect(resolved.processEnv).toMatchObject({ AWS_ACCESS_KEY_ID: "ASIAFAKE1", AWS_SECRET_ACCESS_KEY: "fake-secret-1", AWS_SESSION_TOKEN: "fake-session-token-1", PATH: "/usr/bin" });
    expect(resolved.processEnv["AWS_PROFILE"]).toBeUndefined();
    expect(JSON.stringify(resolved.facts)).not.toContain("fake-secret");
  });

  it("names a dirty source in the session name", async () => {
    const server = await withSts();
    await resolveIdentity({ ...TARGET, dirty: true }, envFor(server, "AKIAPERSON"), { offline: false });
    expect(server.requests[1]?.params["RoleSessionName"]).toBe("infra-dev-dirty");
  });

  it("uses a caller that already is infra-deploy in the account as is (CI through OIDC)", async () => {
    const server = await withSts();
    const env = envFor(server, "AKIACIDEPLOY");
    const resolved = await resolveIdentity(TARGET, env, { offline: false });
    expect(server.requests.map((request) => request.action)).toEqual(["GetCallerIdentity"]);
    expect(resolved.facts).toMatchObject({ status: "verified", assumed: false, principalArn: `arn:aws:sts::${DEV_ACCOUNT}:assumed-role/infra-deploy/infra-dev-0123456789ab` });
    expect(resolved.processEnv).toBe(env);
  });

  it("refuses credentials of another account, naming both accounts, and assumes nothing", async () => {
    const server = await withSts();
    const resolved = await resolveIdentity(TARGET, envFor(server, "AKIAOTHER"), { offline: false });
    expect(server.requests.map((request) => request.action)).toEqual(["GetCallerIdentity"]);
    expect(resolved.facts).toMatchObject({
      status: "failed",
      problem: `the AWS credentials belong to account ${OTHER_ACCOUNT} (arn:aws:iam::${OTHER_ACCOUNT}:user/bob), but dev is account ${DEV_ACCOUNT} (${TARGET.factsFile})`,
    });
  });

  it("says expired credentials have expired, and which account was expected", async () => {
    const server = await withSts();
    const resolved = await resolveIdentity(TARGET, envFor(server, "AKIAEXPIRED"), { offline: false });
    expect(resolved.facts).toMatchObject({ status: "failed", problem: `the AWS credentials have expired: dev needs credentials for account ${DEV_ACCOUNT}` });
  });

  it("says when STS rejects an unknown key", async () => {
    const server = await withSts();
    const resolved = await resolveIdentity(TARGET, envFor(server, "AKIAUNKNOWN"), { offline: false });
    expect(resolved.facts).toMatchObject({ status: "failed", problem: `AWS rejected the credentials (InvalidClientTokenId): dev needs credentials for account ${DEV_ACCOUNT}` });
  });

  it("says who may not assume infra-deploy when the trust policy refuses", async () => {
    const server = await withSts({ mayAssume: () => false });
    const resolved = await resolveIdentity(TARGET, envFor(server, "AKIAPERSON"), { offline: false });
    expect(resolved.facts).toMatchObject({
      status: "failed",
      problem: `arn:aws:sts::${DEV_ACCOUNT}:assumed-role/AWSReservedSSO_Deployer_0a1b/alice may not assume arn:aws:iam::${DEV_ACCOUNT}:role/infra-deploy (AccessDenied)`,
    });
  });

  it("gives up on an STS endpoint that hangs, within the timeout", async () => {
    const server = await withSts({ hang: true });
    const started = Date.now();
    const resolved = await resolveIdentity(TARGET, envFor(server, "AKIAPERSON"), { offline: false, timeoutMs: 400 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(resolved.facts).toMatchObject({
      status: "failed",
      problem: `STS did not answer GetCallerIdentity within 0.4 s at ${server.endpoint}: dev's account ${DEV_ACCOUNT} could not be confirmed`,
    });
  });

  it("says no credentials were found when the SDK's chain finds none", async () => {
    const server = await withSts();
    const home = await mkdtemp(path.join(tmpdir(), "infra-nocreds-"));
    // The SDK's default chain reads the process environment itself: give it an empty one.
    for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"]) {
      vi.stubEnv(key, undefined);
    }
    vi.stubEnv("HOME", home);
    vi.stubEnv("AWS_CONFIG_FILE", path.join(home, "config"));
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", path.join(home, "credentials"));
    vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
    try {
      const resolved = await resolveIdentity(TARGET, { AWS_ENDPOINT_URL_STS: server.endpoint }, { offline: false });
      expect(resolved.facts).toMatchObject({ status: "failed", problem: `no AWS credentials were found: dev needs credentials for account ${DEV_ACCOUNT}` });
      expect(server.requests).toEqual([]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("records the endpoint that really answered, and what chose it: a variable, or a profile's endpoint_url the SDK read itself", async () => {
    const server = await withSts();
    const viaAny = await resolveIdentity(TARGET, { ...envFor(server, "AKIACIDEPLOY"), AWS_ENDPOINT_URL_STS: undefined, AWS_ENDPOINT_URL: server.endpoint }, { offline: false });
    expect(viaAny.facts).toMatchObject({ status: "verified", stsEndpoint: { url: server.endpoint, chosenBy: "caller", via: "AWS_ENDPOINT_URL" } });
    const home = await mkdtemp(path.join(tmpdir(), "infra-profile-endpoint-"));
    try {
      await writeFile(path.join(home, "config"), `[profile ci]\nregion = eu-central-1\nendpoint_url = ${server.endpoint}\n`);
      vi.stubEnv("AWS_CONFIG_FILE", path.join(home, "config"));
      vi.stubEnv("AWS_PROFILE", "ci");
      const { AWS_ENDPOINT_URL_STS: _ignored, ...withoutVariable } = envFor(server, "AKIACIDEPLOY");
      const viaProfile = await resolveIdentity(TARGET, { ...withoutVariable, AWS_PROFILE: "ci" }, { offline: false });
      expect(viaProfile.facts).toMatchObject({
        status: "verified",
        stsEndpoint: { url: server.endpoint, chosenBy: "caller", via: "the AWS configuration (a profile's endpoint_url or services section)" },
      });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("records a break-glass caller", async () => {
    const server = await withSts({ principals: { ...PRINCIPALS, AKIABREAKGLASS: { account: DEV_ACCOUNT, arn: `arn:aws:sts::${DEV_ACCOUNT}:assumed-role/infra-break-glass/alice` } } });
    const resolved = await resolveIdentity(TARGET, envFor(server, "AKIABREAKGLASS"), { offline: false });
    expect(resolved.facts).toMatchObject({ status: "verified", assumed: true, breakGlass: true });
  });

  it("asks nothing offline", async () => {
    const server = await withSts();
    const env = envFor(server, "AKIAPERSON");
    expect(await resolveIdentity(TARGET, env, { offline: true })).toEqual({ facts: { status: "offline" }, processEnv: env });
    expect(server.requests).toEqual([]);
  });
});
