import { readdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { envsDir, findPlaceholders, listEnvironments, parseDirectory, readEnvironment, unknownEnvironment } from "../config/environment.js";
import { InfraError, TerraformError } from "../errors.js";
import { exec, findExecutable } from "../process.js";
import { blockingFindings, describeFinding } from "../policy/index.js";
import { isRegistryUnreachable, type Terraform } from "../terraform/runner.js";
import { requireTerraform, terraformFor, type WorkflowContext } from "./context.js";
import { readOptions } from "./work-dir.js";
import { ORG_SCOPE, orgFindings, reportFor, staticFindings } from "./policy.js";

export type StepStatus = "passed" | "failed" | "skipped";

export interface CheckStep {
  step: "fmt" | "config" | "policy" | "init" | "validate" | "tflint" | "test";
  /** The directory or environment the step looked at, relative to the root. */
  target: string;
  status: StepStatus;
  /** Why it failed or was skipped, in words a person can act on. */
  reason?: string;
  details?: string[];
  durationMs: number;
}

export interface CheckInput {
  /** Only this environment's root (modules and other roots are still checked). */
  env?: string;
  /** A skipped step counts as a failure. */
  strict: boolean;
}

export interface CheckResult {
  ok: boolean;
  strict: boolean;
  steps: CheckStep[];
}

export async function check(context: WorkflowContext, input: CheckInput): Promise<CheckResult> {
  await requireTerraform(context);
  const environments = await listEnvironments(context.root);
  if (input.env !== undefined && !environments.includes(input.env)) throw unknownEnvironment(context.root, input.env, environments);
  const checkedEnvs = input.env === undefined ? environments : [input.env];
  const tflint = await findExecutable("tflint", context.processEnv["PATH"] ?? "");

  const steps: CheckStep[] = [];
  const record = (step: CheckStep) => {
    steps.push(step);
    // A passed step's details are what it counted (terraform test's runs), worth a glance.
    const note = step.reason ?? (step.status === "passed" ? step.details?.join("; ") : undefined);
    const line = `${step.status.padEnd(7)} ${step.step} ${step.target}${note ? `: ${note}` : ""}`;
    if (step.status === "failed") context.logger.warn(line);
    else context.logger.info(`  ${line}`);
  };

  record(await context.logger.step("terraform fmt -check", () => checkFormat(context)));
  for (const env of checkedEnvs) {
    for (const step of await checkEnvironment(context, env)) record(step);
  }
  // The org stack's SCPs guard every environment, so they are judged whichever --env is checked.
  const org = await checkOrg(context);
  if (org) record(org);
  const roots = (await findRoots(context.root)).filter((dir) => isChecked(context.root, dir, checkedEnvs));
  await context.logger.step(`init, validate, lint and test ${roots.length} roots`, () =>
    forEachLimited(roots, availableParallelism(), async (dir) => {
      for (const step of await checkRoot(context, dir, tflint)) record(step);
    }),
  );
  const ok = steps.every((step) => step.status === "passed" || (step.status === "skipped" && !input.strict));
  return { ok, strict: input.strict, steps: orderSteps(steps) };
}

async function checkFormat(context: WorkflowContext): Promise<CheckStep> {
  return timed("fmt", ".", async () => {
    const unformatted = await terraformFor(context, context.root, "check/fmt").fmtCheck(".");
    if (unformatted.length === 0) return { status: "passed" };
    return {
      status: "failed",
      reason: `${unformatted.length} file(s) need formatting; run \`terraform fmt -recursive\``,
      details: unformatted,
    };
  });
}

async function checkEnvironment(context: WorkflowContext, env: string): Promise<CheckStep[]> {
  const target = path.join("envs", env);
  let findings: string[] = [];
  let notes: string[] = [];
  const config = await timed("config", target, async () => {
    const environment = await readEnvironment(context.root, env, readOptions(context));
    const placeholders = await findPlaceholders(environment.dir, readOptions(context));
    if (placeholders.length > 0) return placeholdersLeft(placeholders);
    const report = await reportFor(context, environment, await staticFindings(context, environment));
    const blocking = blockingFindings(report.findings);
    findings = blocking.map(describeFinding);
    // Warnings and waived findings do not fail the step, but are listed with it.
    notes = report.findings.filter((finding) => !blocking.includes(finding)).map(describeFinding);
    return { status: "passed" };
  });
  if (config.status !== "passed") return [config];
  const policy: CheckStep = {
    step: "policy",
    target,
    durationMs: 0,
    ...(findings.length === 0
      ? { status: "passed", ...(notes.length > 0 ? { details: notes } : {}) }
      : { status: "failed", reason: `${findings.length} finding(s)`, details: [...findings, ...notes] }),
  };
  return [config, policy];
}

/** The rules over the organization's stack: its guard rails and region lock (null where there is no org stack). */
async function checkOrg(context: WorkflowContext): Promise<CheckStep | null> {
  let present = true;
  const step = await timed("policy", ORG_SCOPE.name, async () => {
    const findings = await orgFindings(context);
    if (findings === null) {
      present = false;
      return { status: "skipped" };
    }
    const report = await reportFor(context, ORG_SCOPE, findings);
    const blocking = blockingFindings(report.findings);
    const notes = report.findings.filter((finding) => !blocking.includes(finding)).map(describeFinding);
    if (blocking.length === 0) return { status: "passed", ...(notes.length > 0 ? { details: notes } : {}) };
    return { status: "failed", reason: `${blocking.length} finding(s)`, details: [...blocking.map(describeFinding), ...notes] };
  });
  return present ? step : null;
}

/** init -backend=false, validate, tflint and `terraform test` for one root, in order. */
async function checkRoot(context: WorkflowContext, dir: string, tflint: string | null): Promise<CheckStep[]> {
  const target = path.relative(context.root, dir) || ".";
  const terraform = terraformFor(context, dir, `check/${target.replaceAll(path.sep, "__")}`);
  const steps: CheckStep[] = [];
  // Environment roots were read with their facts already. For the rest, a file the parser
  // cannot read fails here with its line, before terraform's noisier error.
  if (!isEnvironmentRoot(context.root, dir)) {
    const parsed = await timed("config", target, async () => {
      await parseDirectory(dir, readOptions(context));
      const placeholders = await findPlaceholders(dir, readOptions(context));
      return placeholders.length > 0 ? placeholdersLeft(placeholders) : { status: "passed" };
    });
    if (parsed.status === "failed") return [parsed];
    steps.push(parsed);
  }

  const init = await timed("init", target, async () => {
    try {
      await terraform.init({ backend: false });
      return { status: "passed" };
    } catch (error) {
      if (error instanceof TerraformError && isRegistryUnreachable(error.stderrTail)) {
        return { status: "skipped", reason: "providers or modules cannot be downloaded here (registry unreachable)" };
      }
      throw error;
    }
  });
  steps.push(init);
  const blocked = init.status === "passed" ? undefined : `init ${init.status}`;
  steps.push(await (blocked ? skipped("validate", target, blocked) : validate(terraform, target)));
  steps.push(await lint(context, dir, target, tflint));
  if (await hasTerraformTests(dir)) {
    steps.push(
      blocked
        ? skipped("test", target, `${blocked}; the tests need their providers`)
        : await timed("test", target, async () => {
            const counts = testCounts((await terraform.test()).stdout);
            return { status: "passed", ...(counts ? { details: [counts] } : {}) };
          }),
    );
  }
  return steps;
}

async function validate(terraform: Terraform, target: string): Promise<CheckStep> {
  return timed("validate", target, async () => {
    const result = await terraform.validate();
    if (result.valid) return { status: "passed" };
    return {
      status: "failed",
      reason: `${result.error_count} error(s)`,
      details: result.diagnostics
        .filter((diagnostic) => diagnostic.severity === "error")
        .map((diagnostic) =>
          diagnostic.range
            ? `${path.join(target, diagnostic.range.filename)} line ${diagnostic.range.start.line}: ${diagnostic.summary}`
            : diagnostic.summary,
        ),
    };
  });
}

async function lint(context: WorkflowContext, dir: string, target: string, tflint: string | null): Promise<CheckStep> {
  if (!tflint) return skipped("tflint", target, "tflint is not installed");
  return timed("tflint", target, async () => {
    const config = path.join(context.root, ".tflint.hcl");
    const options = { cwd: dir, env: context.processEnv };
    const init = await exec(tflint, ["--init", `--config=${config}`], options);
    if (init.exitCode !== 0) return { status: "skipped", reason: "tflint plugins could not be installed (tflint --init failed)" };
    const out = await exec(tflint, [`--config=${config}`, "--format=compact", "--no-color"], options);
    if (out.exitCode === 0) return { status: "passed" };
    return { status: "failed", reason: "tflint reported issues", details: out.stdout.split("\n").filter(Boolean) };
  });
}

async function timed(
  step: CheckStep["step"],
  target: string,
  work: () => Promise<Pick<CheckStep, "status" | "reason" | "details">>,
): Promise<CheckStep> {
  const started = Date.now();
  try {
    const outcome = await work();
    return { step, target, ...outcome, durationMs: Date.now() - started };
  } catch (error) {
    if (!(error instanceof InfraError)) throw error;
    const details = error instanceof TerraformError && error.stderrTail ? error.stderrTail.split("\n") : undefined;
    return { step, target, status: "failed", reason: error.message, ...(details ? { details } : {}), durationMs: Date.now() - started };
  }
}

/** The template's placeholder values still in a root: nothing could be applied with them. */
function placeholdersLeft(placeholders: string[]): Pick<CheckStep, "status" | "reason" | "details"> {
  return {
    status: "failed",
    reason: `${placeholders.length} placeholder value(s) left from the template; replace each in the file named (README "First-time setup")`,
    details: placeholders,
  };
}

function skipped(step: CheckStep["step"], target: string, reason: string): CheckStep {
  return { step, target, status: "skipped", reason, durationMs: 0 };
}

/** Every directory holding .tf files: environment roots, modules, their examples, org, bootstrap. */
export async function findRoots(root: string): Promise<string[]> {
  const roots: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    if (entries.some((entry) => entry.isFile() && entry.name.endsWith(".tf"))) roots.push(dir);
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith(".") && entry.name !== "node_modules") {
        await walk(path.join(dir, entry.name));
      }
    }
  };
  await walk(root);
  return roots.sort();
}

function isEnvironmentRoot(root: string, dir: string): boolean {
  return path.dirname(dir) === envsDir(root);
}

function isChecked(root: string, dir: string, envs: readonly string[]): boolean {
  const relative = path.relative(envsDir(root), dir);
  if (relative.startsWith("..")) return true;
  return envs.includes(relative.split(path.sep)[0] ?? "");
}

/** terraform test's closing count, e.g. "12 passed, 0 failed", so a report says how much ran. */
export function testCounts(stdout: string): string | undefined {
  return /\b\d+ passed, \d+ failed(?:, \d+ skipped)?/.exec(stdout)?.[0];
}

async function hasTerraformTests(dir: string): Promise<boolean> {
  const names = [...(await readdir(dir)), ...(await readdir(path.join(dir, "tests")).catch(() => []))];
  return names.some((name) => name.endsWith(".tftest.hcl"));
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  });
  await Promise.all(workers);
}

/** Parallel roots finish in any order; the report reads in a stable one. */
function orderSteps(steps: CheckStep[]): CheckStep[] {
  const order: CheckStep["step"][] = ["fmt", "config", "policy", "init", "validate", "tflint", "test"];
  return [...steps].sort((a, b) => a.target.localeCompare(b.target) || order.indexOf(a.step) - order.indexOf(b.step));
}
