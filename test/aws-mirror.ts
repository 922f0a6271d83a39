/**
 * The real hashicorp/aws provider for tests, from the filesystem mirror these machines ship
 * (no registry access). A CLI configuration of the tests' own makes terraform install aws from
 * the mirror only; one plugin cache per test process keeps the ~700 MB binary from being
 * copied into every root. terraform's plugin cache is not safe for concurrent installs, so it
 * is filled once, by one init, before anything runs in parallel against it.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { exec } from "../src/process.js";
import { tempDir } from "./helpers.js";

export const AWS_MIRROR = process.env["INFRA_TEST_AWS_MIRROR"] ?? "/opt/tf-plugins";
const PROVIDER = "registry.terraform.io/hashicorp/aws";

/** Why tests that need the real AWS provider cannot run here, or undefined when they can. */
export function awsMirrorMissing(): string | undefined {
  return existsSync(path.join(AWS_MIRROR, PROVIDER))
    ? undefined
    : `no hashicorp/aws provider mirror at ${AWS_MIRROR} (set INFRA_TEST_AWS_MIRROR to one)`;
}

let prepared: Promise<NodeJS.ProcessEnv> | undefined;

/** process.env plus TF_CLI_CONFIG_FILE (mirror for aws, direct for the rest) and a shared plugin cache. */
export function awsMirrorEnv(): Promise<NodeJS.ProcessEnv> {
  prepared ??= (async () => {
    const dir = await tempDir("aws-mirror");
    const cache = path.join(dir, "plugin-cache");
    await mkdir(cache);
    const config = path.join(dir, "terraform.rc");
    await writeFile(
      config,
      [
        "provider_installation {",
        "  filesystem_mirror {",
        `    path    = ${JSON.stringify(AWS_MIRROR)}`,
        `    include = [${JSON.stringify(PROVIDER)}]`,
        "  }",
        "  direct {",
        `    exclude = [${JSON.stringify(PROVIDER)}]`,
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    const env = { ...process.env, TF_CLI_CONFIG_FILE: config, TF_PLUGIN_CACHE_DIR: cache, TF_IN_AUTOMATION: "1" };
    const warmUp = path.join(dir, "warm-up");
    await mkdir(warmUp);
    await writeFile(path.join(warmUp, "versions.tf"), `terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = ">= 5.100, < 7.0" }\n  }\n}\n`);
    const init = await exec("terraform", ["init", "-backend=false", "-input=false", "-no-color"], { cwd: warmUp, env });
    if (init.exitCode !== 0) throw new Error(`terraform init from the mirror ${AWS_MIRROR} failed:\n${init.stderr}`);
    return env;
  })();
  return prepared;
}
