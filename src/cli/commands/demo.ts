import type { Argv, CommandModule } from "yargs";
import { createContext, printResult } from "../shell.js";

interface DemoArgs {
  json: boolean;
  quiet: boolean;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: "demo",
  describe: "Run check, plan and apply for dev then prod on the bundled example, offline, in a temp dir",
  builder: (yargs: Argv) =>
    yargs
      .option("json", { type: "boolean", default: false, describe: "Print the result as JSON on stdout" })
      .option("quiet", { type: "boolean", default: false, describe: "Do not print progress on stderr" }),
  handler: async (args) => {
    const { demo } = await import("../../workflow/demo.js");
    const { root: _unused, ...context } = createContext({ root: ".", quiet: args.quiet });
    const result = await demo(context);
    printResult(args.json, result, () =>
      [
        `demo finished in ${result.workspace}`,
        ...result.stages.map(
          ({ env, plan, apply }) =>
            `  ${env}: ${plan.manifest.counts.add} added, ${apply.receipt.outcome}; bundle ${plan.bundle}`,
        ),
        "",
      ].join("\n"),
    );
  },
};
