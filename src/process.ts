import { spawn, type ChildProcess } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import path from "node:path";

/**
 * Runs programs for the library. Plain node:child_process rather than zx here: zx costs
 * ~100 ms to import, a fifth of a small plan, and the library needs only spawn-and-collect.
 * zx stays the tool for scripts/.
 */
export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Own process group: a terminal's Ctrl-C then reaches only us, and we decide what to forward. */
  detached?: boolean;
  /** Called with the child once it runs, e.g. to forward a signal. */
  onSpawn?: (child: ChildProcess) => void;
}

export interface ExecResult {
  /** null when the process was killed by a signal or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all (ENOENT: not found). */
  spawnError?: NodeJS.ErrnoException;
}

/** Runs `command` with `args` as separate arguments (no shell, nothing to quote); never throws. */
export function exec(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: options.detached ?? false,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on("error", (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.on("spawn", () => options.onSpawn?.(child));
    child.on("close", (exitCode, signal) => {
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        ...(spawnError ? { spawnError } : {}),
      });
    });
  });
}

/** The full path of an executable named `name` on `searchPath`, like `command -v`; null if none. */
export async function findExecutable(name: string, searchPath: string): Promise<string | null> {
  const candidates = name.includes("/") ? [path.resolve(name)] : searchPath.split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return null;
}
