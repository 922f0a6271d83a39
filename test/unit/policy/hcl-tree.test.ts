import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readEnvironment } from "../../../src/config/environment.js";
import { hclResources, loadPolicyTree, resolve, type PolicyTree } from "../../../src/policy/hcl-tree.js";
import { evaluateTree } from "../../../src/policy/index.js";
import { UNKNOWN } from "../../../src/policy/resources.js";

const workspaces: string[] = [];
afterAll(async () => {
  await Promise.all(workspaces.map((dir) => rm(dir, { recursive: true, force: true })));
});

const FACTS = 'locals {\n  environment   = "dev"\n  region        = "eu-central-1"\n  account_id    = "123456789012"\n  promoted_from = null\n}\n';

/** A chain of 41 locals, c0 -> c1 -> ... -> c40 = "us-west-2": longer than the resolver's depth limit (32). */
const CHAIN = `${Array.from({ length: 40 }, (_, index) => `  c${index} = local.c${index + 1}`).join("\n")}\n  c40 = "us-west-2"\n`;

const ROOT = `locals {
${CHAIN}  a    = local.b
  b    = local.a
  near = "eu-central-1"
}

module "first" {
  source = "../../modules/service"
  name   = "first"
  region = local.near
}

module "second" {
  source = "../../modules/service"
  name   = "second"
  region = "us-east-2"
}

module "deep" {
  source = "../../modules/service"
  name   = "deep"
  region = local.c0
}

resource "aws_ecr_repository" "cycle" {
  name   = local.a
  region = local.b
}
`;

const SERVICE = `variable "name" {
  type = string
}

variable "region" {
  type = string
}

locals {
  full = "\${var.name}-service"
}

resource "aws_ecr_repository" "this" {
  name   = local.full
  region = var.region
}
`;

/** A fresh tree each time: resolutions are remembered per tree, and each test wants its own order of questions. */
async function loadTree(moduleFiles: Record<string, string> = {}): Promise<PolicyTree> {
  const workspace = await mkdtemp(path.join(tmpdir(), "infra-hcl-tree-"));
  workspaces.push(workspace);
  const root = path.join(workspace, "terraform");
  await mkdir(path.join(root, "envs", "dev"), { recursive: true });
  await mkdir(path.join(root, "modules", "service"), { recursive: true });
  await writeFile(path.join(root, "envs", "dev", "environment.tf"), FACTS);
  await writeFile(path.join(root, "envs", "dev", "main.tf"), ROOT);
  await writeFile(path.join(root, "modules", "service", "main.tf"), SERVICE);
  for (const [name, text] of Object.entries(moduleFiles)) await writeFile(path.join(root, "modules", "service", name), text);
  return loadPolicyTree(await readEnvironment(root, "dev", {}), {});
}

function resource(tree: PolicyTree, address: string) {
  const found = hclResources(tree).find((candidate) => candidate.address === address);
  if (!found) throw new Error(`no ${address}`);
  return found;
}

function instance(tree: PolicyTree, address: string) {
  const found = tree.instances.find((candidate) => candidate.address === address);
  if (!found) throw new Error(`no instance ${address}`);
  return found;
}

describe("resolving expressions in a policy tree", () => {
  it("resolves the same module's variables and locals per instance, with each caller's inputs", async () => {
    const tree = await loadTree();
    expect(resource(tree, "module.first.aws_ecr_repository.this").values("region")).toEqual(["eu-central-1"]);
    expect(resource(tree, "module.second.aws_ecr_repository.this").values("region")).toEqual(["us-east-2"]);
    expect(resource(tree, "module.first.aws_ecr_repository.this").values("name")).toEqual(["first-service"]);
    expect(resource(tree, "module.second.aws_ecr_repository.this").values("name")).toEqual(["second-service"]);
    // Asked again, in the other order: still each instance's own.
    expect(resolve(instance(tree, "module.second"), "${var.region}").value).toBe("us-east-2");
    expect(resolve(instance(tree, "module.first"), "${var.region}").value).toBe("eu-central-1");
  });

  it("leaves a cycle unresolved, and answers it the same however often and in whatever order it is asked", async () => {
    const fresh = await loadTree();
    const aFirst = resolve(instance(fresh, ""), "${local.a}").value;
    const bFresh = resolve(instance(await loadTree(), ""), "${local.b}").value;
    // Resolving a passed through b on its way round the cycle; b asked afterwards is answered as if asked first.
    expect(resolve(instance(fresh, ""), "${local.b}").value).toBe(bFresh);
    expect(resolve(instance(fresh, ""), "${local.a}").value).toBe(aFirst);
    expect([aFirst, bFresh].every((value) => typeof value === "string" && value.startsWith("${local."))).toBe(true);
    const cycle = resource(fresh, "aws_ecr_repository.cycle");
    expect(cycle.values("region")).toEqual([UNKNOWN]);
    expect(cycle.values("name")).toEqual([UNKNOWN]);
  });

  it("cuts a chain longer than the depth limit the same way whether or not part of it was resolved before", async () => {
    const untouched = await loadTree();
    const deepFirst = resource(untouched, "module.deep.aws_ecr_repository.this").values("region");
    expect(deepFirst).toEqual([UNKNOWN]);

    const warmed = await loadTree();
    // local.c8 is 32 hops from its literal: from the root it resolves, and is remembered...
    expect(resolve(instance(warmed, ""), "${local.c8}").value).toBe("us-west-2");
    // ...but module.deep reaches c8 nine hops down, where the rest of the chain is past the limit.
    expect(resource(warmed, "module.deep.aws_ecr_repository.this").values("region")).toEqual(deepFirst);
    expect(resolve(instance(warmed, "module.deep"), "${var.region}").value).toBe(resolve(instance(untouched, "module.deep"), "${var.region}").value);
  });
});

describe("the texts of a policy tree", () => {
  it("finds an access key id in any file, with its line, though no file's text is kept without one", async () => {
    const tree = await loadTree({ "keys.tf": `# Zürich – 東京\nlocals {\n  leaked = "${"AKIA"}${"ABCDEFGHIJKLMNOP"}"\n}\n` });
    const file = path.join(tree.environment.root, "modules", "service", "keys.tf");
    const findings = evaluateTree(tree).filter((finding) => finding.rule === "account-static-keys");
    expect(findings).toEqual([expect.objectContaining({ file, line: 3 })]);
    expect(tree.texts.holdsSearchedWord(file)).toBe(true);
    expect(tree.texts.holdsSearchedWord(path.join(tree.environment.root, "modules", "service", "main.tf"))).toBe(false);
  });

  it("gives the line of an attribute from the text that was parsed, and none once the file has changed", async () => {
    const tree = await loadTree();
    const repository = resource(tree, "module.first.aws_ecr_repository.this");
    expect(repository.lineOf("region")).toBe(SERVICE.split("\n").findIndex((line) => line.includes("region = var.region")) + 1);

    const changed = await loadTree();
    const file = path.join(changed.environment.root, "modules", "service", "main.tf");
    await writeFile(file, `# moved down a line\n${SERVICE}`);
    expect(resource(changed, "module.first.aws_ecr_repository.this").lineOf("region")).toBeUndefined();
    expect(changed.texts.get(file)).toBeUndefined();
  });
});
