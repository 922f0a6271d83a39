import { describe, expect, it } from "vitest";
import { PlanFormatError } from "../../../src/errors.js";
import { parsePlanJson } from "../../../src/review/plan-json.js";

const change = { actions: ["create"], before: null, after: {} };
const resource = { address: "terraform_data.a", mode: "managed", type: "terraform_data", name: "a", change };

function refusal(text: string): string {
  try {
    parsePlanJson(text, "plan.json");
  } catch (error) {
    expect(error).toBeInstanceOf(PlanFormatError);
    return (error as Error).message;
  }
  throw new Error("expected a PlanFormatError");
}

const plan = (fields: Record<string, unknown>) => JSON.stringify({ format_version: "1.2", ...fields });

describe("parsePlanJson", () => {
  it.each([
    ["an empty file", "", /plan\.json is empty/],
    ["truncated JSON", plan({ resource_changes: [resource] }).slice(0, 40), /plan\.json is not valid JSON/],
    ["null", "null", /the document is null, not an object/],
    ["an array", "[]", /the document is an array, not an object/],
    ["a string", '"plan"', /the document is a string, not an object/],
    ["actions: null", plan({ resource_changes: [{ ...resource, change: { ...change, actions: null } }] }), /resource_changes\[0\]\.change\.actions must be an array, not null/],
    ["a missing change", plan({ resource_changes: [{ ...resource, change: undefined }] }), /resource_changes\[0\]\.change is missing/],
    ["resource_changes: [null]", plan({ resource_changes: [null] }), /resource_changes\[0\] must be an object, not null/],
    ["resource_changes as an object", plan({ resource_changes: {} }), /resource_changes must be an array, not an object/],
    ["resource_changes as a string", plan({ resource_changes: "x" }), /resource_changes must be an array, not a string/],
    ["a null output change", plan({ output_changes: { url: null } }), /output_changes\.url must be an object, not null/],
    ["a null variable", plan({ variables: { region: null } }), /variables\.region must be an object, not null/],
    ["a null planned output", plan({ planned_values: { outputs: { url: null } } }), /planned_values\.outputs\.url must be an object, not null/],
    ["a null configuration variable", plan({ configuration: { root_module: { variables: { v: null } } } }), /configuration\.root_module\.variables\.v must be an object, not null/],
    ["an unknown action", plan({ resource_changes: [{ ...resource, change: { ...change, actions: ["explode"] } }] }), /resource_changes\[0\]\.change\.actions\[0\] holds "explode", which is not one of/],
    ["an action list terraform never writes", plan({ resource_changes: [{ ...resource, change: { ...change, actions: ["update", "delete"] } }] }), /is not an action list terraform writes/],
    [
      "a malformed child module deep in the tree",
      plan({ planned_values: { root_module: { child_modules: [{ child_modules: [{ resources: "x" }] }] } } }),
      /planned_values\.root_module\.child_modules\[0\]\.child_modules\[0\]\.resources must be an array/,
    ],
  ])("refuses %s in one sentence naming the field", (_name, text, expected) => {
    const message = refusal(text);
    expect(message).toMatch(expected);
    expect(message).not.toContain("\n");
  });

  it("shows control and bidi characters in a field name visibly", () => {
    expect(refusal(plan({ output_changes: { "a\u202eb\u001b": null } }))).toContain('output_changes["a\\u202eb\\u001b"]');
  });

  it("accepts a module tree 10,000 deep", () => {
    const depth = 10_000;
    const text = `{"format_version":"1.2","planned_values":{"root_module":${'{"child_modules":['.repeat(depth)}{"resources":[]}${"]}".repeat(depth)}}}`;
    expect(parsePlanJson(text, "plan.json").format_version).toBe("1.2");
  });

  it("keeps fields it does not know", () => {
    expect(parsePlanJson(plan({ timestamp: "2025-01-01T00:00:00Z" }), "plan.json")["timestamp"]).toBe("2025-01-01T00:00:00Z");
  });
});
