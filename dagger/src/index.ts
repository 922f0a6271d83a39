/**
 * The infra Dagger module: a pinned, verified toolchain container that runs this repository's
 * own CLI. Every decision (policy, gates, review) stays in the CLI; a function here only says
 * which `infra` command runs, with which files and secrets, and what comes back.
 *
 * Example usage:
 *   dagger call plan --env dev --aws-access-key-id env://AWS_ACCESS_KEY_ID \
 *     --aws-secret-access-key env://AWS_SECRET_ACCESS_KEY --aws-session-token env://AWS_SESSION_TOKEN \
 *     -o artifacts/dev
 *   dagger check
 */
import {
  argument,
  CacheSharingMode,
  check,
  Container,
  dag,
  Directory,
  File,
  func,
  object,
  Secret,
} from "@dagger.io/dagger";
import { NODE_IMAGE, PINNED_TOOLS, supportedPlatform, toolchainFacts, UNZIP_SCRIPT, type PinnedTool, type SupportedPlatform } from "./toolchain.js";

/** Where the repository lives in the container; the CLI runs from here, so `--root` keeps its default. */
const SOURCE_DIR = "/src";
const TOOLS_DIR = "/usr/local/bin";
/** Cache volumes: terraform's plugin cache and tflint's plugin dir are not safe for concurrent writers. */
const CACHES = [
  { path: "/cache/terraform-plugins", volume: "infra-terraform-plugins", variable: "TF_PLUGIN_CACHE_DIR" },
  { path: "/cache/tflint-plugins", volume: "infra-tflint-plugins", variable: "TFLINT_PLUGIN_DIR" },
  { path: "/root/.npm", volume: "infra-npm", variable: undefined },
] as const;
const REVIEW_DIR = "/review";

/** Where a bundle lives in the container: the CLI's own default, `artifacts/<env>`. */
function bundleDir(env: string): string {
  return `${SOURCE_DIR}/artifacts/${env}`;
}

/** Check, plan, review and apply this repository's terraform with the `infra` CLI, in a pinned toolchain. */
@object()
export class Infra {
  source: Directory;

  constructor(
    /** The repository; by default the one this module is in, without dependencies, state or outputs. */
    @argument({
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
      ],
    })
    source: Directory,
  ) {
    this.source = source;
  }

  /**
   * The toolchain container: pinned Node image, verified terraform and tflint, the repository's
   * dependencies from its lock file, then its source and the `infra` CLI built from it.
   *
   * Example usage: dagger call toolchain terminal
   */
  @func()
  async toolchain(): Promise<Container> {
    const platform = supportedPlatform(await dag.defaultPlatform());
    let container = dag.container().from(NODE_IMAGE);
    for (const tool of PINNED_TOOLS) {
      container = container.withFile(`${TOOLS_DIR}/${tool.binary}`, verifiedBinary(tool, platform), { permissions: 0o755 });
    }
    container = container
      .withEnvVariable("TF_IN_AUTOMATION", "1")
      // terraform otherwise asks checkpoint-api.hashicorp.com about new versions on every run.
      .withEnvVariable("CHECKPOINT_DISABLE", "1")
      .withEnvVariable("INFRA_TOOLCHAIN", JSON.stringify(toolchainFacts(platform)));
    for (const cache of CACHES) {
      container = container.withMountedCache(cache.path, dag.cacheVolume(cache.volume), { sharing: CacheSharingMode.Locked });
      if (cache.variable) container = container.withEnvVariable(cache.variable, cache.path);
    }
    // Dependencies before source: an edit to the source reuses the installed dependency layer.
    return container
      .withWorkdir(SOURCE_DIR)
      .withFile(`${SOURCE_DIR}/package.json`, this.source.file("package.json"))
      .withFile(`${SOURCE_DIR}/package-lock.json`, this.source.file("package-lock.json"))
      .withExec(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"])
      .withDirectory(SOURCE_DIR, this.source)
      .withExec(["npm", "run", "build"])
      .withExec(["ln", "-s", `${SOURCE_DIR}/bin/infra.js`, `${TOOLS_DIR}/infra`]);
  }

  /**
   * `infra check --strict`: fmt, config, policy, validate, tflint and terraform test of every root;
   * a step that could not run fails the check.
   *
   * Example usage: dagger check
   */
  @func()
  @check()
  async check(): Promise<void> {
    await (await this.toolchain()).withExec(["infra", "check", "--strict"]).sync();
  }

  /**
   * `infra plan --env ENV`: the plan bundle (tfplan, manifest, summaries) as a directory.
   *
   * Example usage: dagger call plan --env dev --aws-access-key-id env://AWS_ACCESS_KEY_ID ... -o artifacts/dev
   */
  @func({ cache: "never" })
  async plan(
    /** Environment to plan: a folder under terraform/envs */
    env: string,
    /** AWS access key id for the environment's account, e.g. env://AWS_ACCESS_KEY_ID */
    awsAccessKeyId?: Secret,
    /** AWS secret access key, e.g. env://AWS_SECRET_ACCESS_KEY */
    awsSecretAccessKey?: Secret,
    /** AWS session token of temporary credentials (SSO, OIDC, assumed role), e.g. env://AWS_SESSION_TOKEN */
    awsSessionToken?: Secret,
  ): Promise<Directory> {
    const bundle = bundleDir(env);
    const container = withAwsCredentials(await this.toolchain(), { awsAccessKeyId, awsSecretAccessKey, awsSessionToken });
    return asNewRun(container).withExec(["infra", "plan", "--env", env, "--out", bundle]).directory(bundle);
  }

  /**
   * `infra apply --env ENV --plan BUNDLE`: applies exactly that bundle's tfplan after every gate
   * allows it; returns the bundle with its receipt.json.
   *
   * Example usage: dagger call apply --env dev --plan artifacts/dev ... -o artifacts/dev
   */
  @func({ cache: "never" })
  async apply(
    /** Environment the bundle was made for */
    env: string,
    /** Plan bundle written by `plan` */
    plan: Directory,
    /** Passed on as `infra apply --approve` (the approval gate decides what it allows) */
    approve?: boolean,
    /** AWS access key id for the environment's account, e.g. env://AWS_ACCESS_KEY_ID */
    awsAccessKeyId?: Secret,
    /** AWS secret access key, e.g. env://AWS_SECRET_ACCESS_KEY */
    awsSecretAccessKey?: Secret,
    /** AWS session token of temporary credentials (SSO, OIDC, assumed role), e.g. env://AWS_SESSION_TOKEN */
    awsSessionToken?: Secret,
  ): Promise<Directory> {
    const bundle = bundleDir(env);
    const container = withAwsCredentials(await this.toolchain(), { awsAccessKeyId, awsSecretAccessKey, awsSessionToken });
    return asNewRun(container)
      .withDirectory(bundle, plan)
      .withExec(["infra", "apply", "--env", env, "--plan", bundle, ...(approve ? ["--approve"] : [])])
      .directory(bundle);
  }

  /**
   * `infra review BUNDLE`: review.txt for people and review.json for machines; fails when the
   * bundle is not exactly what was planned.
   *
   * Example usage: dagger call review --plan artifacts/dev -o review/
   */
  @func()
  async review(
    /** Plan bundle written by `plan` */
    plan: Directory,
  ): Promise<Directory> {
    const bundle = `${REVIEW_DIR}/bundle`;
    return (await this.toolchain())
      .withDirectory(bundle, plan)
      .withExec(["infra", "review", bundle], { redirectStdout: `${REVIEW_DIR}/out/review.txt` })
      .withExec(["infra", "review", bundle, "--json"], { redirectStdout: `${REVIEW_DIR}/out/review.json` })
      .directory(`${REVIEW_DIR}/out`);
  }

  /**
   * `infra lock`: every root's .terraform.lock.hcl with provider hashes for linux and darwin,
   * amd64 and arm64, laid out as under terraform/.
   *
   * Example usage: dagger call lock -o terraform/
   */
  @func()
  async lock(): Promise<Directory> {
    return (await this.toolchain())
      .withExec(["infra", "lock"])
      .directory(`${SOURCE_DIR}/terraform`)
      .filter({ include: ["**/.terraform.lock.hcl"] });
  }
}

/**
 * Makes the next exec a run of its own. `cache: "never"` keeps the function from being cached, but
 * the engine would still reuse an earlier exec with the same inputs (secrets are not part of the
 * cache key): a plan of unchanged source would come back without terraform reading the state again.
 */
function asNewRun(container: Container): Container {
  return container.withEnvVariable("INFRA_RUN_ID", crypto.randomUUID());
}

interface AwsCredentials {
  awsAccessKeyId?: Secret;
  awsSecretAccessKey?: Secret;
  awsSessionToken?: Secret;
}

/** Credentials reach terraform only as secret variables: never in a layer, a log or the cache key. */
function withAwsCredentials(container: Container, credentials: AwsCredentials): Container {
  const variables: [string, Secret | undefined][] = [
    ["AWS_ACCESS_KEY_ID", credentials.awsAccessKeyId],
    ["AWS_SECRET_ACCESS_KEY", credentials.awsSecretAccessKey],
    ["AWS_SESSION_TOKEN", credentials.awsSessionToken],
  ];
  let result = container;
  for (const [name, secret] of variables) {
    if (secret) result = result.withSecretVariable(name, secret);
  }
  return result;
}

/** A release binary whose archive the engine verified against its pinned sha256, extracted with Node. */
function verifiedBinary(tool: PinnedTool, platform: SupportedPlatform): File {
  const archive = `/toolchain/${tool.name}.zip`;
  const target = `/toolchain/bin/${tool.binary}`;
  return dag
    .container()
    .from(NODE_IMAGE)
    .withNewFile("/toolchain/unzip.mjs", UNZIP_SCRIPT)
    .withFile(archive, dag.http(tool.url(platform), { checksum: `sha256:${tool.sha256[platform]}` }))
    .withExec(["mkdir", "-p", "/toolchain/bin"])
    .withExec(["node", "/toolchain/unzip.mjs", archive, tool.binary, target])
    .file(target);
}
