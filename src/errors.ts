/**
 * Every failure the CLI can explain to a person is an InfraError: a message that names the
 * thing that went wrong, a hint that says what to do, and the exit code the CLI ends with.
 * Anything else reaching the top-level handler is a bug and is printed with its stack.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  /** terraform applied the plan, but its receipt or ledger entry was not written. */
  appliedUnrecorded: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class InfraError extends Error {
  readonly exitCode: ExitCode = ExitCode.failed;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags or arguments: exit 2, like yargs' own usage errors. */
export class UsageError extends InfraError {
  override readonly exitCode = ExitCode.usage;
}

/** The terraform tree is wrong: unknown environment, invalid HCL, missing facts. */
export class ConfigError extends InfraError {}

/** A required program is missing or is the wrong version. */
export class ToolError extends InfraError {}

/** A gate or a policy refused to let the workflow go on. Nothing was changed. */
export class RefusedError extends InfraError {}

/** A plan bundle is missing, incomplete or was altered. */
export class BundleError extends InfraError {}

/** A `terraform show -json` document (or a summary.json) is not what terraform writes. */
export class PlanFormatError extends InfraError {}

/** terraform ran and failed. Keeps the tail of stderr so the cause is visible without a log dig. */
export class TerraformError extends InfraError {
  constructor(
    message: string,
    hint: string | undefined,
    readonly terraformExitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(message, hint);
  }
}

/** terraform refused a saved plan because the state moved after it was made. */
export class StalePlanError extends TerraformError {}

/** Another terraform run holds the state lock. */
export class StateLockedError extends TerraformError {}

/** The change was applied, but what records it (receipt, ledger) could not be written: never "nothing was applied". */
export class AppliedUnrecordedError extends InfraError {
  override readonly exitCode = ExitCode.appliedUnrecorded;
}

/** The user pressed Ctrl-C; terraform was told to stop and did so cleanly. */
export class InterruptedError extends InfraError {
  override readonly exitCode = ExitCode.interrupted;
}

export function describeError(error: InfraError): string {
  const lines = [`error: ${error.message}`];
  if (error instanceof TerraformError && error.stderrTail) {
    lines.push("", indent(error.stderrTail));
  }
  if (error.hint) lines.push("", `hint: ${error.hint}`);
  return lines.join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => (line ? `  ${line}` : line))
    .join("\n");
}
