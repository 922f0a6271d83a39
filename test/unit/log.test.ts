import { describe, expect, it } from "vitest";
import { createLogger, formatDuration } from "../../src/log.js";

function clock(...times: number[]): () => number {
  return () => {
    const next = times.shift();
    if (next === undefined) throw new Error("clock read more often than expected");
    return next;
  };
}

describe("createLogger", () => {
  it("prints a start line and an end line with the duration", async () => {
    const lines: string[] = [];
    const logger = createLogger({ quiet: false, write: (line) => lines.push(line), now: clock(1_000, 3_500) });
    const result = await logger.step("terraform init", async () => 42);
    expect(result).toBe(42);
    expect(lines).toEqual(["▶ terraform init", "✔ terraform init (2.5s)"]);
  });

  it("prints info and prefixed warnings", () => {
    const lines: string[] = [];
    const logger = createLogger({ quiet: false, write: (line) => lines.push(line) });
    logger.info("hello");
    logger.warn("careful");
    expect(lines).toEqual(["hello", "warning: careful"]);
  });

  it("prints ✘ with the duration and rethrows the same error when the step fails", async () => {
    const lines: string[] = [];
    const logger = createLogger({ quiet: false, write: (line) => lines.push(line), now: clock(0, 250) });
    const boom = new Error("boom");
    await expect(
      logger.step("terraform plan", async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(lines).toEqual(["▶ terraform plan", "✘ terraform plan (250ms)"]);
  });

  it("suppresses progress but not warnings when quiet", async () => {
    const lines: string[] = [];
    const logger = createLogger({ quiet: true, write: (line) => lines.push(line), now: clock(0, 10) });
    logger.info("progress");
    expect(await logger.step("step", async () => "done")).toBe("done");
    logger.warn("still shown");
    expect(lines).toEqual(["warning: still shown"]);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0ms"],
    [999.4, "999ms"],
    [1000, "1.0s"],
    [61_250, "61.3s"],
  ])("returns %s ms as %s", (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});
