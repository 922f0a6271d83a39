import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { AppliedUnrecordedError, InfraError, InterruptedError } from "../errors.js";
import { displayPath } from "../fs-errors.js";
import type { SourceCheck } from "../plan-source.js";
import { applyGatesFor, evaluateGates, gateRefusal, type GateDecision } from "../gates/apply-gates.js";
import { approvalRecord } from "../gates/approval.js";
import type { Manifest } from "../bundle/manifest.js";
import { probeReceiptWritable, writeReceipt, type Outcome, type Receipt } from "../bundle/receipt.js";
import { createRedaction } from "../review/redact.js";
import { terraformForStack, type WorkflowContext } from "./context.js";
import { gatherGateFacts, openBundle, openExecutablePlan, type GateFacts, type GateOptions } from "./gate.js";
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
  const terraform = terraformForStack(context, environment);
  await settleEarlierApplies(context, terraform.dataDir, bundle);

  const executable = await openExecutablePlan(opened, terraform.dataDir, input.planKey);
  try {
    const { facts, decisions } = await context.logger.step("gates", async () => {
      const gathered = await gatherGateFacts(context, opened, input, executable);
      // After the bundle was listed: the probe's temporary file must never be taken for part of the bundle.
      await probeReceiptWritable(bundle);
      return { facts: gathered, decisions: await evaluateGates(input.gates ?? applyGatesFor(environment), gathered.input, { every: true }) };
    });
    for (const decision of decisions) context.logger.info(`  ${decision.allowed ? "passed " : "REFUSED"} ${decision.gate}: ${decision.reason}`);
    const refused = decisions.find((decision) => !decision.allowed);
    if (refused) throw gateRefusal(refused);
    const { executedPlanJson, input: gateInput } = facts;
    // The gates passed, so the plan was read and its configuration is the commit at HEAD.
    if (executedPlanJson === null || "unavailable" in gateInput.executed) throw new Error("gates passed without a readable plan");
    const source = gateInput.executed.source;
    // From here terraform runs with the deploy role's credentials (README "The credential chain").
    const asDeployer = terraformForStack({ ...context, processEnv: facts.processEnv }, environment);
    // Account stacks record no ledger entry: they are never promoted, and on a first run their ledger key does not exist yet.
    const ledgerSigner = environment.accountStack ? null : await ledgerSignerFor(context, environment, facts.processEnv);

    const startedAt = context.now();
    const run = applyRunFiles(terraform.dataDir, startedAt);
    // The plan's own sensitivity marks decide what is swept out of everything relayed from terraform.
    const sweep = createRedaction(executedPlanJson).sweepText;
    const receiptFor = (outcome: Outcome, finishedAt: Date, error?: InfraError) =>
      receiptOf(manifest, source, decisions, terraformVersion, startedAt, finishedAt, outcome, error, run.log, facts);
    const finish = async (outcome: Outcome, error?: InfraError): Promise<ApplyResult> => {
      const receipt = receiptFor(outcome, context.now(), error);
      const receiptFile = await writeReceipt(bundle, receipt).catch((failure: unknown) => {
        if (outcome !== "applied" || !(failure instanceof InfraError)) throw failure;
        // The marker stays: the next run that looks reads terraform's log and records the outcome.
        throw new AppliedUnrecordedError(
          `${environment.name} was applied (terraform finished), but its receipt was not written: ${failure.message}`,
          `free space or make ${displayPath(bundle)} writable; the next \`infra review ${displayPath(bundle)}\` records the outcome from terraform's log ${run.log}`,
        );
      });
      await removeMarker(run.marker);
      const { commit } = receipt;
      const recorded =
        outcome === "applied" && commit !== null && !environment.accountStack
          ? await recordLedgerEntry(context, { environment, bundle, receipt: { ...receipt, commit }, signer: ledgerSigner, configDigest: source.configDigest })
          : null;
      return { receipt, receiptFile, ledgerRef: recorded };
    };
    try {
      await writeReceipt(bundle, receiptFor("started", startedAt));
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
        asDeployer.apply(executable.file, {
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
    await executable.remove();
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
  source: SourceCheck,
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
    env: facts.environment.name,
    ...(facts.environment.accountStack ? { stack: facts.environment.stack } : {}),
    region: facts.environment.region,
    accountId: facts.environment.accountId,
    commit: source.commit,
    configDigest: source.configDigest,
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
