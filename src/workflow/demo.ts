import { generateKeyPairSync, sign } from "node:crypto";
import { cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { InfraError, RefusedError } from "../errors.js";
import { approvalDigest } from "../gates/approval.js";
import { commitAll, TREE_GITIGNORE } from "../git.js";
import { ledgerRef, listApplied, readCommittedLedgerKeys, recordApplied, signLedgerEntry, type LedgerEntry } from "../ledger.js";
import { BundleFile } from "../bundle/layout.js";
import { keyIdOf } from "../bundle/signature.js";
import { PACKAGE_ROOT } from "../package-root.js";
import { apply, type ApplyResult } from "./apply.js";
import { check, type CheckResult } from "./check.js";
import type { WorkflowContext } from "./context.js";
import { gate, type GateResult } from "./gate.js";
import { writeLedgerKey } from "./ledger.js";
import { plan, type PlanResult } from "./plan.js";

/** The bundled example: a terraform/-shaped tree of terraform_data resources, local backend. */
export const DEMO_SOURCE = path.join(PACKAGE_ROOT, "examples", "demo");

export interface DemoResult {
  workspace: string;
  check: CheckResult;
  commit: string;
  stages: Array<{ env: string; plan: PlanResult; apply: ApplyResult }>;
  /** The production apply attempted without approval: every gate's verdict, and the refusal. */
  refused: { env: string; gates: GateResult; error: string };
  /** A hand-written dev entry, signed by a key that is not dev's: the promotion gate's verdict on prod. */
  forged: { ref: string; gates: GateResult; error: string };
  /** What the ledger holds afterwards (`infra ledger --env dev`, then `--env prod`), each entry verified. */
  ledger: LedgerEntry[];
}

/** The promotion order the demo walks: dev first, then prod from the plan dev proved. */
const DEMO_ENVIRONMENTS = ["dev", "prod"] as const;

/**
 * check, then plan and apply each environment in promotion order, on a copy of the example
 * committed to a git repository in a temporary directory, with a local ledger key per environment
 * (its public half committed). Before prod is applied, dev's ledger entry is swapped for a
 * hand-written one signed by another key, which the promotion gate refuses. Production is
 * protected: its first apply is refused for want of an approval, the second carries the plan
 * digest and passes. Offline: only terraform's built-in provider is used, and no AWS identity is checked.
 */
export async function demo(context: Omit<WorkflowContext, "root">): Promise<DemoResult> {
  const workspace = await mkdtemp(path.join(tmpdir(), "infra-demo-"));
  const root = path.join(workspace, "terraform");
  await cp(DEMO_SOURCE, root, { recursive: true });
  await writeFile(path.join(workspace, ".gitignore"), `${TREE_GITIGNORE}\n`);
  const inWorkspace: WorkflowContext = { ...context, root };
  for (const env of DEMO_ENVIRONMENTS) {
    const key = await writeLedgerKey(inWorkspace, env);
    context.logger.info(`ledger key of ${env}: ${key.keyId}, private half ${key.source}, public half ${key.file} (committed)`);
  }
  const commit = await commitAll(workspace, "demo: the bundled example");
  context.logger.info(`demo workspace: ${workspace} (a git repository at ${commit.slice(0, 12)})`);

  const checked = await context.logger.step("infra check", () => check(inWorkspace, { strict: false }));
  if (!checked.ok) throw new InfraError("infra check failed on the bundled example", "run `infra check --root " + root + "` to see why");
  const stages: DemoResult["stages"] = [];
  let refused: DemoResult["refused"] | undefined;
  let forged: DemoResult["forged"] | undefined;
  for (const env of DEMO_ENVIRONMENTS) {
    const out = path.join(workspace, "artifacts", env);
    const planned = await context.logger.step(`infra plan --env ${env} --offline`, () => plan(inWorkspace, { env, out, offline: true }));
    context.logger.info(`  bundle: ${planned.bundle}`);
    const unapproved = { env, bundle: out, offline: true };
    if (env === "prod") {
      const approved = { ...unapproved, approve: approvalDigest(planned.manifest.planDigest) };
      forged = await context.logger.step("infra gate --env prod, with dev's ledger entry forged (refused)", () =>
        withForgedEntry(inWorkspace, "dev", commit, path.join(workspace, "artifacts", "dev"), async (ref) => {
          const gates = await gate(inWorkspace, approved);
          const promotion = gates.decisions.find((decision) => decision.gate === "promotion");
          if (promotion?.allowed !== false) throw new InfraError("the demo's forged ledger entry was not refused", "the promotion gate is broken: do not use this build");
          return { ref, gates, error: `promotion gate refused: ${promotion.reason}` };
        }),
      );
      const gates = await gate(inWorkspace, unapproved);
      const error = await context.logger.step(`infra apply --env ${env} --offline (no approval: refused)`, () => refusalOf(apply(inWorkspace, unapproved)));
      refused = { env, gates, error: error.message };
    }
    const approve = env === "prod" ? approvalDigest(planned.manifest.planDigest) : null;
    const label = `infra apply --env ${env} --offline${approve ? ` --approve ${approve}` : ""}`;
    const applied = await context.logger.step(label, () => apply(inWorkspace, { ...unapproved, approve }));
    context.logger.info(`  receipt: ${applied.receiptFile}`);
    stages.push({ env, plan: planned, apply: applied });
  }
  if (!refused || !forged) throw new Error("the demo walks prod, so it has refusals to show");
  const ledger = [...(await listApplied(root, "dev")), ...(await listApplied(root, "prod"))];
  return { workspace, check: checked, commit, stages, refused, forged, ledger };
}

/**
 * Points `env`'s ledger ref at `commit` to a hand-written entry - the real one's payload, signed
 * by a key made on the spot - runs `attempt`, and puts the real entry (the bundle's) back.
 */
async function withForgedEntry<T>(context: WorkflowContext, env: string, commit: string, bundle: string, attempt: (ref: string) => Promise<T>): Promise<T> {
  const ref = ledgerRef(env, commit);
  const real = (await listApplied(context.root, env)).find((entry) => entry.commit === commit)?.payload;
  if (!real) throw new Error(`the demo applied ${env} first, so ${ref} holds its entry`);
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const forger = { keyId: keyIdOf(publicKey), signer: "a key made by hand", sign: async (bytes: Buffer) => sign("sha256", bytes, privateKey) };
  const { text } = await signLedgerEntry(ref, real, forger, await readCommittedLedgerKeys(context.root, env));
  const forgedFile = path.join(bundle, "..", `forged-${env}-entry.json`);
  await writeFile(forgedFile, text);
  await recordApplied(context.root, env, commit, forgedFile);
  try {
    return await attempt(ref);
  } finally {
    await recordApplied(context.root, env, commit, path.join(bundle, BundleFile.ledgerEntry));
  }
}

/** The demo's unapproved production apply must be refused; anything else is a failure of the gates. */
async function refusalOf(attempt: Promise<unknown>): Promise<RefusedError> {
  const outcome = await attempt.then(
    () => null,
    (error: unknown) => error,
  );
  if (outcome instanceof RefusedError) return outcome;
  if (outcome === null) throw new InfraError("the unapproved production apply of the demo was not refused", "the approval gate is broken: do not use this build");
  throw outcome;
}
