/**
 * infra's own CPU time in `infra plan` (terraform excluded: process.cpuUsage counts this process
 * only). bench/review.ts bundles this file the way the CLI is built (tsx, which runs the other
 * benches, adds name-keeping wrappers the shipped CLI does not have) and runs it in a process of
 * its own. One untimed plan first loads the code and runs init; then each timed plan is the
 * steady state of `infra plan` on an unchanged tree. Prints `{"cpuSeconds":[...]}`.
 */
import { createLogger } from "../src/log.js";
import { plan } from "../src/workflow/plan.js";

const [root, bundle, runsText] = process.argv.slice(2);
const runs = Number(runsText);
if (!root || !bundle || !(runs >= 1)) throw new Error("usage: plan-cpu TERRAFORM_ROOT BUNDLE_DIR RUNS");
const context = {
  root,
  cwd: root,
  terraformBinary: "terraform",
  processEnv: process.env,
  logger: createLogger({ quiet: true, write: () => undefined }),
  now: () => new Date(),
};
await plan(context, { env: "dev", out: bundle, offline: true });
const cpuSeconds: number[] = [];
for (let run = 0; run < runs; run += 1) {
  const before = process.cpuUsage();
  await plan(context, { env: "dev", out: bundle, offline: true });
  const cpu = process.cpuUsage(before);
  cpuSeconds.push((cpu.user + cpu.system) / 1e6);
}
process.stdout.write(`${JSON.stringify({ cpuSeconds })}\n`);
