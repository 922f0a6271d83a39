import { cp, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { InfraError } from "../errors.js";
import { PACKAGE_ROOT } from "../package-root.js";
import { apply, type ApplyResult } from "./apply.js";
import { check, type CheckResult } from "./check.js";
import type { WorkflowContext } from "./context.js";
import { plan, type PlanResult } from "./plan.js";

/** The bundled example: a terraform/-shaped tree of terraform_data resources, local backend. */
export const DEMO_SOURCE = path.join(PACKAGE_ROOT, "examples", "demo");

export interface DemoResult {
  workspace: string;
  check: CheckResult;
  stages: Array<{ env: string; plan: PlanResult; apply: ApplyResult }>;
}

/** The promotion order the demo walks: dev first, then prod from the plan dev proved. */
const DEMO_ENVIRONMENTS = ["dev", "prod"] as const;

/**
 * check, then plan and apply each environment in promotion order, on a copy of the example in
 * a temporary directory. Offline: only terraform's built-in provider is used.
 */
export async function demo(context: Omit<WorkflowContext, "root">): Promise<DemoResult> {
  const workspace = await mkdtemp(path.join(tmpdir(), "infra-demo-"));
  const root = path.join(workspace, "terraform");
  await cp(DEMO_SOURCE, root, { recursive: true });
  context.logger.info(`demo workspace: ${workspace}`);
  const inWorkspace: WorkflowContext = { ...context, root };

  const checked = await context.logger.step("infra check", () => check(inWorkspace, { strict: false }));
  if (!checked.ok) throw new InfraError("infra check failed on the bundled example", "run `infra check --root " + root + "` to see why");
  const stages: DemoResult["stages"] = [];
  for (const env of DEMO_ENVIRONMENTS) {
    const out = path.join(workspace, "artifacts", env);
    const planned = await context.logger.step(`infra plan --env ${env}`, () => plan(inWorkspace, { env, out }));
    context.logger.info(`  bundle: ${planned.bundle}`);
    const applied = await context.logger.step(`infra apply --env ${env}`, () => apply(inWorkspace, { env, bundle: out }));
    context.logger.info(`  receipt: ${applied.receiptFile}`);
    stages.push({ env, plan: planned, apply: applied });
  }
  return { workspace, check: checked, stages };
}
