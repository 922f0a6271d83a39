import type { Argv, CommandModule } from "yargs";
import { createProcessContext, printResult } from "../shell.js";

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
    const [{ demo }, { describeCounts }, { renderVerdicts }, { describeEntry }] = await Promise.all([
      import("../../workflow/demo.js"),
      import("../../review/summary.js"),
      import("../../workflow/gate.js"),
      import("../../ledger.js"),
    ]);
    const result = await demo(createProcessContext({ quiet: args.quiet }));
    printResult(args.json, result, () =>
      [
        `demo finished in ${result.workspace} (commit ${result.commit.slice(0, 12)})`,
        ...result.stages.map(
          ({ env, plan, apply }) =>
            `  ${env}: ${describeCounts(plan.manifest.counts)}: ${apply.receipt.outcome}; bundle ${plan.bundle}`,
        ),
        "",
        `${result.refused.env} gate with ${result.forged.ref} forged (signed by a key not dev's), refused: ${result.forged.error}`,
        "",
        `${result.refused.env} apply without approval, refused: ${result.refused.error}`,
        renderVerdicts(result.refused.gates.decisions),
        "",
        `${result.refused.env} apply with --approve ${result.stages.at(-1)?.plan.manifest.planDigest.slice(0, 12) ?? ""}, accepted:`,
        renderVerdicts(result.stages.at(-1)?.apply.receipt.gates ?? []),
        "",
        "the signed chain (infra ledger --env dev, --env prod):",
        ...result.ledger.map((entry) => `  ${entry.env.padEnd(5)} ${describeEntry(entry)}`),
        "",
      ].join("\n"),
    );
  },
};
