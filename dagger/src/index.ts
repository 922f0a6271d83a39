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
  Changeset,
  check,
  Container,
  dag,
  Directory,
  File,
  func,
  generate,
  object,
  ReturnType,
  Secret,
} from "@dagger.io/dagger";
import { GIT_PACKAGE, NODE_IMAGE, PINNED_TOOLS, supportedPlatform, toolchainFacts, UNZIP_SCRIPT, type PinnedTool, type SupportedPlatform } from "./toolchain.js";

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
const GATE_DIR = "/gate";
const DRIFT_DIR = "/drift";

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
        // `infra plan` records the checkout's commit and apply's freshness gate compares it with
        // HEAD, so the repository's .git must come along. Ignore patterns are gitignore syntax and
        // `!` negates an earlier exclusion: this keeps .git even where the engine excludes
        // `**/.git` from a context directory by default (as it did when context directories came
        // in), and changes nothing where it does not.
        "!.git",
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
    let container = dag
      .container()
      .from(NODE_IMAGE)
      // git: plan records the commit, apply's freshness gate compares it with HEAD. The version is
      // pinned, so a changed package fails the build instead of slipping in (see GIT_PACKAGE).
      .withExec(["sh", "-c", `apt-get update && apt-get install -y --no-install-recommends git=${GIT_PACKAGE.version} && rm -rf /var/lib/apt/lists/*`])
      // The uploaded checkout may belong to another uid than root, and git refuses such a
      // repository ("dubious ownership") unless it is declared safe.
      .withExec(["git", "config", "--system", "--add", "safe.directory", SOURCE_DIR]);
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
    /** Optional: ed25519 private key (PEM) that signs the manifest, e.g. env://INFRA_SIGNING_KEY */
    signingKey?: Secret,
    /** Optional: 256-bit key (base64) that encrypts tfplan at rest in the bundle, e.g. env://INFRA_PLAN_KEY */
    planKey?: Secret,
    /** `--read-only`: plan as the read-only infra-plan role, without the state lock, for review only (a pull request's plan); apply refuses the bundle */
    readOnly?: boolean,
  ): Promise<Directory> {
    const bundle = bundleDir(env);
    const container = withSecretVariables(await this.toolchain(), {
      ...awsCredentialVariables({ awsAccessKeyId, awsSecretAccessKey, awsSessionToken }),
      INFRA_SIGNING_KEY: signingKey,
      INFRA_PLAN_KEY: planKey,
    });
    return asNewRun(container)
      .withExec(["infra", "plan", "--env", env, ...(readOnly === true ? ["--read-only"] : []), "--out", bundle])
      .directory(bundle);
  }

  /**
   * `infra drift --env ENV --json`: a refresh-only plan as the read-only infra-plan role. Returns
   * drift.json whatever the CLI's exit code (0 none, 2 drift, 1 an error, which drift.json then
   * holds as {"error": ...}); scripts/drift-issue.ts reads it.
   *
   * Example usage: dagger call drift --env prod --aws-access-key-id env://AWS_ACCESS_KEY_ID ... -o drift/prod
   */
  @func({ cache: "never" })
  async drift(
    /** Environment to check: a folder under terraform/envs */
    env: string,
    /** AWS access key id for the environment's account (the read-only infra-plan), e.g. env://AWS_ACCESS_KEY_ID */
    awsAccessKeyId?: Secret,
    /** AWS secret access key, e.g. env://AWS_SECRET_ACCESS_KEY */
    awsSecretAccessKey?: Secret,
    /** AWS session token of temporary credentials, e.g. env://AWS_SESSION_TOKEN */
    awsSessionToken?: Secret,
  ): Promise<Directory> {
    const container = withSecretVariables(await this.toolchain(), awsCredentialVariables({ awsAccessKeyId, awsSecretAccessKey, awsSessionToken }));
    return asNewRun(container)
      .withDirectory(DRIFT_DIR, dag.directory())
      .withExec(["infra", "drift", "--env", env, "--json"], { redirectStdout: `${DRIFT_DIR}/drift.json`, expect: ReturnType.Any })
      .directory(DRIFT_DIR);
  }

  /**
   * `infra apply --env ENV --plan BUNDLE`: applies exactly that bundle's tfplan after every gate
   * allows it; returns the bundle with its receipt.json.
   *
   * Example usage: dagger call apply --env prod --plan artifacts/prod --approve 0123456789ab ... -o artifacts/prod
   */
  @func({ cache: "never" })
  async apply(
    /** Environment the bundle was made for */
    env: string,
    /** Plan bundle written by `plan` */
    plan: Directory,
    /** `--approve`: the first 12 hex digits of the plan digest, as `infra review` prints it (protected environments) */
    approve?: string,
    /** `--allow-destroy`, once each: addresses of protected resources the plan may delete or replace */
    allowDestroy?: string[],
    /** AWS access key id for the environment's account, e.g. env://AWS_ACCESS_KEY_ID */
    awsAccessKeyId?: Secret,
    /** AWS secret access key, e.g. env://AWS_SECRET_ACCESS_KEY */
    awsSecretAccessKey?: Secret,
    /** AWS session token of temporary credentials (SSO, OIDC, assumed role), e.g. env://AWS_SESSION_TOKEN */
    awsSessionToken?: Secret,
    /** GITHUB_ACTIONS of the GitHub Actions run ("true"); with the run id and deployment environment, the run may approve */
    githubActions?: string,
    /** GITHUB_RUN_ID of the run that applies */
    githubRunId?: string,
    /** GITHUB_REPOSITORY (owner/name), recorded with a CI approval */
    githubRepository?: string,
    /** GITHUB_ACTOR, recorded as the approver when there is no triggering actor */
    githubActor?: string,
    /** GITHUB_TRIGGERING_ACTOR, recorded as the approver */
    githubTriggeringActor?: string,
    /** INFRA_DEPLOYMENT_ENVIRONMENT: the GitHub deployment environment the job runs in (its `environment:`) */
    deploymentEnvironment?: string,
    /** The key tfplan was encrypted with, when the plan was made with one, e.g. env://INFRA_PLAN_KEY */
    planKey?: Secret,
  ): Promise<Directory> {
    const bundle = bundleDir(env);
    const ci = { githubActions, githubRunId, githubRepository, githubActor, githubTriggeringActor, deploymentEnvironment };
    const secrets = { ...awsCredentialVariables({ awsAccessKeyId, awsSecretAccessKey, awsSessionToken }), INFRA_PLAN_KEY: planKey };
    const container = withCiDeployment(withSecretVariables(await this.toolchain(), secrets), ci);
    return asNewRun(container)
      .withDirectory(bundle, plan)
      .withExec(["infra", "apply", ...gateFlags(env, bundle, approve, allowDestroy)])
      .directory(bundle);
  }

  /**
   * `infra gate --env ENV --plan BUNDLE --json`: every gate's verdict, nothing applied; returns
   * verdicts.json. A refusing gate fails the call (the CLI exits 1), with the verdicts in its output.
   *
   * Example usage: dagger call gate --env prod --plan artifacts/prod --approve 0123456789ab ... -o verdicts.json
   */
  @func({ cache: "never" })
  async gate(
    /** Environment the bundle was made for */
    env: string,
    /** Plan bundle written by `plan` */
    plan: Directory,
    /** `--approve`: the first 12 hex digits of the plan digest, as `infra review` prints it */
    approve?: string,
    /** `--allow-destroy`, once each: addresses of protected resources the plan may delete or replace */
    allowDestroy?: string[],
    /** AWS access key id (the identity gate asks STS who this is), e.g. env://AWS_ACCESS_KEY_ID */
    awsAccessKeyId?: Secret,
    /** AWS secret access key, e.g. env://AWS_SECRET_ACCESS_KEY */
    awsSecretAccessKey?: Secret,
    /** AWS session token of temporary credentials, e.g. env://AWS_SESSION_TOKEN */
    awsSessionToken?: Secret,
    /** The key tfplan was encrypted with, when the plan was made with one, e.g. env://INFRA_PLAN_KEY */
    planKey?: Secret,
  ): Promise<File> {
    const bundle = bundleDir(env);
    const secrets = { ...awsCredentialVariables({ awsAccessKeyId, awsSecretAccessKey, awsSessionToken }), INFRA_PLAN_KEY: planKey };
    const container = withSecretVariables(await this.toolchain(), secrets);
    return asNewRun(container)
      .withDirectory(bundle, plan)
      .withExec(["infra", "gate", ...gateFlags(env, bundle, approve, allowDestroy), "--json"], { redirectStdout: `${GATE_DIR}/verdicts.json` })
      .file(`${GATE_DIR}/verdicts.json`);
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
   * `infra lock` as a generator: every root's .terraform.lock.hcl with provider hashes for linux
   * and darwin, amd64 and arm64, as the changes to this repository that `dagger generate` applies
   * (empty when the committed lock files are current, so a check can tell when they are stale).
   *
   * Example usage: dagger generate   (or: dagger call lock export --path .)
   */
  @func()
  @generate()
  async lock(): Promise<Changeset> {
    const locks = (await this.toolchain())
      .withExec(["infra", "lock"])
      .directory(`${SOURCE_DIR}/terraform`)
      .filter({ include: ["**/.terraform.lock.hcl"] });
    return this.source.withDirectory("terraform", locks).changes(this.source);
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

/** The flags `infra apply` and `infra gate` share (src/cli/gate-options.ts). */
function gateFlags(env: string, bundle: string, approve: string | undefined, allowDestroy: string[] | undefined): string[] {
  return [
    "--env",
    env,
    "--plan",
    bundle,
    ...(approve !== undefined ? ["--approve", approve] : []),
    ...(allowDestroy ?? []).flatMap((address) => ["--allow-destroy", address]),
  ];
}

interface CiDeployment {
  githubActions?: string;
  githubRunId?: string;
  githubRepository?: string;
  githubActor?: string;
  githubTriggeringActor?: string;
  deploymentEnvironment?: string;
}

/**
 * What the approval gate reads of a GitHub Actions run (src/cli/env.ts). The container sees none
 * of the runner's variables, so the workflow passes them; they are facts, not secrets. The CLI
 * decides whether they approve anything.
 */
function withCiDeployment(container: Container, ci: CiDeployment): Container {
  const variables: [string, string | undefined][] = [
    ["GITHUB_ACTIONS", ci.githubActions],
    ["GITHUB_RUN_ID", ci.githubRunId],
    ["GITHUB_REPOSITORY", ci.githubRepository],
    ["GITHUB_ACTOR", ci.githubActor],
    ["GITHUB_TRIGGERING_ACTOR", ci.githubTriggeringActor],
    ["INFRA_DEPLOYMENT_ENVIRONMENT", ci.deploymentEnvironment],
  ];
  let result = container;
  for (const [name, value] of variables) {
    if (value !== undefined) result = result.withEnvVariable(name, value);
  }
  return result;
}

interface AwsCredentials {
  awsAccessKeyId?: Secret;
  awsSecretAccessKey?: Secret;
  awsSessionToken?: Secret;
}

function awsCredentialVariables(credentials: AwsCredentials): Record<string, Secret | undefined> {
  return {
    AWS_ACCESS_KEY_ID: credentials.awsAccessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.awsSecretAccessKey,
    AWS_SESSION_TOKEN: credentials.awsSessionToken,
  };
}

/** Credentials and keys reach the CLI only as secret variables: never in a layer, a log or the cache key. */
function withSecretVariables(container: Container, variables: Record<string, Secret | undefined>): Container {
  let result = container;
  for (const [name, secret] of Object.entries(variables)) {
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
