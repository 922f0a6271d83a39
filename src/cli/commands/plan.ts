import type { Argv, CommandModule } from "yargs";
import { signingKeyFrom, withOfflineOption, type OfflineOption } from "../gate-options.js";
import { createContext, printResult, withCommonOptions, type CommonOptions } from "../shell.js";

interface PlanArgs extends CommonOptions, OfflineOption {
  env: string;
  out?: string;
}

export const planCommand: CommandModule<object, PlanArgs> = {
  command: "plan",
  describe: "Plan one environment and write the reviewable plan bundle",
  builder: (yargs: Argv) =>
    withOfflineOption(withCommonOptions(yargs))
      .option("env", { type: "string", demandOption: true, describe: "Environment to plan: a folder under <root>/envs" })
      .option("out", { type: "string", describe: "Bundle directory [default: artifacts/<env>]" })
      .example("$0 plan --env dev", "write artifacts/dev/ with tfplan, manifest.json and summaries"),
  handler: async (args) => {
    const [{ plan, defaultBundleDir }, { renderText }] = await Promise.all([
      import("../../workflow/plan.js"),
      import("../../review/render.js"),
    ]);
    const result = await plan(createContext(args), { env: args.env, out: args.out ?? defaultBundleDir(args.env), offline: args.offline, ...signingKeyFrom(process.env) });
    printResult(args.json, { bundle: result.bundle, manifest: result.manifest, summary: result.summary }, () =>
      `${renderText(result.summary, result.manifest)}\nbundle: ${result.bundle}\n`,
    );
  },
};
