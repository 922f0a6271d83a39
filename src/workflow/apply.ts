import path from "node:path";
import { InfraError, InterruptedError } from "../errors.js";
import { defaultApplyGates, evaluateGates, type ApplyGate, type GateDecision } from "../gates/apply-gates.js";
import { digestDirectory } from "../bundle/digest.js";
import { BundleFile, UNDIGESTED_FILES } from "../bundle/layout.js";
import { readBundleManifest, type Manifest } from "../bundle/manifest.js";
import { readReceipt, writeReceipt, type Outcome, type Receipt } from "../bundle/receipt.js";
import { initEnvironment, openEnvironment, terraformFor, type WorkflowContext } from "./context.js";

export interface ApplyInput {
  env: string;
  bundle: string;
  /** Defaults to every gate in defaultApplyGates. */
  gates?: readonly ApplyGate[];
}

export interface ApplyResult {
  receipt: Receipt;
  receiptFile: string;
}

/**
 * Applies exactly the tfplan of a reviewed bundle. Every gate decides before terraform sees
 * the plan; a receipt records the outcome (and the gates' reasons) whether it worked or not.
 */
export async function apply(context: WorkflowContext, input: ApplyInput): Promise<ApplyResult> {
  const bundle = path.resolve(input.bundle);
  const manifest = await readBundleManifest(bundle);
  const { terraformVersion, environment } = await openEnvironment(context, input.env);

  const decisions = await context.logger.step("gates", async () =>
    evaluateGates(input.gates ?? defaultApplyGates, {
      environment,
      manifest,
      digestsOnDisk: await digestDirectory(bundle, UNDIGESTED_FILES),
      previousReceipt: await readReceipt(bundle),
      terraformVersion,
    }),
  );
  const refused = decisions.find((decision) => !decision.allowed);
  if (refused) throw refused.refusal ?? new InfraError(refused.reason);

  const startedAt = context.now();
  const terraform = terraformFor(context, environment.dir, `env/${environment.name}`);
  const finish = async (outcome: Outcome, error?: InfraError): Promise<ApplyResult> => {
    const receipt = receiptOf(manifest, decisions, terraformVersion, startedAt, context.now(), outcome, error);
    return { receipt, receiptFile: await writeReceipt(bundle, receipt) };
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
  };
}
