import { describe, expect, it } from "vitest";
import {
  checkAssumedRole,
  classifyStsEndpoint,
  deployRoleArn,
  environmentWithCredentials,
  nextIdentityStep,
  parseAssumedRoleArn,
  PLAN_ROLE_NAME,
  sessionName,
} from "../../../src/aws/credential-chain.js";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const TARGET = { env: "prod", accountId: "210987654321", factsFile: "envs/prod/environment.tf", commit: COMMIT, dirty: false };

describe("sessionName", () => {
  it("carries the environment and the first 12 hex of the commit", () => {
    expect(sessionName("prod", COMMIT, false)).toBe("infra-prod-0123456789ab");
  });

  it("says dirty for uncommitted or unknown source", () => {
    expect(sessionName("dev", COMMIT, true)).toBe("infra-dev-dirty");
    expect(sessionName("dev", null, null)).toBe("infra-dev-dirty");
  });

  it("stays within STS's 64 characters of [\\w+=,.@-] for any folder name", () => {
    const name = sessionName(`${"x".repeat(100)} <b>\`$(rm)\``, COMMIT, false);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^[\w+=,.@-]+$/);
    expect(name.endsWith("-0123456789ab")).toBe(true);
  });
});

describe("parseAssumedRoleArn", () => {
  it("splits an assumed-role ARN and returns null for users and roles", () => {
    expect(parseAssumedRoleArn("arn:aws:sts::210987654321:assumed-role/infra-deploy/infra-prod-0123456789ab")).toEqual({
      account: "210987654321",
      roleName: "infra-deploy",
      sessionName: "infra-prod-0123456789ab",
    });
    expect(parseAssumedRoleArn("arn:aws:iam::210987654321:user/alice")).toBeNull();
    expect(parseAssumedRoleArn("arn:aws:iam::210987654321:role/infra-deploy")).toBeNull();
  });
});

describe("nextIdentityStep", () => {
  it("assumes infra-deploy for a person in the environment's account", () => {
    const caller = { account: "210987654321", arn: "arn:aws:iam::210987654321:user/alice", userId: "AIDA" };
    expect(nextIdentityStep(caller, TARGET)).toEqual({ kind: "assume", caller, roleArn: deployRoleArn("210987654321"), sessionName: "infra-prod-0123456789ab" });
  });

  it("uses infra-deploy as is, and refuses another account even when it is infra-deploy there", () => {
    const deploy = { account: "210987654321", arn: "arn:aws:sts::210987654321:assumed-role/infra-deploy/ci", userId: "AROA" };
    expect(nextIdentityStep(deploy, TARGET).kind).toBe("use-as-is");
    const elsewhere = { account: "123456789012", arn: "arn:aws:sts::123456789012:assumed-role/infra-deploy/ci", userId: "AROA" };
    const step = nextIdentityStep(elsewhere, TARGET);
    expect(step.kind).toBe("wrong-account");
    expect(step.kind === "wrong-account" && step.problem).toContain("belong to account 123456789012");
  });
});

describe("checkAssumedRole", () => {
  it("accepts only infra-deploy in the expected account", () => {
    expect(checkAssumedRole("arn:aws:sts::210987654321:assumed-role/infra-deploy/s", "210987654321")).toBeNull();
    expect(checkAssumedRole("arn:aws:sts::210987654321:assumed-role/admin/s", "210987654321")).toContain("is not that role");
    expect(checkAssumedRole("arn:aws:sts::123456789012:assumed-role/infra-deploy/s", "210987654321")).toContain("is not that role");
  });

  it("with the read-only infra-plan asked for, accepts only infra-plan: infra-deploy is not it", () => {
    expect(checkAssumedRole("arn:aws:sts::210987654321:assumed-role/infra-plan/s", "210987654321", PLAN_ROLE_NAME)).toBeNull();
    expect(checkAssumedRole("arn:aws:sts::210987654321:assumed-role/infra-deploy/s", "210987654321", PLAN_ROLE_NAME)).toBe(
      "AssumeRole into arn:aws:iam::210987654321:role/infra-plan returned arn:aws:sts::210987654321:assumed-role/infra-deploy/s, which is not that role in account 210987654321",
    );
  });
});

describe("nextIdentityStep for a read-only plan or drift check", () => {
  it("uses an infra-plan session as is, and assumes infra-plan for anyone else, infra-deploy included", () => {
    const target = { ...TARGET, roleName: PLAN_ROLE_NAME };
    const pullRequest = { account: "210987654321", arn: "arn:aws:sts::210987654321:assumed-role/infra-plan/gha", userId: "AROA" };
    expect(nextIdentityStep(pullRequest, target).kind).toBe("use-as-is");
    const deploy = { account: "210987654321", arn: "arn:aws:sts::210987654321:assumed-role/infra-deploy/ci", userId: "AROA" };
    expect(nextIdentityStep(deploy, target)).toEqual({ kind: "assume", caller: deploy, roleArn: "arn:aws:iam::210987654321:role/infra-plan", sessionName: "infra-prod-0123456789ab" });
  });
});

describe("environmentWithCredentials", () => {
  it("sets the temporary credentials and drops every competing identity source, leaving the rest", () => {
    const env = environmentWithCredentials(
      { AWS_PROFILE: "p", AWS_DEFAULT_PROFILE: "p", AWS_WEB_IDENTITY_TOKEN_FILE: "/t", AWS_ROLE_ARN: "r", AWS_SESSION_TOKEN: "old", TF_VAR_x: "1" },
      { accessKeyId: "ASIA1", secretAccessKey: "s", sessionToken: "t", expiration: null },
    );
    expect(env).toEqual({ AWS_ACCESS_KEY_ID: "ASIA1", AWS_SECRET_ACCESS_KEY: "s", AWS_SESSION_TOKEN: "t", TF_VAR_x: "1" });
  });
});

describe("classifyStsEndpoint", () => {
  it("calls AWS's own regional, global, FIPS and dual-stack STS hosts over https AWS's", () => {
    for (const url of ["https://sts.us-east-2.amazonaws.com", "https://sts.amazonaws.com", "https://sts-fips.us-east-2.amazonaws.com", "https://sts.us-east-2.api.aws"]) {
      expect(classifyStsEndpoint(url, "us-east-2", {})).toEqual({ url, chosenBy: "aws" });
    }
  });

  it("calls anything else the caller's, naming what chose it", () => {
    expect(classifyStsEndpoint("http://127.0.0.1:4566", "us-east-2", { AWS_ENDPOINT_URL_STS: "http://127.0.0.1:4566" })).toEqual({
      url: "http://127.0.0.1:4566",
      chosenBy: "caller",
      via: "AWS_ENDPOINT_URL_STS",
    });
    expect(classifyStsEndpoint("https://sts.eu-central-1.amazonaws.com", "us-east-2", {})).toMatchObject({ chosenBy: "caller", via: "the AWS configuration (a profile's endpoint_url or services section)" });
    expect(classifyStsEndpoint("http://sts.us-east-2.amazonaws.com", "us-east-2", {})).toMatchObject({ chosenBy: "caller" });
    expect(classifyStsEndpoint("https://sts.us-east-2.amazonaws.com:8443", "us-east-2", {})).toMatchObject({ chosenBy: "caller" });
    expect(classifyStsEndpoint("https://sts.us-east-2.amazonaws.com.evil.example", "us-east-2", {})).toMatchObject({ chosenBy: "caller" });
    expect(classifyStsEndpoint("https://sts.us-east-2.amazonaws.com", "us-east-2", { NODE_TLS_REJECT_UNAUTHORIZED: "0" })).toMatchObject({
      chosenBy: "caller",
      via: "NODE_TLS_REJECT_UNAUTHORIZED=0 (TLS certificates unchecked)",
    });
    expect(classifyStsEndpoint(null, "us-east-2", {})).toMatchObject({ url: "an unknown endpoint", chosenBy: "caller" });
  });
});
