import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InfraError } from "../../../src/errors.js";
import { parsePlanJson } from "../../../src/review/plan-json.js";
import { createRedaction } from "../../../src/review/redact.js";
import { REVIEW_FORMATS, renderReview } from "../../../src/workflow/review.js";
import { summarizePlan } from "../../../src/review/summary.js";

/**
 * Many plans, each a valid one with a few fields replaced, removed or nested deep: the review
 * (what `infra review` and `infra plan` run) must end in a report or in one InfraError sentence,
 * and no value terraform marks sensitive may appear in plan.redacted.json or any rendered format.
 */
const SECRETS = ["SECRET-db-password-0001", "SECRET-api-token-0002", "SECRET-output-0003", "SECRET-variable-0004"];

const BASE = {
  format_version: "1.2",
  terraform_version: "1.11.4",
  variables: { db_password: { value: SECRETS[3] } },
  configuration: { root_module: { variables: { db_password: { sensitive: true } } } },
  resource_changes: [
    {
      address: "aws_db_instance.main",
      mode: "managed",
      type: "aws_db_instance",
      name: "main",
      change: {
        actions: ["update"],
        before: { password: SECRETS[0], instance_class: "db.t3.micro", tags: { team: "a" } },
        after: { password: SECRETS[0], instance_class: "db.t3.large", tags: { team: "b", copy: SECRETS[1] } },
        after_unknown: {},
        before_sensitive: { password: true },
        after_sensitive: { password: true },
      },
    },
    {
      address: 'aws_ssm_parameter.token["x"]',
      mode: "managed",
      type: "aws_ssm_parameter",
      name: "token",
      index: "x",
      change: { actions: ["delete", "create"], before: { value: SECRETS[1] }, after: { value: SECRETS[1] }, before_sensitive: { value: true }, after_sensitive: { value: true }, replace_paths: [["value"]] },
    },
  ],
  output_changes: { secret: { actions: ["create"], before: null, after: SECRETS[2], after_unknown: false, before_sensitive: false, after_sensitive: true } },
  planned_values: { outputs: { secret: { sensitive: true, value: SECRETS[2] } }, root_module: { resources: [{ address: "aws_db_instance.main", values: { password: SECRETS[0] }, sensitive_values: { password: true } }] } },
};

type Json = unknown;

/** Every path in the base document, so a mutation can hit any field at any depth. */
function pathsOf(value: Json, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((item, index) => pathsOf(item, [...prefix, index], out));
  else if (typeof value === "object" && value !== null) for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  return out;
}
const PATHS = pathsOf(BASE);

const hostileString = fc.constantFrom("`</details><script>alert(1)</script>", "\u202e\u001b[2J", "a\nb|c", "", "no-op", "explode", ...SECRETS);
/** A value nested `depth` deep, built only inside the property so fast-check prints a number, not the value. */
class Deep {
  constructor(readonly depth: number) {}
  build(): Json {
    let value: Json = "leaf";
    for (let i = 0; i < this.depth; i += 1) value = i % 2 ? [value] : { k: value };
    return value;
  }
  toString(): string {
    return `Deep(${this.depth})`;
  }
}
const deep = fc.integer({ min: 1, max: 3000 }).map((depth) => new Deep(depth));
const replacement: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.constant([]),
  fc.constant({}),
  fc.constant([null]),
  fc.constant(true),
  fc.integer(),
  hostileString,
  fc.string(),
  deep,
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(["create"], ["no-op"], ["delete", "create"], ["create", "delete"], ["read"], ["forget"]),
);
const mutation = fc.record({ path: fc.constantFrom(...PATHS), value: replacement });

function applyMutation(document: Json, path: Array<string | number>, value: Json): Json {
  if (path.length === 0) return value;
  if (typeof document !== "object" || document === null) return document;
  let parent = document as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) {
    const next = parent[key];
    if (typeof next !== "object" || next === null) return document;
    parent = next as Record<string | number, Json>;
  }
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete parent[last];
  else parent[last] = value;
  return document;
}

/** Strings terraform would mark in the mutated document, found here without src/review. */
function markedSecrets(document: Json): Set<string> {
  const found = new Set<string>();
  const visit = (value: Json, mask: Json) => {
    const stack: Array<[Json, Json, boolean]> = [[value, mask, false]];
    for (let item = stack.pop(); item; item = stack.pop()) {
      const [current, currentMask, inherited] = item;
      const marked = inherited || currentMask === true;
      if (typeof current === "string" && marked && current.startsWith("SECRET-")) found.add(current);
      if (typeof current === "object" && current !== null) {
        for (const [key, child] of Object.entries(current)) {
          stack.push([child, typeof currentMask === "object" && currentMask !== null ? (currentMask as Record<string, Json>)[key] : undefined, marked]);
        }
      }
    }
  };
  const record = (value: Json) => (typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, Json>) : {});
  const doc = record(document);
  for (const entry of Array.isArray(doc["resource_changes"]) ? doc["resource_changes"] : []) {
    const change = record(record(entry)["change"]);
    visit(change["before"], change["before_sensitive"]);
    visit(change["after"], change["after_sensitive"]);
  }
  for (const change of Object.values(record(doc["output_changes"]))) {
    visit(record(change)["before"], record(change)["before_sensitive"]);
    visit(record(change)["after"], record(change)["after_sensitive"]);
  }
  return found;
}

/** Strings in fields the review shows as they are (addresses, names, keys, versions): never rewritten, by design. */
function namesIn(document: Json): Set<string> {
  const names = new Set<string>();
  const fields = new Set(["address", "previous_address", "module_address", "name", "type", "mode", "index", "action_reason", "deposed", "terraform_version", "format_version", "reason", "to_display", "status"]);
  const stack: Json[] = [document];
  for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
    if (typeof current !== "object" || current === null) continue;
    for (const [key, child] of Object.entries(current)) {
      if (fields.has(key) && typeof child === "string") names.add(child);
      // replace_paths hold attribute names and map keys, which are names too.
      if (key === "replace_paths" && Array.isArray(child)) for (const path of child) if (Array.isArray(path)) for (const step of path) names.add(String(step));
      if (Array.isArray(current) || !["before", "after", "values", "value"].includes(key)) stack.push(child);
    }
  }
  return names;
}

describe("review of mutated plans", () => {
  it("ends in a report or one InfraError sentence, and shows no marked value", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let document: Json = structuredClone(BASE);
        // Cloned: fast-check shares generated values between runs, and two mutations could make a cycle.
        for (const { path, value } of mutations) document = applyMutation(document, path, value instanceof Deep ? value.build() : value === undefined ? undefined : structuredClone(value));
        const text = JSON.stringify(document) ?? "";
        let outputs: string[];
        try {
          const plan = parsePlanJson(text, "plan.json");
          const redaction = createRedaction(plan);
          const summary = summarizePlan(plan, redaction);
          outputs = [redaction.json(), ...REVIEW_FORMATS.map((format) => renderReview(summary, null, format, { detail: true }))];
        } catch (error) {
          expect(error).toBeInstanceOf(InfraError);
          expect((error as Error).message).not.toContain("\n");
          expect((error as Error).message).toMatch(/^plan\.json (is empty|is not valid JSON|is not a terraform plan: )/);
          return;
        }
        const shownAsNames = namesIn(document);
        for (const secret of markedSecrets(document)) {
          if (shownAsNames.has(secret)) continue;
          for (const output of outputs) expect(output).not.toContain(secret);
        }
      }),
      { numRuns: Number(process.env["RUNS"] ?? 400) },
    );
  });
});
