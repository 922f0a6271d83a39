import path from "node:path";
import { readChosenStack, requireRealAccount, requireTreeRoot, type Environment, type StackChoice } from "../config/environment.js";
import type { SourceRevision } from "../git.js";
import type { Logger } from "../log.js";
import type { PlanHeader } from "../review/render.js";
import { findExecutable } from "../process.js";
import { requirePinnedVersion, Terraform, terraformMissing } from "../terraform/runner.js";
import { initIfChanged } from "../terraform/init-marker.js";
import { cachedVersion } from "../terraform/version-cache.js";
import { prepareWorkDir, readOptions, stackDataDirName, workDir } from "./work-dir.js";

/** What every workflow step needs from the outside world, passed in so tests control it. */
export interface WorkflowContext {
  /** The terraform tree: `envs/<env>/` and `modules/` live under it. */
  root: string;
  /** `terraform` or a path to it (INFRA_TERRAFORM). */
  terraformBinary: string;
  /** Environment for terraform processes (credentials, TF_VAR_*). Never logged. */
  processEnv: NodeJS.ProcessEnv;
  logger: Logger;
  /** Aborted on Ctrl-C: running terraform gets one SIGINT and stops cleanly. */
  signal?: AbortSignal;
  now: () => Date;
  /** The directory the user ran infra in: `--out` may never name it or a parent of it. */
  cwd: string;
  /** What the place this runs in declares about itself (INFRA_TOOLCHAIN), for the manifest. */
  declaredToolchain?: Record<string, string>;
}

/**
 * A terraform runner for `cwd`, with a data dir of its own. Plan and apply of one
 * environment share `env/<name>`; checks get their own, so `init -backend=false` never
 * clobbers a backend initialisation.
 */
export function terraformFor(context: WorkflowContext, cwd: string, dataDirName: string): Terraform {
  return new Terraform({
    binary: context.terraformBinary,
    cwd,
    dataDir: path.join(workDir(context.root), dataDirName),
    env: context.processEnv,
    ...(context.signal ? { signal: context.signal } : {}),
  });
}

/** Finds terraform and refuses any but the pinned version (asked once per binary, then cached). */
export async function requireTerraform(context: WorkflowContext): Promise<string> {
  // First the tree: the version cache is written under it, and a missing tree is no missing terraform.
  await requireTreeRoot(context.root);
  await prepareWorkDir(context.root);
  const found = await findExecutable(context.terraformBinary, context.processEnv["PATH"] ?? "");
  if (!found) throw terraformMissing(context.terraformBinary);
  const version = await cachedVersion(found, path.join(workDir(context.root), "terraform-version.json"), () =>
    terraformFor(context, context.root, "version").version(),
  );
  return requirePinnedVersion(found, version);
}

/**
 * Checks terraform and reads an environment that is about to be planned or applied, both at
 * once (an uncached `terraform version` runs while the HCL parses). A missing or wrong
 * terraform is reported first, since nothing else can be trusted without it.
 */
export async function openEnvironment(context: WorkflowContext, choice: StackChoice): Promise<{ terraformVersion: string; environment: Environment }> {
  const [version, environment] = await Promise.allSettled([requireTerraform(context), readChosenStack(context.root, choice, readOptions(context))]);
  if (version.status === "rejected") throw version.reason;
  if (environment.status === "rejected") throw environment.reason;
  requireRealAccount(environment.value);
  return { terraformVersion: version.value, environment: environment.value };
}

/** The terraform runner of a stack's plan, gate and apply, in the data dir they share (stackDataDir). */
export function terraformForStack(context: WorkflowContext, environment: Environment): Terraform {
  return terraformFor(context, environment.dir, stackDataDirName(environment));
}

/** `terraform init` with the backend, skipped when nothing init depends on has changed. */
export async function initEnvironment(context: WorkflowContext, terraform: Terraform, terraformVersion: string): Promise<void> {
  const label = `terraform init (${path.basename(terraform.cwd)})`;
  const ran = await initIfChanged(terraform, { terraformVersion, readOptions: readOptions(context), processEnv: context.processEnv }, () =>
    context.logger.step(label, () => terraform.init({ backend: true })),
  );
  if (!ran) context.logger.info(`✔ ${label}: already initialised from this configuration`);
}

/** Where and from what a plan (or a drift check) was made: the header of its review and manifest. */
export function planHeaderFor(environment: Environment, revision: SourceRevision, now: Date): PlanHeader {
  return {
    env: environment.name,
    region: environment.region,
    accountId: environment.accountId,
    commit: revision.commit,
    dirty: revision.dirty,
    createdAt: now.toISOString(),
  };
}
