import type { Argv, CommandModule } from "yargs";
import { planKeyFrom, signingKeyFrom, stackChoiceFrom, withOfflineOption, withStackChoice, type OfflineOption, type StackChoiceArgs } from "../gate-options.js";
import { createContext, printResult, withCommonOptions, type CommonOptions } from "../shell.js";

interface PlanArgs extends CommonOptions, OfflineOption, StackChoiceArgs {
  out?: string;
  "allow-destroy": string[];
  "read-only": boolean;
}

export const planCommand: CommandModule<object, PlanArgs> = {
  command: "plan",
  describe: "Plan one environment (or account stack) and write the reviewable plan bundle",
  builder: (yargs: Argv) =>
    withStackChoice(withOfflineOption(withCommonOptions(yargs)), "to plan")
      .option("out", { type: "string", describe: "Bundle directory [default: artifacts/<env>, or artifacts/<stack>]" })
      .option("allow-destroy", {
        type: "string",
        array: true,
        default: [] as string[],
        describe: "Address of a protected resource (cluster, registry, account, key, state bucket) this plan may delete or replace (repeatable)",
      })
      .option("read-only", {
        type: "boolean",
        default: false,
        describe: "Plan as the read-only infra-plan role, without the state lock, for review only (a pull request's plan): apply refuses the bundle",
      })
      .example("$0 plan --env dev", "write artifacts/dev/ with tfplan, manifest.json and summaries")
      .example("$0 plan --stack bootstrap/dev", "plan the dev account's bootstrap stack into artifacts/bootstrap/dev/ (scripts/bootstrap.ts runs this)"),
  handler: async (args) => {
    const [{ plan, defaultBundleDir }, { renderText }, { renderPolicyText }, { growYoungGenerationQuickly }] = await Promise.all([
      import("../../workflow/plan.js"),
      import("../../review/render.js"),
      import("../../policy/report.js"),
      import("../../heap.js"),
    ]);
    growYoungGenerationQuickly();
    const choice = stackChoiceFrom(args);
    const result = await plan(createContext(args), {
      ...choice,
      out: args.out ?? defaultBundleDir(choice),
      allowDestroy: args["allow-destroy"],
      offline: args.offline,
      readOnly: args["read-only"],
      ...signingKeyFrom(process.env),
      ...planKeyFrom(process.env),
    });
    printResult(args.json, { bundle: result.bundle, manifest: result.manifest, summary: result.summary, policy: result.policy }, () =>
      `${renderText(result.summary, result.manifest)}\n${renderPolicyText(result.policy)}bundle: ${result.bundle}${result.policy.status === "failed" ? " (marked failed: written for review, apply will refuse it)" : ""}\n`,
    );
    if (result.policy.status === "failed") process.exitCode = 1;
  },
};
