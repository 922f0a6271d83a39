import type { Argv, CommandModule } from "yargs";
import { createContext, printResult, withCommonOptions, type CommonOptions } from "../shell.js";

interface LedgerArgs extends CommonOptions {
  env: string;
  "write-key": boolean;
}

export const ledgerCommand: CommandModule<object, LedgerArgs> = {
  command: "ledger",
  describe: "List what was applied to an environment, when, from which commit, and whether each entry's signature verifies (refs/infra/applied/<env>/*)",
  builder: (yargs: Argv) =>
    withCommonOptions(yargs)
      .option("env", { type: "string", demandOption: true, describe: "Environment whose applies to list" })
      .option("write-key", {
        type: "boolean",
        default: false,
        describe: "Put the environment's public ledger key first in envs/<env>/ledger-key.pem (a new local key for a local-state stack, KMS alias/infra-ledger's otherwise); commit it",
      })
      .example("$0 ledger --env dev", "every commit applied to dev, each entry verified; run `scripts/ledger.sh fetch` first")
      .example("$0 ledger --env dev --write-key", "write dev's public ledger key to envs/dev/ledger-key.pem, to commit"),
  handler: async (args) => {
    const [{ ledger, writeLedgerKey }, { describeEntry }] = await Promise.all([import("../../workflow/ledger.js"), import("../../ledger.js")]);
    const context = createContext(args);
    if (args["write-key"]) {
      const written = await writeLedgerKey(context, args.env);
      printResult(args.json, written, () =>
        written.added
          ? `${written.file}: key ${written.keyId} (${written.source}) added first; commit the file, so that the promotion gate trusts ${written.env}'s new entries\n`
          : `${written.file} already holds key ${written.keyId} (${written.source})\n`,
      );
      return;
    }
    const result = await ledger(context, args.env);
    printResult(args.json, result, () =>
      result.entries.length === 0
        ? `nothing recorded as applied to ${result.env} (after a clone: scripts/ledger.sh fetch)\n`
        : `applied to ${result.env} (commit, finished, plan, outcome, signature):\n${result.entries.map((entry) => `  ${describeEntry(entry)}`).join("\n")}\n`,
    );
  },
};
