import type { Argv, CommandModule } from "yargs";
import { gateOptionsFrom, withGateOptions, type GateArgs } from "../gate-options.js";
import { createContext, printResult, withCommonOptions, type CommonOptions } from "../shell.js";

type GateCommandArgs = CommonOptions & GateArgs;

export const gateCommand: CommandModule<object, GateCommandArgs> = {
  command: "gate",
  describe: "Print every gate's verdict on a plan bundle (passed / refused, reason, hint) without applying",
  builder: (yargs: Argv) =>
    withGateOptions(withCommonOptions(yargs))
      .example("$0 gate --env prod --plan artifacts/prod", "would this bundle be applied? (exit 1 if any gate refuses)")
      .example("$0 gate --env prod --plan artifacts/prod --approve 0123456789ab --json", "the verdicts as JSON, with an approval"),
  handler: async (args) => {
    const { gate, renderVerdicts } = await import("../../workflow/gate.js");
    const result = await gate(createContext(args), gateOptionsFrom(args, process.env));
    printResult(args.json, result, () =>
      `${renderVerdicts(result.decisions)}\n\n${result.allowed ? `every gate passes: ${result.env} may apply plan ${result.planDigest.slice(0, 12)}` : `refused: nothing may be applied`}\n`,
    );
    if (!result.allowed) process.exitCode = 1;
  },
};
