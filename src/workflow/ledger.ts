import { readEnvironment } from "../config/environment.js";
import { listApplied, type LedgerEntry } from "../ledger.js";
import type { WorkflowContext } from "./context.js";
import { readOptions } from "./work-dir.js";

export interface LedgerResult {
  env: string;
  entries: LedgerEntry[];
}

/** `infra ledger --env E`: the environment must exist; its entries come from git alone. */
export async function ledger(context: WorkflowContext, env: string): Promise<LedgerResult> {
  await readEnvironment(context.root, env, readOptions(context));
  return { env, entries: await listApplied(context.root, env) };
}
