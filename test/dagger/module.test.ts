import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import yargs, { type CommandModule } from "yargs";
import { GIT_PACKAGE, NODE_IMAGE, TERRAFORM, TFLINT } from "../../dagger/src/toolchain.js";
import { ciDeploymentFrom } from "../../src/cli/gate-options.js";
import { readEnv } from "../../src/cli/env.js";
import { applyCommand } from "../../src/cli/commands/apply.js";
import { checkCommand } from "../../src/cli/commands/check.js";
import { driftCommand } from "../../src/cli/commands/drift.js";
import { gateCommand } from "../../src/cli/commands/gate.js";
import { lockCommand } from "../../src/cli/commands/lock.js";
import { planCommand } from "../../src/cli/commands/plan.js";
import { reviewCommand } from "../../src/cli/commands/review.js";
import type { FakeEngine, Step } from "./fake-engine.js";
import { all, only, registeredSurface, runModule, type ModuleRun } from "./module-harness.js";
import { REPO_ROOT } from "../helpers.js";

// The real SDK runs the module in a child process against a fake engine on 127.0.0.1 (see
// fake-engine.ts); what is asserted is the GraphQL the SDK sent, i.e. what a real engine would run.

const SOURCE_ID = "dir:source";
const PLAN_ID = "dir:plan-bundle";
const SECRETS = {
  "secret:aws-access-key-id": "AKIAFAKEACCESSKEY000",
  "secret:aws-secret-access-key": "fake/secret+access/key+that-must-never-leak",
  "secret:aws-session-token": "FwoGZXIvYXdzEFAKESESSIONTOKEN",
  "secret:signing-key": "-----BEGIN PRIVATE KEY-----fake-signing-key-never-in-a-query",
  "secret:plan-key": "ZmFrZS1wbGFuLWtleS10aGF0LW11c3QtbmV2ZXItbGVhaw==",
};
const CREDENTIAL_ARGS = {
  awsAccessKeyId: "secret:aws-access-key-id",
  awsSecretAccessKey: "secret:aws-secret-access-key",
  awsSessionToken: "secret:aws-session-token",
};
const infraCall = (name: string, args: Record<string, unknown>) => ({
  call: { parentName: "Infra", name, parent: { source: SOURCE_ID }, args },
  secrets: SECRETS,
});

let registration: ModuleRun;
let plan: ModuleRun;
/** A pull request's plan: --read-only, no keys. */
let readOnlyPlan: ModuleRun;
let drift: ModuleRun;
let apply: ModuleRun;
/** apply with no approval, no allowed destructions and no CI facts: nothing extra reaches the CLI. */
let plainApply: ModuleRun;
let gate: ModuleRun;
/** On an arm64 engine, so the arm64 archives and sums are exercised too. */
let check: ModuleRun;
let unsupported: ModuleRun;
let lock: ModuleRun;
let review: ModuleRun;
let failingCheck: ModuleRun;

// What the CLI prints for an unknown environment, relayed by the engine as the exec's stderr.
const APPROVAL = "0123456789ab";
const PROTECTED = ["module.platform.aws_eks_cluster.this", 'module.data.aws_s3_bucket.logs["eu-west-1"]'];
const CI_ARGS = {
  githubActions: "true",
  githubRunId: "16000000001",
  githubRepository: "example-org/infra",
  githubActor: "alice",
  githubTriggeringActor: "bob",
  deploymentEnvironment: "prod",
};

const CLI_REFUSAL = "error: there is no environment staging in terraform/envs (known: dev, prod)";

beforeAll(async () => {
  // One module process at a time: the machine's two cores are shared with the rest of the suite.
  ({ registration, plan, readOnlyPlan, drift, apply, plainApply, gate, check, lock, review, unsupported } = await runModule({
    registration: { call: { parentName: "", name: "", parent: {}, args: {} } },
    plan: infraCall("plan", { env: "dev", ...CREDENTIAL_ARGS, signingKey: "secret:signing-key", planKey: "secret:plan-key" }),
    readOnlyPlan: infraCall("plan", { env: "staging", ...CREDENTIAL_ARGS, readOnly: true }),
    drift: infraCall("drift", { env: "prod", ...CREDENTIAL_ARGS }),
    apply: infraCall("apply", { env: "prod", plan: PLAN_ID, approve: APPROVAL, allowDestroy: PROTECTED, ...CREDENTIAL_ARGS, ...CI_ARGS, planKey: "secret:plan-key" }),
    plainApply: infraCall("apply", { env: "dev", plan: PLAN_ID }),
    gate: infraCall("gate", { env: "prod", plan: PLAN_ID, approve: APPROVAL, allowDestroy: PROTECTED.slice(0, 1), ...CREDENTIAL_ARGS, planKey: "secret:plan-key" }),
    check: { ...infraCall("check", {}), platform: "linux/arm64/v8" },
    lock: infraCall("lock", {}),
    review: infraCall("review", { plan: PLAN_ID }),
    // Last: a failed call ends the module's process, as it does under the engine.
    unsupported: { ...infraCall("plan", { env: "dev" }), platform: "linux/s390x" },
  }));
  ({ failingCheck } = await runModule({
    failingCheck: {
      ...infraCall("check", {}),
      failExec: { match: '"infra","check","--strict"', message: "process \"infra check --strict\" did not complete successfully: exit code: 1", exitCode: 1, stderr: CLI_REFUSAL },
    },
  }));
}, 600_000);

/** The chain of calls behind the Directory a function returned. */
function returnedPipeline(run: ModuleRun): Step[] {
  expect(run.engine.failure(), run.stderr).toBeUndefined();
  const id = run.engine.returned();
  expect(typeof id).toBe("string");
  return run.engine.origin(id as string);
}

function execs(chain: Step[]): string[][] {
  return all(chain, "withExec").map((args) => args["args"] as string[]);
}

/** terraform and tflint as the container gets them: each from a checksum-verified download. */
function installedTools(engine: FakeEngine, chain: Step[]) {
  return all(chain, "withFile")
    .filter((args) => String(args["path"]).startsWith("/usr/local/bin/"))
    .map((args) => {
      const extraction = engine.origin(String(args["source"]));
      const archive = all(extraction, "withFile").find((file) => String(file["path"]).endsWith(".zip"))!;
      const download = only(engine.origin(String(archive["source"])), "http");
      return {
        path: args["path"],
        permissions: args["permissions"],
        extractedFrom: only(extraction, "from")["address"],
        url: download["url"],
        checksum: download["checksum"],
        unzip: execs(extraction).at(-1),
      };
    });
}

describe("the registered surface (what `dagger functions` lists)", () => {
  it("registers one object Infra with the repository as its constructor's context directory", () => {
    expect(registration.engine.failure(), registration.stderr).toBeUndefined();
    const [infra, ...others] = registeredSurface(registration.engine, registration.engine.returned() as string);
    expect(others).toEqual([]);
    expect(infra!.name).toBe("Infra");
    expect(infra!.description).toMatch(/pinned toolchain/);
    expect(infra!.constructorArgs).toEqual([
      {
        name: "source",
        type: "Directory",
        optional: false,
        defaultPath: "/",
        ignore: [
          "**/node_modules",
          "**/.terraform",
          "**/.infra",
          "**/*.tfstate",
          "**/*.tfstate.*",
          "**/.terraform.tfstate.lock.info",
          "artifacts",
          "dist",
          "dagger/sdk",
          "!.git",
        ],
      },
    ]);
  });

  it("lists toolchain, check, plan, drift, apply, gate, review and lock with their arguments, types, cache policy, the check and the generator", () => {
    const [infra] = registeredSurface(registration.engine, registration.engine.returned() as string);
    const credentials = ["awsAccessKeyId", "awsSecretAccessKey", "awsSessionToken"].map((name) => ({ name, type: "Secret", optional: true }));
    const planKey = (name: string) => ({ name, type: "Secret", optional: true });
    expect(infra!.functions).toEqual([
      { name: "toolchain", returns: "Container", args: [], cachePolicy: "Default", check: false, generator: false },
      { name: "check", returns: "VOID", args: [], cachePolicy: "Default", check: true, generator: false },
      {
        name: "plan",
        returns: "Directory",
        args: [{ name: "env", type: "STRING", optional: false }, ...credentials, planKey("signingKey"), planKey("planKey"), { name: "readOnly", type: "BOOLEAN", optional: true }],
        cachePolicy: "Never",
        check: false,
        generator: false,
      },
      { name: "drift", returns: "Directory", args: [{ name: "env", type: "STRING", optional: false }, ...credentials], cachePolicy: "Never", check: false, generator: false },
      {
        name: "apply",
        returns: "Directory",
        args: [
          { name: "env", type: "STRING", optional: false },
          { name: "plan", type: "Directory", optional: false },
          { name: "approve", type: "STRING", optional: true },
          { name: "allowDestroy", type: "[STRING]", optional: true },
          ...credentials,
          ...["githubActions", "githubRunId", "githubRepository", "githubActor", "githubTriggeringActor", "deploymentEnvironment"].map((name) => ({ name, type: "STRING", optional: true })),
          planKey("planKey"),
        ],
        cachePolicy: "Never",
        check: false,
        generator: false,
      },
      {
        name: "gate",
        returns: "File",
        args: [
          { name: "env", type: "STRING", optional: false },
          { name: "plan", type: "Directory", optional: false },
          { name: "approve", type: "STRING", optional: true },
          { name: "allowDestroy", type: "[STRING]", optional: true },
          ...credentials,
          planKey("planKey"),
        ],
        cachePolicy: "Never",
        check: false,
        generator: false,
      },
      { name: "review", returns: "Directory", args: [{ name: "plan", type: "Directory", optional: false }], cachePolicy: "Default", check: false, generator: false },
      { name: "lock", returns: "Changeset", args: [], cachePolicy: "Default", check: false, generator: true },
    ]);
  });
});

/** What every toolchain runs before the `infra` command: git, then dependencies, build and link. */
const GIT_EXECS = [
  ["sh", "-c", "apt-get update && apt-get install -y --no-install-recommends git=1:2.39.5-0+deb12u3 && rm -rf /var/lib/apt/lists/*"],
  ["git", "config", "--system", "--add", "safe.directory", "/src"],
];
const NPM_EXECS = [
  ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
  ["npm", "run", "build"],
  ["ln", "-s", "/src/bin/infra.js", "/usr/local/bin/infra"],
];

describe("plan", () => {
  it("starts from the Node image pinned by digest", () => {
    const chain = returnedPipeline(plan);
    expect(NODE_IMAGE).toMatch(/^docker\.io\/library\/node:20-[a-z-]+@sha256:[0-9a-f]{64}$/);
    expect(chain[0]).toEqual({ field: "container", args: {} });
    expect(only(chain, "from")).toEqual({ address: NODE_IMAGE });
  });

  it("installs git at its pinned Debian version on the pinned image, and declares the checkout safe, before anything else", () => {
    const chain = returnedPipeline(plan);
    expect(GIT_PACKAGE.version).toMatch(/^1:2\.\d+\.\d+-\S+$/);
    expect(GIT_EXECS[0]![2]).toContain(`git=${GIT_PACKAGE.version} `);
    const fields = chain.map((step) => step.field);
    // Right after the image: a change to the source or the tools reuses the git layer.
    expect(fields.slice(0, 4)).toEqual(["container", "from", "withExec", "withExec"]);
    expect(execs(chain).slice(0, 2)).toEqual(GIT_EXECS);
    // safe.directory names the directory the checkout (with its .git) is copied to.
    const sourceArgs = all(chain, "withDirectory").find((args) => only(plan.engine.origin(String(args["source"])), "node")["id"] === SOURCE_ID)!;
    expect(sourceArgs["path"]).toBe(GIT_EXECS[1]!.at(-1));
  });

  it("installs terraform and tflint from downloads the engine verifies against pinned sha256 sums (linux/amd64)", () => {
    const tools = installedTools(plan.engine, returnedPipeline(plan));
    expect(tools).toEqual([
      {
        path: "/usr/local/bin/terraform",
        permissions: 0o755,
        extractedFrom: NODE_IMAGE,
        url: "https://releases.hashicorp.com/terraform/1.11.4/terraform_1.11.4_linux_amd64.zip",
        checksum: "sha256:1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc",
        unzip: ["node", "/toolchain/unzip.mjs", "/toolchain/terraform.zip", "terraform", "/toolchain/bin/terraform"],
      },
      {
        path: "/usr/local/bin/tflint",
        permissions: 0o755,
        extractedFrom: NODE_IMAGE,
        url: "https://github.com/terraform-linters/tflint/releases/download/v0.64.0/tflint_linux_amd64.zip",
        checksum: "sha256:cca9d13e2e1d7a2c627af60ff899a3c9b74212899416aeb96ec764d2ef954537",
        unzip: ["node", "/toolchain/unzip.mjs", "/toolchain/tflint.zip", "tflint", "/toolchain/bin/tflint"],
      },
    ]);
  });

  it("mounts the terraform, tflint and npm caches as LOCKED volumes and points the tools at them", () => {
    const chain = returnedPipeline(plan);
    const mounts = all(chain, "withMountedCache").map((args) => ({
      path: args["path"],
      sharing: args["sharing"],
      volume: only(plan.engine.origin(String(args["cache"])), "cacheVolume")["key"],
    }));
    expect(mounts).toEqual([
      { path: "/cache/terraform-plugins", sharing: "LOCKED", volume: "infra-terraform-plugins" },
      { path: "/cache/tflint-plugins", sharing: "LOCKED", volume: "infra-tflint-plugins" },
      { path: "/root/.npm", sharing: "LOCKED", volume: "infra-npm" },
    ]);
    const variables = Object.fromEntries(all(chain, "withEnvVariable").map((args) => [args["name"], args["value"]]));
    expect(variables).toMatchObject({
      TF_IN_AUTOMATION: "1",
      CHECKPOINT_DISABLE: "1",
      TF_PLUGIN_CACHE_DIR: "/cache/terraform-plugins",
      TFLINT_PLUGIN_DIR: "/cache/tflint-plugins",
    });
    expect(JSON.parse(String(variables["INFRA_TOOLCHAIN"]))).toEqual({
      image: NODE_IMAGE,
      platform: "linux/amd64",
      git: "1:2.39.5-0+deb12u3",
      terraform: "1.11.4",
      terraformSha256: TERRAFORM.sha256["linux/amd64"],
      tflint: "0.64.0",
      tflintSha256: TFLINT.sha256["linux/amd64"],
    });
  });

  it("passes the AWS credentials and the signing and plan keys only as secret variables, and no plaintext ever reaches a query", () => {
    const chain = returnedPipeline(plan);
    const secretVariables = all(chain, "withSecretVariable").map((args) => [args["name"], only(plan.engine.origin(String(args["secret"])), "node")["id"]]);
    expect(secretVariables).toEqual([
      ["AWS_ACCESS_KEY_ID", "secret:aws-access-key-id"],
      ["AWS_SECRET_ACCESS_KEY", "secret:aws-secret-access-key"],
      ["AWS_SESSION_TOKEN", "secret:aws-session-token"],
      ["INFRA_SIGNING_KEY", "secret:signing-key"],
      ["INFRA_PLAN_KEY", "secret:plan-key"],
    ]);
    expect(all(chain, "withEnvVariable").map((args) => args["name"])).not.toContain("AWS_ACCESS_KEY_ID");
    for (const query of plan.engine.queries) {
      expect(query).not.toMatch(/\bplaintext\b/);
      for (const plaintext of Object.values(SECRETS)) expect(query).not.toContain(plaintext);
    }
  });

  it("installs dependencies from the lock file before the source, then runs exactly `infra plan --env dev --out /src/artifacts/dev`", () => {
    const chain = returnedPipeline(plan);
    expect(execs(chain)).toEqual([...GIT_EXECS, ...NPM_EXECS, ["infra", "plan", "--env", "dev", "--out", "/src/artifacts/dev"]]);
    const fields = chain.map((step) => `${step.field}:${String(step.args["path"] ?? (step.args["args"] as string[] | undefined)?.[1] ?? "")}`);
    const lockFile = fields.indexOf("withFile:/src/package-lock.json");
    const install = fields.indexOf("withExec:ci");
    const source = fields.indexOf("withDirectory:/src");
    expect(lockFile).toBeGreaterThan(-1);
    expect(lockFile).toBeLessThan(install);
    expect(install).toBeLessThan(source);
    const sourceArgs = all(chain, "withDirectory").find((args) => args["path"] === "/src")!;
    expect(only(plan.engine.origin(String(sourceArgs["source"])), "node")).toEqual({ id: SOURCE_ID });
  });

  it("is never cached: the function by policy, its plan exec by a run id of its own", () => {
    const chain = returnedPipeline(plan);
    const runIds = all(chain, "withEnvVariable").filter((args) => args["name"] === "INFRA_RUN_ID");
    expect(runIds).toHaveLength(1);
    expect(runIds[0]!["value"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const applyRunId = all(returnedPipeline(apply), "withEnvVariable").find((args) => args["name"] === "INFRA_RUN_ID");
    expect(applyRunId?.["value"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(applyRunId?.["value"]).not.toBe(runIds[0]!["value"]);
    // After the toolchain's last layer, so the toolchain itself stays cached.
    const fields = chain.map((step) => step.field);
    const runIdAt = chain.findIndex((step) => step.field === "withEnvVariable" && step.args["name"] === "INFRA_RUN_ID");
    expect(runIdAt).toBeGreaterThan(fields.lastIndexOf("withSecretVariable"));
    expect(runIdAt).toBe(fields.lastIndexOf("withExec") - 1);
    const [infra] = registeredSurface(registration.engine, registration.engine.returned() as string);
    expect(infra!.functions.filter((fn) => fn.cachePolicy === "Never").map((fn) => fn.name)).toEqual(["plan", "drift", "apply", "gate"]);
  });

  it("returns the bundle directory the CLI wrote", () => {
    const chain = returnedPipeline(plan);
    expect(chain.at(-1)).toEqual({ field: "directory", args: { path: "/src/artifacts/dev" } });
  });

  it("refuses an engine platform the toolchain has no checksums for, naming the supported ones", () => {
    expect(unsupported.exitCode).not.toBe(0);
    expect(unsupported.engine.failure()).toBe(
      "the Dagger engine runs on linux/s390x, but the infra toolchain is pinned only for linux/amd64 and linux/arm64: run the engine on one of those, or add that platform's checksums to dagger/src/toolchain.ts",
    );
    expect(unsupported.engine.queries.some((query) => query.includes("http"))).toBe(false);
  });
});

describe("a read-only plan (a pull request's)", () => {
  it("passes --read-only to `infra plan`, with the credentials as secrets and no keys", () => {
    const chain = returnedPipeline(readOnlyPlan);
    expect(execs(chain).at(-1)).toEqual(["infra", "plan", "--env", "staging", "--read-only", "--out", "/src/artifacts/staging"]);
    expect(all(chain, "withSecretVariable").map((args) => args["name"])).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]);
    expect(execs(returnedPipeline(plan)).at(-1)).not.toContain("--read-only");
  });
});

describe("drift", () => {
  it("runs `infra drift --env ENV --json` never cached, keeps its output whatever the exit code, and returns drift.json's directory", () => {
    const chain = returnedPipeline(drift);
    expect(all(chain, "withExec").at(-1)).toEqual({ args: ["infra", "drift", "--env", "prod", "--json"], redirectStdout: "/drift/drift.json", expect: "ANY" });
    expect(chain.at(-1)).toEqual({ field: "directory", args: { path: "/drift" } });
    expect(all(chain, "withSecretVariable").map((args) => args["name"])).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]);
    expect(all(chain, "withEnvVariable").filter((args) => args["name"] === "INFRA_RUN_ID")).toHaveLength(1);
    for (const query of drift.engine.queries) for (const plaintext of Object.values(SECRETS)) expect(query).not.toContain(plaintext);
  });
});

describe("apply", () => {
  it("applies the bundle it was given, passing --approve with its digest and one --allow-destroy per address, and returns the bundle with its receipt", () => {
    const chain = returnedPipeline(apply);
    expect(only(chain, "from")).toEqual({ address: NODE_IMAGE });
    expect(installedTools(apply.engine, chain).map((tool) => tool.checksum)).toEqual([
      `sha256:${TERRAFORM.sha256["linux/amd64"]}`,
      `sha256:${TFLINT.sha256["linux/amd64"]}`,
    ]);
    expect(all(chain, "withMountedCache").map((args) => args["sharing"])).toEqual(["LOCKED", "LOCKED", "LOCKED"]);
    const bundle = all(chain, "withDirectory").find((args) => args["path"] === "/src/artifacts/prod")!;
    expect(only(apply.engine.origin(String(bundle["source"])), "node")).toEqual({ id: PLAN_ID });
    expect(execs(chain)).toEqual([
      ...GIT_EXECS,
      ...NPM_EXECS,
      [
        "infra", "apply", "--env", "prod", "--plan", "/src/artifacts/prod",
        "--approve", APPROVAL,
        "--allow-destroy", "module.platform.aws_eks_cluster.this",
        "--allow-destroy", 'module.data.aws_s3_bucket.logs["eu-west-1"]',
      ],
    ]);
    expect(chain.at(-1)).toEqual({ field: "directory", args: { path: "/src/artifacts/prod" } });
  });

  it("passes nothing of its own without approval, allowed destructions or CI facts", () => {
    const chain = returnedPipeline(plainApply);
    expect(execs(chain).at(-1)).toEqual(["infra", "apply", "--env", "dev", "--plan", "/src/artifacts/dev"]);
    const names = all(chain, "withEnvVariable").map((args) => args["name"]);
    expect(names).toEqual(["TF_IN_AUTOMATION", "CHECKPOINT_DISABLE", "INFRA_TOOLCHAIN", "TF_PLUGIN_CACHE_DIR", "TFLINT_PLUGIN_DIR", "INFRA_RUN_ID"]);
    expect(all(chain, "withSecretVariable")).toEqual([]);
  });

  it("hands the GitHub run's facts to the CLI as the variables its approval gate reads, in plain text (they are not secrets)", () => {
    const chain = returnedPipeline(apply);
    const toolchainVariables = new Set(["TF_IN_AUTOMATION", "CHECKPOINT_DISABLE", "INFRA_TOOLCHAIN", "TF_PLUGIN_CACHE_DIR", "TFLINT_PLUGIN_DIR", "INFRA_RUN_ID"]);
    const ciVariables = all(chain, "withEnvVariable")
      .filter((args) => !toolchainVariables.has(String(args["name"])))
      .map((args) => [args["name"], args["value"]]);
    expect(ciVariables).toEqual([
      ["GITHUB_ACTIONS", "true"],
      ["GITHUB_RUN_ID", "16000000001"],
      ["GITHUB_REPOSITORY", "example-org/infra"],
      ["GITHUB_ACTOR", "alice"],
      ["GITHUB_TRIGGERING_ACTOR", "bob"],
      ["INFRA_DEPLOYMENT_ENVIRONMENT", "prod"],
    ]);
    // The CLI's own reading of exactly these variables: a CI deployment that may approve.
    const processEnv = Object.fromEntries(ciVariables.map(([name, value]) => [String(name), String(value)]));
    expect(ciDeploymentFrom(readEnv(processEnv))).toEqual({ runId: "16000000001", environment: "prod", approver: "bob", repository: "example-org/infra" });
    // Set before the run id and the exec, so they are in the exec's environment.
    const fields = chain.map((step) => `${step.field}:${String(step.args["name"] ?? "")}`);
    expect(fields.indexOf("withEnvVariable:INFRA_DEPLOYMENT_ENVIRONMENT")).toBeLessThan(fields.indexOf("withEnvVariable:INFRA_RUN_ID"));
  });

  it("passes the credentials as secret variables only", () => {
    const chain = returnedPipeline(apply);
    expect(all(chain, "withSecretVariable").map((args) => args["name"])).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "INFRA_PLAN_KEY"]);
    for (const query of apply.engine.queries) {
      for (const plaintext of Object.values(SECRETS)) expect(query).not.toContain(plaintext);
    }
  });
});

describe("gate", () => {
  it("runs `infra gate ... --json` on the bundle it was given, never cached, and returns the verdicts", () => {
    const chain = returnedPipeline(gate);
    const bundle = all(chain, "withDirectory").find((args) => args["path"] === "/src/artifacts/prod")!;
    expect(only(gate.engine.origin(String(bundle["source"])), "node")).toEqual({ id: PLAN_ID });
    expect(all(chain, "withExec").at(-1)).toEqual({
      args: ["infra", "gate", "--env", "prod", "--plan", "/src/artifacts/prod", "--approve", APPROVAL, "--allow-destroy", "module.platform.aws_eks_cluster.this", "--json"],
      redirectStdout: "/gate/verdicts.json",
    });
    expect(chain.at(-1)).toEqual({ field: "file", args: { path: "/gate/verdicts.json" } });
    expect(all(chain, "withSecretVariable").map((args) => args["name"])).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "INFRA_PLAN_KEY"]);
    expect(all(chain, "withEnvVariable").filter((args) => args["name"] === "INFRA_RUN_ID")).toHaveLength(1);
  });
});

describe("check", () => {
  it("runs `infra check --strict` in the same toolchain, with no credentials, and returns nothing", () => {
    expect(check.engine.failure(), check.stderr).toBeUndefined();
    expect(check.engine.returned()).toBeNull();
    const synced = check.engine.queries.filter((query) => /\bsync\b/.test(query));
    expect(synced).toHaveLength(1);
    expect(synced[0]).toContain(`from (address: "${NODE_IMAGE}")`);
    expect(synced[0]).toMatch(/withMountedCache \(path: "\/cache\/terraform-plugins",cache: "fake-id-\d+",sharing: LOCKED\)/);
    expect(synced[0]).toContain('withExec (args: ["infra","check","--strict"]) { sync');
    expect(synced[0]).not.toContain("withSecretVariable");
    expect(synced[0]).not.toContain("INFRA_RUN_ID");
  });

  it("fails with the CLI's exit code and its own words when `infra check` fails", () => {
    expect(failingCheck.exitCode).toBe(1);
    expect(failingCheck.engine.failure()).toBe('process "infra check --strict" did not complete successfully: exit code: 1');
    expect(failingCheck.engine.failureValues()).toMatchObject({ exitCode: "1", stderr: JSON.stringify(CLI_REFUSAL) });
    expect(failingCheck.engine.returned()).toBeUndefined();
  });

  it("takes the arm64 archives and sums on an arm64 engine (Apple Silicon)", () => {
    const downloads = check.engine.queries.filter((query) => query.includes("http (url:"));
    expect(downloads).toEqual([
      expect.stringContaining(
        'http (url: "https://releases.hashicorp.com/terraform/1.11.4/terraform_1.11.4_linux_arm64.zip",checksum: "sha256:a43d1d0da9b9bab214a8305a39db0e40869572594ccf50c416a7756499143633")',
      ),
      expect.stringContaining(
        'http (url: "https://github.com/terraform-linters/tflint/releases/download/v0.64.0/tflint_linux_arm64.zip",checksum: "sha256:560da89aacf59389d4eb029730dd5b109b7288096c32f2726a0d9e783a5ea8eb")',
      ),
    ]);
  });
});

describe("review", () => {
  it("reviews the bundle it was given twice, for people and for machines, and returns both files", () => {
    const chain = returnedPipeline(review);
    const bundle = all(chain, "withDirectory").find((args) => args["path"] === "/review/bundle")!;
    expect(only(review.engine.origin(String(bundle["source"])), "node")).toEqual({ id: PLAN_ID });
    expect(all(chain, "withExec").slice(-2)).toEqual([
      { args: ["infra", "review", "/review/bundle"], redirectStdout: "/review/out/review.txt" },
      { args: ["infra", "review", "/review/bundle", "--json"], redirectStdout: "/review/out/review.json" },
    ]);
    expect(chain.at(-1)).toEqual({ field: "directory", args: { path: "/review/out" } });
    expect(all(chain, "withSecretVariable")).toEqual([]);
  });
});

describe("lock", () => {
  it("is a generator: `infra lock` in the toolchain, its lock files laid over the repository, returned as the Changeset against it", () => {
    expect(lock.engine.failure(), lock.stderr).toBeUndefined();
    const changeset = lock.engine.origin(lock.engine.returned() as string);
    expect(changeset[0]).toEqual({ field: "node", args: { id: SOURCE_ID } });
    const laid = changeset.find((step) => step.field === "withDirectory")!.args;
    expect(laid["path"]).toBe("terraform");
    const changes = changeset.at(-1)!;
    expect(changes.field).toBe("changes");
    expect(lock.engine.origin(String(changes.args["from"]))).toEqual([{ field: "node", args: { id: SOURCE_ID } }]);
    const locks = lock.engine.origin(String(laid["source"]));
    expect(only(locks, "from")).toEqual({ address: NODE_IMAGE });
    expect(execs(locks).at(-1)).toEqual(["infra", "lock"]);
    expect(locks.slice(-2)).toEqual([
      { field: "directory", args: { path: "/src/terraform" } },
      { field: "filter", args: { include: ["**/.terraform.lock.hcl"] } },
    ]);
    expect(all(locks, "withSecretVariable")).toEqual([]);
  });
});

describe("the CLI flags the module passes", () => {
  /** Parses argv with the real command definition, strictly, without running the command. */
  async function parsesStrictly(command: CommandModule<object, never>, argv: string[]): Promise<void> {
    await yargs(argv)
      .command({ ...command, handler: () => undefined } as CommandModule)
      .strict()
      .exitProcess(false)
      .fail((message, error) => {
        throw error ?? new Error(message);
      })
      .parseAsync();
  }
  const commands: Record<string, CommandModule<object, never>> = {
    plan: planCommand as CommandModule<object, never>,
    apply: applyCommand as CommandModule<object, never>,
    gate: gateCommand as CommandModule<object, never>,
    check: checkCommand as CommandModule<object, never>,
    drift: driftCommand as CommandModule<object, never>,
    review: reviewCommand as CommandModule<object, never>,
    lock: lockCommand as CommandModule<object, never>,
  };

  it("exist in the CLI: every `infra` command line the module ran parses with `.strict()`", async () => {
    const lines = [plan, readOnlyPlan, drift, apply, plainApply, gate, check, lock, review]
      .flatMap((run) => run.engine.queries)
      .flatMap((query) => [...query.matchAll(/withExec \(args: (\[(?:"(?:[^"\\]|\\.)*",?)*\])/g)].map((match) => JSON.parse(match[1]!) as string[]))
      .filter((argv) => argv[0] === "infra");
    expect(lines.map((argv) => argv[1])).toEqual(["plan", "plan", "drift", "apply", "apply", "gate", "check", "lock", "review", "review"]);
    for (const argv of lines) await parsesStrictly(commands[argv[1]!]!, argv.slice(1));
    await expect(parsesStrictly(commands["plan"]!, ["plan", "--env", "dev", "--no-such-flag"])).rejects.toThrow(/Unknown argument/);
  });

  it("give the CLI the approval and the addresses as its options read them", async () => {
    const argv = execs(returnedPipeline(apply)).at(-1)!.slice(1);
    const parsed = await yargs(argv)
      .command({ ...applyCommand, handler: () => undefined } as CommandModule)
      .strict()
      .exitProcess(false)
      .parseAsync();
    expect(parsed["approve"]).toBe(APPROVAL);
    expect(parsed["allow-destroy"]).toEqual(PROTECTED);
  });
});

describe("the GitHub Actions workflows", () => {
  interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, string | boolean>;
    env?: Record<string, string>;
  }
  interface Job {
    if?: string;
    needs?: string | string[];
    environment?: string;
    permissions?: Record<string, string>;
    steps: Step[];
  }
  const load = async () => {
    const workflows: Array<{ on: Record<string, unknown>; jobs: Record<string, Job> }> = [];
    for (const name of ["infra.yml", "drift.yml"]) workflows.push(parseYaml(await readFile(`${REPO_ROOT}.github/workflows/${name}`, "utf8")) as (typeof workflows)[number]);
    return { jobs: workflows.flatMap((workflow) => Object.entries(workflow.jobs)) };
  };
  const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  /** The environment a job of the chain works on: plan-dev, pr-plan-dev, apply-dev, drift-dev -> dev. */
  const envOf = (name: string) => name.split("-").at(-1)!;

  it("call only functions and flags the module registers, with credentials only as env:// secrets", async () => {
    const { jobs } = await load();
    const [infra] = registeredSurface(registration.engine, registration.engine.returned() as string);
    const calls = jobs.flatMap(([, job]) => job.steps).flatMap((step) => (step.run?.startsWith("dagger call ") ? [step.run.split(/\s+/).slice(2)] : []));
    expect(new Set(calls.map((words) => words[0]))).toEqual(new Set(["plan", "apply", "drift"]));
    for (const [name, ...words] of calls) {
      const fn = infra!.functions.find((candidate) => candidate.name === name)!;
      const flags = words.filter((word) => word.startsWith("--")).map((flag) => flag.slice(2));
      expect(flags.filter((flag) => !fn.args.some((arg) => kebab(arg.name) === flag))).toEqual([]);
      for (const arg of fn.args.filter((candidate) => candidate.type === "Secret")) {
        const at = words.indexOf(`--${kebab(arg.name)}`);
        // The AWS credentials are always passed; the optional keys (signing, plan encryption) only where configured.
        if (arg.name.startsWith("aws")) expect(at).toBeGreaterThan(-1);
        if (at > -1) expect(words[at + 1]).toMatch(/^env:\/\/[A-Z_]+$/);
      }
      for (const arg of fn.args.filter((candidate) => !candidate.optional)) expect(flags).toContain(kebab(arg.name));
    }
  });

  it("give each apply the GitHub run's facts from the runner's own variables, and the job's environment as the deployment environment", async () => {
    const { jobs } = await load();
    const [infra] = registeredSurface(registration.engine, registration.engine.returned() as string);
    const applyArgs = infra!.functions.find((fn) => fn.name === "apply")!.args;
    const ciFlags: Record<string, string> = {
      githubActions: "$GITHUB_ACTIONS",
      githubRunId: "$GITHUB_RUN_ID",
      githubRepository: "$GITHUB_REPOSITORY",
      githubActor: "$GITHUB_ACTOR",
      githubTriggeringActor: "$GITHUB_TRIGGERING_ACTOR",
      deploymentEnvironment: "$INFRA_DEPLOYMENT_ENVIRONMENT",
    };
    expect(applyArgs.map((arg) => arg.name)).toEqual(expect.arrayContaining(Object.keys(ciFlags)));
    const applies = jobs.filter(([name]) => name.startsWith("apply-"));
    expect(applies.map(([name]) => name)).toEqual(["apply-dev", "apply-staging", "apply-prod"]);
    for (const [name, job] of applies) {
      const step = job.steps.find((candidate) => candidate.run?.startsWith("dagger call apply "))!;
      const words = step.run!.split(/\s+/);
      for (const [arg, variable] of Object.entries(ciFlags)) {
        expect({ name, arg, value: words[words.indexOf(`--${kebab(arg)}`) + 1] }).toEqual({ name, arg, value: `"${variable}"` });
      }
      expect(step.env).toEqual({ INFRA_DEPLOYMENT_ENVIRONMENT: job.environment, INFRA_PLAN_KEY: "${{ secrets.INFRA_PLAN_KEY }}" });
      // No `${{ }}` in the script: nothing a commit or an actor names is expanded into the shell.
      expect(step.run).not.toContain("${{");
    }
  });

  it("check out without leaving the job's token in .git/config, since .git is uploaded to the engine", async () => {
    const { jobs } = await load();
    const checkouts = jobs.flatMap(([, job]) => job.steps).filter((step) => step.uses?.startsWith("actions/checkout@"));
    expect(checkouts.length).toBeGreaterThan(10);
    for (const step of checkouts) expect(step.with?.["persist-credentials"]).toBe(false);
  });

  it("reach AWS only through OIDC: infra-deploy from the GitHub environment of the same name, infra-plan from no environment", async () => {
    const { jobs } = await load();
    const awsJobs = jobs.filter(([, job]) => job.steps.some((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials@")));
    expect(awsJobs.map(([name]) => name).sort()).toEqual(
      ["dev", "staging", "prod"].flatMap((env) => [`pr-plan-${env}`, `plan-${env}`, `apply-${env}`, `drift-${env}`]).sort(),
    );
    for (const [name, job] of awsJobs) {
      const env = envOf(name);
      const readOnly = name.startsWith("pr-plan-") || name.startsWith("drift-");
      expect({ name, environment: job.environment }).toEqual({ name, environment: readOnly ? undefined : env });
      expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
      const credentials = job.steps.find((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials@"))!.with!;
      expect(credentials["role-to-assume"]).toMatch(new RegExp(`^arn:aws:iam::\\d{12}:role/${readOnly ? "infra-plan" : "infra-deploy"}$`));
      expect(job.steps.find((step) => step.run?.includes("GITHUB_OUTPUT"))!.run).toContain(`name=infra-${env}-\${GITHUB_SHA:0:12}`);
      expect(job.steps.find((step) => step.run?.startsWith("dagger call "))!.run).toContain(`--env ${env}`);
    }
    expect(jobs.find(([name]) => name === "check")![1].steps.map((step) => step.run).filter(Boolean)).toEqual(["dagger check"]);
  });
});
