import type { Argv, CommandModule } from "yargs";
import { createContext, printResult, withCommonOptions, type CommonOptions } from "../shell.js";

interface LedgerArgs extends CommonOptions {
  env: string;
}

export const ledgerCommand: CommandModule<object, LedgerArgs> = {
  command: "ledger",
  describe: "List what was applied to an environment, when, from which commit (refs/infra/applied/<env>/*)",
  builder: (yargs: Argv) =>
    withCommonOptions(yargs)
      .option("env", { type: "string", demandOption: true, describe: "Environment whose applies to list" })
      .example("$0 ledger --env dev", "every commit applied to dev; run `git fetch origin 'refs/infra/*:refs/infra/*'` first"),
  handler: async (args) => {
    const [{ ledger }, { describeEntry }] = await Promise.all([import("../../workflow/ledger.js"), import("../../ledger.js")]);
    const result = await ledger(createContext(args), args.env);
    printResult(args.json, result, () =>
      result.entries.length === 0
        ? `nothing recorded as applied to ${result.env} (after a clone: git fetch origin 'refs/infra/*:refs/infra/*')\n`
        : `applied to ${result.env} (commit, finished, plan, outcome):\n${result.entries.map((entry) => `  ${describeEntry(entry)}`).join("\n")}\n`,
    );
  },
};
