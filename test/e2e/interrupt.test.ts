import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Receipt } from "../../src/bundle/receipt.js";
import { copyFixture, readJson, runInfra, startInfra, waitForStderr } from "../helpers.js";

/** The slow fixture planned into a bundle; its apply runs a 30 s provisioner. */
async function plannedSlow(): Promise<{ root: string; bundle: string }> {
  const root = await copyFixture("slow");
  const bundle = path.join(root, "..", "bundle");
  const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle, "--quiet"]);
  expect(run.code, run.stderr).toBe(0);
  return { root, bundle };
}

const APPLY_STARTED = "▶ terraform apply (dev)";
/** Long enough for terraform to take the lock and start the provisioner. */
const SETTLE_MS = 2_000;

describe("Ctrl-C during apply", () => {
  it("lets terraform stop cleanly, releases the lock and exits 130", async () => {
    const { root, bundle } = await plannedSlow();
    const started = Date.now();
    const apply = startInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root]);
    await waitForStderr(apply.child, APPLY_STARTED);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    apply.child.kill("SIGINT");
    const result = await apply.done;
    expect(result.code).toBe(130);
    // Terraform cancelled the 30 s provisioner instead of waiting it out.
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(result.stderr).toContain("terraform apply was interrupted");
    const receipt = await readJson<Receipt>(path.join(bundle, "receipt.json"));
    expect(receipt.outcome).toBe("interrupted");
    // Terraform saved state on its way out, and left no lock behind: a new plan can take it.
    const state = JSON.parse(await readFile(path.join(root, "envs", "dev", "terraform.tfstate"), "utf8")) as { serial: number };
    expect(state.serial).toBeGreaterThan(0);
    const replan = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", path.join(root, "..", "replan"), "--quiet"]);
    expect(replan.code, replan.stderr).toBe(0);
  });
});

describe("two applies on one environment", () => {
  it("refuses the second, naming the running terraform that holds the lock", async () => {
    const { root, bundle } = await plannedSlow();
    const first = startInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root]);
    await waitForStderr(first.child, APPLY_STARTED);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const second = await runInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root]);
    first.child.kill("SIGINT");
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/an apply of dev is still running: terraform \(pid \d+\) started at \S+ from bundle .*; it holds the state lock/);
    expect(second.stderr).toContain("wait for it to finish");
    expect((await first.done).code).toBe(130);
  });
});
