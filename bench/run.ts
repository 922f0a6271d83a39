/**
 * Prints the figures the project has targets for:
 *  - `infra plan` wall time over the raw terraform command sequence it wraps, on 200 resources
 *    (target: at most 1.10)
 *  - `infra --help` cold start (target: at most 200 ms)
 * Medians of several alternating runs, so one slow run on a shared machine does not decide.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchReview } from "./review.js";
import { benchPolicy } from "./policy.js";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const INFRA = path.join(REPO, "bin", "infra.js");
const FIXTURE = path.join(REPO, "test", "fixtures", "large");
const PLAN_RUNS = 5;
const HELP_RUNS = 15;

function timeMs(work: () => void): number {
  const started = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 28 });
  // plan -detailed-exitcode answers 2 for "changes present"
  if (result.status !== 0 && !(args[0] === "plan" && result.status === 2)) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr.toString().slice(-2000)}`);
  }
}

async function benchPlan(): Promise<void> {
  const workspace = await mkdtemp(path.join(tmpdir(), "infra-bench-"));
  try {
    const infraRoot = path.join(workspace, "infra");
    const rawRoot = path.join(workspace, "raw");
    await cp(FIXTURE, infraRoot, { recursive: true });
    await cp(FIXTURE, rawRoot, { recursive: true });
    const rawDir = path.join(rawRoot, "envs", "dev");
    const rawEnv = { ...process.env, TF_DATA_DIR: path.join(rawRoot, ".raw-data"), TF_IN_AUTOMATION: "1" };
    const planFile = path.join(workspace, "raw.tfplan");
    const raw = () => {
      run("terraform", ["init", "-input=false", "-no-color"], rawDir, rawEnv);
      run("terraform", ["plan", "-input=false", "-no-color", "-detailed-exitcode", `-out=${planFile}`], rawDir, rawEnv);
      run("terraform", ["show", "-json", "-no-color", planFile], rawDir, rawEnv);
      run("terraform", ["show", "-no-color", planFile], rawDir, rawEnv);
    };
    const infra = () => run(process.execPath, [INFRA, "plan", "--offline", "--env", "dev", "--root", infraRoot, "--out", path.join(workspace, "bundle"), "--quiet"], REPO);
    // One warm-up each: the first init copies nothing but still touches the page cache.
    raw();
    infra();
    const rawTimes: number[] = [];
    const infraTimes: number[] = [];
    for (let i = 0; i < PLAN_RUNS; i += 1) {
      rawTimes.push(timeMs(raw));
      infraTimes.push(timeMs(infra));
    }
    const ratio = median(infraTimes) / median(rawTimes);
    const overhead = median(infraTimes) - median(rawTimes);
    console.log(`plan, 200 resources: infra ${median(infraTimes).toFixed(0)} ms, raw terraform ${median(rawTimes).toFixed(0)} ms (median of ${PLAN_RUNS})`);
    console.log(`plan overhead ratio: ${ratio.toFixed(3)} (target <= 1.10) ${ratio <= 1.1 ? "OK" : "OVER TARGET"}`);
    // Most of the overhead is fixed (node start, CLI load), so the ratio falls as plans grow.
    console.log(`plan overhead: ${overhead.toFixed(0)} ms; 10% of a raw sequence from ${(overhead * 10).toFixed(0)} ms up`);
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}

function benchHelp(): void {
  const times: number[] = [];
  run(process.execPath, [INFRA, "--help"], REPO);
  for (let i = 0; i < HELP_RUNS; i += 1) times.push(timeMs(() => run(process.execPath, [INFRA, "--help"], REPO)));
  const cold = median(times);
  const node = median(Array.from({ length: 5 }, () => timeMs(() => run(process.execPath, ["-e", "0"], REPO))));
  console.log(`infra --help cold start: ${cold.toFixed(0)} ms (median of ${HELP_RUNS}; bare node ${node.toFixed(0)} ms) (target <= 200 ms) ${cold <= 200 ? "OK" : "OVER TARGET"}`);
}

console.log(`terraform: ${execFileSync("terraform", ["version", "-json"]).toString().match(/"terraform_version":\s*"([^"]+)"/)?.[1]}; node ${process.version}`);
await benchPlan();
benchHelp();
await benchReview();
await benchPolicy();
