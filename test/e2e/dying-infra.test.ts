import { readdir, readFile, readlink } from "node:fs/promises";
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Receipt } from "../../src/bundle/receipt.js";
import { copyFixture, exists, readJson, runInfra, startInfra, stateAddresses, waitForStderr, waitUntil } from "../helpers.js";

/** The slow fixture planned into a bundle; its apply runs a provisioner of `delaySeconds`. */
async function plannedSlow(delaySeconds: number): Promise<{ root: string; bundle: string; envDir: string }> {
  const root = await copyFixture("slow");
  const bundle = path.join(root, "..", "bundle");
  const env = { ...process.env, TF_VAR_delay_seconds: String(delaySeconds) };
  const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle, "--quiet"], { env });
  expect(run.code, run.stderr).toBe(0);
  return { root, bundle, envDir: path.join(root, "envs", "dev") };
}

const APPLY_STARTED = "▶ terraform apply (dev)";
/** The local backend's lock: present while a terraform run holds the state. */
const LOCK_FILE = ".terraform.tfstate.lock.info";

/** Waits until terraform's apply holds the lock and its provisioner has begun. */
async function applyUnderWay(child: ChildProcess, envDir: string): Promise<void> {
  await waitForStderr(child, APPLY_STARTED);
  await waitUntil("terraform holds the state lock", () => exists(path.join(envDir, LOCK_FILE)));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The terraform process running in `envDir`, found in /proc (not from anything infra wrote). */
async function terraformRunningIn(envDir: string): Promise<number | null> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const [command, cwd] = await Promise.all([
      readFile(`/proc/${entry}/comm`, "utf8").catch(() => ""),
      readlink(`/proc/${entry}/cwd`).catch(() => ""),
    ]);
    if (command.trim() === "terraform" && cwd === envDir) return Number(entry);
  }
  return null;
}

describe("infra killed with SIGKILL in the middle of an apply", () => {
  it("leaves terraform to finish cleanly, and the next review records what its log says", async () => {
    // Long enough that a second apply, started while it runs, meets it even on a loaded machine.
    const { root, bundle, envDir } = await plannedSlow(20);
    const apply = startInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root]);
    await applyUnderWay(apply.child, envDir);
    apply.child.kill("SIGKILL");
    expect((await apply.done).code).toBeNull();

    const terraformPid = await terraformRunningIn(envDir);
    if (terraformPid === null) throw new Error("terraform did not outlive infra");
    const meanwhile = await runInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root]);
    await waitUntil("terraform has finished on its own", () => !alive(terraformPid));

    // Everything terraform created is in state, and it released the lock on its way out.
    expect(await stateAddresses(envDir)).toEqual(["terraform_data.slow"]);
    expect(await exists(path.join(envDir, LOCK_FILE))).toBe(false);
    // While it ran, another apply was told who holds the lock.
    expect(meanwhile.code).toBe(1);
    expect(meanwhile.stderr).toContain(`an apply of dev is still running: terraform (pid ${terraformPid})`);

    const review = await runInfra(["review", bundle]);
    expect(review.code, review.stderr).toBe(0);
    expect(review.stderr).toContain("was not finished by infra (infra was stopped)");
    expect(review.stderr).toContain("says: Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
    expect(review.stdout).toMatch(/apply: applied at \S+ \(infra stopped during the apply/);
    const receipt = await readJson<Receipt>(path.join(bundle, "receipt.json"));
    expect(receipt.outcome).toBe("applied");
    expect(receipt.recovered?.note).toContain("Apply complete!");

    const again = await runInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("this bundle was already applied");
  });

  it("is noticed by the next apply in that environment, which records and reports it", async () => {
    const { root, bundle, envDir } = await plannedSlow(4);
    const apply = startInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root]);
    await applyUnderWay(apply.child, envDir);
    apply.child.kill("SIGKILL");
    await apply.done;
    const terraformPid = await terraformRunningIn(envDir);
    if (terraformPid === null) throw new Error("terraform did not outlive infra");
    await waitUntil("terraform has finished on its own", () => !alive(terraformPid));

    expect(await stateAddresses(envDir)).toEqual(["terraform_data.slow"]);
    const next = await runInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root]);
    expect(next.stderr).toContain("was not finished by infra (infra was stopped)");
    expect(next.stderr).toContain(`recorded as "applied" in ${path.join(bundle, "receipt.json")}`);
    expect(next.code).toBe(1);
    expect(next.stderr).toContain("this bundle was already applied");
    expect(await stateAddresses(envDir)).toEqual(["terraform_data.slow"]);
  });
});

describe("SIGHUP to infra's whole process group (the terminal closed) during an apply", () => {
  it("is handled like Ctrl-C: terraform stops cleanly, state and lock are intact, the receipt says interrupted", async () => {
    const { root, bundle, envDir } = await plannedSlow(30);
    const started = Date.now();
    const apply = startInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root], { detached: true });
    await applyUnderWay(apply.child, envDir);
    process.kill(-(apply.child.pid as number), "SIGHUP");
    const result = await apply.done;
    await waitUntil("no terraform runs in the environment", async () => (await terraformRunningIn(envDir)) === null);
    // terraform recorded the resource it had begun (tainted, to be replaced) and let go of the lock.
    expect(await stateAddresses(envDir)).toEqual(["terraform_data.slow"]);
    expect(await exists(path.join(envDir, LOCK_FILE))).toBe(false);
    expect(result.code).toBe(130);
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(result.stderr).toContain("terraform apply was interrupted");
    const receipt = await readJson<Receipt>(path.join(bundle, "receipt.json"));
    expect(receipt.outcome).toBe("interrupted");
    const review = await runInfra(["review", bundle]);
    expect(review.stdout).toMatch(/apply: interrupted at /);
  });
});
