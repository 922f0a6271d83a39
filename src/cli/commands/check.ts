import type { Argv, CommandModule } from "yargs";
import { createContext, printResult, withCommonOptions, type CommonOptions } from "../shell.js";

interface CheckArgs extends CommonOptions {
  env?: string;
  strict: boolean;
}

export const checkCommand: CommandModule<object, CheckArgs> = {
  command: "check",
  describe: "Run fmt, validate, tflint, terraform test and static policy over the terraform tree",
  builder: (yargs: Argv) =>
    withCommonOptions(yargs)
      .option("env", { type: "string", describe: "Check only this environment's root (modules are always checked)" })
      .option("strict", { type: "boolean", default: false, describe: "Treat a skipped step (tool missing, registry unreachable) as a failure" })
      .example("$0 check", "check every root under ./terraform")
      .example("$0 check --env dev --strict", "check dev and fail if anything could not run"),
  handler: async (args) => {
    const { check } = await import("../../workflow/check.js");
    const result = await check(createContext(args), { ...(args.env ? { env: args.env } : {}), strict: args.strict });
    printResult(args.json, result, () => {
      const count = (status: string) => result.steps.filter((step) => step.status === status).length;
      const problems = result.steps.filter((step) => step.status === "failed" || (args.strict && step.status === "skipped"));
      const lines = problems.flatMap((step) => [
        `${step.status} ${step.step} ${step.target}: ${step.reason ?? ""}`,
        ...(step.details ?? []).map((detail) => `    ${detail}`),
      ]);
      const verdict = result.ok ? "check passed" : "check FAILED";
      return `${[...lines, `${verdict}: ${count("passed")} steps passed, ${count("skipped")} skipped, ${count("failed")} failed`].join("\n")}\n`;
    });
    if (!result.ok) process.exitCode = 1;
  },
};
