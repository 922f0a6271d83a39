#!/usr/bin/env -S npx tsx
/**
 * Runs one bootstrap stack (terraform/bootstrap/<stack>) in the order README "First-time setup"
 * gives, so the chicken-and-egg of the state bucket is handled the same way every time:
 *
 *   first run:  a local backend_override.tf (the bucket does not exist yet) -> init -> apply
 *               -> remove the override -> init -migrate-state (the state moves into the bucket
 *               it just created) -> remove the local state files
 *   later runs: init -> apply, on the S3 backend of backend.tf
 *
 *   npx tsx scripts/bootstrap.ts dev --first-run        the dev account's first bootstrap
 *   npx tsx scripts/bootstrap.ts org --dry-run          print what would run, run nothing
 *   npx tsx scripts/bootstrap.ts --order                print the whole first-time order
 *
 * It runs with the caller's credentials (no role is assumed: notes on the credential chain in
 * README "Credentials"); the provider's allowed_account_ids refuses any other account.
 */
import { existsSync, realpathSync } from "node:fs";
import { readdir, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
// zx for the script shell: argv parsing, running terraform with its output on the terminal.
import { $, chalk, parseArgv, path } from "zx";
import { isEntryPoint } from "./entry-point.js";
import { isPlaceholderAccountId } from "../src/config/environment.js";
import { parseHclFile } from "../src/config/hcl.js";
import { ConfigError, describeError, ExitCode, InfraError, RefusedError, UsageError } from "../src/errors.js";

/** What the first run writes so terraform can start before the state bucket exists. */
export const BACKEND_OVERRIDE = "backend_override.tf";
const LOCAL_BACKEND = '# Written by scripts/bootstrap.ts for the first run only; removed once the state is migrated.\nterraform {\n  backend "local" {}\n}\n';

export type Step =
  | { kind: "write-override" }
  | { kind: "remove-override" }
  | { kind: "terraform"; args: string[] }
  | { kind: "remove-local-state" };

/** The steps for one bootstrap stack, in order; pure, so the order is tested without AWS. */
export function bootstrapSteps(options: { firstRun: boolean; autoApprove: boolean }): Step[] {
  const apply: Step = { kind: "terraform", args: ["apply", "-input=false", ...(options.autoApprove ? ["-auto-approve"] : [])] };
  if (!options.firstRun) return [{ kind: "terraform", args: ["init", "-input=false"] }, apply];
  return [
    { kind: "write-override" },
    { kind: "terraform", args: ["init", "-input=false", "-reconfigure"] },
    apply,
    { kind: "remove-override" },
    { kind: "terraform", args: ["init", "-input=false", "-migrate-state", "-force-copy"] },
    { kind: "remove-local-state" },
  ];
}

export function describeStep(step: Step): string {
  switch (step.kind) {
    case "write-override":
      return `write ${BACKEND_OVERRIDE} (local backend: the state bucket does not exist yet)`;
    case "remove-override":
      return `remove ${BACKEND_OVERRIDE} (the S3 backend of backend.tf applies again)`;
    case "terraform":
      return `terraform ${step.args.join(" ")}`;
    case "remove-local-state":
      return "remove the local terraform.tfstate (its content now lives in the state bucket)";
  }
}

/** The first-time order across stacks; README "First-time setup" explains each step. */
export function firstTimeOrder(environments: readonly string[]): string[] {
  return [
    "management account, as its administrator:   npx tsx scripts/bootstrap.ts org --first-run",
    "management account:                          cd terraform/org && terraform init && terraform apply",
    "copy the log archive account's id (terraform -chdir=terraform/org output log_archive_account_id) into terraform/log-archive/log-archive.tf",
    "log archive account, as the management administrator: cd terraform/log-archive && terraform init && terraform apply",
    "IAM Identity Center: create the Deployer and PlatformAdmin permission sets, assign them in each new account, and name their roles (with the aws-reserved/sso.amazonaws.com/<region>/ path) in terraform/bootstrap/<env>/main.tf",
    "copy each account id (terraform output account_ids) into terraform/envs/<env>/environment.tf and the bucket names of envs/<env>/backend.tf and bootstrap/<env>/backend.tf",
    ...environments.flatMap((env) => [
      `${env} account, as OrganizationAccountAccessRole: npx tsx scripts/bootstrap.ts ${env} --first-run`,
      `${env}: terraform -chdir=terraform/bootstrap/${env} output -raw ledger_public_key_pem > terraform/envs/${env}/ledger-key.pem, and commit it`,
    ]),
    ...environments.map((env) => `${env}: npx infra plan --env ${env}, review, npx infra apply (infra assumes infra-deploy)`),
  ];
}

/** Refuses a stack whose facts still hold a placeholder account id: nothing would apply there. */
async function requireRealFacts(stackDir: string, stack: string): Promise<void> {
  const factsFile = ["environment.tf", "management.tf"].map((name) => path.join(stackDir, name)).find((file) => existsSync(file));
  if (!factsFile) throw new ConfigError(`terraform/bootstrap/${stack} has no environment.tf or management.tf`, "link the environment's facts file into it");
  const body = await parseHclFile(factsFile, {});
  const locals = Array.isArray(body["locals"]) ? (body["locals"] as Array<Record<string, unknown>>) : [];
  const accountId = locals.map((block) => block["account_id"]).find((value): value is string => typeof value === "string");
  if (accountId === undefined) throw new ConfigError(`${factsFile} states no account_id`, 'write account_id = "<12 digits>" in its locals block');
  if (isPlaceholderAccountId(accountId)) {
    throw new RefusedError(
      `terraform/bootstrap/${stack} still has the placeholder account id ${accountId}`,
      `set account_id in ${realpathSync(factsFile)} and the bucket name in terraform/bootstrap/${stack}/backend.tf first`,
    );
  }
}

async function runStep(step: Step, dir: string): Promise<void> {
  switch (step.kind) {
    case "write-override":
      await writeFile(path.join(dir, BACKEND_OVERRIDE), LOCAL_BACKEND);
      return;
    case "remove-override":
      await rm(path.join(dir, BACKEND_OVERRIDE), { force: true });
      return;
    case "terraform":
      await $({ cwd: dir, stdio: "inherit" })`terraform ${step.args}`;
      return;
    case "remove-local-state":
      await Promise.all(["terraform.tfstate", "terraform.tfstate.backup"].map((name) => rm(path.join(dir, name), { force: true })));
  }
}

const USAGE = `Usage: npx tsx scripts/bootstrap.ts <stack> [--first-run] [--dry-run] [--auto-approve]
       npx tsx scripts/bootstrap.ts --order

  <stack>         a folder under terraform/bootstrap: org (the management account) or an environment
  --first-run     the state bucket does not exist yet: apply on a local backend, then migrate the
                  state into the bucket
  --dry-run       print the steps, run nothing
  --auto-approve  pass -auto-approve to terraform apply (CI); otherwise terraform asks
  --order         print the first-time order across all stacks

Exit codes: 0 done, 1 failed or refused (placeholder account id), 2 usage error.`;

const KNOWN_FLAGS = new Set(["_", "first-run", "firstRun", "dry-run", "dryRun", "auto-approve", "autoApprove", "order", "help", "h"]);

async function main(args: string[]): Promise<void> {
  const argv = parseArgv(args, { boolean: ["first-run", "dry-run", "auto-approve", "order", "help"], alias: { h: "help" } });
  const unknown = Object.keys(argv).filter((key) => !KNOWN_FLAGS.has(key));
  if (unknown.length > 0) throw new UsageError(`unknown argument: ${unknown.map((k) => `--${k}`).join(", ")}`, "run `npx tsx scripts/bootstrap.ts --help`");
  if (argv.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const terraformDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "terraform");
  const bootstrapDir = path.join(terraformDir, "bootstrap");
  const stacks = (await readdir(bootstrapDir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  if (argv.order === true) {
    const environments = (await readdir(path.join(terraformDir, "envs"), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    firstTimeOrder(environments.sort()).forEach((line, index) => process.stdout.write(`${index + 1}. ${line}\n`));
    return;
  }
  const positional = argv._.map(String);
  if (positional.length !== 1) throw new UsageError("name exactly one bootstrap stack", `one of: ${stacks.join(", ")}`);
  const stack = positional[0] ?? "";
  if (!stacks.includes(stack)) throw new UsageError(`unknown bootstrap stack "${stack}"`, `one of: ${stacks.join(", ")} (folders under terraform/bootstrap)`);
  const dir = path.join(bootstrapDir, stack);
  const firstRun = argv["first-run"] === true;
  if (firstRun && existsSync(path.join(dir, BACKEND_OVERRIDE))) {
    throw new RefusedError(`terraform/bootstrap/${stack}/${BACKEND_OVERRIDE} exists: an earlier first run did not finish`, "check `terraform state list` there, then remove the file and rerun, or finish with `terraform init -migrate-state`");
  }
  const steps = bootstrapSteps({ firstRun, autoApprove: argv["auto-approve"] === true });
  if (argv["dry-run"] === true) {
    steps.forEach((step, index) => process.stdout.write(`${index + 1}. ${describeStep(step)}\n`));
    return;
  }
  await requireRealFacts(dir, stack);
  for (const step of steps) {
    process.stderr.write(`${chalk.cyan("bootstrap")} ${stack}: ${describeStep(step)}\n`);
    await runStep(step, dir);
  }
  process.stderr.write(`${chalk.green("done")} terraform/bootstrap/${stack}\n`);
}

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    if (error instanceof InfraError) {
      process.stderr.write(`${describeError(error)}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    // zx's ProcessOutput: terraform already printed why; say which step and stop.
    const exitCode = (error as { exitCode?: unknown }).exitCode;
    if (typeof exitCode === "number") {
      process.stderr.write(`terraform exited ${exitCode}; fix what it reported and rerun (a first run resumes: remove ${BACKEND_OVERRIDE} only after its state is migrated)\n`);
      process.exitCode = ExitCode.failed;
      return;
    }
    process.stderr.write(`internal error:\n${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = ExitCode.failed;
  });
}
