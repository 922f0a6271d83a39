import type { Argv, CommandModule } from "yargs";
import { withOfflineOption, type OfflineOption } from "../gate-options.js";
import { createContext, printResult, withCommonOptions, type CommonOptions } from "../shell.js";

interface DriftArgs extends CommonOptions, OfflineOption {
  env: string;
}

/** Exit codes as terraform's -detailed-exitcode: 0 no drift, 2 drift, 1 error. */
const DRIFT_EXIT_CODE = 2;

export const driftCommand: CommandModule<object, DriftArgs> = {
  command: "drift",
  describe: "Compare live infrastructure with the state (refresh-only plan, as the read-only infra-plan): exit 0 none, 2 drift, 1 error",
  builder: (yargs: Argv) =>
    withOfflineOption(withCommonOptions(yargs))
      .option("env", { type: "string", demandOption: true, describe: "Environment to check: a folder under <root>/envs" })
      .example("$0 drift --env prod", "what changed in prod outside terraform since the last apply"),
  handler: async (args) => {
    const { drift, driftDocument, describeDrift } = await import("../../workflow/drift.js");
    const result = await drift(createContext(args), { env: args.env, offline: args.offline });
    printResult(args.json, driftDocument(result), () => `${describeDrift(result)}\n${result.drifted ? `\n${result.text}` : ""}`);
    if (result.drifted) process.exitCode = DRIFT_EXIT_CODE;
  },
};
