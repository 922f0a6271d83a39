import { chmod, mkdir, rm, writeFile, appendFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { copyFixture, runInfra, stateAddresses, tempDir } from "../helpers.js";

const SECRET = "bad-input-secret-7781";
const env = { ...process.env, TF_VAR_db_password: SECRET };

/** Plans dev of a fresh copy of the sensitive fixture and returns the tree and the bundle. */
async function plannedDev(): Promise<{ root: string; bundle: string; envDir: string }> {
  const root = await copyFixture("sensitive");
  const bundle = path.join(root, "..", "bundle-dev");
  const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", bundle, "--quiet"], { env });
  expect(run.code, run.stderr).toBe(0);
  return { root, bundle, envDir: path.join(root, "envs", "dev") };
}

describe("bad input to plan", () => {
  let root: string;
  beforeAll(async () => {
    root = await copyFixture("sensitive");
  });

  it("names the unknown environment and the ones that exist", async () => {
    const run = await runInfra(["plan", "--offline", "--env", "staging", "--root", root], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('unknown environment "staging"');
    expect(run.stderr).toContain("use one of: dev, prod");
  });

  it("says the environment root is missing and how to point at it", async () => {
    const empty = await tempDir("empty");
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", empty], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`environment root ${path.join(empty, "envs")} not found`);
    expect(run.stderr).toContain("--root DIR");
  });

  it("gives the file and line of invalid HCL", async () => {
    const broken = await copyFixture("sensitive");
    const file = path.join(broken, "envs", "dev", "main.tf");
    await appendFile(file, '\nresource "terraform_data" "broken" {\n  input = \n}\n');
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", broken], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`invalid HCL in ${file.replaceAll("/", "\\/")} line 2[0-9], column 11: Invalid expression`));
  });

  it("says terraform is not on PATH", async () => {
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root], {
      env: { ...env, PATH: path.dirname(process.execPath) },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("terraform not found");
    expect(run.stderr).toContain("INFRA_TERRAFORM");
  });

  it("refuses a terraform of another version", async () => {
    const bin = await tempDir("fake-terraform");
    // Stands in for an older install: answers `version -json` like terraform 1.9.8 does.
    await writeFile(
      path.join(bin, "terraform"),
      '#!/bin/sh\necho \'{"terraform_version":"1.9.8","platform":"linux_amd64","provider_selections":{},"terraform_outdated":true}\'\n',
    );
    await chmod(path.join(bin, "terraform"), 0o755);
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root], { env: { ...env, PATH: `${bin}:${process.env["PATH"]}` } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("terraform 1.9.8 found");
    expect(run.stderr).toContain("this project pins terraform 1.11.4");
  });

  it("refuses an environment whose account id is still the placeholder, naming the file", async () => {
    const placeholder = await copyFixture("placeholder");
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", placeholder]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("placeholder account id 111111111111");
    expect(run.stderr).toContain(path.join(placeholder, "envs", "dev", "environment.tf"));
  });

  it("leaves no half-written bundle when terraform fails", async () => {
    const out = path.join(root, "..", "failed-bundle");
    // No TF_VAR_db_password: terraform cannot ask for it with -input=false and fails.
    const { TF_VAR_db_password: _omit, ...withoutSecret } = env;
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", out], { env: withoutSecret });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("terraform plan failed");
    expect(run.stderr).toContain("No value for required variable");
    await expect(import("node:fs/promises").then((fs) => fs.stat(out))).rejects.toThrow();
  });
});

describe("bad input to apply", () => {
  it("says the --plan directory does not exist", async () => {
    const root = await copyFixture("sensitive");
    const run = await runInfra(["apply", "--offline", "--env", "dev", "--plan", path.join(root, "nope"), "--root", root], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`plan bundle ${path.join(root, "nope")} does not exist`);
  });

  it.each(["tfplan", "manifest.json"])("says the bundle has no %s", async (name) => {
    const { root, bundle, envDir } = await plannedDev();
    await rm(path.join(bundle, name));
    const run = await runInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`has no ${name}`);
    expect(await stateAddresses(envDir)).toEqual([]);
  });

  it("refuses a bundle made for another environment", async () => {
    const { root, bundle } = await plannedDev();
    const run = await runInfra(["apply", "--offline", "--env", "prod", "--plan", bundle, "--root", root], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("this bundle was made for environment dev, region eu-central-1, account 111122223333, not for prod");
    expect(await stateAddresses(path.join(root, "envs", "prod"))).toEqual([]);
  });

  it.each(["plan.txt", "tfplan"])("refuses when %s changed after planning", async (name) => {
    const { root, bundle, envDir } = await plannedDev();
    await appendFile(path.join(bundle, name), "tampered");
    const run = await runInfra(["apply", "--offline", "--env", "dev", "--plan", bundle, "--root", root], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the plan bundle was altered: changed since the plan was made: ${name}`);
    expect(await stateAddresses(envDir)).toEqual([]);
    const review = await runInfra(["review", bundle]);
    expect(review.code).toBe(1);
    expect(review.stdout).toContain(`ALTERED: changed since the plan was made: ${name}`);
  });

  it("explains a stale plan in plain words", async () => {
    const root = await copyFixture("changing");
    const first = path.join(root, "..", "first");
    const second = path.join(root, "..", "second");
    for (const out of [first, second]) {
      const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--out", out, "--quiet"]);
      expect(run.code, run.stderr).toBe(0);
    }
    expect((await runInfra(["apply", "--offline", "--env", "dev", "--plan", second, "--root", root, "--quiet"])).code).toBe(0);
    const stale = await runInfra(["apply", "--offline", "--env", "dev", "--plan", first, "--root", root]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("the plan is stale: the state changed after this plan was made");
    expect(stale.stderr).toContain("Saved plan is stale");
    const receipt = JSON.parse(await import("node:fs/promises").then((fs) => fs.readFile(path.join(first, "receipt.json"), "utf8"))) as { outcome: string };
    expect(receipt.outcome).toBe("failed");
  });
});

describe("usage errors", () => {
  it.each([
    [["plan"], "name what to work on: --env ENV or --stack STACK"],
    [["plan", "--env", "dev", "--stack", "bootstrap/dev"], "--env and --stack both name a root"],
    [["apply", "--offline", "--env", "dev"], "Missing required argument: plan"],
    [["launch"], "Unknown argument: launch"],
    [["plan", "--offline", "--env", "dev", "--colour"], "Unknown argument"],
    [[], "name a command"],
  ])("exits 2 for %j", async (args, message) => {
    const run = await runInfra(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it("writes the error as JSON on stdout with --json", async () => {
    const root = await tempDir("json-error");
    await mkdir(path.join(root, "envs"));
    const run = await runInfra(["plan", "--offline", "--env", "dev", "--root", root, "--json"]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { type: "ConfigError", message: expect.stringContaining("unknown environment") } });
  });
});
