import { execFileSync } from "node:child_process";
import { sign } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Environment } from "../../src/config/environment.js";
import { InfraError } from "../../src/errors.js";
import { commitAll, readRevision } from "../../src/git.js";
import {
  createLocalLedgerKey,
  describeEntry,
  ledgerPayload,
  ledgerRef,
  listApplied,
  localLedgerKeyFile,
  localLedgerSigner,
  readApplied,
  readCommittedLedgerKeys,
  recordApplied,
  signLedgerEntry,
  withNewestKey,
  type LedgerPayload,
  type LedgerSigner,
} from "../../src/ledger.js";
import { createLogger } from "../../src/log.js";
import { ledgerSignerFor, recordLedgerEntry } from "../../src/workflow/ledger.js";
import type { WorkflowContext } from "../../src/workflow/context.js";
import { p256KeyPair, startFakeKms, type FakeKms } from "../fake-kms.js";
import { RECEIPT } from "./gates/gate-input.js";

const PLAN = "a".repeat(64);

describe("the signed promotion ledger in a real git repository", () => {
  let dir: string;
  let root: string;
  let commit: string;
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir }).toString().trim();
  const commitKeys = () => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qam", "keys"], { cwd: dir }).toString();

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "infra-ledger-"));
    root = path.join(dir, "terraform");
    await mkdir(path.join(root, "envs", "dev"), { recursive: true });
    await mkdir(path.join(root, "envs", "prod"), { recursive: true });
    await writeFile(path.join(dir, ".gitignore"), ".infra/\n");
    await writeFile(path.join(root, "envs", "dev", "ledger-key.pem"), await createLocalLedgerKey(root, "dev"));
    commit = await commitAll(dir, "first");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const payload = (overrides: Partial<LedgerPayload> = {}): LedgerPayload => ({
    ...ledgerPayload({ ...RECEIPT, env: "dev", commit, planDigest: PLAN }, null),
    ...overrides,
  });

  async function record(env: string, text: string, at = commit): Promise<string> {
    const file = path.join(dir, "..", `${path.basename(dir)}-entry-${env}.json`);
    await writeFile(file, text);
    try {
      return await recordApplied(root, env, at, file);
    } finally {
      await rm(file, { force: true });
    }
  }

  async function signed(entry: LedgerPayload, signer: LedgerSigner | null, env = entry.env, at = entry.commit): Promise<string> {
    return (await signLedgerEntry(ledgerRef(env, at), entry, signer, await readCommittedLedgerKeys(root, env))).text;
  }

  const devSigner = async () => (await localLedgerSigner(root, "dev"))!;

  function byHand(): LedgerSigner {
    const { privateKey } = p256KeyPair();
    return { keyId: "0000111122223333", signer: "a key made by hand", sign: async (bytes) => sign("sha256", bytes, privateKey) };
  }

  it("keeps the private key in .infra/ledger-keys/<env>.pem, 0600, and never replaces it", async () => {
    const file = localLedgerKeyFile(root, "dev");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const before = await readFile(file, "utf8");
    expect(await createLocalLedgerKey(root, "dev")).toBe(await readFile(path.join(root, "envs", "dev", "ledger-key.pem"), "utf8"));
    expect(await readFile(file, "utf8")).toBe(before);
    expect(await readRevision(dir)).toEqual({ commit, dirty: false });
  });

  it("writes refs/infra/applied/<env>/<commit> to a blob holding the signed entry, and verifies it with the key committed at HEAD", async () => {
    expect(await readApplied(root, "dev", commit)).toBeNull();
    const ref = await record("dev", await signed(payload(), await devSigner()));
    expect(ref).toBe(`refs/infra/applied/dev/${commit}`);
    expect(git("cat-file", "-t", ref)).toBe("blob");
    const entry = await readApplied(root, "dev", commit);
    expect(entry).toMatchObject({ ref, env: "dev", commit, payload: payload(), verdict: { verified: true, keyFile: "envs/dev/ledger-key.pem", position: 1 } });
    expect(describeEntry(entry!)).toMatch(new RegExp(`^${commit.slice(0, 12)}  2025-01-02T04:01:00.000Z  plan aaaaaaaaaaaa  applied  verified: key 1 of envs/dev/ledger-key.pem \\([0-9a-f]{16}\\)$`));
    expect(await readApplied(root, "prod", commit)).toBeNull();
    expect(await readRevision(dir)).toEqual({ commit, dirty: false });
  });

  it("refuses an unsigned entry, a hand-written blob, a malformed payload, another key's signature, and an altered payload, each by name", async () => {
    const ref = ledgerRef("dev", commit);
    const cases: Array<[string, string, string]> = [
      ["unsigned", await signed(payload(), null), `${ref} is unsigned, so nothing proves that dev applied it`],
      ["not JSON", "<html>not an entry</html>", `${ref} does not hold a ledger entry (not JSON)`],
      ["a receipt, as the ledger held before", JSON.stringify({ ...RECEIPT, env: "dev", commit }), `${ref} does not hold a ledger entry (no format "infra.ledger-entry/1")`],
      [
        "a payload without a plan digest",
        (await signed(payload(), await devSigner())).replace(`\\"planDigest\\":\\"${PLAN}\\",`, ""),
        `${ref} holds a malformed ledger entry (missing or wrong: planDigest)`,
      ],
      ["another key", await signed(payload(), byHand()), `${ref} is signed by key 0000111122223333 (a key made by hand) that envs/dev/ledger-key.pem at HEAD does not hold`],
      [
        "an altered payload",
        (await signed(payload(), await devSigner())).replace(`\\"commit\\":\\"${commit}\\"`, `\\"commit\\":\\"${"f".repeat(40)}\\"`),
        `${ref}'s signature does not verify with key `,
      ],
    ];
    for (const [what, text, problem] of cases) {
      await record("dev", text);
      const entry = await readApplied(root, "dev", commit);
      expect(entry?.verdict.verified, what).toBe(false);
      expect(entry && !entry.verdict.verified && entry.verdict.problem, what).toContain(problem);
      expect(describeEntry(entry!), what).toContain("NOT VERIFIED: ");
    }
  });

  it("trusts only what HEAD committed: a key in the working tree is not enough, and an entry of an environment without a committed key does not verify", async () => {
    const prodKey = await createLocalLedgerKey(root, "prod");
    await writeFile(path.join(root, "envs", "prod", "ledger-key.pem"), prodKey);
    const prodSigner = (await localLedgerSigner(root, "prod"))!;
    await record("prod", await signed(payload({ env: "prod" }), prodSigner));
    expect((await readApplied(root, "prod", commit))?.verdict).toEqual({ verified: false, problem: `${ledgerRef("prod", commit)} cannot be verified: envs/prod/ledger-key.pem is not committed at HEAD, so no entry of prod can be verified` });
    // An uncommitted edit of dev's key (here: a forger's key put in its place) changes nothing either.
    const forger = p256KeyPair();
    await record("dev", await signed(payload(), await devSigner()));
    await writeFile(path.join(root, "envs", "dev", "ledger-key.pem"), forger.publicPem);
    expect((await readApplied(root, "dev", commit))?.verdict.verified).toBe(true);
  });

  it("after a rotation, newest first, verifies entries of the old key and the new one and says which", async () => {
    const oldEntry = await signed(payload(), await devSigner());
    await rm(localLedgerKeyFile(root, "dev"));
    const file = path.join(root, "envs", "dev", "ledger-key.pem");
    const rotated = withNewestKey(await readFile(file, "utf8"), await createLocalLedgerKey(root, "dev"));
    expect(rotated.added).toBe(true);
    expect(withNewestKey(rotated.text, await createLocalLedgerKey(root, "dev"))).toEqual({ text: rotated.text, added: false });
    await writeFile(file, rotated.text);
    commitKeys();
    const head = git("rev-parse", "HEAD");
    await record("dev", oldEntry);
    expect((await readApplied(root, "dev", commit))?.verdict).toMatchObject({ verified: true, position: 2 });
    await record("dev", await signed(payload({ commit: head }), await devSigner()), head);
    expect((await readApplied(root, "dev", head))?.verdict).toMatchObject({ verified: true, position: 1 });
  });

  it("lists one environment's entries, oldest first, each with its verdict", async () => {
    const other = "fedcba9876543210fedcba9876543210fedcba98";
    await record("dev", await signed(payload({ commit: other, finishedAt: "2025-01-03T00:00:00.000Z" }), await devSigner()), other);
    await record("dev", await signed(payload({ finishedAt: "2025-01-02T00:00:00.000Z" }), null));
    const entries = await listApplied(root, "dev");
    expect(entries.map((entry) => [entry.commit, entry.verdict.verified])).toEqual([
      [commit, false],
      [other, true],
    ]);
    expect(await listApplied(root, "staging")).toEqual([]);
  });

  it("fails with one sentence outside a repository", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "infra-noledger-"));
    try {
      await writeFile(path.join(outside, "r.json"), "{}");
      const error = await recordApplied(outside, "dev", commit, path.join(outside, "r.json")).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InfraError);
      expect((error as InfraError).message).toMatch(/^could not record refs\/infra\/applied\/dev\/[0-9a-f]{40} \(git hash-object in .*\): fatal: not a git repository/);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  describe("an environment whose state is remote signs through KMS with the deploy role's credentials", () => {
    let kms: FakeKms;
    const kmsKey = p256KeyPair();
    const ENVIRONMENT = {
      name: "dev",
      root: "",
      dir: "",
      factsFile: "envs/dev/environment.tf",
      region: "eu-central-1",
      accountId: "123456789012",
      promotedFrom: null,
      protected: false,
      maxPlanAgeMs: 86_400_000,
      stack: "envs/dev",
      accountStack: false,
      management: false,
      backend: { type: "s3", file: "envs/dev/backend.tf", config: {} },
      files: [],
    } satisfies Environment;
    const ALIAS = "arn:aws:kms:eu-central-1:123456789012:alias/infra-ledger";
    const warnings: string[] = [];
    const context = (): WorkflowContext => ({
      root,
      terraformBinary: "terraform",
      processEnv: {},
      logger: { ...createLogger({ quiet: true, write: () => undefined }), warn: (line: string) => warnings.push(line) },
      now: () => new Date(),
      cwd: root,
    });
    const deployEnv = (accessKeyId: string) => ({ AWS_ENDPOINT_URL_KMS: kms.endpoint, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: "fake-secret", AWS_SESSION_TOKEN: "fake-token" });

    beforeEach(async () => {
      kms = await startFakeKms({ [ALIAS]: { arn: "arn:aws:kms:eu-central-1:123456789012:key/k1", privateKey: kmsKey.privateKey, signers: ["ASIADEPLOY"] } });
      warnings.length = 0;
    });
    afterEach(() => kms.close());

    it("probes kms:Sign before anything is applied, then records an entry the committed KMS public key verifies", async () => {
      await writeFile(path.join(root, "envs", "dev", "ledger-key.pem"), kmsKey.publicPem);
      commitKeys();
      const head = git("rev-parse", "HEAD");
      const bundle = await mkdtemp(path.join(tmpdir(), "infra-ledger-bundle-"));
      try {
        const signer = await ledgerSignerFor(context(), { ...ENVIRONMENT, root }, deployEnv("ASIADEPLOY"));
        expect(kms.requests.map((request) => [request.operation, request.accessKeyId])).toEqual([["Sign", "ASIADEPLOY"]]);
        const receipt = { ...RECEIPT, env: "dev", commit: head, planDigest: PLAN };
        const ref = await recordLedgerEntry(context(), { environment: { ...ENVIRONMENT, root }, bundle, receipt, signer, configDigest: "c".repeat(64) });
        expect(warnings).toEqual([]);
        expect(git("cat-file", "blob", ref) + "\n").toBe(await readFile(path.join(bundle, "ledger-entry.json"), "utf8"));
        const entry = await readApplied(root, "dev", head);
        expect(entry).toMatchObject({ payload: { env: "dev", commit: head, planDigest: PLAN, configDigest: "c".repeat(64) }, verdict: { verified: true, signer: ALIAS } });
        expect(git("cat-file", "blob", ref)).not.toContain("fake-secret");
      } finally {
        await rm(bundle, { recursive: true, force: true });
      }
    });

    it("stops before the apply, in one sentence, when the role may not sign", async () => {
      const error = await ledgerSignerFor(context(), { ...ENVIRONMENT, root }, deployEnv("ASIAPERSON")).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InfraError);
      expect((error as InfraError).message).toMatch(new RegExp(`^KMS refused Sign with ${ALIAS} \\(AccessDeniedException: User: ASIAPERSON is not authorized to perform: kms:Sign on resource: .*\\), so nothing was applied$`));
    });

    it("warns when the key that signed is not the committed one", async () => {
      const bundle = await mkdtemp(path.join(tmpdir(), "infra-ledger-bundle-"));
      try {
        const signer = await ledgerSignerFor(context(), { ...ENVIRONMENT, root }, deployEnv("ASIADEPLOY"));
        await recordLedgerEntry(context(), { environment: { ...ENVIRONMENT, root }, bundle, receipt: { ...RECEIPT, env: "dev", commit, planDigest: PLAN }, signer, configDigest: null });
        expect(warnings).toEqual([`${ledgerRef("dev", commit)} is signed by a key (${ALIAS}) that envs/dev/ledger-key.pem at HEAD does not hold: no environment promoted from dev will accept it until that key is committed`]);
      } finally {
        await rm(bundle, { recursive: true, force: true });
      }
    });
  });
});
