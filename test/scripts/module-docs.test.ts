import { execFile } from "node:child_process";
import { appendFile, cp, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadModule, renderDocs, replaceBlock } from "../../scripts/module-docs.js";
import { REPO_ROOT, tempDir } from "../helpers.js";

const SCRIPT = path.join(REPO_ROOT, "scripts", "module-docs.ts");
const MODULES = path.join(REPO_ROOT, "terraform", "modules");

interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the script as `npm run docs` would, in its own process, from the repository root. */
function runScript(args: readonly string[]): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile("npx", ["tsx", SCRIPT, ...args], { cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: "0" } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A copy of the real modules directory to break on purpose. */
async function copyModules(): Promise<string> {
  const dir = path.join(await tempDir("module-docs"), "modules");
  await cp(MODULES, dir, { recursive: true, filter: (src) => !src.split(path.sep).includes(".terraform") });
  return dir;
}

describe("renderDocs", () => {
  it("renders requirements, inputs and outputs sorted by name, with folded types and HCL defaults", async () => {
    const dir = await tempDir("module-docs-inline");
    await writeFile(
      path.join(dir, "versions.tf"),
      `terraform {
  required_version = ">= 1.11"

  required_providers {
    random = {
      source = "hashicorp/random"
    }
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.28, < 7.0"
    }
  }
}
`,
    );
    await writeFile(
      path.join(dir, "variables.tf"),
      `variable "tags" {
  description = "Tags for | everything."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name of the thing."
  type        = string
}

variable "groups" {
  description = <<-EOT
    Groups, by name.
    Second line.
  EOT
  type = map(object({
    size   = number # nodes
    labels = optional(map(string), {})
  }))
  default = { a = { size = 1 } }
}

variable "kms_key_arn" {
  description = "Optional key."
  type        = string
  default     = null
}

variable "zones" {
  type    = list(string)
  default = ["a", "b"]
}
`,
    );
    await writeFile(
      path.join(dir, "outputs.tf"),
      `output "id" {
  description = "ID of the thing."
  value       = var.name
}

output "arn" {
  value = var.name
}
`,
    );

    expect(renderDocs(await loadModule(dir))).toBe(`## Requirements

| Name | Version |
|------|---------|
| terraform | >= 1.11 |
| aws | >= 6.28, < 7.0 |
| random | n/a |

## Inputs

| Name | Description | Type | Default | Required |
|------|-------------|------|---------|:--------:|
| \`groups\` | Groups, by name.<br>Second line. | \`map(object({ size = number, labels = optional(map(string), {}) }))\` | \`{ a = { size = 1 } }\` | no |
| \`kms_key_arn\` | Optional key. | \`string\` | \`null\` | no |
| \`name\` | Name of the thing. | \`string\` | n/a | yes |
| \`tags\` | Tags for \\| everything. | \`map(string)\` | \`{}\` | no |
| \`zones\` | n/a | \`list(string)\` | \`["a", "b"]\` | no |

## Outputs

| Name | Description |
|------|-------------|
| \`arn\` | n/a |
| \`id\` | ID of the thing. |
`);
  });

  it("says so when a module declares no requirements, inputs or outputs", () => {
    expect(renderDocs({ requirements: [], inputs: [], outputs: [] })).toBe(
      "## Requirements\n\nNo requirements.\n\n## Inputs\n\nNo inputs.\n\n## Outputs\n\nNo outputs.\n",
    );
  });
});

describe("replaceBlock", () => {
  const readme = "# mod\n\nIntro.\n\n<!-- BEGIN_TF_DOCS -->\nold docs\n<!-- END_TF_DOCS -->\n\nAfter.\n";

  it("replaces only the text between the markers", () => {
    expect(replaceBlock(readme, "## Inputs\n\nnew\n")).toBe(
      "# mod\n\nIntro.\n\n<!-- BEGIN_TF_DOCS -->\n## Inputs\n\nnew\n<!-- END_TF_DOCS -->\n\nAfter.\n",
    );
  });

  it("is idempotent", () => {
    const once = replaceBlock(readme, "new\n");
    expect(replaceBlock(once, "new\n")).toBe(once);
  });

  it("throws naming the file when the markers are missing", () => {
    expect(() => replaceBlock("# mod\n\nNo docs here.\n", "new\n", "modules/x/README.md")).toThrow(
      "modules/x/README.md has no <!-- BEGIN_TF_DOCS --> ... <!-- END_TF_DOCS --> block (each marker once, BEGIN first)",
    );
  });

  it("throws when the markers are out of order or repeated", () => {
    expect(() => replaceBlock("<!-- END_TF_DOCS -->\n<!-- BEGIN_TF_DOCS -->\n", "new\n")).toThrow("has no <!-- BEGIN_TF_DOCS -->");
    expect(() => replaceBlock(`${readme}${readme}`, "new\n")).toThrow("has no <!-- BEGIN_TF_DOCS -->");
  });
});

describe("scripts/module-docs.ts", () => {
  it("--check passes on the real terraform/modules and changes nothing", async () => {
    const before = await readFile(path.join(MODULES, "eks", "README.md"), "utf8");
    const result = await runScript(["--check"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const modules = (await readdir(MODULES, { withFileTypes: true })).filter((entry) => entry.isDirectory());
    expect(modules.length).toBeGreaterThan(0);
    expect(result.stdout).toContain(`module docs are up to date (${modules.length} READMEs)`);
    expect(await readFile(path.join(MODULES, "eks", "README.md"), "utf8")).toBe(before);
  });

  it("--check fails naming a README whose module gained a variable; a plain run fixes it", async () => {
    const modules = await copyModules();
    const readme = path.join(modules, "ecr", "README.md");
    const before = await readFile(readme, "utf8");
    await appendFile(
      path.join(modules, "ecr", "variables.tf"),
      `\nvariable "extra_flag" {\n  description = "A new switch."\n  type        = bool\n  default     = false\n}\n`,
    );

    const check = await runScript(["--check", "--modules", modules]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`out of date: ${readme}`);
    expect(check.stderr).not.toContain("eks/README.md");
    expect(check.stderr).toContain("run `npm run docs`");
    expect(await readFile(readme, "utf8")).toBe(before);

    const fix = await runScript(["--modules", modules]);
    expect(fix.code).toBe(0);
    expect(fix.stdout).toContain(`updated ${readme}`);
    const after = await readFile(readme, "utf8");
    expect(after).toContain("| `extra_flag` | A new switch. | `bool` | `false` | no |");
    // Only the block changed: the hand-written part above it is intact.
    expect(after.slice(0, after.indexOf("<!-- BEGIN_TF_DOCS -->"))).toBe(before.slice(0, before.indexOf("<!-- BEGIN_TF_DOCS -->")));

    expect((await runScript(["--check", "--modules", modules])).code).toBe(0);
  });

  it("fails naming the README of a module without the markers", async () => {
    const modules = await copyModules();
    const readme = path.join(modules, "networking", "README.md");
    const text = await readFile(readme, "utf8");
    await writeFile(readme, text.replace("<!-- BEGIN_TF_DOCS -->\n", ""));

    const result = await runScript(["--modules", modules]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: ${readme} has no <!-- BEGIN_TF_DOCS --> ... <!-- END_TF_DOCS --> block`);
  });

  it("rejects an unknown flag with exit 2 and prints usage on --help", async () => {
    const bad = await runScript(["--chek"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown argument: --chek");
    const help = await runScript(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--check");
    expect(help.stdout).toContain("--modules DIR");
  });
});
