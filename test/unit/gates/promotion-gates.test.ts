import { describe, expect, it } from "vitest";
import { RefusedError } from "../../../src/errors.js";
import type { ApplyGate, ApplyGateInput, GateDecision } from "../../../src/gates/apply-gates.js";
import { approvalGate, approvalRecord } from "../../../src/gates/approval.js";
import { destructionGate } from "../../../src/gates/destruction.js";
import { freshnessGate } from "../../../src/gates/freshness.js";
import { identityGate } from "../../../src/gates/identity.js";
import { promotionGate } from "../../../src/gates/promotion.js";
import { ledgerPayload, type LedgerEntry } from "../../../src/ledger.js";
import { input, MANIFEST, RECEIPT } from "./gate-input.js";

const COMMIT = MANIFEST.commit as string;
const OTHER_COMMIT = "fedcba9876543210fedcba9876543210fedcba98";
const DIGEST = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
const PROD = { name: "prod", protected: true, promotedFrom: "dev", region: "us-east-2", factsFile: "/repo/terraform/envs/prod/environment.tf" };
const VERIFIED = {
  status: "verified" as const,
  caller: { account: "123456789012", arn: "arn:aws:sts::123456789012:assumed-role/infra-deploy/gh", userId: "AROA" },
  principalArn: "arn:aws:sts::123456789012:assumed-role/infra-deploy/gh",
  assumed: false,
  stsEndpoint: { url: "https://sts.us-east-2.amazonaws.com", chosenBy: "aws" as const },
  breakGlass: false,
};
const CI = { runId: "4242", environment: "prod", approver: "octocat", repository: "example/infra" };

async function refusal(gate: ApplyGate, facts: ApplyGateInput): Promise<{ reason: string; hint: string | undefined }> {
  const decision: GateDecision = await gate.decide(facts);
  expect(decision.allowed, decision.reason).toBe(false);
  expect(decision.refusal).toBeInstanceOf(RefusedError);
  return { reason: decision.reason, hint: decision.refusal?.hint };
}

async function allowed(gate: ApplyGate, facts: ApplyGateInput): Promise<string> {
  const decision = await gate.decide(facts);
  expect(decision.allowed, decision.reason).toBe(true);
  return decision.reason;
}

describe("freshnessGate", () => {
  const executed = (source: Partial<{ commit: string | null; differences: string[] }>, createdAt: string | null = MANIFEST.createdAt) => ({
    executed: { source: { commit: COMMIT, configDigest: "c".repeat(64), differences: [], remoteModules: [], repository: null, firstRunBackend: false, ...source }, backendType: "local", createdAt, terraformVersion: "1.11.4" },
  });

  it("allows a plan whose configuration is HEAD's, file by file, within the maximum age", async () => {
    expect(await allowed(freshnessGate, input())).toBe("the plan's configuration is commit 0123456789ab (HEAD), file by file; terraform made it 55m ago");
  });

  it("refuses a plan whose configuration differs from HEAD, naming the first files and counting the rest", async () => {
    const differences = ["envs/dev/a_override.tf is in the plan but not committed", "modules/x/main.tf in the plan differs from the committed file", "c", "d", "e"];
    const { reason, hint } = await refusal(freshnessGate, input(executed({ differences })));
    expect(reason).toBe(
      "the plan's configuration is not what commit 0123456789ab (HEAD) holds: envs/dev/a_override.tf is in the plan but not committed; modules/x/main.tf in the plan differs from the committed file; c; and 2 more",
    );
    expect(hint).toContain("infra plan --env dev");
  });

  it("ignores what the manifest says about the commit and cleanliness", async () => {
    expect(await allowed(freshnessGate, input({ manifest: { commit: OTHER_COMMIT, dirty: true } }))).toContain("commit 0123456789ab (HEAD)");
    await refusal(freshnessGate, input({ manifest: { commit: COMMIT, dirty: false }, ...executed({ differences: ["x is in the plan but not committed"] }) }));
  });

  it("refuses a plan outside git, and a plan file that could not be read", async () => {
    expect((await refusal(freshnessGate, input(executed({ commit: null, differences: ["envs/dev is not in a git repository with a commit, so no commit vouches for the plan"] })))).reason).toBe(
      "envs/dev is not in a git repository with a commit, so no commit vouches for the plan",
    );
    const unreadable = await freshnessGate.decide(input({ executed: { unavailable: "tfplan is not a plan file terraform wrote: it is not a zip archive" } }));
    expect(unreadable).toMatchObject({ allowed: false, reason: "tfplan is not a plan file terraform wrote: it is not a zip archive" });
  });

  it("refuses a plan older than the environment's max_plan_age by the plan's own time, and one from the future", async () => {
    const old = await refusal(freshnessGate, input({ now: new Date("2025-01-03T05:04:05.000Z") }));
    expect(old.reason).toBe("the plan is 1d 2h old, but dev accepts plans up to 1d old (max_plan_age in /repo/terraform/envs/dev/environment.tf)");
    expect(old.hint).toBe("plan again: `infra plan --env dev`");
    expect(await allowed(freshnessGate, input({ now: new Date("2025-01-03T05:04:05.000Z"), environment: { maxPlanAgeMs: 7 * 86_400_000 } }))).toContain("1d 2h ago");
    expect((await refusal(freshnessGate, input({ now: new Date("2025-01-01T00:00:00.000Z") }))).reason).toContain("is not a past time");
    // The manifest's createdAt is not what is judged.
    expect(await allowed(freshnessGate, input({ manifest: { createdAt: "2000-01-01T00:00:00.000Z" } }))).toContain("55m ago");
    expect((await refusal(freshnessGate, input(executed({}, null)))).reason).toBe('the plan\'s creation time null is not a past time');
  });
});

describe("identityGate", () => {
  it("allows --offline for a stack on the local backend, and says no credentials were checked", async () => {
    expect(await allowed(identityGate, input())).toBe("skipped: --offline, and the state is local (no AWS credentials were checked)");
  });

  it("refuses --offline for a stack whose state is in S3", async () => {
    const facts = input({ environment: { backend: { type: "s3", file: "/repo/terraform/envs/dev/backend.tf", config: {} } } });
    expect((await refusal(identityGate, facts)).reason).toBe(
      "--offline skips the identity check, which only a stack on the local backend may do; dev keeps its state in the s3 backend (/repo/terraform/envs/dev/backend.tf)",
    );
  });

  it("refuses with the sentence identity resolution gave, and allows verified credentials", async () => {
    const failed = await refusal(identityGate, input({ identity: { status: "failed", problem: "the AWS credentials have expired: dev needs credentials for account 123456789012", hint: "sign in" } }));
    expect(failed).toEqual({ reason: "the AWS credentials have expired: dev needs credentials for account 123456789012", hint: "sign in" });
    expect(await allowed(identityGate, input({ identity: VERIFIED }))).toBe(`terraform runs as ${VERIFIED.principalArn} (account 123456789012)`);
  });
});

describe("promotionGate", () => {
  const payload = { ...ledgerPayload({ ...RECEIPT, env: "dev", commit: COMMIT, planDigest: "a".repeat(64) }, null) };
  const verdict = { verified: true as const, keyId: "0123456789abcdef", keyFile: "envs/dev/ledger-key.pem", position: 1, signer: "local key file .infra/ledger-keys/dev.pem" };
  const entry: LedgerEntry = { ref: `refs/infra/applied/dev/${COMMIT}`, env: "dev", commit: COMMIT, payload, verdict };

  it("allows an environment promoted from none", async () => {
    expect(await allowed(promotionGate, input())).toBe("dev is promoted from no other environment");
  });

  it("refuses when the commit was never applied to the source, naming the environment, commit and ref", async () => {
    const { reason, hint } = await refusal(promotionGate, input({ environment: PROD, manifest: { env: "prod" } }));
    expect(reason).toBe(`prod is promoted from dev, but commit 0123456789ab was never applied to dev (no refs/infra/applied/dev/${COMMIT})`);
    expect(hint).toContain("scripts/ledger.sh fetch");
  });

  it("allows a verified entry of a successful apply of the same commit to the source, naming the key", async () => {
    expect(await allowed(promotionGate, input({ environment: PROD, promotionEntry: entry }))).toBe(
      "commit 0123456789ab was applied to dev at 2025-01-02T04:01:00.000Z (plan aaaaaaaaaaaa; entry signed by key 1 of envs/dev/ledger-key.pem, 0123456789abcdef)",
    );
  });

  it("refuses a verified entry recording another commit, another environment, or a failed apply", async () => {
    for (const [changed, named] of [
      [{ commit: OTHER_COMMIT }, "commit fedcba987654"],
      [{ env: "prod" }, "environment prod"],
      [{ outcome: "failed" as unknown as "applied" }, "outcome failed"],
    ] as const) {
      const { reason, hint } = await refusal(promotionGate, input({ environment: PROD, promotionEntry: { ...entry, payload: { ...payload, ...changed } } }));
      expect(reason).toBe(`${entry.ref} is signed by dev's key but records ${named}, not a successful apply of dev at 0123456789ab`);
      expect(hint).toContain(`git update-ref -d ${entry.ref}`);
    }
  });

  it("looks up the commit the plan's configuration proved, never the manifest's field", async () => {
    const differing = { source: { commit: COMMIT, configDigest: "c".repeat(64), differences: ["envs/prod/local_override.tf is in the plan but not committed"], remoteModules: [], repository: null, firstRunBackend: false }, backendType: "local", createdAt: null, terraformVersion: "1.11.4" };
    const { reason } = await refusal(promotionGate, input({ environment: PROD, promotionEntry: entry, executed: differing }));
    expect(reason).toBe("prod is promoted from dev, but no commit vouches for the plan to look up in the ledger");
    const unread = await refusal(promotionGate, input({ environment: PROD, promotionEntry: entry, executed: { unavailable: "tfplan could not be read" } }));
    expect(unread.reason).toBe(reason);
    // A manifest naming another commit changes nothing: the entry is checked against the proved one.
    expect(await allowed(promotionGate, input({ environment: PROD, promotionEntry: entry, manifest: { commit: OTHER_COMMIT } }))).toContain("commit 0123456789ab was applied to dev");
  });

  it("refuses an entry that does not verify with the problem its verification named", async () => {
    const problem = `${entry.ref} is unsigned, so nothing proves that dev applied it`;
    expect((await refusal(promotionGate, input({ environment: PROD, promotionEntry: { ...entry, verdict: { verified: false, problem } } }))).reason).toBe(problem);
    const broken = { ...entry, payload: null, verdict: { verified: false as const, problem: `${entry.ref} does not hold a ledger entry (not JSON)` } };
    expect((await refusal(promotionGate, input({ environment: PROD, promotionEntry: broken }))).reason).toBe(broken.verdict.problem);
  });
});

describe("approvalGate", () => {
  const prod = (overrides: Partial<ApplyGateInput> = {}) => input({ environment: PROD, manifest: { env: "prod", planDigest: DIGEST }, ...overrides });

  it("allows an unprotected environment without approval", async () => {
    expect(await allowed(approvalGate, input())).toBe("dev is not protected: no approval needed");
  });

  it("refuses a protected environment without approval", async () => {
    expect((await refusal(approvalGate, prod())).reason).toBe("prod is protected: applying needs --approve <first 12 hex of the plan digest>");
  });

  it("allows the approval of this plan's digest, in either case", async () => {
    expect(await allowed(approvalGate, prod({ approval: { typed: "a1b2c3d4e5f6", ci: null } }))).toBe("approved by a person for plan a1b2c3d4e5f6");
    expect(await allowed(approvalGate, prod({ approval: { typed: "A1B2C3D4E5F6", ci: null } }))).toContain("approved");
  });

  it("refuses an approval of another plan, even where none is needed", async () => {
    expect((await refusal(approvalGate, prod({ approval: { typed: "0123456789ab", ci: null } }))).reason).toBe(
      "--approve 0123456789ab approves another plan: this bundle's plan digest starts a1b2c3d4e5f6",
    );
    expect((await refusal(approvalGate, input({ approval: { typed: "0123456789ab", ci: null } }))).reason).toContain("approves another plan");
  });

  it("allows a CI run whose caller, as AWS's own STS endpoint answered, is the environment's infra-deploy itself", async () => {
    expect(await allowed(approvalGate, prod({ approval: { typed: null, ci: CI }, identity: VERIFIED }))).toBe(
      `approved in CI: run 4242 in deployment environment prod, started by octocat, as ${VERIFIED.principalArn} (answered by https://sts.us-east-2.amazonaws.com)`,
    );
  });

  it("refuses a CI run in another deployment environment, or without verified credentials", async () => {
    expect((await refusal(approvalGate, prod({ approval: { typed: null, ci: { ...CI, environment: "dev" } }, identity: VERIFIED }))).reason).toContain(
      'runs in deployment environment "dev", which cannot approve prod',
    );
    expect((await refusal(approvalGate, prod({ approval: { typed: null, ci: CI } }))).reason).toContain("needs verified prod credentials");
  });

  it("refuses CI variables whose caller is not infra-deploy reached through OIDC: a person, a role infra assumed, another account's infra-deploy", async () => {
    const ci = { typed: null, ci: CI };
    const person = { ...VERIFIED, caller: { account: "123456789012", arn: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Deployer_0a1b/alice", userId: "AROA" } };
    expect((await refusal(approvalGate, prod({ approval: ci, identity: person }))).reason).toBe(
      "a CI approval of prod needs the caller to be prod's infra-deploy reached through GitHub's OIDC, but the credentials are arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Deployer_0a1b/alice",
    );
    const assumed = { ...person, assumed: true, principalArn: "arn:aws:sts::123456789012:assumed-role/infra-deploy/infra-prod-0123456789ab" };
    expect((await refusal(approvalGate, prod({ approval: ci, identity: assumed }))).reason).toBe(
      "a CI approval of prod needs the caller to be prod's infra-deploy reached through GitHub's OIDC, but the credentials are arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Deployer_0a1b/alice, from which infra itself assumed infra-deploy",
    );
    const elsewhere = { ...VERIFIED, caller: { ...VERIFIED.caller, arn: "arn:aws:sts::210987654321:assumed-role/infra-deploy/gh" } };
    expect((await refusal(approvalGate, prod({ approval: ci, identity: elsewhere }))).reason).toContain("but the credentials are arn:aws:sts::210987654321:assumed-role/infra-deploy/gh");
  });

  it("refuses a CI approval answered by an STS endpoint the caller chose, naming it and what chose it", async () => {
    const chosen = { ...VERIFIED, stsEndpoint: { url: "http://127.0.0.1:4566", chosenBy: "caller" as const, via: "AWS_ENDPOINT_URL_STS" } };
    const { reason, hint } = await refusal(approvalGate, prod({ approval: { typed: null, ci: CI }, identity: chosen }));
    expect(reason).toBe("a CI approval of prod needs the identity answered by AWS's own STS endpoint, but http://127.0.0.1:4566 answered (chosen by AWS_ENDPOINT_URL_STS)");
    expect(hint).toContain("--approve");
  });

  it("still lets a person's --approve of the digest approve, whatever the identity (break-glass included)", async () => {
    const breakGlass = { ...VERIFIED, breakGlass: true, assumed: true, caller: { ...VERIFIED.caller, arn: "arn:aws:sts::123456789012:assumed-role/infra-break-glass/alice" } };
    expect(await allowed(approvalGate, prod({ approval: { typed: "a1b2c3d4e5f6", ci: CI }, identity: breakGlass }))).toBe("approved by a person for plan a1b2c3d4e5f6");
  });

  it("records who approved", () => {
    expect(approvalRecord({ typed: "a1b2c3d4e5f6", ci: CI }, true, DIGEST)).toEqual({ by: "person", digest: "a1b2c3d4e5f6" });
    expect(approvalRecord({ typed: null, ci: CI }, true, DIGEST)).toEqual({ by: "ci", ...CI });
    expect(approvalRecord({ typed: null, ci: CI }, false, DIGEST)).toEqual({ by: "not-required" });
  });
});

describe("destructionGate", () => {
  const cluster = { address: "module.platform.aws_eks_cluster.this", type: "aws_eks_cluster", kind: "EKS cluster", action: "replace" as const };
  const key = { address: "aws_kms_key.state", type: "aws_kms_key", kind: "KMS key", action: "delete" as const };

  it("allows a plan that destroys nothing protected", async () => {
    expect(await allowed(destructionGate, input())).toBe("no protected resource is deleted or replaced");
  });

  it("refuses each unacknowledged destruction and names the flags that acknowledge it", async () => {
    const { reason, hint } = await refusal(destructionGate, input({ destructions: [cluster, key], allowDestroy: ["aws_kms_key.state"] }));
    expect(reason).toBe("the plan would replace module.platform.aws_eks_cluster.this (EKS cluster) without --allow-destroy");
    expect(hint).toBe("if that is intended, run again with --allow-destroy 'module.platform.aws_eks_cluster.this'");
  });

  it("allows destructions acknowledged by address, and says which", async () => {
    expect(await allowed(destructionGate, input({ destructions: [cluster, key], allowDestroy: [key.address, cluster.address] }))).toBe(
      "acknowledged with --allow-destroy: replace module.platform.aws_eks_cluster.this (EKS cluster), delete aws_kms_key.state (KMS key)",
    );
  });
});
