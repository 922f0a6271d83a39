/**
 * infra's own CPU time in `infra plan` (terraform excluded: process.cpuUsage counts this process
 * only). bench/review.ts bundles this file the way the CLI is built (tsx, which runs the other
 * benches, adds name-keeping wrappers the shipped CLI does not have) and runs it in a process of
 * its own. One untimed plan first loads the code and runs init; then each timed plan is the
 * steady state of `infra plan` on an unchanged tree.
 *
 * Then, in the same process and on the same plan, the floor: what reading terraform's two show
 * outputs, JSON.parse, JSON.stringify and writing both back out cost on their own. Any review that
 * parses the plan and rewrites it pays that much here, before policy, redaction or rendering.
 * Prints `{"cpuSeconds":[...],"floorSeconds":[...]}`.
 */
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { BundleFile } from "../src/bundle/layout.js";
import { growYoungGenerationQuickly } from "../src/heap.js";
import { createLogger } from "../src/log.js";
import { Terraform } from "../src/terraform/runner.js";
import { decodeUtf8, writeTextFile } from "../src/text-bytes.js";
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
growYoungGenerationQuickly(); // as the plan command does
await plan(context, { env: "dev", out: bundle, offline: true });
const cpuSeconds: number[] = [];
for (let run = 0; run < runs; run += 1) {
  cpuSeconds.push(await cpuOf(() => plan(context, { env: "dev", out: bundle, offline: true })));
}

// terraform's two outputs for the last plan, kept as files as the runner keeps them.
const terraform = new Terraform({ binary: "terraform", cwd: path.join(root, "envs", "dev"), dataDir: path.join(root, ".infra", "env", "dev"), env: process.env });
const planFile = path.join(bundle, BundleFile.plan);
const scratch = path.join(path.dirname(bundle), "floor");
const [jsonFile, textFile] = [`${scratch}.json`, `${scratch}.txt`];
await writeTextFile(jsonFile, await terraform.showJson(planFile));
await writeTextFile(textFile, await terraform.showText(planFile));
const floorSeconds: number[] = [];
for (let run = 0; run < runs; run += 1) {
  await rm(`${scratch}.out.json`, { force: true });
  await rm(`${scratch}.out.txt`, { force: true });
  floorSeconds.push(
    await cpuOf(async () => {
      const [jsonText, planText] = (await Promise.all([readFile(jsonFile), readFile(textFile)])).map(decodeUtf8) as [string, string];
      const rewritten = JSON.stringify(JSON.parse(jsonText));
      await Promise.all([writeTextFile(`${scratch}.out.json`, rewritten), writeTextFile(`${scratch}.out.txt`, planText)]);
    }),
  );
}
process.stdout.write(`${JSON.stringify({ cpuSeconds, floorSeconds })}\n`);

async function cpuOf(work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / 1e6;
}
