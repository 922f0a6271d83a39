// First: yargs and the modules it loads get a deferred Intl.Segmenter (see deferred-segmenter.ts).
import { restoreIntlSegmenter } from "./deferred-segmenter.js";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { describeError, ExitCode, InfraError, UsageError } from "../errors.js";
import { visibleLines } from "../review/escape.js";
import { refuseEmptyValues, refuseRepeatedFlags } from "./argv.js";
import { layOutHelpOnlyWhenShown } from "./help-cache.js";
import { applyCommand } from "./commands/apply.js";
import { checkCommand } from "./commands/check.js";
import { demoCommand } from "./commands/demo.js";
import { driftCommand } from "./commands/drift.js";
import { lockCommand } from "./commands/lock.js";
import { gateCommand } from "./commands/gate.js";
import { ledgerCommand } from "./commands/ledger.js";
import { planCommand } from "./commands/plan.js";
import { policyCommand } from "./commands/policy.js";
import { reviewCommand } from "./commands/review.js";

restoreIntlSegmenter();

export const commands = [checkCommand, planCommand, gateCommand, applyCommand, driftCommand, ledgerCommand, reviewCommand, demoCommand, policyCommand, lockCommand];

export async function main(argv: string[]): Promise<void> {
  const wantsJson = argv.includes("--json");
  try {
    refuseRepeatedFlags(argv);
    const cli = yargs(argv);
    layOutHelpOnlyWhenShown(cli);
    await cli
      .scriptName("infra")
      .usage("$0 <command> [options]\n\nCheck, plan, review and apply the terraform tree under ./terraform.")
      // yargs' types want one argv shape for every command; each module narrows its own.
      .command(commands as never)
      .middleware((parsed) => refuseEmptyValues(parsed), true)
      .demandCommand(1, "name a command: check, plan, gate, apply, drift, ledger, review, demo, policy or lock")
      .epilogue("Exit codes: 0 ok, 1 failed or refused (nothing applied), 2 usage error, 130 interrupted.")
      .strict()
      .help()
      .alias("h", "help")
      .version(false)
      .wrap(Math.min(100, process.stdout.columns || 100))
      .fail((message, error) => {
        if (error) throw error;
        throw new UsageError(message, "run `infra --help` or `infra <command> --help`");
      })
      .parseAsync();
  } catch (error) {
    if (!(error instanceof InfraError)) throw error;
    process.stderr.write(`${describeError(error)}\n`);
    if (wantsJson) {
      process.stdout.write(`${JSON.stringify({ error: { type: error.name, message: visibleLines(error.message), hint: error.hint } }, null, 2)}\n`);
    }
    process.exitCode = error.exitCode;
  }
}

// The pinned AWS SDK announces on stderr, at every STS call, that its future releases will need
// Node 22. It says nothing about this run, and infra's own Node floor is in package.json.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";

main(hideBin(process.argv)).catch((error: unknown) => {
  process.stderr.write(`internal error (a bug in infra, please report it):\n${visibleLines(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
  process.exitCode = ExitCode.failed;
});
