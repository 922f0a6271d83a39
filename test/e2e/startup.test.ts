import { spawnSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { INFRA_BIN, REPO_ROOT } from "../helpers.js";
import { copyPolicyTree } from "../policy-helpers.js";

/**
 * Loaded before the CLI: counts the real Intl.Segmenters created (the first one loads ICU data,
 * ~20 ms) and lists the node builtins loaded (node:assert ~5 ms, child_process and what it loads more).
 */
const PROBE = `data:text/javascript,${encodeURIComponent(`
const Real = Intl.Segmenter;
let created = 0;
Intl.Segmenter = class extends Real { constructor(...args) { super(...args); created += 1; } };
process.on("exit", () => {
  process.stderr.write("\\nsegmenters created: " + created + "\\n");
  process.stderr.write("builtins loaded: " + process.moduleLoadList.filter((name) => name.startsWith("NativeModule ")).map((name) => name.slice(13)).join(",") + "\\n");
});
`)}`;

interface Probed {
  code: number | null;
  stdout: string;
  segmentersCreated: number;
  builtins: string[];
}

function probe(args: string[]): Probed {
  const run = spawnSync(process.execPath, ["--import", PROBE, INFRA_BIN, ...args], { cwd: REPO_ROOT, encoding: "utf8" });
  return {
    code: run.status,
    stdout: run.stdout,
    segmentersCreated: Number(/segmenters created: (\d+)/.exec(run.stderr)?.[1] ?? Number.NaN),
    builtins: (/builtins loaded: (.*)/.exec(run.stderr)?.[1] ?? "").split(","),
  };
}

describe("starting the CLI", () => {
  it("creates no Intl.Segmenter for a command that shows no help", () => {
    const run = probe(["policy", "--list", "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveProperty("rules");
    expect(run.segmentersCreated).toBe(0);
  });

  it("lays out --help without ICU: its text is ASCII, one grapheme per character", () => {
    const run = probe(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("infra policy");
    expect(run.segmentersCreated).toBe(0);
  });

  it("loads neither node:assert (yargs gets a two-function stand-in) nor child_process for infra policy", async () => {
    const root = await copyPolicyTree();
    const run = probe(["policy", "--env", "dev", "--root", root, "--quiet", "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ env: "dev", status: "passed" });
    expect(run.builtins).toContain("fs"); // the list is there
    expect(run.builtins).not.toContain("assert");
    expect(run.builtins).not.toContain("child_process");
  });

  it("bundles zod's core, its mini API and its English messages, nothing more", async () => {
    // Full zod with its 40 locales took ~90 ms to load in every plan, review, gate and apply.
    const dist = path.join(REPO_ROOT, "dist");
    const bundled = new Set<string>();
    for (const file of (await readdir(dist)).filter((name) => name.endsWith(".js"))) {
      for (const [, module] of (await readFile(path.join(dist, file), "utf8")).matchAll(/^\/\/ node_modules\/zod\/(\S+)$/gm)) bundled.add(module as string);
    }
    expect(bundled).toContain("v4/mini/schemas.js"); // the list is there
    expect([...bundled].filter((module) => !/^v4\/(core|mini)\//.test(module))).toEqual(["v4/locales/en.js"]);
  });
});
