import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { InfraError, InterruptedError } from "../errors.js";
import { defaultApplyGates, evaluateGates, gateRefusal, type GateDecision } from "../gates/apply-gates.js";
import { approvalRecord } from "../gates/approval.js";
import type { Manifest } from "../bundle/manifest.js";
import { BundleFile } from "../bundle/layout.js";
import { openPlan } from "../bundle/plan-encryption.js";
import { copyPlanPrivately } from "../bundle/private-plan.js";
import { probeReceiptWritable, writeReceipt, type Outcome, type Receipt } from "../bundle/receipt.js";
import type { PlanJson } from "../review/plan-json.js";
import { createRedaction } from "../review/redact.js";
import { initEnvironment, terraformFor, type WorkflowContext } from "./context.js";
import { gatherGateFacts, openBundle, type GateFacts, type GateOptions } from "./gate.js";
import { ledgerSignerFor, recordLedgerEntry } from "./ledger.js";
import {
  applyRunFiles,
  describeSettled,
  recordTerraformPid,
  removeMarker,
  settleBundle,
  settleEnvironment,
  stillRunning,
  writeMarker,
  type ApplyMarker,
} from "./unfinished-apply.js";

/** The bundle, the environment and what the gates need from the person or the CI run. */
export type ApplyInput = GateOptions;

export interface ApplyResult {
  receipt: Receipt;
  receiptFile: string;
  /** The promotion ledger's ref for this apply (`refs/infra/applied/<env>/<commit>`), once applied. */
  ledgerRef: string | null;
}

/**
 * Applies exactly the tfplan of a reviewed bundle: a private copy of it, hashed and checked
 * against the manifest, is what terraform executes. Every gate decides before terraform sees
 * the plan; a receipt records the outcome (and the gates' reasons) whether it worked or not.
 */
export async function apply(context: WorkflowContext, input: ApplyInput): Promise<ApplyResult> {
  const opened = await openBundle(context, input);
  const { bundle, manifest, environment, terraformVersion } = opened;
  const terraform = terraformFor(context, environment.dir, `env/${environment.name}`);
  await settleEarlierApplies(context, terraform.dataDir, bundle);

  await mkdir(terraform.dataDir, { recursive: true, mode: 0o700 });
  const privatePlan = await copyPlanPrivately(bundle, terraform.dataDir);
  try {
    // An encrypted plan is decrypted beside the private copy; the encryption gate decides whether that worked.
    const decrypted = path.join(path.dirname(privatePlan.file), `${BundleFile.plan}.decrypted`);
    const encryption = await openPlan(manifest, privatePlan.file, input.planKey, decrypted);
    const executable = encryption.encrypted ? decrypted : privatePlan.file;
    const { facts, decisions } = await context.logger.step("gates", async () => {
      const [gathered] = await Promise.all([gatherGateFacts(context, opened, input, { digest: privatePlan.digest, encryption }), probeReceiptWritable(bundle)]);
      return { facts: gathered, decisions: await evaluateGates(input.gates ?? defaultApplyGates, gathered.input, { every: true }) };
    });
    for (const decision of decisions) context.logger.info(`  ${decision.allowed ? "passed " : "REFUSED"} ${decision.gate}: ${decision.reason}`);
    const refused = decisions.find((decision) => !decision.allowed);
    if (refused) throw gateRefusal(refused);
    // From here terraform runs with the deploy role's credentials (README "The credential chain").
    const asDeployer = terraformFor({ ...context, processEnv: facts.processEnv }, environment.dir, `env/${environment.name}`);
    const ledgerSigner = await ledgerSignerFor(context, environment, facts.processEnv);

    const startedAt = context.now();
    const run = applyRunFiles(terraform.dataDir, startedAt);
    let sweep = (text: string) => text;
    const finish = async (outcome: Outcome, error?: InfraError): Promise<ApplyResult> => {
      const receipt = receiptOf(manifest, decisions, terraformVersion, startedAt, context.now(), outcome, error, run.log, facts);
      const receiptFile = await writeReceipt(bundle, receipt);
      await removeMarker(run.marker);
      const { commit } = receipt;
      // configDigest: the configuration snapshot digest, null until plan records one.
      const recorded = outcome === "applied" && commit !== null ? await recordLedgerEntry(context, { environment, bundle, receipt: { ...receipt, commit }, signer: ledgerSigner, configDigest: null }) : null;
      return { receipt, receiptFile, ledgerRef: recorded };
    };
    try {
      await initEnvironment(context, asDeployer, terraformVersion);
      // The plan's own sensitivity marks decide what is swept out of everything relayed from terraform.
      sweep = createRedaction(JSON.parse(await asDeployer.showJson(executable)) as PlanJson).sweepText;
      await writeReceipt(bundle, receiptOf(manifest, decisions, terraformVersion, startedAt, startedAt, "started", undefined, run.log, facts));
      const marker: ApplyMarker = {
        env: environment.name,
        bundle,
        planDigest: manifest.planDigest,
        log: run.log,
        startedAt: startedAt.toISOString(),
        infraPid: process.pid,
      };
      await writeMarker(run.marker, marker);
      await context.logger.step(`terraform apply (${environment.name})`, () =>
        asDeployer.apply(executable, {
          log: {
            file: run.log,
            onLine: (line) => context.logger.info(`  ${sweep(line)}`),
            onSpawn: (pid) => recordTerraformPid(run.marker, marker, pid),
          },
          redact: sweep,
        }),
      );
    } catch (error) {
      if (error instanceof InfraError) await finish(error instanceof InterruptedError ? "interrupted" : "failed", error);
      throw error;
    } finally {
      await sealLog(run.log, sweep);
    }
    return await finish("applied");
  } finally {
    await privatePlan.remove();
  }
}

/**
 * Records what an apply that infra did not see to its end did (infra was killed, the terminal
 * closed), telling the user; refuses while its terraform is still running.
 */
async function settleEarlierApplies(context: WorkflowContext, dataDir: string, bundle: string): Promise<void> {
  const settled = await settleEnvironment(dataDir, context.now());
  const ofBundle = await settleBundle(bundle, context.now());
  if (ofBundle && !("outcome" in ofBundle)) throw stillRunning(ofBundle.marker);
  for (const each of [...settled, ...(ofBundle ? [ofBundle] : [])]) context.logger.warn(describeSettled(each));
}

/** Rewrites terraform's log with the plan's secrets swept out, once infra has seen it end. */
async function sealLog(log: string, sweep: (text: string) => string): Promise<void> {
  const text = await readFile(log, "utf8").catch(() => null);
  if (text !== null) await writeFile(log, sweep(text), { mode: 0o600 });
}

function receiptOf(
  manifest: Manifest,
  decisions: readonly GateDecision[],
  terraformVersion: string,
  startedAt: Date,
  finishedAt: Date,
  outcome: Outcome,
  error: InfraError | undefined,
  log: string,
  facts: GateFacts,
): Receipt {
  return {
    env: manifest.env,
    region: manifest.region,
    accountId: manifest.accountId,
    commit: manifest.commit,
    planDigest: manifest.planDigest,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    outcome,
    ...(error ? { error: error.message } : {}),
    gates: decisions.map(({ gate, allowed, reason }) => ({ gate, allowed, reason })),
    terraformVersion,
    log,
    identity: facts.input.identity,
    approval: approvalRecord(facts.input.approval, facts.environment.protected, manifest.planDigest),
    allowedDestroy: facts.input.allowDestroy,
  };
}
