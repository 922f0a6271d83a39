import type { Argv, CommandModule } from "yargs";
import { printResult } from "../shell.js";

interface ReviewArgs {
  dir: string;
  json: boolean;
  quiet: boolean;
}

export const reviewCommand: CommandModule<object, ReviewArgs> = {
  command: "review <dir>",
  describe: "Print a plan bundle's summary, and whether it is still exactly what was planned",
  builder: (yargs: Argv) =>
    yargs
      .positional("dir", { type: "string", demandOption: true, describe: "Plan bundle directory" })
      .option("json", { type: "boolean", default: false, describe: "Print the summary, integrity and receipt as JSON" })
      .option("quiet", { type: "boolean", default: false, describe: "Do not print progress on stderr (review prints none; accepted like every command)" })
      .example("$0 review artifacts/dev", "show what applying artifacts/dev would change"),
  handler: async (args) => {
    const [{ review }, { describeIntegrity }, { describeSettled }] = await Promise.all([
      import("../../workflow/review.js"),
      import("../../gates/integrity.js"),
      import("../../workflow/unfinished-apply.js"),
    ]);
    const result = await review(args.dir);
    // Recorded from terraform's log: the user must hear it even with --quiet or --json.
    if (result.recovered) process.stderr.write(`warning: ${describeSettled(result.recovered)}\n`);
    const { text, ...machine } = result;
    printResult(args.json, machine, () => {
      const integrity = result.integrity.ok ? "intact: every file matches manifest.json" : `ALTERED: ${describeIntegrity(result.integrity)}`;
      const receipt = result.running
        ? `running now: terraform ${result.running.terraformPid ? `pid ${result.running.terraformPid}` : "starting"} since ${result.running.startedAt}, output in ${result.running.log}`
        : result.receipt
          ? `${result.receipt.outcome} at ${result.receipt.finishedAt}${result.receipt.recovered ? ` (${result.receipt.recovered.note})` : ""}`
          : "not applied";
      const digest = result.manifest.planDigest.slice(0, 12);
      return `${text}\nbundle: ${integrity}\nplan digest: ${digest} (a protected environment applies it with --approve ${digest})\napply: ${receipt}\n`;
    });
    if (!result.integrity.ok) process.exitCode = 1;
  },
};
