import type { Argv } from "yargs";
import { UsageError } from "../errors.js";
import { APPROVAL_LENGTH, type CiDeployment } from "../gates/approval.js";
import type { StackChoice } from "../config/environment.js";
import type { GateOptions } from "../workflow/gate.js";
import { readEnv, type EnvKey } from "./env.js";

export interface OfflineOption {
  offline: boolean;
}

/** `--env ENV` or `--stack STACK`: exactly one names the root to plan, gate or apply. */
export interface StackChoiceArgs {
  env?: string;
  stack?: string;
}

export interface GateArgs extends OfflineOption, StackChoiceArgs {
  plan: string;
  approve?: string;
  "allow-destroy"?: string[];
}

export function withOfflineOption<T>(yargs: Argv<T>): Argv<T & OfflineOption> {
  return yargs.option("offline", {
    type: "boolean",
    default: false,
    describe: "Skip the AWS identity check (only for a stack whose state is local, like the demo); the receipt says so",
  });
}

export function withStackChoice<T>(yargs: Argv<T>, what: string): Argv<T & StackChoiceArgs> {
  return yargs
    .option("env", { type: "string", describe: `Environment ${what}: a folder under <root>/envs` })
    .option("stack", {
      type: "string",
      describe: `Account stack ${what}, instead of an environment: bootstrap/<env>, bootstrap/org, org or log-archive (runs as the caller; every apply needs --approve)`,
    })
    .check((args) => {
      const given = ["env", "stack"].filter((key) => args[key] !== undefined);
      if (given.length === 1) return true;
      throw new UsageError(
        given.length === 0 ? "name what to work on: --env ENV or --stack STACK" : "--env and --stack both name a root: pass one of them",
        "an environment is a folder under <root>/envs; an account stack is bootstrap/<env>, bootstrap/org, org or log-archive",
      );
    }) as unknown as Argv<T & StackChoiceArgs>;
}

export function stackChoiceFrom(args: StackChoiceArgs): StackChoice {
  if (args.stack !== undefined) return { stack: String(args.stack) };
  if (args.env !== undefined) return { env: String(args.env) };
  throw new UsageError("name what to work on: --env ENV or --stack STACK", "run `infra plan --help`");
}

/** The flags `infra gate` and `infra apply` share. */
export function withGateOptions<T>(yargs: Argv<T>): Argv<T & GateArgs> {
  return withStackChoice(withOfflineOption(yargs), "the bundle must have been made for")
    .option("plan", { type: "string", demandOption: true, describe: "Plan bundle directory written by `infra plan`" })
    .option("approve", {
      type: "string",
      describe: `Approve this plan: the first ${APPROVAL_LENGTH} hex of its digest, as \`infra review\` prints it (needed for protected environments)`,
    })
    .option("allow-destroy", {
      type: "string",
      array: true,
      describe: "Address of a protected resource (cluster, registry, key, bucket, account) the plan may delete or replace; repeat for each",
    }) as unknown as Argv<T & GateArgs>;
}

export function gateOptionsFrom(args: GateArgs, processEnv: NodeJS.ProcessEnv): GateOptions {
  const approve = args.approve;
  if (approve !== undefined && !new RegExp(`^[0-9a-fA-F]{${APPROVAL_LENGTH}}$`).test(approve)) {
    throw new UsageError(
      `--approve "${approve}" is not the first ${APPROVAL_LENGTH} hex digits of a plan digest`,
      "copy the digest `infra review DIR` prints for the bundle you read",
    );
  }
  const allowDestroy = (args["allow-destroy"] ?? []).map(String);
  const empty = allowDestroy.find((address) => address.trim() === "");
  if (empty !== undefined) throw new UsageError("--allow-destroy needs a resource address", "pass the address the gate names, e.g. --allow-destroy module.platform.aws_eks_cluster.this");
  return {
    ...stackChoiceFrom(args),
    bundle: args.plan,
    offline: args.offline,
    approve: approve ?? null,
    allowDestroy,
    ci: ciDeploymentFrom(readEnv(processEnv)),
    ...planKeyFrom(processEnv),
  };
}

/**
 * GitHub Actions inside a deployment environment: the workflow sets INFRA_DEPLOYMENT_ENVIRONMENT
 * to the job's `environment:` name (GitHub exports no variable for it).
 */
export function ciDeploymentFrom(env: Record<EnvKey, string | undefined>): CiDeployment | null {
  const environment = env.INFRA_DEPLOYMENT_ENVIRONMENT;
  if (env.GITHUB_ACTIONS !== "true" || !env.GITHUB_RUN_ID || !environment) return null;
  return {
    runId: env.GITHUB_RUN_ID,
    environment,
    approver: env.GITHUB_TRIGGERING_ACTOR ?? env.GITHUB_ACTOR ?? "unknown",
    repository: env.GITHUB_REPOSITORY ?? null,
  };
}

/** INFRA_PLAN_KEY, for `infra plan` (encrypts tfplan) and `infra gate`/`apply` (decrypts it); off without it. */
export function planKeyFrom(processEnv: NodeJS.ProcessEnv): { planKey?: string } {
  const key = readEnv(processEnv).INFRA_PLAN_KEY;
  return key ? { planKey: key } : {};
}

/** INFRA_SIGNING_KEY, for `infra plan`; signing is off without it. */
export function signingKeyFrom(processEnv: NodeJS.ProcessEnv): { signingKey?: string } {
  const key = readEnv(processEnv).INFRA_SIGNING_KEY;
  return key ? { signingKey: key } : {};
}
