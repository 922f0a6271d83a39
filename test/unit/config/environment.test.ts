import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  isPlaceholderAccountId,
  findPlaceholders,
  listEnvironments,
  listStacks,
  readEnvironment,
  readStack,
  requireRealAccount,
  type Environment,
} from "../../../src/config/environment.js";
import { ConfigError, InfraError, RefusedError } from "../../../src/errors.js";

const OPTIONS = {};

function facts({
  environment = "dev",
  region = '"eu-central-1"',
  accountId = '"123456789012"',
  promotedFrom = "null",
}: { environment?: string; region?: string; accountId?: string; promotedFrom?: string } = {}): string {
  return `locals {
  environment   = "${environment}"
  region        = ${region}
  account_id    = ${accountId}
  promoted_from = ${promotedFrom}
}
`;
}

function s3Backend(region: string): string {
  return `terraform {
  backend "s3" {
    bucket       = "state-bucket"
    key          = "infra.tfstate"
    region       = "${region}"
    use_lockfile = true
  }
}
`;
}

let root: string;

async function tree(files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

async function failure(promise: Promise<unknown>): Promise<InfraError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof InfraError)) throw new Error(`expected an InfraError, got ${String(error)}`);
  return error;
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "infra-env-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("listEnvironments", () => {
  it("returns the environment folders sorted, without files and dot-folders", async () => {
    await tree({
      "envs/prod/environment.tf": facts({ environment: "prod" }),
      "envs/dev/environment.tf": facts(),
      "envs/README.md": "not an env",
      "envs/.terraform/x": "",
    });
    expect(await listEnvironments(root)).toEqual(["dev", "prod"]);
  });

  it("throws a ConfigError naming the envs dir when it is missing", async () => {
    const error = await failure(listEnvironments(root));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`environment root ${path.join(root, "envs")} not found`);
    expect(error.hint).toContain("--root DIR");
  });

  it("throws a ConfigError when the terraform root itself is missing", async () => {
    const missing = path.join(root, "nope");
    const error = await failure(listEnvironments(missing));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`terraform root ${missing} not found`);
  });
});

describe("readEnvironment", () => {
  it("returns the facts of a valid environment", async () => {
    await tree({
      "envs/dev/environment.tf": facts(),
      "envs/dev/backend.tf": s3Backend("eu-central-1"),
      "envs/prod/environment.tf": facts({ environment: "prod", region: '"us-east-2"', accountId: '"210987654321"', promotedFrom: '"dev"' }),
    });
    const dev = await readEnvironment(root, "dev", OPTIONS);
    expect(dev).toMatchObject({
      name: "dev",
      root,
      dir: path.join(root, "envs", "dev"),
      factsFile: path.join(root, "envs", "dev", "environment.tf"),
      region: "eu-central-1",
      accountId: "123456789012",
      promotedFrom: null,
    });
    expect(dev.backend).toMatchObject({ type: "s3", file: path.join(root, "envs", "dev", "backend.tf") });
    expect(dev.backend?.config["region"]).toBe("eu-central-1");
    expect(dev.files.map((file) => path.basename(file.file))).toEqual(["backend.tf", "environment.tf"]);

    const prod = await readEnvironment(root, "prod", OPTIONS);
    expect(prod).toMatchObject({ region: "us-east-2", accountId: "210987654321", promotedFrom: "dev", backend: null });
  });

  it("throws for an unknown environment and lists the available ones", async () => {
    await tree({ "envs/dev/environment.tf": facts(), "envs/prod/environment.tf": facts({ environment: "prod" }) });
    const error = await failure(readEnvironment(root, "staging", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`unknown environment "staging": there is no ${path.join(root, "envs", "staging")}`);
    expect(error.hint).toBe("use one of: dev, prod");
  });

  it("throws for an unknown environment when none exist yet", async () => {
    await mkdir(path.join(root, "envs"));
    const error = await failure(readEnvironment(root, "dev", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.hint).toBe(`no environments exist under ${path.join(root, "envs")} yet`);
  });

  it("throws when the environment has no .tf files", async () => {
    await tree({ "envs/dev/notes.txt": "nothing" });
    const error = await failure(readEnvironment(root, "dev", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`environment root ${path.join(root, "envs", "dev")} has no .tf files`);
  });

  it("throws when the facts are missing", async () => {
    await tree({ "envs/dev/main.tf": 'locals {\n  name = "x"\n}\n' });
    const error = await failure(readEnvironment(root, "dev", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`no environment facts in ${path.join(root, "envs", "dev")}`);
    expect(error.hint).toContain(path.join(root, "envs", "dev", "environment.tf"));
    expect(error.hint).toContain("environment, region, account_id, promoted_from");
  });

  it("throws when the facts are split over two locals blocks", async () => {
    await tree({
      "envs/dev/environment.tf": 'locals {\n  environment = "dev"\n  region      = "eu-central-1"\n}\n',
      "envs/dev/account.tf": 'locals {\n  account_id    = "123456789012"\n  promoted_from = null\n}\n',
    });
    const error = await failure(readEnvironment(root, "dev", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain("environment facts are split over 2 locals blocks");
    expect(error.message).toContain(path.join(root, "envs", "dev", "account.tf"));
    expect(error.message).toContain(path.join(root, "envs", "dev", "environment.tf"));
    expect(error.hint).toContain("one locals block in environment.tf");
  });

  it("throws when the region is not an AWS region name", async () => {
    await tree({ "envs/dev/environment.tf": facts({ region: '"europe"' }) });
    const error = await failure(readEnvironment(root, "dev", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`region "europe" in ${path.join(root, "envs", "dev", "environment.tf")} is not an AWS region name`);
    expect(error.hint).toContain('"eu-central-1"');
  });

  it("throws when the account id is not 12 digits", async () => {
    await tree({ "envs/dev/environment.tf": facts({ accountId: '"12345"' }) });
    const error = await failure(readEnvironment(root, "dev", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `account_id "12345" in ${path.join(root, "envs", "dev", "environment.tf")} is not a 12-digit AWS account id`,
    );
  });

  it("throws when a fact is not a literal string", async () => {
    await tree({ "envs/dev/environment.tf": facts({ accountId: "123456789012" }) });
    const error = await failure(readEnvironment(root, "dev", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`account_id in ${path.join(root, "envs", "dev", "environment.tf")} must be a literal string`);
  });

  it("throws when promoted_from names an environment that does not exist", async () => {
    await tree({
      "envs/dev/environment.tf": facts(),
      "envs/prod/environment.tf": facts({ environment: "prod", region: '"us-east-2"', promotedFrom: '"staging"' }),
    });
    const error = await failure(readEnvironment(root, "prod", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `promoted_from = "staging" in ${path.join(root, "envs", "prod", "environment.tf")} does not name another environment`,
    );
    expect(error.hint).toBe("use one of: dev, or null");
  });

  it("throws when promoted_from names the environment itself", async () => {
    await tree({ "envs/dev/environment.tf": facts({ promotedFrom: '"dev"' }) });
    const error = await failure(readEnvironment(root, "dev", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('promoted_from = "dev"');
    expect(error.hint).toBe("use one of: (none), or null");
  });

  it("defaults protected to false and max_plan_age to 24h, and reads them when set", async () => {
    const withExtra = (extra: string) => facts({ environment: "prod", region: '"us-east-2"' }).replace("}\n", `${extra}\n}\n`);
    await tree({ "envs/dev/environment.tf": facts(), "envs/prod/environment.tf": withExtra('  protected = true\n  max_plan_age = "90m"') });
    expect(await readEnvironment(root, "dev", OPTIONS)).toMatchObject({ protected: false, maxPlanAgeMs: 24 * 3_600_000 });
    expect(await readEnvironment(root, "prod", OPTIONS)).toMatchObject({ protected: true, maxPlanAgeMs: 90 * 60_000 });
  });

  it.each([
    ['protected = "yes"', "protected in", "must be true or false"],
    ['max_plan_age = "1 day"', 'max_plan_age "1 day" in', "is not a duration"],
    ['max_plan_age = "0h"', 'max_plan_age "0h" in', "is not a duration"],
  ])("throws a ConfigError for %s", async (line, start, end) => {
    await tree({ "envs/dev/environment.tf": facts().replace("}\n", `  ${line}\n}\n`) });
    const error = await failure(readEnvironment(root, "dev", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`${start} ${path.join(root, "envs", "dev", "environment.tf")} ${end}`);
  });

  it("throws when the backend keeps state in another region", async () => {
    await tree({ "envs/dev/environment.tf": facts(), "envs/dev/backend.tf": s3Backend("us-east-1") });
    const error = await failure(readEnvironment(root, "dev", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `the s3 backend in ${path.join(root, "envs", "dev", "backend.tf")} keeps state in us-east-1, but the environment is in eu-central-1`,
    );
    expect(error.hint).toContain('"eu-central-1"');
  });

  it("throws when the facts name another environment than the folder", async () => {
    await tree({ "envs/dev/environment.tf": facts({ environment: "prod" }) });
    const error = await failure(readEnvironment(root, "dev", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`${path.join(root, "envs", "dev", "environment.tf")} says environment = "prod" but lives in envs/dev`);
    expect(error.hint).toBe('set environment = "dev" or move the folder');
  });

  it("throws for invalid HCL, naming the file and the line", async () => {
    await tree({ "envs/dev/environment.tf": 'locals {\n  environment = "dev"\n  region = = "eu-central-1"\n}\n' });
    const error = await failure(readEnvironment(root, "dev", OPTIONS));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`invalid HCL in ${path.join(root, "envs", "dev", "environment.tf")} line 3, column 12: Invalid expression`);
    expect(error.hint).toContain("terraform fmt");
  });
});

describe("stacks", () => {
  it("lists environments, bootstrap stacks and the top-level roots of the tree, and never modules or linked folders", async () => {
    await tree({
      "envs/dev/environment.tf": facts(),
      "bootstrap/dev/environment.tf": facts(),
      "org/management.tf": facts({ environment: "org", region: '"us-east-1"' }),
      "modules/vpc/main.tf": "",
      "docs/README.md": "",
    });
    await symlink(path.join(root, "org"), path.join(root, "linked-org"));
    expect(await listStacks(root)).toEqual(["bootstrap/dev", "envs/dev", "org"]);
  });

  it("reads an account stack as one, its environment from its facts; an environment's root as an environment", async () => {
    await tree({ "envs/dev/environment.tf": facts(), "bootstrap/dev/environment.tf": facts(), "org/management.tf": facts({ environment: "org", region: '"us-east-1"' }) });
    expect(await readStack(root, "bootstrap/dev/", OPTIONS)).toMatchObject({ name: "dev", stack: "bootstrap/dev", accountStack: true, management: false, dir: path.join(root, "bootstrap", "dev") });
    expect(await readStack(root, "org", OPTIONS)).toMatchObject({ name: "org", stack: "org", accountStack: true, management: true, region: "us-east-1" });
    expect(await readStack(root, "envs/dev", OPTIONS)).toMatchObject({ name: "dev", stack: "envs/dev", accountStack: false });
  });

  it("refuses a bootstrap stack whose facts name another environment than its folder", async () => {
    await tree({ "envs/dev/environment.tf": facts(), "envs/prod/environment.tf": facts({ environment: "prod" }), "bootstrap/dev/environment.tf": facts({ environment: "prod" }) });
    const error = await failure(readStack(root, "bootstrap/dev", OPTIONS));
    expect(error.message).toBe(`${path.join(root, "bootstrap", "dev", "environment.tf")} says environment = "prod" but lives in bootstrap/dev`);
  });
});

describe("findPlaceholders", () => {
  it("names each template value no organisation can apply, with its file, and never a variable's description", async () => {
    await tree({
      "org/terraform.tfvars": 'emails = { dev = "aws+dev@example.com", prod = "ops@corp-mail.net" }\n',
      "org/management.tf": 'locals {\n  account_id = "000000000000"\n}\n',
      "org/main.tf": [
        'variable "email" {\n  description = "e.g. someone@example.com"\n  type        = string\n}',
        'locals {\n  admin = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_Admin_0000000000000000"\n  repository = "example-org/infra"\n}',
      ].join("\n"),
    });
    const found = await findPlaceholders(path.join(root, "org"), OPTIONS);
    const file = (name: string) => path.join(root, "org", name);
    expect(found.sort()).toEqual(
      [
        `${file("main.tf")}: placeholder GitHub repository example-org/infra; set this repository's owner/name`,
        `${file("main.tf")}: placeholder Identity Center role AWSReservedSSO_Admin_0000000000000000; name the role IAM Identity Center created`,
        `${file("management.tf")}: placeholder account id 000000000000; set the real account id`,
        `${file("terraform.tfvars")}: placeholder e-mail aws+dev@example.com; set an address someone reads`,
      ].sort(),
    );
  });
});

describe("isPlaceholderAccountId", () => {
  it.each([
    ["111111111111", true],
    ["000000000000", true],
    ["123456789012", false],
    ["11111111111", false],
    ["1111111111111", false],
  ])("returns %s -> %s", (accountId, expected) => {
    expect(isPlaceholderAccountId(accountId)).toBe(expected);
  });
});

describe("requireRealAccount", () => {
  const environment: Environment = {
    name: "prod",
    root: "/repo/terraform",
    stack: "envs/prod",
    accountStack: false,
    management: false,
    dir: "/repo/terraform/envs/prod",
    factsFile: "/repo/terraform/envs/prod/environment.tf",
    region: "us-east-2",
    accountId: "222222222222",
    promotedFrom: "dev",
    protected: false,
    maxPlanAgeMs: 86_400_000,
    backend: null,
    files: [],
  };

  it("throws a RefusedError for a placeholder account id", () => {
    expect(() => requireRealAccount(environment)).toThrow(RefusedError);
    expect(() => requireRealAccount(environment)).toThrow('environment "prod" still has the placeholder account id 222222222222');
    try {
      requireRealAccount(environment);
    } catch (error) {
      expect((error as RefusedError).hint).toBe(
        "edit /repo/terraform/envs/prod/environment.tf: set account_id to the prod AWS account's id",
      );
    }
  });

  it("returns for a real account id", () => {
    expect(() => requireRealAccount({ ...environment, accountId: "210987654321" })).not.toThrow();
  });
});
