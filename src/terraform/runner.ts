import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import {
  InterruptedError,
  StalePlanError,
  StateLockedError,
  TerraformError,
  ToolError,
} from "../errors.js";
import { execDetached, followFile, type DetachedResult } from "../process.js";
import { decodeUtf8 } from "../text-bytes.js";

/** The one terraform version this project is tested with; plans made by another are refused. */
export const REQUIRED_TERRAFORM_VERSION = "1.11.4";

export interface TerraformOptions {
  /** Binary name or path; resolved on PATH when it has no slash. */
  binary: string;
  /** Directory holding the configuration terraform runs in. */
  cwd: string;
  /** TF_DATA_DIR: one per environment (and per check), so runs never share `.terraform/`. */
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** Aborting sends terraform one SIGINT so it can stop cleanly, save state and release the lock. */
  signal?: AbortSignal;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Terraform output kept as a log (apply): stdout and stderr interleaved in one file. */
export interface LogOptions {
  file: string;
  /** Each line as it appears, for relaying as progress. */
  onLine?: (line: string) => void;
  /** Called with terraform's process id once it runs (recorded so a later run can find it). */
  onSpawn?: (pid: number) => void;
}

export interface RunOptions {
  okExitCodes?: readonly number[];
  log?: LogOptions;
  /** Applied to everything taken from terraform's output into an error (the plan's secrets swept out). */
  redact?: (text: string) => string;
  /** Not read back: output nobody uses (a large plan prints megabytes). Errors come from stderr either way. */
  discardStdout?: boolean;
}

const STDERR_TAIL_LINES = 25;

/** Flags that terraform rejects on some subcommands; added only where they apply. */
const NO_INPUT = "-input=false";
const NO_COLOR = "-no-color";

export class Terraform {
  constructor(private readonly options: TerraformOptions) {}

  get cwd(): string {
    return this.options.cwd;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  /**
   * The backend `terraform init` recorded in the data dir ("local" when it recorded none: the
   * implicit local backend). It reflects every file terraform read, .tf.json and overrides included.
   */
  async recordedBackendType(): Promise<string> {
    const text = await readFile(path.join(this.options.dataDir, "terraform.tfstate"), "utf8").catch(() => null);
    if (text === null) return "local";
    try {
      const type = (JSON.parse(text) as { backend?: { type?: unknown } }).backend?.type;
      return typeof type === "string" && type !== "" ? type : "local";
    } catch {
      return "unreadable";
    }
  }

  async version(): Promise<string> {
    const out = await this.run(["version", "-json"]);
    const parsed = JSON.parse(out.stdout) as { terraform_version?: unknown };
    if (typeof parsed.terraform_version !== "string") {
      throw new ToolError(`\`${this.options.binary} version -json\` did not report a version`);
    }
    return parsed.terraform_version;
  }

  init(options: { backend: boolean }): Promise<RunResult> {
    return this.run(["init", NO_INPUT, NO_COLOR, ...(options.backend ? [] : ["-backend=false"])]);
  }

  /** `fmt -check`: returns the files that need formatting; syntax errors throw. */
  async fmtCheck(target: string): Promise<string[]> {
    const out = await this.run(["fmt", "-check", "-recursive", "-list=true", NO_COLOR, target], {
      okExitCodes: [0, 3],
    });
    return out.stdout.split("\n").filter((line) => line.trim() !== "");
  }

  async validate(): Promise<ValidateResult> {
    const out = await this.run(["validate", "-json", NO_COLOR], { okExitCodes: [0, 1] });
    return JSON.parse(out.stdout) as ValidateResult;
  }

  /** `plan -detailed-exitcode`: 0 = no changes, 2 = changes, 1 = error. What it prints is `showText` of the saved plan. */
  async plan(planFile: string, extraArgs: readonly string[] = []): Promise<{ hasChanges: boolean }> {
    const out = await this.run(
      ["plan", NO_INPUT, NO_COLOR, "-detailed-exitcode", `-out=${planFile}`, ...extraArgs],
      { okExitCodes: [0, 2], discardStdout: true },
    );
    return { hasChanges: out.exitCode === 2 };
  }

  /**
   * `plan -refresh-only -detailed-exitcode`: only what changed outside terraform since the state was
   * written (a normal plan would also show changes still waiting for promotion). 0 = none, 2 = drift.
   */
  async refreshOnlyPlan(planFile: string, extraArgs: readonly string[] = []): Promise<{ drifted: boolean }> {
    return { drifted: (await this.plan(planFile, ["-refresh-only", ...extraArgs])).hasChanges };
  }

  async showJson(planFile: string): Promise<string> {
    return (await this.run(["show", "-json", NO_COLOR, planFile])).stdout;
  }

  async showText(planFile: string): Promise<string> {
    return (await this.run(["show", NO_COLOR, planFile])).stdout;
  }

  /** Applies a saved plan exactly; terraform never prompts for a saved plan. */
  apply(planFile: string, options: Omit<RunOptions, "okExitCodes"> = {}): Promise<RunResult> {
    return this.run(["apply", NO_INPUT, NO_COLOR, planFile], options);
  }

  test(): Promise<RunResult> {
    return this.run(["test", NO_COLOR]);
  }

  /**
   * Runs terraform in its own process group with its output in files, never in pipes: a
   * terminal's Ctrl-C or hang-up reaches only us (we forward exactly one SIGINT; two would make
   * terraform abandon the run without saving state), and if we die terraform still runs to its
   * own end instead of being killed by SIGPIPE halfway through an apply.
   */
  async run(args: readonly string[], { okExitCodes = [0], log, redact = (text) => text, discardStdout = false }: RunOptions = {}): Promise<RunResult> {
    const { binary, cwd, dataDir, env, signal } = this.options;
    if (signal?.aborted) throw new InterruptedError("interrupted before terraform started");
    let interrupted = false;
    let running: ChildProcess | undefined;
    const forwardInterrupt = () => {
      interrupted = true;
      running?.kill("SIGINT");
    };
    const outputDir = path.join(dataDir, "output");
    await mkdir(outputDir, { recursive: true, mode: 0o700 });
    const runId = `${args[0] ?? "terraform"}-${process.pid}-${randomBytes(4).toString("hex")}`;
    const stdoutFile = log?.file ?? path.join(outputDir, `${runId}.out`);
    const stderrFile = log?.file ?? path.join(outputDir, `${runId}.err`);
    const follower = log?.onLine ? followFile(log.file, log.onLine) : undefined;
    signal?.addEventListener("abort", forwardInterrupt, { once: true });
    let output: DetachedResult;
    let stdout: string;
    let stderr: string;
    try {
      output = await execDetached(binary, args, {
        cwd,
        env: { ...env, TF_DATA_DIR: dataDir, TF_IN_AUTOMATION: "1" },
        stdoutFile,
        stderrFile,
        onSpawn: (child) => {
          running = child;
          if (child.pid !== undefined) log?.onSpawn?.(child.pid);
          if (interrupted) child.kill("SIGINT");
        },
      });
      await follower?.stop();
      [stdout, stderr] = (await Promise.all([discardStdout ? Buffer.alloc(0) : readFile(stdoutFile), readFile(stderrFile)])).map(decodeUtf8) as [string, string];
    } finally {
      signal?.removeEventListener("abort", forwardInterrupt);
      await follower?.stop();
      if (!log) await Promise.all([rm(stdoutFile, { force: true }), rm(stderrFile, { force: true })]);
    }
    if (output.spawnError?.code === "ENOENT") throw terraformMissing(binary);
    const result = { exitCode: output.exitCode ?? -1, stdout, stderr };
    if (interrupted) {
      throw new InterruptedError(
        `terraform ${args[0]} was interrupted; terraform stopped cleanly and released the state lock`,
        "plan again (`infra plan --env <env>`) to see what is left to do; nothing half-done is hidden from the next plan",
      );
    }
    if (!okExitCodes.includes(result.exitCode)) throw classifyFailure(args, { ...result, stderr: redact(result.stderr) });
    return result;
  }
}

/** Refuses any terraform other than the pinned one: plans are only comparable across one version. */
export function requirePinnedVersion(binary: string, found: string): string {
  if (found !== REQUIRED_TERRAFORM_VERSION) {
    throw new ToolError(
      `terraform ${found} found at ${binary}, but this project pins terraform ${REQUIRED_TERRAFORM_VERSION}`,
      `install terraform ${REQUIRED_TERRAFORM_VERSION} and put it first on PATH, or point INFRA_TERRAFORM at it`,
    );
  }
  return found;
}

export interface ValidateDiagnostic {
  severity: "error" | "warning";
  summary: string;
  detail?: string;
  range?: { filename: string; start: { line: number } };
}

export interface ValidateResult {
  valid: boolean;
  error_count: number;
  warning_count: number;
  diagnostics: ValidateDiagnostic[];
}

export function terraformMissing(binary: string): ToolError {
  return new ToolError(
    `terraform not found: \`${binary}\` is not on PATH`,
    `install terraform ${REQUIRED_TERRAFORM_VERSION} and put it on PATH, or set INFRA_TERRAFORM to its full path`,
  );
}

/** Turns terraform's stderr into an error a person can act on; the raw tail is kept beside it. */
export function classifyFailure(args: readonly string[], result: RunResult): TerraformError {
  const stderrTail = errorTail(result.stderr);
  const command = `terraform ${args[0] ?? ""}`.trim();
  const text = result.stderr;
  if (text.includes("Saved plan is stale")) {
    return new StalePlanError(
      "the plan is stale: the state changed after this plan was made, so terraform refused to apply it",
      "make a new plan (`infra plan --env <env>`), review it, and apply that one",
      result.exitCode,
      stderrTail,
    );
  }
  if (text.includes("Error acquiring the state lock")) {
    return new StateLockedError(
      `the state is locked: another terraform run on this environment is in progress${describeLockHolder(text)}`,
      "wait for the other run to finish and try again; if it died, `terraform force-unlock <ID>` with the lock ID below",
      result.exitCode,
      stderrTail,
    );
  }
  if (isRegistryUnreachable(text)) {
    return new TerraformError(
      `${command} could not download providers or modules: the registry is unreachable`,
      "run where the registry is reachable, or provide a filesystem mirror in the terraform CLI configuration",
      result.exitCode,
      stderrTail,
    );
  }
  return new TerraformError(
    `${command} failed (exit ${result.exitCode})`,
    "read terraform's message below; fix the configuration it names and run again",
    result.exitCode,
    stderrTail,
  );
}

/** " (held by WHO for OPERATION since CREATED, lock ID ID)" from terraform's Lock Info block; "" if absent. */
export function describeLockHolder(stderr: string): string {
  const field = (name: string) => new RegExp(`^[│ ]*${name}:\\s+(.+?)\\s*$`, "m").exec(stderr)?.[1];
  const [id, who, operation, created] = [field("ID"), field("Who"), field("Operation"), field("Created")];
  if (!id && !who) return "";
  const parts = [who ? `held by ${who}` : "held", operation ? `for ${operation.replace(/^OperationType/, "").toLowerCase()}` : "", created ? `since ${created}` : ""];
  return ` (${parts.filter(Boolean).join(" ")}${id ? `, lock ID ${id}` : ""})`;
}

export function isRegistryUnreachable(stderr: string): boolean {
  return /Failed to query available provider packages|could not connect to registry|Failed to download module|Failed to install provider|Error accessing remote module registry|failed to request discovery document/.test(
    stderr,
  );
}

/** The box terraform prints when TF_CLI_CONFIG_FILE names a missing file: noise in every error. */
const CLI_CONFIG_WARNING = /There are some problems with the CLI configuration:\n(?:[╷│╵].*\n?)*/;

/**
 * The part of stderr worth showing: from the first `Error:` on, without the CLI-config warning
 * box terraform prints before every command on some hosts.
 */
export function errorTail(stderr: string): string {
  const lines = stderr.replace(CLI_CONFIG_WARNING, "").split("\n");
  const firstError = lines.findIndex((line) => /^(│ )?Error: /.test(line));
  const relevant = firstError >= 0 ? lines.slice(firstError) : lines;
  return relevant.slice(-STDERR_TAIL_LINES).join("\n").trim();
}
