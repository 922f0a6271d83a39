#!/usr/bin/env -S npx tsx
/**
 * Runs one bootstrap stack (terraform/bootstrap/<stack>) through infra's own plan, review and
 * gates, in the order README "First-time setup" gives, so the chicken-and-egg of the state bucket
 * is handled the same way every time:
 *
 *   first run:  infra's local backend override (the bucket does not exist yet) -> infra plan
 *               --stack bootstrap/<stack> -> the person types the plan's digest -> infra apply of
 *               that bundle, every gate deciding -> remove the override -> terraform init
 *               -migrate-state (the state moves into the bucket it just created) -> remove the
 *               local state files
 *   later runs: infra plan -> typed digest -> infra apply, on the S3 backend of backend.tf
 *
 *   npx tsx scripts/bootstrap.ts dev --first-run        the dev account's first bootstrap
 *   npx tsx scripts/bootstrap.ts org --dry-run          print what would run, run nothing
 *   npx tsx scripts/bootstrap.ts --order                print the whole first-time order
 *
 * It runs with the caller's credentials (infra assumes no role for an account stack and checks
 * the caller's account with STS; notes in README "Credentials").
 */
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createInterface } from "node:readline/promises";
import { fileURLToPath } from "node:url";
// zx for the script shell: argv parsing, running infra and terraform with their output on the terminal.
import { $, chalk, parseArgv, path } from "zx";
import { isEntryPoint } from "./entry-point.js";
import { readStack, requireRealAccount } from "../src/config/environment.js";
import { ConfigError, describeError, ExitCode, InfraError, InterruptedError, RefusedError, UsageError } from "../src/errors.js";
import { FIRST_RUN_BACKEND, FIRST_RUN_BACKEND_FILE } from "../src/first-run-backend.js";
import { APPROVAL_LENGTH } from "../src/gates/approval.js";
import { stackDataDir } from "../src/workflow/work-dir.js";

/** What the first run writes so terraform can start before the state bucket exists. */
export const BACKEND_OVERRIDE = FIRST_RUN_BACKEND_FILE;

const REPOSITORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const INFRA = path.join(REPOSITORY, "bin", "infra.js");

export type Step =
  | { kind: "write-override" }
  | { kind: "plan" }
  | { kind: "approve" }
  | { kind: "apply" }
  | { kind: "remove-override" }
  | { kind: "terraform"; args: string[] }
  | { kind: "remove-local-state" };

/** The steps for one bootstrap stack, in order; pure, so the order is tested without AWS. */
export function bootstrapSteps(options: { firstRun: boolean }): Step[] {
  const gated: Step[] = [{ kind: "plan" }, { kind: "approve" }, { kind: "apply" }];
  if (!options.firstRun) return gated;
  return [
    { kind: "write-override" },
    ...gated,
    { kind: "remove-override" },
    { kind: "terraform", args: ["init", "-input=false", "-migrate-state", "-force-copy"] },
    { kind: "remove-local-state" },
  ];
}

export function describeStep(step: Step, stack = "<stack>"): string {
  const bundle = bundleDir(stack);
  switch (step.kind) {
    case "write-override":
      return `write ${BACKEND_OVERRIDE} (local backend: the state bucket does not exist yet)`;
    case "plan":
      return `infra plan --stack bootstrap/${stack} --out ${bundle} (prints the review)`;
    case "approve":
      return `you type the first ${APPROVAL_LENGTH} hex of the plan digest the review printed, or nothing to stop`;
    case "apply":
      return `infra apply --stack bootstrap/${stack} --plan ${bundle} --approve <digest> (every gate decides first)`;
    case "remove-override":
      return `remove ${BACKEND_OVERRIDE} (the S3 backend of backend.tf applies again)`;
    case "terraform":
      return `terraform ${step.args.join(" ")}`;
    case "remove-local-state":
      return "remove the local terraform.tfstate (its content now lives in the state bucket)";
  }
}

function bundleDir(stack: string): string {
  return path.join("artifacts", "bootstrap", stack);
}

/** The first-time order across stacks; README "First-time setup" explains each step. */
export function firstTimeOrder(environments: readonly string[]): string[] {
  const applyStack = (stack: string) => `npx infra plan --stack ${stack}, review, npx infra apply --stack ${stack} --plan artifacts/${stack} --approve <digest>`;
  return [
    "management account, as its administrator:   npx tsx scripts/bootstrap.ts org --first-run",
    `management account:                          ${applyStack("org")}`,
    "copy the log archive account's id (terraform -chdir=terraform/org output log_archive_account_id) into terraform/log-archive/log-archive.tf",
    `log archive account, as the management administrator: ${applyStack("log-archive")}`,
    "IAM Identity Center: create the Deployer and PlatformAdmin permission sets, assign them in each new account, and name their roles (with the aws-reserved/sso.amazonaws.com/<region>/ path) in terraform/bootstrap/<env>/main.tf",
    "copy each account id (terraform output account_ids) into terraform/envs/<env>/environment.tf and the bucket names of envs/<env>/backend.tf and bootstrap/<env>/backend.tf",
    ...environments.flatMap((env) => [
      `${env} account, as OrganizationAccountAccessRole: npx tsx scripts/bootstrap.ts ${env} --first-run`,
      `${env}: terraform -chdir=terraform/bootstrap/${env} output -raw ledger_public_key_pem > terraform/envs/${env}/ledger-key.pem, and commit it`,
    ]),
    ...environments.map((env) => `${env}: npx infra plan --env ${env}, review, npx infra apply (infra assumes infra-deploy)`),
  ];
}

/** Refuses a stack whose facts still hold a placeholder account id, before anything is written: nothing would apply there. */
async function requireRealFacts(root: string, stack: string): Promise<void> {
  requireRealAccount(await readStack(root, `bootstrap/${stack}`, {}));
}

interface StackRun {
  /** The terraform tree (`--root`). */
  root: string;
  /** The folder under bootstrap/. */
  stack: string;
  dir: string;
  /** Answers the approval prompt: a line the person typed, or null when they typed nothing. */
  ask: (question: string) => Promise<string | null>;
}

/** How many of infra and terraform run now: Ctrl-C is theirs to handle while any does. */
let childrenRunning = 0;

async function child(run: () => Promise<unknown>): Promise<void> {
  childrenRunning += 1;
  try {
    await run();
  } finally {
    childrenRunning -= 1;
  }
}

/** Runs infra (this repository's CLI) on the stack's tree, its output on the terminal. */
function infra(run: StackRun, args: string[]): Promise<void> {
  return child(() => $({ stdio: "inherit" })`${process.execPath} ${INFRA} ${args} --root ${run.root}`);
}

async function runStep(step: Step, run: StackRun, approved: { digest: string | null }): Promise<void> {
  const stack = `bootstrap/${run.stack}`;
  const bundle = path.join(run.root, "..", bundleDir(run.stack));
  switch (step.kind) {
    case "write-override":
      return writeOverride(run);
    case "plan":
      return infra(run, ["plan", "--stack", stack, "--out", bundle]);
    case "approve": {
      const manifest = JSON.parse(await readFile(path.join(bundle, "manifest.json"), "utf8")) as { planDigest?: unknown };
      const digest = typeof manifest.planDigest === "string" ? manifest.planDigest.slice(0, APPROVAL_LENGTH) : "";
      const typed = (await run.ask(`Read the review above. To apply it, type the first ${APPROVAL_LENGTH} hex of its plan digest (infra review ${bundle} prints it); press Enter to stop: `))?.trim() ?? "";
      if (typed === "") {
        throw new RefusedError(
          `nothing was applied to ${stack}: no approval was typed`,
          `the bundle stays in ${bundle}; apply it with \`npx infra apply --stack ${stack} --plan ${bundle} --approve <digest>\`, or run this script again`,
        );
      }
      // The apply gate compares what was typed with the bundle it executes; a typo is refused there.
      approved.digest = typed;
      process.stderr.write(typed.toLowerCase() === digest ? "" : `${chalk.yellow("note")} that is not this bundle's digest; the approval gate will refuse it\n`);
      return;
    }
    case "apply":
      return infra(run, ["apply", "--stack", stack, "--plan", bundle, "--approve", approved.digest ?? ""]);
    case "remove-override":
      await rm(path.join(run.dir, BACKEND_OVERRIDE), { force: true });
      return;
    case "terraform": {
      // In infra's data dir for the stack: it recorded the local backend, so terraform sees the move to S3.
      const dataDir = stackDataDir(run.root, { name: run.stack, stack, accountStack: true });
      return child(() => $({ cwd: run.dir, stdio: "inherit", env: { ...process.env, TF_DATA_DIR: dataDir } })`terraform ${step.args}`);
    }
    case "remove-local-state":
      await Promise.all(["terraform.tfstate", "terraform.tfstate.backup"].map((name) => rm(path.join(run.dir, name), { force: true })));
  }
}

/**
 * The override, exactly as infra's source check accepts it. One left by an earlier first run that
 * stopped is resumed (its local state holds what that run applied); any other content is refused.
 */
async function writeOverride(run: StackRun): Promise<void> {
  const file = path.join(run.dir, BACKEND_OVERRIDE);
  const existing = await readFile(file, "utf8").catch(() => null);
  if (existing !== null && existing !== FIRST_RUN_BACKEND) {
    throw new RefusedError(
      `terraform/bootstrap/${run.stack}/${BACKEND_OVERRIDE} exists and is not infra's first-run override`,
      "remove it (it is nothing infra wrote), or finish an earlier migration with `terraform init -migrate-state`, then rerun",
    );
  }
  if (existing !== null) process.stderr.write(`${chalk.yellow("resuming")} an earlier first run of bootstrap/${run.stack}: its local state holds what that run applied\n`);
  await writeFile(file, FIRST_RUN_BACKEND);
}

const USAGE = `Usage: npx tsx scripts/bootstrap.ts <stack> [--first-run] [--dry-run] [--root DIR]
       npx tsx scripts/bootstrap.ts --order

  <stack>       a folder under terraform/bootstrap: org (the management account) or an environment
  --first-run   the state bucket does not exist yet: plan and apply on a local backend, then
                migrate the state into the bucket
  --dry-run     print the steps, run nothing
  --root DIR    the terraform tree [default: this repository's terraform/]
  --order       print the first-time order across all stacks

Every apply goes through infra's gates as the caller, with the plan digest you type after reading
the review (there is no unattended mode: an account stack is applied by a person).

Exit codes: 0 done, 1 failed or refused (placeholder account id, no approval, a gate), 2 usage error.`;

const KNOWN_FLAGS = new Set(["_", "first-run", "firstRun", "dry-run", "dryRun", "order", "root", "help", "h"]);

/** Reads one line from the terminal (or whatever stdin is); null once stdin has ended. Ctrl-C stops the run. */
async function askOnStdin(question: string): Promise<string | null> {
  const lines = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY === true });
  try {
    const closed = new Promise<null>((resolve) => lines.once("close", () => resolve(null)));
    // Without a listener readline only pauses on Ctrl-C, and the prompt would wait for ever.
    const interrupted = new Promise<never>((_, reject) =>
      lines.once("SIGINT", () => reject(new InterruptedError("interrupted at the approval prompt: nothing was applied", "run the script again to plan and approve afresh"))),
    );
    return await Promise.race([lines.question(question), closed, interrupted]);
  } finally {
    lines.close();
  }
}

export async function main(args: string[], ask: StackRun["ask"] = askOnStdin): Promise<void> {
  const argv = parseArgv(args, { boolean: ["first-run", "dry-run", "order", "help"], string: ["root"], alias: { h: "help" } });
  const unknown = Object.keys(argv).filter((key) => !KNOWN_FLAGS.has(key));
  if (unknown.length > 0) throw new UsageError(`unknown argument: ${unknown.map((k) => `--${k}`).join(", ")}`, "run `npx tsx scripts/bootstrap.ts --help`");
  if (argv.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (argv["root"] === "") throw new UsageError("--root needs a directory", "pass the terraform tree, e.g. --root terraform");
  const terraformDir = typeof argv["root"] === "string" ? path.resolve(argv["root"]) : path.join(REPOSITORY, "terraform");
  const bootstrapDir = path.join(terraformDir, "bootstrap");
  const stacks = (await readdir(bootstrapDir, { withFileTypes: true }).catch(() => {
    throw new ConfigError(`${bootstrapDir} is not a directory of bootstrap stacks`, "pass --root DIR pointing at the terraform tree (the directory holding bootstrap/)");
  }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
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
  const steps = bootstrapSteps({ firstRun: argv["first-run"] === true });
  if (argv["dry-run"] === true) {
    steps.forEach((step, index) => process.stdout.write(`${index + 1}. ${describeStep(step, stack)}\n`));
    return;
  }
  await requireRealFacts(terraformDir, stack);
  const run: StackRun = { root: terraformDir, stack, dir, ask };
  const approved = { digest: null as string | null };
  for (const step of steps) {
    process.stderr.write(`${chalk.cyan("bootstrap")} ${stack}: ${describeStep(step, stack)}\n`);
    await runStep(step, run, approved);
  }
  process.stderr.write(`${chalk.green("done")} bootstrap/${stack}\n`);
}

if (isEntryPoint(import.meta.url)) {
  // Ctrl-C reaches infra and terraform too (one process group): while one runs, it stops cleanly
  // and records what happened, and this script waits for it rather than dying first and leaving it
  // orphaned; between steps there is nothing to wait for.
  process.on("SIGINT", () => {
    if (childrenRunning > 0) return;
    process.stderr.write("interrupted between steps: nothing after the last finished step ran; rerun to go on\n");
    process.exit(ExitCode.interrupted);
  });
  main(process.argv.slice(2)).catch((error: unknown) => {
    if (error instanceof InfraError) {
      process.stderr.write(`${describeError(error)}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    // zx's ProcessOutput: infra or terraform already printed why; say so and stop.
    const exitCode = (error as { exitCode?: unknown }).exitCode;
    if (typeof exitCode === "number") {
      const interrupted = exitCode === ExitCode.interrupted;
      process.stderr.write(
        `${interrupted ? "interrupted: the step above stopped cleanly" : `the step above exited ${exitCode}`}; nothing after it ran; ${interrupted ? "rerun" : "fix what it reported and rerun"} (a first run resumes: keep ${BACKEND_OVERRIDE} until its state is migrated)\n`,
      );
      process.exitCode = interrupted ? ExitCode.interrupted : ExitCode.failed;
      return;
    }
    process.stderr.write(`internal error:\n${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = ExitCode.failed;
  });
}
