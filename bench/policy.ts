/**
 * Policy figures (targets in the policies issue):
 *  - static policy over a generated tree of 1,000 .tf files (about 1 MB of HCL), cold (empty
 *    parse cache, `infra policy` in a fresh process) at most 1 s of CPU and warm (cache filled) at most 0.5 s wall
 *  - the parser alone over the same files, above 10 MB/s
 *  - plan policy over a generated 10,000-resource plan JSON, at most 1 s
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseHclToJson } from "../src/config/hcl-parser.js";
import { evaluatePlan } from "../src/policy/index.js";
import type { PlanJson, ResourceChange } from "../src/review/plan-json.js";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const INFRA = path.join(REPO, "bin", "infra.js");
const MODULES = 50;
const FILES_PER_MODULE = 20;
const PLAN_RESOURCES = 10_000;
const RUNS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** One module file: a repository, a security group with an HTTPS rule inside the VPC, and a log group. */
function moduleFile(module: number, file: number): string {
  const name = `m${module}_f${file}`;
  return `# generated for the policy benchmark: module ${module}, file ${file}
locals {
  ${name}_name = "\${var.name}-${name}"
  ${name}_tags = merge(var.tags, { Component = "${name}", Index = "${file}" })
}

resource "aws_ecr_repository" "${name}" {
  name                 = local.${name}_name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = false

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }

  tags = local.${name}_tags
}

resource "aws_security_group" "${name}" {
  name        = local.${name}_name
  description = "Service ${name}: HTTPS from inside the VPC only"
  vpc_id      = var.vpc_id

  tags = local.${name}_tags
}

resource "aws_vpc_security_group_ingress_rule" "${name}" {
  security_group_id = aws_security_group.${name}.id
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_cloudwatch_log_group" "${name}" {
  name              = "/services/\${local.${name}_name}"
  retention_in_days = 400
  tags              = local.${name}_tags
}
`;
}

const VARIABLES = ["name", "vpc_id", "vpc_cidr"]
  .map((name) => `variable "${name}" {\n  description = "${name}"\n  type        = string\n}\n`)
  .concat('variable "tags" {\n  description = "tags"\n  type        = map(string)\n  default     = {}\n}\n')
  .join("\n");

export async function generateTree(root: string): Promise<{ files: number; bytes: number }> {
  const envDir = path.join(root, "envs", "dev");
  await mkdir(envDir, { recursive: true });
  let files = 0;
  let bytes = 0;
  const write = async (file: string, text: string) => {
    await writeFile(file, text);
    files += 1;
    bytes += Buffer.byteLength(text);
  };
  await write(path.join(envDir, "environment.tf"), 'locals {\n  environment   = "dev"\n  region        = "eu-central-1"\n  account_id    = "123456789012"\n  promoted_from = null\n}\n');
  await write(path.join(envDir, "providers.tf"), 'provider "aws" {\n  region              = local.region\n  allowed_account_ids = [local.account_id]\n}\n');
  const calls = Array.from({ length: MODULES }, (_, module) =>
    `module "m${module}" {\n  source   = "../../modules/m${module}"\n  name     = "svc-${module}"\n  vpc_id   = "vpc-0123456789abcdef0"\n  vpc_cidr = "10.10.0.0/16"\n}\n`,
  );
  const scanning = 'resource "aws_ecr_registry_scanning_configuration" "this" {\n  scan_type = "BASIC"\n\n  rule {\n    scan_frequency = "SCAN_ON_PUSH"\n\n    repository_filter {\n      filter      = "*"\n      filter_type = "WILDCARD"\n    }\n  }\n}\n';
  await write(path.join(envDir, "main.tf"), [scanning, ...calls].join("\n"));
  for (let module = 0; module < MODULES; module += 1) {
    const dir = path.join(root, "modules", `m${module}`);
    await mkdir(dir, { recursive: true });
    await write(path.join(dir, "variables.tf"), VARIABLES);
    for (let file = 1; file < FILES_PER_MODULE; file += 1) await write(path.join(dir, `service_${file}.tf`), moduleFile(module, file));
  }
  return { files, bytes };
}

function timeCli(args: string[]): number {
  const started = process.hrtime.bigint();
  spawnSync(process.execPath, [INFRA, ...args], { stdio: "ignore" });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Loaded with --import into the measured process: reports the CPU time it used, which a busy machine inflates far less than wall time. */
const CPU_HOOK = 'process.on("exit", () => { const { user, system } = process.cpuUsage(); process.stderr.write(`\\ncpu-ms ${(user + system) / 1000}\\n`); });\n';

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function cliCpu(hook: string, args: string[]): number {
  const result = spawnSync(process.execPath, ["--import", hook, INFRA, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  return Number(/cpu-ms ([\d.]+)/.exec(result.stderr.toString())?.[1] ?? Number.NaN);
}

function runPolicy(root: string, hook: string): Timing {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ["--import", hook, INFRA, "policy", "--env", "dev", "--root", root, "--quiet", "--json"], { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 28 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`infra policy exited ${result.status}: ${result.stderr.toString().slice(-2000)}${result.stdout.toString().slice(0, 2000)}`);
  const cpuMs = Number(/cpu-ms ([\d.]+)/.exec(result.stderr.toString())?.[1] ?? Number.NaN);
  return { wallMs, cpuMs };
}

/** The parser alone over every generated file, in this (already warm) process: the median of five passes. */
async function benchParse(root: string): Promise<void> {
  const texts: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== ".infra") await walk(file);
      else if (entry.name.endsWith(".tf")) texts.push(await readFile(file, "utf8"));
    }
  };
  await walk(root);
  const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  const passes = Array.from({ length: 5 }, () => {
    const started = process.hrtime.bigint();
    texts.forEach((text, index) => parseHclToJson(text, `${index}.tf`));
    return Number(process.hrtime.bigint() - started) / 1e6;
  });
  const rate = bytes / 1e6 / (median(passes) / 1000);
  console.log(`  parser alone: ${(bytes / 1e6).toFixed(2)} MB in ${median(passes).toFixed(0)} ms (median of 5) = ${rate.toFixed(1)} MB/s (target > 10 MB/s) ${rate > 10 ? "OK" : "UNDER TARGET"}`);
}

async function benchStatic(): Promise<void> {
  const workspace = await mkdtemp(path.join(tmpdir(), "infra-bench-policy-"));
  try {
    const root = path.join(workspace, "terraform");
    const { files, bytes } = await generateTree(root);
    const cache = path.join(root, ".infra", "hcl");
    const hook = path.join(workspace, "cpu-hook.mjs");
    await writeFile(hook, CPU_HOOK);
    const cold: Timing[] = [];
    const warm: Timing[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      await rm(cache, { recursive: true, force: true });
      cold.push(runPolicy(root, hook));
      warm.push(runPolicy(root, hook));
    }
    if (!(await stat(cache).catch(() => undefined))?.isDirectory()) throw new Error("the parse cache was not written");
    const [coldMs, warmMs] = [median(cold.map((t) => t.wallMs)), median(warm.map((t) => t.wallMs))];
    const [coldCpu, warmCpu] = [median(cold.map((t) => t.cpuMs)), median(warm.map((t) => t.cpuMs))];
    const startup = median(Array.from({ length: RUNS }, () => timeCli(["--help"])));
    // CPU beyond what starting the CLI costs: the figure a busy machine distorts least.
    const startupCpu = median(Array.from({ length: RUNS }, () => cliCpu(hook, ["--help"])));
    console.log(`static policy, ${files} .tf files (${(bytes / 1e6).toFixed(2)} MB), infra policy in a fresh process (median of ${RUNS}):`);
    console.log(`  cold (empty parse cache): ${coldMs.toFixed(0)} ms wall, ${coldCpu.toFixed(0)} ms CPU (target <= 1000 ms CPU) ${coldCpu <= 1000 ? "OK" : "OVER TARGET"}`);
    console.log(`  warm (parse cache filled): ${warmMs.toFixed(0)} ms wall, ${warmCpu.toFixed(0)} ms CPU (target <= 500 ms) ${warmMs <= 500 ? "OK" : "OVER TARGET"}`);
    console.log(`  (both include starting the CLI: \`infra --help\` takes ${startup.toFixed(0)} ms wall, ${startupCpu.toFixed(0)} ms CPU here; load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores)`);
    console.log(`  beyond starting the CLI: cold ${(coldCpu - startupCpu).toFixed(0)} ms CPU, warm ${(warmCpu - startupCpu).toFixed(0)} ms CPU`);
    await benchParse(root);
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}

/** A plan of PLAN_RESOURCES creates over the resource types the rules read, each compliant. */
function generatePlan(): PlanJson {
  const kinds: Array<[string, Record<string, unknown>]> = [
    ["aws_ecr_repository", { image_tag_mutability: "IMMUTABLE", force_delete: false, image_scanning_configuration: [{ scan_on_push: true }], encryption_configuration: [{ encryption_type: "KMS" }] }],
    ["aws_security_group", { name: "sg", ingress: [{ cidr_blocks: ["10.0.0.0/16"], from_port: 443, to_port: 443 }] }],
    ["aws_vpc_security_group_ingress_rule", { cidr_ipv4: "10.0.0.0/16", from_port: 443, to_port: 443 }],
    ["aws_cloudwatch_log_group", { name: "/services/x", retention_in_days: 400 }],
    ["aws_kms_key", { multi_region: false, enable_key_rotation: true }],
    ["aws_subnet", { map_public_ip_on_launch: false, cidr_block: "10.0.0.0/24" }],
    ["aws_launch_template", { metadata_options: [{ http_tokens: "required" }] }],
  ];
  const resource_changes: ResourceChange[] = [{
    address: "aws_ecr_registry_scanning_configuration.this", mode: "managed", type: "aws_ecr_registry_scanning_configuration", name: "this",
    change: { actions: ["create"], before: null, after: { region: "eu-central-1", rule: [{ scan_frequency: "SCAN_ON_PUSH" }] }, after_unknown: {} },
  }];
  for (let index = 1; index < PLAN_RESOURCES; index += 1) {
    const [type, after] = kinds[index % kinds.length] as [string, Record<string, unknown>];
    const module = `module.m${index % 50}`;
    resource_changes.push({
      address: `${module}.${type}.r${index}`,
      module_address: module,
      mode: "managed",
      type,
      name: `r${index}`,
      change: {
        actions: index % 10 === 0 ? ["update"] : ["create"],
        before: null,
        after: { ...after, region: "eu-central-1", arn: `arn:aws:service:eu-central-1:123456789012:thing/r${index}` },
        after_unknown: { id: true },
      },
    });
  }
  return { format_version: "1.2", terraform_version: "1.11.4", resource_changes };
}

function benchPlan(): void {
  const text = JSON.stringify(generatePlan());
  const environment = { name: "dev", region: "eu-central-1", accountId: "123456789012" };
  const times: number[] = [];
  let findings = -1;
  for (let run = 0; run < RUNS + 2; run += 1) {
    const started = process.hrtime.bigint();
    const plan = JSON.parse(text) as PlanJson;
    findings = evaluatePlan({ plan, environment }).length;
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  if (findings !== 0) throw new Error(`the generated plan should be compliant, but ${findings} finding(s) came back`);
  const ms = median(times);
  console.log(`plan policy, ${PLAN_RESOURCES} resources (${(text.length / 1e6).toFixed(1)} MB of plan JSON, parse included): ${ms.toFixed(0)} ms (median of ${RUNS + 2}) (target <= 1000 ms) ${ms <= 1000 ? "OK" : "OVER TARGET"}`);
}

export async function benchPolicy(): Promise<void> {
  await benchStatic();
  benchPlan();
}

// `node --import tsx bench/policy.ts` runs only these figures (after `npm run build`).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await benchPolicy();
