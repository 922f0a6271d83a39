import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { INFRA_BIN, REPO_ROOT } from "../helpers.js";

/** Loaded before the CLI: counts the real Intl.Segmenters created (each first one loads ICU data, ~20 ms). */
const COUNT_SEGMENTERS = `data:text/javascript,${encodeURIComponent(`
const Real = Intl.Segmenter;
let created = 0;
Intl.Segmenter = class extends Real { constructor(...args) { super(...args); created += 1; } };
process.on("exit", () => process.stderr.write("\\nsegmenters created: " + created + "\\n"));
`)}`;

function segmentersCreated(args: string[]): { code: number | null; created: number; stdout: string } {
  const run = spawnSync(process.execPath, ["--import", COUNT_SEGMENTERS, INFRA_BIN, ...args], { cwd: REPO_ROOT, encoding: "utf8" });
  const created = Number(/segmenters created: (\d+)/.exec(run.stderr)?.[1] ?? Number.NaN);
  return { code: run.status, created, stdout: run.stdout };
}

describe("starting the CLI", () => {
  it("creates no Intl.Segmenter for a command that shows no help", () => {
    const run = segmentersCreated(["policy", "--list", "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveProperty("rules");
    expect(run.created).toBe(0);
  });

  it("still measures the help text with real segmenters when help is shown", () => {
    const run = segmentersCreated(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("infra policy");
    expect(run.created).toBeGreaterThan(0);
  });
});
