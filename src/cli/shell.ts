import path from "node:path";
import type { Argv } from "yargs";
import { createLogger } from "../log.js";
import type { WorkflowContext } from "../workflow/context.js";
import { parseDeclaredToolchain } from "../bundle/toolchain.js";
import { readEnv } from "./env.js";
import { jsonVisible } from "../review/escape.js";

/** Options every command that touches a terraform tree shares. */
export interface CommonOptions {
  root: string;
  json: boolean;
  quiet: boolean;
}

export function withCommonOptions<T>(yargs: Argv<T>): Argv<T & CommonOptions> {
  return yargs
    .option("root", {
      type: "string",
      default: "terraform",
      describe: "The terraform tree holding envs/ and modules/ (relative to the current directory)",
    })
    .option("json", { type: "boolean", default: false, describe: "Print the result as JSON on stdout" })
    .option("quiet", { type: "boolean", default: false, describe: "Do not print progress on stderr" });
}

/** The process-facing half of a command: builds the context a workflow runs in. */
export function createContext(options: Omit<CommonOptions, "json">): WorkflowContext {
  return { ...createProcessContext(options), root: path.resolve(options.root) };
}

/** Everything but the tree: logger on stderr, Ctrl-C as an abort signal, terraform from the environment. */
export function createProcessContext(options: { quiet: boolean }): Omit<WorkflowContext, "root"> {
  const env = readEnv(process.env);
  // Read before any handler is installed: a malformed declaration stops here, with nothing started.
  const declaredToolchain = parseDeclaredToolchain(env.INFRA_TOOLCHAIN);
  const controller = new AbortController();
  const logger = createLogger({ quiet: options.quiet, write: (line) => process.stderr.write(`${line}\n`) });
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts === 1) {
      logger.warn("interrupt received: asking terraform to stop cleanly (it saves state and releases the lock)");
      controller.abort();
    } else {
      logger.warn("still waiting for terraform to stop; stopping it harder would leave the state locked");
    }
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);
  // A closed terminal (SIGHUP) is an interrupt too: terraform is told to stop cleanly, the
  // receipt says so. Writes to the dead terminal then fail; they must not kill us before that.
  process.on("SIGHUP", onInterrupt);
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  return {
    terraformBinary: env.INFRA_TERRAFORM ?? "terraform",
    declaredToolchain,
    processEnv: process.env,
    logger,
    signal: controller.signal,
    now: () => new Date(),
    cwd: process.cwd(),
  };
}

/** Prints the result: JSON for machines, text for people. */
export function printResult(json: boolean, result: unknown, text: () => string): void {
  process.stdout.write(json ? `${jsonVisible(JSON.stringify(result, null, 2))}\n` : text());
}
