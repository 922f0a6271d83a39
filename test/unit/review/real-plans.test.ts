import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PlanFormatError } from "../../../src/errors.js";
import type { AttributeChange } from "../../../src/review/diff.js";
import { htmlText } from "../../../src/review/escape.js";
import { describeAttribute } from "../../../src/review/render.js";
import { renderReview, REVIEW_FORMATS, summarizePlanText } from "../../../src/workflow/review.js";
import { REPO_ROOT, skipBecause } from "../../helpers.js";

/**
 * Every real `terraform show -json` document in ../shared/real-plans (never copied into the
 * repository): the review's counts and addresses against ones this test computes itself, straight
 * from the JSON, and no sensitive value in any format.
 */
const REAL_PLANS = process.env["INFRA_REAL_PLANS"] ?? path.resolve(REPO_ROOT, "../shared/real-plans");
const files = (() => {
  try {
    return readdirSync(REAL_PLANS).filter((name) => name.endsWith(".json")).sort();
  } catch {
    return [];
  }
})();

interface Expected {
  import: number;
  add: number;
  change: number;
  destroy: number;
  forget: number;
  addresses: string[];
}

type Json = Record<string, unknown>;

/** terraform's own rules for its "Plan:" line, written out again here independently of src/review. */
function expectedFrom(document: Json): Expected {
  const expected: Expected = { import: 0, add: 0, change: 0, destroy: 0, forget: 0, addresses: [] };
  for (const entry of (document["resource_changes"] as Json[] | undefined) ?? []) {
    const change = entry["change"] as Json;
    const actions = change["actions"] as string[];
    const moved = typeof entry["previous_address"] === "string" && entry["previous_address"] !== entry["address"];
    const importing = change["importing"] !== undefined && change["importing"] !== null;
    const noOp = actions.length === 1 && actions[0] === "no-op";
    if (noOp && !moved && !importing) continue;
    if (entry["mode"] !== "managed" && actions.includes("delete")) continue;
    expected.addresses.push(entry["address"] as string);
    if (importing) expected.import += 1;
    if (actions.includes("create")) expected.add += 1;
    if (actions.includes("delete")) expected.destroy += 1;
    if (actions.includes("update")) expected.change += 1;
    if (actions.includes("forget")) expected.forget += 1;
  }
  return expected;
}

/** Strings terraform marks sensitive anywhere in resource changes and outputs, long enough to search for. */
function markedSecrets(document: Json): string[] {
  const secrets: string[] = [];
  const changes = [
    ...(((document["resource_changes"] as Json[] | undefined) ?? []).map((entry) => entry["change"] as Json)),
    ...Object.values((document["output_changes"] as Record<string, Json> | undefined) ?? {}),
  ];
  for (const change of changes) {
    for (const [value, mask] of [
      [change["before"], change["before_sensitive"]],
      [change["after"], change["after_sensitive"]],
    ]) {
      const stack: Array<[unknown, unknown, boolean]> = [[value, mask, false]];
      for (let item = stack.pop(); item; item = stack.pop()) {
        const [current, currentMask, inherited] = item;
        const marked = inherited || currentMask === true;
        if (typeof current === "string" && marked && current.length >= 8) secrets.push(current);
        if (typeof current === "object" && current !== null) {
          for (const [key, child] of Object.entries(current)) {
            stack.push([child, typeof currentMask === "object" && currentMask !== null ? (currentMask as Json)[key] : undefined, marked]);
          }
        }
      }
    }
  }
  return secrets;
}

/** A path as the review writes it (`tags.Name`, `list[0]`, `labels["a.b"]`), written again here. */
function pathOf(steps: ReadonlyArray<string | number>): string {
  return steps
    .map((step, index) => (typeof step === "number" ? `[${step}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(step) ? (index === 0 ? step : `.${step}`) : `[${JSON.stringify(step)}]`))
    .join("");
}

function holdsTrue(mask: unknown): boolean {
  if (mask === true) return true;
  return typeof mask === "object" && mask !== null && Object.values(mask).some(holdsTrue);
}

interface ListPair {
  path: string;
  before: unknown[];
  after: unknown[];
}

/**
 * Every list found at the same path in before and after, walking objects key by key (not into
 * lists, not where terraform marks a value sensitive or unknown): where the review must not call
 * an element removed that the other side still holds.
 */
function listPairs(change: Json): ListPair[] {
  const pairs: ListPair[] = [];
  const stack: Array<[unknown, unknown, unknown, unknown, unknown, Array<string | number>]> = [
    [change["before"], change["after"], change["before_sensitive"], change["after_sensitive"], change["after_unknown"], []],
  ];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [before, after, beforeMask, afterMask, unknown, steps] = item;
    if (beforeMask === true || afterMask === true || holdsTrue(unknown) && Array.isArray(after)) continue;
    if (Array.isArray(before) && Array.isArray(after)) {
      if (!holdsTrue(beforeMask) && !holdsTrue(afterMask)) pairs.push({ path: pathOf(steps), before, after });
      continue;
    }
    const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
    if (!isObject(before) || !isObject(after)) continue;
    const child = (value: unknown, key: string) => (isObject(value) ? value[key] : undefined);
    for (const key of Object.keys(before)) {
      if (key in after) stack.push([before[key], after[key], child(beforeMask, key), child(afterMask, key), child(unknown, key), [...steps, key]]);
    }
  }
  return pairs;
}

/** Elements of `pair` the review reports removed (every line under the element is a removal), by their value. */
function reportedRemovals(attributes: readonly AttributeChange[], pair: ListPair): string[] {
  const byIndex = new Map<number, boolean>();
  for (const attribute of attributes) {
    if (!attribute.path.startsWith(`${pair.path}[`)) continue;
    const match = /^\[(\d+)\]($|[.[])/.exec(attribute.path.slice(pair.path.length));
    if (!match) continue;
    const index = Number(match[1]);
    const removal = attribute.before !== undefined && attribute.after === undefined && attribute.movedTo === undefined;
    byIndex.set(index, (byIndex.get(index) ?? true) && removal);
  }
  return [...byIndex].filter(([, removed]) => removed).map(([index]) => JSON.stringify(pair.before[index]));
}

describe("review of real terraform plans", () => {
  it("finds the real plans", (context) => {
    if (files.length === 0) skipBecause(context, `no plan documents in ${REAL_PLANS} (set INFRA_REAL_PLANS to the folder)`);
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  for (const name of files) {
    it(`reviews ${name} faithfully`, () => {
      const text = readFileSync(path.join(REAL_PLANS, name), "utf8");
      const document = JSON.parse(text) as Json;
      const actionLists = ((document["resource_changes"] as Json[] | undefined) ?? []).map((entry) => ((entry["change"] as Json)["actions"] as string[]).join(","));
      const known = new Set(["no-op", "create", "read", "update", "delete,create", "create,delete", "delete", "forget", "create,forget"]);
      if (actionLists.some((list) => !known.has(list))) {
        // Hand-made garbage (five actions in one list, an empty list): refused in one sentence naming the field.
        expect(() => summarizePlanText(text, name)).toThrowError(PlanFormatError);
        expect(() => summarizePlanText(text, name)).toThrowError(/resource_changes\[\d+\]\.change\.actions/);
        return;
      }
      const summary = summarizePlanText(text, name);
      const expected = expectedFrom(document);
      const { counts } = summary;
      expect({
        import: counts.import,
        add: counts.add + counts.replace,
        change: counts.change,
        destroy: counts.destroy + counts.replace,
        forget: counts.forget,
        addresses: summary.resources.map((resource) => resource.address),
      }).toEqual(expected);
      const outputsChanged = Object.values((document["output_changes"] as Record<string, Json> | undefined) ?? {}).some(
        (change) => (change["actions"] as string[]).join(",") !== "no-op",
      );
      expect(summary.hasChanges).toBe(expected.addresses.length > 0 || outputsChanged || (document["applyable"] === true && summary.drift.length > 0));
      expect(summary.errored).toBe(document["errored"] === true);

      // Nothing a list holds before and after is reported removed (beyond the copies it loses).
      const changes = [...((document["resource_changes"] as Json[] | undefined) ?? []), ...((document["resource_drift"] as Json[] | undefined) ?? [])];
      for (const entry of changes) {
        const address = entry["address"] as string | undefined;
        const reviewed = [...summary.resources, ...summary.drift].filter((resource) => resource.address === address);
        for (const pair of listPairs(entry["change"] as Json)) {
          for (const resource of reviewed) {
            const removed = reportedRemovals(resource.attributes, pair);
            for (const value of new Set(removed)) {
              const count = (list: unknown[]) => list.filter((element) => JSON.stringify(element) === value).length;
              expect(removed.filter((element) => element === value).length, `${name}: ${address} ${pair.path} reports ${value} removed`).toBeLessThanOrEqual(
                Math.max(0, count(pair.before) - count(pair.after)),
              );
            }
          }
        }
      }

      // Every create and destroy that has a value shows one, in summary.json and in report.html.
      const html = renderReview(summary, null, "html");
      const json = JSON.parse(renderReview(summary, null, "json")) as { resources: Array<{ address: string; action: string; attributes: AttributeChange[] }> };
      for (const entry of (document["resource_changes"] as Json[] | undefined) ?? []) {
        const change = entry["change"] as Json;
        const actions = (change["actions"] as string[]).join(",");
        if (entry["mode"] !== "managed" || (actions !== "create" && actions !== "delete")) continue;
        const side = actions === "create" ? change["after"] : change["before"];
        const hasValue = holdsTrue(change["after_unknown"]) || JSON.stringify(side ?? null).match(/:(?!null[,}])/) !== null;
        if (!hasValue) continue;
        const resource = json.resources.find((candidate) => candidate.address === entry["address"]);
        const first = resource?.attributes[0];
        expect(first, `${name}: ${String(entry["address"])} shows no attribute`).toBeDefined();
        expect(first?.[actions === "create" ? "after" : "before"]).toBeDefined();
        expect(html).toContain(htmlText(describeAttribute(first as AttributeChange)));
      }

      const rendered = REVIEW_FORMATS.map((format) => renderReview(summary, null, format, { detail: true })).join("\n");
      for (const secret of markedSecrets(document)) expect(rendered, `${name} leaks a marked value`).not.toContain(secret);
      for (const address of expected.addresses) expect(rendered).toContain(address.replaceAll('"', "&quot;"));
    });
  }
});
