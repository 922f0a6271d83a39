import { cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { InfraError, RefusedError } from "../errors.js";
import { approvalDigest } from "../gates/approval.js";
import { commitAll, TREE_GITIGNORE } from "../git.js";
import { listApplied, type LedgerEntry } from "../ledger.js";
import { PACKAGE_ROOT } from "../package-root.js";
import { apply, type ApplyResult } from "./apply.js";
import { check, type CheckResult } from "./check.js";
import type { WorkflowContext } from "./context.js";
import { gate, type GateResult } from "./gate.js";
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
  /** What the ledger holds for prod afterwards (`infra ledger --env prod`). */
  ledger: LedgerEntry[];
}

/** The promotion order the demo walks: dev first, then prod from the plan dev proved. */
const DEMO_ENVIRONMENTS = ["dev", "prod"] as const;

/**
 * check, then plan and apply each environment in promotion order, on a copy of the example
 * committed to a git repository in a temporary directory. Production is protected: its first
 * apply is refused for want of an approval, the second carries the plan digest and passes.
 * Offline: only terraform's built-in provider is used, and no AWS identity is checked.
 */
export async function demo(context: Omit<WorkflowContext, "root">): Promise<DemoResult> {
  const workspace = await mkdtemp(path.join(tmpdir(), "infra-demo-"));
  const root = path.join(workspace, "terraform");
  await cp(DEMO_SOURCE, root, { recursive: true });
  await writeFile(path.join(workspace, ".gitignore"), `${TREE_GITIGNORE}\n`);
  const commit = await commitAll(workspace, "demo: the bundled example");
  context.logger.info(`demo workspace: ${workspace} (a git repository at ${commit.slice(0, 12)})`);
  const inWorkspace: WorkflowContext = { ...context, root };

  const checked = await context.logger.step("infra check", () => check(inWorkspace, { strict: false }));
  if (!checked.ok) throw new InfraError("infra check failed on the bundled example", "run `infra check --root " + root + "` to see why");
  const stages: DemoResult["stages"] = [];
  let refused: DemoResult["refused"] | undefined;
  for (const env of DEMO_ENVIRONMENTS) {
    const out = path.join(workspace, "artifacts", env);
    const planned = await context.logger.step(`infra plan --env ${env} --offline`, () => plan(inWorkspace, { env, out, offline: true }));
    context.logger.info(`  bundle: ${planned.bundle}`);
    const unapproved = { env, bundle: out, offline: true };
    if (env === "prod") {
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
  if (!refused) throw new Error("the demo walks prod, so it has a refusal to show");
  return { workspace, check: checked, commit, stages, refused, ledger: await listApplied(root, "prod") };
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
