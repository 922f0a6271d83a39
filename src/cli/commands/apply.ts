import type { Argv, CommandModule } from "yargs";
import { gateOptionsFrom, withGateOptions, type GateArgs } from "../gate-options.js";
import { createContext, printResult, withCommonOptions, type CommonOptions } from "../shell.js";

type ApplyArgs = CommonOptions & GateArgs;

export const applyCommand: CommandModule<object, ApplyArgs> = {
  command: "apply",
  describe: "Apply exactly the tfplan of a reviewed plan bundle, after every gate allows it",
  builder: (yargs: Argv) =>
    withGateOptions(withCommonOptions(yargs))
      .example("$0 apply --env dev --plan artifacts/dev", "apply the dev plan; writes artifacts/dev/receipt.json")
      .example("$0 apply --env prod --plan artifacts/prod --approve 0123456789ab", "apply the reviewed prod plan whose digest starts 0123456789ab")
      .example("$0 apply --stack bootstrap/dev --plan artifacts/bootstrap/dev --approve 0123456789ab", "apply the dev account's reviewed bootstrap plan, as the caller"),
  handler: async (args) => {
    const { apply } = await import("../../workflow/apply.js");
    const result = await apply(createContext(args), gateOptionsFrom(args, process.env));
    printResult(args.json, result, () =>
      `applied ${result.receipt.stack ?? result.receipt.env} (plan ${result.receipt.planDigest.slice(0, 12)})\nreceipt: ${result.receiptFile}\n${result.ledgerRef ? `ledger: ${result.ledgerRef}\n` : ""}`,
    );
  },
};
