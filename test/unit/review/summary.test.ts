import { describe, expect, it } from "vitest";
import type { ChangeAction, PlanJson, ResourceChange } from "../../../src/review/plan-json.js";
import { classifyActions, describeCounts, summarizePlan } from "../../../src/review/summary.js";

function resource(address: string, actions: ChangeAction[], extra: Partial<ResourceChange> = {}): ResourceChange {
  const [type = "terraform_data", name = "this"] = address.replace(/^data\./, "").split(".");
  return {
    address,
    mode: address.startsWith("data.") ? "data" : "managed",
    type,
    name,
    change: { actions, before: null, after: null },
    ...extra,
  };
}

function plan(resources: ResourceChange[], outputs: Record<string, ChangeAction[]> = {}): PlanJson {
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    resource_changes: resources,
    output_changes: Object.fromEntries(Object.entries(outputs).map(([name, actions]) => [name, { actions, before: null, after: null }])),
  };
}

describe("classifyActions", () => {
  it.each([
    [["create"], "add"],
    [["update"], "change"],
    [["delete"], "destroy"],
    [["delete", "create"], "replace"],
    [["create", "delete"], "replace"],
    [["read"], "read"],
    [["no-op"], "no-op"],
    [["forget"], "forget"],
    [[], "no-op"],
  ] as Array<[ChangeAction[], string]>)("returns %j -> %s", (actions, expected) => {
    expect(classifyActions(actions)).toBe(expected);
  });
});

describe("summarizePlan", () => {
  it("counts each action once, a replace as one replace", () => {
    const summary = summarizePlan(
      plan([
        resource("terraform_data.a", ["create"]),
        resource("terraform_data.b", ["create"]),
        resource("terraform_data.c", ["update"]),
        resource("terraform_data.d", ["delete"]),
        resource("terraform_data.e", ["delete", "create"]),
        resource("terraform_data.f", ["create", "delete"]),
        resource("terraform_data.g", ["no-op"]),
      ]),
    );
    expect(summary.counts).toEqual({ add: 2, change: 1, destroy: 1, replace: 2 });
    expect(summary.hasChanges).toBe(true);
    expect(summary.terraformVersion).toBe("1.11.4");
  });

  it("lists changed managed resources in plan order and leaves out no-ops and data sources", () => {
    const summary = summarizePlan(
      plan([
        resource("terraform_data.z", ["update"]),
        resource("data.aws_caller_identity.this", ["read"]),
        resource("terraform_data.unchanged", ["no-op"]),
        resource("terraform_data.a", ["create"]),
      ]),
    );
    expect(summary.resources).toEqual([
      { address: "terraform_data.z", type: "terraform_data", action: "change" },
      { address: "terraform_data.a", type: "terraform_data", action: "add" },
    ]);
  });

  it("keeps terraform's action_reason as the reason", () => {
    const summary = summarizePlan(
      plan([resource("terraform_data.t", ["delete", "create"], { action_reason: "replace_because_tainted" })]),
    );
    expect(summary.resources).toEqual([
      { address: "terraform_data.t", type: "terraform_data", action: "replace", reason: "replace_because_tainted" },
    ]);
  });

  it("lists changed outputs and leaves out unchanged ones", () => {
    const summary = summarizePlan(plan([], { url: ["create"], old: ["delete"], same: ["no-op"] }));
    expect(summary.outputs).toEqual([
      { name: "url", action: "add" },
      { name: "old", action: "destroy" },
    ]);
    expect(summary.hasChanges).toBe(true);
    expect(summary.counts).toEqual({ add: 0, change: 0, destroy: 0, replace: 0 });
  });

  it("reports no changes when only no-ops and reads remain", () => {
    const summary = summarizePlan(
      plan([resource("terraform_data.a", ["no-op"]), resource("data.terraform_remote_state.x", ["read"])], { same: ["no-op"] }),
    );
    expect(summary).toEqual({
      terraformVersion: "1.11.4",
      hasChanges: false,
      counts: { add: 0, change: 0, destroy: 0, replace: 0 },
      resources: [],
      outputs: [],
    });
  });

  it("accepts a plan without resource_changes or output_changes", () => {
    const summary = summarizePlan({ format_version: "1.2", terraform_version: "1.11.4" });
    expect(summary.hasChanges).toBe(false);
    expect(summary.resources).toEqual([]);
  });
});

describe("describeCounts", () => {
  it("returns all four counts in words", () => {
    expect(describeCounts({ add: 3, change: 2, destroy: 1, replace: 0 })).toBe("3 to add, 2 to change, 1 to destroy, 0 to replace");
  });
});
