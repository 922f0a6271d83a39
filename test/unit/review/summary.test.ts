import { describe, expect, it } from "vitest";
import { checkPlanJson, type ChangeAction, type PlanJson, type ResourceChange } from "../../../src/review/plan-json.js";
import { createRedaction, REDACTED } from "../../../src/review/redact.js";
import { classifyActions, describeCounts, emptyCounts, summarizePlan, terraformPlanLine, type Summary } from "../../../src/review/summary.js";

function resource(address: string, actions: ChangeAction[], extra: Partial<ResourceChange> = {}, change: Partial<ResourceChange["change"]> = {}): ResourceChange {
  const [type = "terraform_data", name = "this"] = address.replace(/^module\.[^.]+\./, "").replace(/^data\./, "").split(".");
  return {
    address,
    mode: /(^|\.)data\./.test(address.replace("terraform_data.", "")) ? "data" : "managed",
    type,
    name,
    change: { actions, before: null, after: null, ...change },
    ...extra,
  };
}

function plan(resources: ResourceChange[], outputs: Record<string, ChangeAction[]> = {}, extra: Partial<PlanJson> = {}): PlanJson {
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    resource_changes: resources,
    output_changes: Object.fromEntries(Object.entries(outputs).map(([name, actions]) => [name, { actions, before: null, after: null }])),
    ...extra,
  };
}

/** What the CLI does: check at the door, then summarise with the plan's own redaction. */
function summarize(document: PlanJson): Summary {
  const checked = checkPlanJson(JSON.parse(JSON.stringify(document)), "plan.json");
  return summarizePlan(checked, createRedaction(checked));
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
  it("counts each action once, a replace as one replace, and matches terraform's Plan: line", () => {
    const summary = summarize(
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
    expect(summary.counts).toEqual({ ...emptyCounts(), add: 2, change: 1, destroy: 1, replace: 2 });
    expect(terraformPlanLine(summary.counts)).toBe("Plan: 4 to add, 1 to change, 3 to destroy.");
    expect(summary.hasChanges).toBe(true);
  });

  it("counts an import-only plan as a change, as terraform does ('Plan: 1 to import')", () => {
    const summary = summarize(plan([resource("terraform_data.imported", ["no-op"], {}, { importing: { id: "bar" } })]));
    expect(summary.hasChanges).toBe(true);
    expect(summary.counts.import).toBe(1);
    expect(terraformPlanLine(summary.counts)).toBe("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.");
    expect(summary.resources[0]).toMatchObject({ address: "terraform_data.imported", action: "no-op", importing: { id: "bar" } });
  });

  it("mentions an import that comes with an update", () => {
    const summary = summarize(plan([resource("terraform_data.i", ["update"], {}, { importing: { id: "x" }, before: { a: 1 }, after: { a: 2 } })]));
    expect(summary.counts).toMatchObject({ import: 1, change: 1 });
    expect(summary.resources[0]?.importing).toEqual({ id: "x" });
  });

  it("lists a move-only plan as a change with the previous address, not counted in the Plan: line", () => {
    const summary = summarize(plan([resource("terraform_data.new_name", ["no-op"], { previous_address: "terraform_data.old_name" })]));
    expect(summary.hasChanges).toBe(true);
    expect(summary.counts.move).toBe(1);
    expect(summary.resources[0]?.previousAddress).toBe("terraform_data.old_name");
    expect(terraformPlanLine(summary.counts)).toBe("Plan: 0 to add, 0 to change, 0 to destroy.");
  });

  it("lists data source reads with their reason and never a data source's delete", () => {
    const summary = summarize(
      plan([
        resource("data.aws_iam_policy_document.p", ["read"], { action_reason: "read_because_config_unknown" }),
        resource("data.aws_caller_identity.gone", ["delete"]),
        resource("terraform_data.unchanged", ["no-op"]),
      ]),
    );
    expect(summary.resources.map((entry) => [entry.address, entry.action, entry.reason])).toEqual([
      ["data.aws_iam_policy_document.p", "read", "read_because_config_unknown"],
    ]);
    expect(summary.counts.read).toBe(1);
  });

  it("keeps both replace orders and terraform's action_reason", () => {
    const summary = summarize(plan([resource("terraform_data.t", ["delete", "create"], { action_reason: "replace_because_tainted" })]));
    expect(summary.resources[0]).toMatchObject({ action: "replace", actions: ["delete", "create"], reason: "replace_because_tainted" });
  });

  it("shows drift only for resources listed in relevant_attributes", () => {
    const drifted = (address: string) => resource(address, ["update"], {}, { before: { tags: { a: "1" } }, after: { tags: { a: "2" } } });
    const summary = summarize(
      plan([], {}, {
        resource_drift: [drifted("aws_instance.relevant"), drifted("aws_instance.irrelevant")],
        relevant_attributes: [{ resource: "aws_instance.relevant", attribute: ["tags"] }],
      }),
    );
    expect(summary.drift).toEqual([{ address: "aws_instance.relevant", action: "change", attributes: [{ path: "tags.a", before: '"1"', after: '"2"' }] }]);
  });

  it("rebuilds a drift address terraform 1.0.0 left out", () => {
    const entry = resource("module.m.aws_s3_bucket.b", ["delete"], { module_address: "module.m", index: "k" });
    const { address: _address, ...withoutAddress } = entry;
    const summary = summarize(plan([], {}, { resource_drift: [withoutAddress as ResourceChange] }));
    expect(summary.drift[0]?.address).toBe('module.m.aws_s3_bucket.b["k"]');
  });

  it("lists changed outputs with their values and leaves out unchanged ones", () => {
    const summary = summarize(plan([], { url: ["create"], old: ["delete"], same: ["no-op"] }));
    expect(summary.outputs.map((output) => [output.name, output.action])).toEqual([
      ["url", "add"],
      ["old", "destroy"],
    ]);
    expect(summary.hasChanges).toBe(true);
  });

  it("reports deferred changes, failing checks and an errored plan", () => {
    const summary = summarize(
      plan([], {}, {
        errored: true,
        complete: false,
        deferred_changes: [{ reason: "provider_config_unknown", resource_change: resource("aws_eks_addon.a", ["create"]) }],
        checks: [
          {
            address: { to_display: "check.health", kind: "check" },
            status: "fail",
            instances: [{ address: { to_display: "check.health" }, status: "fail", problems: [{ message: "endpoint is down" }] }],
          },
          { address: { to_display: "aws_s3_bucket.ok", kind: "resource" }, status: "pass" },
        ],
      }),
    );
    expect(summary.errored).toBe(true);
    expect(summary.complete).toBe(false);
    expect(summary.deferred).toEqual([{ address: "aws_eks_addon.a", action: "add", reason: "provider_config_unknown" }]);
    expect(summary.checks[0]).toEqual({ address: "check.health", kind: "check", status: "fail", problems: ["check.health: endpoint is down"] });
  });

  it("reports no changes when only no-ops remain", () => {
    const summary = summarize(plan([resource("terraform_data.a", ["no-op"])], { same: ["no-op"] }));
    expect(summary.hasChanges).toBe(false);
    expect(summary.resources).toEqual([]);
  });

  it("accepts a plan without resource_changes or output_changes", () => {
    const summary = summarize({ format_version: "1.2", terraform_version: "1.11.4" });
    expect(summary.hasChanges).toBe(false);
    expect(summary.resources).toEqual([]);
  });
});

describe("attribute changes", () => {
  it("flattens nested paths, masks sensitive values, shows unknowns and marks what forces replacement", () => {
    const summary = summarize(
      plan([
        resource(
          "aws_instance.web",
          ["delete", "create"],
          {},
          {
            before: { instance_type: "t3.micro", ami: "ami-1", tags: { Name: "web", "team.name": "a" }, password: "old-secret-value", cidrs: ["10.0.0.0/16"], same: 1 },
            after: { instance_type: "t3.large", ami: "ami-2", tags: { Name: "web", "team.name": "b" }, password: "new-secret-value", cidrs: ["10.0.0.0/16", "10.1.0.0/16"], same: 1 },
            after_unknown: { id: true },
            before_sensitive: { password: true },
            after_sensitive: { password: true },
            replace_paths: [["ami"]],
          },
        ),
      ]),
    );
    expect(summary.resources[0]?.attributes).toEqual([
      { path: "ami", before: '"ami-1"', after: '"ami-2"', forcesReplacement: true },
      { path: "cidrs", unchanged: 1 },
      { path: "cidrs[1]", after: '"10.1.0.0/16"' },
      { path: "id", after: "(known after apply)" },
      { path: "instance_type", before: '"t3.micro"', after: '"t3.large"' },
      { path: "password", before: REDACTED, after: REDACTED },
      { path: 'tags["team.name"]', before: '"a"', after: '"b"' },
    ]);
    expect(JSON.stringify(summary)).not.toContain("secret-value");
  });

  it("shows every attribute of a create and a destroy, nulls left out, and the keys a map had before it became unknown", () => {
    const summary = summarize(
      plan([
        resource("aws_subnet.new", ["create"], {}, { after: { cidr_block: "10.0.1.0/24", tags: { Name: "a" }, ipv6: null, rules: [] }, after_unknown: { id: true } }),
        resource("aws_subnet.old", ["delete"], {}, { before: { cidr_block: "10.0.2.0/24", id: "subnet-1", gone: null } }),
        resource("aws_s3_bucket.b", ["update"], {}, { before: { tags: { Env: "dev", Name: "b" } }, after: { tags: null }, after_unknown: { tags: true } }),
      ]),
    );
    expect(summary.resources.map((entry) => entry.attributes)).toEqual([
      [
        { path: "cidr_block", after: '"10.0.1.0/24"' },
        { path: "id", after: "(known after apply)" },
        { path: "rules", after: "[]" },
        { path: "tags.Name", after: '"a"' },
      ],
      [
        { path: "cidr_block", before: '"10.0.2.0/24"' },
        { path: "id", before: '"subnet-1"' },
      ],
      [{ path: "tags", before: "{ Env, Name }", after: "(known after apply)" }],
    ]);
  });

  it("matches a long list's elements greedily past the LCS table's size, reporting no kept element removed", () => {
    const before = Array.from({ length: 3_000 }, (_, index) => `e${index}`);
    const after = before.filter((_, index) => index % 1_000 !== 500).reverse();
    const summary = summarize(plan([resource("terraform_data.big", ["update"], {}, { before: { list: before }, after: { list: after } })]));
    const attributes = summary.resources[0]?.attributes ?? [];
    const removed = attributes.filter((attribute) => attribute.before !== undefined && attribute.after === undefined).map((attribute) => attribute.before);
    expect(removed.sort()).toEqual(['"e1500"', '"e2500"', '"e500"']);
    const kept = attributes.filter((attribute) => attribute.movedTo !== undefined).length + (attributes.find((attribute) => attribute.unchanged !== undefined)?.unchanged ?? 0);
    expect(kept).toBe(2_997);
  });

  it("handles a value nested 100,000 deep without a stack overflow", () => {
    let before: unknown = "a";
    let after: unknown = "b";
    for (let i = 0; i < 100_000; i += 1) {
      before = { x: before };
      after = { x: after };
    }
    const summary = summarizePlan(plan([resource("terraform_data.deep", ["update"], {}, { before, after })]), createRedaction(plan([])));
    expect(summary.resources[0]?.attributes).toHaveLength(1);
    expect(summary.resources[0]?.attributes[0]?.after).toBe('"b"');
  });
});

describe("describeCounts", () => {
  it("returns the four counts in words and the others when there are any", () => {
    expect(describeCounts({ add: 3, change: 2, destroy: 1, replace: 0 })).toBe("3 to add, 2 to change, 1 to destroy, 0 to replace");
    expect(describeCounts({ ...emptyCounts(), import: 2, move: 1 })).toBe("0 to add, 0 to change, 0 to destroy, 0 to replace, 2 to import, 1 moved");
  });
});
