import { spawn, type ChildProcess } from "node:child_process";
import { constants, readFileSync } from "node:fs";
import { access, open } from "node:fs/promises";
import path from "node:path";

/**
 * Runs programs for the library. Plain node:child_process rather than zx here: zx costs
 * ~100 ms to import, a fifth of a small plan, and the library needs only spawn-and-collect.
 * zx stays the tool for scripts/.
 */
export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the program's standard input, which is then closed. */
  input?: Buffer | string;
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
      stdio: ["pipe", "pipe", "pipe"],
    });
    // A program that exits without reading all of its input must not fail the write with EPIPE.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on("error", (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
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

export interface DetachedOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where the program's stdout goes (opened for appending, 0600). */
  stdoutFile: string;
  /** Where its stderr goes; the same file as stdout is allowed (one interleaved log). */
  stderrFile: string;
  onSpawn?: (child: ChildProcess) => void;
}

export interface DetachedResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: NodeJS.ErrnoException;
}

/**
 * Runs a program in its own process group with its output going to files, never to pipes.
 * If we die (SIGKILL, a closed terminal), the program keeps its files and runs to its own end:
 * no SIGPIPE on its next write, no signal meant for our group.
 */
export async function execDetached(command: string, args: readonly string[], options: DetachedOptions): Promise<DetachedResult> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW;
  const stdout = await open(options.stdoutFile, flags, 0o600);
  const stderr = options.stderrFile === options.stdoutFile ? stdout : await open(options.stderrFile, flags, 0o600);
  try {
    return await new Promise((resolve) => {
      const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ["ignore", stdout.fd, stderr.fd] });
      let spawnError: NodeJS.ErrnoException | undefined;
      child.on("error", (error: NodeJS.ErrnoException) => {
        spawnError = error;
      });
      child.on("spawn", () => options.onSpawn?.(child));
      child.on("close", (exitCode, signal) => resolve({ exitCode, signal, ...(spawnError ? { spawnError } : {}) }));
    });
  } finally {
    await stdout.close();
    if (stderr !== stdout) await stderr.close();
  }
}

/** Polls `file` for appended lines and hands each complete one to `onLine`; `stop()` flushes the rest. */
export function followFile(file: string, onLine: (line: string) => void, intervalMs = 200): { stop(): Promise<void> } {
  let offset = 0;
  let pending = "";
  let reading: Promise<void> = Promise.resolve();
  const readMore = async (final: boolean) => {
    const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
    if (!handle) return;
    try {
      for (;;) {
        const buffer = Buffer.alloc(64 * 1024);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        pending += buffer.subarray(0, bytesRead).toString("utf8");
      }
    } finally {
      await handle.close();
    }
    const lines = pending.split("\n");
    pending = final ? "" : (lines.pop() ?? "");
    for (const line of lines) if (line.trim() !== "") onLine(line);
  };
  const timer = setInterval(() => {
    reading = reading.then(() => readMore(false));
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      reading = reading.then(() => readMore(true));
      await reading;
    },
  };
}

/** Whether a process with this id exists (signal 0 checks without sending anything). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  // kill(pid, 0) also succeeds on a zombie: a process that has ended and waits to be reaped
  // (its parent, infra, was killed, and no init reaps orphans in many containers).
  return !isZombie(pid);
}

/** Whether /proc says `pid` has ended but not been reaped; false where there is no /proc. */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  // "pid (comm) S ...": comm may hold spaces and parentheses, so the state follows the last ")".
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
}
