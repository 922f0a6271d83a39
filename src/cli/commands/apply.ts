import type { Argv, CommandModule } from "yargs";
import { createContext, printResult, withCommonOptions, type CommonOptions } from "../shell.js";

interface ApplyArgs extends CommonOptions {
  env: string;
  plan: string;
}

export const applyCommand: CommandModule<object, ApplyArgs> = {
  command: "apply",
  describe: "Apply exactly the tfplan of a reviewed plan bundle, after every gate allows it",
  builder: (yargs: Argv) =>
    withCommonOptions(yargs)
      .option("env", { type: "string", demandOption: true, describe: "Environment the bundle must have been made for" })
      .option("plan", { type: "string", demandOption: true, describe: "Plan bundle directory written by `infra plan`" })
      .example("$0 apply --env dev --plan artifacts/dev", "apply the dev plan; writes artifacts/dev/receipt.json"),
  handler: async (args) => {
    const { apply } = await import("../../workflow/apply.js");
    const result = await apply(createContext(args), { env: args.env, bundle: args.plan });
    printResult(args.json, result, () => `applied ${result.receipt.env} (plan ${result.receipt.planDigest.slice(0, 12)})\nreceipt: ${result.receiptFile}\n`);
  },
};
