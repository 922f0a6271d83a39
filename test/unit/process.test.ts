import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { isProcessAlive } from "../../src/process.js";
import { skipBecause } from "../helpers.js";

const parents: Array<{ kill(): void }> = [];
afterEach(() => {
  for (const parent of parents.splice(0)) parent.kill();
});

/** A process that has ended but is never reaped: its parent (a shell that became `sleep`) never waits for it. Half a second leaves the shell time to exec on a busy machine; reaped by bash first, it would never be a zombie. */
async function zombie(): Promise<number> {
  const parent = spawn("bash", ["-c", "sleep 0.5 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] });
  parents.push(parent);
  const pid = await new Promise<number>((resolve) => parent.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
  for (let waited = 0; waited < 5000; waited += 20) {
    if (/\) Z /.test(readStat(pid))) return pid;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`process ${pid} never became a zombie`);
}

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return "";
  }
}

describe("isProcessAlive", () => {
  it("is false for a process that ended but was never reaped, which kill(pid, 0) still finds", async (context) => {
    if (!existsSync("/proc/self/stat")) skipBecause(context, "there is no /proc to read a process's state from");
    const pid = await zombie();
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(isProcessAlive(pid)).toBe(false);
  });

  it("is true for a running process and false for one that is gone", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    parents.push(child);
    await new Promise((resolve) => child.once("spawn", resolve));
    expect(isProcessAlive(child.pid!)).toBe(true);
    child.kill();
    await new Promise((resolve) => child.once("exit", resolve));
    expect(isProcessAlive(child.pid!)).toBe(false);
  });
});
