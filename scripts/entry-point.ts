import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { describeError, ExitCode, InfraError } from "../src/errors.js";

/**
 * Whether the module at `moduleUrl` is the script node was asked to run (`tsx scripts/x.ts`),
 * rather than imported by a test: only then does it read argv and set the exit code.
 */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

/**
 * Runs `main` when the module is the script node was asked to run: an InfraError ends in its one
 * sentence (and hint) and its exit code, anything else in its message and exit 1, never a stack.
 */
export function runAsScript(moduleUrl: string, main: () => Promise<void>): void {
  if (!isEntryPoint(moduleUrl)) return;
  main().catch((error: unknown) => {
    if (error instanceof InfraError) {
      process.stderr.write(`${describeError(error)}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = ExitCode.failed;
  });
}
