import { writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { exec, findExecutable } from "../../../src/process.js";
import type { AttributeChange } from "../../../src/review/diff.js";
import type { PlanJson } from "../../../src/review/plan-json.js";
import { summarizePlanText } from "../../../src/workflow/review.js";
import { skipBecause, tempDir } from "../../helpers.js";

/**
 * The review's element diff against what `terraform show -no-color` prints for the same plan, on
 * plans real terraform makes from terraform_data resources (offline, built-in provider): the same
 * list elements removed, added, changed in place and unchanged; for a create and a destroy, the
 * same values.
 */
const FIRST = `
resource "terraform_data" "removed_in_middle" { input = ["a", "b", "c", "d", "e"] }
resource "terraform_data" "set_update" { input = toset(["a", "b", "c", "x", "y"]) }
resource "terraform_data" "objects_reordered" { input = [{ n = "a", v = 1 }, { n = "b", v = 2 }, { n = "c", v = 3 }] }
resource "terraform_data" "object_changed" { input = [{ n = "a", v = 1 }, { n = "b", v = 2 }, { n = "c", v = 3 }, { n = "d", v = 4 }] }
resource "terraform_data" "policies" { input = { arns = ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B", "arn:aws:iam::aws:policy/C"] } }
resource "terraform_data" "destroyed" { input = { name = "old", tags = { team = "x" }, list = ["p", "q"] } }
`;

const SECOND = `
resource "terraform_data" "removed_in_middle" { input = ["a", "b", "d", "e"] }
resource "terraform_data" "set_update" { input = toset(["a", "c", "d", "x"]) }
resource "terraform_data" "objects_reordered" { input = [{ n = "c", v = 3 }, { n = "a", v = 1 }, { n = "b", v = 2 }] }
resource "terraform_data" "object_changed" { input = [{ n = "a", v = 1 }, { n = "b", v = 20 }, { n = "d", v = 4 }] }
resource "terraform_data" "policies" { input = { arns = ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/C", "arn:aws:iam::aws:policy/D", "arn:aws:iam::aws:policy/E"] } }
resource "terraform_data" "created" {
  input = { name = "n", nested = { rules = [{ port = 80, cidrs = ["10.0.0.0/8", "192.168.0.0/16"] }], empty = [], none = null } }
}
`;

/** What a list shows: elements as comparable text (primitives as JSON, objects as sorted `key=value`). */
interface ElementDiff {
  removed: string[];
  added: string[];
  changed: number;
  unchanged: number;
}

function normalise(value: unknown): string {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return `{${Object.entries(value)
      .map(([key, item]) => `${key}=${JSON.stringify(item)}`)
      .sort()
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The lines terraform prints for one resource, from its `# ADDRESS ...` comment to its closing brace. */
function resourceBlock(show: string, address: string): string[] {
  const lines = show.split("\n");
  const start = lines.findIndex((line) => line.startsWith(`  # ${address} `));
  expect(start, `terraform show prints ${address}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, index) => index > start && line === "    }");
  return lines.slice(start, end + 1);
}

/**
 * Reads a list attribute out of terraform's rendering: its elements sit 4 columns right of the
 * attribute's action symbol, each with its own symbol (`+`, `-`, `~`, or none when unchanged);
 * `# (N unchanged elements hidden)` counts the rest.
 */
function terraformList(block: string[], attributePath: RegExp): ElementDiff {
  const start = block.findIndex((line) => attributePath.test(line));
  expect(start, `terraform shows ${attributePath}`).toBeGreaterThanOrEqual(0);
  const column = (block[start] as string).search(/[~+\- ] [A-Za-z_]/);
  const result: ElementDiff = { removed: [], added: [], changed: 0, unchanged: 0 };
  for (let i = start + 1; i < block.length; i += 1) {
    const line = block[i] as string;
    const content = line.slice(column + 6);
    if (line.slice(0, column + 2).trim() === "" && line.slice(column + 2).startsWith("]")) break;
    const hidden = /^# \((\d+) unchanged elements? hidden\)/.exec(line.slice(column + 4).trimStart());
    if (hidden && line.slice(0, column + 4).trim() === "") {
      result.unchanged += Number(hidden[1]);
      continue;
    }
    const symbol = line.slice(column + 4, column + 6);
    if (!/^[~+\- ] $/.test(symbol) || content === "" || content.startsWith(" ") || content.startsWith("}")) continue;
    let element: string;
    if (content.startsWith("{")) {
      const members: string[] = [];
      for (i += 1; !(block[i] as string).slice(column + 6).startsWith("}"); i += 1) {
        const member = /^\s*[~+\-]?\s*([A-Za-z_][\w-]*)\s+= (.*)$/.exec(block[i] as string);
        if (member) members.push(`${member[1]}=${(member[2] as string).replace(/^.* -> /, "")}`);
      }
      element = `{${members.sort().join(",")}}`;
    } else {
      element = content.replace(/,$/, "");
    }
    if (symbol === "+ ") result.added.push(element);
    else if (symbol === "- ") result.removed.push(element);
    else if (symbol === "~ ") result.changed += 1;
    else result.unchanged += 1;
  }
  return { ...result, removed: result.removed.sort(), added: result.added.sort() };
}

/** The same out of the review's attribute lines, with element values looked up in the plan by the index each line names. */
function reviewList(attributes: readonly AttributeChange[], listPath: string, before: unknown[], after: unknown[]): ElementDiff & { moved: string[] } {
  const result: ElementDiff & { moved: string[] } = { removed: [], added: [], changed: 0, unchanged: 0, moved: [] };
  const byIndex = new Map<number, { before: boolean; after: boolean; whole: boolean }>();
  const prefix = `${listPath}[`;
  for (const attribute of attributes) {
    if (attribute.path === listPath && attribute.unchanged !== undefined) {
      result.unchanged += attribute.unchanged;
      continue;
    }
    if (!attribute.path.startsWith(prefix)) continue;
    const index = Number(/^\[(\d+)\]/.exec(attribute.path.slice(listPath.length))?.[1]);
    if (attribute.movedTo !== undefined) {
      const moved = normalise(before[index]);
      expect(normalise(after[Number(/\[(\d+)\]$/.exec(attribute.movedTo)?.[1])])).toBe(moved);
      result.moved.push(moved);
      continue;
    }
    const seen = byIndex.get(index) ?? { before: false, after: false, whole: false };
    seen.before ||= attribute.before !== undefined;
    seen.after ||= attribute.after !== undefined;
    byIndex.set(index, seen);
  }
  for (const [index, seen] of byIndex) {
    if (seen.before && seen.after) result.changed += 1;
    else if (seen.before) result.removed.push(normalise(before[index]));
    else result.added.push(normalise(after[index]));
  }
  return { ...result, removed: result.removed.sort(), added: result.added.sort() };
}

/** Leaf values terraform prints for a create or a destroy (nulls, which a resource's review leaves out, excepted). */
function terraformLeaves(block: string[], symbol: "+" | "-"): string[] {
  const values: string[] = [];
  for (const line of block.slice(2)) {
    const assignment = new RegExp(`^\\s*\\${symbol} [^=]*?\\s= (.*?)(?: -> null)?$`).exec(line);
    const element = new RegExp(`^\\s*\\${symbol} ([^{\\[].*),$`).exec(line);
    const value = assignment?.[1] ?? element?.[1];
    if (value === undefined || value === "{" || value === "[" || value === "null") continue;
    values.push(value);
  }
  return values.sort();
}

describe("the review's element diff beside terraform show -no-color", () => {
  let show = "";
  let plan: PlanJson;
  let attributesOf: (address: string) => AttributeChange[];
  let terraformMissing = false;

  beforeAll(async () => {
    const terraform = await findExecutable("terraform", process.env["PATH"] ?? "");
    if (!terraform) {
      terraformMissing = true;
      return;
    }
    const dir = await tempDir("terraform-show");
    const run = async (...args: string[]) => {
      const result = await exec(terraform, args, { cwd: dir, env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" } });
      expect(result.exitCode, `terraform ${args.join(" ")}: ${result.stderr}`).toBe(0);
      return result.stdout;
    };
    await writeFile(path.join(dir, "main.tf"), FIRST);
    await run("init", "-input=false", "-no-color");
    await run("apply", "-auto-approve", "-input=false", "-no-color");
    await writeFile(path.join(dir, "main.tf"), SECOND);
    await run("plan", "-input=false", "-no-color", "-out", "plan.tfplan");
    show = await run("show", "-no-color", "plan.tfplan");
    const json = await run("show", "-json", "plan.tfplan");
    plan = JSON.parse(json) as PlanJson;
    const summary = summarizePlanText(json, "plan.json");
    attributesOf = (address) => summary.resources.find((resource) => resource.address === address)?.attributes ?? [];
  }, 120_000);

  const inputs = (address: string, key?: string): [unknown[], unknown[]] => {
    const change = plan.resource_changes?.find((resource) => resource.address === address)?.change;
    const pick = (value: unknown) => {
      const input = (value as { input: unknown }).input;
      return (key ? (input as Record<string, unknown>)[key] : input) as unknown[];
    };
    return [pick(change?.before), pick(change?.after)];
  };

  it.for<[string, string, string | undefined]>([
    ["a list with an element removed in the middle", "terraform_data.removed_in_middle", undefined],
    ["a set update", "terraform_data.set_update", undefined],
    ["a list of objects reordered", "terraform_data.objects_reordered", undefined],
    ["a list of objects with one changed and one removed", "terraform_data.object_changed", undefined],
    ["a list of ARNs in an object, one removed and two added", "terraform_data.policies", "arns"],
  ])("%s: the same elements removed, added, changed and unchanged", ([, address, key], context) => {
    if (terraformMissing) skipBecause(context, "terraform is not on PATH");
    const block = resourceBlock(show, address);
    const shown = terraformList(block, key ? new RegExp(`[~+\\- ] ${key}\\s+= \\[$`) : /[~+\- ] input\s+= \[$/);
    const [before, after] = inputs(address, key);
    const reviewed = reviewList(attributesOf(address), key ? `input.${key}` : "input", before, after);
    // terraform prints a moved element as removed where it was and added where it goes.
    const { moved, ...rest } = reviewed;
    expect({ ...rest, removed: [...rest.removed, ...moved].sort(), added: [...rest.added, ...moved].sort() }).toEqual(shown);
    // Nothing in both lists is reported as removed: a moved element is reported as moved.
    for (const removed of reviewed.removed) {
      const stays = after.map(normalise).filter((element) => element === removed).length;
      const was = before.map(normalise).filter((element) => element === removed).length;
      expect(was - stays, `${removed} is reported removed`).toBeGreaterThan(0);
    }
  });

  it.for<["create" | "destroy", string, string]>([
    ["create", "terraform_data.created", '"192.168.0.0/16"'],
    ["destroy", "terraform_data.destroyed", '"p"'],
  ])("a %s shows every value terraform shows", ([action, address, sample], context) => {
    if (terraformMissing) skipBecause(context, "terraform is not on PATH");
    const [side, other] = action === "create" ? (["after", "before"] as const) : (["before", "after"] as const);
    const values = attributesOf(address).map((attribute) => {
      expect(attribute[other]).toBeUndefined();
      return attribute[side] as string;
    });
    expect(values.sort()).toEqual(terraformLeaves(resourceBlock(show, address), action === "create" ? "+" : "-"));
    expect(values).toContain(sample);
  });
});
