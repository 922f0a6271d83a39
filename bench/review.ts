/**
 * The review's figures (issue 9), on a 10,000-resource plan real terraform makes (1,000 of the
 * resources hold a 50-key map with a sensitive value in it):
 *  - review of all formats (text, md, html, json), one process as `infra plan` writes them, / `terraform show -no-color`
 *    wall time (target <= 0.5); the four one-format `infra review` runs are printed beside it
 *  - review peak RSS (the largest of all those runs) / `terraform show -json` peak RSS (target <= 0.5)
 *  - redaction of a 50 MB plan with 20,000 secrets (target < 5 s)
 *  - infra's own CPU time during `infra plan`, terraform excluded (process.cpuUsage; target <= 0.5 s):
 *    in steady state (plans in one process), and as one CLI process from start to exit; with the
 *    floor of reading, parsing, serialising and writing the plan on this machine beside them
 */
import { spawnSync } from "node:child_process";
import { build } from "esbuild";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parsePlanJson } from "../src/review/plan-json.js";
import { createRedaction } from "../src/review/redact.js";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const INFRA = path.join(REPO, "bin", "infra.js");
const GNU_TIME = "/usr/bin/time";
const RESOURCES = 10_000;
const WITH_MAPS = 1_000;
const PLAN_CPU_RUNS = 5;

const MAIN_TF = `
variable "db_password" {
  type      = string
  sensitive = true
  default   = "bench-password-not-a-real-secret"
}

resource "terraform_data" "small" {
  count = ${RESOURCES - WITH_MAPS}
  input = "item-\${count.index}"
}

resource "terraform_data" "wide" {
  count = ${WITH_MAPS}
  input = merge(
    { for k in range(49) : "key-\${k}" => "value-\${count.index}-\${k}" },
    { password = "\${var.db_password}-\${count.index}" },
  )
}
`;

interface Measured {
  ms: number;
  maxRssKb: number | null;
  stdout: Buffer;
}

/** Runs a command, timing it; peak RSS comes from GNU time where it is installed. */
function measure(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Measured {
  const withTime = existsSync(GNU_TIME);
  const started = process.hrtime.bigint();
  const result = withTime
    ? spawnSync(GNU_TIME, ["-f", "%M", command, ...args], { cwd, env, maxBuffer: 1 << 30 })
    : spawnSync(command, args, { cwd, env, maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr.toString().slice(-2000)}`);
  const rss = withTime ? Number(result.stderr.toString().trim().split("\n").pop()) : NaN;
  return { ms, maxRssKb: Number.isFinite(rss) ? rss : null, stdout: result.stdout };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function verdict(ok: boolean): string {
  return ok ? "OK" : "OVER TARGET";
}

async function benchTenThousand(workspace: string): Promise<void> {
  const root = path.join(workspace, "terraform");
  const envDir = path.join(root, "envs", "dev");
  await mkdir(envDir, { recursive: true });
  await writeFile(path.join(envDir, "environment.tf"), 'locals {\n  environment   = "dev"\n  region        = "eu-central-1"\n  account_id    = "111122223333"\n  promoted_from = null\n}\n');
  await writeFile(path.join(envDir, "versions.tf"), 'terraform {\n  required_version = ">= 1.11"\n  backend "local" {}\n}\n');
  await writeFile(path.join(envDir, "main.tf"), MAIN_TF);
  const bundle = path.join(workspace, "bundle");
  process.stderr.write(`planning ${RESOURCES} resources with terraform, ${1 + 2 * PLAN_CPU_RUNS} times (takes a while)...\n`);
  const planCpu = await bundleEntry("plan-cpu");
  const planned = spawnSync(process.execPath, [planCpu, root, bundle, String(PLAN_CPU_RUNS)], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
  if (planned.status !== 0) throw new Error(`bench/plan-cpu.ts exited ${planned.status}: ${planned.stderr.toString().slice(-2000)}`);
  const { cpuSeconds, floorSeconds } = JSON.parse(planned.stdout.toString()) as { cpuSeconds: number[]; floorSeconds: number[] };
  const cpu = median(cpuSeconds);
  const listed = (seconds: number[]) => seconds.map((s) => s.toFixed(2)).join(", ");
  console.log(
    `infra plan, ${RESOURCES} resources: infra's own CPU ${cpu.toFixed(2)} s, median of ${cpuSeconds.length} plans in one process (${listed(cpuSeconds)}; terraform excluded) (target <= 0.5 s) ${verdict(cpu <= 0.5)}`,
  );
  const cliSeconds: number[] = [];
  for (let run = 0; run < PLAN_CPU_RUNS; run += 1) cliSeconds.push(cliPlanCpu(root, path.join(workspace, "bundle-cli")));
  const cli = median(cliSeconds);
  console.log(
    `  the same as one \`infra plan\` process each, node's start, module load and static policy included: ${cli.toFixed(2)} s, median of ${cliSeconds.length} (${listed(cliSeconds)}) (target <= 0.5 s) ${verdict(cli <= 0.5)}`,
  );
  console.log(
    `  floor on this machine: reading terraform's two show outputs, JSON.parse, JSON.stringify and writing both back: ${median(floorSeconds).toFixed(2)} s CPU, median of ${floorSeconds.length} (${listed(floorSeconds)})`,
  );

  const env = { ...process.env, TF_DATA_DIR: path.join(root, ".infra", "env", "dev"), TF_IN_AUTOMATION: "1" };
  const tfplan = path.join(bundle, "tfplan");
  const showJson = measure("terraform", ["show", "-json", "-no-color", tfplan], envDir, env);
  const showText = measure("terraform", ["show", "-no-color", tfplan], envDir, env);
  const planJson = path.join(workspace, "plan.json");
  await writeFile(planJson, showJson.stdout);
  console.log(`plan.json: ${(showJson.stdout.length / 1e6).toFixed(1)} MB; terraform show -json ${showJson.ms.toFixed(0)} ms, show -no-color ${showText.ms.toFixed(0)} ms`);

  let perFormatMs = 0;
  let reviewRss = 0;
  for (const format of ["text", "md", "html", "json"]) {
    const run = measure(process.execPath, [INFRA, "review", planJson, "--format", format, "--out", path.join(workspace, `review.${format}`)], REPO);
    perFormatMs += run.ms;
    reviewRss = Math.max(reviewRss, run.maxRssKb ?? 0);
  }
  // terraform renders its one format in one process; the review renders all four in one process
  // too (as `infra plan` does), node's start and the plan's parse counted once, like terraform's.
  const allFormats = await bundleEntry("review-all");
  const outDir = path.join(workspace, "review-all");
  await mkdir(outDir);
  const onePass = measure(process.execPath, [allFormats, planJson, outDir], REPO);
  reviewRss = Math.max(reviewRss, onePass.maxRssKb ?? 0);
  const timeRatio = onePass.ms / showText.ms;
  console.log(
    `review, all four formats in one process: ${onePass.ms.toFixed(0)} ms / terraform show -no-color ${showText.ms.toFixed(0)} ms = ${timeRatio.toFixed(2)} (target <= 0.5) ${verdict(timeRatio <= 0.5)}`,
  );
  console.log(`  (four \`infra review --format F\` runs, one process each: ${perFormatMs.toFixed(0)} ms in all)`);
  if (showJson.maxRssKb && reviewRss > 0) {
    const rssRatio = reviewRss / showJson.maxRssKb;
    console.log(
      `review peak RSS ${(reviewRss / 1024).toFixed(0)} MB / terraform show -json ${(showJson.maxRssKb / 1024).toFixed(0)} MB = ${rssRatio.toFixed(2)} (target <= 0.5) ${verdict(rssRatio <= 0.5)}`,
    );
  } else {
    console.log(`review peak RSS: not measured (no GNU time at ${GNU_TIME})`);
  }
}

/** Prints this process's CPU time as it exits: node counts only its own threads, not terraform's. */
const CPU_AT_EXIT = `data:text/javascript,${encodeURIComponent(
  'import { writeSync } from "node:fs"; process.on("exit", () => { const { user, system } = process.cpuUsage(); writeSync(2, `\\ninfra-bench-cpu ${(user + system) / 1e6}\\n`); });',
)}`;

/** infra's own CPU seconds in one `infra plan` process, start to exit, terraform excluded. */
function cliPlanCpu(root: string, bundle: string): number {
  const result = spawnSync(process.execPath, ["--import", CPU_AT_EXIT, INFRA, "plan", "--offline", "--env", "dev", "--root", root, "--out", bundle, "--quiet"], {
    cwd: REPO,
    stdio: ["ignore", "ignore", "pipe"],
    maxBuffer: 1 << 26,
  });
  const stderr = result.stderr.toString();
  const seconds = Number(/^infra-bench-cpu (\S+)$/m.exec(stderr)?.[1]);
  if (result.status !== 0 || !Number.isFinite(seconds)) throw new Error(`infra plan exited ${result.status}: ${stderr.slice(-2000)}`);
  return seconds;
}

/**
 * bench/NAME.ts as one file for plain node, built the way the CLI is; kept under the package
 * (node_modules/.cache), where the code finds package.json and its external packages as the CLI does.
 */
async function bundleEntry(name: "review-all" | "plan-cpu"): Promise<string> {
  const outfile = path.join(REPO, "node_modules", ".cache", "infra-bench", `${name}.mjs`);
  await build({
    entryPoints: [path.join(REPO, "bench", `${name}.ts`)],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: ["hcl2-parser", "@aws-sdk/*"],
    banner: { js: "import { createRequire as __infraCreateRequire } from 'node:module'; const require = __infraCreateRequire(import.meta.url);" },
    logLevel: "warning",
  });
  return outfile;
}

/** A synthetic plan of about 50 MB holding 20,000 sensitive values, each also copied into a plain attribute. */
function fiftyMegabytePlan(secrets: number): string {
  const resources: unknown[] = [];
  for (let i = 0; i < secrets; i += 1) {
    const secret = `s3cr3t-${i.toString(36).padStart(5, "0")}-${(i * 7919).toString(16)}`;
    const tags: Record<string, string> = {};
    for (let k = 0; k < 27; k += 1) tags[`tag-${k}`] = `resource-${i}-tag-value-${k}`;
    resources.push({
      address: `aws_db_instance.db["${i}"]`,
      mode: "managed",
      type: "aws_db_instance",
      name: "db",
      index: String(i),
      change: {
        actions: ["update"],
        before: { password: secret, connection: `postgres://admin:${secret}@db-${i}:5432/app`, tags },
        after: { password: secret, connection: `postgres://admin:${secret}@db-${i}:5432/app`, tags },
        after_unknown: {},
        before_sensitive: { password: true },
        after_sensitive: { password: true },
      },
    });
  }
  return JSON.stringify({ format_version: "1.2", terraform_version: "1.11.4", resource_changes: resources });
}

async function benchRedaction(workspace: string): Promise<void> {
  const secrets = 20_000;
  const text = fiftyMegabytePlan(secrets);
  await writeFile(path.join(workspace, "fifty.json"), text);
  const parsed = parsePlanJson(text, "fifty.json");
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const redaction = createRedaction(parsed);
  const output = redaction.json();
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (output.includes("@db-0:") && !output.includes(`admin:(sensitive value)@db-0:`)) throw new Error("the benchmark's copies were not swept");
  console.log(
    `redaction, ${(text.length / 1e6).toFixed(0)} MB plan with ${secrets} secrets (copies swept): ${seconds.toFixed(2)} s (CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s) (target < 5 s) ${verdict(seconds < 5)}`,
  );
}

export async function benchReview(): Promise<void> {
  const workspace = await mkdtemp(path.join(tmpdir(), "infra-bench-review-"));
  try {
    await benchRedaction(workspace);
    await benchTenThousand(workspace);
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}

// `node --import tsx bench/review.ts` runs only these figures.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await readFile(INFRA).catch(() => {
    throw new Error("run `npm run build` first: the review figures spawn the built CLI");
  });
  await benchReview();
}
