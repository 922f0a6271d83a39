import type { Argv, CommandModule } from "yargs";
import type { Receipt } from "../../bundle/receipt.js";
import type { ApplyMarker } from "../../workflow/unfinished-apply.js";
import { printResult } from "../shell.js";

type Format = "text" | "md" | "html" | "json";

interface ReviewArgs {
  target: string;
  format: Format;
  out?: string;
  detail: boolean;
  "detailed-exitcode": boolean;
  json: boolean;
  quiet: boolean;
}

export const reviewCommand: CommandModule<object, ReviewArgs> = {
  command: "review <target>",
  describe: "Show what a plan bundle or a `terraform show -json` file changes (and whether a bundle is intact)",
  builder: (yargs: Argv) =>
    yargs
      .positional("target", { type: "string", demandOption: true, describe: "Plan bundle directory, or a file written by `terraform show -json`" })
      .option("format", { choices: ["text", "md", "html", "json"] as const, default: "text" as Format, describe: "text for the terminal, md for a PR comment, html for report.html, json for summary.json" })
      .option("out", { type: "string", describe: "Write the review to FILE instead of stdout" })
      .option("detail", { type: "boolean", default: false, describe: "Text: list each resource's changed attributes (before -> after)" })
      .option("detailed-exitcode", { type: "boolean", default: false, describe: "Exit 0 when the plan changes nothing, 2 when it changes something (1 on error), like terraform" })
      .option("json", { type: "boolean", default: false, describe: "Print the summary, integrity and receipt as JSON" })
      .option("quiet", { type: "boolean", default: false, describe: "Do not print progress on stderr (review prints none; accepted like every command)" })
      .example("$0 review artifacts/dev", "show what applying artifacts/dev would change")
      .example("$0 review plan.json --format html --out report.html", "review a saved `terraform show -json` document in a browser"),
  handler: async (args) => {
    const [{ review, renderReview, reviewPieces, headerOf, writeReview, collectReviewedPlan }, { keepReviewMemorySmall }] = await Promise.all([
      import("../../workflow/review.js"),
      import("../../heap.js"),
    ]);
    keepReviewMemorySmall();
    const result = await review(args.target);
    collectReviewedPlan();
    let trailer = "";
    // Only a bundle's review says more than the summary; a plan file's review never loads this.
    if (result.kind === "bundle") {
      const [{ describeIntegrity }, { describeSettled }, { renderPolicyText }] = await Promise.all([
        import("../../gates/integrity.js"),
        import("../../workflow/unfinished-apply.js"),
        import("../../policy/report.js"),
      ]);
      // Recorded from terraform's log: the user must hear it even with --quiet or --json.
      if (result.recovered) process.stderr.write(`warning: ${describeSettled(result.recovered)}\n`);
      if (args.format === "text") {
        const digest = result.manifest.planDigest.slice(0, 12);
        trailer = `${result.policy ? `\n${renderPolicyText(result.policy)}` : ""}\nbundle: ${result.integrity.ok ? "intact: every file matches manifest.json" : `ALTERED: ${describeIntegrity(result.integrity)}`}\nplan digest: ${digest} (a protected environment applies it with --approve ${digest})\napply: ${applyState(result)}\n`;
      }
    }
    const header = headerOf(result);
    const options = { detail: args.detail };
    if (args.out) {
      // Written as it is rendered: report.html or summary.json of a large plan is never held whole.
      await writeReview(args.out, reviewPieces(result.summary, header, args.format, options), args.target);
      if (!args.json) process.stdout.write(`review written to ${args.out}${trailer ? `\n${trailer.trimStart()}` : "\n"}`);
    }
    const { kind: _kind, ...machine } = result;
    printResult(args.json, machine, () => (args.out ? "" : `${renderReview(result.summary, header, args.format, options)}${trailer}`));
    if (result.kind === "bundle" && !result.integrity.ok) process.exitCode = 1;
    else if (args["detailed-exitcode"] && result.summary.hasChanges) process.exitCode = 2;
  },
};

function applyState(result: { running?: ApplyMarker; receipt: Receipt | null }): string {
  if (result.running) {
    const { terraformPid, startedAt, log } = result.running;
    return `running now: terraform ${terraformPid ? `pid ${terraformPid}` : "starting"} since ${startedAt}, output in ${log}`;
  }
  if (!result.receipt) return "not applied";
  const { outcome, finishedAt, recovered } = result.receipt;
  return `${outcome} at ${finishedAt}${recovered ? ` (${recovered.note})` : ""}`;
}
