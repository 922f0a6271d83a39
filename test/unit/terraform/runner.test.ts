import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { StalePlanError, StateLockedError, TerraformError } from "../../../src/errors.js";
import { classifyFailure, describeLockHolder, errorTail, isRegistryUnreachable, REQUIRED_TERRAFORM_VERSION, Terraform, terraformMissing } from "../../../src/terraform/runner.js";
import { ToolError } from "../../../src/errors.js";

// stderr texts below were captured from terraform 1.11.4 (-no-color, TF_IN_AUTOMATION=1) on a
// host whose TF_CLI_CONFIG_FILE points at a missing file, hence the warning box on top.
const CLI_CONFIG_WARNING = `There are some problems with the CLI configuration:
╷
│ Warning: Unable to open CLI configuration file
│
│ The CLI configuration file at "/root/.terraformrc" does not exist.
╵

`;

// `terraform apply p2` after p1 (planned from the same state) was applied.
const STALE_PLAN = `${CLI_CONFIG_WARNING}
Error: Saved plan is stale

The given plan file can no longer be applied because the state was changed by
another operation after the plan was created.
`;

// `terraform plan -lock-timeout=0s` while an apply (local backend) was running.
const STATE_LOCKED = `${CLI_CONFIG_WARNING}
Error: Error acquiring the state lock

Error message: resource temporarily unavailable
Lock Info:
  ID:        e2587349-e6e3-99cd-0879-5c7ba08c5757
  Path:      terraform.tfstate
  Operation: OperationTypeApply
  Who:       root@vm
  Version:   1.11.4
  Created:   2026-11-29 05:03:46.788361695 +0000 UTC
  Info:      


Terraform acquires a state lock to protect the state from being written
by multiple users at the same time. Please resolve the issue above and try
again. For most commands, you can disable locking with the "-lock=false"
flag, but this is not recommended.
`;

// `terraform init` offline, with a required_providers entry for hashicorp/null.
const PROVIDER_REGISTRY_UNREACHABLE = `${CLI_CONFIG_WARNING}
Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider
hashicorp/null: could not connect to registry.example.test: failed to request
discovery document: Get
"https://registry.example.test/.well-known/terraform.json": dial tcp: lookup
registry.example.test on 127.0.0.53:53: no such host

To see which modules are currently depending on hashicorp/null and what
versions are specified, run the following command:
    terraform providers
`;

// `terraform init` offline, with a registry module (terraform-aws-modules/vpc/aws).
const MODULE_REGISTRY_UNREACHABLE = `${CLI_CONFIG_WARNING}
Error: Error accessing remote module registry

  on main.tf line 1:
   1: module "vpc" {

Failed to retrieve available versions for module "vpc" (main.tf:1) from
registry.example.test: failed to request discovery document: Get
"https://registry.example.test/.well-known/terraform.json": dial tcp: lookup
registry.example.test on 127.0.0.53:53: no such host.
`;

// `terraform plan` with a reference to an undeclared variable.
const UNDECLARED_VARIABLE = `${CLI_CONFIG_WARNING}
Error: Reference to undeclared input variable

  on main.tf line 2, in resource "terraform_data" "this":
   2:   input = var.missing

An input variable with the name "missing" has not been declared. This
variable can be declared with a variable "missing" {} block.
`;

function result(stderr: string, exitCode = 1) {
  return { exitCode, stdout: "", stderr };
}

describe("classifyFailure", () => {
  it("returns a StalePlanError for a stale saved plan", () => {
    const error = classifyFailure(["apply", "-input=false", "-no-color", "tfplan"], result(STALE_PLAN));
    expect(error).toBeInstanceOf(StalePlanError);
    expect(error.message).toBe("the plan is stale: the state changed after this plan was made, so terraform refused to apply it");
    expect(error.terraformExitCode).toBe(1);
    expect(error.stderrTail).toBe(
      "Error: Saved plan is stale\n\nThe given plan file can no longer be applied because the state was changed by\nanother operation after the plan was created.",
    );
  });

  it("returns a StateLockedError when the state is locked", () => {
    const error = classifyFailure(["plan"], result(STATE_LOCKED));
    expect(error).toBeInstanceOf(StateLockedError);
    expect(error).not.toBeInstanceOf(StalePlanError);
    expect(error.message).toBe(
      "the state is locked: another terraform run on this environment is in progress (held by root@vm for apply since 2026-11-29 05:03:46.788361695 +0000 UTC, lock ID e2587349-e6e3-99cd-0879-5c7ba08c5757)",
    );
    expect(error.hint).toContain("terraform force-unlock <ID>");
    expect(error.stderrTail).toContain("ID:        e2587349-e6e3-99cd-0879-5c7ba08c5757");
  });

  it("returns a registry error when providers cannot be queried", () => {
    const error = classifyFailure(["init", "-input=false"], result(PROVIDER_REGISTRY_UNREACHABLE));
    expect(error.constructor).toBe(TerraformError);
    expect(error.message).toBe("terraform init could not download providers or modules: the registry is unreachable");
    expect(error.stderrTail.startsWith("Error: Failed to query available provider packages")).toBe(true);
  });

  // terraform 1.11.4 words an unreachable registry differently for modules than for providers.
  it("returns a registry error when a registry module cannot be queried", () => {
    const error = classifyFailure(["init"], result(MODULE_REGISTRY_UNREACHABLE));
    expect(error.message).toBe("terraform init could not download providers or modules: the registry is unreachable");
  });

  it("returns a generic TerraformError naming the command and exit code otherwise", () => {
    const error = classifyFailure(["plan", "-input=false"], result(UNDECLARED_VARIABLE));
    expect(error.constructor).toBe(TerraformError);
    expect(error.message).toBe("terraform plan failed (exit 1)");
    expect(error.hint).toBe("read terraform's message below; fix the configuration it names and run again");
    expect(error.stderrTail.split("\n")[0]).toBe("Error: Reference to undeclared input variable");
  });
});

describe("describeLockHolder", () => {
  it("returns an empty string when stderr has no Lock Info", () => {
    expect(describeLockHolder("Error: something else")).toBe("");
  });

  it("reads the boxed Lock Info of an S3 lock file too", () => {
    const boxed = "│ Lock Info:\n│   ID:        abc\n│   Who:       ci@runner\n│   Operation: OperationTypePlan\n";
    expect(describeLockHolder(boxed)).toBe(" (held by ci@runner for plan, lock ID abc)");
  });
});

describe("isRegistryUnreachable", () => {
  it.each([
    ["Error: Failed to install provider", true],
    ["Error: Failed to download module", true],
    ["could not connect to registry.example.test", true],
    ["Error: Invalid expression", false],
  ])("returns %s -> %s", (stderr, expected) => {
    expect(isRegistryUnreachable(stderr)).toBe(expected);
  });
});

describe("errorTail", () => {
  it("drops the CLI-config warning box before the first error", () => {
    const tail = errorTail(UNDECLARED_VARIABLE);
    expect(tail).not.toContain("CLI configuration");
    expect(tail).not.toContain("Warning:");
    expect(tail).toBe(
      [
        "Error: Reference to undeclared input variable",
        "",
        '  on main.tf line 2, in resource "terraform_data" "this":',
        "   2:   input = var.missing",
        "",
        'An input variable with the name "missing" has not been declared. This',
        'variable can be declared with a variable "missing" {} block.',
      ].join("\n"),
    );
  });

  it("starts at a boxed error line too", () => {
    expect(errorTail("noise\n╷\n│ Error: Bad thing\n│\n│ detail\n╵\n")).toBe("│ Error: Bad thing\n│\n│ detail\n╵");
  });

  it("keeps only the last 25 lines", () => {
    const lines = Array.from({ length: 40 }, (_, index) => `line ${index}`);
    const tail = errorTail(["Error: many", ...lines].join("\n"));
    expect(tail.split("\n")).toHaveLength(25);
    expect(tail.split("\n")[0]).toBe("line 15");
    expect(tail.split("\n")[24]).toBe("line 39");
  });

  it("returns the trimmed stderr when there is no Error line", () => {
    expect(errorTail("\nsomething odd happened\n")).toBe("something odd happened");
  });
});

describe("terraformMissing", () => {
  it("returns a ToolError naming the binary", () => {
    const error = terraformMissing("/opt/tf/terraform");
    expect(error).toBeInstanceOf(ToolError);
    expect(error.message).toBe("terraform not found: `/opt/tf/terraform` is not on PATH");
    expect(error.hint).toContain("terraform 1.11.4");
  });
});

describe("Terraform.run", () => {
  it("returns stdout, or skips reading it when told to discard it, and leaves no output files behind", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "infra-runner-"));
    try {
      const terraform = new Terraform({ binary: "terraform", cwd: dataDir, dataDir, env: process.env });
      const kept = await terraform.run(["version"]);
      expect(kept.stdout).toContain(`Terraform v${REQUIRED_TERRAFORM_VERSION}`);
      const discarded = await terraform.run(["version"], { discardStdout: true });
      expect(discarded).toMatchObject({ exitCode: 0, stdout: "" });
      expect(await readdir(path.join(dataDir, "output"))).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("still classifies a failure from stderr when stdout is discarded", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "infra-runner-"));
    try {
      const terraform = new Terraform({ binary: "terraform", cwd: dataDir, dataDir, env: process.env });
      const failure = await terraform.run(["show", "-no-color", path.join(dataDir, "no-such-plan")], { discardStdout: true }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TerraformError);
      expect((failure as TerraformError).stderrTail).toMatch(/no-such-plan/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
