import path from "node:path";
import { InfraError, InterruptedError } from "../errors.js";
import { defaultApplyGates, evaluateGates, gateRefusal, type GateDecision } from "../gates/apply-gates.js";
import { BundleFile } from "../bundle/layout.js";
import type { Manifest } from "../bundle/manifest.js";
import { writeReceipt, type Outcome, type Receipt } from "../bundle/receipt.js";
import { approvalRecord } from "../gates/approval.js";
import { recordApplied } from "../ledger.js";
import { initEnvironment, terraformFor, type WorkflowContext } from "./context.js";
import { gatherGateFacts, type GateFacts, type GateOptions } from "./gate.js";

/** The bundle, the environment and what the gates need from the person or the CI run. */
export type ApplyInput = GateOptions;

export interface ApplyResult {
  receipt: Receipt;
  receiptFile: string;
  /** The promotion ledger's ref for this apply (`refs/infra/applied/<env>/<commit>`), once applied. */
  ledgerRef: string | null;
}

/**
 * Applies exactly the tfplan of a reviewed bundle. Every gate decides before terraform sees
 * the plan; a receipt records the outcome (and the gates' reasons) whether it worked or not.
 */
export async function apply(context: WorkflowContext, input: ApplyInput): Promise<ApplyResult> {
  const { facts, decisions } = await context.logger.step("gates", async () => {
    const gathered = await gatherGateFacts(context, input);
    return { facts: gathered, decisions: await evaluateGates(input.gates ?? defaultApplyGates, gathered.input, { every: true }) };
  });
  for (const decision of decisions) context.logger.info(`  ${decision.allowed ? "passed " : "REFUSED"} ${decision.gate}: ${decision.reason}`);
  const refused = decisions.find((decision) => !decision.allowed);
  if (refused) throw gateRefusal(refused);
  const { bundle, manifest, environment, terraformVersion } = facts;

  const startedAt = context.now();
  const terraform = terraformFor({ ...context, processEnv: facts.processEnv }, environment.dir, `env/${environment.name}`);
  const finish = async (outcome: Outcome, error?: InfraError): Promise<ApplyResult> => {
    const receipt = receiptOf(manifest, decisions, terraformVersion, startedAt, context.now(), outcome, facts, error);
    const receiptFile = await writeReceipt(bundle, receipt);
    const ledgerRef = outcome === "applied" && manifest.commit !== null ? await recordApplied(context.root, environment.name, manifest.commit, receiptFile) : null;
    return { receipt, receiptFile, ledgerRef };
  };
  try {
    await initEnvironment(context, terraform, terraformVersion);
    await context.logger.step(`terraform apply (${environment.name})`, () => terraform.apply(path.join(bundle, BundleFile.plan)));
  } catch (error) {
    if (error instanceof InfraError) await finish(error instanceof InterruptedError ? "interrupted" : "failed", error);
    throw error;
  }
  return finish("applied");
}

function receiptOf(
  manifest: Manifest,
  decisions: readonly GateDecision[],
  terraformVersion: string,
  startedAt: Date,
  finishedAt: Date,
  outcome: Outcome,
  facts: GateFacts,
  error?: InfraError,
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
    identity: facts.input.identity,
    approval: approvalRecord(facts.input.approval, facts.environment.protected, manifest.planDigest),
    allowedDestroy: facts.input.allowDestroy,
  };
}
